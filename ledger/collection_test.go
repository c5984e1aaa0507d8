package ledger_test

import (
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

func validCollection(t *testing.T) *ledger.Collection {
	t.Helper()
	return &ledger.Collection{
		ID: "c-1", Fund: "zhanaozen", Place: " Hamburg ", CollectedOn: day("2011-09-03"),
		Collectors:     []string{" Anna Berg ", "Jens Ohl"},
		Counts:         []ledger.Money{money(t, "35.5", "GBP"), money(t, "200", "EUR")},
		CountedBy:      [2]string{"Anna Berg", " Jens Ohl"},
		IdempotencyKey: "col-1",
	}
}

func TestCollectionValidate(t *testing.T) {
	c := validCollection(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Place != "Hamburg" || c.Collectors[0] != "Anna Berg" || c.CountedBy[1] != "Jens Ohl" {
		t.Errorf("not trimmed: %+v", c)
	}
	if c.Counts[0].Currency.Code != "EUR" || c.Recounted {
		t.Errorf("counts not sorted by currency, or recounted without a recount: %+v", c)
	}
	if got, want := c.PublicLabel(), "Street collection, Hamburg, 2011-09-03: 200.00 EUR + 35.50 GBP"; got != want {
		t.Errorf("label = %q, want %q", got, want)
	}

	c = validCollection(t)
	c.Recount = []ledger.Money{money(t, "200.00", "EUR"), money(t, "35.50", "GBP")}
	if err := c.Validate(); err != nil || !c.Recounted {
		t.Fatalf("a matching recount: %v, recounted %v", err, c.Recounted)
	}

	for _, tc := range []struct {
		name string
		mut  func(*ledger.Collection)
		subs []string
	}{
		{"no fund", func(c *ledger.Collection) { c.Fund = "" }, []string{"fund:"}},
		{"no place", func(c *ledger.Collection) { c.Place = " " }, []string{"place is required"}},
		{"no date", func(c *ledger.Collection) { c.CollectedOn = day("0001-01-01") }, []string{"collected_on"}},
		{"no collectors", func(c *ledger.Collection) { c.Collectors = nil }, []string{"collectors must name between 1 and 20 people, got 0"}},
		{"21 collectors", func(c *ledger.Collection) { c.Collectors = make([]string, 21) }, []string{"got 21"}},
		{"blank collector", func(c *ledger.Collection) { c.Collectors[1] = "  " }, []string{"collectors[1] is empty"}},
		{"no first counter", func(c *ledger.Collection) { c.CountedBy[0] = "" }, []string{"counted_by[0] is required"}},
		{"no second counter", func(c *ledger.Collection) { c.CountedBy[1] = " " }, []string{"counted_by[1] is required"}},
		{"one counter twice", func(c *ledger.Collection) { c.CountedBy = [2]string{"Anna Berg", "anna berg "} }, []string{"two different people"}},
		{"no counts", func(c *ledger.Collection) { c.Counts = nil }, []string{"counts: give at least one amount"}},
		{"zero count", func(c *ledger.Collection) { c.Counts[1].Amount = dec("0") }, []string{"counts[1].amount must be greater than zero"}},
		{"a currency twice", func(c *ledger.Collection) { c.Counts[1] = money(t, "1", "GBP") }, []string{"counts[1].currency: GBP is already given"}},
		{"recount differs", func(c *ledger.Collection) {
			c.Recount = []ledger.Money{money(t, "199.50", "EUR"), money(t, "35.50", "GBP")}
		}, []string{"recount does not match counts", "EUR 199.50 instead of 200.00", "count again"}},
		{"recount misses a currency", func(c *ledger.Collection) { c.Recount = []ledger.Money{money(t, "200", "EUR")} }, []string{"GBP 0.00 instead of 35.50"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCollection(t)
			tc.mut(c)
			err := c.Validate()
			wantInvalid(t, err, tc.subs...)
			for _, pii := range []string{"Anna", "Jens"} {
				if strings.Contains(ledger.ErrorMessage(err), pii) {
					t.Errorf("error message %q names a person", ledger.ErrorMessage(err))
				}
			}
		})
	}
}

func TestCollectionTransaction(t *testing.T) {
	c := validCollection(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tx := c.Transaction()
	if err := tx.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"assets:cash EUR 200", "income:donations:collection EUR -200",
		"assets:cash GBP 35.5", "income:donations:collection GBP -35.5",
	}
	if len(tx.Postings) != len(want) {
		t.Fatalf("postings %+v", tx.Postings)
	}
	for i, p := range tx.Postings {
		if got := p.Account + " " + p.Currency.Code + " " + p.Amount.String(); got != want[i] || p.Fund != "zhanaozen" {
			t.Errorf("posting %d = %s in %s, want %s", i, got, p.Fund, want[i])
		}
	}
	// Personal data never enters the transaction, which the chain keeps forever.
	all := tx.Description
	for k, v := range tx.Metadata {
		all += " " + k + " " + v
	}
	for _, name := range append(c.Collectors, c.CountedBy[:]...) {
		if strings.Contains(all, name) {
			t.Errorf("transaction carries %q: %s", name, all)
		}
	}
}

func TestBankCashTransaction(t *testing.T) {
	amounts := []ledger.Money{money(t, "200", "EUR"), money(t, "35.50", "GBP")}
	tx := ledger.BankCashTransaction("zhanaozen", amounts, day("2011-09-05"), "Cash paid into the bank")
	tx.IdempotencyKey = "bank-1"
	if err := tx.Validate(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range tx.Postings {
		got[p.Account+" "+p.Currency.Code] = p.Amount.String()
	}
	want := map[string]string{"assets:bank:eur EUR": "200", "assets:cash EUR": "-200", "assets:bank:gbp GBP": "35.5", "assets:cash GBP": "-35.5"}
	if len(got) != len(want) {
		t.Fatalf("postings %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	wantInvalid(t, ledger.ValidateCashAmounts(nil), "amounts: give at least one amount")
}
