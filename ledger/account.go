package ledger

import (
	"strings"
)

// AccountType is one of the five classes of the accounting equation.
type AccountType string

const (
	Asset     AccountType = "asset"
	Liability AccountType = "liability"
	Equity    AccountType = "equity"
	Income    AccountType = "income"
	Expense   AccountType = "expense"
)

// rootTypes maps the first segment of an account code to the account's type.
// The roots follow hledger's conventional names so exports read naturally.
var rootTypes = map[string]AccountType{
	"assets":      Asset,
	"liabilities": Liability,
	"equity":      Equity,
	"income":      Income,
	"expenses":    Expense,
}

// Account is a node in the chart of accounts. Its code is a colon-separated
// path such as "assets:bank:eur"; the first segment fixes the type.
type Account struct {
	Code string
	Name string
	Type AccountType
}

// Parent returns the code of the account's parent, or "" for a root.
func (a Account) Parent() string {
	if i := strings.LastIndexByte(a.Code, ':'); i >= 0 {
		return a.Code[:i]
	}
	return ""
}

// AccountTypeOf validates an account code and returns the type its root implies.
// Segments are lower-case letters, digits and underscores, starting with a letter.
func AccountTypeOf(code string) (AccountType, error) {
	if code == "" {
		return "", Errorf(EINVALID, "account is required (a code such as assets:bank:eur)")
	}
	if len(code) > 200 {
		return "", Errorf(EINVALID, "account code %.20q... is longer than 200 characters", code)
	}
	segs := strings.Split(code, ":")
	for _, s := range segs {
		if !validSegment(s) {
			return "", Errorf(EINVALID, "account code %q: each segment must be lower-case letters, digits or _ and start with a letter", code)
		}
	}
	t, ok := rootTypes[segs[0]]
	if !ok {
		return "", Errorf(EINVALID, "account code %q must start with assets, liabilities, equity, income or expenses", code)
	}
	return t, nil
}

func validSegment(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Validate checks the account's code, name and type agree.
func (a Account) Validate() error {
	t, err := AccountTypeOf(a.Code)
	if err != nil {
		return err
	}
	if a.Type != t {
		return Errorf(EINVALID, "account %s: type must be %s for a code under %s", a.Code, t, strings.SplitN(a.Code, ":", 2)[0])
	}
	if strings.TrimSpace(a.Name) == "" {
		return Errorf(EINVALID, "account %s: name is required", a.Code)
	}
	if err := checkText("name", a.Name, 200); err != nil {
		return err
	}
	return nil
}

// Well-known accounts the application posts to.
const (
	AccountCash         = "assets:cash"
	AccountCheques      = "assets:cheques_in_transit"
	AccountBank         = "assets:bank"
	AccountConversion   = "equity:conversion"
	AccountOpening      = "equity:opening_balances"
	AccountGrants       = "expenses:grants"
	AccountBankFees     = "expenses:fees:bank"
	AccountDonations    = "income:donations"
	AccountStripeFees   = "expenses:fees:stripe"
	AccountStripeClear  = "assets:stripe"
	AccountBankTransit  = "assets:bank_in_transit"
	AccountInterfund    = "equity:interfund"
	AccountOtherIncome  = "income:other"
	AccountOtherExpense = "expenses:other"
)

// BankAccountCode is the code of the bank account that holds currency cur,
// such as "assets:bank:eur".
func BankAccountCode(cur Currency) string {
	return AccountBank + ":" + strings.ToLower(cur.Code)
}

// DefaultChart is the chart of accounts created with the first fund. Bank
// accounts for other currencies are opened on first use (see BankAccountCode).
func DefaultChart(fundCurrency Currency) []Account {
	chart := []Account{
		{"assets", "Assets", Asset},
		{AccountBank, "Bank accounts", Asset},
		{BankAccountCode(fundCurrency), "Bank account (" + fundCurrency.Code + ")", Asset},
		{AccountCash, "Cash in hand", Asset},
		{AccountCheques, "Cheques received, not yet cleared", Asset},
		{AccountStripeClear, "Stripe balance (clearing)", Asset},
		{AccountBankTransit, "Bank transfers in transit", Asset},
		{"liabilities", "Liabilities", Liability},
		{"liabilities:grants_payable", "Grants approved, not yet paid", Liability},
		{"equity", "Equity", Equity},
		{AccountOpening, "Opening balances", Equity},
		{AccountConversion, "Currency conversion", Equity},
		{AccountInterfund, "Transfers between funds", Equity},
		{"income", "Income", Income},
		{AccountDonations, "Donations", Income},
		{AccountDonations + ":bank_transfer", "Donations by bank transfer", Income},
		{AccountDonations + ":cash", "Donations in cash", Income},
		{AccountDonations + ":cheque", "Donations by cheque", Income},
		{AccountDonations + ":organisation", "Donations from organisations", Income},
		{AccountDonations + ":card", "Donations by card", Income},
		{AccountDonations + ":collection", "Street collections", Income},
		{AccountOtherIncome, "Other income", Income},
		{"expenses", "Expenses", Expense},
		{AccountGrants, "Hardship grants", Expense},
		{"expenses:fees", "Fees", Expense},
		{AccountBankFees, "Bank fees", Expense},
		{AccountStripeFees, "Card processing fees (Stripe)", Expense},
		{AccountOtherExpense, "Other expenses", Expense},
	}
	if fundCurrency.Code != "EUR" {
		eur := currencies["EUR"]
		chart = append(chart, Account{BankAccountCode(eur), "Bank account (EUR)", Asset})
	}
	return chart
}
