package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Batches are donations entered in bulk, so DonationService keeps them and
// posts them with the same booking as RecordDonation.
var _ ledger.BatchService = (*DonationService)(nil)

// OpenBatch implements ledger.BatchService.
func (s *DonationService) OpenBatch(ctx context.Context, b *ledger.Batch) (*ledger.Batch, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(b.IdempotencyKey); err != nil {
		return nil, err
	}
	var out *ledger.Batch
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var id, fp string
		err := tx.QueryRow(ctx, `select id::text, fingerprint from batches where idempotency_key = $1`, b.IdempotencyKey).Scan(&id, &fp)
		switch {
		case err == nil:
			if fp != b.Fingerprint {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", b.IdempotencyKey)
			}
			prior, err := findBatch(ctx, tx, id, false)
			if err == nil {
				out = prior.Batch
			}
			return err
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		funds, err := fundIDs(ctx, tx, []string{b.Fund})
		if err != nil {
			return err
		}
		rec := *b
		rec.ID, rec.Status, rec.OpenedAt, rec.Entries = uuid.NewString(), ledger.BatchOpen, s.db.now(), nil
		_, err = tx.Exec(ctx, `insert into batches (id, fund_id, channel, description, expected_count, idempotency_key, fingerprint, opened_by, opened_at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			rec.ID, funds[rec.Fund], string(rec.Channel), rec.Description, rec.Expected.Count, rec.IdempotencyKey, rec.Fingerprint, rec.OpenedBy, rec.OpenedAt)
		if isUnique(err, "batches_idempotency_key_key") {
			return errRetry // a concurrent request with the same key won; the next attempt returns its batch
		}
		if err != nil {
			return err
		}
		curs, amounts := moneyColumns(rec.Expected.Totals)
		_, err = tx.Exec(ctx, `insert into batch_expected_totals (batch_id, currency, amount)
			select $1, unnest($2::char(3)[]), unnest($3::numeric[])`, rec.ID, curs, amounts)
		if err != nil {
			return err
		}
		out = &rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open batch: %w", translate(err))
	}
	return out, nil
}

// FindBatch implements ledger.BatchService.
func (s *DonationService) FindBatch(ctx context.Context, id string) (*ledger.Batch, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "batch %q not found", id)
	}
	b, err := findBatch(ctx, s.db.Pool, id, false)
	if err != nil {
		return nil, fmt.Errorf("find batch %s: %w", id, translate(err))
	}
	return b.Batch, nil
}

// AddBatchEntry implements ledger.BatchService.
func (s *DonationService) AddBatchEntry(ctx context.Context, batchID string, e *ledger.BatchEntry) (*ledger.BatchEntry, error) {
	if _, err := uuid.Parse(batchID); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "batch %q not found", batchID)
	}
	if err := ledger.ValidateIdempotencyKey(e.IdempotencyKey); err != nil {
		return nil, err
	}
	var out *ledger.BatchEntry
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		// A retry gets the first answer back, even once the batch has closed.
		prior, err := findBatchEntries(ctx, tx, `e.idempotency_key = $1`, e.IdempotencyKey)
		if err != nil {
			return err
		}
		if len(prior) > 0 {
			if prior[0].Fingerprint != e.Fingerprint || prior[0].BatchID != batchID {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", e.IdempotencyKey)
			}
			out = &prior[0]
			return nil
		}
		b, err := findBatch(ctx, tx, batchID, true)
		if err != nil {
			return err
		}
		if b.Status == ledger.BatchClosed {
			return ledger.Errorf(ledger.ECONFLICT, "batch %s is closed: entries can no longer be added; open a new batch", batchID)
		}
		if len(b.Entries) >= ledger.MaxBatchEntries {
			return ledger.Errorf(ledger.EINVALID, "batch %s already holds %d entries, the most a batch may hold; open another batch", batchID, len(b.Entries))
		}
		rec := *e
		if err := b.ValidateEntry(&rec); err != nil {
			return err
		}
		rec.ID, rec.BatchID, rec.EnteredAt = uuid.NewString(), batchID, s.db.now()
		rec.Donation.ID, rec.Donation.TransactionID = "", ""
		if rec.Donation.Lang == "" {
			rec.Donation.Lang = "en"
		}
		d := &rec.Donation
		_, err = tx.Exec(ctx, `insert into batch_entries (id, batch_id, amount, currency, channel, received_on,
			donor_name, donor_email, donor_organisation, donor_country, ack_display, ack_alias, ack_show_amount, message, lang,
			idempotency_key, fingerprint, entered_by, entered_at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			rec.ID, rec.BatchID, d.Amount.Amount, d.Amount.Currency.Code, string(d.Channel), d.ReceivedOn,
			d.Donor.Name, d.Donor.Email, d.Donor.Organisation, d.Donor.Country,
			string(d.Acknowledgement.Display), d.Acknowledgement.Alias, d.Acknowledgement.ShowAmount, d.Message, d.Lang,
			rec.IdempotencyKey, rec.Fingerprint, rec.EnteredBy, rec.EnteredAt)
		if isUnique(err, "batch_entries_idempotency_key_key") {
			return errRetry
		}
		if err != nil {
			return err
		}
		out = &rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add entry to batch %s: %w", batchID, translate(err))
	}
	return out, nil
}

// RemoveBatchEntry implements ledger.BatchService. The entry row goes, with
// its personal data; a row in batch_removals answers a repeated removal.
func (s *DonationService) RemoveBatchEntry(ctx context.Context, batchID, entryID, by, key, fingerprint string) error {
	if _, err := uuid.Parse(batchID); err != nil {
		return ledger.Errorf(ledger.ENOTFOUND, "batch %q not found", batchID)
	}
	if _, err := uuid.Parse(entryID); err != nil {
		return ledger.Errorf(ledger.ENOTFOUND, "entry %q not found in batch %s", entryID, batchID)
	}
	if err := ledger.ValidateIdempotencyKey(key); err != nil {
		return err
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var removed, fp string
		err := tx.QueryRow(ctx, `select entry_id::text, fingerprint from batch_removals where idempotency_key = $1`, key).Scan(&removed, &fp)
		switch {
		case err == nil:
			if fp != fingerprint || removed != entryID {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", key)
			}
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		var status string
		err = tx.QueryRow(ctx, `select status from batches where id = $1 for update`, batchID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ENOTFOUND, "batch %s not found", batchID)
		}
		if err != nil {
			return err
		}
		var gone bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from batch_removals where entry_id = $1 and batch_id = $2)`, entryID, batchID).Scan(&gone); err != nil || gone {
			return err // removed before: nothing more to do
		}
		if ledger.BatchStatus(status) == ledger.BatchClosed {
			return ledger.Errorf(ledger.ECONFLICT, "batch %s is closed: its entries can no longer be removed; reverse the donation's transaction instead", batchID)
		}
		tag, err := tx.Exec(ctx, `delete from batch_entries where id = $1 and batch_id = $2`, entryID, batchID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ledger.Errorf(ledger.ENOTFOUND, "entry %s not found in batch %s", entryID, batchID)
		}
		_, err = tx.Exec(ctx, `insert into batch_removals (entry_id, batch_id, idempotency_key, fingerprint, removed_by, removed_at)
			values ($1, $2, $3, $4, $5, $6)`, entryID, batchID, key, fingerprint, by, s.db.now())
		if isUnique(err, "batch_removals_idempotency_key_key") {
			return errRetry
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("remove entry %s from batch %s: %w", entryID, batchID, translate(err))
	}
	return nil
}

// CloseBatch implements ledger.BatchService. In one database transaction it
// locks the batch, checks the control totals, books every entry as a
// donation (one transaction each, as RecordDonation books one) and marks the
// batch closed. If any entry fails, nothing is posted.
func (s *DonationService) CloseBatch(ctx context.Context, id, closedBy string, c ledger.BatchClose) (*ledger.Batch, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "batch %q not found", id)
	}
	if closedBy == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "closing a batch needs the name of who closes it")
	}
	reason, err := ledger.NormaliseOverrideReason(c.OverrideReason)
	if err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(c.IdempotencyKey); err != nil {
		return nil, err
	}
	var out *ledger.Batch
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		var other string
		err := tx.QueryRow(ctx, `select id::text from batches where close_key = $1`, c.IdempotencyKey).Scan(&other)
		if err == nil && other != id {
			return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", c.IdempotencyKey)
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		b, err := findBatch(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if b.Status == ledger.BatchClosed {
			if b.closeKey == c.IdempotencyKey && b.closeFingerprint != c.Fingerprint {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", c.IdempotencyKey)
			}
			out = b.Batch // closing twice changes nothing
			return nil
		}
		matched, err := b.CheckClose(reason)
		if err != nil {
			return err
		}
		now := s.db.now()
		if err := postBatchEntries(ctx, tx, now, b); err != nil {
			return err
		}
		var reasonArg *string
		if reason != "" {
			reasonArg = &reason
		}
		_, err = tx.Exec(ctx, `update batches set status = 'closed', closed_by = $2, closed_at = $3, close_key = $4,
			close_fingerprint = $5, controls_matched = $6, override_reason = $7 where id = $1`,
			id, closedBy, now, c.IdempotencyKey, c.Fingerprint, matched, reasonArg)
		if isUnique(err, "batches_close_key_key") {
			return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", c.IdempotencyKey)
		}
		if err != nil {
			return err
		}
		closed, err := findBatch(ctx, tx, id, false)
		if err == nil {
			out = closed.Batch
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("close batch %s: %w", id, translate(err))
	}
	return out, nil
}

// batchEntryKey is the idempotency key of the transaction that posts an
// entry: derived from the batch and the entry, so an entry posts once.
func batchEntryKey(batchID, entryID string) string {
	return "batch:" + batchID + ":" + entryID
}

// postBatchEntries books each entry of b, which is locked and open, as
// RecordDonation books a donation: the donation's Transaction appended to
// the chain, the donation row beside it. The balance rows of every entry
// are locked first, in the global order, so posting many transactions in
// one database transaction cannot deadlock with other writers.
func postBatchEntries(ctx context.Context, tx pgx.Tx, now time.Time, b *batchRow) error {
	type posting struct {
		entry *ledger.BatchEntry
		d     ledger.Donation
		t     *ledger.Transaction
	}
	ps := make([]posting, len(b.Entries))
	locks := map[balanceKey]bool{}
	for i := range b.Entries {
		e := &b.Entries[i]
		d := e.Donation
		d.ID, d.Fund = uuid.NewString(), b.Fund
		d.IdempotencyKey, d.Fingerprint = batchEntryKey(b.ID, e.ID), e.Fingerprint
		if err := d.Validate(); err != nil {
			return batchEntryError(i, e, err)
		}
		if d.Channel == ledger.ChannelBankTransfer || d.Channel == ledger.ChannelOrganisation {
			if err := ensureBankAccount(ctx, tx, d.Amount.Currency); err != nil {
				return batchEntryError(i, e, err)
			}
		}
		t := d.Transaction()
		if err := t.Validate(); err != nil {
			return batchEntryError(i, e, err)
		}
		if err := checkAccounts(ctx, tx, t.Postings); err != nil {
			return batchEntryError(i, e, err)
		}
		prior, err := findByKey(ctx, tx, t.IdempotencyKey, t.Fingerprint)
		if err != nil {
			return batchEntryError(i, e, err)
		}
		if prior != nil {
			return batchEntryError(i, e, ledger.Errorf(ledger.ECONFLICT, "its idempotency key %q is already used by transaction %s", t.IdempotencyKey, prior.ID))
		}
		for _, p := range t.Postings {
			locks[balanceKey{b.fundID, p.Account, p.Currency.Code}] = true
		}
		ps[i] = posting{entry: e, d: d, t: t}
	}
	if err := lockBalanceRows(ctx, tx, locks); err != nil {
		return err
	}
	for i, p := range ps {
		if err := bookDonation(ctx, tx, now, &p.d, p.t, nil); err != nil {
			return batchEntryError(i, p.entry, err)
		}
		if _, err := tx.Exec(ctx, `update batch_entries set donation_id = $2 where id = $1`, p.entry.ID, p.d.ID); err != nil {
			return batchEntryError(i, p.entry, err)
		}
	}
	return nil
}

// lockBalanceRows locks the given balance rows, creating missing ones at
// zero, in the order appendTransaction locks them: (fund, account, currency).
func lockBalanceRows(ctx context.Context, tx pgx.Tx, rows map[balanceKey]bool) error {
	keys := make([]balanceKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sortBalanceKeys(keys)
	batch := &pgx.Batch{}
	for _, k := range keys {
		batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, $2, $3, 0)
			on conflict (fund_id, account, currency) do update set amount = balances.amount`,
			k.fund, k.account, k.currency)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("lock balances: %w", err)
	}
	return nil
}

// batchEntryError names the entry that failed. Errors that ask for a retry
// of the whole database transaction pass through unchanged.
func batchEntryError(i int, e *ledger.BatchEntry, err error) error {
	if retryable(err) {
		return err
	}
	err = translate(err)
	var de *ledger.Error
	if errors.As(err, &de) {
		return ledger.Errorf(de.Code, "entries[%d] (entry %s): %s", i, e.ID, de.Message)
	}
	return fmt.Errorf("entries[%d] (entry %s): %w", i, e.ID, err)
}

// batchRow is a batch as stored, with what the service needs besides.
type batchRow struct {
	*ledger.Batch
	fundID           int64
	closeKey         string
	closeFingerprint string
}

// findBatch reads batch id with its control totals and entries; lock takes
// the row FOR UPDATE, which orders adding, removing and closing.
func findBatch(ctx context.Context, q querier, id string, lock bool) (*batchRow, error) {
	sql := `select b.id::text, f.slug, b.fund_id, b.channel, b.description, b.expected_count, b.status,
		b.idempotency_key, b.fingerprint, b.opened_by, b.opened_at, coalesce(b.closed_by, ''), b.closed_at,
		coalesce(b.controls_matched, false), coalesce(b.override_reason, ''), coalesce(b.close_key, ''), coalesce(b.close_fingerprint, '')
		from batches b join funds f on f.id = b.fund_id where b.id = $1`
	if lock {
		sql += ` for update of b`
	}
	var (
		r        = batchRow{Batch: &ledger.Batch{}}
		b        = r.Batch
		ch, st   string
		closedAt *time.Time
	)
	err := q.QueryRow(ctx, sql, id).Scan(&b.ID, &b.Fund, &r.fundID, &ch, &b.Description, &b.Expected.Count, &st,
		&b.IdempotencyKey, &b.Fingerprint, &b.OpenedBy, &b.OpenedAt, &b.ClosedBy, &closedAt,
		&b.ControlsMatched, &b.OverrideReason, &r.closeKey, &r.closeFingerprint)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "batch %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	b.Channel, b.Status = ledger.Channel(ch), ledger.BatchStatus(st)
	b.OpenedAt = b.OpenedAt.UTC()
	if closedAt != nil {
		b.ClosedAt = closedAt.UTC()
	}
	if b.Expected.Totals, err = readAmountsPerCurrency(ctx, q, `select currency, amount from batch_expected_totals where batch_id = $1 order by currency`, id); err != nil {
		return nil, err
	}
	if b.Entries, err = findBatchEntries(ctx, q, `e.batch_id = $1`, id); err != nil {
		return nil, err
	}
	for i := range b.Entries {
		b.Entries[i].Donation.Fund = b.Fund
	}
	return &r, nil
}

// findBatchEntries reads the entries matching where (with one argument),
// in the order they were entered.
func findBatchEntries(ctx context.Context, q querier, where string, arg any) ([]ledger.BatchEntry, error) {
	rows, err := q.Query(ctx, `select e.id::text, e.batch_id::text, e.amount, e.currency, e.channel, e.received_on,
		e.donor_name, e.donor_email, e.donor_organisation, e.donor_country, e.ack_display, e.ack_alias, e.ack_show_amount,
		e.message, e.lang, e.idempotency_key, e.fingerprint, e.entered_by, e.entered_at,
		coalesce(e.donation_id::text, ''), coalesce(d.transaction_id::text, ''), d.recorded_at
		from batch_entries e left join donations d on d.id = e.donation_id
		where `+where+` order by e.position`, arg)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.BatchEntry, error) {
		var (
			e             ledger.BatchEntry
			d             = &e.Donation
			cur, ch, disp string
			recordedAt    *time.Time
		)
		err := r.Scan(&e.ID, &e.BatchID, &d.Amount.Amount, &cur, &ch, &d.ReceivedOn,
			&d.Donor.Name, &d.Donor.Email, &d.Donor.Organisation, &d.Donor.Country, &disp, &d.Acknowledgement.Alias, &d.Acknowledgement.ShowAmount,
			&d.Message, &d.Lang, &e.IdempotencyKey, &e.Fingerprint, &e.EnteredBy, &e.EnteredAt,
			&d.ID, &d.TransactionID, &recordedAt)
		if err != nil {
			return e, err
		}
		d.Channel, d.Acknowledgement.Display = ledger.Channel(ch), ledger.AckDisplay(disp)
		e.EnteredAt = e.EnteredAt.UTC()
		if recordedAt != nil {
			d.RecordedAt = recordedAt.UTC()
		}
		d.Amount.Currency, err = ledger.LookupCurrency(cur)
		return e, err
	})
}

// readAmountsPerCurrency reads rows of (currency, amount) as Money.
func readAmountsPerCurrency(ctx context.Context, q querier, sql string, args ...any) ([]ledger.Money, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.Money, error) {
		var (
			m   ledger.Money
			cur string
		)
		if err := r.Scan(&cur, &m.Amount); err != nil {
			return m, err
		}
		c, err := ledger.LookupCurrency(cur)
		m.Currency = c
		return m, err
	})
}

// moneyColumns splits amounts into parallel arrays for unnest.
func moneyColumns(ms []ledger.Money) ([]string, []decimal.Decimal) {
	curs, amounts := make([]string, len(ms)), make([]decimal.Decimal, len(ms))
	for i, m := range ms {
		curs[i], amounts[i] = m.Currency.Code, m.Amount
	}
	return curs, amounts
}
