package ledger_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

// accountGrammar is the documented grammar of account codes, as the database
// also enforces it (migrations/001_ledger.sql): a root naming the type, then
// segments of lower-case letters, digits and _ that start with a letter.
var accountGrammar = regexp.MustCompile(`^(assets|liabilities|equity|income|expenses)(:[a-z][a-z0-9_]*)*$`)

var rootType = map[string]ledger.AccountType{
	"assets": ledger.Asset, "liabilities": ledger.Liability, "equity": ledger.Equity,
	"income": ledger.Income, "expenses": ledger.Expense,
}

func TestAccountTypeOf(t *testing.T) {
	for _, tc := range []struct {
		code string
		want ledger.AccountType
	}{
		{"assets", ledger.Asset},
		{"assets:bank:eur", ledger.Asset},
		{"assets:cheques_in_transit", ledger.Asset},
		{"liabilities", ledger.Liability},
		{"liabilities:grants_payable", ledger.Liability},
		{"equity:opening_balances", ledger.Equity},
		{"income:donations:bank_transfer", ledger.Income},
		{"expenses:fees:stripe", ledger.Expense},
		{"expenses:a1:b_2:c__", ledger.Expense},
		{"assets:" + strings.Repeat("a", 193), ledger.Asset}, // exactly 200 bytes
	} {
		got, err := ledger.AccountTypeOf(tc.code)
		if err != nil || got != tc.want {
			t.Errorf("AccountTypeOf(%q) = %q, %v; want %q", tc.code, got, err, tc.want)
		}
	}
}

func TestAccountTypeOfRejects(t *testing.T) {
	for _, tc := range []struct {
		code, sub string
	}{
		{"", "account is required"},
		{"assets:" + strings.Repeat("a", 194), "longer than 200"},
		{strings.Repeat("assets:bank", 1000), "longer than 200"},
		{"Assets", "each segment"},
		{"assets:Bank", "each segment"},
		{"assets:bank:EUR", "each segment"},
		{"assets:", "each segment"},
		{":assets", "each segment"},
		{"assets::bank", "each segment"},
		{"assets:1bank", "each segment"},
		{"assets:_bank", "each segment"},
		{"assets:bank-eur", "each segment"},
		{"assets:bank eur", "each segment"},
		{"assets.bank", "each segment"},
		{"assets/bank", "each segment"},
		{" assets", "each segment"},
		{"assets ", "each segment"},
		{"assets:bänk", "each segment"},
		{"assets:bank\x00", "each segment"},
		{"assets:bank\n", "each segment"},
		{"asset", "must start with assets"},
		{"revenue:donations", "must start with assets"},
		{"expense:fees", "must start with assets"},
		{"bank:assets", "must start with assets"},
	} {
		typ, err := ledger.AccountTypeOf(tc.code)
		if typ != "" {
			t.Errorf("AccountTypeOf(%.40q) returned type %q with its error", tc.code, typ)
		}
		if !checkInvalid(t, err, tc.sub) {
			t.Errorf("... for AccountTypeOf(%.40q)", tc.code)
		}
		if n := len(ledger.ErrorMessage(err)); n > 400 {
			t.Errorf("AccountTypeOf(%.40q): %d-byte error message", tc.code, n)
		}
	}
}

func TestAccountValidate(t *testing.T) {
	ok := ledger.Account{Code: "assets:bank:eur", Name: "Bank (EUR)", Type: ledger.Asset}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v): %v", ok, err)
	}
	for _, tc := range []struct {
		a   ledger.Account
		sub string
	}{
		{ledger.Account{Code: "assets:bank", Name: "Bank", Type: ledger.Income}, "type must be asset for a code under assets"},
		{ledger.Account{Code: "expenses:grants", Name: "Grants", Type: ledger.Asset}, "type must be expense for a code under expenses"},
		{ledger.Account{Code: "assets:bank", Name: "Bank", Type: ""}, "type must be asset"},
		{ledger.Account{Code: "assets:bank", Name: "Bank", Type: "assets"}, "type must be asset"},
		{ledger.Account{Code: "assets:bank", Name: "", Type: ledger.Asset}, "name is required"},
		{ledger.Account{Code: "assets:bank", Name: " \t\n", Type: ledger.Asset}, "name is required"},
		{ledger.Account{Code: "Assets:bank", Name: "Bank", Type: ledger.Asset}, "each segment"},
		{ledger.Account{Code: "", Name: "Bank", Type: ledger.Asset}, "account is required"},
	} {
		if !checkInvalid(t, tc.a.Validate(), tc.sub) {
			t.Errorf("... for %+v", tc.a)
		}
	}
}

func TestAccountParent(t *testing.T) {
	for code, want := range map[string]string{
		"assets":                         "",
		"assets:bank":                    "assets",
		"assets:bank:eur":                "assets:bank",
		"income:donations:bank_transfer": "income:donations",
	} {
		if got := (ledger.Account{Code: code}).Parent(); got != want {
			t.Errorf("Account{%q}.Parent() = %q, want %q", code, got, want)
		}
	}
}

func TestBankAccountCode(t *testing.T) {
	for _, cur := range ledger.Currencies() {
		code := ledger.BankAccountCode(cur)
		if want := "assets:bank:" + strings.ToLower(cur.Code); code != want {
			t.Errorf("BankAccountCode(%s) = %q, want %q", cur, code, want)
		}
		if typ, err := ledger.AccountTypeOf(code); err != nil || typ != ledger.Asset {
			t.Errorf("BankAccountCode(%s) = %q: AccountTypeOf = %q, %v", cur, code, typ, err)
		}
	}
}

// TestWellKnownAccounts checks the accounts the application posts to are valid
// codes of the type their role implies.
func TestWellKnownAccounts(t *testing.T) {
	for code, want := range map[string]ledger.AccountType{
		ledger.AccountCash: ledger.Asset, ledger.AccountCheques: ledger.Asset, ledger.AccountBank: ledger.Asset,
		ledger.AccountStripeClear: ledger.Asset, ledger.AccountBankTransit: ledger.Asset,
		ledger.AccountConversion: ledger.Equity, ledger.AccountOpening: ledger.Equity, ledger.AccountInterfund: ledger.Equity,
		ledger.AccountDonations: ledger.Income, ledger.AccountOtherIncome: ledger.Income,
		ledger.AccountGrants: ledger.Expense, ledger.AccountBankFees: ledger.Expense,
		ledger.AccountStripeFees: ledger.Expense, ledger.AccountOtherExpense: ledger.Expense,
	} {
		if got, err := ledger.AccountTypeOf(code); err != nil || got != want {
			t.Errorf("AccountTypeOf(%q) = %q, %v; want %q", code, got, err, want)
		}
	}
}

func TestDefaultChart(t *testing.T) {
	for _, cur := range ledger.Currencies() {
		t.Run(cur.Code, func(t *testing.T) {
			chart := ledger.DefaultChart(cur)
			byCode := map[string]ledger.Account{}
			for _, a := range chart {
				if _, dup := byCode[a.Code]; dup {
					t.Errorf("duplicate account %q", a.Code)
				}
				byCode[a.Code] = a
				if err := a.Validate(); err != nil {
					t.Errorf("account %+v: %v", a, err)
				}
				if !accountGrammar.MatchString(a.Code) {
					t.Errorf("account %q does not match the database's grammar", a.Code)
				}
			}
			// Parents come before children, so the chart can be inserted in
			// order under the accounts.parent foreign key.
			for i, a := range chart {
				p := a.Parent()
				if p == "" {
					if _, isRoot := rootType[a.Code]; !isRoot {
						t.Errorf("account %q has no parent but is not a root", a.Code)
					}
					continue
				}
				parent, ok := byCode[p]
				if !ok {
					t.Errorf("account %q: parent %q is not in the chart", a.Code, p)
					continue
				}
				if parent.Type != a.Type {
					t.Errorf("account %q is %s but its parent %q is %s", a.Code, a.Type, p, parent.Type)
				}
				for _, b := range chart[i:] {
					if b.Code == p {
						t.Errorf("account %q comes before its parent %q", a.Code, p)
					}
				}
			}
			for root := range rootType {
				if _, ok := byCode[root]; !ok {
					t.Errorf("root account %q is missing", root)
				}
			}
			// The accounts the application posts to without opening them first.
			must := []string{
				ledger.BankAccountCode(cur), ledger.BankAccountCode(mustCurrency(t, "EUR")),
				ledger.AccountCash, ledger.AccountCheques, ledger.AccountBank, ledger.AccountStripeClear,
				ledger.AccountBankTransit, ledger.AccountConversion, ledger.AccountOpening, ledger.AccountInterfund,
				ledger.AccountDonations, ledger.AccountOtherIncome, ledger.AccountGrants, ledger.AccountBankFees,
				ledger.AccountStripeFees, ledger.AccountOtherExpense,
			}
			for _, ch := range []ledger.Channel{ledger.ChannelBankTransfer, ledger.ChannelCash, ledger.ChannelCheque, ledger.ChannelOrganisation, ledger.ChannelCard} {
				must = append(must, ledger.IncomeAccount(ch), ledger.DebitAccount(ch, cur))
			}
			for _, code := range must {
				if _, ok := byCode[code]; !ok {
					t.Errorf("account %q is not in the default chart for %s", code, cur)
				}
			}
			// The chart is built fresh on every call.
			chart[0].Name = "changed"
			if ledger.DefaultChart(cur)[0].Name == "changed" {
				t.Error("DefaultChart returns shared storage")
			}
		})
	}
}

// FuzzAccountTypeOf checks AccountTypeOf accepts exactly the documented
// grammar (at most 200 bytes) and returns the root's type.
func FuzzAccountTypeOf(f *testing.F) {
	for _, s := range []string{
		"", "assets", "assets:bank:eur", "income:donations:bank_transfer", "expenses:fees:stripe",
		"liabilities:x", "equity:a_1", "Assets", "assets:", ":", "::", "assets::x", "assets:1", "assets:_",
		"assets:bänk", "asset", "revenue", "assets:bank\x00", "assets:" + strings.Repeat("a", 193),
		"assets:" + strings.Repeat("a", 194), "assets:bank-eur", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		typ, err := ledger.AccountTypeOf(code)
		valid := len(code) <= 200 && accountGrammar.MatchString(code)
		if err != nil {
			if valid {
				t.Fatalf("AccountTypeOf(%q) refused a code in the grammar: %v", code, err)
			}
			if ledger.ErrorCode(err) != ledger.EINVALID || typ != "" {
				t.Fatalf("AccountTypeOf(%q) = %q, %v; want \"\" and EINVALID", code, typ, err)
			}
			if n := len(ledger.ErrorMessage(err)); n > 1200 {
				t.Fatalf("AccountTypeOf(%q): %d-byte error message", code, n)
			}
			return
		}
		if !valid {
			t.Fatalf("AccountTypeOf(%q) = %q: accepted a code outside the grammar", code, typ)
		}
		root, _, _ := strings.Cut(code, ":")
		if typ != rootType[root] {
			t.Fatalf("AccountTypeOf(%q) = %q, want %q", code, typ, rootType[root])
		}
		// An account with that code and type validates once it has a name.
		if err := (ledger.Account{Code: code, Name: "x", Type: typ}).Validate(); err != nil {
			t.Fatalf("Account{%q, x, %q}.Validate(): %v", code, typ, err)
		}
	})
}
