package postgres

import (
	"context"
	"fmt"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// BalanceService implements ledger.BalanceService.
type BalanceService struct{ db *DB }

// NewBalanceService returns the balance service on db.
func NewBalanceService(db *DB) *BalanceService { return &BalanceService{db: db} }

var _ ledger.BalanceService = (*BalanceService)(nil)

// balanceSource returns a subquery with columns fund_id, account, currency,
// amount: the cached balances, or sums of postings effective by as_of.
func balanceSource(f ledger.BalanceFilter, args *[]any) string {
	if f.AsOf == nil {
		return `balances`
	}
	*args = append(*args, *f.AsOf)
	return fmt.Sprintf(`(select p.fund_id, p.account, p.currency, sum(p.amount) as amount
		from postings p join transactions t on t.id = p.transaction_id
		where t.effective_date <= $%d group by p.fund_id, p.account, p.currency)`, len(*args))
}

// Balances implements ledger.BalanceService: one row per fund, account and
// currency with a non-zero balance.
func (s *BalanceService) Balances(ctx context.Context, f ledger.BalanceFilter) ([]ledger.Balance, error) {
	var args []any
	src := balanceSource(f, &args)
	where := ""
	if f.Fund != nil {
		args = append(args, *f.Fund)
		where = fmt.Sprintf(` and fu.slug = $%d`, len(args))
	}
	rows, err := s.db.Pool.Query(ctx, `select fu.slug, b.account, a.type, b.currency, b.amount
		from `+src+` b join funds fu on fu.id = b.fund_id join accounts a on a.code = b.account
		where b.amount <> 0`+where+` order by fu.slug, b.account, b.currency`, args...)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", translate(err))
	}
	return collectBalances(rows)
}

// TrialBalance implements ledger.BalanceService: balances summed over funds
// (or within one fund), per account and currency. Each currency sums to zero.
func (s *BalanceService) TrialBalance(ctx context.Context, f ledger.BalanceFilter) ([]ledger.Balance, error) {
	var args []any
	src := balanceSource(f, &args)
	where := ""
	if f.Fund != nil {
		args = append(args, *f.Fund)
		where = fmt.Sprintf(` where b.fund_id = (select id from funds where slug = $%d)`, len(args))
	}
	rows, err := s.db.Pool.Query(ctx, `select '', b.account, a.type, b.currency, sum(b.amount)
		from `+src+` b join accounts a on a.code = b.account`+where+`
		group by b.account, a.type, b.currency having sum(b.amount) <> 0 order by b.account, b.currency`, args...)
	if err != nil {
		return nil, fmt.Errorf("trial balance: %w", translate(err))
	}
	return collectBalances(rows)
}

func collectBalances(rows pgx.Rows) ([]ledger.Balance, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.Balance, error) {
		var (
			b   ledger.Balance
			cur string
		)
		if err := r.Scan(&b.Fund, &b.Account, &b.Type, &cur, &b.Amount); err != nil {
			return b, err
		}
		c, err := ledger.LookupCurrency(cur)
		b.Currency = c
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("balances: %w", translate(err))
	}
	return out, nil
}
