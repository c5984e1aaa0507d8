package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func money(t testing.TB, amount, cur string) ledger.Money {
	t.Helper()
	m, err := ledger.ParseMoney(amount, cur)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cardBooks is books with a card service and one pledge of 100.00 EUR.
type cardBooks struct {
	*books
	cards  *postgres.CardService
	pledge *ledger.Pledge
}

func mustCardBooks(t *testing.T) *cardBooks {
	b := mustBooks(t)
	c := &cardBooks{books: b, cards: postgres.NewCardService(b.db, "")}
	c.pledge = &ledger.Pledge{Fund: "zhanaozen", Amount: money(t, "100.00", "EUR"),
		Donor:           ledger.Donor{Name: "Ingrid Svensson", Email: "ingrid@example.org", Country: "SE"},
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: true}, Message: "Solidarity from Kiruna"}
	if err := c.cards.CreatePledge(ctx, c.pledge); err != nil {
		t.Fatal(err)
	}
	return c
}

var t0 = time.Date(2011, 12, 20, 10, 0, 0, 0, time.UTC)

func (c *cardBooks) paid(t *testing.T, id, typ, pi string, gross, settled, fee ledger.Money) *ledger.StripeEvent {
	return &ledger.StripeEvent{ID: id, Type: typ, Created: t0, Payload: []byte(`{"id":"` + id + `"}`),
		Session: &ledger.CheckoutSession{ID: "cs_" + pi, PaymentStatus: "paid", PaymentIntent: pi, PledgeID: c.pledge.ID,
			Amount: gross, ChargeID: "ch_" + pi, Settlement: &ledger.BalanceTransaction{ID: "txn_" + pi, Amount: settled, Fee: fee, Category: "charge"}}}
}

func refunded(t *testing.T, id, pi, total, cur string, at time.Duration) *ledger.StripeEvent {
	return &ledger.StripeEvent{ID: id, Type: ledger.EventChargeRefunded, Created: t0.Add(at), Payload: []byte(`{"id":"` + id + `"}`),
		Charge: &ledger.CardCharge{ID: "ch_" + pi, PaymentIntent: pi, Amount: money(t, "100.00", cur), AmountRefunded: money(t, total, cur)}}
}

func (c *cardBooks) apply(t *testing.T, ev *ledger.StripeEvent, want ledger.StripeOutcome) {
	t.Helper()
	got, err := c.cards.ApplyStripeEvent(ctx, ev)
	if err != nil || got != want {
		t.Fatalf("apply %s (%s): %q %v, want %q", ev.ID, ev.Type, got, err, want)
	}
}

// sound checks the books after a card scenario and returns the balances of
// the fund's card accounts, per account and currency.
func (c *cardBooks) sound(t *testing.T) map[string]string {
	t.Helper()
	c.mustZeroTrialBalance(t)
	c.mustVerify(t)
	bals, err := c.bals.Balances(ctx, ledger.BalanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, b := range bals {
		out[b.Fund+" "+b.Account+" "+b.Currency.Code] = b.Amount.StringFixed(b.Currency.Exponent)
	}
	return out
}

func TestCardDonationBooked(t *testing.T) {
	c := mustCardBooks(t)
	ev := c.paid(t, "evt_1", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR"))
	c.apply(t, ev, ledger.OutcomeApplied)
	c.apply(t, ev, ledger.OutcomeDuplicate)
	// async_payment_succeeded for the same payment books nothing more.
	c.apply(t, c.paid(t, "evt_2", ledger.EventSessionAsyncSuccess, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR")), ledger.OutcomeApplied)
	got := c.sound(t)
	want := map[string]string{
		"zhanaozen income:donations:card EUR": "-100.00",
		"zhanaozen assets:stripe EUR":         "98.35",
		"zhanaozen expenses:fees:stripe EUR":  "1.65",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v", got, want)
	}
	p, err := c.cards.FindPledge(ctx, c.pledge.ID)
	if err != nil || p.Status != ledger.PledgePaid {
		t.Fatalf("pledge %+v %v", p, err)
	}
	var donor, channel string
	c.db.Pool.QueryRow(ctx, `select donor_name, channel from donations where pledge_id = $1`, c.pledge.ID).Scan(&donor, &channel)
	if donor != "Ingrid Svensson" || channel != "card" {
		t.Fatalf("donation row: %q %q", donor, channel)
	}
	if seen, _ := c.cards.StripeEventSeen(ctx, "evt_1"); !seen {
		t.Fatal("evt_1 not seen")
	}
}

func TestCardDonationSettledInAnotherCurrency(t *testing.T) {
	c := mustCardBooks(t)
	// 100.00 EUR charged, Stripe settled 86.12 GBP and kept a 1.50 GBP fee.
	c.apply(t, c.paid(t, "evt_1", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "86.12", "GBP"), money(t, "1.50", "GBP")), ledger.OutcomeApplied)
	got := c.sound(t)
	want := map[string]string{
		"zhanaozen income:donations:card EUR": "-100.00",
		"zhanaozen equity:conversion EUR":     "100.00",
		"zhanaozen equity:conversion GBP":     "-86.12",
		"zhanaozen assets:stripe GBP":         "84.62",
		"zhanaozen expenses:fees:stripe GBP":  "1.50",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v", got, want)
	}
}

// A payment made outside fundledger (a Payment Link, say) is booked to the
// fund its metadata names, or to the default fund, anonymously.
func TestCardPaymentWithoutPledge(t *testing.T) {
	c := mustCardBooks(t)
	c.mustFund(t, "legal-defence", "GBP")
	ev := c.paid(t, "evt_1", ledger.EventSessionCompleted, "pi_1", money(t, "20.00", "GBP"), money(t, "20.00", "GBP"), money(t, "0.50", "GBP"))
	ev.Session.PledgeID, ev.Session.FundSlug = "", "legal-defence"
	c.apply(t, ev, ledger.OutcomeApplied)
	ev2 := c.paid(t, "evt_2", ledger.EventSessionCompleted, "pi_2", money(t, "5.00", "EUR"), money(t, "5.00", "EUR"), money(t, "0.33", "EUR"))
	ev2.Session.PledgeID, ev2.Session.FundSlug = "not-a-uuid", "no-such-fund"
	c.apply(t, ev2, ledger.OutcomeApplied)
	got := c.sound(t)
	if got["legal-defence income:donations:card GBP"] != "-20.00" || got["zhanaozen income:donations:card EUR"] != "-5.00" {
		t.Fatalf("balances %v", got)
	}
	var anon int
	c.db.Pool.QueryRow(ctx, `select count(*) from donations where channel = 'card' and ack_display = 'anonymous' and donor_name = ''`).Scan(&anon)
	if anon != 2 {
		t.Fatalf("%d anonymous card donations, want 2", anon)
	}
}

func TestCardSessionWithoutMoney(t *testing.T) {
	c := mustCardBooks(t)
	ev := c.paid(t, "evt_1", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "0", "EUR"))
	ev.Session.PaymentStatus, ev.Session.Settlement = "unpaid", nil // a bank debit, still processing
	c.apply(t, ev, ledger.OutcomeApplied)
	failed := *ev
	failed.ID, failed.Type = "evt_2", ledger.EventSessionAsyncFailed
	c.apply(t, &failed, ledger.OutcomeApplied)
	p, _ := c.cards.FindPledge(ctx, c.pledge.ID)
	if p.Status != ledger.PledgeFailed {
		t.Fatalf("pledge status %s, want failed", p.Status)
	}
	if got := c.sound(t); len(got) != 0 {
		t.Fatalf("an unpaid session booked money: %v", got)
	}
	// A paid session whose settlement Stripe has not told us is retried later.
	ev3 := c.paid(t, "evt_3", ledger.EventSessionCompleted, "pi_3", money(t, "1.00", "EUR"), money(t, "1.00", "EUR"), money(t, "0", "EUR"))
	ev3.Session.Settlement = nil
	if _, err := c.cards.ApplyStripeEvent(ctx, ev3); ledger.ErrorCode(err) != ledger.EUNAVAILABLE {
		t.Fatalf("unsettled session: %v, want unavailable", err)
	}
	if seen, _ := c.cards.StripeEventSeen(ctx, "evt_3"); seen {
		t.Fatal("a failed event was marked seen; Stripe's retry would be dropped")
	}
}

// The same events in any order give the same balances: a refund arriving
// before its payment waits for it.
func TestCardRefundsInAnyOrder(t *testing.T) {
	events := func(t *testing.T, c *cardBooks) []*ledger.StripeEvent {
		return []*ledger.StripeEvent{
			c.paid(t, "evt_paid", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR")),
			refunded(t, "evt_partial", "pi_1", "30.00", "EUR", time.Hour),
			refunded(t, "evt_full", "pi_1", "100.00", "EUR", 2*time.Hour),
		}
	}
	var results []map[string]string
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			c := mustCardBooks(t)
			evs := events(t, c)
			for _, i := range order {
				out, err := c.cards.ApplyStripeEvent(ctx, evs[i])
				if err != nil {
					t.Fatal(err)
				}
				if out == ledger.OutcomeApplied && i == 0 {
					// The payment is booked: apply what waited for it.
					waiting, err := c.cards.DeferredStripeEvents(ctx, "pi_1")
					if err != nil {
						t.Fatal(err)
					}
					for _, raw := range waiting {
						for _, e := range evs {
							if string(e.Payload) == string(raw) {
								c.apply(t, e, ledger.OutcomeApplied)
							}
						}
					}
				}
			}
			got := c.sound(t)
			results = append(results, got)
			// net = gross - fees - refunds
			if got["zhanaozen assets:stripe EUR"] != "-1.65" || got["zhanaozen income:donations:card EUR"] != "" {
				t.Fatalf("balances after a full refund: %v", got)
			}
		})
	}
	for i := range results {
		if fmt.Sprint(results[i]) != fmt.Sprint(results[0]) {
			t.Fatalf("order %d gave %v, order 0 gave %v", i, results[i], results[0])
		}
	}
}

func TestCardRefundFailed(t *testing.T) {
	c := mustCardBooks(t)
	c.apply(t, c.paid(t, "evt_paid", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR")), ledger.OutcomeApplied)
	c.apply(t, refunded(t, "evt_ref", "pi_1", "40.00", "EUR", time.Hour), ledger.OutcomeApplied)
	failed := &ledger.StripeEvent{ID: "evt_fail", Type: ledger.EventRefundUpdated, Created: t0.Add(2 * time.Hour), Payload: []byte(`{}`),
		Refund: &ledger.CardRefund{ID: "re_1", Charge: "ch_pi_1", PaymentIntent: "pi_1", Status: "failed", Amount: money(t, "40.00", "EUR")}}
	c.apply(t, failed, ledger.OutcomeApplied)
	got := c.sound(t)
	if got["zhanaozen income:donations:card EUR"] != "-100.00" || got["zhanaozen assets:stripe EUR"] != "98.35" {
		t.Fatalf("after a failed refund: %v", got)
	}
}

func TestCardDisputes(t *testing.T) {
	dispute := func(t *testing.T, id, typ, status string, bts ...ledger.BalanceTransaction) *ledger.StripeEvent {
		return &ledger.StripeEvent{ID: id, Type: typ, Created: t0.Add(24 * time.Hour), Payload: []byte(`{}`),
			Dispute: &ledger.CardDispute{ID: "dp_1", Charge: "ch_pi_1", PaymentIntent: "pi_1", Status: status, Amount: money(t, "100.00", "EUR"), BalanceTransactions: bts}}
	}
	withdrawal := ledger.BalanceTransaction{ID: "txn_dw", Amount: money(t, "-100.00", "EUR"), Fee: money(t, "15.00", "EUR"), Category: "dispute"}
	reinstatement := ledger.BalanceTransaction{ID: "txn_dr", Amount: money(t, "100.00", "EUR"), Fee: money(t, "-15.00", "EUR"), Category: "dispute_reversal"}

	t.Run("lost", func(t *testing.T) {
		c := mustCardBooks(t)
		c.apply(t, c.paid(t, "evt_paid", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR")), ledger.OutcomeApplied)
		c.apply(t, dispute(t, "evt_c", ledger.EventDisputeCreated, "needs_response"), ledger.OutcomeApplied)
		c.apply(t, dispute(t, "evt_w", ledger.EventDisputeFundsWithdraw, "needs_response", withdrawal), ledger.OutcomeApplied)
		c.apply(t, dispute(t, "evt_l", ledger.EventDisputeClosed, "lost", withdrawal), ledger.OutcomeApplied)
		got := c.sound(t)
		if got["zhanaozen assets:stripe EUR"] != "-16.65" || got["zhanaozen expenses:fees:stripe EUR"] != "16.65" {
			t.Fatalf("after a lost dispute: %v", got)
		}
	})
	t.Run("won", func(t *testing.T) {
		c := mustCardBooks(t)
		// The withdrawal arrives before the payment: it waits.
		c.apply(t, dispute(t, "evt_w", ledger.EventDisputeFundsWithdraw, "needs_response", withdrawal), ledger.OutcomeDeferred)
		c.apply(t, c.paid(t, "evt_paid", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR")), ledger.OutcomeApplied)
		if waiting, _ := c.cards.DeferredStripeEvents(ctx, "pi_1"); len(waiting) != 1 {
			t.Fatalf("%d deferred events, want 1", len(waiting))
		}
		c.apply(t, dispute(t, "evt_w", ledger.EventDisputeFundsWithdraw, "needs_response", withdrawal), ledger.OutcomeApplied)
		c.apply(t, dispute(t, "evt_r", ledger.EventDisputeReinstated, "won", withdrawal, reinstatement), ledger.OutcomeApplied)
		got := c.sound(t)
		if got["zhanaozen assets:stripe EUR"] != "98.35" || got["zhanaozen income:donations:card EUR"] != "-100.00" {
			t.Fatalf("after a won dispute: %v", got)
		}
	})
}

func TestCardPayouts(t *testing.T) {
	c := mustCardBooks(t)
	c.mustFund(t, "karaganda", "EUR")
	c.apply(t, c.paid(t, "evt_a", ledger.EventSessionCompleted, "pi_a", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "0", "EUR")), ledger.OutcomeApplied)
	b := c.paid(t, "evt_b", ledger.EventSessionCompleted, "pi_b", money(t, "50.00", "EUR"), money(t, "50.00", "EUR"), money(t, "0", "EUR"))
	b.Session.PledgeID, b.Session.FundSlug = "", "karaganda"
	c.apply(t, b, ledger.OutcomeApplied)
	payout := func(id, typ string) *ledger.StripeEvent {
		return &ledger.StripeEvent{ID: id, Type: typ, Created: t0.Add(48 * time.Hour), Payload: []byte(`{}`),
			Payout: &ledger.Payout{ID: "po_1", Status: "paid", Amount: money(t, "100.01", "EUR")}}
	}
	c.apply(t, payout("evt_p", ledger.EventPayoutPaid), ledger.OutcomeApplied)
	got := c.sound(t)
	// 100.01 split 2:1 to the minor unit: 66.67 and 33.34.
	if got["zhanaozen assets:bank_in_transit EUR"] != "66.67" || got["karaganda assets:bank_in_transit EUR"] != "33.34" ||
		got["zhanaozen assets:stripe EUR"] != "33.33" || got["karaganda assets:stripe EUR"] != "16.66" {
		t.Fatalf("after payout: %v", got)
	}
	c.apply(t, payout("evt_f", ledger.EventPayoutFailed), ledger.OutcomeApplied)
	got = c.sound(t)
	if got["zhanaozen assets:bank_in_transit EUR"] != "" || got["zhanaozen assets:stripe EUR"] != "100.00" {
		t.Fatalf("after payout failed: %v", got)
	}
	// A payout that fails before we hear it was paid moves nothing.
	c.apply(t, &ledger.StripeEvent{ID: "evt_f2", Type: ledger.EventPayoutFailed, Created: t0, Payload: []byte(`{}`),
		Payout: &ledger.Payout{ID: "po_2", Status: "failed", Amount: money(t, "10.00", "EUR")}}, ledger.OutcomeApplied)
	c.apply(t, &ledger.StripeEvent{ID: "evt_p2", Type: ledger.EventPayoutPaid, Created: t0, Payload: []byte(`{}`),
		Payout: &ledger.Payout{ID: "po_2", Status: "paid", Amount: money(t, "10.00", "EUR")}}, ledger.OutcomeApplied)
	if got2 := c.sound(t); fmt.Sprint(got2) != fmt.Sprint(got) {
		t.Fatalf("a failed-then-paid payout moved money: %v", got2)
	}
}

func TestCardConcurrentDeliveries(t *testing.T) {
	c := mustCardBooks(t)
	ev := c.paid(t, "evt_1", ledger.EventSessionCompleted, "pi_1", money(t, "100.00", "EUR"), money(t, "100.00", "EUR"), money(t, "1.65", "EUR"))
	var wg sync.WaitGroup
	outs := make([]ledger.StripeOutcome, 50)
	errs := make([]error, 50)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i], errs[i] = c.cards.ApplyStripeEvent(ctx, ev)
		}(i)
	}
	wg.Wait()
	applied := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if outs[i] == ledger.OutcomeApplied {
			applied++
		}
	}
	if applied != 1 {
		t.Fatalf("%d deliveries applied, want exactly 1: %v", applied, outs)
	}
	var n int
	c.db.Pool.QueryRow(ctx, `select count(*) from donations where channel = 'card'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d card donations, want 1", n)
	}
	c.sound(t)
}

func TestCardUnhandledEvent(t *testing.T) {
	c := mustCardBooks(t)
	c.apply(t, &ledger.StripeEvent{ID: "evt_x", Type: "customer.created", Created: t0, Payload: []byte(`{}`)}, ledger.OutcomeIgnored)
	c.apply(t, &ledger.StripeEvent{ID: "evt_x", Type: "customer.created", Created: t0, Payload: []byte(`{}`)}, ledger.OutcomeDuplicate)
}

func TestPledgeValidation(t *testing.T) {
	c := mustCardBooks(t)
	for _, p := range []*ledger.Pledge{
		{Fund: "zhanaozen", Amount: money(t, "10", "EUR")},
		{Fund: "nowhere", Amount: money(t, "10", "EUR"), Donor: ledger.Donor{Email: "a@example.org"}},
		{Fund: "zhanaozen", Amount: ledger.Money{Amount: decimal.NewFromInt(-5), Currency: mustCurrency(t, "EUR")}, Donor: ledger.Donor{Email: "a@example.org"}},
	} {
		if err := c.cards.CreatePledge(ctx, p); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("pledge %+v: %v, want invalid", p, err)
		}
	}

}
