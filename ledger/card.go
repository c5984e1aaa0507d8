package ledger

import (
	"context"
	"strings"
	"time"
)

// PledgeStatus is where a card pledge stands.
type PledgeStatus string

const (
	PledgePending PledgeStatus = "pending" // checkout created, not paid yet
	PledgePaid    PledgeStatus = "paid"    // paid and booked as a donation
	PledgeExpired PledgeStatus = "expired" // the checkout session expired unpaid
	PledgeFailed  PledgeStatus = "failed"  // a delayed payment method failed
)

// Pledge is a donor's intention to give by card, stored before the donor is
// sent to Stripe Checkout. It becomes a donation when Stripe says it is paid.
type Pledge struct {
	ID                string
	Fund              string // fund slug
	Amount            Money
	Donor             Donor // Email is required: the receipt goes there
	Acknowledgement   Acknowledgement
	Message           string
	Status            PledgeStatus
	CheckoutSessionID string
	CheckoutURL       string
	CreatedAt         time.Time
	// Lang is the language the donor used, for the receipt.
	Lang string
	// IdempotencyKey, when set, makes CreatePledge return the pledge made
	// earlier with the same key and Fingerprint instead of a new one.
	IdempotencyKey string
	Fingerprint    string
}

// Validate checks the pledge as the donation page submits it.
func (p *Pledge) Validate() error {
	d := Donation{Fund: p.Fund, Amount: p.Amount, Channel: ChannelCard, ReceivedOn: time.Unix(0, 0),
		Donor: p.Donor, Acknowledgement: p.Acknowledgement, Message: p.Message}
	if err := d.Validate(); err != nil {
		return err
	}
	p.Donor, p.Acknowledgement, p.Message = d.Donor, d.Acknowledgement, d.Message
	if p.Donor.Email == "" {
		return Errorf(EINVALID, "donor.email is required: the receipt is sent there")
	}
	return nil
}

// Stripe event types the fund books or records.
const (
	EventSessionCompleted     = "checkout.session.completed"
	EventSessionAsyncSuccess  = "checkout.session.async_payment_succeeded"
	EventSessionAsyncFailed   = "checkout.session.async_payment_failed"
	EventSessionExpired       = "checkout.session.expired"
	EventChargeRefunded       = "charge.refunded"
	EventRefundUpdated        = "charge.refund.updated"
	EventDisputeCreated       = "charge.dispute.created"
	EventDisputeFundsWithdraw = "charge.dispute.funds_withdrawn"
	EventDisputeReinstated    = "charge.dispute.funds_reinstated"
	EventDisputeClosed        = "charge.dispute.closed"
	EventPayoutPaid           = "payout.paid"
	EventPayoutFailed         = "payout.failed"
)

// StripeEvent is a Stripe event as the books need it: amounts are exact Money
// (internal/stripe converts Stripe's integer minor units), and exactly one of
// the object fields is set, according to Type. Payload keeps the raw JSON for
// audit. Events of types the fund does not handle carry no object.
type StripeEvent struct {
	ID         string // evt_...
	Type       string
	APIVersion string
	Created    time.Time
	Payload    []byte

	Session *CheckoutSession
	Charge  *CardCharge
	Refund  *CardRefund
	Dispute *CardDispute
	Payout  *Payout
}

// Handled reports whether the books act on events of this type.
func (e *StripeEvent) Handled() bool {
	switch e.Type {
	case EventSessionCompleted, EventSessionAsyncSuccess, EventSessionAsyncFailed, EventSessionExpired,
		EventChargeRefunded, EventRefundUpdated, EventDisputeCreated, EventDisputeFundsWithdraw,
		EventDisputeReinstated, EventDisputeClosed, EventPayoutPaid, EventPayoutFailed:
		return true
	}
	return false
}

// BalanceTransaction is how a movement changed the Stripe balance, in the
// settlement currency: Amount is gross (negative for money out), Fee what
// Stripe kept. Read from Stripe's integer fields, never its float rate.
type BalanceTransaction struct {
	ID       string
	Amount   Money
	Fee      Money
	Category string // Stripe's reporting_category: charge, refund, dispute, dispute_reversal, ...
}

// CheckoutSession is a checkout.session.* event's object.
type CheckoutSession struct {
	ID            string // cs_...
	PaymentStatus string // paid, unpaid, no_payment_required
	PaymentIntent string // pi_...
	PledgeID      string // metadata pledge_id, "" for sessions made outside fundledger
	FundSlug      string // metadata fund, "" when absent
	Amount        Money  // amount_total in the charge currency; zero Money when the session collects none
	// Filled by CardGateway.Enrich for paid sessions: the charge and its
	// balance transaction (settlement currency, fee).
	ChargeID   string
	Settlement *BalanceTransaction
}

// CardCharge is a charge.refunded event's object.
type CardCharge struct {
	ID             string // ch_...
	PaymentIntent  string
	Amount         Money // in the charge currency
	AmountRefunded Money // cumulative, in the charge currency
	// Filled by CardGateway.Enrich: the sum of the balance transactions of
	// the charge's refunds that took money out (pending or succeeded) and
	// existed when the event was created, in the settlement currency,
	// negative. Nil when none says; Enrich fails with EUNAVAILABLE while only
	// some do.
	RefundSettlement *Money
	RefundFees       *Money
}

// CardRefund is a charge.refund.updated event's object.
type CardRefund struct {
	ID            string // re_...
	Charge        string
	PaymentIntent string
	Status        string // pending, succeeded, failed, canceled, requires_action
	Amount        Money
}

// CardDispute is a charge.dispute.* event's object.
type CardDispute struct {
	ID                  string // dp_...
	Charge              string
	PaymentIntent       string
	Status              string // warning_needs_response, needs_response, under_review, won, lost, ...
	Amount              Money
	BalanceTransactions []BalanceTransaction // withdrawal (negative) and reinstatement (positive)
}

// Payout is a payout.* event's object.
type Payout struct {
	ID     string // po_...
	Status string
	Amount Money
}

// CheckoutURLs are where Stripe sends the donor back.
type CheckoutURLs struct {
	Success string // may contain {CHECKOUT_SESSION_ID}
	Cancel  string
}

// CardGateway is the payment processor, seen from the books.
type CardGateway interface {
	// CreateCheckout creates a hosted checkout for p and returns its session
	// id and URL. It is idempotent per pledge.
	CreateCheckout(ctx context.Context, p *Pledge, fundName string, urls CheckoutURLs) (sessionID, url string, err error)
	// Enrich fetches what ev's payload lacks: the settlement of a paid
	// session, the settlement of a charge's refunds.
	Enrich(ctx context.Context, ev *StripeEvent) error
	// ListEvents calls fn for every event created since the given time,
	// oldest first. Stripe renders listed events in the account's default API
	// version at the time they happened, not the webhook endpoint's.
	ListEvents(ctx context.Context, since time.Time, fn func(*StripeEvent) error) error
	// ParseEvent decodes an event's JSON, as stored in StripeEvent.Payload.
	ParseEvent(raw []byte) (*StripeEvent, error)
}

// StripeOutcome says what processing an event did.
type StripeOutcome string

const (
	OutcomeApplied   StripeOutcome = "applied"   // stored and booked (or recorded)
	OutcomeDuplicate StripeOutcome = "duplicate" // seen before: nothing done
	OutcomeDeferred  StripeOutcome = "deferred"  // stored; booked once its donation is
	OutcomeIgnored   StripeOutcome = "ignored"   // stored; a type the books do not act on
)

// CardService keeps pledges and books Stripe events.
type CardService interface {
	CreatePledge(ctx context.Context, p *Pledge) error
	SetPledgeCheckout(ctx context.Context, pledgeID, sessionID, url string) error
	FindPledge(ctx context.Context, id string) (*Pledge, error)
	// StripeEventSeen reports whether the event was applied or ignored before.
	StripeEventSeen(ctx context.Context, id string) (bool, error)
	// ApplyStripeEvent stores ev and books its postings in one database
	// transaction. A duplicate is a no-op. Events about a payment whose
	// donation is not booked yet are stored and deferred.
	ApplyStripeEvent(ctx context.Context, ev *StripeEvent) (StripeOutcome, error)
	// DeferredStripeEvents returns the payloads of the deferred events whose
	// payment is now booked, oldest first, ready to parse and apply again.
	DeferredStripeEvents(ctx context.Context, paymentIntent string) ([][]byte, error)
}

// ProcessStripeEvent is the one path every Stripe event takes, from the
// webhook or from a sync: skip it if seen, fetch what its payload lacks, book
// it, then book the events that were waiting for it.
func ProcessStripeEvent(ctx context.Context, gw CardGateway, cards CardService, ev *StripeEvent) (StripeOutcome, error) {
	seen, err := cards.StripeEventSeen(ctx, ev.ID)
	if err != nil || seen {
		return OutcomeDuplicate, err
	}
	if ev.Handled() {
		if err := gw.Enrich(ctx, ev); err != nil {
			return "", err
		}
	}
	out, err := cards.ApplyStripeEvent(ctx, ev)
	if err != nil || out != OutcomeApplied {
		return out, err
	}
	pi := ev.PaymentIntent()
	if pi == "" {
		return out, nil
	}
	waiting, err := cards.DeferredStripeEvents(ctx, pi)
	if err != nil {
		return out, err
	}
	for _, raw := range waiting {
		w, err := gw.ParseEvent(raw)
		if err != nil {
			return out, err
		}
		if err := gw.Enrich(ctx, w); err != nil {
			return out, err
		}
		if _, err := cards.ApplyStripeEvent(ctx, w); err != nil {
			return out, err
		}
	}
	return out, nil
}

// PaymentIntent is the payment the event is about, "" for payouts and
// events of other types.
func (e *StripeEvent) PaymentIntent() string {
	switch {
	case e.Session != nil:
		return e.Session.PaymentIntent
	case e.Charge != nil:
		return e.Charge.PaymentIntent
	case e.Refund != nil:
		return e.Refund.PaymentIntent
	case e.Dispute != nil:
		return e.Dispute.PaymentIntent
	}
	return ""
}

// StripeKey is the idempotency key of a booking made for a Stripe object.
func StripeKey(parts ...string) string { return "stripe:" + strings.Join(parts, ":") }
