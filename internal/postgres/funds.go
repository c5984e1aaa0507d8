package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// FundService implements ledger.FundService and ledger.AccountService.
type FundService struct{ db *DB }

// NewFundService returns the fund service on db.
func NewFundService(db *DB) *FundService { return &FundService{db: db} }

var (
	_ ledger.FundService    = (*FundService)(nil)
	_ ledger.AccountService = (*FundService)(nil)
)

// CreateFund implements ledger.FundService. The first fund also opens the
// default chart of accounts; every fund makes sure a bank account exists in
// its currency.
func (s *FundService) CreateFund(ctx context.Context, f *ledger.Fund, key, fingerprint string) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if key != "" {
		if err := ledger.ValidateIdempotencyKey(key); err != nil {
			return err
		}
	}
	slugTaken := false // set when an attempt lost the slug to a concurrent insert
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if key != "" {
			var slug, fp string
			err := tx.QueryRow(ctx, `select slug, fingerprint from funds where idempotency_key = $1`, key).Scan(&slug, &fp)
			if err == nil {
				if fp != fingerprint {
					return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", key)
				}
				prior, err := findFund(ctx, tx, slug)
				if err == nil {
					*f = *prior
				}
				return err
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var n int
		if err := tx.QueryRow(ctx, `select count(*) from accounts`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			for _, a := range ledger.DefaultChart(f.Currency) {
				if err := openAccount(ctx, tx, a); err != nil {
					return err
				}
			}
		}
		if err := ensureBankAccount(ctx, tx, f.Currency); err != nil {
			return err
		}
		var keyArg *string
		if key != "" {
			keyArg = &key
		}
		err := tx.QueryRow(ctx, `insert into funds (slug, name, description, currency, target, restricted, idempotency_key, fingerprint, created_at, bank_details)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id, created_at`,
			f.Slug, f.Name, f.Description, f.Currency.Code, f.Target, f.Restricted, keyArg, fingerprint, s.db.now(), f.BankDetails).Scan(&f.ID, &f.CreatedAt)
		switch {
		case isUnique(err, "funds_slug_key") && key != "" && !slugTaken:
			// Perhaps a concurrent request with the same key created it:
			// the next attempt finds it by key, or reports the conflict.
			slugTaken = true
			return errRetry
		case isUnique(err, "funds_slug_key"):
			return ledger.Errorf(ledger.ECONFLICT, "a fund with slug %q already exists", f.Slug)
		case isUnique(err, "funds_idempotency_key_key"):
			return errRetry
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create fund %s: %w", f.Slug, translate(err))
	}
	return nil
}

// openAccount inserts a into the chart unless it is already there.
func openAccount(ctx context.Context, tx pgx.Tx, a ledger.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	var parent *string
	if p := a.Parent(); p != "" {
		parent = &p
	}
	_, err := tx.Exec(ctx, `insert into accounts (code, name, type, parent) values ($1, $2, $3, $4) on conflict (code) do nothing`,
		a.Code, a.Name, string(a.Type), parent)
	if err != nil {
		return fmt.Errorf("open account %s: %w", a.Code, err)
	}
	return nil
}

// ensureBankAccount opens the bank account for cur (and its parents) if
// needed. It runs for every bank donation, so it first only looks.
func ensureBankAccount(ctx context.Context, tx pgx.Tx, cur ledger.Currency) error {
	var exists bool
	if err := tx.QueryRow(ctx, `select exists(select 1 from accounts where code = $1)`, ledger.BankAccountCode(cur)).Scan(&exists); err != nil || exists {
		return err
	}
	for _, a := range []ledger.Account{
		{Code: "assets", Name: "Assets", Type: ledger.Asset},
		{Code: ledger.AccountBank, Name: "Bank accounts", Type: ledger.Asset},
		{Code: ledger.BankAccountCode(cur), Name: "Bank account (" + cur.Code + ")", Type: ledger.Asset},
	} {
		if err := openAccount(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// OpenAccount adds an account to the chart. Its parent must exist.
func (s *FundService) OpenAccount(ctx context.Context, a ledger.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `select name from accounts where code = $1`, a.Code).Scan(&name)
		switch {
		case err == nil && name == a.Name:
			return nil // already open, as asked: opening is idempotent
		case err == nil:
			return ledger.Errorf(ledger.ECONFLICT, "account %s already exists, named %q", a.Code, name)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		var exists bool
		if p := a.Parent(); p != "" {
			if err := tx.QueryRow(ctx, `select exists(select 1 from accounts where code = $1)`, p).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return ledger.Errorf(ledger.EINVALID, "code: parent account %s does not exist; open it first", p)
			}
		}
		return openAccount(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("open account %s: %w", a.Code, translate(err))
	}
	return nil
}

// ListAccounts implements ledger.AccountService.
func (s *FundService) ListAccounts(ctx context.Context) ([]ledger.Account, error) {
	rows, err := s.db.Pool.Query(ctx, `select code, name, type from accounts order by code`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", translate(err))
	}
	accts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.Account, error) {
		var a ledger.Account
		err := r.Scan(&a.Code, &a.Name, &a.Type)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", translate(err))
	}
	return accts, nil
}

const selectFunds = `select id, slug, name, description, currency, target, restricted, bank_details, created_at from funds`

func scanFund(r pgx.CollectableRow) (*ledger.Fund, error) {
	var (
		f   ledger.Fund
		cur string
	)
	if err := r.Scan(&f.ID, &f.Slug, &f.Name, &f.Description, &cur, &f.Target, &f.Restricted, &f.BankDetails, &f.CreatedAt); err != nil {
		return nil, err
	}
	c, err := ledger.LookupCurrency(cur)
	f.Currency = c
	return &f, err
}

func findFund(ctx context.Context, q querier, slug string) (*ledger.Fund, error) {
	rows, err := q.Query(ctx, selectFunds+` where slug = $1`, slug)
	if err != nil {
		return nil, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFund)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "fund %q not found", slug)
	}
	return f, err
}

// FindFund implements ledger.FundService.
func (s *FundService) FindFund(ctx context.Context, slug string) (*ledger.Fund, error) {
	f, err := findFund(ctx, s.db.Pool, slug)
	if err != nil {
		return nil, fmt.Errorf("find fund %s: %w", slug, translate(err))
	}
	return f, nil
}

// ListFunds implements ledger.FundService.
func (s *FundService) ListFunds(ctx context.Context) ([]*ledger.Fund, error) {
	rows, err := s.db.Pool.Query(ctx, selectFunds+` order by id`)
	if err != nil {
		return nil, fmt.Errorf("list funds: %w", translate(err))
	}
	fs, err := pgx.CollectRows(rows, scanFund)
	if err != nil {
		return nil, fmt.Errorf("list funds: %w", translate(err))
	}
	return fs, nil
}

// FundTotals implements ledger.FundService: donation income per currency from
// the cached balances, and the number of donations not reversed.
func (s *FundService) FundTotals(ctx context.Context, slug string) (*ledger.FundTotals, error) {
	t := &ledger.FundTotals{Raised: map[string]decimal.Decimal{}}
	rows, err := s.db.Pool.Query(ctx, `select b.currency, -sum(b.amount) from balances b join funds f on f.id = b.fund_id
		where f.slug = $1 and (b.account = 'income:donations' or b.account like 'income:donations:%')
		group by b.currency having sum(b.amount) <> 0 order by b.currency`, slug)
	if err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	var (
		cur string
		amt decimal.Decimal
	)
	if _, err := pgx.ForEachRow(rows, []any{&cur, &amt}, func() error { t.Raised[cur] = amt; return nil }); err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	// Every donation not reversed, and every street collection as one.
	err = s.db.Pool.QueryRow(ctx, `select (select count(*) from donations d join funds f on f.id = d.fund_id
		where f.slug = $1 and not exists (select 1 from transactions r where r.reversal_of = d.transaction_id))
		+ (select count(*) from public_collections pc join funds f on f.id = pc.fund_id where f.slug = $1)`, slug).Scan(&t.Donations)
	if err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	t.GrantsPaid = map[string]decimal.Decimal{}
	rows, err = s.db.Pool.Query(ctx, `select b.currency, sum(b.amount) from balances b join funds f on f.id = b.fund_id
		where f.slug = $1 and b.account = $2 group by b.currency having sum(b.amount) <> 0`, slug, ledger.AccountGrants)
	if err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	if _, err := pgx.ForEachRow(rows, []any{&cur, &amt}, func() error { t.GrantsPaid[cur] = amt; return nil }); err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	if err := s.convertRaised(ctx, slug, t); err != nil {
		return nil, fmt.Errorf("fund totals %s: %w", slug, translate(err))
	}
	return t, nil
}

// convertRaised sums what a fund raised in its own currency at the
// committee's rates, rounded to the currency's decimals for display.
func (s *FundService) convertRaised(ctx context.Context, slug string, t *ledger.FundTotals) error {
	var code string
	if err := s.db.Pool.QueryRow(ctx, `select currency from funds where slug = $1`, slug).Scan(&code); err != nil {
		return err
	}
	fundCur, err := ledger.LookupCurrency(code)
	if err != nil {
		return err
	}
	total := decimal.Zero
	var oldest time.Time
	for c, amt := range t.Raised {
		if c == fundCur.Code {
			total = total.Add(amt)
			continue
		}
		var (
			rate decimal.Decimal
			asOf time.Time
		)
		err := s.db.Pool.QueryRow(ctx, `select rate, as_of from exchange_rates where currency = $1 and quote = $2`, c, fundCur.Code).Scan(&rate, &asOf)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // a rate is missing: show per currency only
		}
		if err != nil {
			return err
		}
		total = total.Add(amt.Mul(rate))
		if oldest.IsZero() || asOf.Before(oldest) {
			oldest = asOf
		}
	}
	total = total.Round(fundCur.Exponent)
	t.RaisedInFundCurrency, t.RatesAsOf = &total, oldest
	return nil
}
