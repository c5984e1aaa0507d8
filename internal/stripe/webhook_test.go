package stripe

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
)

func signed(t *testing.T, c *Client, payload []byte) *ledger.StripeEvent {
	t.Helper()
	ev, err := c.ParseWebhook(payload, stripetest.Sign(payload, testWebhookSecret, time.Now()))
	if err != nil {
		t.Fatalf("ParseWebhook: %v", err)
	}
	if !bytes.Equal(ev.Payload, payload) {
		t.Errorf("Payload is not the raw event")
	}
	if ev.APIVersion != "2023-10-16" || ev.Created.IsZero() || ev.Created.Location().String() != "UTC" {
		t.Errorf("api version %q, created %v", ev.APIVersion, ev.Created)
	}
	return ev
}

func TestParseWebhookDecodesEachHandledType(t *testing.T) {
	c, _ := newClient(t, "")
	created := time.Date(2026, 3, 2, 10, 4, 5, 0, time.UTC)

	for _, typ := range []string{ledger.EventSessionCompleted, ledger.EventSessionAsyncSuccess, ledger.EventSessionAsyncFailed, ledger.EventSessionExpired} {
		ev := signed(t, c, stripetest.SessionEvent("evt_s", typ, stripetest.SessionSpec{ID: "cs_test_1", PaymentIntent: "pi_1",
			AmountTotal: 1250, Currency: "eur", CustomerEmail: "ada@example.org", At: created,
			Metadata: map[string]string{"pledge_id": "8c0b1f4e", "fund": "strike-2026"}}))
		s := ev.Session
		if ev.ID != "evt_s" || ev.Type != typ || !ev.Created.Equal(created) || s == nil || ev.Charge != nil {
			t.Fatalf("%s: %+v", typ, ev)
		}
		wantStatus := map[string]string{ledger.EventSessionCompleted: "paid", ledger.EventSessionAsyncSuccess: "paid",
			ledger.EventSessionAsyncFailed: "unpaid", ledger.EventSessionExpired: "unpaid"}[typ]
		if s.ID != "cs_test_1" || s.PaymentStatus != wantStatus || s.PaymentIntent != "pi_1" || s.PledgeID != "8c0b1f4e" ||
			s.FundSlug != "strike-2026" || !sameMoney(s.Amount, money(t, "12.50", "EUR")) {
			t.Errorf("%s: session %+v", typ, s)
		}
	}

	// Yen and dinars keep their exponents.
	ev := signed(t, c, stripetest.SessionEvent("evt_jpy", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_2", PaymentIntent: "pi_2", AmountTotal: 1500, Currency: "jpy"}))
	if !sameMoney(ev.Session.Amount, money(t, "1500", "JPY")) || ev.Session.PledgeID != "" {
		t.Errorf("JPY session: %+v", ev.Session)
	}
	ev = signed(t, c, stripetest.SessionEvent("evt_kwd", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_3", PaymentIntent: "pi_3", AmountTotal: 1500, Currency: "kwd"}))
	if !sameMoney(ev.Session.Amount, money(t, "1.500", "KWD")) {
		t.Errorf("KWD session: %s", ev.Session.Amount)
	}

	ev = signed(t, c, stripetest.ChargeRefundedEvent("evt_c", stripetest.ChargeSpec{ID: "ch_1", PaymentIntent: "pi_1", Amount: 10000, AmountRefunded: 2500, Currency: "eur", BalanceTransaction: "txn_1"}))
	if ch := ev.Charge; ch == nil || ch.ID != "ch_1" || ch.PaymentIntent != "pi_1" || !sameMoney(ch.Amount, money(t, "100", "EUR")) ||
		!sameMoney(ch.AmountRefunded, money(t, "25", "EUR")) || ch.RefundSettlement != nil || ev.Session != nil {
		t.Errorf("charge.refunded: %+v", ev.Charge)
	}

	ev = signed(t, c, stripetest.RefundUpdatedEvent("evt_r", stripetest.RefundSpec{ID: "re_1", Charge: "ch_1", PaymentIntent: "pi_1", Status: "failed", PreviousStatus: "succeeded", Amount: 2500, Currency: "eur"}))
	if r := ev.Refund; r == nil || r.ID != "re_1" || r.Charge != "ch_1" || r.PaymentIntent != "pi_1" || r.Status != "failed" || !sameMoney(r.Amount, money(t, "25", "EUR")) {
		t.Errorf("charge.refund.updated: %+v", ev.Refund)
	}

	ev = signed(t, c, stripetest.DisputeEvent("evt_d", ledger.EventDisputeReinstated, stripetest.DisputeSpec{ID: "dp_1", Charge: "ch_1", PaymentIntent: "pi_1", Status: "won", Amount: 10000, Currency: "eur",
		BalanceTransactions: []stripetest.BalanceTransactionSpec{
			{ID: "txn_w", Amount: -8612, Fee: 1500, Currency: "gbp", ReportingCategory: "dispute"},
			{ID: "txn_r", Amount: 8612, Fee: -1500, Currency: "gbp", ReportingCategory: "dispute_reversal"},
		}}))
	d := ev.Dispute
	if d == nil || d.ID != "dp_1" || d.Charge != "ch_1" || d.PaymentIntent != "pi_1" || d.Status != "won" || !sameMoney(d.Amount, money(t, "100", "EUR")) || len(d.BalanceTransactions) != 2 {
		t.Fatalf("dispute: %+v", d)
	}
	w, r := d.BalanceTransactions[0], d.BalanceTransactions[1]
	if w.ID != "txn_w" || !sameMoney(w.Amount, money(t, "-86.12", "GBP")) || !sameMoney(w.Fee, money(t, "15", "GBP")) || w.Category != "dispute" ||
		r.ID != "txn_r" || !sameMoney(r.Amount, money(t, "86.12", "GBP")) || !sameMoney(r.Fee, money(t, "-15", "GBP")) || r.Category != "dispute_reversal" {
		t.Errorf("dispute balance transactions: %+v", d.BalanceTransactions)
	}

	for _, typ := range []string{ledger.EventPayoutPaid, ledger.EventPayoutFailed} {
		ev = signed(t, c, stripetest.PayoutEvent("evt_p", typ, stripetest.PayoutSpec{ID: "po_1", Status: strings.TrimPrefix(typ, "payout."), Amount: 123456, Currency: "gbp"}))
		if p := ev.Payout; p == nil || p.ID != "po_1" || p.Status != strings.TrimPrefix(typ, "payout.") || !sameMoney(p.Amount, money(t, "1234.56", "GBP")) {
			t.Errorf("%s: %+v", typ, ev.Payout)
		}
	}
}

func TestParseWebhookUnhandledType(t *testing.T) {
	c, _ := newClient(t, "")
	ev := signed(t, c, stripetest.Event("evt_cus", "customer.created", map[string]any{"id": "cus_1", "object": "customer", "email": "ada@example.org"}))
	if ev.Type != "customer.created" || ev.Handled() || ev.Session != nil || ev.Charge != nil || ev.Refund != nil || ev.Dispute != nil || ev.Payout != nil {
		t.Errorf("unhandled: %+v", ev)
	}
	// A payout.created the books ignore, in a currency the fund does not
	// know: no object, no refusal.
	ev = signed(t, c, stripetest.PayoutEvent("evt_pc", "payout.created", stripetest.PayoutSpec{ID: "po_2", Status: "pending", Amount: 100, Currency: "thb"}))
	if ev.Payout != nil {
		t.Errorf("payout.created in THB: %+v", ev.Payout)
	}
}

func TestParseWebhookRefusals(t *testing.T) {
	c, _ := newClient(t, "")
	payload := stripetest.SessionEvent("evt_1", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_1", AmountTotal: 1250, Currency: "eur"})
	refused := func(name string, payload []byte, header string, want ...string) {
		t.Helper()
		ev, err := c.ParseWebhook(payload, header)
		if ev != nil || ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("%s: %v, %v; want invalid", name, ev, err)
			return
		}
		for _, w := range want {
			if !strings.Contains(ledger.ErrorMessage(err), w) {
				t.Errorf("%s: %q does not say %q", name, ledger.ErrorMessage(err), w)
			}
		}
		if strings.Contains(err.Error(), testWebhookSecret) {
			t.Errorf("%s: the secret leaks: %v", name, err)
		}
	}
	refused("missing header", payload, "", "no Stripe-Signature header")
	refused("malformed header", payload, "garbage", "malformed")
	refused("bad signature", payload, stripetest.Sign(payload, "whsec_another_endpoint", time.Now()),
		"check STRIPE_WEBHOOK_SECRET is the signing secret of this endpoint")
	refused("tampered body", bytes.Replace(payload, []byte(`"amount_total": 1250`), []byte(`"amount_total": 125000`), 1),
		stripetest.Sign(payload, testWebhookSecret, time.Now()), "does not match")
	refused("stale", payload, stripetest.Sign(payload, testWebhookSecret, time.Now().Add(-10*time.Minute)), "more than 5m0s old", "clock")

	v2024 := stripetest.SetAPIVersion(payload, "2024-06-20")
	refused("API version", v2024, stripetest.Sign(v2024, testWebhookSecret, time.Now()),
		"evt_1", "2024-06-20", "2023-10-16",
		"create the webhook endpoint with API version 2023-10-16: Stripe Dashboard > Developers > Webhooks > Add endpoint > API version",
		"stripe webhook_endpoints create --api-version 2023-10-16",
		"fundledger stripe sync")

	// Signed, right version, but not something the books can read.
	for name, p := range map[string][]byte{
		"unknown currency": stripetest.SessionEvent("evt_thb", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_1", AmountTotal: 1250, Currency: "thb"}),
		"fractional ISK":   stripetest.SessionEvent("evt_isk", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: "cs_1", PaymentIntent: "pi_1", AmountTotal: 4010, Currency: "isk"}),
		"float amount":     bytes.Replace(payload, []byte(`"amount_total": 1250`), []byte(`"amount_total": 12.5`), 1),
		"no amount":        stripetest.Event("evt_1", ledger.EventChargeRefunded, map[string]any{"id": "ch_1", "object": "charge", "currency": "eur", "amount_refunded": 1}),
		"wrong object":     stripetest.Event("evt_1", ledger.EventChargeRefunded, map[string]any{"id": "re_1", "object": "refund", "currency": "eur", "amount": 1}),
		"not json":         []byte("{"),
	} {
		want := map[string]string{"unknown currency": "data.object.currency", "fractional ISK": "data.object.amount_total",
			"float amount": "data.object.amount_total is a JSON number 12.5, not an integer", "no amount": "data.object.amount is missing", "wrong object": "not a charge", "not json": "not a Stripe event"}[name]
		refused(name, p, stripetest.Sign(p, testWebhookSecret, time.Now()), want)
	}

	// No webhook secret configured: the server must be fixed; Stripe retries.
	noSecret, err := New(Config{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = noSecret.ParseWebhook(payload, stripetest.Sign(payload, testWebhookSecret, time.Now()))
	wantCode(t, err, ledger.EUNAVAILABLE)
}

func TestParseEventNamesEventAndField(t *testing.T) {
	p := stripetest.DisputeEvent("evt_bad", ledger.EventDisputeFundsWithdraw, stripetest.DisputeSpec{ID: "dp_1", Charge: "ch_1", Status: "needs_response", Amount: 100, Currency: "eur",
		BalanceTransactions: []stripetest.BalanceTransactionSpec{{ID: "txn_1", Amount: -100, Fee: 1500, Currency: "xyz", ReportingCategory: "dispute"}}})
	_, err := ParseEvent(p)
	wantCode(t, err, ledger.EINVALID)
	if msg := ledger.ErrorMessage(err); !strings.Contains(msg, "evt_bad") || !strings.Contains(msg, "charge.dispute.funds_withdrawn") ||
		!strings.Contains(msg, "data.object.balance_transactions[0].currency") {
		t.Errorf("message %q", msg)
	}
	// Events that carry no api_version (very old, or stripe-mock's) decode.
	ev, err := ParseEvent([]byte(`{"id":"evt_old","object":"event","api_version":null,"created":1234567890,"type":"plan.created","data":{"object":{"id":"plan_1"}}}`))
	if err != nil || ev.APIVersion != "" || !ev.Created.Equal(time.Unix(1234567890, 0)) {
		t.Errorf("old event: %+v, %v", ev, err)
	}
	for _, raw := range []string{`{"object":"event","type":"x","created":1}`, `{"id":"evt_1","object":"event","created":1}`, `{"id":"evt_1","object":"event","type":"x"}`, `{"id":"ch_1","object":"charge"}`} {
		if _, err := ParseEvent([]byte(raw)); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
