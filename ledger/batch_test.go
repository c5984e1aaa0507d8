package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

func money(t *testing.T, amount, cur string) ledger.Money {
	t.Helper()
	m, err := ledger.ParseMoney(amount, cur)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// validBatch expects 12 entries totalling 1480.00 EUR + 200.00 GBP.
func validBatch(t *testing.T) *ledger.Batch {
	t.Helper()
	return &ledger.Batch{
		Fund: "zhanaozen", Description: "  Cheques from the Hamburg meeting ",
		Expected: ledger.ControlTotals{Count: 12, Totals: []ledger.Money{money(t, "200.00", "GBP"), money(t, "1480", "EUR")}},
	}
}

func TestBatchValidate(t *testing.T) {
	b := validBatch(t)
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Channel != ledger.ChannelBankTransfer {
		t.Errorf("channel = %q, want bank_transfer by default", b.Channel)
	}
	if b.Description != "Cheques from the Hamburg meeting" {
		t.Errorf("description not trimmed: %q", b.Description)
	}
	if got := b.Expected.String(); got != "12 entries, 1480.00 EUR + 200.00 GBP" {
		t.Errorf("expected totals = %q, sorted by currency", got)
	}

	for _, tc := range []struct {
		name string
		mut  func(*ledger.Batch)
		subs []string
	}{
		{"no fund", func(b *ledger.Batch) { b.Fund = "" }, []string{"fund:"}},
		{"card channel", func(b *ledger.Batch) { b.Channel = ledger.ChannelCard }, []string{`channel "card" is not one of`}},
		{"no description", func(b *ledger.Batch) { b.Description = "  " }, []string{"description is required"}},
		{"long description", func(b *ledger.Batch) { b.Description = strings.Repeat("x", 501) }, []string{"description", "at most 500"}},
		{"zero count", func(b *ledger.Batch) { b.Expected.Count = 0 }, []string{"expected_count must be between 1 and 1000, got 0"}},
		{"count too large", func(b *ledger.Batch) { b.Expected.Count = 1001 }, []string{"expected_count"}},
		{"no totals", func(b *ledger.Batch) { b.Expected.Totals = nil }, []string{"expected_totals: give at least one amount"}},
		{"zero total", func(b *ledger.Batch) { b.Expected.Totals[0].Amount = dec("0") }, []string{"expected_totals[0].amount must be greater than zero"}},
		{"too many decimals", func(b *ledger.Batch) { b.Expected.Totals[1].Amount = dec("1480.001") }, []string{"expected_totals[1].amount", "EUR"}},
		{"a currency twice", func(b *ledger.Batch) { b.Expected.Totals[1] = money(t, "5", "GBP") }, []string{"expected_totals[1].currency: GBP is already given in expected_totals[0]"}},
		{"no currency", func(b *ledger.Batch) { b.Expected.Totals[0].Currency = ledger.Currency{} }, []string{"expected_totals[0].currency is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := validBatch(t)
			tc.mut(b)
			wantInvalid(t, b.Validate(), tc.subs...)
		})
	}
}

func TestBatchValidateEntry(t *testing.T) {
	b := validBatch(t)
	b.Channel = ledger.ChannelCheque
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	e := &ledger.BatchEntry{Donation: ledger.Donation{Fund: "other", Amount: money(t, "50", "EUR"), ReceivedOn: day("2011-12-20"),
		Donor: ledger.Donor{Name: "Ana"}}}
	if err := b.ValidateEntry(e); err != nil {
		t.Fatal(err)
	}
	if e.Donation.Fund != "zhanaozen" || e.Donation.Channel != ledger.ChannelCheque || e.Donation.Acknowledgement.Display != ledger.AckAnonymous {
		t.Errorf("entry not prepared as a donation of the batch: %+v", e.Donation)
	}
	e.Donation.Channel = ledger.ChannelCard
	wantInvalid(t, b.ValidateEntry(e), `channel "card" is not one of`)
	e.Donation.Channel = ledger.ChannelOrganisation
	wantInvalid(t, b.ValidateEntry(e), "donor.organisation is required")
}

// entries returns a batch's entries with the given amounts ("50.00 EUR").
func entries(t *testing.T, amounts ...string) []ledger.BatchEntry {
	t.Helper()
	var out []ledger.BatchEntry
	for _, a := range amounts {
		amt, cur, _ := strings.Cut(a, " ")
		out = append(out, ledger.BatchEntry{Donation: ledger.Donation{Amount: money(t, amt, cur)}})
	}
	return out
}

func TestBatchCheckClose(t *testing.T) {
	expected := ledger.ControlTotals{Count: 3, Totals: []ledger.Money{money(t, "1480.00", "EUR"), money(t, "200.00", "GBP")}}
	for _, tc := range []struct {
		name    string
		entries []string
		reason  string
		matched bool
		diffs   []string // nil: no error
	}{
		{"match", []string{"1000 EUR", "480.00 EUR", "200 GBP"}, "", true, nil},
		{"match, reason given anyway", []string{"1000 EUR", "480.00 EUR", "200 GBP"}, "recorded for the minutes", true, nil},
		{"count", []string{"1480 EUR", "200 GBP"}, "", false, []string{"count 2 instead of 3"}},
		{"one cent", []string{"1000 EUR", "479.99 EUR", "200 GBP"}, "", false, []string{"EUR 1479.99 instead of 1480.00"}},
		{"missing currency", []string{"1000 EUR", "400 EUR", "80 EUR"}, "", false, []string{"GBP 0.00 instead of 200.00"}},
		{"unexpected currency", []string{"1000 EUR", "480 EUR", "200 GBP", "5 USD"}, "", false, []string{"count 4 instead of 3", "USD 5.00 instead of 0.00"}},
		{"override", []string{"1480 EUR", "200 GBP"}, "one cheque was lost in the post", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &ledger.Batch{Expected: expected, Entries: entries(t, tc.entries...)}
			matched, err := b.CheckClose(tc.reason)
			if tc.diffs == nil {
				if err != nil || matched != tc.matched {
					t.Fatalf("CheckClose = %v, %v; want %v, nil", matched, err, tc.matched)
				}
				return
			}
			var mm *ledger.ControlMismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("CheckClose error = %v, want a *ControlMismatchError", err)
			}
			if ledger.ErrorCode(err) != ledger.ECONFLICT {
				t.Errorf("code = %q, want conflict", ledger.ErrorCode(err))
			}
			msg := ledger.ErrorMessage(err)
			for _, want := range append([]string{"expected 3 entries, 1480.00 EUR + 200.00 GBP", "override_reason"}, tc.diffs...) {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			if got := mm.Differences(); strings.Join(got, "|") != strings.Join(tc.diffs, "|") {
				t.Errorf("differences = %q, want %q", got, tc.diffs)
			}
		})
	}
}

func TestNormaliseOverrideReason(t *testing.T) {
	if r, err := ledger.NormaliseOverrideReason("   "); r != "" || err != nil {
		t.Errorf("blank reason = %q, %v; want no override", r, err)
	}
	if r, err := ledger.NormaliseOverrideReason(" Lost cheque ✉ "); r != "Lost cheque ✉" || err != nil {
		t.Errorf("reason = %q, %v", r, err)
	}
	_, err := ledger.NormaliseOverrideReason(" too short ")
	wantInvalid(t, err, "override_reason must be at least 10 characters, got 9")
	_, err = ledger.NormaliseOverrideReason("ошибка ✉")
	wantInvalid(t, err, "at least 10 characters, got 8")
	_, err = ledger.NormaliseOverrideReason(strings.Repeat("x", 1001))
	wantInvalid(t, err, "override_reason", "at most 1000")
}

func TestControlTotalsString(t *testing.T) {
	for _, tc := range []struct {
		c    ledger.ControlTotals
		want string
	}{
		{ledger.ControlTotals{}, "0 entries, no money"},
		{ledger.ControlTotals{Count: 1, Totals: []ledger.Money{money(t, "5", "JPY")}}, "1 entry, 5 JPY"},
		{ledger.ControlTotals{Count: 2, Totals: []ledger.Money{money(t, "1.5", "KWD"), money(t, "3", "EUR")}}, "2 entries, 1.500 KWD + 3.00 EUR"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
