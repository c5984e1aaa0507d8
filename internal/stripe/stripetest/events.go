package stripetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// APIVersion is the version the builders render events in: the one
// fundledger speaks (stripe-go's pinned version).
const APIVersion = stripe.APIVersion

// SessionSpec describes a Checkout Session in payment mode.
type SessionSpec struct {
	ID            string // cs_test_...
	PaymentIntent string // pi_...; "" = null (an expired session never had one)
	PaymentStatus string // paid, unpaid, no_payment_required; "" = from the event type
	Status        string // open, complete, expired; "" = from the event type
	AmountTotal   int64  // minor units
	Currency      string // any case; sent lower-case; "" = eur
	CustomerEmail string
	Metadata      map[string]string // pledge_id, fund
	Created       time.Time         // zero = now
	At            time.Time         // the event's time; zero = now
}

// ChargeSpec describes a charge.
type ChargeSpec struct {
	ID                 string // ch_...
	PaymentIntent      string // "" = null
	Amount             int64
	AmountRefunded     int64
	Currency           string // "" = eur
	BalanceTransaction string // txn_...; "" = null
	Metadata           map[string]string
	Created            time.Time // zero = now
	At                 time.Time // the event's time; zero = now
}

// RefundSpec describes a refund.
type RefundSpec struct {
	ID                 string // re_...
	Charge             string
	PaymentIntent      string
	Status             string // pending, succeeded, failed, canceled, requires_action; "" = succeeded
	PreviousStatus     string // for charge.refund.updated's previous_attributes; "" = none
	Amount             int64
	Currency           string
	BalanceTransaction string    // txn_...; "" = null
	Reason             string    // duplicate, fraudulent, requested_by_customer; "" = null
	Created            time.Time // zero = now
	At                 time.Time // the event's time; zero = now
}

// BalanceTransactionSpec describes a balance transaction, in the
// settlement currency.
type BalanceTransactionSpec struct {
	ID                string // txn_...
	Amount            int64  // gross, negative for money out
	Fee               int64
	Currency          string
	ReportingCategory string // charge, refund, dispute, dispute_reversal, payout, ...
	Type              string // "" = the reporting category
	Source            string // the charge, refund, dispute or payout id
	Created           time.Time
}

// DisputeSpec describes a dispute and the balance transactions it carries.
type DisputeSpec struct {
	ID                  string // dp_...
	Charge              string
	PaymentIntent       string
	Status              string // warning_needs_response, needs_response, under_review, won, lost
	Reason              string // "" = fraudulent
	Amount              int64
	Currency            string
	BalanceTransactions []BalanceTransactionSpec
	Created             time.Time // zero = now
	At                  time.Time // the event's time; zero = now
}

// PayoutSpec describes a payout.
type PayoutSpec struct {
	ID                 string // po_...
	Status             string // paid, pending, in_transit, canceled, failed
	Amount             int64
	Currency           string
	BalanceTransaction string
	FailureCode        string    // for failed payouts, e.g. account_closed
	ArrivalDate        time.Time // zero = two days after Created
	Created            time.Time // zero = now
	At                 time.Time // the event's time; zero = now
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func when(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func currency(c string) string { return strings.ToLower(or(c, "eur")) }

func metadata(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// envelope wraps object in an event as Stripe delivers it.
func envelope(id, typ string, created time.Time, object, previous map[string]any) []byte {
	data := map[string]any{"object": object}
	if previous != nil {
		data["previous_attributes"] = previous
	}
	ev := map[string]any{
		"id":               id,
		"object":           "event",
		"api_version":      APIVersion,
		"created":          created.Unix(),
		"data":             data,
		"livemode":         false,
		"pending_webhooks": 1,
		"request":          map[string]any{"id": nil, "idempotency_key": nil},
		"type":             typ,
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// Event returns an event of any type around object, for types without a
// builder of their own.
func Event(id, typ string, object map[string]any) []byte {
	created := time.Now()
	if c, ok := object["created"].(int64); ok {
		created = time.Unix(c, 0)
	}
	return envelope(id, typ, created, object, nil)
}

// SetAPIVersion returns event with its api_version replaced, as an endpoint
// created with another version would receive it.
func SetAPIVersion(event []byte, version string) []byte {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		panic(fmt.Sprintf("stripetest.SetAPIVersion: %v", err))
	}
	ev["api_version"] = version
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns the Stripe-Signature header Stripe would send with payload,
// signed with the endpoint's secret at the given time.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// SessionObject is a checkout.session as API version 2023-10-16 renders it.
func SessionObject(s SessionSpec) map[string]any {
	created := when(s.Created)
	cur := currency(s.Currency)
	var email any
	if s.CustomerEmail != "" {
		email = s.CustomerEmail
	}
	return map[string]any{
		"id":                         s.ID,
		"object":                     "checkout.session",
		"after_expiration":           nil,
		"allow_promotion_codes":      nil,
		"amount_subtotal":            s.AmountTotal,
		"amount_total":               s.AmountTotal,
		"automatic_tax":              map[string]any{"enabled": false, "liability": nil, "status": nil},
		"billing_address_collection": nil,
		"cancel_url":                 "https://fund.example.org/donate?cancelled=1",
		"client_reference_id":        nullable(s.Metadata["pledge_id"]),
		"client_secret":              nil,
		"consent":                    nil,
		"consent_collection":         nil,
		"created":                    created.Unix(),
		"currency":                   cur,
		"currency_conversion":        nil,
		"custom_fields":              []any{},
		"custom_text": map[string]any{
			"after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil,
		},
		"customer":          nil,
		"customer_creation": "if_required",
		"customer_details": map[string]any{
			"address": map[string]any{"city": nil, "country": "DE", "line1": nil, "line2": nil, "postal_code": nil, "state": nil},
			"email":   email, "name": "Test Donor", "phone": nil, "tax_exempt": "none", "tax_ids": []any{},
		},
		"customer_email": email,
		"expires_at":     created.Add(24 * time.Hour).Unix(),
		"invoice":        nil,
		"invoice_creation": map[string]any{
			"enabled": false,
			"invoice_data": map[string]any{
				"account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "issuer": nil,
				"metadata": map[string]any{}, "rendering_options": nil,
			},
		},
		"livemode":                  false,
		"locale":                    nil,
		"metadata":                  metadata(s.Metadata),
		"mode":                      "payment",
		"payment_intent":            nullable(s.PaymentIntent),
		"payment_link":              nil,
		"payment_method_collection": "if_required",
		"payment_method_configuration_details": map[string]any{
			"id": "pmc_1O8mJ2LkdIwHu7ixqTPq0ysZ", "parent": nil,
		},
		"payment_method_options":      map[string]any{},
		"payment_method_types":        []any{"card", "link"},
		"payment_status":              s.PaymentStatus,
		"phone_number_collection":     map[string]any{"enabled": false},
		"recovered_from":              nil,
		"setup_intent":                nil,
		"shipping_address_collection": nil,
		"shipping_cost":               nil,
		"shipping_details":            nil,
		"shipping_options":            []any{},
		"status":                      s.Status,
		"submit_type":                 "donate",
		"subscription":                nil,
		"success_url":                 "https://fund.example.org/donate/thanks?session_id={CHECKOUT_SESSION_ID}",
		"total_details":               map[string]any{"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
		"ui_mode":                     "hosted",
		"url":                         nil,
	}
}

// SessionEvent returns a checkout.session.* event. Status and payment
// status default to what the type implies.
func SessionEvent(id, typ string, s SessionSpec) []byte {
	switch typ {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		s.Status, s.PaymentStatus = or(s.Status, "complete"), or(s.PaymentStatus, "paid")
	case "checkout.session.async_payment_failed":
		s.Status, s.PaymentStatus = or(s.Status, "complete"), or(s.PaymentStatus, "unpaid")
	case "checkout.session.expired":
		s.Status, s.PaymentStatus = or(s.Status, "expired"), or(s.PaymentStatus, "unpaid")
	default:
		s.Status, s.PaymentStatus = or(s.Status, "open"), or(s.PaymentStatus, "unpaid")
	}
	return envelope(id, typ, when(s.At), SessionObject(s), nil)
}

// ChargeObject is a charge as API version 2023-10-16 renders it: its
// refunds are no longer included.
func ChargeObject(c ChargeSpec) map[string]any {
	created := when(c.Created)
	return map[string]any{
		"id":                     c.ID,
		"object":                 "charge",
		"amount":                 c.Amount,
		"amount_captured":        c.Amount,
		"amount_refunded":        c.AmountRefunded,
		"application":            nil,
		"application_fee":        nil,
		"application_fee_amount": nil,
		"balance_transaction":    nullable(c.BalanceTransaction),
		"billing_details": map[string]any{
			"address": map[string]any{"city": nil, "country": "DE", "line1": nil, "line2": nil, "postal_code": nil, "state": nil},
			"email":   "donor@example.org", "name": "Test Donor", "phone": nil,
		},
		"calculated_statement_descriptor": "FUNDLEDGER",
		"captured":                        true,
		"created":                         created.Unix(),
		"currency":                        currency(c.Currency),
		"customer":                        nil,
		"description":                     nil,
		"destination":                     nil,
		"dispute":                         nil,
		"disputed":                        false,
		"failure_balance_transaction":     nil,
		"failure_code":                    nil,
		"failure_message":                 nil,
		"fraud_details":                   map[string]any{},
		"invoice":                         nil,
		"livemode":                        false,
		"metadata":                        metadata(c.Metadata),
		"on_behalf_of":                    nil,
		"order":                           nil,
		"outcome": map[string]any{
			"network_status": "approved_by_network", "reason": nil, "risk_level": "normal", "risk_score": 32,
			"seller_message": "Payment complete.", "type": "authorized",
		},
		"paid":           true,
		"payment_intent": nullable(c.PaymentIntent),
		"payment_method": "pm_1O8mKTLkdIwHu7ixkGmWfRVa",
		"payment_method_details": map[string]any{
			"card": map[string]any{
				"amount_authorized": c.Amount, "brand": "visa", "country": "US", "exp_month": 12, "exp_year": 2034,
				"fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit", "last4": "4242", "network": "visa",
				"checks":         map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": "pass"},
				"three_d_secure": nil, "wallet": nil, "mandate": nil, "installments": nil,
				"extended_authorization":    map[string]any{"status": "disabled"},
				"incremental_authorization": map[string]any{"status": "unavailable"},
				"multicapture":              map[string]any{"status": "unavailable"},
				"overcapture":               map[string]any{"maximum_amount_capturable": c.Amount, "status": "unavailable"},
			},
			"type": "card",
		},
		"radar_options":               map[string]any{},
		"receipt_email":               "donor@example.org",
		"receipt_number":              nil,
		"receipt_url":                 "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xTzhtSTJMa2RJd0h1N2l4",
		"refunded":                    c.AmountRefunded > 0 && c.AmountRefunded >= c.Amount,
		"review":                      nil,
		"shipping":                    nil,
		"source":                      nil,
		"source_transfer":             nil,
		"statement_descriptor":        nil,
		"statement_descriptor_suffix": nil,
		"status":                      "succeeded",
		"transfer_data":               nil,
		"transfer_group":              nil,
	}
}

// ChargeRefundedEvent returns a charge.refunded event.
func ChargeRefundedEvent(id string, c ChargeSpec) []byte {
	prev := map[string]any{"amount_refunded": 0, "refunded": false}
	return envelope(id, "charge.refunded", when(c.At), ChargeObject(c), prev)
}

// RefundObject is a refund as API version 2023-10-16 renders it.
func RefundObject(r RefundSpec) map[string]any {
	status := or(r.Status, "succeeded")
	var failureBT, failureReason any
	if status == "failed" {
		failureBT, failureReason = "txn_"+strings.TrimPrefix(r.ID, "re_")+"_failure", "expired_or_canceled_card"
	}
	obj := map[string]any{
		"id":                  r.ID,
		"object":              "refund",
		"amount":              r.Amount,
		"balance_transaction": nullable(r.BalanceTransaction),
		"charge":              nullable(r.Charge),
		"created":             when(r.Created).Unix(),
		"currency":            currency(r.Currency),
		"destination_details": map[string]any{
			"card": map[string]any{"reference": nil, "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"},
			"type": "card",
		},
		"metadata":                 map[string]any{},
		"payment_intent":           nullable(r.PaymentIntent),
		"reason":                   nullable(r.Reason),
		"receipt_number":           nil,
		"source_transfer_reversal": nil,
		"status":                   status,
		"transfer_reversal":        nil,
	}
	if failureBT != nil {
		obj["failure_balance_transaction"] = failureBT
		obj["failure_reason"] = failureReason
	}
	return obj
}

// RefundUpdatedEvent returns a charge.refund.updated event.
func RefundUpdatedEvent(id string, r RefundSpec) []byte {
	var prev map[string]any
	if r.PreviousStatus != "" {
		prev = map[string]any{"status": r.PreviousStatus}
	} else {
		prev = map[string]any{"destination_details": map[string]any{"card": map[string]any{"reference_status": "pending"}}}
	}
	return envelope(id, "charge.refund.updated", when(r.At), RefundObject(r), prev)
}

// BalanceTransactionObject is a balance transaction as Stripe renders it.
// exchange_rate, a float, is null: fundledger never reads it.
func BalanceTransactionObject(b BalanceTransactionSpec) map[string]any {
	created := when(b.Created)
	var details []any
	if b.Fee != 0 {
		details = append(details, map[string]any{
			"amount": b.Fee, "application": nil, "currency": currency(b.Currency), "description": "Stripe processing fees", "type": "stripe_fee",
		})
	}
	if details == nil {
		details = []any{}
	}
	return map[string]any{
		"id":                 b.ID,
		"object":             "balance_transaction",
		"amount":             b.Amount,
		"available_on":       created.Add(7 * 24 * time.Hour).Unix(),
		"created":            created.Unix(),
		"currency":           currency(b.Currency),
		"description":        nil,
		"exchange_rate":      nil,
		"fee":                b.Fee,
		"fee_details":        details,
		"net":                b.Amount - b.Fee,
		"reporting_category": b.ReportingCategory,
		"source":             nullable(b.Source),
		"status":             "pending",
		"type":               or(b.Type, b.ReportingCategory),
	}
}

// DisputeObject is a dispute as API version 2023-10-16 renders it.
func DisputeObject(d DisputeSpec) map[string]any {
	created := when(d.Created)
	bts := []any{}
	for _, b := range d.BalanceTransactions {
		if b.Source == "" {
			b.Source = d.ID
		}
		bts = append(bts, BalanceTransactionObject(b))
	}
	evidence := map[string]any{}
	for _, k := range []string{"access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
		"cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name", "customer_purchase_ip",
		"customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
		"product_description", "receipt", "refund_policy", "refund_policy_disclosure", "refund_refusal_explanation",
		"service_date", "service_documentation", "shipping_address", "shipping_carrier", "shipping_date",
		"shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text"} {
		evidence[k] = nil
	}
	return map[string]any{
		"id":                   d.ID,
		"object":               "dispute",
		"amount":               d.Amount,
		"balance_transactions": bts,
		"charge":               d.Charge,
		"created":              created.Unix(),
		"currency":             currency(d.Currency),
		"evidence":             evidence,
		"evidence_details": map[string]any{
			"due_by": created.Add(21 * 24 * time.Hour).Unix(), "has_evidence": false, "past_due": false, "submission_count": 0,
		},
		"is_charge_refundable": false,
		"livemode":             false,
		"metadata":             map[string]any{},
		"network_reason_code":  "10.4",
		"payment_intent":       nullable(d.PaymentIntent),
		"payment_method_details": map[string]any{
			"card": map[string]any{"brand": "visa", "network_reason_code": "10.4"},
			"type": "card",
		},
		"reason": or(d.Reason, "fraudulent"),
		"status": d.Status,
	}
}

// DisputeEvent returns a charge.dispute.* event.
func DisputeEvent(id, typ string, d DisputeSpec) []byte {
	return envelope(id, typ, when(d.At), DisputeObject(d), nil)
}

// PayoutObject is a payout as API version 2023-10-16 renders it.
func PayoutObject(p PayoutSpec) map[string]any {
	created := when(p.Created)
	arrival := p.ArrivalDate
	if arrival.IsZero() {
		arrival = created.Add(48 * time.Hour)
	}
	var failureCode, failureMessage, failureBT any
	if p.FailureCode != "" {
		failureCode, failureMessage = p.FailureCode, "The bank account has been closed."
		failureBT = "txn_" + strings.TrimPrefix(p.ID, "po_") + "_failure"
	}
	return map[string]any{
		"id":                          p.ID,
		"object":                      "payout",
		"amount":                      p.Amount,
		"arrival_date":                arrival.Unix(),
		"automatic":                   true,
		"balance_transaction":         nullable(p.BalanceTransaction),
		"created":                     created.Unix(),
		"currency":                    currency(p.Currency),
		"description":                 "STRIPE PAYOUT",
		"destination":                 "ba_1O8mLQLkdIwHu7ixPe6Ra9Tn",
		"failure_balance_transaction": failureBT,
		"failure_code":                failureCode,
		"failure_message":             failureMessage,
		"livemode":                    false,
		"metadata":                    map[string]any{},
		"method":                      "standard",
		"original_payout":             nil,
		"reconciliation_status":       "completed",
		"reversed_by":                 nil,
		"source_type":                 "card",
		"statement_descriptor":        nil,
		"status":                      p.Status,
		"type":                        "bank_account",
	}
}

// PayoutEvent returns a payout.* event.
func PayoutEvent(id, typ string, p PayoutSpec) []byte {
	return envelope(id, typ, when(p.At), PayoutObject(p), nil)
}
