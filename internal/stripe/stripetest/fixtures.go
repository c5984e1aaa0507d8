package stripetest

import (
	"encoding/json"
	"fmt"
)

// resource returns the fixture of one resource type, to patch in place.
func resource(resources map[string]any, name string) map[string]any {
	r, ok := resources[name].(map[string]any)
	if !ok {
		panic(fmt.Sprintf("stripetest: stripe-mock's fixtures have no %q resource", name))
	}
	return r
}

// Settlement is how a card payment reached the Stripe balance: the charge
// in the donor's currency and its balance transaction in the settlement
// currency.
type Settlement struct {
	ChargeID       string // ch_...
	ChargeAmount   int64  // minor units of ChargeCurrency
	ChargeCurrency string

	BalanceTransactionID string // txn_...
	Amount               int64  // gross, minor units of Currency
	Fee                  int64
	Currency             string
	ReportingCategory    string // "" = charge
}

// SettleIn patches stripe-mock's fixtures so that any payment intent,
// retrieved with latest_charge.balance_transaction expanded, was paid by
// charge s.ChargeID and settled by balance transaction
// s.BalanceTransactionID as s says.
func SettleIn(resources map[string]any, s Settlement) {
	pi := resource(resources, "payment_intent")
	pi["latest_charge"] = s.ChargeID
	pi["status"] = "succeeded"
	pi["amount"] = s.ChargeAmount
	pi["amount_received"] = s.ChargeAmount
	pi["currency"] = currency(s.ChargeCurrency)

	ch := resource(resources, "charge")
	ch["id"] = s.ChargeID
	ch["amount"] = s.ChargeAmount
	ch["amount_captured"] = s.ChargeAmount
	ch["currency"] = currency(s.ChargeCurrency)
	ch["balance_transaction"] = s.BalanceTransactionID
	ch["captured"] = true
	ch["paid"] = true
	ch["status"] = "succeeded"

	bt := resource(resources, "balance_transaction")
	bt["id"] = s.BalanceTransactionID
	bt["amount"] = s.Amount
	bt["fee"] = s.Fee
	bt["net"] = s.Amount - s.Fee
	bt["currency"] = currency(s.Currency)
	bt["reporting_category"] = or(s.ReportingCategory, "charge")
	bt["type"] = "charge"
	bt["source"] = s.ChargeID
	bt["exchange_rate"] = nil
	bt["fee_details"] = []any{map[string]any{
		"amount": s.Fee, "application": nil, "currency": currency(s.Currency), "description": "Stripe processing fees", "type": "stripe_fee",
	}}
}

// RefundSettlement is a refund of a charge and its balance transaction.
type RefundSettlement struct {
	RefundID string // re_...
	ChargeID string
	Status   string // "" = succeeded
	Amount   int64  // minor units of Currency, the charge currency
	Currency string
	Created  int64 // unix time; 0 = the bundled fixture's (2009)

	BalanceTransactionID string // txn_...
	SettledAmount        int64  // negative, minor units of SettledCurrency
	Fee                  int64
	SettledCurrency      string
}

// RefundsSettleIn patches stripe-mock's fixtures so that listing refunds,
// with data.balance_transaction expanded, returns refund r (stripe-mock
// lists exactly one item) and its balance transaction.
func RefundsSettleIn(resources map[string]any, r RefundSettlement) {
	re := resource(resources, "refund")
	re["id"] = r.RefundID
	re["charge"] = r.ChargeID
	re["status"] = or(r.Status, "succeeded")
	re["amount"] = r.Amount
	re["currency"] = currency(r.Currency)
	re["balance_transaction"] = r.BalanceTransactionID
	if r.Created != 0 {
		re["created"] = r.Created
	}

	bt := resource(resources, "balance_transaction")
	bt["id"] = r.BalanceTransactionID
	bt["amount"] = r.SettledAmount
	bt["fee"] = r.Fee
	bt["net"] = r.SettledAmount - r.Fee
	bt["currency"] = currency(r.SettledCurrency)
	bt["reporting_category"] = "refund"
	bt["type"] = "refund"
	bt["source"] = r.RefundID
	bt["exchange_rate"] = nil
	bt["fee_details"] = []any{}
}

// EventIn patches stripe-mock's fixtures so that retrieving or listing
// events returns event (as built by this package; stripe-mock lists exactly
// one).
func EventIn(resources map[string]any, event []byte) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		panic(fmt.Sprintf("stripetest.EventIn: %v", err))
	}
	resources["event"] = ev
}
