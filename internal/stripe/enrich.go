package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fundledger/fundledger/ledger"
	stripe "github.com/stripe/stripe-go/v76"
)

// Enrich fetches what ev's payload lacks:
//
//   - a paid checkout session (completed or async_payment_succeeded): its
//     payment intent's latest charge and that charge's balance transaction,
//     which say what reached the Stripe balance, in which currency, for which
//     fee. A charge or balance transaction Stripe has not created yet is
//     EUNAVAILABLE: the same event succeeds when retried later (a webhook
//     answered 503 is redelivered by Stripe; a sync can be run again).
//   - charge.refunded: the balance transactions of the charge's refunds that
//     took money out (pending or succeeded) and existed when the event was
//     created, summed in the settlement currency.
//
// Other events need nothing.
func (c *Client) Enrich(ctx context.Context, ev *ledger.StripeEvent) error {
	ctx = withContext(ctx)
	switch {
	case ev == nil:
		return nil
	case ev.Session != nil:
		return c.enrichSession(ctx, ev)
	case ev.Charge != nil && ev.Type == ledger.EventChargeRefunded:
		return c.enrichRefunds(ctx, ev)
	}
	return nil
}

func (c *Client) enrichSession(ctx context.Context, ev *ledger.StripeEvent) error {
	s := ev.Session
	if ev.Type != ledger.EventSessionCompleted && ev.Type != ledger.EventSessionAsyncSuccess {
		return nil
	}
	if s.PaymentStatus != "paid" || (s.Settlement != nil && s.ChargeID != "") {
		return nil
	}
	if s.PaymentIntent == "" {
		return ledger.Errorf(ledger.EINVALID, "Stripe event %s: paid checkout session %s has no payment_intent", ev.ID, s.ID)
	}
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	params.AddExpand("latest_charge.balance_transaction")
	pi, err := c.api.PaymentIntents.Get(s.PaymentIntent, params)
	if err != nil {
		return c.apiError("read payment intent "+s.PaymentIntent, err)
	}
	chargeID, bt, pending, err := settlementOf(rawJSON(pi.LastResponse))
	if err != nil {
		return ledger.Errorf(ledger.ErrorCode(err), "payment intent %s: %s", s.PaymentIntent, ledger.ErrorMessage(err))
	}
	if pending != "" {
		return ledger.Errorf(ledger.EUNAVAILABLE, "Stripe has not settled payment %s of checkout session %s yet (%s); the event will be processed when it is retried",
			s.PaymentIntent, s.ID, pending)
	}
	s.ChargeID, s.Settlement = chargeID, bt
	return nil
}

// settlementOf reads the charge and its balance transaction from a payment
// intent retrieved with latest_charge.balance_transaction expanded. pending
// says what Stripe has not created yet, if anything.
func settlementOf(pi []byte) (chargeID string, bt *ledger.BalanceTransaction, pending string, err error) {
	var o struct {
		LatestCharge json.RawMessage `json:"latest_charge"`
	}
	if err := json.Unmarshal(pi, &o); err != nil {
		return "", nil, "", ledger.Errorf(ledger.EUNAVAILABLE, "%s: the payment intent came back unreadable (%s)", unavailableMessage, jsonProblem(err))
	}
	charge := bytes.TrimSpace(o.LatestCharge)
	if len(charge) == 0 || string(charge) == "null" {
		return "", nil, "the payment intent has no charge", nil
	}
	if charge[0] == '"' {
		return "", nil, "", ledger.Errorf(ledger.EUNAVAILABLE, "%s: Stripe did not expand the charge", unavailableMessage)
	}
	var ch struct {
		ID                 string          `json:"id"`
		BalanceTransaction json.RawMessage `json:"balance_transaction"`
	}
	if err := json.Unmarshal(charge, &ch); err != nil || ch.ID == "" {
		return "", nil, "", ledger.Errorf(ledger.EUNAVAILABLE, "%s: the charge came back unreadable", unavailableMessage)
	}
	if t := bytes.TrimSpace(ch.BalanceTransaction); len(t) > 0 && t[0] == '"' {
		return "", nil, "", ledger.Errorf(ledger.EUNAVAILABLE, "%s: Stripe did not expand the balance transaction of charge %s", unavailableMessage, ch.ID)
	}
	bt, err = decodeBalanceTransaction("latest_charge.balance_transaction", ch.BalanceTransaction)
	if err != nil {
		return "", nil, "", err
	}
	if bt == nil {
		return ch.ID, nil, "charge " + ch.ID + " has no balance transaction", nil
	}
	return ch.ID, bt, "", nil
}

func (c *Client) enrichRefunds(ctx context.Context, ev *ledger.StripeEvent) error {
	ch := ev.Charge
	params := &stripe.RefundListParams{Charge: stripe.String(ch.ID)}
	params.Context = ctx
	params.Limit = stripe.Int64(100)
	params.AddExpand("data.balance_transaction")
	it := c.api.Refunds.List(params)
	var (
		total, fees *ledger.Money
		missing     []string
	)
	err := eachRaw(it.Iter, func() *stripe.APIResponse { return it.RefundList().LastResponse },
		func() string { return it.Refund().ID },
		func(raw json.RawMessage) error {
			var r refundObject
			if err := json.Unmarshal(raw, &r); err != nil {
				return ledger.Errorf(ledger.EUNAVAILABLE, "%s: a refund of charge %s came back unreadable (%s)", unavailableMessage, ch.ID, jsonProblem(err))
			}
			if r.Status != "pending" && r.Status != "succeeded" {
				return nil // failed or canceled: no money out (or returned)
			}
			if !ev.Created.IsZero() && r.Created > ev.Created.Unix() {
				return nil // a later refund: a later charge.refunded event counts it
			}
			bt, err := decodeBalanceTransaction("balance_transaction", r.BalanceTransaction)
			if err != nil {
				return ledger.Errorf(ledger.EINVALID, "refund %s of charge %s: %s", r.ID, ch.ID, ledger.ErrorMessage(err))
			}
			if bt == nil {
				missing = append(missing, r.ID)
				return nil
			}
			if total == nil {
				total = &ledger.Money{Currency: bt.Amount.Currency}
				fees = &ledger.Money{Currency: bt.Fee.Currency}
			}
			if bt.Amount.Currency != total.Currency {
				return ledger.Errorf(ledger.EINVALID, "the refunds of charge %s settled in both %s and %s: book them by hand", ch.ID, total.Currency, bt.Amount.Currency)
			}
			total.Amount = total.Amount.Add(bt.Amount.Amount)
			fees.Amount = fees.Amount.Add(bt.Fee.Amount)
			return nil
		})
	if err != nil {
		var le *ledger.Error
		if errors.As(err, &le) {
			return err
		}
		return c.apiError(fmt.Sprintf("list the refunds of charge %s", ch.ID), err)
	}
	if len(missing) > 0 && total != nil {
		// Some refunds say what they took out, some not yet: a partial sum
		// would be wrong.
		return ledger.Errorf(ledger.EUNAVAILABLE, "Stripe has not settled refund %s of charge %s yet; the event will be processed when it is retried", missing[0], ch.ID)
	}
	ch.RefundSettlement, ch.RefundFees = total, fees
	return nil
}

// rawJSON is the body of a response, nil when there is none.
func rawJSON(r *stripe.APIResponse) []byte {
	if r == nil {
		return nil
	}
	return r.RawJSON
}

// eachRaw walks a stripe-go list, all pages, calling fn with the raw JSON of
// each item exactly as Stripe sent it. page returns the response of the
// current page; id the id of the current item, to check the two agree.
func eachRaw(it *stripe.Iter, page func() *stripe.APIResponse, id func() string, fn func(json.RawMessage) error) error {
	var (
		last  *stripe.APIResponse
		items []json.RawMessage
		i     int
	)
	for it.Next() {
		if resp := page(); resp != last {
			var body struct {
				Data []json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(rawJSON(resp), &body); err != nil {
				return ledger.Errorf(ledger.EUNAVAILABLE, "%s: a list came back unreadable (%s)", unavailableMessage, jsonProblem(err))
			}
			last, items, i = resp, body.Data, 0
		}
		if i >= len(items) {
			return ledger.Errorf(ledger.EUNAVAILABLE, "%s: a list page came back inconsistent", unavailableMessage)
		}
		var item struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(items[i], &item); err != nil || item.ID != id() {
			return ledger.Errorf(ledger.EUNAVAILABLE, "%s: a list page came back inconsistent", unavailableMessage)
		}
		if err := fn(items[i]); err != nil {
			return err
		}
		i++
	}
	return it.Err()
}
