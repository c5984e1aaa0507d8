package postgres

import (
	"context"
	"encoding/json"
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

// TransactionService implements ledger.TransactionService.
type TransactionService struct{ db *DB }

// NewTransactionService returns the transaction service on db.
func NewTransactionService(db *DB) *TransactionService { return &TransactionService{db: db} }

var _ ledger.TransactionService = (*TransactionService)(nil)

// RecordTransaction implements ledger.TransactionService.
func (s *TransactionService) RecordTransaction(ctx context.Context, t *ledger.Transaction) (*ledger.Transaction, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if _, forged := t.Metadata["reversal_of"]; t.ReversalOf != "" || forged {
		return nil, ledger.Errorf(ledger.EINVALID, "reversal_of: use the reverse call to reverse a transaction")
	}
	var out *ledger.Transaction
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		prior, err := findByKey(ctx, tx, t.IdempotencyKey, t.Fingerprint)
		if err != nil || prior != nil {
			out = prior
			return err
		}
		rec := *t
		if err := appendTransaction(ctx, tx, s.db.now(), &rec); err != nil {
			return err
		}
		out = &rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record transaction %s: %w", t.IdempotencyKey, translate(err))
	}
	return out, nil
}

// ReverseTransaction implements ledger.TransactionService.
func (s *TransactionService) ReverseTransaction(ctx context.Context, id string, r *ledger.Transaction) (*ledger.Transaction, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "transaction %q not found", id)
	}
	var out *ledger.Transaction
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		prior, err := findByKey(ctx, tx, r.IdempotencyKey, r.Fingerprint)
		if err != nil || prior != nil {
			out = prior
			return err
		}
		orig, err := findTransaction(ctx, tx, id)
		if err != nil {
			return err
		}
		if orig.ReversalOf != "" {
			return ledger.Errorf(ledger.ECONFLICT, "transaction %s is itself a reversal and cannot be reversed; record a new transaction instead", id)
		}
		if orig.ReversedBy != "" {
			// A concurrent request with this same key may have just done it.
			if prior, err := findByKey(ctx, tx, r.IdempotencyKey, r.Fingerprint); err != nil || prior != nil {
				out = prior
				return err
			}
			return ledger.Errorf(ledger.ECONFLICT, "transaction %s was already reversed by %s", id, orig.ReversedBy)
		}
		rev := orig.Reversal(r.IdempotencyKey, r.EffectiveDate, r.Description)
		rev.Fingerprint = r.Fingerprint
		for k, v := range r.Metadata {
			if k != "reversal_of" {
				rev.Metadata[k] = v
			}
		}
		if rev.EffectiveDate.IsZero() {
			rev.EffectiveDate = ledger.Date(s.db.now())
		}
		if err := rev.Validate(); err != nil {
			return err
		}
		if err := appendTransaction(ctx, tx, s.db.now(), rev); err != nil {
			if isUnique(err, "transactions_reversal_of_key") {
				return errRetry // a concurrent reversal won; the next attempt reports it
			}
			return err
		}
		out = rev
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reverse transaction %s: %w", id, translate(err))
	}
	return out, nil
}

// FindTransaction implements ledger.TransactionService.
func (s *TransactionService) FindTransaction(ctx context.Context, id string) (*ledger.Transaction, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "transaction %q not found", id)
	}
	t, err := findTransaction(ctx, s.db.Pool, id)
	if err != nil {
		return nil, fmt.Errorf("find transaction %s: %w", id, translate(err))
	}
	return t, nil
}

func (db *DB) now() time.Time {
	return db.Now().UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// findByKey returns the transaction recorded under key, nil if there is none,
// or ECONFLICT when it was recorded for a different request.
func findByKey(ctx context.Context, q querier, key, fingerprint string) (*ledger.Transaction, error) {
	var id, fp string
	err := q.QueryRow(ctx, `select id::text, fingerprint from transactions where idempotency_key = $1`, key).Scan(&id, &fp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fp != fingerprint {
		return nil, ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", key)
	}
	return findTransaction(ctx, q, id)
}

// balanceKey identifies one cached balance row.
type balanceKey struct {
	fund     int64
	account  string
	currency string
}

// appendTransaction writes t, whose postings are valid and balanced, at the
// head of the hash chain and updates the cached balances, all inside tx. It
// fills t's ID, Seq, RecordedAt and hashes.
func appendTransaction(ctx context.Context, tx pgx.Tx, now time.Time, t *ledger.Transaction) error {
	return appendTransactions(ctx, tx, now, []*ledger.Transaction{t}, nil)
}

// appendTransactions writes ts, each valid and balanced, at the head of the
// hash chain in their order, with one statement per table whatever their
// number, and updates the cached balances by their summed changes. Locks are
// taken in one global order: balance rows sorted by (fund, account,
// currency), then the chain head. It fills each one's ID, Seq, RecordedAt
// and hashes. If between is not nil, it queues statements that run after
// the transactions are inserted and before their postings, such as the rows
// that describe them (a donation's row, read by the report totals' trigger
// on postings).
func appendTransactions(ctx context.Context, tx pgx.Tx, now time.Time, ts []*ledger.Transaction, between func(*pgx.Batch)) error {
	var slugs []string
	var postings []ledger.Posting
	for _, t := range ts {
		slugs = append(slugs, t.Funds()...)
		postings = append(postings, t.Postings...)
	}
	funds, err := fundIDs(ctx, tx, slugs)
	if err != nil {
		return err
	}
	if err := checkAccounts(ctx, tx, postings); err != nil {
		return err
	}
	if err := updateBalances(ctx, tx, funds, postings); err != nil {
		return err
	}

	var seq int64
	var prev []byte
	if err := tx.QueryRow(ctx, `select seq, hash from ledger_head for update`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("lock chain head: %w", err)
	}
	var (
		tIDs, keys, fps, descs []string
		seqs                   []int64
		dates                  []time.Time
		metas, prevs, hashes   [][]byte
		reversals              []*string
		ptx, accounts, curs    []string
		idx                    []int16
		pfunds                 []int64
		amounts                []decimal.Decimal
	)
	for _, t := range ts {
		seq++
		t.Seq, t.ID, t.RecordedAt, t.PrevHash = seq, uuid.NewString(), now, prev
		t.Hash = t.ComputeHash(prev)
		prev = t.Hash
		if t.Metadata == nil {
			t.Metadata = map[string]string{}
		}
		meta, err := json.Marshal(t.Metadata)
		if err != nil {
			return err
		}
		var reversalOf *string
		if t.ReversalOf != "" {
			reversalOf = &t.ReversalOf
		}
		tIDs, seqs, keys, fps = append(tIDs, t.ID), append(seqs, t.Seq), append(keys, t.IdempotencyKey), append(fps, t.Fingerprint)
		dates, descs, metas, reversals = append(dates, t.EffectiveDate), append(descs, t.Description), append(metas, meta), append(reversals, reversalOf)
		prevs, hashes = append(prevs, t.PrevHash), append(hashes, t.Hash)
		for i, p := range t.Postings {
			ptx, idx, accounts = append(ptx, t.ID), append(idx, int16(i)), append(accounts, p.Account)
			pfunds, curs, amounts = append(pfunds, funds[p.Fund]), append(curs, p.Currency.Code), append(amounts, p.Amount)
		}
	}
	// All postings of a transaction go in one statement: the database checks
	// each statement's transactions balance.
	batch := &pgx.Batch{}
	batch.Queue(`insert into transactions (id, seq, idempotency_key, fingerprint, effective_date, description, metadata, reversal_of, recorded_at, prev_hash, hash)
		select id, seq, key, fp, day, descr, meta, rev, $9, prev, hash
		from unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::date[], $6::text[], $7::jsonb[], $8::uuid[], $10::bytea[], $11::bytea[])
			as u(id, seq, key, fp, day, descr, meta, rev, prev, hash)`,
		tIDs, seqs, keys, fps, dates, descs, metas, reversals, now, prevs, hashes)
	if between != nil {
		between(batch)
	}
	batch.Queue(`insert into postings (transaction_id, idx, account, fund_id, currency, amount)
		select * from unnest($1::uuid[], $2::smallint[], $3::text[], $4::bigint[], $5::char(3)[], $6::numeric[])`,
		ptx, idx, accounts, pfunds, curs, amounts)
	batch.Queue(`update ledger_head set seq = $1, hash = $2`, seq, prev)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		if isUnique(err, "transactions_idempotency_key_key") {
			return errRetry // a concurrent request with the same key won; the next attempt returns its result
		}
		return err
	}
	return nil
}

// updateBalances adds postings to the cached balances, one row per (fund,
// account, currency) locked in the global order.
func updateBalances(ctx context.Context, tx pgx.Tx, funds map[string]int64, postings []ledger.Posting) error {
	deltas := map[balanceKey]decimal.Decimal{}
	for _, p := range postings {
		k := balanceKey{funds[p.Fund], p.Account, p.Currency.Code}
		deltas[k] = deltas[k].Add(p.Amount)
	}
	keys := make([]balanceKey, 0, len(deltas))
	for k := range deltas {
		keys = append(keys, k)
	}
	sortBalanceKeys(keys)
	batch := &pgx.Batch{}
	for _, k := range keys {
		batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, $2, $3, $4)
			on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`,
			k.fund, k.account, k.currency, deltas[k])
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("update balances: %w", err)
	}
	return nil
}

// sortBalanceKeys puts balance rows in the one global order every writer
// locks them in, (fund, account, currency), so writers never deadlock.
func sortBalanceKeys(keys []balanceKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.fund != b.fund {
			return a.fund < b.fund
		}
		if a.account != b.account {
			return a.account < b.account
		}
		return a.currency < b.currency
	})
}

// fundIDs resolves fund slugs to ids, failing with EINVALID for unknown ones.
func fundIDs(ctx context.Context, q querier, slugs []string) (map[string]int64, error) {
	ids, err := knownFunds(ctx, q, slugs)
	if err != nil {
		return nil, err
	}
	for _, s := range slugs {
		if _, ok := ids[s]; !ok {
			return nil, ledger.Errorf(ledger.EINVALID, "fund %q does not exist", s)
		}
	}
	return ids, nil
}

// knownFunds resolves the fund slugs that exist to their ids.
func knownFunds(ctx context.Context, q querier, slugs []string) (map[string]int64, error) {
	rows, err := q.Query(ctx, `select slug, id from funds where slug = any($1)`, slugs)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	var slug string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&slug, &id}, func() error { ids[slug] = id; return nil }); err != nil {
		return nil, err
	}
	return ids, nil
}

// checkAccounts fails with EINVALID when a posting names an unknown account.
func checkAccounts(ctx context.Context, q querier, ps []ledger.Posting) error {
	codes := make([]string, 0, len(ps))
	for _, p := range ps {
		codes = append(codes, p.Account)
	}
	rows, err := q.Query(ctx, `select code from accounts where code = any($1)`, codes)
	if err != nil {
		return err
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, c := range known {
		have[c] = true
	}
	var missing []string
	for _, c := range codes {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return ledger.Errorf(ledger.EINVALID, "account %s does not exist; open it first (GET /api/v1/accounts lists the chart)", strings.Join(missing, ", "))
	}
	return nil
}

const selectTransactions = `select t.id::text, t.seq, t.idempotency_key, t.fingerprint, t.effective_date, t.description,
	t.metadata, coalesce(t.reversal_of::text, ''), t.recorded_at, t.prev_hash, t.hash,
	p.account, f.slug, p.currency, p.amount
	from transactions t join postings p on p.transaction_id = t.id join funds f on f.id = p.fund_id`

// scanTransactions reads rows of selectTransactions, ordered by seq then idx,
// calling fn once per transaction without holding more than one in memory.
func scanTransactions(rows pgx.Rows, fn func(*ledger.Transaction) error) error {
	defer rows.Close()
	var cur *ledger.Transaction
	for rows.Next() {
		var (
			t        ledger.Transaction
			meta     []byte
			p        ledger.Posting
			currency string
		)
		if err := rows.Scan(&t.ID, &t.Seq, &t.IdempotencyKey, &t.Fingerprint, &t.EffectiveDate, &t.Description,
			&meta, &t.ReversalOf, &t.RecordedAt, &t.PrevHash, &t.Hash,
			&p.Account, &p.Fund, &currency, &p.Amount); err != nil {
			return err
		}
		c, err := ledger.LookupCurrency(currency)
		if err != nil {
			return fmt.Errorf("transaction %s: %w", t.ID, err)
		}
		p.Currency = c
		if cur == nil || cur.ID != t.ID {
			if cur != nil {
				if err := fn(cur); err != nil {
					return err
				}
			}
			if err := json.Unmarshal(meta, &t.Metadata); err != nil {
				return fmt.Errorf("transaction %s metadata: %w", t.ID, err)
			}
			t.RecordedAt = t.RecordedAt.UTC()
			cur = &t
		}
		cur.Postings = append(cur.Postings, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}

func findTransaction(ctx context.Context, q querier, id string) (*ledger.Transaction, error) {
	rows, err := q.Query(ctx, selectTransactions+` where t.id = $1 order by p.idx`, id)
	if err != nil {
		return nil, err
	}
	var out *ledger.Transaction
	if err := scanTransactions(rows, func(t *ledger.Transaction) error { out = t; return nil }); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "transaction %s not found", id)
	}
	err = q.QueryRow(ctx, `select id::text from transactions where reversal_of = $1`, id).Scan(&out.ReversedBy)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	return out, nil
}

// EachTransaction implements ledger.TransactionService.
func (s *TransactionService) EachTransaction(ctx context.Context, f ledger.TransactionFilter, fn func(*ledger.Transaction) error) error {
	var where []string
	var args []any
	if f.Fund != nil {
		args = append(args, *f.Fund)
		where = append(where, fmt.Sprintf(`t.id in (select p2.transaction_id from postings p2 join funds f2 on f2.id = p2.fund_id where f2.slug = $%d)`, len(args)))
	}
	if f.From != nil {
		args = append(args, *f.From)
		where = append(where, fmt.Sprintf(`t.effective_date >= $%d`, len(args)))
	}
	if f.To != nil {
		args = append(args, *f.To)
		where = append(where, fmt.Sprintf(`t.effective_date <= $%d`, len(args)))
	}
	sql := selectTransactions
	if len(where) > 0 {
		sql += " where " + strings.Join(where, " and ")
	}
	rows, err := s.db.Pool.Query(ctx, sql+` order by t.seq, p.idx`, args...)
	if err != nil {
		return fmt.Errorf("list transactions: %w", translate(err))
	}
	if err := scanTransactions(rows, fn); err != nil {
		return fmt.Errorf("list transactions: %w", translate(err))
	}
	return nil
}
