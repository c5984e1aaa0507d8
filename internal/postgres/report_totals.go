package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// reportTotalsComputedSQL recomputes report_totals (migration 008) from the
// postings, the way the period report used to read them: each transaction's
// net per breakdown key, in each fund and over every fund. It shares no SQL
// with the triggers that maintain the table, so verify checks them too.
const reportTotalsComputedSQL = `with
	keyed as (
		select p.transaction_id, t.effective_date, p.fund_id, 'channel' as kind,
			case when starts_with(p.account, 'income:donations:') then substr(p.account, 18) else p.account end as key,
			p.currency, p.amount
		from postings p join transactions t on t.id = p.transaction_id join accounts a on a.code = p.account
		where a.type = 'income'
		union all
		select p.transaction_id, t.effective_date, p.fund_id, 'country',
			coalesce(own.donor_country, rev.donor_country, named.donor_country, ''), p.currency, p.amount
		from postings p join transactions t on t.id = p.transaction_id join accounts a on a.code = p.account
			left join donations own on own.transaction_id = t.id
			left join donations rev on own.id is null and rev.transaction_id = t.reversal_of
			left join donations named on named.id = case when own.id is null and rev.id is null
				and t.metadata->>'donation_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
				then (t.metadata->>'donation_id')::uuid end
		where a.type = 'income'
		union all
		select p.transaction_id, t.effective_date, p.fund_id, 'category', ` + grantCategory + `, p.currency, p.amount
		from postings p join transactions t on t.id = p.transaction_id left join transactions o on o.id = t.reversal_of
		where p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:')),
	per_fund as (
		select transaction_id, effective_date, fund_id, kind, key, currency, sum(amount) as net
		from keyed group by 1, 2, 3, 4, 5, 6),
	per_tx as (
		select transaction_id, kind, key, currency, sum(net) as net, min(fund_id) as first_fund
		from per_fund group by 1, 2, 3, 4)
	select 'account' as kind, p.fund_id, t.effective_date, p.account as key, p.currency,
		sum(p.amount) as amount, 0::bigint as signed, 0::bigint as moving, 0::bigint as signed_all, 0::bigint as moving_all
	from postings p join transactions t on t.id = p.transaction_id
	group by 1, 2, 3, 4, 5
	union all
	select f.kind, f.fund_id, f.effective_date, f.key, f.currency, sum(f.net),
		count(*) filter (where f.net > 0) - count(*) filter (where f.net < 0),
		count(*) filter (where f.net <> 0),
		count(*) filter (where x.first_fund = f.fund_id and x.net > 0) - count(*) filter (where x.first_fund = f.fund_id and x.net < 0),
		count(*) filter (where x.first_fund = f.fund_id and x.net <> 0)
	from per_fund f join per_tx x using (transaction_id, kind, key, currency)
	group by 1, 2, 3, 4, 5`

// verifyReportTotals compares every row of report_totals with the postings.
// A row may be missing, or left over, only in a breakdown and only when all
// its figures are zero (a donation's country moved away from ”); an
// account row exists exactly when postings do, since the report shows an
// asset account with postings in the period even when they sum to zero.
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
