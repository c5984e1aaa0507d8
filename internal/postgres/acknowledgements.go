package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// AcknowledgementService implements ledger.AcknowledgementService and
// ledger.ReceiptService.
type AcknowledgementService struct {
	db     *DB
	public *publicList
}

// NewAcknowledgementService returns the acknowledgement service on db. Pages
// of the public list are cached in memory and forgotten on every change,
// notified by the database (public_list.go): they may be shared between
// callers, who must not modify them.
func NewAcknowledgementService(db *DB) *AcknowledgementService {
	return &AcknowledgementService{db: db, public: newPublicList(db)}
}

var (
	_ ledger.AcknowledgementService = (*AcknowledgementService)(nil)
	_ ledger.ReceiptService         = (*AcknowledgementService)(nil)
)

// publicFrom is the name shown in public, computed in SQL so that personal
// fields the donor did not consent to show never leave the database on the
// public path: "" (Anonymous) unless a committee member approved it.
const publicFrom = `case when d.ack_status = 'approved' then
		case d.ack_display
			when 'name' then coalesce(nullif(d.donor_name, ''), d.donor_organisation)
			when 'organisation' then d.donor_organisation
			when 'alias' then d.ack_alias
			else '' end
		else '' end`

// acknowledged selects the donations on the public list: every donation
// booked, except those reversed or refunded in full. Both checks probe small
// partial indexes (migration 011) that hold only reversals and refunds.
const acknowledged = `from donations d join funds f on f.id = d.fund_id
	where not exists (select 1 from transactions r where r.reversal_of = d.transaction_id)
	and not exists (select 1 from stripe_payments sp where sp.donation_id = d.id and sp.refunded > 0 and sp.refunded >= d.amount)`

// publicDonations and publicCollections are the keyset queries of the public
// list, each on its own index: donations_ack_all or donations_ack_fund
// ((fund_id,) received_on desc, id desc), collections_public or
// collections_fund. The first %s is the rest of the where clause (fund,
// cursor) and the order, the %d the limit, written into the query so that a
// generic plan knows it. A collection's counts are gathered for the page's
// rows only, after the limit.
const (
	publicDonations = `select d.id, d.received_on, f.slug, f.name, d.channel,
		case when d.ack_show_amount then d.amount end, d.currency::text, ` + publicFrom + `,
		case when d.ack_status = 'approved' then d.message else '' end
	` + acknowledged + ` %s limit %d`
	publicCollections = `select c.id, c.collected_on, f.slug, f.name, c.place,
		array_agg(cc.currency::text order by cc.currency), array_agg(cc.amount::text order by cc.currency)
	from (select c.id, c.fund_id, c.collected_on, c.place from collections c
		where not exists (select 1 from transactions r where r.reversal_of = c.transaction_id)
		%s limit %d) c
	join collection_counts cc on cc.collection_id = c.id
	join funds f on f.id = c.fund_id
	group by c.id, c.collected_on, c.place, f.slug, f.name`
)

const maxAckPage = 200

// ListAcknowledgements implements ledger.AcknowledgementService with keyset
// pagination on (received_on, id), so any page costs what the first does.
// Pages come from memory while nothing changed (public_list.go).
func (s *AcknowledgementService) ListAcknowledgements(ctx context.Context, f ledger.AckFilter) (*ledger.AckPage, error) {
	if f.Limit <= 0 || f.Limit > maxAckPage {
		f.Limit = 50
	}
	if f.After != "" && f.Before != "" {
		return nil, ledger.Errorf(ledger.EINVALID, "give after or before, not both")
	}
	if cur := f.After + f.Before; cur != "" {
		if _, _, err := decodeCursor(cur); err != nil {
			return nil, err
		}
	}
	return s.public.page(ctx, newPageKey(f), func(ctx context.Context) (*ledger.AckPage, error) {
		return s.listAcknowledgements(ctx, f)
	})
}

// listAcknowledgements reads a page of the list from the database, for a
// filter that ListAcknowledgements checked.
func (s *AcknowledgementService) listAcknowledgements(ctx context.Context, f ledger.AckFilter) (*ledger.AckPage, error) {
	backward := f.Before != ""
	var (
		cursorDay time.Time
		cursorID  uuid.UUID
		hasCursor bool
	)
	if cur := f.After + f.Before; cur != "" {
		var err error
		if cursorDay, cursorID, err = decodeCursor(cur); err != nil {
			return nil, err
		}
		hasCursor = true
	}
	// Donations and street collections are two keyset queries, each on its
	// own index, merged here: one query over their union would have to sort
	// the whole list for every page.
	clause := func(dayCol, idCol, fundCol string) (string, []any) {
		var args []any
		where := ""
		if f.Fund != nil {
			args = append(args, *f.Fund)
			where += fmt.Sprintf(` and %s = (select id from funds where slug = $%d)`, fundCol, len(args))
		}
		op, order := "<", dayCol+" desc, "+idCol+" desc"
		if backward {
			op, order = ">", dayCol+", "+idCol
		}
		if hasCursor {
			args = append(args, cursorDay, cursorID)
			where += fmt.Sprintf(` and (%s, %s) %s ($%d, $%d)`, dayCol, idCol, op, len(args)-1, len(args))
		}
		return where + ` order by ` + order, args
	}
	// Both in one round trip and one snapshot. Planning these queries costs
	// more than running them, and PostgreSQL's choice between a custom and
	// a generic plan keeps planning them anew for every page: generic
	// plans, made once per connection, are as good (they know the limit).
	var donations, collections []ackRow
	b := &pgx.Batch{}
	b.Queue(`begin isolation level repeatable read read only`)
	b.Queue(`set local plan_cache_mode = force_generic_plan`)
	where, args := clause("d.received_on", "d.id", "d.fund_id")
	b.Queue(fmt.Sprintf(publicDonations, where, f.Limit+1), args...).Query(func(rows pgx.Rows) (err error) {
		donations, err = scanDonationAcks(rows)
		return err
	})
	where, args = clause("c.collected_on", "c.id", "c.fund_id")
	b.Queue(fmt.Sprintf(publicCollections, where, f.Limit+1), args...).Query(func(rows pgx.Rows) (err error) {
		collections, err = scanCollectionAcks(rows)
		return err
	})
	b.Queue(`commit`)
	if err := s.db.Pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("list acknowledgements: %w", translate(err))
	}
	merged := append(donations, collections...)
	sort.Slice(merged, func(i, j int) bool {
		a, b := merged[i], merged[j]
		newer := a.e.Date.After(b.e.Date) || a.e.Date.Equal(b.e.Date) && bytes.Compare(a.id[:], b.id[:]) > 0
		if backward {
			return !newer
		}
		return newer
	})
	if len(merged) > f.Limit+1 {
		merged = merged[:f.Limit+1]
	}
	entries := make([]ledger.PublicAck, len(merged))
	for i, r := range merged {
		entries[i] = r.e
	}
	more := len(entries) > f.Limit
	if more {
		entries = entries[:f.Limit]
	}
	if backward {
		for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
			entries[i], entries[j] = entries[j], entries[i]
		}
	}
	page := &ledger.AckPage{Entries: entries}
	if len(entries) == 0 {
		return page, nil
	}
	first, last := entries[0].Cursor, entries[len(entries)-1].Cursor
	switch {
	case backward:
		page.Older = last
		if more {
			page.Newer = first
		}
	default:
		if more {
			page.Older = last
		}
		if f.After != "" {
			page.Newer = first
		}
	}
	return page, nil
}

func encodeCursor(day time.Time, id uuid.UUID) string {
	return day.Format("20060102") + "." + base64.RawURLEncoding.EncodeToString(id[:])
}

func decodeCursor(s string) (time.Time, uuid.UUID, error) {
	bad := ledger.Errorf(ledger.EINVALID, "cursor %.40q is not one this list gave out", s)
	d, rest, ok := strings.Cut(s, ".")
	if !ok {
		return time.Time{}, uuid.UUID{}, bad
	}
	day, err := time.Parse("20060102", d)
	raw, err2 := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || err2 != nil || len(raw) != 16 {
		return time.Time{}, uuid.UUID{}, bad
	}
	id, _ := uuid.FromBytes(raw)
	return day, id, nil
}

// ModerationQueue implements ledger.AcknowledgementService.
func (s *AcknowledgementService) ModerationQueue(ctx context.Context, limit int) ([]ledger.ModerationItem, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Pool.Query(ctx, `select d.id::text, f.slug, d.received_on, d.channel, d.ack_display,
		case d.ack_display when 'name' then coalesce(nullif(d.donor_name, ''), d.donor_organisation)
			when 'organisation' then d.donor_organisation when 'alias' then d.ack_alias else '' end,
		d.message
		`+acknowledged+` and d.ack_status = 'pending' order by d.recorded_at limit $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("moderation queue: %w", translate(err))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.ModerationItem, error) {
		var (
			it          ledger.ModerationItem
			ch, display string
		)
		err := r.Scan(&it.DonationID, &it.Fund, &it.ReceivedOn, &ch, &display, &it.From, &it.Message)
		it.Channel, it.Display = ledger.Channel(ch), ledger.AckDisplay(display)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("moderation queue: %w", translate(err))
	}
	return items, nil
}

// Moderate implements ledger.AcknowledgementService.
func (s *AcknowledgementService) Moderate(ctx context.Context, ids []string, status ledger.ModerationStatus) (int, error) {
	if status != ledger.ModerationApproved && status != ledger.ModerationHidden {
		return 0, ledger.Errorf(ledger.EINVALID, "status must be approved or hidden, not %q", status)
	}
	if len(ids) == 0 || len(ids) > 500 {
		return 0, ledger.Errorf(ledger.EINVALID, "give between 1 and 500 donation ids")
	}
	uuids := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			return 0, ledger.Errorf(ledger.EINVALID, "donation id %q is not a UUID", id)
		}
		uuids[i] = u
	}
	tag, err := s.db.Pool.Exec(ctx, `update donations set ack_status = $2 where id = any($1)`, uuids, string(status))
	s.public.forget() // this process shows the decision at once; others when notified
	if err != nil {
		return 0, fmt.Errorf("moderate: %w", translate(err))
	}
	if int(tag.RowsAffected()) != len(uuids) {
		return int(tag.RowsAffected()), ledger.Errorf(ledger.ENOTFOUND, "%d of the %d donations do not exist", len(uuids)-int(tag.RowsAffected()), len(uuids))
	}
	return int(tag.RowsAffected()), nil
}

const ackTokenPrefix = "ack_"

func newAckToken() (string, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	tok := ackTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return tok, hashToken(tok), nil
}

// AckByToken implements ledger.AcknowledgementService.
func (s *AcknowledgementService) AckByToken(ctx context.Context, token string) (*ledger.Donation, error) {
	if !strings.HasPrefix(token, ackTokenPrefix) || len(token) > 100 {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "this link is not valid")
	}
	var id string
	err := s.db.Pool.QueryRow(ctx, `select id::text from donations where ack_token_hash = $1`, hashToken(token)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "this link is not valid, or a newer receipt replaced it")
	}
	if err != nil {
		return nil, fmt.Errorf("acknowledgement link: %w", translate(err))
	}
	d, err := findDonationBy(ctx, s.db.Pool, "id", id)
	if err != nil {
		return nil, fmt.Errorf("acknowledgement link: %w", translate(err))
	}
	return d, nil
}

// ChangeAcknowledgement implements ledger.AcknowledgementService.
func (s *AcknowledgementService) ChangeAcknowledgement(ctx context.Context, token string, a ledger.Acknowledgement) error {
	d, err := s.AckByToken(ctx, token)
	if err != nil {
		return err
	}
	d.Acknowledgement = a
	if err := d.Validate(); err != nil {
		return err
	}
	status := ledger.ModerationPending
	if d.Published() {
		status = ledger.ModerationApproved
	}
	_, err = s.db.Pool.Exec(ctx, `update donations set ack_display = $2, ack_alias = $3, ack_show_amount = $4, ack_status = $5 where id = $1`,
		d.ID, string(d.Acknowledgement.Display), d.Acknowledgement.Alias, d.Acknowledgement.ShowAmount, string(status))
	s.public.forget()
	if err != nil {
		return fmt.Errorf("change acknowledgement: %w", translate(err))
	}
	return nil
}

// ClaimReceipts implements ledger.ReceiptService. Each claimed receipt gets
// a fresh private link; only the link's hash is stored.
func (s *AcknowledgementService) ClaimReceipts(ctx context.Context, limit int, lease time.Duration) ([]*ledger.Receipt, error) {
	var out []*ledger.Receipt
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		out = nil
		now := s.db.now()
		rows, err := tx.Query(ctx, `select r.donation_id::text, r.email, r.attempts, d.lang, f.slug, f.name, d.amount, d.currency,
			d.received_on, d.channel, d.ack_display, d.ack_alias, d.ack_show_amount, d.donor_name, d.donor_organisation
			from receipts r join donations d on d.id = r.donation_id join funds f on f.id = d.fund_id
			where r.status = 'pending' and r.next_attempt_at <= $1
			order by r.next_attempt_at limit $2 for update of r skip locked`, now, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ledger.Receipt, error) {
			var (
				r                ledger.Receipt
				cur, ch, display string
			)
			err := row.Scan(&r.DonationID, &r.Email, &r.Attempts, &r.Lang, &r.Fund, &r.FundName, &r.Amount.Amount, &cur,
				&r.ReceivedOn, &ch, &display, &r.Acknowledgement.Alias, &r.Acknowledgement.ShowAmount, &r.Donor.Name, &r.Donor.Organisation)
			if err != nil {
				return nil, err
			}
			r.Channel, r.Acknowledgement.Display = ledger.Channel(ch), ledger.AckDisplay(display)
			r.Amount.Currency, err = ledger.LookupCurrency(cur)
			return &r, err
		})
		if err != nil {
			return err
		}
		for _, r := range out {
			tok, hash, err := newAckToken()
			if err != nil {
				return err
			}
			r.AckToken = tok
			if _, err := tx.Exec(ctx, `update donations set ack_token_hash = $2 where id = $1`, r.DonationID, hash); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update receipts set next_attempt_at = $2 where donation_id = $1`, r.DonationID, now.Add(lease)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim receipts: %w", translate(err))
	}
	return out, nil
}

// ReceiptSent implements ledger.ReceiptService.
func (s *AcknowledgementService) ReceiptSent(ctx context.Context, donationID string) error {
	_, err := s.db.Pool.Exec(ctx, `update receipts set status = 'sent', sent_at = $2, last_error = '' where donation_id = $1`, donationID, s.db.now())
	if err != nil {
		return fmt.Errorf("receipt sent: %w", translate(err))
	}
	return nil
}

// ReceiptFailed implements ledger.ReceiptService.
func (s *AcknowledgementService) ReceiptFailed(ctx context.Context, donationID, reason string, retryAt *time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	var err error
	if retryAt == nil {
		_, err = s.db.Pool.Exec(ctx, `update receipts set status = 'failed', attempts = attempts + 1, last_error = $2 where donation_id = $1`, donationID, reason)
	} else {
		_, err = s.db.Pool.Exec(ctx, `update receipts set attempts = attempts + 1, last_error = $2, next_attempt_at = $3 where donation_id = $1`, donationID, reason, *retryAt)
	}
	if err != nil {
		return fmt.Errorf("receipt failed: %w", translate(err))
	}
	return nil
}

// SetExchangeRate records the committee's rate for showing totals.
func (s *FundService) SetExchangeRate(ctx context.Context, r ledger.ExchangeRate) error {
	if !r.Rate.IsPositive() {
		return ledger.Errorf(ledger.EINVALID, "rate must be greater than zero")
	}
	if r.Currency == r.Quote {
		return ledger.Errorf(ledger.EINVALID, "a rate needs two different currencies")
	}
	_, err := s.db.Pool.Exec(ctx, `insert into exchange_rates (currency, quote, rate, as_of, updated_at) values ($1, $2, $3, $4, $5)
		on conflict (currency, quote) do update set rate = excluded.rate, as_of = excluded.as_of, updated_at = excluded.updated_at`,
		r.Currency.Code, r.Quote.Code, r.Rate, ledger.Date(r.AsOf), s.db.now())
	if err != nil {
		return fmt.Errorf("set exchange rate: %w", translate(err))
	}
	return nil
}

// ackRow is a line of the public list with its keyset id.
type ackRow struct {
	e  ledger.PublicAck
	id uuid.UUID
}

// scanDonationAcks reads the rows of publicDonations: id, date, fund slug,
// fund name, channel, amount (null when not shown), currency, public name,
// message.
func scanDonationAcks(rows pgx.Rows) ([]ackRow, error) {
	var out []ackRow
	for rows.Next() {
		var (
			r       ackRow
			ch, cur string
			amount  decimal.NullDecimal
		)
		e := &r.e
		if err := rows.Scan(&r.id, &e.Date, &e.Fund, &e.FundName, &ch, &amount, &cur, &e.From, &e.Message); err != nil {
			return nil, err
		}
		e.Channel = ledger.Channel(ch)
		if amount.Valid {
			c, err := ledger.LookupCurrency(cur)
			if err != nil {
				return nil, err
			}
			e.Amounts = []ledger.Money{{Amount: amount.Decimal, Currency: c}}
			e.Amount = &e.Amounts[0]
		}
		e.Cursor = encodeCursor(e.Date, r.id)
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanCollectionAcks reads the rows of publicCollections: id, date, fund
// slug, fund name, place, currencies, amounts (as text, in the currencies'
// order).
func scanCollectionAcks(rows pgx.Rows) ([]ackRow, error) {
	var out []ackRow
	for rows.Next() {
		var (
			r             ackRow
			curs, amounts []string
		)
		e := &r.e
		if err := rows.Scan(&r.id, &e.Date, &e.Fund, &e.FundName, &e.Place, &curs, &amounts); err != nil {
			return nil, err
		}
		if len(curs) != len(amounts) {
			return nil, fmt.Errorf("collection %s: %d currencies, %d amounts", r.id, len(curs), len(amounts))
		}
		e.Channel = ledger.ChannelCollection
		for i, amt := range amounts {
			c, err := ledger.LookupCurrency(curs[i])
			if err != nil {
				return nil, err
			}
			a, err := decimal.NewFromString(amt)
			if err != nil {
				return nil, fmt.Errorf("collection %s: amount %q: %w", r.id, amt, err)
			}
			e.Amounts = append(e.Amounts, ledger.Money{Amount: a, Currency: c})
		}
		if len(e.Amounts) > 0 {
			e.Amount = &e.Amounts[0]
		}
		e.From = ledger.CollectionLabel(e.Place, e.Date, e.Amounts)
		e.Cursor = encodeCursor(e.Date, r.id)
		out = append(out, r)
	}
	return out, rows.Err()
}
