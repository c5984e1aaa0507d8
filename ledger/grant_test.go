package ledger_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

func validGrant(t *testing.T) *ledger.Grant {
	t.Helper()
	return &ledger.Grant{
		Ref: "G-2011-027", Fund: "zhanaozen", Amount: money(t, "150000.00", "KZT"), Category: " food ",
		Justification: "  Food for a family of five  ", Round: 1, ApprovalsRequired: 2,
		OpenedBy: ledger.Actor{MemberID: 1, Name: "Aigul"},
	}
}

func TestGrantRef(t *testing.T) {
	for _, tc := range []struct {
		year, seq int
		want      string
	}{{2011, 27, "G-2011-027"}, {2012, 1, "G-2012-001"}, {2012, 999, "G-2012-999"}, {2012, 1000, "G-2012-1000"}} {
		if got := ledger.GrantRef(tc.year, tc.seq); got != tc.want {
			t.Errorf("GrantRef(%d, %d) = %s, want %s", tc.year, tc.seq, got, tc.want)
		}
		if err := ledger.ValidateGrantRef(tc.want); err != nil {
			t.Errorf("ValidateGrantRef(%s): %v", tc.want, err)
		}
	}
	for _, bad := range []string{"", "G-2011-27", "g-2011-027", "G-11-027", "G-2011-027 ", "G-2011-0270000", "../G-2011-027"} {
		if ledger.ErrorCode(ledger.ValidateGrantRef(bad)) != ledger.ENOTFOUND {
			t.Errorf("ValidateGrantRef(%q) accepted", bad)
		}
	}
}

func TestGrantValidate(t *testing.T) {
	g := validGrant(t)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if g.Category != ledger.GrantFood || g.Justification != "Food for a family of five" {
		t.Fatalf("not normalised: %q %q", g.Category, g.Justification)
	}
	for _, tc := range []struct {
		name   string
		change func(*ledger.Grant)
		want   string
	}{
		{"fund", func(g *ledger.Grant) { g.Fund = "" }, "fund"},
		{"zero", func(g *ledger.Grant) { g.Amount.Amount = dec("0") }, "greater than zero"},
		{"negative", func(g *ledger.Grant) { g.Amount.Amount = dec("-5") }, "greater than zero"},
		{"decimals", func(g *ledger.Grant) { g.Amount.Amount = dec("1.001") }, "decimal places"},
		{"no currency", func(g *ledger.Grant) { g.Amount.Currency = ledger.Currency{} }, "currency is required"},
		{"category", func(g *ledger.Grant) { g.Category = "holiday" }, "rent, "},
		{"no category", func(g *ledger.Grant) { g.Category = "" }, "category is required"},
		{"justification", func(g *ledger.Grant) { g.Justification = "  " }, "justification is required"},
		{"long", func(g *ledger.Grant) { g.Justification = strings.Repeat("x", 501) }, "at most 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := validGrant(t)
			tc.change(g)
			wantInvalid(t, g.Validate(), tc.want)
		})
	}
	for _, c := range ledger.GrantCategories {
		if got, err := ledger.ParseGrantCategory(string(c)); err != nil || got != c {
			t.Errorf("ParseGrantCategory(%s) = %s, %v", c, got, err)
		}
	}
}

func TestParseGrantApprovals(t *testing.T) {
	for in, want := range map[string]int{"": 2, "1": 1, " 3 ": 3, "20": 20} {
		if got, err := ledger.ParseGrantApprovals(in); err != nil || got != want {
			t.Errorf("ParseGrantApprovals(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "-1", "21", "two", "2.5"} {
		if _, err := ledger.ParseGrantApprovals(bad); err == nil {
			t.Errorf("ParseGrantApprovals(%q) accepted", bad)
		}
	}
}

func wantGrantErr(t *testing.T, err error, code string, sub string) {
	t.Helper()
	if ledger.ErrorCode(err) != code || !strings.Contains(ledger.ErrorMessage(err), sub) {
		t.Fatalf("got %v, want %s mentioning %q", err, code, sub)
	}
}

func TestGrantApprovalRules(t *testing.T) {
	var (
		opener   = ledger.Actor{MemberID: 1, Name: "Aigul"}
		bolat    = ledger.Actor{MemberID: 2, Name: "Bolat"}
		tamara   = ledger.Actor{MemberID: 3, Name: "Tamara"}
		dana     = ledger.Actor{MemberID: 4, Name: "Dana"}
		observer = ledger.Actor{MemberID: 5, Name: "Oleg"}
	)
	g := validGrant(t)
	wantGrantErr(t, g.CheckApprove(opener, ledger.RoleMember), ledger.EFORBIDDEN, "you opened")
	wantGrantErr(t, g.CheckApprove(observer, ledger.RoleObserver), ledger.EFORBIDDEN, "observer")
	wantGrantErr(t, g.CheckApprove(ledger.Actor{Name: "token"}, ledger.RoleTreasurer), ledger.EFORBIDDEN, "workspace")
	g.Recusals = []ledger.GrantRecusal{{MemberID: dana.MemberID}}
	wantGrantErr(t, g.CheckApprove(dana, ledger.RoleMember), ledger.EFORBIDDEN, "recused")
	wantGrantErr(t, g.CheckRecuse(dana, ledger.RoleMember), ledger.ECONFLICT, "already recused")
	wantGrantErr(t, g.CheckRecuse(observer, ledger.RoleObserver), ledger.EFORBIDDEN, "observer")
	if err := g.CheckApprove(bolat, ledger.RoleMember); err != nil {
		t.Fatal(err)
	}
	g.Approvals = append(g.Approvals, ledger.GrantApproval{Round: 1, MemberID: bolat.MemberID})
	wantGrantErr(t, g.CheckApprove(bolat, ledger.RoleMember), ledger.ECONFLICT, "already approved")
	wantGrantErr(t, g.CheckRecuse(bolat, ledger.RoleMember), ledger.ECONFLICT, "not withdrawn")
	if err := g.CheckApprove(tamara, ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	if g.Status() != ledger.GrantPending || !g.Payable().IsZero() {
		t.Fatalf("one approval: %s, payable %s", g.Status(), g.Payable())
	}
	wantGrantErr(t, g.CheckPayment(money(t, "1", "KZT")), ledger.ECONFLICT, "needs 2 approvals and has 1")

	// Approved: payable up to the amount, in parts.
	g.Approvals = append(g.Approvals, ledger.GrantApproval{Round: 1, MemberID: tamara.MemberID})
	g.ApprovedRound, g.ApprovedAmount = 1, g.Amount.Amount
	wantGrantErr(t, g.CheckApprove(ledger.Actor{MemberID: 9, Name: "Late"}, ledger.RoleMember), ledger.ECONFLICT, "already approved")
	if g.Status() != ledger.GrantApproved || !g.Payable().Equal(dec("150000")) {
		t.Fatalf("approved: %s, payable %s", g.Status(), g.Payable())
	}
	g.Paid = dec("100000")
	if err := g.CheckPayment(money(t, "50000", "KZT")); err != nil {
		t.Fatal(err)
	}
	wantGrantErr(t, g.CheckPayment(money(t, "50000.01", "KZT")), ledger.ECONFLICT, "at most 50000.00 KZT remains")
	g.Paid = dec("150000")
	if g.Status() != ledger.GrantPaid {
		t.Fatal(g.Status())
	}
	wantGrantErr(t, g.CheckPayment(money(t, "0.01", "KZT")), ledger.ECONFLICT, "paid in full")

	// A top-up starts round 2: nobody's earlier approval counts; its
	// requester cannot approve it.
	top := &ledger.GrantTopUp{Added: money(t, "40000", "KZT"), Reason: " The hospital asked for more ", By: bolat}
	if err := g.CheckTopUp(top); err != nil {
		t.Fatal(err)
	}
	if top.Round != 2 || !top.NewAmount.Equal(dec("190000")) || top.Reason != "The hospital asked for more" {
		t.Fatalf("top-up %+v", top)
	}
	g.TopUps = append(g.TopUps, *top)
	g.Round, g.Amount.Amount = 2, top.NewAmount
	if g.Status() != ledger.GrantPending || len(g.RoundApprovals()) != 0 {
		t.Fatalf("after the top-up: %s, %d approvals", g.Status(), len(g.RoundApprovals()))
	}
	wantGrantErr(t, g.CheckPayment(money(t, "1", "KZT")), ledger.ECONFLICT, "fresh approvals")
	wantGrantErr(t, g.CheckApprove(bolat, ledger.RoleMember), ledger.EFORBIDDEN, "top-up")
	if err := g.CheckApprove(tamara, ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, g.CheckTopUp(&ledger.GrantTopUp{Added: money(t, "10", "EUR"), Reason: "x"}), "KZT")
	wantInvalid(t, g.CheckTopUp(&ledger.GrantTopUp{Added: money(t, "10", "KZT")}), "reason is required")
	wantInvalid(t, g.CheckTopUp(&ledger.GrantTopUp{Added: money(t, "0", "KZT"), Reason: "x"}), "greater than zero")
}

func TestGrantCap(t *testing.T) {
	c := &ledger.GrantCap{Fund: "zhanaozen", Max: money(t, "200000", "KZT")}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ledger.CheckCap(money(t, "200000.00", "KZT"), c); err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, ledger.CheckCap(money(t, "200000.01", "KZT"), c), "above the cap of 200000.00 KZT")
	if err := ledger.CheckCap(money(t, "999999", "EUR"), c); err != nil {
		t.Fatal("a KZT cap limits EUR")
	}
	if err := ledger.CheckCap(money(t, "999999", "KZT"), nil); err != nil {
		t.Fatal("no cap limits")
	}
	wantInvalid(t, (&ledger.GrantCap{Fund: "zhanaozen", Max: money(t, "0", "KZT")}).Validate(), "greater than zero")
}

func TestGrantRecipient(t *testing.T) {
	r := ledger.GrantRecipient{Name: " Zhanar S. ", Town: "Zhanaozen", BankAccount: " KZ86125KZT5004100100 "}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Name != "Zhanar S." || r.BankAccount != "KZ86125KZT5004100100" {
		t.Fatalf("not trimmed: %#v", r)
	}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s", r, r, r, &r)} {
		if strings.Contains(s, "Zhanar") || strings.Contains(s, "KZ86") {
			t.Fatalf("formatting prints the recipient: %s", s)
		}
	}
	for _, tc := range []struct {
		r    ledger.GrantRecipient
		want string
	}{
		{ledger.GrantRecipient{Town: "Aktau", CashViaCommittee: true}, "name is required"},
		{ledger.GrantRecipient{Name: "X", CashViaCommittee: true}, "town is required"},
		{ledger.GrantRecipient{Name: "X", Town: "Aktau"}, "bank account"},
		{ledger.GrantRecipient{Name: "X", Town: "Aktau", BankAccount: "KZ1", CashViaCommittee: true}, "not both"},
		{ledger.GrantRecipient{Name: strings.Repeat("x", 201), Town: "Aktau", CashViaCommittee: true}, "at most 200"},
	} {
		err := tc.r.Validate()
		wantInvalid(t, err, tc.want)
		if strings.Contains(ledger.ErrorMessage(err), "xxxx") {
			t.Errorf("the error repeats what was typed: %v", err)
		}
	}
}

func TestGrantPaymentTransaction(t *testing.T) {
	g := validGrant(t)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	// Same currency: Dr expenses:grants / Cr the asset.
	p := &ledger.GrantPayment{Amount: money(t, "50000", "KZT"), From: "assets:bank:kzt", Date: day("2011-12-21"), IdempotencyKey: "pay-1"}
	if err := p.Validate(g); err != nil {
		t.Fatal(err)
	}
	if p.Paid != p.Amount {
		t.Fatalf("paid %v, want the amount", p.Paid)
	}
	tx := p.Transaction(g)
	if err := tx.Validate(); err != nil {
		t.Fatal(err)
	}
	if tx.Metadata["grant_ref"] != "G-2011-027" || len(tx.Postings) != 2 || tx.Postings[0].Account != ledger.AccountGrants ||
		!tx.Postings[1].Amount.Equal(dec("-50000")) || tx.Postings[1].Account != "assets:bank:kzt" {
		t.Fatalf("transaction %+v", tx)
	}
	// From EUR: through equity:conversion with both exact amounts.
	p = &ledger.GrantPayment{Amount: money(t, "196543.21", "KZT"), From: "assets:bank:eur", Paid: money(t, "1000.00", "EUR"), Date: day("2011-12-21"), IdempotencyKey: "pay-2"}
	if err := p.Validate(g); err != nil {
		t.Fatal(err)
	}
	tx = p.Transaction(g)
	if err := tx.Validate(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ps := range tx.Postings {
		got = append(got, fmt.Sprintf("%s %s %s %s", ps.Account, ps.Fund, ps.Amount, ps.Currency))
	}
	want := []string{"expenses:grants zhanaozen 196543.21 KZT", "equity:conversion zhanaozen -196543.21 KZT",
		"equity:conversion zhanaozen 1000 EUR", "assets:bank:eur zhanaozen -1000 EUR"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("postings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(tx.Description, "Food") {
		t.Fatalf("description %q says more than the reference", tx.Description)
	}

	for _, tc := range []struct {
		name string
		p    ledger.GrantPayment
		want string
	}{
		{"from income", ledger.GrantPayment{Amount: money(t, "1", "KZT"), From: "income:other"}, "not an asset account"},
		{"no account", ledger.GrantPayment{Amount: money(t, "1", "KZT")}, "paid_from is required"},
		{"wrong bank", ledger.GrantPayment{Amount: money(t, "1", "KZT"), From: "assets:bank:eur"}, "holds EUR"},
		{"other currency amount", ledger.GrantPayment{Amount: money(t, "1", "EUR"), From: "assets:cash"}, "grant G-2011-027 is in KZT"},
		{"no converted amount", ledger.GrantPayment{Amount: money(t, "1", "KZT"), From: "assets:bank:eur", Paid: ledger.Money{Currency: mustCurrency(t, "EUR")}}, "paid_amount"},
		{"same currency, another amount", ledger.GrantPayment{Amount: money(t, "1", "KZT"), From: "assets:cash", Paid: money(t, "2", "KZT")}, "differs"},
		{"zero", ledger.GrantPayment{Amount: money(t, "0", "KZT"), From: "assets:cash"}, "greater than zero"},
		{"no date", ledger.GrantPayment{Amount: money(t, "1", "KZT"), From: "assets:cash", IdempotencyKey: "k"}, "date is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p.IdempotencyKey == "" {
				p.Date, p.IdempotencyKey = day("2011-12-21"), "k"
			}
			wantInvalid(t, p.Validate(g), tc.want)
		})
	}
}
