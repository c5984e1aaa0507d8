package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DonationService implements ledger.DonationService.
type DonationService struct{ db *DB }

// NewDonationService returns the donation service on db.
func NewDonationService(db *DB) *DonationService { return &DonationService{db: db} }

var _ ledger.DonationService = (*DonationService)(nil)

// RecordDonation implements ledger.DonationService. The donation row and its
// transaction are written in one database transaction.
func (s *DonationService) RecordDonation(ctx context.Context, d *ledger.Donation) (*ledger.Donation, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(d.IdempotencyKey); err != nil {
		return nil, err
	}
	var out *ledger.Donation
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		prior, err := findByKey(ctx, tx, d.IdempotencyKey, d.Fingerprint)
		if err != nil {
			return err
		}
		if prior != nil {
			out, err = findDonationBy(ctx, tx, "transaction_id", prior.ID)
			if errors.Is(err, pgx.ErrNoRows) {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a transaction that is not a donation", d.IdempotencyKey)
			}
			return err
		}
		rec := *d
		rec.ID = uuid.NewString()
		t := rec.Transaction()
		if err := t.Validate(); err != nil {
			return err
		}
		if rec.Channel == ledger.ChannelBankTransfer || rec.Channel == ledger.ChannelOrganisation {
			if err := ensureBankAccount(ctx, tx, rec.Amount.Currency); err != nil {
				return err
			}
		}
		out = &rec
		return bookDonation(ctx, tx, s.db.now(), &rec, t, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("record donation: %w", translate(err))
	}
	return out, nil
}

// bookDonation books a donation however it arrived: it appends t, the
// donation's balanced transaction, to the chain, then writes the donation
// row (and its receipt) pointing to it, inside the caller's database
// transaction. pledgeID links a card donation to its pledge.
func bookDonation(ctx context.Context, tx pgx.Tx, now time.Time, d *ledger.Donation, t *ledger.Transaction, pledgeID *string) error {
	if err := appendTransaction(ctx, tx, now, t); err != nil {
		return err
	}
	d.TransactionID, d.RecordedAt = t.ID, t.RecordedAt
	return insertDonation(ctx, tx, d, pledgeID)
}

// insertDonation writes the donation row of rec, whose transaction is
// already appended.
func insertDonation(ctx context.Context, tx pgx.Tx, rec *ledger.Donation, pledgeID *string) error {
	status := ledger.ModerationPending
	if rec.Published() {
		status = ledger.ModerationApproved
	}
	if rec.Lang == "" {
		rec.Lang = "en"
	}
	_, err := tx.Exec(ctx, `insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on,
		donor_name, donor_email, donor_organisation, donor_country, ack_display, ack_alias, ack_show_amount, message, recorded_at, pledge_id,
		ack_status, lang)
		select $1, $2, f.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19 from funds f where f.slug = $3`,
		rec.ID, rec.TransactionID, rec.Fund, rec.Amount.Amount, rec.Amount.Currency.Code, string(rec.Channel), rec.ReceivedOn,
		rec.Donor.Name, rec.Donor.Email, rec.Donor.Organisation, rec.Donor.Country,
		string(rec.Acknowledgement.Display), rec.Acknowledgement.Alias, rec.Acknowledgement.ShowAmount, rec.Message, rec.RecordedAt, pledgeID,
		string(status), rec.Lang)
	if err != nil {
		return fmt.Errorf("insert donation: %w", err)
	}
	if rec.Donor.Email != "" { // a receipt, sent by the outbox after commit
		_, err = tx.Exec(ctx, `insert into receipts (donation_id, email, next_attempt_at, created_at) values ($1, $2, $3, $3)`,
			rec.ID, rec.Donor.Email, rec.RecordedAt)
		if err != nil {
			return fmt.Errorf("queue receipt: %w", err)
		}
	}
	return nil
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
