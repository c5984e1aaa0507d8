package demo_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/demo"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

var ctx = context.Background()

func services(db *postgres.DB) demo.Services {
	return demo.Services{
		Funds:        postgres.NewFundService(db),
		Transactions: postgres.NewTransactionService(db),
		Donations:    postgres.NewDonationService(db),
	}
}

// counts is what the database holds, read with SQL, not through the services.
type counts struct {
	funds, transactions, reversals, donations, head int64
}

func countRows(t *testing.T, db *postgres.DB) counts {
	t.Helper()
	var c counts
	err := db.Pool.QueryRow(ctx, `select (select count(*) from funds), (select count(*) from transactions),
		(select count(reversal_of) from transactions), (select count(*) from donations), (select seq from ledger_head)`).
		Scan(&c.funds, &c.transactions, &c.reversals, &c.donations, &c.head)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSeed(t *testing.T) {
	db := pgtest.NewDB(t)
	s := services(db)
	sum, err := demo.Seed(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := demo.Summary{Funds: 3, Donations: 94, Transactions: 14}
	if *sum != want {
		t.Fatalf("summary %+v, want %+v", *sum, want)
	}
	if sum.Donations < 60 || sum.Donations > 120 {
		t.Fatalf("%d donations; the demo should have 60 to 120", sum.Donations)
	}
	first := countRows(t, db)
	if first != (counts{funds: 3, transactions: int64(sum.Donations + sum.Transactions), reversals: 1, donations: int64(sum.Donations), head: int64(sum.Donations + sum.Transactions)}) {
		t.Fatalf("after seeding the database holds %+v for summary %+v", first, *sum)
	}

	// Seeding again adds nothing and does not fail.
	again, err := demo.Seed(ctx, s)
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if *again != *sum {
		t.Fatalf("second summary %+v, first %+v", *again, *sum)
	}
	if second := countRows(t, db); second != first {
		t.Fatalf("the second seed changed the database: %+v, before %+v", second, first)
	}

	// Every write is the demo's.
	var foreign int
	if err := db.Pool.QueryRow(ctx, `select (select count(*) from transactions where idempotency_key not like 'demo-%')
		+ (select count(*) from funds where idempotency_key is null or idempotency_key not like 'demo-%')`).Scan(&foreign); err != nil || foreign != 0 {
		t.Fatalf("%d writes without a demo- key (%v)", foreign, err)
	}

	// The books are sound.
	r, err := postgres.NewVerifier(db).Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verify found problems:\n%s", strings.Join(r.Problems, "\n"))
	}
	t.Logf("verify checked %d transactions, %d postings, %d balances", r.Transactions, r.Postings, r.Balances)
	tb, err := postgres.NewBalanceService(db).TrialBalance(ctx, ledger.BalanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	for _, b := range tb {
		sums[b.Currency.Code] = sums[b.Currency.Code].Add(b.Amount)
	}
	for cur, v := range sums {
		if !v.IsZero() {
			t.Errorf("trial balance in %s sums to %s", cur, v)
		}
	}

	// No fund's asset goes below zero: the demo never spends money it has not got.
	bals, err := postgres.NewBalanceService(db).Balances(ctx, ledger.BalanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bals {
		if b.Type == ledger.Asset && b.Amount.IsNegative() {
			t.Errorf("%s %s %s is %s", b.Fund, b.Account, b.Currency.Code, b.Amount)
		}
	}

	// Every fund has donations.
	funds, err := s.Funds.ListFunds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range funds {
		totals, err := s.Funds.FundTotals(ctx, f.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if totals.Donations == 0 || len(totals.Raised) == 0 {
			t.Errorf("fund %s has no donations: %+v", f.Slug, totals)
		}
		t.Logf("%s (%s, target %s): %d donations, raised %v", f.Slug, f.Currency, f.Target, totals.Donations, totals.Raised)
	}

	// The data is varied.
	var channels, currencies, displays, countries, chf, emails, badEmails, messages int
	var minDay, maxDay time.Time
	err = db.Pool.QueryRow(ctx, `select count(distinct channel), count(distinct currency), count(distinct ack_display),
		count(distinct donor_country), count(*) filter (where currency = 'CHF'),
		count(*) filter (where donor_email <> ''), count(*) filter (where donor_email <> '' and donor_email not like '%@example.org'),
		count(*) filter (where message <> ''), min(received_on), max(received_on) from donations`).
		Scan(&channels, &currencies, &displays, &countries, &chf, &emails, &badEmails, &messages, &minDay, &maxDay)
	if err != nil {
		t.Fatal(err)
	}
	if channels < 3 || currencies < 5 || displays != 3 || countries < 6 || chf != 1 || messages < 10 {
		t.Errorf("not varied enough: %d channels, %d currencies, %d ack displays, %d countries, %d in CHF, %d messages",
			channels, currencies, displays, countries, chf, messages)
	}
	var badAck int
	if err := db.Pool.QueryRow(ctx, `select count(*) from donations where
		(ack_display = 'anonymous' and (ack_alias <> '' or ack_show_amount))
		or (ack_display = 'alias' and ack_alias = '')
		or (ack_display = 'name' and donor_name = '' and donor_organisation = '')`).Scan(&badAck); err != nil || badAck != 0 {
		t.Errorf("%d donations whose acknowledgement does not fit the donor (%v)", badAck, err)
	}
	if emails == 0 || emails > 5 || badEmails != 0 {
		t.Errorf("%d donor emails, %d not at example.org; want a few, all at example.org", emails, badEmails)
	}
	if minDay.Before(date("2011-12-01")) || maxDay.After(date("2012-02-29")) {
		t.Errorf("donations from %s to %s, outside December 2011 to February 2012", minDay, maxDay)
	}
}

// The general journal: conversion exact in each currency, grants only by
// pseudonymous reference, a mistake corrected by a reversal.
func TestSeedJournal(t *testing.T) {
	db := pgtest.NewDB(t)
	s := services(db)
	if _, err := demo.Seed(ctx, s); err != nil {
		t.Fatal(err)
	}
	var names []string
	rows, err := db.Pool.Query(ctx, `select distinct donor_name from donations where donor_name <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	if rows.Err() != nil || len(names) == 0 {
		t.Fatalf("donor names: %v %v", names, rows.Err())
	}

	ref := regexp.MustCompile(`^G-\d{4}-\d{3}$`)
	var grants, conversions, reversals, general int
	var mistaken *ledger.Transaction
	err = s.Transactions.EachTransaction(ctx, ledger.TransactionFilter{}, func(tx *ledger.Transaction) error {
		if tx.Metadata["donation_id"] != "" {
			return nil
		}
		general++
		if d := tx.EffectiveDate; d.Before(date("2011-12-01")) || d.After(date("2012-02-29")) {
			t.Errorf("%s dated %s", tx.Description, d)
		}
		for _, p := range tx.Postings {
			if p.Account == ledger.AccountGrants && tx.ReversalOf == "" {
				grants++
				g := tx.Metadata["grant_ref"]
				if !ref.MatchString(g) || !strings.Contains(tx.Description, g) || p.Currency.Code != "KZT" {
					t.Errorf("grant %q: reference %q, %s", tx.Description, g, p.Currency.Code)
				}
				for _, n := range names {
					if strings.Contains(tx.Description, n) || strings.Contains(strings.Join(mapValues(tx.Metadata), " "), n) {
						t.Errorf("grant %q names a person", tx.Description)
					}
				}
				if tx.ReversedBy != "" || strings.Contains(tx.IdempotencyKey, "wrong-fund") {
					mistaken = tx
				}
			}
		}
		if tx.ReversalOf != "" {
			reversals++
		}
		if rate := tx.Metadata["rate"]; rate != "" {
			conversions++
			legs := map[string]decimal.Decimal{}
			for _, p := range tx.Postings {
				if p.Account != ledger.AccountConversion {
					legs[p.Currency.Code] = legs[p.Currency.Code].Add(p.Amount)
				}
			}
			eur, kzt := legs["EUR"].Neg(), legs["KZT"]
			if !eur.IsPositive() || !eur.Mul(decimal.RequireFromString(rate)).Equal(kzt) {
				t.Errorf("conversion %s EUR at %s gives %s KZT", eur, rate, kzt)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if general != 14 || grants != 9 || conversions != 1 || reversals != 1 {
		t.Fatalf("%d general entries, %d grants, %d conversions, %d reversals", general, grants, conversions, reversals)
	}
	if mistaken == nil {
		t.Fatal("no mistaken grant found")
	}
	full, err := s.Transactions.FindTransaction(ctx, mistaken.ID)
	if err != nil || full.ReversedBy == "" {
		t.Fatalf("the mistaken grant is not reversed: %+v %v", full, err)
	}
	// The reversal leaves the Zhanaozen fund's grants at what the correct
	// grants paid: 150000 + 150000 + 120000 + 200000 + 150000 tenge.
	zh := "zhanaozen"
	bals, err := postgres.NewBalanceService(db).Balances(ctx, ledger.BalanceFilter{Fund: &zh})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bals {
		if b.Account == ledger.AccountGrants && !b.Amount.Equal(decimal.RequireFromString("770000")) {
			t.Errorf("Zhanaozen grants %s %s, want 770000.00", b.Amount, b.Currency.Code)
		}
	}
}

// Seeds running at once (two instances starting with the demo) all succeed
// and write the demo once.
func TestSeedConcurrently(t *testing.T) {
	db := pgtest.NewDB(t)
	const seeders = 4
	var wg sync.WaitGroup
	errs := make([]error, seeders)
	sums := make([]*demo.Summary, seeders)
	for i := range seeders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = demo.Seed(ctx, services(db))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("seeder %d: %v", i, err)
		}
	}
	c := countRows(t, db)
	if n := int64(sums[0].Donations + sums[0].Transactions); c.transactions != n || c.donations != int64(sums[0].Donations) || c.funds != 3 {
		t.Fatalf("concurrent seeds left %+v, want %d transactions", c, n)
	}
	if r, err := postgres.NewVerifier(db).Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", r, err)
	}
}

// Books that already hold someone's real funds are refused, untouched.
func TestSeedRefusesNonEmptyBooks(t *testing.T) {
	db := pgtest.NewDB(t)
	s := services(db)
	eur, _ := ledger.LookupCurrency("EUR")
	if err := s.Funds.CreateFund(ctx, &ledger.Fund{Slug: "strike-fund", Name: "Strike fund", Currency: eur}, "", ""); err != nil {
		t.Fatal(err)
	}
	before := countRows(t, db)
	_, err := demo.Seed(ctx, s)
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("seeding non-empty books: %v, want a conflict", err)
	}
	if after := countRows(t, db); after != before {
		t.Fatalf("a refused seed wrote: %+v, before %+v", after, before)
	}
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
