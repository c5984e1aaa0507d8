package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

var ctx = context.Background()

// books is a fresh database with one EUR fund, "zhanaozen".
type books struct {
	db   *postgres.DB
	fund *ledger.Fund
	txs  *postgres.TransactionService
	dons *postgres.DonationService
	bals *postgres.BalanceService
	fs   *postgres.FundService
}

func mustBooks(tb testing.TB) *books {
	tb.Helper()
	db := pgtest.NewDB(tb)
	b := &books{
		db: db, txs: postgres.NewTransactionService(db), dons: postgres.NewDonationService(db),
		bals: postgres.NewBalanceService(db), fs: postgres.NewFundService(db),
	}
	b.fund = b.mustFund(tb, "zhanaozen", "EUR")
	return b
}

func (b *books) mustFund(tb testing.TB, slug, cur string) *ledger.Fund {
	tb.Helper()
	c := mustCurrency(tb, cur)
	f := &ledger.Fund{Slug: slug, Name: "Fund " + slug, Currency: c}
	if err := b.fs.CreateFund(ctx, f, "", ""); err != nil {
		tb.Fatalf("create fund: %v", err)
	}
	return f
}

func mustCurrency(tb testing.TB, code string) ledger.Currency {
	tb.Helper()
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func posting(tb testing.TB, account, fund, amount, cur string) ledger.Posting {
	return ledger.Posting{Account: account, Fund: fund, Amount: dec(amount), Currency: mustCurrency(tb, cur)}
}

func (b *books) mustDonation(tb testing.TB, key, amount, cur string, ch ledger.Channel) *ledger.Donation {
	tb.Helper()
	m, err := ledger.ParseMoney(amount, cur)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := b.dons.RecordDonation(ctx, &ledger.Donation{
		Fund: b.fund.Slug, Amount: m, Channel: ch, ReceivedOn: date("2011-12-20"),
		Donor:          ledger.Donor{Name: "IG Metall Hamburg", Organisation: "IG Metall Hamburg", Country: "DE"},
		IdempotencyKey: key, Fingerprint: "fp-" + key,
	})
	if err != nil {
		tb.Fatalf("record donation %s: %v", key, err)
	}
	return d
}

// mustVerify fails the test unless verify finds the books sound.
func (b *books) mustVerify(tb testing.TB) *ledger.VerifyReport {
	tb.Helper()
	r, err := postgres.NewVerifier(b.db).Verify(ctx)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	if !r.OK() {
		tb.Fatalf("verify found problems:\n%v", r.Problems)
	}
	return r
}

// mustZeroTrialBalance fails unless the trial balance sums to zero per currency.
func (b *books) mustZeroTrialBalance(tb testing.TB) []ledger.Balance {
	tb.Helper()
	tbal, err := b.bals.TrialBalance(ctx, ledger.BalanceFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	for _, l := range tbal {
		sums[l.Currency.Code] = sums[l.Currency.Code].Add(l.Amount)
	}
	for c, s := range sums {
		if !s.IsZero() {
			tb.Fatalf("trial balance in %s sums to %s", c, s)
		}
	}
	return tbal
}

func balanceOf(bals []ledger.Balance, fund, account, cur string) decimal.Decimal {
	for _, b := range bals {
		if b.Fund == fund && b.Account == account && b.Currency.Code == cur {
			return b.Amount
		}
	}
	return decimal.Zero
}
