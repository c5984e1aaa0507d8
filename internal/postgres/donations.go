package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"
)

// DonationService implements ledger.DonationService.
type DonationService struct {
	db    *DB
	group *group[donationWrite]
}

// maxDonationGroup bounds how many donations share one commit.
const maxDonationGroup = 500

// NewDonationService returns the donation service on db.
func NewDonationService(db *DB) *DonationService {
	s := &DonationService{db: db}
	s.group = newGroup(maxDonationGroup, s.flush)
	return s
}

var _ ledger.DonationService = (*DonationService)(nil)

// GroupStats tells how many commits RecordDonation's calls have shared.
func (s *DonationService) GroupStats() GroupStats { return s.group.stats() }

// donationWrite is one RecordDonation call waiting for its group's commit.
type donationWrite struct {
	ctx   context.Context
	in    *ledger.Donation
	out   *ledger.Donation
	err   error
	alone bool // written on its own after the group: a replay, a conflict or a failure
}

// RecordDonation implements ledger.DonationService. The donation row and its
// transaction are written in one database transaction, which concurrent
// calls share (group commit): each call still gets its own donation, or its
// own error, and returns only once its donation is committed.
func (s *DonationService) RecordDonation(ctx context.Context, d *ledger.Donation) (*ledger.Donation, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(d.IdempotencyKey); err != nil {
		return nil, err
	}
	w := &donationWrite{ctx: ctx, in: d}
	s.group.do(w)
	return w.out, w.err
}

// flush writes a group of donations in one database transaction. Those the
// group cannot take (a key already used, the same key twice in the group, an
// unknown fund) are written one by one afterwards, where each gets its
// replay or its error; if the group's transaction fails, every donation is
// written on its own, so no request fails for another's fault.
func (s *DonationService) flush(ctx context.Context, ws []*donationWrite) {
	live := ws[:0:0]
	for _, w := range ws {
		if err := w.ctx.Err(); err != nil {
			w.err = fmt.Errorf("record donation: %w", err)
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if err := s.db.inTx(ctx, func(tx pgx.Tx) error { return s.writeGroup(ctx, tx, live) }); err != nil {
		for _, w := range live {
			w.out, w.err, w.alone = nil, nil, true
		}
	}
	for _, w := range live {
		if w.alone {
			w.out, w.err = s.recordOne(w.ctx, w.in)
		}
	}
}

// writeGroup books the donations of ws that are new, inside tx, and marks
// the others to be written alone.
func (s *DonationService) writeGroup(ctx context.Context, tx pgx.Tx, ws []*donationWrite) error {
	keys, slugs := make([]string, len(ws)), make([]string, len(ws))
	for i, w := range ws {
		w.out, w.err, w.alone = nil, nil, false // a retried attempt starts afresh
		keys[i], slugs[i] = w.in.IdempotencyKey, w.in.Fund
	}
	rows, err := tx.Query(ctx, `select idempotency_key from transactions where idempotency_key = any($1)`, keys)
	if err != nil {
		return err
	}
	used, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	taken := make(map[string]bool, len(ws))
	for _, k := range used {
		taken[k] = true
	}
	funds, err := knownFunds(ctx, tx, slugs)
	if err != nil {
		return err
	}

	var (
		ds   []*ledger.Donation
		ts   []*ledger.Transaction
		took []*donationWrite
		bank = map[string]ledger.Currency{}
	)
	for _, w := range ws {
		if _, known := funds[w.in.Fund]; taken[w.in.IdempotencyKey] || !known {
			w.alone = true
			continue
		}
		taken[w.in.IdempotencyKey] = true
		rec := *w.in
		rec.ID = uuid.NewString()
		t := rec.Transaction()
		if err := t.Validate(); err != nil {
			w.err = err
			continue
		}
		if rec.Channel == ledger.ChannelBankTransfer || rec.Channel == ledger.ChannelOrganisation {
			bank[rec.Amount.Currency.Code] = rec.Amount.Currency
		}
		ds, ts, took = append(ds, &rec), append(ts, t), append(took, w)
	}
	if len(ds) == 0 {
		return nil
	}
	for _, code := range slices.Sorted(maps.Keys(bank)) {
		if err := ensureBankAccount(ctx, tx, bank[code]); err != nil {
			return err
		}
	}
	now := s.db.now()
	if err := bookDonations(ctx, tx, now, ds, ts, nil); err != nil {
		return err
	}
	// The requests' audit entries commit with their donations.
	audits := &pgx.Batch{}
	for i, w := range took {
		w.out = ds[i]
		if e := ledger.AuditFrom(w.ctx); e != nil && e.Validate() == nil {
			e.ID = 0
			queueAudit(audits, now, e)
		}
	}
	if audits.Len() > 0 {
		return tx.SendBatch(ctx, audits).Close()
	}
	return nil
}

// recordOne records d in a database transaction of its own.
func (s *DonationService) recordOne(ctx context.Context, d *ledger.Donation) (*ledger.Donation, error) {
	var out *ledger.Donation
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if out, err = recordOneIn(ctx, tx, s.db.now(), d); err != nil {
			return err
		}
		// The request's audit entry commits with its donation.
		if e := ledger.AuditFrom(ctx); e != nil && e.Validate() == nil {
			e.ID = 0
			return recordAudit(ctx, tx, s.db.now(), e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record donation: %w", translate(err))
	}
	return out, nil
}

// recordOneIn records d, or finds it recorded under its key, inside tx.
func recordOneIn(ctx context.Context, tx pgx.Tx, now time.Time, d *ledger.Donation) (*ledger.Donation, error) {
	prior, err := findByKey(ctx, tx, d.IdempotencyKey, d.Fingerprint)
	if err != nil {
		return nil, err
	}
	if prior != nil {
		out, err := findDonationBy(ctx, tx, "transaction_id", prior.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a transaction that is not a donation", d.IdempotencyKey)
		}
		return out, err
	}
	rec := *d
	rec.ID = uuid.NewString()
	t := rec.Transaction()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if rec.Channel == ledger.ChannelBankTransfer || rec.Channel == ledger.ChannelOrganisation {
		if err := ensureBankAccount(ctx, tx, rec.Amount.Currency); err != nil {
			return nil, err
		}
	}
	return &rec, bookDonation(ctx, tx, now, &rec, t, nil)
}

// bookDonation books a donation however it arrived: it appends t, the
// donation's balanced transaction, to the chain, then writes the donation
// row (and its receipt) pointing to it, inside the caller's database
// transaction. pledgeID links a card donation to its pledge.
func bookDonation(ctx context.Context, tx pgx.Tx, now time.Time, d *ledger.Donation, t *ledger.Transaction, pledgeID *string) error {
	return bookDonations(ctx, tx, now, []*ledger.Donation{d}, []*ledger.Transaction{t}, []*string{pledgeID})
}

// bookDonations books ds, each with its transaction ts[i] and, if pledges
// is not nil, its pledge, with one statement per table. The donation rows go
// in after their transactions and before their postings, so the postings'
// report totals find each donor's country.
func bookDonations(ctx context.Context, tx pgx.Tx, now time.Time, ds []*ledger.Donation, ts []*ledger.Transaction, pledges []*string) error {
	return appendTransactions(ctx, tx, now, ts, func(batch *pgx.Batch) {
		for i, d := range ds {
			d.TransactionID, d.RecordedAt = ts[i].ID, ts[i].RecordedAt
		}
		queueDonations(batch, ds, pledges)
	})
}

// queueDonations queues the inserts of the donation rows of ds, whose
// transactions are inserted before them, and of the receipts of those who
// gave an email.
func queueDonations(batch *pgx.Batch, ds []*ledger.Donation, pledges []*string) {
	n := len(ds)
	if pledges == nil {
		pledges = make([]*string, n)
	}
	var (
		ids, txIDs, funds, currencies, channels, names, emails, orgs, countries = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		displays, aliases, messages, statuses, langs                            = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts                                                                 = make([]decimal.Decimal, n)
		received, recorded                                                      = make([]time.Time, n), make([]time.Time, n)
		showAmounts                                                             = make([]bool, n)
		receiptIDs, receiptEmails                                               []string
		receiptAt                                                               []time.Time
	)
	for i, d := range ds {
		status := ledger.ModerationPending
		if d.Published() {
			status = ledger.ModerationApproved
		}
		if d.Lang == "" {
			d.Lang = "en"
		}
		ids[i], txIDs[i], funds[i], amounts[i], currencies[i], channels[i] = d.ID, d.TransactionID, d.Fund, d.Amount.Amount, d.Amount.Currency.Code, string(d.Channel)
		received[i], names[i], emails[i], orgs[i], countries[i] = d.ReceivedOn, d.Donor.Name, d.Donor.Email, d.Donor.Organisation, d.Donor.Country
		displays[i], aliases[i], showAmounts[i], messages[i], recorded[i] = string(d.Acknowledgement.Display), d.Acknowledgement.Alias, d.Acknowledgement.ShowAmount, d.Message, d.RecordedAt
		statuses[i], langs[i] = string(status), d.Lang
		if d.Donor.Email != "" { // a receipt, sent by the outbox after commit
			receiptIDs, receiptEmails, receiptAt = append(receiptIDs, d.ID), append(receiptEmails, d.Donor.Email), append(receiptAt, d.RecordedAt)
		}
	}
	batch.Queue(`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on,
		donor_name, donor_email, donor_organisation, donor_country, ack_display, ack_alias, ack_show_amount, message, recorded_at, pledge_id,
		ack_status, lang)
		select u.id, u.tx, f.id, u.amount, u.currency, u.channel, u.received, u.name, u.email, u.org, u.country,
			u.display, u.alias, u.show_amount, u.message, u.recorded, u.pledge, u.status, u.lang
		from unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::char(3)[], $6::text[], $7::date[], $8::text[], $9::text[],
			$10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::timestamptz[], $17::uuid[], $18::text[], $19::text[])
			as u(id, tx, fund, amount, currency, channel, received, name, email, org, country, display, alias, show_amount, message, recorded, pledge, status, lang)
		join funds f on f.slug = u.fund`,
		ids, txIDs, funds, amounts, currencies, channels, received, names, emails, orgs, countries,
		displays, aliases, showAmounts, messages, recorded, pledges, statuses, langs).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("insert donations: %d of %d rows written", tag.RowsAffected(), n)
		}
		return nil
	})
	if len(receiptIDs) > 0 {
		batch.Queue(`insert into receipts (donation_id, email, next_attempt_at, created_at)
			select id, email, at, at from unnest($1::uuid[], $2::text[], $3::timestamptz[]) as u(id, email, at)`,
			receiptIDs, receiptEmails, receiptAt)
	}
}

// FindDonation implements ledger.DonationService.
func (s *DonationService) FindDonation(ctx context.Context, id string) (*ledger.Donation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "donation %q not found", id)
	}
	d, err := findDonationBy(ctx, s.db.Pool, "id", id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "donation %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find donation %s: %w", id, translate(err))
	}
	return d, nil
}

// findDonationBy reads one donation by id or transaction_id.
func findDonationBy(ctx context.Context, q querier, column, value string) (*ledger.Donation, error) {
	var (
		d       ledger.Donation
		cur, ch string
		disp    string
		fp      string
		idemKey string
	)
	err := q.QueryRow(ctx, `select d.id::text, d.transaction_id::text, f.slug, d.amount, d.currency, d.channel, d.received_on,
		d.donor_name, d.donor_email, d.donor_organisation, d.donor_country, d.ack_display, d.ack_alias, d.ack_show_amount,
		d.message, d.recorded_at, t.idempotency_key, t.fingerprint, d.lang
		from donations d join funds f on f.id = d.fund_id join transactions t on t.id = d.transaction_id
		where d.`+column+` = $1`, value).Scan(&d.ID, &d.TransactionID, &d.Fund, &d.Amount.Amount, &cur, &ch, &d.ReceivedOn,
		&d.Donor.Name, &d.Donor.Email, &d.Donor.Organisation, &d.Donor.Country, &disp, &d.Acknowledgement.Alias,
		&d.Acknowledgement.ShowAmount, &d.Message, &d.RecordedAt, &idemKey, &fp, &d.Lang)
	if err != nil {
		return nil, err
	}
	d.Amount.Currency, err = ledger.LookupCurrency(cur)
	d.Channel, d.Acknowledgement.Display = ledger.Channel(ch), ledger.AckDisplay(disp)
	d.IdempotencyKey, d.Fingerprint = idemKey, fp
	return &d, err
}
