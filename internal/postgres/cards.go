package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// CardService implements ledger.CardService: pledges, and Stripe events
// booked exactly once each.
type CardService struct {
	db *DB
	// DefaultFund receives card payments that name no fund we know; "" means
	// the oldest fund.
	DefaultFund string
}

// NewCardService returns the card service on db.
func NewCardService(db *DB, defaultFund string) *CardService {
	return &CardService{db: db, DefaultFund: defaultFund}
}

var _ ledger.CardService = (*CardService)(nil)

// CreatePledge implements ledger.CardService.
func (s *CardService) CreatePledge(ctx context.Context, p *ledger.Pledge) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var key *string
	if p.IdempotencyKey != "" {
		if err := ledger.ValidateIdempotencyKey(p.IdempotencyKey); err != nil {
			return err
		}
		key = &p.IdempotencyKey
	}
	for attempt := 0; attempt < 2; attempt++ {
		if key != nil {
			var id, fp string
			err := s.db.Pool.QueryRow(ctx, `select id::text, fingerprint from pledges where idempotency_key = $1`, *key).Scan(&id, &fp)
			if err == nil {
				if fp != p.Fingerprint {
					return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", *key)
				}
				prior, err := findPledge(ctx, s.db.Pool, id, false)
				if err != nil {
					return fmt.Errorf("create pledge: %w", translate(err))
				}
				*p = *prior
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("create pledge: %w", translate(err))
			}
		}
		p.ID, p.Status, p.CreatedAt = uuid.NewString(), ledger.PledgePending, s.db.now()
		tag, err := s.db.Pool.Exec(ctx, `insert into pledges (id, fund_id, amount, currency, donor_name, donor_email, donor_organisation,
			donor_country, ack_display, ack_alias, ack_show_amount, message, status, created_at, updated_at, idempotency_key, fingerprint, lang)
			select $1, f.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $13, $14, $15, $16 from funds f where f.slug = $2`,
			p.ID, p.Fund, p.Amount.Amount, p.Amount.Currency.Code, p.Donor.Name, p.Donor.Email, p.Donor.Organisation,
			p.Donor.Country, string(p.Acknowledgement.Display), p.Acknowledgement.Alias, p.Acknowledgement.ShowAmount, p.Message, p.CreatedAt,
			key, p.Fingerprint, langOr(p.Lang))
		if isUnique(err, "pledges_idempotency_key_key") {
			continue // a concurrent request with the same key won; return its pledge
		}
		if err != nil {
			return fmt.Errorf("create pledge: %w", translate(err))
		}
		if tag.RowsAffected() == 0 {
			return ledger.Errorf(ledger.EINVALID, "fund %q does not exist", p.Fund)
		}
		return nil
	}
	return fmt.Errorf("create pledge: idempotency key %q raced twice", p.IdempotencyKey)
}

// SetPledgeCheckout implements ledger.CardService.
func (s *CardService) SetPledgeCheckout(ctx context.Context, pledgeID, sessionID, url string) error {
	_, err := s.db.Pool.Exec(ctx, `update pledges set checkout_session_id = $2, checkout_url = $3, updated_at = $4 where id = $1`,
		pledgeID, sessionID, url, s.db.now())
	if err != nil {
		return fmt.Errorf("set pledge checkout %s: %w", pledgeID, translate(err))
	}
	return nil
}

// FindPledge implements ledger.CardService.
func (s *CardService) FindPledge(ctx context.Context, id string) (*ledger.Pledge, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "pledge %q not found", id)
	}
	p, err := findPledge(ctx, s.db.Pool, id, false)
	if err != nil {
		return nil, fmt.Errorf("find pledge %s: %w", id, translate(err))
	}
	return p, nil
}

func findPledge(ctx context.Context, q querier, id string, lock bool) (*ledger.Pledge, error) {
	sql := `select p.id::text, f.slug, p.amount, p.currency, p.donor_name, p.donor_email, p.donor_organisation, p.donor_country,
		p.ack_display, p.ack_alias, p.ack_show_amount, p.message, p.status, coalesce(p.checkout_session_id, ''), p.checkout_url, p.created_at,
		coalesce(p.idempotency_key, ''), p.fingerprint, p.lang
		from pledges p join funds f on f.id = p.fund_id where p.id = $1`
	if lock {
		sql += ` for update of p`
	}
	var (
		p             ledger.Pledge
		cur, disp, st string
	)
	err := q.QueryRow(ctx, sql, id).Scan(&p.ID, &p.Fund, &p.Amount.Amount, &cur, &p.Donor.Name, &p.Donor.Email, &p.Donor.Organisation,
		&p.Donor.Country, &disp, &p.Acknowledgement.Alias, &p.Acknowledgement.ShowAmount, &p.Message, &st, &p.CheckoutSessionID,
		&p.CheckoutURL, &p.CreatedAt, &p.IdempotencyKey, &p.Fingerprint, &p.Lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "pledge %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	p.Acknowledgement.Display, p.Status = ledger.AckDisplay(disp), ledger.PledgeStatus(st)
	p.Amount.Currency, err = ledger.LookupCurrency(cur)
	return &p, err
}

// StripeEventSeen implements ledger.CardService.
func (s *CardService) StripeEventSeen(ctx context.Context, id string) (bool, error) {
	var seen bool
	err := s.db.Pool.QueryRow(ctx, `select exists(select 1 from stripe_events where id = $1 and status <> 'deferred')`, id).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("stripe event %s: %w", id, translate(err))
	}
	return seen, nil
}

// DeferredStripeEvents implements ledger.CardService.
func (s *CardService) DeferredStripeEvents(ctx context.Context, paymentIntent string) ([][]byte, error) {
	rows, err := s.db.Pool.Query(ctx, `select payload from stripe_events e where e.status = 'deferred' and e.payment_intent = $1
		and exists (select 1 from stripe_payments p where p.payment_intent = $1) order by e.created, e.id`, paymentIntent)
	if err != nil {
		return nil, fmt.Errorf("deferred stripe events: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("deferred stripe events: %w", translate(err))
	}
	return out, nil
}

// ApplyStripeEvent implements ledger.CardService. The event row is written
// first, so concurrent deliveries of one event queue behind each other on
// its key and all but the first find it applied.
func (s *CardService) ApplyStripeEvent(ctx context.Context, ev *ledger.StripeEvent) (ledger.StripeOutcome, error) {
	var outcome ledger.StripeOutcome
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		now := s.db.now()
		_, err := tx.Exec(ctx, `insert into stripe_events (id, type, api_version, created, payload, status, payment_intent, received_at)
			values ($1, $2, $3, $4, $5, 'deferred', $6, $7) on conflict (id) do nothing`,
			ev.ID, ev.Type, ev.APIVersion, ev.Created, ev.Payload, ev.PaymentIntent(), now)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `select status from stripe_events where id = $1 for update`, ev.ID).Scan(&status); err != nil {
			return err
		}
		if status != string(ledger.OutcomeDeferred) {
			outcome = ledger.OutcomeDuplicate
			return nil
		}
		b := &cardBooking{s: s, tx: tx, ev: ev, now: now}
		if outcome, err = b.apply(ctx); err != nil {
			return err
		}
		var appliedAt *time.Time
		if outcome != ledger.OutcomeDeferred {
			appliedAt = &now
		}
		_, err = tx.Exec(ctx, `update stripe_events set status = $2, applied_at = $3, payment_intent = $4 where id = $1`,
			ev.ID, string(outcome), appliedAt, b.paymentIntent())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("apply stripe event %s (%s): %w", ev.ID, ev.Type, translate(err))
	}
	return outcome, nil
}

// cardBooking books one Stripe event inside one database transaction.
type cardBooking struct {
	s   *CardService
	tx  pgx.Tx
	ev  *ledger.StripeEvent
	now time.Time
	pi  string // the payment intent, once resolved
}

func (b *cardBooking) paymentIntent() string {
	if b.pi != "" {
		return b.pi
	}
	return b.ev.PaymentIntent()
}

func (b *cardBooking) apply(ctx context.Context) (ledger.StripeOutcome, error) {
	ev := b.ev
	switch {
	case !ev.Handled():
		return ledger.OutcomeIgnored, nil
	case ev.Session != nil:
		return b.session(ctx)
	case ev.Type == ledger.EventChargeRefunded && ev.Charge != nil:
		return b.refunded(ctx)
	case ev.Type == ledger.EventRefundUpdated && ev.Refund != nil:
		return b.refundUpdated(ctx)
	case ev.Dispute != nil:
		return b.dispute(ctx)
	case ev.Payout != nil:
		return b.payout(ctx)
	}
	return "", ledger.Errorf(ledger.EINVALID, "stripe event %s of type %s carries no %s object", ev.ID, ev.Type, ev.Type)
}

// session books a paid checkout as a donation, or records what became of
// an unpaid one.
func (b *cardBooking) session(ctx context.Context) (ledger.StripeOutcome, error) {
	cs := b.ev.Session
	var pledge *ledger.Pledge
	if _, err := uuid.Parse(cs.PledgeID); err == nil {
		p, err := findPledge(ctx, b.tx, cs.PledgeID, true)
		if err != nil && ledger.ErrorCode(err) != ledger.ENOTFOUND {
			return "", err
		}
		pledge = p
	}
	setStatus := func(st ledger.PledgeStatus, only ledger.PledgeStatus) error {
		if pledge == nil {
			return nil
		}
		_, err := b.tx.Exec(ctx, `update pledges set status = $2, updated_at = $3 where id = $1 and status = $4`, pledge.ID, string(st), b.now, string(only))
		return err
	}
	switch b.ev.Type {
	case ledger.EventSessionExpired:
		return ledger.OutcomeApplied, setStatus(ledger.PledgeExpired, ledger.PledgePending)
	case ledger.EventSessionAsyncFailed:
		return ledger.OutcomeApplied, setStatus(ledger.PledgeFailed, ledger.PledgePending)
	}
	if cs.PaymentStatus != "paid" {
		return ledger.OutcomeApplied, nil // a delayed payment method: the async events follow
	}
	if cs.PaymentIntent == "" {
		return "", ledger.Errorf(ledger.EINVALID, "paid checkout session %s has no payment_intent", cs.ID)
	}
	var booked bool
	if err := b.tx.QueryRow(ctx, `select exists(select 1 from stripe_payments where payment_intent = $1)`, cs.PaymentIntent).Scan(&booked); err != nil {
		return "", err
	}
	if booked { // completed and async_payment_succeeded both say so
		return ledger.OutcomeApplied, setStatus(ledger.PledgePaid, ledger.PledgePending)
	}
	if cs.Settlement == nil || cs.ChargeID == "" {
		return "", &ledger.Error{Code: ledger.EUNAVAILABLE, Message: fmt.Sprintf("the settlement of checkout session %s is not known yet", cs.ID)}
	}

	d := &ledger.Donation{
		ID: uuid.NewString(), Amount: cs.Amount, Channel: ledger.ChannelCard, ReceivedOn: ledger.Date(b.ev.Created),
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckAnonymous},
		IdempotencyKey:  ledger.StripeKey("payment", cs.PaymentIntent), Fingerprint: b.ev.ID,
	}
	var pledgeID *string
	if pledge != nil {
		d.Fund, d.Donor, d.Acknowledgement, d.Message, pledgeID = pledge.Fund, pledge.Donor, pledge.Acknowledgement, pledge.Message, &pledge.ID
		d.Lang = pledge.Lang
	} else {
		fund, err := b.s.fundFor(ctx, b.tx, cs.FundSlug)
		if err != nil {
			return "", err
		}
		d.Fund = fund // a payment made outside fundledger: anonymous until the committee says otherwise
	}
	st := cs.Settlement
	postings, err := movement(d.Fund, cs.Amount, st.Amount, st.Fee)
	if err != nil {
		return "", fmt.Errorf("checkout session %s: %w", cs.ID, err)
	}
	t := &ledger.Transaction{
		IdempotencyKey: d.IdempotencyKey, Fingerprint: d.Fingerprint, EffectiveDate: d.ReceivedOn,
		Description: "Card donation (Stripe)", Postings: postings,
		Metadata: map[string]string{"donation_id": d.ID, "channel": string(ledger.ChannelCard), "stripe_payment_intent": cs.PaymentIntent,
			"stripe_charge": cs.ChargeID, "stripe_checkout_session": cs.ID, "stripe_balance_transaction": st.ID, "stripe_event": b.ev.ID},
	}
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("checkout session %s: %w", cs.ID, err)
	}
	if err := t.Validate(); err != nil {
		return "", fmt.Errorf("checkout session %s: %w", cs.ID, err)
	}
	if err := bookDonation(ctx, b.tx, b.now, d, t, pledgeID); err != nil {
		return "", err
	}
	_, err = b.tx.Exec(ctx, `insert into stripe_payments (payment_intent, charge_id, donation_id, fund_id, currency, settlement_currency)
		select $1, $2, $3, f.id, $5, $6 from funds f where f.slug = $4`,
		cs.PaymentIntent, cs.ChargeID, d.ID, d.Fund, cs.Amount.Currency.Code, st.Amount.Currency.Code)
	if err != nil {
		return "", fmt.Errorf("record stripe payment: %w", err)
	}
	if pledge != nil {
		if _, err := b.tx.Exec(ctx, `update pledges set status = 'paid', updated_at = $2 where id = $1`, pledge.ID, b.now); err != nil {
			return "", err
		}
	}
	return ledger.OutcomeApplied, nil
}

// fundFor resolves the fund of a payment made outside fundledger: the fund
// its metadata names, if it exists, else the default fund.
func (s *CardService) fundFor(ctx context.Context, tx pgx.Tx, slug string) (string, error) {
	for _, candidate := range []string{slug, s.DefaultFund} {
		if candidate == "" {
			continue
		}
		var exists bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from funds where slug = $1)`, candidate).Scan(&exists); err != nil {
			return "", err
		}
		if exists {
			return candidate, nil
		}
	}
	var first string
	err := tx.QueryRow(ctx, `select slug from funds order by id limit 1`).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ledger.Errorf(ledger.EINVALID, "a card payment arrived but the books have no fund to receive it; create a fund first")
	}
	return first, err
}

// stripePayment is a booked card payment, locked for the rest of the
// database transaction.
type stripePayment struct {
	paymentIntent, chargeID, donationID, fund string
	currency, settlement                      ledger.Currency
	refunded, refundedSettled                 decimal.Decimal
}

// lockPayment finds the booked payment by payment intent or charge id; nil
// when the donation is not booked yet.
func (b *cardBooking) lockPayment(ctx context.Context, paymentIntent, chargeID string) (*stripePayment, error) {
	var (
		p        stripePayment
		cur, set string
	)
	err := b.tx.QueryRow(ctx, `select sp.payment_intent, sp.charge_id, sp.donation_id::text, f.slug, sp.currency, sp.settlement_currency,
		sp.refunded, sp.refunded_settled
		from stripe_payments sp join funds f on f.id = sp.fund_id
		where ($1 <> '' and sp.payment_intent = $1) or ($2 <> '' and sp.charge_id = $2) for update of sp`, paymentIntent, chargeID).
		Scan(&p.paymentIntent, &p.chargeID, &p.donationID, &p.fund, &cur, &set, &p.refunded, &p.refundedSettled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.pi = p.paymentIntent
	if p.currency, err = ledger.LookupCurrency(cur); err != nil {
		return nil, err
	}
	p.settlement, err = ledger.LookupCurrency(set)
	return &p, err
}

// book appends a transaction for a movement on a booked card payment.
func (b *cardBooking) book(ctx context.Context, p *stripePayment, key, description string, postings []ledger.Posting, meta map[string]string) error {
	meta["donation_id"] = p.donationID
	meta["stripe_payment_intent"] = p.paymentIntent
	meta["stripe_charge"] = p.chargeID
	meta["stripe_event"] = b.ev.ID
	t := &ledger.Transaction{IdempotencyKey: key, Fingerprint: b.ev.ID, EffectiveDate: ledger.Date(b.ev.Created),
		Description: description, Postings: postings, Metadata: meta}
	if err := t.Validate(); err != nil {
		return err
	}
	prior, err := findByKey(ctx, b.tx, key, "")
	if ledger.ErrorCode(err) == ledger.ECONFLICT || prior != nil {
		return nil // booked already, from another event carrying the same fact
	}
	if err != nil {
		return err
	}
	return appendTransaction(ctx, b.tx, b.now, t)
}

// refunded books the part of a charge's cumulative refunds not booked yet.
// Events may come in any order: an older, smaller total books nothing.
func (b *cardBooking) refunded(ctx context.Context) (ledger.StripeOutcome, error) {
	ch := b.ev.Charge
	p, err := b.lockPayment(ctx, ch.PaymentIntent, ch.ID)
	if err != nil || p == nil {
		return ledger.OutcomeDeferred, err
	}
	if ch.AmountRefunded.Currency != p.currency {
		return "", ledger.Errorf(ledger.EINVALID, "charge %s refunded in %s but was paid in %s", ch.ID, ch.AmountRefunded.Currency, p.currency)
	}
	delta := ch.AmountRefunded.Amount.Sub(p.refunded)
	if !delta.IsPositive() {
		return ledger.OutcomeApplied, nil
	}
	deltaSettled := delta
	if p.settlement != p.currency {
		if ch.RefundSettlement == nil {
			return "", &ledger.Error{Code: ledger.EUNAVAILABLE, Message: fmt.Sprintf("the settlement of the refunds of charge %s is not known yet", ch.ID)}
		}
		deltaSettled = ch.RefundSettlement.Amount.Neg().Sub(p.refundedSettled)
		if !deltaSettled.IsPositive() {
			return "", ledger.Errorf(ledger.EINVALID, "charge %s: refunds of %s settled as %s, less than the %s already booked",
				ch.ID, ch.AmountRefunded, ch.RefundSettlement, p.refundedSettled)
		}
	}
	postings, err := movement(p.fund, ledger.Money{Amount: delta.Neg(), Currency: p.currency},
		ledger.Money{Amount: deltaSettled.Neg(), Currency: p.settlement}, ledger.Money{Currency: p.settlement})
	if err != nil {
		return "", err
	}
	key := ledger.StripeKey("refund", ch.ID, ch.AmountRefunded.Amount.StringFixed(p.currency.Exponent))
	if err := b.book(ctx, p, key, "Card donation refunded (Stripe)", postings, map[string]string{"refunded_total": ch.AmountRefunded.String()}); err != nil {
		return "", err
	}
	_, err = b.tx.Exec(ctx, `update stripe_payments set refunded = refunded + $2, refunded_settled = refunded_settled + $3 where payment_intent = $1`,
		p.paymentIntent, delta, deltaSettled)
	return ledger.OutcomeApplied, err
}

// refundUpdated books the return of a refund that failed or was canceled
// after it took money out. Other updates change nothing in the books.
func (b *cardBooking) refundUpdated(ctx context.Context) (ledger.StripeOutcome, error) {
	r := b.ev.Refund
	if r.Status != "failed" && r.Status != "canceled" {
		return ledger.OutcomeApplied, nil
	}
	p, err := b.lockPayment(ctx, r.PaymentIntent, r.Charge)
	if err != nil || p == nil {
		return ledger.OutcomeDeferred, err
	}
	key := ledger.StripeKey("refund", r.ID, "failed")
	if prior, err := findByKey(ctx, b.tx, key, ""); prior != nil || ledger.ErrorCode(err) == ledger.ECONFLICT {
		return ledger.OutcomeApplied, nil
	}
	if p.refunded.LessThan(r.Amount.Amount) {
		return ledger.OutcomeDeferred, nil // the refund itself is not booked yet
	}
	if p.settlement != p.currency {
		return "", ledger.Errorf(ledger.EINVALID, "refund %s of charge %s failed, and the charge settled in %s, not %s: book its return by hand with a journal entry", r.ID, p.chargeID, p.settlement, p.currency)
	}
	postings, err := movement(p.fund, r.Amount, ledger.Money{Amount: r.Amount.Amount, Currency: p.settlement}, ledger.Money{Currency: p.settlement})
	if err != nil {
		return "", err
	}
	if err := b.book(ctx, p, key, "Card refund failed, money returned (Stripe)", postings, map[string]string{"stripe_refund": r.ID}); err != nil {
		return "", err
	}
	_, err = b.tx.Exec(ctx, `update stripe_payments set refunded = refunded - $2, refunded_settled = refunded_settled - $2 where payment_intent = $1`,
		p.paymentIntent, r.Amount.Amount)
	return ledger.OutcomeApplied, err
}

// dispute records a dispute's status and books the money it withdraws or
// reinstates, from the balance transactions the dispute carries.
func (b *cardBooking) dispute(ctx context.Context) (ledger.StripeOutcome, error) {
	dp := b.ev.Dispute
	_, err := b.tx.Exec(ctx, `insert into stripe_disputes (id, payment_intent, status, amount, currency, updated_at) values ($1, $2, $3, $4, $5, $6)
		on conflict (id) do update set status = excluded.status, updated_at = excluded.updated_at`,
		dp.ID, dp.PaymentIntent, dp.Status, dp.Amount.Amount, dp.Amount.Currency.Code, b.now)
	if err != nil {
		return "", err
	}
	var sign int
	var what string
	switch b.ev.Type {
	case ledger.EventDisputeFundsWithdraw:
		sign, what = -1, "withdrawn"
	case ledger.EventDisputeReinstated:
		sign, what = 1, "reinstated"
	default:
		return ledger.OutcomeApplied, nil // created, closed: the money moves with the funds_* events
	}
	p, err := b.lockPayment(ctx, dp.PaymentIntent, dp.Charge)
	if err != nil || p == nil {
		return ledger.OutcomeDeferred, err
	}
	var bt *ledger.BalanceTransaction
	for i := range dp.BalanceTransactions {
		if dp.BalanceTransactions[i].Amount.Amount.Sign() == sign {
			bt = &dp.BalanceTransactions[i]
		}
	}
	if bt == nil {
		return "", ledger.Errorf(ledger.EINVALID, "dispute %s: funds %s but no balance transaction says how much", dp.ID, what)
	}
	gross := dp.Amount
	if sign < 0 {
		gross.Amount = gross.Amount.Neg()
	}
	postings, err := movement(p.fund, gross, bt.Amount, bt.Fee)
	if err != nil {
		return "", fmt.Errorf("dispute %s: %w", dp.ID, err)
	}
	desc := map[int]string{-1: "Card payment disputed, funds withdrawn (Stripe)", 1: "Card dispute won, funds reinstated (Stripe)"}[sign]
	err = b.book(ctx, p, ledger.StripeKey("dispute", dp.ID, what), desc, postings,
		map[string]string{"stripe_dispute": dp.ID, "stripe_balance_transaction": bt.ID})
	return ledger.OutcomeApplied, err
}

// payout moves a paid payout from the Stripe balance to the bank in
// transit, or undoes that when the payout fails.
func (b *cardBooking) payout(ctx context.Context) (ledger.StripeOutcome, error) {
	po := b.ev.Payout
	_, err := b.tx.Exec(ctx, `insert into stripe_payouts (id, status, amount, currency, updated_at) values ($1, $2, $3, $4, $5)
		on conflict (id) do nothing`, po.ID, po.Status, po.Amount.Amount, po.Amount.Currency.Code, b.now)
	if err != nil {
		return "", err
	}
	var (
		status           string
		paidTx, failedTx *string
	)
	if err := b.tx.QueryRow(ctx, `select status, paid_tx::text, failed_tx::text from stripe_payouts where id = $1 for update`, po.ID).
		Scan(&status, &paidTx, &failedTx); err != nil {
		return "", err
	}
	switch b.ev.Type {
	case ledger.EventPayoutPaid:
		if paidTx != nil || status == "failed" {
			return ledger.OutcomeApplied, nil // booked already, or failed before we heard it was paid: nothing moves
		}
		postings, err := b.s.payoutPostings(ctx, b.tx, po.Amount)
		if err != nil {
			return "", err
		}
		t := &ledger.Transaction{IdempotencyKey: ledger.StripeKey("payout", po.ID, "paid"), Fingerprint: b.ev.ID,
			EffectiveDate: ledger.Date(b.ev.Created), Description: "Stripe payout to the bank", Postings: postings,
			Metadata: map[string]string{"stripe_payout": po.ID, "stripe_event": b.ev.ID}}
		if err := t.Validate(); err != nil {
			return "", err
		}
		if err := appendTransaction(ctx, b.tx, b.now, t); err != nil {
			return "", err
		}
		_, err = b.tx.Exec(ctx, `update stripe_payouts set status = 'paid', paid_tx = $2, updated_at = $3 where id = $1`, po.ID, t.ID, b.now)
		return ledger.OutcomeApplied, err
	case ledger.EventPayoutFailed:
		if failedTx != nil || status == "failed" {
			return ledger.OutcomeApplied, nil
		}
		var failed *string
		if paidTx != nil {
			orig, err := findTransaction(ctx, b.tx, *paidTx)
			if err != nil {
				return "", err
			}
			rev := orig.Reversal(ledger.StripeKey("payout", po.ID, "failed"), ledger.Date(b.ev.Created), "Stripe payout failed, money back in the Stripe balance")
			rev.Fingerprint = b.ev.ID
			if err := appendTransaction(ctx, b.tx, b.now, rev); err != nil {
				return "", err
			}
			failed = &rev.ID
		}
		_, err = b.tx.Exec(ctx, `update stripe_payouts set status = 'failed', failed_tx = $2, updated_at = $3 where id = $1`, po.ID, failed, b.now)
		return ledger.OutcomeApplied, err
	}
	_, err = b.tx.Exec(ctx, `update stripe_payouts set status = $2, updated_at = $3 where id = $1`, po.ID, po.Status, b.now)
	return ledger.OutcomeApplied, err
}

// payoutPostings splits a payout across funds in proportion to what each
// holds in the Stripe balance in the payout's currency, exactly to the minor
// unit (largest remainders). What exceeds the funds' balances is taken from
// the default fund.
func (s *CardService) payoutPostings(ctx context.Context, tx pgx.Tx, amount ledger.Money) ([]ledger.Posting, error) {
	rows, err := tx.Query(ctx, `select f.slug, b.amount from balances b join funds f on f.id = b.fund_id
		where b.account = $1 and b.currency = $2 and b.amount > 0 order by f.id`, ledger.AccountStripeClear, amount.Currency.Code)
	if err != nil {
		return nil, err
	}
	type share struct {
		fund string
		held decimal.Decimal
	}
	var (
		shares []share
		fund   string
		held   decimal.Decimal
	)
	if _, err := pgx.ForEachRow(rows, []any{&fund, &held}, func() error { shares = append(shares, share{fund, held}); return nil }); err != nil {
		return nil, err
	}
	exp := amount.Currency.Exponent
	units := func(d decimal.Decimal) *big.Int { return d.Shift(exp).BigInt() }
	total := new(big.Int)
	for _, sh := range shares {
		total.Add(total, units(sh.held))
	}
	want := units(amount.Amount)
	alloc := map[string]*big.Int{}
	var order []string
	add := func(f string, n *big.Int) {
		if alloc[f] == nil {
			alloc[f], order = new(big.Int), append(order, f)
		}
		alloc[f].Add(alloc[f], n)
	}
	if total.Cmp(want) <= 0 {
		for _, sh := range shares {
			add(sh.fund, units(sh.held))
		}
		if rest := new(big.Int).Sub(want, total); rest.Sign() > 0 {
			def, err := s.fundFor(ctx, tx, "")
			if err != nil {
				return nil, err
			}
			add(def, rest)
		}
	} else {
		type rem struct {
			fund string
			r    *big.Int
		}
		var rems []rem
		given := new(big.Int)
		for _, sh := range shares {
			q, r := new(big.Int).QuoRem(new(big.Int).Mul(want, units(sh.held)), total, new(big.Int))
			add(sh.fund, q)
			given.Add(given, q)
			rems = append(rems, rem{sh.fund, r})
		}
		for left := new(big.Int).Sub(want, given); left.Sign() > 0; left.Sub(left, big.NewInt(1)) {
			best := 0
			for i := range rems {
				if rems[i].r.Cmp(rems[best].r) > 0 {
					best = i
				}
			}
			add(rems[best].fund, big.NewInt(1))
			rems[best].r = new(big.Int)
		}
	}
	var ps []ledger.Posting
	for _, f := range order {
		if alloc[f].Sign() == 0 {
			continue
		}
		amt := decimal.NewFromBigInt(alloc[f], -exp)
		ps = append(ps,
			ledger.Posting{Account: ledger.AccountBankTransit, Fund: f, Amount: amt, Currency: amount.Currency},
			ledger.Posting{Account: ledger.AccountStripeClear, Fund: f, Amount: amt.Neg(), Currency: amount.Currency})
	}
	return ps, nil
}

// movement returns the postings of one card movement in fund: gross in the
// charge currency (positive for money in, negative for money out) to
// income:donations:card against the Stripe clearing account; when Stripe
// settled in another currency, the conversion through equity:conversion
// with both amounts exact; and Stripe's fee, in the settlement currency.
func movement(fund string, gross, settled, fee ledger.Money) ([]ledger.Posting, error) {
	if fee.Currency.Code == "" {
		fee.Currency = settled.Currency
	}
	if fee.Currency != settled.Currency {
		return nil, ledger.Errorf(ledger.EINVALID, "fee in %s but settlement in %s", fee.Currency, settled.Currency)
	}
	if gross.Currency == settled.Currency && !gross.Amount.Equal(settled.Amount) {
		return nil, ledger.Errorf(ledger.EINVALID, "Stripe settled %s for a movement of %s in the same currency", settled, gross)
	}
	var ps []ledger.Posting
	add := func(account string, m ledger.Money) {
		if !m.Amount.IsZero() {
			ps = append(ps, ledger.Posting{Account: account, Fund: fund, Amount: m.Amount, Currency: m.Currency})
		}
	}
	neg := func(m ledger.Money) ledger.Money { return ledger.Money{Amount: m.Amount.Neg(), Currency: m.Currency} }
	add(ledger.IncomeAccount(ledger.ChannelCard), neg(gross))
	add(ledger.AccountStripeClear, gross)
	if gross.Currency != settled.Currency {
		add(ledger.AccountStripeClear, neg(gross))
		add(ledger.AccountConversion, gross)
		add(ledger.AccountConversion, neg(settled))
		add(ledger.AccountStripeClear, settled)
	}
	add(ledger.AccountStripeFees, fee)
	add(ledger.AccountStripeClear, neg(fee))
	return ps, nil
}

func langOr(l string) string {
	if l == "" {
		return "en"
	}
	return l
}
