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

// Street collections are donations too: DonationService records them, and
// the banking of their cash.
var _ ledger.CollectionService = (*DonationService)(nil)

// RecordCollection implements ledger.CollectionService: the collection's
// transaction, the collection row and its counts, in one database
// transaction. The collectors' and counters' names stay in the collection
// row, out of the transaction and its hash chain.
func (s *DonationService) RecordCollection(ctx context.Context, c *ledger.Collection) (*ledger.Collection, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(c.IdempotencyKey); err != nil {
		return nil, err
	}
	var out *ledger.Collection
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		prior, err := findByKey(ctx, tx, c.IdempotencyKey, c.Fingerprint)
		if err != nil {
			return err
		}
		if prior != nil {
			out, err = findCollectionBy(ctx, tx, "transaction_id", prior.ID, false)
			if ledger.ErrorCode(err) == ledger.ENOTFOUND {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a transaction that is not a street collection", c.IdempotencyKey)
			}
			return err
		}
		rec := *c
		rec.ID = uuid.NewString()
		rec.Collectors = append([]string(nil), c.Collectors...)
		rec.Counts = append([]ledger.Money(nil), c.Counts...)
		rec.Recount = nil
		rec.BankedTransactionID, rec.BankedOn = "", time.Time{}
		t := rec.Transaction()
		if err := t.Validate(); err != nil {
			return err
		}
		if err := appendTransaction(ctx, tx, s.db.now(), t); err != nil {
			return err
		}
		rec.TransactionID, rec.RecordedAt = t.ID, t.RecordedAt
		_, err = tx.Exec(ctx, `insert into collections (id, transaction_id, fund_id, place, collected_on, collectors, counted_by, recounted, recorded_at)
			select $1, $2, f.id, $4, $5, $6, $7, $8, $9 from funds f where f.slug = $3`,
			rec.ID, rec.TransactionID, rec.Fund, rec.Place, rec.CollectedOn, rec.Collectors, rec.CountedBy[:], rec.Recounted, rec.RecordedAt)
		if err != nil {
			return fmt.Errorf("insert collection: %w", err)
		}
		curs, amounts := moneyColumns(rec.Counts)
		_, err = tx.Exec(ctx, `insert into collection_counts (collection_id, currency, amount)
			select $1, unnest($2::char(3)[]), unnest($3::numeric[])`, rec.ID, curs, amounts)
		if err != nil {
			return fmt.Errorf("insert collection counts: %w", err)
		}
		out = &rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record collection: %w", translate(err))
	}
	return out, nil
}

// FindCollection implements ledger.CollectionService.
func (s *DonationService) FindCollection(ctx context.Context, id string) (*ledger.Collection, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "collection %q not found", id)
	}
	c, err := findCollectionBy(ctx, s.db.Pool, "id", id, false)
	if err != nil {
		return nil, fmt.Errorf("find collection %s: %w", id, translate(err))
	}
	return c, nil
}

// BankCollection implements ledger.CollectionService: the cash the
// collection counted is paid into the bank, currency by currency, once.
func (s *DonationService) BankCollection(ctx context.Context, id string, bankedOn time.Time, key, fingerprint string) (*ledger.Collection, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "collection %q not found", id)
	}
	if err := ledger.ValidateIdempotencyKey(key); err != nil {
		return nil, err
	}
	var out *ledger.Collection
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		replay := func() (bool, error) {
			prior, err := findByKey(ctx, tx, key, fingerprint)
			if err != nil || prior == nil {
				return false, err
			}
			out, err = findCollectionBy(ctx, tx, "banked_transaction_id", prior.ID, false)
			if ledger.ErrorCode(err) == ledger.ENOTFOUND {
				return true, ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", key)
			}
			return true, err
		}
		if done, err := replay(); done || err != nil {
			return err
		}
		col, err := findCollectionBy(ctx, tx, "id", id, true)
		if err != nil {
			return err
		}
		if col.BankedTransactionID != "" {
			// A concurrent request with this same key may have just done it.
			if done, err := replay(); done || err != nil {
				return err
			}
			return ledger.Errorf(ledger.ECONFLICT, "collection %s was already banked on %s by transaction %s",
				id, col.BankedOn.Format(time.DateOnly), col.BankedTransactionID)
		}
		var reversal string
		err = tx.QueryRow(ctx, `select id::text from transactions where reversal_of = $1`, col.TransactionID).Scan(&reversal)
		if err == nil {
			return ledger.Errorf(ledger.ECONFLICT, "collection %s was reversed by transaction %s: there is no cash of it to bank", id, reversal)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		on := bankedOn
		if on.IsZero() {
			on = s.db.now()
		}
		on = ledger.Date(on)
		if on.Before(col.CollectedOn) {
			return ledger.Errorf(ledger.EINVALID, "banked_on %s is before the collection's date %s", on.Format(time.DateOnly), col.CollectedOn.Format(time.DateOnly))
		}
		desc := "Street collection, " + col.Place + ", " + col.CollectedOn.Format(time.DateOnly) + ": cash paid into the bank"
		t, err := bookCashBanking(ctx, tx, s.db.now(), col.Fund, col.Counts, on, key, fingerprint, desc, map[string]string{"collection_id": col.ID})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update collections set banked_transaction_id = $2, banked_on = $3 where id = $1`, id, t.ID, on); err != nil {
			return err
		}
		col.BankedTransactionID, col.BankedOn = t.ID, on
		out = col
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bank collection %s: %w", id, translate(err))
	}
	return out, nil
}

// BankCash implements ledger.CollectionService.
func (s *DonationService) BankCash(ctx context.Context, fund string, amounts []ledger.Money, on time.Time, key, fingerprint string) (*ledger.Transaction, error) {
	if err := ledger.ValidateSlug(fund); err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "fund: %s", ledger.ErrorMessage(err))
	}
	amounts = append([]ledger.Money(nil), amounts...)
	if err := ledger.ValidateCashAmounts(amounts); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(key); err != nil {
		return nil, err
	}
	var out *ledger.Transaction
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		prior, err := findByKey(ctx, tx, key, fingerprint)
		if err != nil || prior != nil {
			out = prior
			return err
		}
		day := on
		if day.IsZero() {
			day = s.db.now()
		}
		out, err = bookCashBanking(ctx, tx, s.db.now(), fund, amounts, ledger.Date(day), key, fingerprint, "Cash paid into the bank", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bank cash: %w", translate(err))
	}
	return out, nil
}

// bookCashBanking appends the transfer of amounts from assets:cash to the
// bank accounts of their currencies in fund, opening bank accounts as needed.
func bookCashBanking(ctx context.Context, tx pgx.Tx, now time.Time, fund string, amounts []ledger.Money, on time.Time, key, fingerprint, description string, meta map[string]string) (*ledger.Transaction, error) {
	t := ledger.BankCashTransaction(fund, amounts, on, description)
	t.IdempotencyKey, t.Fingerprint = key, fingerprint
	for k, v := range meta {
		t.Metadata[k] = v
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	for _, m := range amounts {
		if err := ensureBankAccount(ctx, tx, m.Currency); err != nil {
			return nil, err
		}
	}
	if err := appendTransaction(ctx, tx, now, t); err != nil {
		return nil, err
	}
	return t, nil
}

// findCollectionBy reads one collection by id, transaction_id or
// banked_transaction_id; lock takes its row FOR UPDATE.
func findCollectionBy(ctx context.Context, q querier, column, value string, lock bool) (*ledger.Collection, error) {
	sql := `select c.id::text, c.transaction_id::text, f.slug, c.place, c.collected_on, c.collectors, c.counted_by,
		c.recounted, c.recorded_at, coalesce(c.banked_transaction_id::text, ''), c.banked_on, t.idempotency_key, t.fingerprint
		from collections c join funds f on f.id = c.fund_id join transactions t on t.id = c.transaction_id
		where c.` + column + ` = $1`
	if lock {
		sql += ` for update of c`
	}
	var (
		c         ledger.Collection
		countedBy []string
		bankedOn  *time.Time
	)
	err := q.QueryRow(ctx, sql, value).Scan(&c.ID, &c.TransactionID, &c.Fund, &c.Place, &c.CollectedOn, &c.Collectors, &countedBy,
		&c.Recounted, &c.RecordedAt, &c.BankedTransactionID, &bankedOn, &c.IdempotencyKey, &c.Fingerprint)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "collection %s not found", value)
	}
	if err != nil {
		return nil, err
	}
	if len(countedBy) != 2 {
		return nil, fmt.Errorf("collection %s: counted_by holds %d names", c.ID, len(countedBy))
	}
	c.CountedBy = [2]string{countedBy[0], countedBy[1]}
	c.RecordedAt = c.RecordedAt.UTC()
	if bankedOn != nil {
		c.BankedOn = *bankedOn
	}
	c.Counts, err = readAmountsPerCurrency(ctx, q, `select currency, amount from collection_counts where collection_id = $1 order by currency`, c.ID)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
