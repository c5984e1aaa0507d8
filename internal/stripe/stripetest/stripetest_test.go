package stripetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_123", "")
	req.Header.Set("Stripe-Version", APIVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return out
}

// The settlement patch really reaches the expanded objects stripe-mock
// returns, which is what the gateway's Enrich relies on.
func TestSettleInExpandsPatchedObjects(t *testing.T) {
	t.Parallel()
	base := StartMock(t, func(r map[string]any) {
		SettleIn(r, Settlement{ChargeID: "ch_settled", ChargeAmount: 10000, ChargeCurrency: "EUR",
			BalanceTransactionID: "txn_settled", Amount: 8612, Fee: 150, Currency: "GBP"})
	})
	pi := get(t, base+"/v1/payment_intents/pi_wanted?expand[]=latest_charge.balance_transaction")
	if pi["id"] != "pi_wanted" {
		t.Errorf("id = %v, want the requested pi_wanted", pi["id"])
	}
	ch, ok := pi["latest_charge"].(map[string]any)
	if !ok {
		t.Fatalf("latest_charge not expanded: %#v", pi["latest_charge"])
	}
	if ch["id"] != "ch_settled" || ch["amount"] != float64(10000) || ch["currency"] != "eur" {
		t.Errorf("charge = %v %v %v", ch["id"], ch["amount"], ch["currency"])
	}
	bt, ok := ch["balance_transaction"].(map[string]any)
	if !ok {
		t.Fatalf("balance_transaction not expanded: %#v", ch["balance_transaction"])
	}
	if bt["id"] != "txn_settled" || bt["amount"] != float64(8612) || bt["fee"] != float64(150) || bt["net"] != float64(8462) ||
		bt["currency"] != "gbp" || bt["reporting_category"] != "charge" {
		t.Errorf("balance transaction = %v", bt)
	}

	// Without the expansion, ids only.
	pi = get(t, base+"/v1/payment_intents/pi_wanted")
	if pi["latest_charge"] != "ch_settled" {
		t.Errorf("unexpanded latest_charge = %#v", pi["latest_charge"])
	}
}

func TestRefundsSettleInAndEventIn(t *testing.T) {
	t.Parallel()
	ev := ChargeRefundedEvent("evt_listed", ChargeSpec{ID: "ch_1", PaymentIntent: "pi_1", Amount: 10000, AmountRefunded: 2500, Currency: "eur"})
	base := StartMock(t, func(r map[string]any) {
		RefundsSettleIn(r, RefundSettlement{RefundID: "re_1", ChargeID: "ch_1", Amount: 2500, Currency: "eur",
			BalanceTransactionID: "txn_re_1", SettledAmount: -2153, Fee: 0, SettledCurrency: "gbp"})
		EventIn(r, ev)
	})
	list := get(t, base+"/v1/refunds?charge=ch_1&expand[]=data.balance_transaction")
	data := list["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("refunds = %d, want 1", len(data))
	}
	re := data[0].(map[string]any)
	bt, ok := re["balance_transaction"].(map[string]any)
	if re["id"] != "re_1" || re["status"] != "succeeded" || !ok || bt["id"] != "txn_re_1" || bt["amount"] != float64(-2153) || bt["currency"] != "gbp" {
		t.Errorf("refund = %v", re)
	}
	events := get(t, base+"/v1/events?created[gte]=1")["data"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["id"] != "evt_listed" || events[0].(map[string]any)["api_version"] != APIVersion {
		t.Errorf("events = %v", events)
	}
}

// Two mocks at once: each has its own ports (HTTPS included) and fixtures.
func TestMocksRunSideBySide(t *testing.T) {
	t.Parallel()
	a := StartMock(t, nil)
	b := StartMock(t, func(r map[string]any) { resource(r, "charge")["description"] = "patched" })
	if a == b {
		t.Fatalf("both mocks at %s", a)
	}
	if got := get(t, b+"/v1/charges/ch_x")["description"]; got != "patched" {
		t.Errorf("patched mock: description = %v", got)
	}
	if got := get(t, a+"/v1/charges/ch_x")["description"]; got == "patched" {
		t.Errorf("unpatched mock serves the other's fixtures")
	}
}

func TestEventBuildersAreSignedStripeEvents(t *testing.T) {
	payloads := map[string][]byte{
		"session": SessionEvent("evt_1", "checkout.session.completed", SessionSpec{ID: "cs_1", PaymentIntent: "pi_1", AmountTotal: 1250, Currency: "EUR",
			Metadata: map[string]string{"pledge_id": "p1", "fund": "strike"}}),
		"refund":  RefundUpdatedEvent("evt_2", RefundSpec{ID: "re_1", Charge: "ch_1", Status: "failed", PreviousStatus: "succeeded", Amount: 100, Currency: "eur"}),
		"dispute": DisputeEvent("evt_3", "charge.dispute.funds_withdrawn", DisputeSpec{ID: "dp_1", Charge: "ch_1", Status: "needs_response", Amount: 100, Currency: "eur", BalanceTransactions: []BalanceTransactionSpec{{ID: "txn_1", Amount: -100, Fee: 1500, Currency: "eur", ReportingCategory: "dispute"}}}),
		"payout":  PayoutEvent("evt_4", "payout.paid", PayoutSpec{ID: "po_1", Status: "paid", Amount: 100, Currency: "eur"}),
		"other":   Event("evt_5", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
	}
	for name, p := range payloads {
		header := Sign(p, "whsec_test", time.Now())
		ev, err := webhook.ConstructEvent(p, header, "whsec_test")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ev.APIVersion != APIVersion || ev.Object != "event" || ev.Livemode || ev.Data == nil || ev.Data.Object["object"] == nil {
			t.Errorf("%s: not shaped like a Stripe event: %+v", name, ev)
		}
	}
	v := SetAPIVersion(payloads["payout"], "2024-06-20")
	if !strings.Contains(string(v), `"api_version": "2024-06-20"`) {
		t.Errorf("SetAPIVersion: %s", v)
	}
}
