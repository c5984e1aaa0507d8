package stripe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
)

func parse(t *testing.T, payload []byte) *ledger.StripeEvent {
	t.Helper()
	ev, err := ParseEvent(payload)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// A donor pays 100.00 EUR; it settles as 86.12 GBP, of which Stripe keeps
// 1.50 GBP.
func TestEnrichPaidSessionSettledInAnotherCurrency(t *testing.T) {
	t.Parallel()
	base := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.SettleIn(r, stripetest.Settlement{ChargeID: "ch_eur", ChargeAmount: 10000, ChargeCurrency: "eur",
			BalanceTransactionID: "txn_gbp", Amount: 8612, Fee: 150, Currency: "gbp"})
	})
	c, logs := newClient(t, base)
	for _, typ := range []string{ledger.EventSessionCompleted, ledger.EventSessionAsyncSuccess} {
		ev := parse(t, stripetest.SessionEvent("evt_paid", typ, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_donor",
			AmountTotal: 10000, Currency: "eur", Metadata: map[string]string{"pledge_id": "p1", "fund": "strike"}}))
		if err := c.Enrich(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		s := ev.Session
		if s.ChargeID != "ch_eur" || s.Settlement == nil {
			t.Fatalf("%s: charge %q, settlement %+v", typ, s.ChargeID, s.Settlement)
		}
		st := s.Settlement
		if st.ID != "txn_gbp" || !sameMoney(st.Amount, money(t, "86.12", "GBP")) || !sameMoney(st.Fee, money(t, "1.50", "GBP")) || st.Category != "charge" {
			t.Errorf("%s: settlement %s %s fee %s %s", typ, st.ID, st.Amount, st.Fee, st.Category)
		}
		if !sameMoney(s.Amount, money(t, "100.00", "EUR")) {
			t.Errorf("%s: amount changed to %s", typ, s.Amount)
		}
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("the secret key is in the logs")
	}

	// Nothing to fetch: unpaid, expired, failed, and events of other types.
	for _, p := range [][]byte{
		stripetest.SessionEvent("evt_u", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_2", PaymentIntent: "pi_2", PaymentStatus: "unpaid", AmountTotal: 100, Currency: "eur"}),
		stripetest.SessionEvent("evt_x", ledger.EventSessionExpired, stripetest.SessionSpec{ID: "cs_3", AmountTotal: 100, Currency: "eur"}),
		stripetest.SessionEvent("evt_f", ledger.EventSessionAsyncFailed, stripetest.SessionSpec{ID: "cs_4", PaymentIntent: "pi_4", AmountTotal: 100, Currency: "eur"}),
		stripetest.PayoutEvent("evt_p", ledger.EventPayoutPaid, stripetest.PayoutSpec{ID: "po_1", Status: "paid", Amount: 100, Currency: "eur"}),
		stripetest.Event("evt_c", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
	} {
		ev := parse(t, p)
		if err := c.Enrich(context.Background(), ev); err != nil {
			t.Errorf("%s: %v", ev.Type, err)
		}
		if ev.Session != nil && (ev.Session.Settlement != nil || ev.Session.ChargeID != "") {
			t.Errorf("%s: enriched %+v", ev.Type, ev.Session)
		}
	}
}

// What Stripe has not created yet is retryable; stripe-mock always expands,
// so the decoding is checked on payment intents as Stripe renders them.
func TestSettlementNotYetKnown(t *testing.T) {
	for name, pi := range map[string]string{
		"no charge":  `{"id":"pi_1","object":"payment_intent","latest_charge":null}`,
		"no bt":      `{"id":"pi_1","object":"payment_intent","latest_charge":{"id":"ch_1","object":"charge","balance_transaction":null}}`,
		"unexpanded": `{"id":"pi_1","object":"payment_intent","latest_charge":"ch_1"}`,
	} {
		_, bt, pending, err := settlementOf([]byte(pi))
		if bt != nil || (pending == "" && ledger.ErrorCode(err) != ledger.EUNAVAILABLE) {
			t.Errorf("%s: bt %v, pending %q, err %v", name, bt, pending, err)
		}
	}
	ch, bt, pending, err := settlementOf([]byte(`{"latest_charge":{"id":"ch_1","balance_transaction":{"id":"txn_1","object":"balance_transaction","amount":1500,"fee":62,"currency":"jpy","exchange_rate":0.0061,"reporting_category":"charge"}}}`))
	if err != nil || pending != "" || ch != "ch_1" || bt.ID != "txn_1" || !sameMoney(bt.Amount, money(t, "1500", "JPY")) || !sameMoney(bt.Fee, money(t, "62", "JPY")) {
		t.Errorf("settled: %s %+v %q %v", ch, bt, pending, err)
	}

	// A paid session without a payment intent cannot be settled, ever.
	c, _ := newClient(t, "http://127.0.0.1:1")
	ev := parse(t, stripetest.SessionEvent("evt_1", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", AmountTotal: 100, Currency: "eur"}))
	wantCode(t, c.Enrich(context.Background(), ev), ledger.EINVALID)
}

func TestEnrichChargeRefundedSumsRefundBalanceTransactions(t *testing.T) {
	t.Parallel()
	base := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.RefundsSettleIn(r, stripetest.RefundSettlement{RefundID: "re_1", ChargeID: "ch_eur", Amount: 2500, Currency: "eur",
			BalanceTransactionID: "txn_re_1", SettledAmount: -2153, Fee: 0, SettledCurrency: "gbp"})
	})
	c, _ := newClient(t, base)
	ev := parse(t, stripetest.ChargeRefundedEvent("evt_refunded", stripetest.ChargeSpec{ID: "ch_eur", PaymentIntent: "pi_donor",
		Amount: 10000, AmountRefunded: 2500, Currency: "eur", BalanceTransaction: "txn_gbp", At: time.Now()}))
	if err := c.Enrich(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ch := ev.Charge
	if ch.RefundSettlement == nil || ch.RefundFees == nil {
		t.Fatalf("no refund settlement: %+v", ch)
	}
	if !sameMoney(*ch.RefundSettlement, money(t, "-21.53", "GBP")) || !sameMoney(*ch.RefundFees, money(t, "0", "GBP")) {
		t.Errorf("refund settlement %s, fees %s", ch.RefundSettlement, ch.RefundFees)
	}

	// A refund created after the event belongs to a later event.
	early := parse(t, stripetest.ChargeRefundedEvent("evt_early", stripetest.ChargeSpec{ID: "ch_eur", PaymentIntent: "pi_donor",
		Amount: 10000, AmountRefunded: 0, Currency: "eur", At: time.Unix(1234567000, 0)}))
	if err := c.Enrich(context.Background(), early); err != nil {
		t.Fatal(err)
	}
	if early.Charge.RefundSettlement != nil || early.Charge.RefundFees != nil {
		t.Errorf("counted a later refund: %s", early.Charge.RefundSettlement)
	}
}

func TestEnrichIgnoresFailedRefunds(t *testing.T) {
	t.Parallel()
	base := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.RefundsSettleIn(r, stripetest.RefundSettlement{RefundID: "re_1", ChargeID: "ch_1", Status: "failed", Amount: 2500, Currency: "eur",
			BalanceTransactionID: "txn_re_1", SettledAmount: -2500, SettledCurrency: "eur"})
	})
	c, _ := newClient(t, base)
	ev := parse(t, stripetest.ChargeRefundedEvent("evt_1", stripetest.ChargeSpec{ID: "ch_1", Amount: 10000, AmountRefunded: 2500, Currency: "eur"}))
	if err := c.Enrich(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if ev.Charge.RefundSettlement != nil {
		t.Errorf("a failed refund was counted: %s", ev.Charge.RefundSettlement)
	}
}

func TestListEvents(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 4, 5, 0, time.UTC)
	payload := stripetest.SessionEvent("evt_listed", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_1",
		AmountTotal: 1250, Currency: "eur", At: at, Metadata: map[string]string{"pledge_id": "p1", "fund": "strike"}})
	base := stripetest.StartMock(t, func(r map[string]any) { stripetest.EventIn(r, payload) })
	c, _ := newClient(t, base)
	var got []*ledger.StripeEvent
	err := c.ListEvents(context.Background(), at.Add(-time.Hour), func(ev *ledger.StripeEvent) error {
		got = append(got, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d events", len(got))
	}
	ev := got[0]
	if ev.ID != "evt_listed" || ev.Type != ledger.EventSessionCompleted || ev.APIVersion != "2023-10-16" || !ev.Created.Equal(at) ||
		ev.Session == nil || ev.Session.PledgeID != "p1" || !sameMoney(ev.Session.Amount, money(t, "12.50", "EUR")) {
		t.Errorf("listed event: %+v %+v", ev, ev.Session)
	}
	// Payload is the event's own JSON, ready to be parsed again.
	again, err := c.ParseEvent(ev.Payload)
	if err != nil || again.ID != "evt_listed" || again.Session == nil || again.Session.ID != "cs_1" {
		t.Errorf("payload does not parse back: %v %+v", err, again)
	}

	// fn's error stops the walk and comes back as is.
	stop := ledger.Errorf(ledger.ECONFLICT, "stop")
	if err := c.ListEvents(context.Background(), time.Time{}, func(*ledger.StripeEvent) error { return stop }); err != stop {
		t.Errorf("fn error: %v", err)
	}
}

// An event the books cannot read is reported, naming it, after the others.
func TestListEventsReportsUnreadableEvents(t *testing.T) {
	t.Parallel()
	bad := stripetest.SessionEvent("evt_thb", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_1", AmountTotal: 1250, Currency: "thb"})
	base := stripetest.StartMock(t, func(r map[string]any) { stripetest.EventIn(r, bad) })
	c, _ := newClient(t, base)
	calls := 0
	err := c.ListEvents(context.Background(), time.Time{}, func(*ledger.StripeEvent) error { calls++; return nil })
	wantCode(t, err, ledger.EINVALID)
	if !strings.Contains(ledger.ErrorMessage(err), "evt_thb") || calls != 0 {
		t.Errorf("%d calls, %v", calls, err)
	}
}

func TestOldestFirst(t *testing.T) {
	at := func(id string, sec int64) *ledger.StripeEvent {
		return &ledger.StripeEvent{ID: id, Created: time.Unix(sec, 0)}
	}
	// As Stripe lists them: newest first; b1 and b2 in the same second, b2 newer.
	listed := []*ledger.StripeEvent{at("c", 30), at("b2", 20), at("b1", 20), at("a", 10)}
	var ids []string
	for _, ev := range oldestFirst(listed) {
		ids = append(ids, ev.ID)
	}
	if strings.Join(ids, ",") != "a,b1,b2,c" {
		t.Errorf("order %v", ids)
	}
}
