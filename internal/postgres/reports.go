package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// ReportService implements ledger.ReportService: every figure is summed in
// SQL, in one read-only snapshot, so the figures of one report agree with
// each other: the registers and statements from the postings, the period
// report and the charts from the report totals kept with the postings
// (never from the cached balances). See ledger/report.go for what each
// figure means.
type ReportService struct{ db *DB }

// NewReportService returns the report service on db.
func NewReportService(db *DB) *ReportService { return &ReportService{db: db} }

var _ ledger.ReportService = (*ReportService)(nil)

// snapshot runs fn in a read-only repeatable-read transaction: all of a
// report's queries see the same books.
func (s *ReportService) snapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// checkFund fails with ENOTFOUND for a fund that does not exist, so a typo
// is not an empty report.
func checkFund(ctx context.Context, q querier, fund *string) error {
	if fund == nil {
		return nil
	}
	var ok bool
	if err := q.QueryRow(ctx, `select exists(select 1 from funds where slug = $1)`, *fund).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ledger.Errorf(ledger.ENOTFOUND, "fund %q not found", *fund)
	}
	return nil
}

// The period report and the charts read report_totals (migration 008): per
// kind, fund, effective date, key and currency, what that day's postings add
// to each figure, maintained with the postings in the same database
// transaction and recomputed from them by verify. A report sums a few rows
// per day whatever the number of postings. Each query takes $1 fund (or
// null for every fund), $2 from, $3 to; totalsScope selects the rows of the
// fund, and totalsIn those effective in the period.
const (
	totalsScope = `($1::text is null or r.fund_id = (select id from funds where slug = $1))`
	totalsIn    = `r.effective_date between $2::date and $3::date`
)

// The period report's queries.
const (
	// Per account and currency: the sum of the postings before $2 and in
	// the period, whether any is in the period, and which figure of the
	// report the account moves (its class).
	periodAccountsSQL = `select x.key, x.currency, case
			when a.type = 'asset' then 'assets'
			when a.type = 'income' then 'income'
			when a.type = 'liability' then 'liabilities'
			when x.key = 'expenses:fees:stripe' or starts_with(x.key, 'expenses:fees:stripe:') then 'fees_processor'
			when x.key = 'expenses:fees:bank' or starts_with(x.key, 'expenses:fees:bank:') then 'fees_bank'
			when x.key = 'expenses:grants' or starts_with(x.key, 'expenses:grants:') then 'grants'
			when a.type = 'expense' then 'other_expenses'
			when x.key = 'equity:conversion' or starts_with(x.key, 'equity:conversion:') then 'conversion'
			when x.key = 'equity:interfund' or starts_with(x.key, 'equity:interfund:') then 'interfund'
			else 'other_equity'
		end, x.before, x.during, x.moved
	from (select r.key, r.currency,
			coalesce(sum(r.amount) filter (where r.effective_date < $2::date), 0) as before,
			coalesce(sum(r.amount) filter (where r.effective_date >= $2::date), 0) as during,
			bool_or(r.effective_date >= $2::date) as moved
		from report_totals r
		where r.kind = 'account' and r.effective_date <= $3::date and ` + totalsScope + `
		group by 1, 2) x
	join accounts a on a.code = x.key
	order by 1, 2`

	// The breakdowns (channel, country, category): per key and currency,
	// the sum and the count of transactions that moved it one way less
	// those that moved it back, each by its net on the key in the fund, or
	// over every fund; a line shows when a transaction moved it.
	periodLinesSQL = `select r.kind, r.key, r.currency, sum(r.amount),
		sum(case when $1::text is null then r.signed_all else r.signed end)::bigint
	from report_totals r
	where r.kind <> 'account' and ` + totalsIn + ` and ` + totalsScope + `
	group by 1, 2, 3
	having sum(case when $1::text is null then r.moving_all else r.moving end) > 0
	order by 1, 3, 2`
)

// grantCategory and grantRef read a grant payment's metadata from t, or
// from o, the transaction t reverses.
const (
	grantCategory = `coalesce(nullif(btrim(t.metadata->>'grant_category'), ''), nullif(btrim(o.metadata->>'grant_category'), ''), '` + ledger.ReportCategoryOther + `')`
	grantRef      = `coalesce(nullif(btrim(t.metadata->>'grant_ref'), ''), nullif(btrim(o.metadata->>'grant_ref'), ''), '')`
)

// PeriodReport implements ledger.ReportService.
func (s *ReportService) PeriodReport(ctx context.Context, f ledger.ReportFilter) (*ledger.PeriodReport, error) {
	if err := f.ValidatePeriod(true); err != nil {
		return nil, err
	}
	r := &ledger.PeriodReport{From: *f.From, To: *f.To}
	if f.Fund != nil {
		r.Fund = *f.Fund
	}
	figures := map[string]*ledger.PeriodFigures{}
	fig := func(code string) (*ledger.PeriodFigures, error) {
		if figures[code] == nil {
			c, err := ledger.LookupCurrency(code)
			if err != nil {
				return nil, err
			}
			figures[code] = &ledger.PeriodFigures{Currency: c}
		}
		return figures[code], nil
	}
	args := []any{f.Fund, *f.From, *f.To}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := checkFund(ctx, tx, f.Fund); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `select seq, hash from ledger_head`).Scan(&r.BooksSeq, &r.BooksHash); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, periodAccountsSQL, args...)
		if err != nil {
			return err
		}
		var (
			account, cur, class string
			before, during, a   decimal.Decimal
			n                   int64
			moved               bool
		)
		// all is, per currency, the sum of the scope's postings in the
		// period: zero over every fund, and for one fund what its postings
		// leave unbalanced, the other side of transfers between funds.
		all := map[string]decimal.Decimal{}
		_, err = pgx.ForEachRow(rows, []any{&account, &cur, &class, &before, &during, &moved}, func() error {
			closing := before.Add(during)
			if class == "assets" && (!before.IsZero() || !closing.IsZero() || moved) {
				p, err := fig(cur)
				if err != nil {
					return err
				}
				p.Opening, p.Closing = p.Opening.Add(before), p.Closing.Add(closing)
				r.Assets = append(r.Assets, ledger.ReportAssetLine{Account: account, Currency: p.Currency, Opening: before, Closing: closing})
			}
			if !moved {
				return nil
			}
			p, err := fig(cur)
			if err != nil {
				return err
			}
			all[cur] = all[cur].Add(during)
			switch class {
			case "assets": // the closing balance less the opening one: checked by Check
			case "income":
				p.Income = p.Income.Sub(during)
			case "liabilities":
				p.Liabilities = p.Liabilities.Sub(during)
			case "fees_processor":
				p.ProcessorFees = p.ProcessorFees.Add(during)
			case "fees_bank":
				p.BankFees = p.BankFees.Add(during)
			case "grants":
				p.Grants = p.Grants.Add(during)
			case "other_expenses":
				p.OtherExpenses = p.OtherExpenses.Add(during)
			case "conversion":
				p.Conversions = p.Conversions.Sub(during)
			case "interfund":
				p.Interfund = p.Interfund.Sub(during)
			case "other_equity":
				p.OtherEquity = p.OtherEquity.Sub(during)
			default:
				return fmt.Errorf("period report: unknown class %q", class)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for code, amt := range all {
			figures[code].Interfund = figures[code].Interfund.Add(amt)
		}

		rows, err = tx.Query(ctx, periodLinesSQL, args...)
		if err != nil {
			return err
		}
		var kind, key string
		_, err = pgx.ForEachRow(rows, []any{&kind, &key, &cur, &a, &n}, func() error {
			c, err := ledger.LookupCurrency(cur)
			if err != nil {
				return err
			}
			l := ledger.ReportLine{Key: key, Currency: c, Amount: a, Count: n}
			switch kind {
			case "channel": // income is credited: negative on its accounts
				l.Amount, l.Count = l.Amount.Neg(), -l.Count
				r.IncomeByChannel = append(r.IncomeByChannel, l)
			case "country":
				l.Amount, l.Count = l.Amount.Neg(), -l.Count
				r.IncomeByCountry = append(r.IncomeByCountry, l)
			case "category":
				r.GrantsByCategory = append(r.GrantsByCategory, l)
				// A grant payment has one category: the number of
				// grants is the sum of the categories' counts.
				p, err := fig(cur)
				if err != nil {
					return err
				}
				p.GrantCount += l.Count
			default:
				return fmt.Errorf("period report: unknown breakdown %q", kind)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("period report: %w", translate(err))
	}
	codes := make([]string, 0, len(figures))
	for code := range figures {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		r.Figures = append(r.Figures, *figures[code])
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("period report: %w", err)
	}
	return r, nil
}

// AccountStatement implements ledger.ReportService: the postings on
// f.Account, with the balance per currency before f.From and a running
// balance after each posting, in the order of the chain within each date.
func (s *ReportService) AccountStatement(ctx context.Context, f ledger.ReportFilter) (*ledger.AccountStatement, error) {
	if err := f.ValidatePeriod(false); err != nil {
		return nil, err
	}
	if _, err := ledger.AccountTypeOf(f.Account); err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "account: %s", ledger.ErrorMessage(err))
	}
	st := &ledger.AccountStatement{Account: f.Account, From: f.From, To: f.To}
	if f.Fund != nil {
		st.Fund = *f.Fund
	}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := checkFund(ctx, tx, f.Fund); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from accounts where code = $1)`, f.Account).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ledger.Errorf(ledger.ENOTFOUND, "account %s not found (GET /api/v1/accounts lists the chart)", f.Account)
		}
		// The running balance is a window over every posting up to $4, so
		// it starts from the balance before $3.
		rows, err := tx.Query(ctx, `with s as (
			select t.effective_date, t.id::text as id, t.seq, p.idx, t.description, fu.slug, p.amount, p.currency,
				coalesce(t.reversal_of::text, '') as reversal_of,
				sum(p.amount) over (partition by p.currency order by t.effective_date, t.seq, p.idx) as balance
			from postings p join transactions t on t.id = p.transaction_id join funds fu on fu.id = p.fund_id
			where p.account = $1 and ($2::text is null or fu.slug = $2)
			and ($4::date is null or t.effective_date <= $4::date)
			and ($5::text is null or p.currency = $5))
		select effective_date, id, seq, description, slug, amount, currency, reversal_of, balance, effective_date >= coalesce($3::date, '-infinity'::date)
		from s order by effective_date, seq, idx`, f.Account, f.Fund, f.From, f.To, f.Currency)
		if err != nil {
			return err
		}
		opening := map[string]decimal.Decimal{}
		closing := map[string]decimal.Decimal{}
		var (
			l        ledger.AccountStatementLine
			cur      string
			inPeriod bool
		)
		_, err = pgx.ForEachRow(rows, []any{&l.Date, &l.TransactionID, &l.Seq, &l.Description, &l.Fund, &l.Amount, &cur, &l.ReversalOf, &l.Balance, &inPeriod}, func() error {
			c, err := ledger.LookupCurrency(cur)
			if err != nil {
				return err
			}
			l.Currency = c
			closing[cur] = l.Balance
			if !inPeriod {
				opening[cur] = l.Balance
				return nil
			}
			if _, ok := opening[cur]; !ok {
				opening[cur] = decimal.Zero
			}
			st.Lines = append(st.Lines, l)
			return nil
		})
		if err != nil {
			return err
		}
		st.Opening, st.Closing = sortedAmounts(opening), sortedAmounts(closing)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account statement %s: %w", f.Account, translate(err))
	}
	return st, nil
}

func sortedAmounts(m map[string]decimal.Decimal) []ledger.Money {
	codes := make([]string, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	out := make([]ledger.Money, 0, len(codes))
	for _, code := range codes {
		c, _ := ledger.LookupCurrency(code)
		out = append(out, ledger.Money{Amount: m[code], Currency: c})
	}
	return out
}

// DonationRegister implements ledger.ReportService: every donation, and
// every currency of every street collection, whose transaction is effective
// in the period, by date and then chain order.
func (s *ReportService) DonationRegister(ctx context.Context, f ledger.ReportFilter) (*ledger.DonationRegister, error) {
	if err := f.ValidatePeriod(false); err != nil {
		return nil, err
	}
	if f.Channel != nil {
		ch := strings.TrimPrefix(strings.TrimSpace(*f.Channel), "income:donations:")
		switch ledger.Channel(ch) {
		case ledger.ChannelBankTransfer, ledger.ChannelCash, ledger.ChannelCheque, ledger.ChannelOrganisation, ledger.ChannelCard, ledger.ChannelCollection:
		default:
			return nil, ledger.Errorf(ledger.EINVALID, "channel %q is not one of bank_transfer, cash, cheque, organisation, card, collection", *f.Channel)
		}
		f.Channel = &ch
	}
	reg := &ledger.DonationRegister{}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := checkFund(ctx, tx, f.Fund); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `select * from (
			select d.id::text as id, t.id::text as tx, t.effective_date as date, t.seq, fu.slug, d.channel, d.amount, d.currency,
				d.donor_name, d.donor_organisation, d.donor_country, '' as place, r.effective_date as reversed_on
			from donations d join transactions t on t.id = d.transaction_id join funds fu on fu.id = d.fund_id
				left join transactions r on r.reversal_of = t.id
			union all
			select c.id::text, t.id::text, t.effective_date, t.seq, fu.slug, 'collection', cc.amount, cc.currency,
				'', '', '', c.place, r.effective_date
			from collections c join collection_counts cc on cc.collection_id = c.id join transactions t on t.id = c.transaction_id
				join funds fu on fu.id = c.fund_id left join transactions r on r.reversal_of = t.id) x
		where ($1::text is null or slug = $1) and ($2::date is null or date >= $2::date) and ($3::date is null or date <= $3::date)
			and ($4::text is null or channel = $4) and ($5::text is null or currency = $5)
		order by date, seq, currency`, f.Fund, f.From, f.To, f.Channel, f.Currency)
		if err != nil {
			return err
		}
		totals := map[string]*ledger.RegisterTotal{}
		var (
			l   ledger.DonationRegisterLine
			seq int64
			cur string
		)
		_, err = pgx.ForEachRow(rows, []any{&l.ID, &l.TransactionID, &l.Date, &seq, &l.Fund, &l.Channel, &l.Amount, &cur,
			&l.DonorName, &l.DonorOrganisation, &l.DonorCountry, &l.Place, &l.ReversedOn}, func() error {
			c, err := ledger.LookupCurrency(cur)
			if err != nil {
				return err
			}
			l.Currency = c
			if l.ReversedOn != nil {
				d := *l.ReversedOn
				l.ReversedOn = &d // each line its own date
			}
			reg.Lines = append(reg.Lines, l)
			t := totals[cur]
			if t == nil {
				t = &ledger.RegisterTotal{Currency: c}
				totals[cur] = t
			}
			t.Count++
			t.Amount = t.Amount.Add(l.Amount)
			if l.ReversedOn != nil {
				t.ReversedCount++
				t.Reversed = t.Reversed.Add(l.Amount)
			}
			return nil
		})
		reg.Totals = sortedTotals(totals)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("donation register: %w", translate(err))
	}
	return reg, nil
}

func sortedTotals(m map[string]*ledger.RegisterTotal) []ledger.RegisterTotal {
	out := make([]ledger.RegisterTotal, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency.Code < out[j].Currency.Code })
	return out
}

// GrantRegister implements ledger.ReportService: each transaction's net
// postings on expenses:grants per fund and currency, with its reference and
// category from the metadata and nothing else.
func (s *ReportService) GrantRegister(ctx context.Context, f ledger.ReportFilter) (*ledger.GrantRegister, error) {
	if err := f.ValidatePeriod(false); err != nil {
		return nil, err
	}
	if f.Category != nil {
		c := strings.TrimSpace(*f.Category)
		f.Category = &c
	}
	reg := &ledger.GrantRegister{}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := checkFund(ctx, tx, f.Fund); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `select * from (
			select t.id::text as id, `+grantRef+` as ref, t.effective_date as date, t.seq, fu.slug, `+grantCategory+` as category,
				sum(p.amount) as amount, p.currency, coalesce(t.reversal_of::text, '') as reversal_of
			from postings p join transactions t on t.id = p.transaction_id join funds fu on fu.id = p.fund_id
				left join transactions o on o.id = t.reversal_of
			where (p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:'))
				and ($1::text is null or fu.slug = $1) and ($2::date is null or t.effective_date >= $2::date)
				and ($3::date is null or t.effective_date <= $3::date) and ($4::text is null or p.currency = $4)
			group by t.id, o.id, fu.slug, p.currency having sum(p.amount) <> 0) x
		where ($5::text is null or category = $5)
		order by date, seq, slug, currency`, f.Fund, f.From, f.To, f.Currency, f.Category)
		if err != nil {
			return err
		}
		totals := map[string]*ledger.RegisterTotal{}
		var (
			l   ledger.GrantRegisterLine
			seq int64
			cur string
		)
		_, err = pgx.ForEachRow(rows, []any{&l.TransactionID, &l.Ref, &l.Date, &seq, &l.Fund, &l.Category, &l.Amount, &cur, &l.ReversalOf}, func() error {
			c, err := ledger.LookupCurrency(cur)
			if err != nil {
				return err
			}
			l.Currency = c
			reg.Lines = append(reg.Lines, l)
			t := totals[cur]
			if t == nil {
				t = &ledger.RegisterTotal{Currency: c}
				totals[cur] = t
			}
			if l.Amount.IsPositive() {
				t.Count++
			} else {
				t.Count--
			}
			t.Amount = t.Amount.Add(l.Amount)
			return nil
		})
		reg.Totals = sortedTotals(totals)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("grant register: %w", translate(err))
	}
	return reg, nil
}

// WeeklyIncome implements ledger.ReportService.
func (s *ReportService) WeeklyIncome(ctx context.Context, f ledger.ReportFilter) ([]ledger.WeeklyAmount, error) {
	return s.weekly(ctx, f, "weekly income", `select date_trunc('week', r.effective_date)::date, r.key, r.currency, -sum(r.amount)
		from report_totals r
		where r.kind = 'channel' and `+totalsIn+` and `+totalsScope+` and ($4::text is null or r.currency = $4)
		group by 1, 2, 3 having sum(r.amount) <> 0 order by 3, 1, 2`)
}

// WeeklyBalance implements ledger.ReportService: for every week that
// overlaps the period, the sum of the asset postings effective by the
// week's Sunday, or by To in the last week.
func (s *ReportService) WeeklyBalance(ctx context.Context, f ledger.ReportFilter) ([]ledger.WeeklyAmount, error) {
	return s.weekly(ctx, f, "weekly balance", `with mv as (
			select date_trunc('week', r.effective_date)::date as week, r.currency, sum(r.amount) as amount
			from report_totals r join accounts a on a.code = r.key
			where r.kind = 'account' and a.type = 'asset' and r.effective_date <= $3::date and `+totalsScope+`
			and ($4::text is null or r.currency = $4)
			group by 1, 2),
		weeks as (select generate_series(date_trunc('week', $2::date), $3::date, interval '1 week')::date as week),
		curs as (select distinct currency from mv)
		select weeks.week, '', curs.currency, coalesce((select sum(mv.amount) from mv where mv.currency = curs.currency and mv.week <= weeks.week), 0)
		from weeks cross join curs order by 3, 1`)
}

// weekly runs a chart's query, whose parameters are the filter's fund,
// from, to and currency ($1 to $4) and whose rows are (week, key, currency,
// amount), in one snapshot.
func (s *ReportService) weekly(ctx context.Context, f ledger.ReportFilter, what, sql string) ([]ledger.WeeklyAmount, error) {
	if err := f.ValidatePeriod(true); err != nil {
		return nil, err
	}
	var out []ledger.WeeklyAmount
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := checkFund(ctx, tx, f.Fund); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, f.Fund, *f.From, *f.To, f.Currency)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.WeeklyAmount, error) {
			var (
				w   ledger.WeeklyAmount
				cur string
			)
			if err := r.Scan(&w.Week, &w.Key, &cur, &w.Amount); err != nil {
				return w, err
			}
			c, err := ledger.LookupCurrency(cur)
			w.Currency = c
			return w, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, translate(err))
	}
	return out, nil
}
