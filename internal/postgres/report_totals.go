package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// reportTotalsComputedSQL recomputes report_totals (migration 008) from the
// postings, the way the period report used to read them: each transaction's
// net per breakdown key, in each fund and over every fund. It shares no SQL
// with the triggers that maintain the table, so verify checks them too.
// Donor countries other than the donation's own, and a reversed grant's
// category, are looked up only for the few rows that need them.
const reportTotalsComputedSQL = `with
	keyed as (
		select t.seq, t.effective_date, p.fund_id, k.kind, k.key, p.currency, p.amount
		from postings p
		join transactions t on t.id = p.transaction_id
		join accounts a on a.code = p.account
		left join donations own on own.transaction_id = t.id
		cross join lateral (values
			('channel', case when a.type = 'income' then
				case when starts_with(p.account, 'income:donations:') then substr(p.account, 18) else p.account end end),
			('country', case when a.type = 'income' then coalesce(own.donor_country,
				(select rev.donor_country from donations rev where rev.transaction_id = t.reversal_of),
				(select named.donor_country from donations named where named.id = case
					when t.metadata->>'donation_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
					then (t.metadata->>'donation_id')::uuid end), '') end),
			('category', case when p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:') then
				coalesce(nullif(btrim(t.metadata->>'grant_category'), ''),
					nullif(btrim((select o.metadata->>'grant_category' from transactions o where o.id = t.reversal_of)), ''),
					'` + ledger.ReportCategoryOther + `') end)
		) k(kind, key)
		where (a.type = 'income' or p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:'))
			and k.key is not null),
	per_fund as (
		select seq, kind, key, currency, fund_id, effective_date, sum(amount) as net
		from keyed group by seq, kind, key, currency, fund_id, effective_date),
	per_tx as (
		select *, sum(net) over w as net_all, fund_id = min(fund_id) over w as first
		from per_fund window w as (partition by seq, kind, key, currency))
	select 'account' as kind, p.fund_id, t.effective_date, p.account as key, p.currency,
		sum(p.amount) as amount, 0::bigint as signed, 0::bigint as moving, 0::bigint as signed_all, 0::bigint as moving_all
	from postings p join transactions t on t.id = p.transaction_id
	group by 1, 2, 3, 4, 5
	union all
	select kind, fund_id, effective_date, key, currency, sum(net),
		count(*) filter (where net > 0) - count(*) filter (where net < 0),
		count(*) filter (where net <> 0),
		count(*) filter (where first and net_all > 0) - count(*) filter (where first and net_all < 0),
		count(*) filter (where first and net_all <> 0)
	from per_tx
	group by 1, 2, 3, 4, 5`

// totalsCheck is verifyReportTotals running beside the rest of verify, on a
// second connection in the same snapshot: the database recomputes the totals
// while verify streams and hashes the chain.
type totalsCheck struct {
	done     chan struct{}
	cancel   context.CancelFunc
	problems []string
	err      error
}

// checkReportTotalsAside starts verifyReportTotals in tx's snapshot, which it
// exports to a second connection; with a pool of one connection it runs it
// on tx before returning.
func checkReportTotalsAside(ctx context.Context, db *DB, tx pgx.Tx) (*totalsCheck, error) {
	c := &totalsCheck{done: make(chan struct{}), cancel: func() {}}
	collect := func(format string, args ...any) { c.problems = append(c.problems, fmt.Sprintf(format, args...)) }
	if db.Pool.Config().MaxConns < 2 {
		defer close(c.done)
		c.err = verifyReportTotals(ctx, tx, collect)
		return c, nil
	}
	var snapshot string
	if err := tx.QueryRow(ctx, `select pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return nil, err
	}
	ctx, c.cancel = context.WithCancel(ctx)
	go func() {
		defer close(c.done)
		c.err = pgx.BeginTxFunc(ctx, db.Pool, snapshotTx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `set transaction snapshot '`+strings.ReplaceAll(snapshot, "'", "''")+`'`); err != nil {
				return err
			}
			return verifyReportTotals(ctx, tx, collect)
		})
	}()
	return c, nil
}

// wait returns what the check found.
func (c *totalsCheck) wait() ([]string, error) {
	<-c.done
	return c.problems, c.err
}

// stop ends the check if it still runs, and waits for it.
func (c *totalsCheck) stop() {
	c.cancel()
	<-c.done
}

// verifyReportTotals compares every row of report_totals with the postings.
// A row may be missing, or left over, only in a breakdown and only when all
// its figures are zero (the unknown country a donation's income moved away
// from); an account row exists exactly when postings do, since the report
// shows an asset account with postings in the period even when they sum to
// zero.
// Only the differences leave the database, at most maxProblems of them.
func verifyReportTotals(ctx context.Context, tx pgx.Tx, problem func(string, ...any)) error {
	rows, err := tx.Query(ctx, `with computed as (`+reportTotalsComputedSQL+`),
		diff as (
			select kind, fund_id, effective_date, key, currency,
				c.amount as want_amount, c.signed as want_signed, c.moving as want_moving, c.signed_all as want_signed_all, c.moving_all as want_moving_all,
				r.amount, r.signed, r.moving, r.signed_all, r.moving_all
			from computed c full join report_totals r using (kind, fund_id, effective_date, key, currency)
			where (coalesce(c.amount, 0), coalesce(c.signed, 0), coalesce(c.moving, 0), coalesce(c.signed_all, 0), coalesce(c.moving_all, 0))
				is distinct from (coalesce(r.amount, 0), coalesce(r.signed, 0), coalesce(r.moving, 0), coalesce(r.signed_all, 0), coalesce(r.moving_all, 0))
				or (kind = 'account' and (c.kind is null) <> (r.kind is null)))
		select coalesce(f.slug, '#' || d.fund_id::text), d.kind, d.effective_date, d.key, d.currency,
			d.want_amount, d.want_signed, d.want_moving, d.want_signed_all, d.want_moving_all,
			d.amount, d.signed, d.moving, d.signed_all, d.moving_all, count(*) over ()
		from diff d left join funds f on f.id = d.fund_id order by 1, 2, 3, 4, 5 limit $1`, maxProblems)
	if err != nil {
		return err
	}
	var (
		fund, kind, key, cur string
		day                  time.Time
		want, got            totalsFigures
		n                    int64
		shown                int64
	)
	_, err = pgx.ForEachRow(rows, []any{&fund, &kind, &day, &key, &cur,
		&want.amount, &want.signed, &want.moving, &want.signedAll, &want.movingAll,
		&got.amount, &got.signed, &got.moving, &got.signedAll, &got.movingAll, &n}, func() error {
		shown++
		problem("report totals %s %s %s %q %s: stored %s, postings give %s", fund, day.Format(time.DateOnly), kind, key, cur, got, want)
		if shown == maxProblems && n > shown {
			problem("report totals: %d more rows differ from the postings", n-shown)
		}
		return nil
	})
	return err
}

// totalsFigures is one row's figures, nil when there is no row.
type totalsFigures struct {
	amount                               *decimal.Decimal
	signed, moving, signedAll, movingAll *int64
}

func (f totalsFigures) String() string {
	if f.amount == nil {
		return "no row"
	}
	if *f.signed == 0 && *f.moving == 0 && *f.signedAll == 0 && *f.movingAll == 0 {
		return "amount " + f.amount.String()
	}
	return fmt.Sprintf("amount %s, count %d of %d moving (over all funds %d of %d)", f.amount, *f.signed, *f.moving, *f.signedAll, *f.movingAll)
}
