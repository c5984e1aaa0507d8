package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Verifier implements ledger.Verifier.
type Verifier struct{ db *DB }

// NewVerifier returns the verifier on db.
func NewVerifier(db *DB) *Verifier { return &Verifier{db: db} }

var _ ledger.Verifier = (*Verifier)(nil)

// maxProblems caps how many problems of one kind a report lists.
const maxProblems = 50

// snapshotTx reads the whole books in one repeatable-read snapshot, so
// writes during verification do not appear half-way through.
var snapshotTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Verify implements ledger.Verifier. It streams every transaction in chain
// order, re-checking its balance and recomputing its hash from its content and
// its predecessor's hash, then recomputes every cached balance and every
// report total from postings in the database. Memory stays constant whatever
// the size of the books.
func (v *Verifier) Verify(ctx context.Context) (*ledger.VerifyReport, error) {
	r := &ledger.VerifyReport{}
	problem := func(format string, args ...any) {
		if len(r.Problems) < 10*maxProblems {
			r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		}
	}

	err := pgx.BeginTxFunc(ctx, v.db.Pool, snapshotTx, func(tx pgx.Tx) error {
		// The database recomputes the report totals while this connection
		// streams the chain.
		totals, err := checkReportTotalsAside(ctx, v.db, tx)
		if err != nil {
			return err
		}
		defer totals.stop()

		var prev []byte
		var lastSeq int64
		rows, err := tx.Query(ctx, selectTransactions+` order by t.seq, p.idx`)
		if err != nil {
			return err
		}
		err = scanTransactions(rows, func(t *ledger.Transaction) error {
			r.Transactions++
			r.Postings += int64(len(t.Postings))
			if t.Seq != lastSeq+1 {
				problem("transaction %s: chain position %d follows %d; transactions are missing", t.ID, t.Seq, lastSeq)
			}
			if !bytes.Equal(t.PrevHash, prev) {
				problem("transaction %s (seq %d): previous hash %s does not match the hash of the transaction before it (%s)", t.ID, t.Seq, short(t.PrevHash), short(prev))
			}
			if got := t.ComputeHash(t.PrevHash); !bytes.Equal(got, t.Hash) {
				problem("transaction %s (seq %d): content does not match its hash (stored %s, recomputed %s); it was changed after it was recorded", t.ID, t.Seq, short(t.Hash), short(got))
			}
			sums := map[string]decimal.Decimal{}
			for i, p := range t.Postings {
				sums[p.Currency.Code] = sums[p.Currency.Code].Add(p.Amount)
				if err := ledger.CheckScale(p.Amount, p.Currency); err != nil {
					problem("transaction %s posting %d: %s", t.ID, i, ledger.ErrorMessage(err))
				}
			}
			for cur, s := range sums {
				if !s.IsZero() {
					problem("transaction %s (seq %d): postings in %s sum to %s, not zero", t.ID, t.Seq, cur, s)
				}
			}
			if len(t.Postings) < 2 {
				problem("transaction %s (seq %d): has %d posting(s); at least two are required", t.ID, t.Seq, len(t.Postings))
			}
			prev, lastSeq = t.Hash, t.Seq
			return nil
		})
		if err != nil {
			return err
		}

		var total int64
		if err := tx.QueryRow(ctx, `select count(*) from transactions`).Scan(&total); err != nil {
			return err
		}
		if total != r.Transactions {
			problem("%d transaction(s) have no postings at all", total-r.Transactions)
		}
		var headSeq int64
		var headHash []byte
		if err := tx.QueryRow(ctx, `select seq, hash from ledger_head`).Scan(&headSeq, &headHash); err != nil {
			return err
		}
		if headSeq != lastSeq || !bytes.Equal(headHash, prev) {
			problem("chain head is at seq %d hash %s, but the last transaction is seq %d hash %s", headSeq, short(headHash), lastSeq, short(prev))
		}

		// Every cached balance against the sum of its postings.
		rows, err = tx.Query(ctx, `with computed as (
				select fund_id, account, currency, sum(amount) as amount from postings group by fund_id, account, currency
			)
			select coalesce(f.slug, '#' || coalesce(c.fund_id, b.fund_id)::text), coalesce(c.account, b.account),
				coalesce(c.currency, b.currency), coalesce(c.amount, 0), b.amount, (b.fund_id is not null)
			from computed c full join balances b using (fund_id, account, currency)
			left join funds f on f.id = coalesce(c.fund_id, b.fund_id)
			order by 1, 2, 3`)
		if err != nil {
			return err
		}
		var (
			fund, account, cur string
			want               decimal.Decimal
			got                *decimal.Decimal
			cached             bool
		)
		_, err = pgx.ForEachRow(rows, []any{&fund, &account, &cur, &want, &got, &cached}, func() error {
			if cached {
				r.Balances++
			}
			switch {
			case got == nil && !want.IsZero():
				problem("balance %s %s %s: no cached balance, postings sum to %s", fund, account, cur, want)
			case got != nil && !got.Equal(want):
				problem("balance %s %s %s: cached %s, postings sum to %s", fund, account, cur, got, want)
			}
			return nil
		})
		if err != nil {
			return err
		}

		totalsProblems, err := totals.wait()
		if err != nil {
			return fmt.Errorf("report totals: %w", err)
		}
		for _, p := range totalsProblems {
			problem("%s", p)
		}

		// Every donation against its transaction.
		rows, err = tx.Query(ctx, `select d.id::text from donations d
			where not exists (select 1 from postings p where p.transaction_id = d.transaction_id
				and p.account = 'income:donations:' || d.channel and p.currency = d.currency and p.amount = -d.amount)
			limit $1`, maxProblems)
		if err != nil {
			return err
		}
		var id string
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
			problem("donation %s: its transaction does not credit its amount to income:donations", id)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", translate(err))
	}
	return r, nil
}

func short(h []byte) string {
	if len(h) == 0 {
		return "(none)"
	}
	s := hex.EncodeToString(h)
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
