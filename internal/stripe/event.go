package stripe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
)

// ParseEvent decodes the JSON of one Stripe event (as a webhook delivers it,
// or as /v1/events lists it) into a ledger.StripeEvent. The object of the
// types the books handle is decoded from the integer fields the books need;
// a malformed object, or an amount in a currency the fund does not know, is
// an EINVALID error naming the event and the field. Types the books do not
// handle carry no object and are no error. The signature is not checked
// here: see Client.ParseWebhook.
func ParseEvent(raw []byte) (*ledger.StripeEvent, error) {
	var env struct {
		ID         string  `json:"id"`
		Object     string  `json:"object"`
		Type       string  `json:"type"`
		APIVersion *string `json:"api_version"`
		Created    *int64  `json:"created"`
		Data       *struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "the body is not a Stripe event: %s", jsonProblem(err))
	}
	switch {
	case env.Object != "" && env.Object != "event":
		return nil, ledger.Errorf(ledger.EINVALID, "the body is a Stripe %q, not an event", env.Object)
	case env.ID == "":
		return nil, ledger.Errorf(ledger.EINVALID, "the Stripe event has no id")
	case env.Type == "":
		return nil, ledger.Errorf(ledger.EINVALID, "Stripe event %s has no type", env.ID)
	case env.Created == nil || *env.Created <= 0:
		return nil, ledger.Errorf(ledger.EINVALID, "Stripe event %s (%s) has no created time", env.ID, env.Type)
	}
	ev := &ledger.StripeEvent{
		ID:      env.ID,
		Type:    env.Type,
		Created: time.Unix(*env.Created, 0).UTC(),
		Payload: bytes.Clone(raw),
	}
	if env.APIVersion != nil {
		ev.APIVersion = *env.APIVersion
	}
	var object json.RawMessage
	if env.Data != nil {
		object = env.Data.Object
	}
	decode := objectDecoder(ev.Type)
	if decode == nil {
		return ev, nil
	}
	if err := decode(ev, object); err != nil {
		if !ev.Handled() {
			// An object of a family the books read (payout.created, say) but
			// of a type they do not act on: better no object than a refusal.
			ev.Session, ev.Charge, ev.Refund, ev.Dispute, ev.Payout = nil, nil, nil, nil, nil
			return ev, nil
		}
		return nil, ledger.Errorf(ledger.EINVALID, "Stripe event %s (%s): %s", ev.ID, ev.Type, ledger.ErrorMessage(err))
	}
	return ev, nil
}

// objectDecoder returns the decoder of the data.object of events of type
// typ, nil for types whose object the books never read.
func objectDecoder(typ string) func(*ledger.StripeEvent, json.RawMessage) error {
	switch {
	case strings.HasPrefix(typ, "checkout.session."):
		return decodeSession
	case typ == ledger.EventChargeRefunded:
		return decodeCharge
	case typ == ledger.EventRefundUpdated:
		return decodeRefund
	case strings.HasPrefix(typ, "charge.dispute."):
		return decodeDispute
	case strings.HasPrefix(typ, "payout."):
		return decodePayout
	}
	return nil
}

// fieldError is a problem with one field of an event's object.
func fieldError(field, format string, args ...any) error {
	return ledger.Errorf(ledger.EINVALID, "data.object.%s %s", field, fmt.Sprintf(format, args...))
}

// unmarshalObject decodes an event's data.object, expecting a Stripe object
// of kind want.
func unmarshalObject(raw json.RawMessage, want string, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return ledger.Errorf(ledger.EINVALID, "data.object is missing")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return ledger.Errorf(ledger.EINVALID, "data.object.%s is a JSON %s, not %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		return ledger.Errorf(ledger.EINVALID, "data.object is not a Stripe %s: %s", want, jsonProblem(err))
	}
	var kind struct {
		Object string `json:"object"`
	}
	_ = json.Unmarshal(raw, &kind)
	if kind.Object != want {
		return ledger.Errorf(ledger.EINVALID, "data.object is a %q, not a %s", kind.Object, want)
	}
	return nil
}

// jsonProblem describes a decoding error, naming the field when known.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %s is a JSON %s, not %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return err.Error()
}

// jsonKind names, with its article, the JSON a Go kind is decoded from.
func jsonKind(goKind string) string {
	switch goKind {
	case "int64", "int", "int32":
		return "an integer"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a " + goKind
}

// expandable is an id that Stripe sends either as a string or, expanded, as
// the object that has it; null is "".
type expandable string

func (e *expandable) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*e = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		err := json.Unmarshal(b, &s)
		*e = expandable(s)
		return err
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*e = expandable(obj.ID)
	return nil
}

// money converts a required amount field with its currency.
func objectMoney(field string, amount *int64, currency *string) (ledger.Money, error) {
	if amount == nil {
		return ledger.Money{}, fieldError(field, "is missing")
	}
	if currency == nil || *currency == "" {
		return ledger.Money{}, fieldError("currency", "is missing")
	}
	m, err := fromMinor(*amount, *currency)
	if err != nil {
		if _, lerr := ledger.LookupCurrency(*currency); lerr != nil {
			return ledger.Money{}, fieldError("currency", "%q is not a currency the fund accepts", *currency)
		}
		return ledger.Money{}, fieldError(field, "%s", ledger.ErrorMessage(err))
	}
	return m, nil
}

func required(field, value string) error {
	if value == "" {
		return fieldError(field, "is missing")
	}
	return nil
}

type sessionObject struct {
	ID            string            `json:"id"`
	PaymentStatus string            `json:"payment_status"`
	PaymentIntent expandable        `json:"payment_intent"`
	Metadata      map[string]string `json:"metadata"`
	AmountTotal   *int64            `json:"amount_total"`
	Currency      *string           `json:"currency"`
}

func decodeSession(ev *ledger.StripeEvent, raw json.RawMessage) error {
	var o sessionObject
	if err := unmarshalObject(raw, "checkout.session", &o); err != nil {
		return err
	}
	if err := required("id", o.ID); err != nil {
		return err
	}
	if err := required("payment_status", o.PaymentStatus); err != nil {
		return err
	}
	s := &ledger.CheckoutSession{
		ID:            o.ID,
		PaymentStatus: o.PaymentStatus,
		PaymentIntent: string(o.PaymentIntent),
		PledgeID:      o.Metadata["pledge_id"],
		FundSlug:      o.Metadata["fund"],
	}
	// A session that collects no money (setup mode) has neither; anything
	// else must have both.
	if o.AmountTotal != nil || o.Currency != nil {
		m, err := objectMoney("amount_total", o.AmountTotal, o.Currency)
		if err != nil {
			return err
		}
		s.Amount = m
	}
	ev.Session = s
	return nil
}

type chargeObject struct {
	ID             string     `json:"id"`
	PaymentIntent  expandable `json:"payment_intent"`
	Amount         *int64     `json:"amount"`
	AmountRefunded *int64     `json:"amount_refunded"`
	Currency       *string    `json:"currency"`
}

func decodeCharge(ev *ledger.StripeEvent, raw json.RawMessage) error {
	var o chargeObject
	if err := unmarshalObject(raw, "charge", &o); err != nil {
		return err
	}
	if err := required("id", o.ID); err != nil {
		return err
	}
	amount, err := objectMoney("amount", o.Amount, o.Currency)
	if err != nil {
		return err
	}
	refunded, err := objectMoney("amount_refunded", o.AmountRefunded, o.Currency)
	if err != nil {
		return err
	}
	ev.Charge = &ledger.CardCharge{ID: o.ID, PaymentIntent: string(o.PaymentIntent), Amount: amount, AmountRefunded: refunded}
	return nil
}

type refundObject struct {
	ID                 string          `json:"id"`
	Charge             expandable      `json:"charge"`
	PaymentIntent      expandable      `json:"payment_intent"`
	Status             string          `json:"status"`
	Amount             *int64          `json:"amount"`
	Currency           *string         `json:"currency"`
	Created            int64           `json:"created"`
	BalanceTransaction json.RawMessage `json:"balance_transaction"`
}

func decodeRefund(ev *ledger.StripeEvent, raw json.RawMessage) error {
	var o refundObject
	if err := unmarshalObject(raw, "refund", &o); err != nil {
		return err
	}
	if err := required("id", o.ID); err != nil {
		return err
	}
	if err := required("status", o.Status); err != nil {
		return err
	}
	amount, err := objectMoney("amount", o.Amount, o.Currency)
	if err != nil {
		return err
	}
	ev.Refund = &ledger.CardRefund{ID: o.ID, Charge: string(o.Charge), PaymentIntent: string(o.PaymentIntent), Status: o.Status, Amount: amount}
	return nil
}

type disputeObject struct {
	ID                  string            `json:"id"`
	Charge              expandable        `json:"charge"`
	PaymentIntent       expandable        `json:"payment_intent"`
	Status              string            `json:"status"`
	Amount              *int64            `json:"amount"`
	Currency            *string           `json:"currency"`
	BalanceTransactions []json.RawMessage `json:"balance_transactions"`
}

func decodeDispute(ev *ledger.StripeEvent, raw json.RawMessage) error {
	var o disputeObject
	if err := unmarshalObject(raw, "dispute", &o); err != nil {
		return err
	}
	if err := required("id", o.ID); err != nil {
		return err
	}
	if err := required("status", o.Status); err != nil {
		return err
	}
	amount, err := objectMoney("amount", o.Amount, o.Currency)
	if err != nil {
		return err
	}
	d := &ledger.CardDispute{ID: o.ID, Charge: string(o.Charge), PaymentIntent: string(o.PaymentIntent), Status: o.Status, Amount: amount}
	for i, rawBT := range o.BalanceTransactions {
		bt, err := decodeBalanceTransaction(fmt.Sprintf("balance_transactions[%d]", i), rawBT)
		if err != nil {
			return err
		}
		if bt == nil {
			return fieldError(fmt.Sprintf("balance_transactions[%d]", i), "is not a balance transaction object")
		}
		d.BalanceTransactions = append(d.BalanceTransactions, *bt)
	}
	ev.Dispute = d
	return nil
}

type payoutObject struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Amount   *int64  `json:"amount"`
	Currency *string `json:"currency"`
}

func decodePayout(ev *ledger.StripeEvent, raw json.RawMessage) error {
	var o payoutObject
	if err := unmarshalObject(raw, "payout", &o); err != nil {
		return err
	}
	if err := required("id", o.ID); err != nil {
		return err
	}
	if err := required("status", o.Status); err != nil {
		return err
	}
	amount, err := objectMoney("amount", o.Amount, o.Currency)
	if err != nil {
		return err
	}
	ev.Payout = &ledger.Payout{ID: o.ID, Status: o.Status, Amount: amount}
	return nil
}

type balanceTransactionObject struct {
	ID                string  `json:"id"`
	Object            string  `json:"object"`
	Amount            *int64  `json:"amount"`
	Fee               *int64  `json:"fee"`
	Currency          *string `json:"currency"`
	ReportingCategory string  `json:"reporting_category"`
}

// decodeBalanceTransaction decodes a balance transaction found at field: nil
// (and no error) when Stripe sent null or only its id (not expanded).
// Amount and fee are read from the integer fields, in the balance
// transaction's own currency; exchange_rate, a float, is never read.
func decodeBalanceTransaction(field string, raw json.RawMessage) (*ledger.BalanceTransaction, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || raw[0] == '"' {
		return nil, nil
	}
	var o balanceTransactionObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fieldError(field, "is not a balance transaction: %s", jsonProblem(err))
	}
	if o.Object != "" && o.Object != "balance_transaction" {
		return nil, fieldError(field, "is a %q, not a balance transaction", o.Object)
	}
	if o.ID == "" {
		return nil, fieldError(field+".id", "is missing")
	}
	if o.Currency == nil || *o.Currency == "" {
		return nil, fieldError(field+".currency", "is missing")
	}
	if _, err := ledger.LookupCurrency(*o.Currency); err != nil {
		return nil, fieldError(field+".currency", "%q is not a currency the fund accepts", *o.Currency)
	}
	amount, err := objectMoney(field+".amount", o.Amount, o.Currency)
	if err != nil {
		return nil, err
	}
	fee, err := objectMoney(field+".fee", o.Fee, o.Currency)
	if err != nil {
		return nil, err
	}
	return &ledger.BalanceTransaction{ID: o.ID, Amount: amount, Fee: fee, Category: o.ReportingCategory}, nil
}

// ParseEvent is the package's ParseEvent, for ledger.CardGateway: it decodes
// a stored StripeEvent.Payload again.
func (c *Client) ParseEvent(raw []byte) (*ledger.StripeEvent, error) { return ParseEvent(raw) }
