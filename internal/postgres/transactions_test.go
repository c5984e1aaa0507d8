package postgres_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestRecordTransaction(t *testing.T) {
	b := mustBooks(t)
	in := &ledger.Transaction{
		IdempotencyKey: "k1", EffectiveDate: date("2011-12-17"), Description: "Union branch transfer",
		Metadata: map[string]string{"ref": "SWIFT-001"},
		Postings: []ledger.Posting{
			posting(t, "assets:bank:eur", "zhanaozen", "1500.00", "EUR"),
			posting(t, "income:donations:organisation", "zhanaozen", "-1500", "EUR"),
		},
	}
	got, err := b.txs.RecordTransaction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || got.Seq != 1 || len(got.Hash) != 32 || len(got.PrevHash) != 0 {
		t.Fatalf("recorded transaction lacks id, seq or hash: %+v", got)
	}
	found, err := b.txs.FindTransaction(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if found.Description != in.Description || found.Metadata["ref"] != "SWIFT-001" || len(found.Postings) != 2 ||
		!found.Postings[0].Amount.Equal(dec("1500")) || !bytes.Equal(found.Hash, got.Hash) {
		t.Fatalf("found %+v, want what was recorded %+v", found, got)
	}
	if !bytes.Equal(found.ComputeHash(found.PrevHash), found.Hash) {
		t.Fatal("hash of the transaction read back differs from the stored hash")
	}

	second, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
		IdempotencyKey: "k2", EffectiveDate: date("2011-12-18"), Description: "Cash banked",
		Postings: []ledger.Posting{
			posting(t, "assets:cash", "zhanaozen", "200", "EUR"),
			posting(t, "income:donations:cash", "zhanaozen", "-200", "EUR"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if second.Seq != 2 || !bytes.Equal(second.PrevHash, got.Hash) {
		t.Fatalf("second transaction is not chained to the first: seq %d prev %x", second.Seq, second.PrevHash)
	}
	bals, err := b.bals.Balances(ctx, ledger.BalanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if v := balanceOf(bals, "zhanaozen", "assets:bank:eur", "EUR"); !v.Equal(dec("1500")) {
		t.Fatalf("bank balance %s, want 1500", v)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}

func TestRecordTransactionRejects(t *testing.T) {
	b := mustBooks(t)
	for _, tc := range []struct {
		name     string
		postings []ledger.Posting
		want     string
	}{
		{"unbalanced", []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "10", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-9.99", "EUR")}, "do not balance"},
		{"balanced across currencies only", []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "10", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-10", "GBP")}, "do not balance"},
		{"one posting", []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "10", "EUR")}, "at least two"},
		{"unknown account", []ledger.Posting{posting(t, "assets:nowhere", "zhanaozen", "10", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-10", "EUR")}, "assets:nowhere does not exist"},
		{"unknown fund", []ledger.Posting{posting(t, "assets:cash", "nofund", "10", "EUR"), posting(t, "income:donations:cash", "nofund", "-10", "EUR")}, `fund "nofund" does not exist`},
		{"too many decimals", []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "10.001", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-10.001", "EUR")}, "decimal places"},
		{"zero amount", []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "0", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "0", "EUR")}, "must not be zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: "x-" + strings.ReplaceAll(tc.name, " ", "-"), EffectiveDate: date("2011-12-17"), Description: "x", Postings: tc.postings})
			if ledger.ErrorCode(err) != ledger.EINVALID || !bytes.Contains([]byte(ledger.ErrorMessage(err)), []byte(tc.want)) {
				t.Fatalf("got %v, want invalid mentioning %q", err, tc.want)
			}
		})
	}
	b.mustVerify(t)
}

func TestConversionBalancesPerCurrency(t *testing.T) {
	b := mustBooks(t)
	// 1,000 EUR converted to KZT at the bank: each currency balances through the conversion account.
	_, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
		IdempotencyKey: "fx", EffectiveDate: date("2011-12-20"), Description: "EUR to KZT for grants",
		Postings: []ledger.Posting{
			posting(t, "assets:bank:eur", "zhanaozen", "-1000.00", "EUR"),
			posting(t, "equity:conversion", "zhanaozen", "1000.00", "EUR"),
			posting(t, "equity:conversion", "zhanaozen", "-196543.21", "KZT"),
			posting(t, "assets:cash", "zhanaozen", "196543.21", "KZT"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tbal := b.mustZeroTrialBalance(t)
	if v := balanceOf(tbal, "", "assets:cash", "KZT"); !v.Equal(dec("196543.21")) {
		t.Fatalf("KZT cash %s", v)
	}
	b.mustVerify(t)
}

func TestIdempotentRecord(t *testing.T) {
	b := mustBooks(t)
	mk := func(fp, amount string) *ledger.Transaction {
		return &ledger.Transaction{
			IdempotencyKey: "same-key", Fingerprint: fp, EffectiveDate: date("2011-12-17"), Description: "Collection",
			Postings: []ledger.Posting{posting(t, "assets:cash", "zhanaozen", amount, "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-"+amount, "EUR")},
		}
	}
	first, err := b.txs.RecordTransaction(ctx, mk("a", "200"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.txs.RecordTransaction(ctx, mk("a", "200"))
	if err != nil || again.ID != first.ID {
		t.Fatalf("replay returned %v, %v; want the first transaction %s", again, err, first.ID)
	}
	_, err = b.txs.RecordTransaction(ctx, mk("b", "300"))
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("same key, different request: got %v, want conflict", err)
	}

	// Concurrent duplicates create exactly one transaction.
	var wg sync.WaitGroup
	ids := make([]string, 20)
	errs := make([]error, 20)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tx := mk("c", "50")
			tx.IdempotencyKey = "concurrent-key"
			got, err := b.txs.RecordTransaction(ctx, tx)
			errs[i] = err
			if got != nil {
				ids[i] = got.ID
			}
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("concurrent duplicate %d: id %s err %v; want id %s", i, ids[i], errs[i], ids[0])
		}
	}
	var n int
	if err := b.db.Pool.QueryRow(ctx, `select count(*) from transactions where idempotency_key = 'concurrent-key'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d transactions for one key (%v)", n, err)
	}
	b.mustVerify(t)
}

func TestReverse(t *testing.T) {
	b := mustBooks(t)
	d := b.mustDonation(t, "d1", "75.50", "EUR", ledger.ChannelBankTransfer)
	rev, err := b.txs.ReverseTransaction(ctx, d.TransactionID, &ledger.Transaction{IdempotencyKey: "r1", EffectiveDate: date("2011-12-21")})
	if err != nil {
		t.Fatal(err)
	}
	if rev.ReversalOf != d.TransactionID || !rev.Postings[0].Amount.Equal(dec("-75.50")) {
		t.Fatalf("reversal %+v does not negate %s", rev, d.TransactionID)
	}
	orig, err := b.txs.FindTransaction(ctx, d.TransactionID)
	if err != nil || orig.ReversedBy != rev.ID || !orig.Postings[0].Amount.Equal(dec("75.50")) {
		t.Fatalf("original after reversal: %+v %v", orig, err)
	}
	if _, err := b.txs.ReverseTransaction(ctx, d.TransactionID, &ledger.Transaction{IdempotencyKey: "r2"}); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("second reversal: %v, want conflict", err)
	}
	if _, err := b.txs.ReverseTransaction(ctx, rev.ID, &ledger.Transaction{IdempotencyKey: "r3"}); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("reversal of a reversal: %v, want conflict", err)
	}
	if _, err := b.txs.ReverseTransaction(ctx, "00000000-0000-0000-0000-000000000000", &ledger.Transaction{IdempotencyKey: "r4"}); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("reversal of nothing: %v, want not_found", err)
	}
	bals, _ := b.bals.Balances(ctx, ledger.BalanceFilter{})
	if len(bals) != 0 {
		t.Fatalf("balances after reversal: %+v, want none", bals)
	}
	totals, err := b.fs.FundTotals(ctx, "zhanaozen")
	if err != nil || totals.Donations != 0 || len(totals.Raised) != 0 {
		t.Fatalf("totals after reversal: %+v %v", totals, err)
	}
	b.mustVerify(t)
}

// The database defends the books even against SQL written by hand.
func TestDatabaseDefendsTheBooks(t *testing.T) {
	b := mustBooks(t)
	d := b.mustDonation(t, "d1", "10", "EUR", ledger.ChannelCash)
	var fundID int64
	b.db.Pool.QueryRow(ctx, `select id from funds where slug = 'zhanaozen'`).Scan(&fundID)

	insertTx := `insert into transactions (id, seq, idempotency_key, effective_date, description, recorded_at, prev_hash, hash)
		values ('11111111-1111-1111-1111-111111111111', 99, 'raw', '2011-12-01', 'raw', now(), '', sha256('x'))`
	for _, tc := range []struct {
		name  string
		sql   []string
		state string
	}{
		{"unbalanced postings", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:cash', $1, 'EUR', 10)`,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -9)`}, "23514"},
		{"a single posting", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:cash', $1, 'EUR', 0.01)`}, "23514"},
		{"no postings", []string{insertTx}, "23514"},
		{"postings in two statements", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:cash', $1, 'EUR', 10)`,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -10)`}, "23514"},
		{"a posting on an unknown account", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:nowhere', $1, 'EUR', 10),
				('11111111-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -10)`}, "23503"},
		{"a posting in an unknown fund", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:cash', $1 + 1000, 'EUR', 10),
				('11111111-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -10)`}, "23503"},
		{"postings of no transaction", []string{`insert into postings values
			('33333333-1111-1111-1111-111111111111', 0, 'assets:cash', $1, 'EUR', 10), ('33333333-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -10)`}, "23503"},
		// Without their balance rows, only the postings hold these rows.
		{"delete an account postings name", []string{`delete from balances where account = 'assets:cash' and $1 > 0`,
			`delete from accounts where code = 'assets:cash'`}, "23503"},
		{"rename an account postings name", []string{`delete from balances where account = 'assets:cash' and $1 > 0`,
			`update accounts set code = 'assets:kassa' where code = 'assets:cash'`}, "23503"},
		{"a donation of no transaction", []string{`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on, ack_display, recorded_at)
			values ('44444444-1111-1111-1111-111111111111', '33333333-1111-1111-1111-111111111111', $1, 10, 'EUR', 'cash', '2011-12-01', 'anonymous', now())`}, "23503"},
		{"a donation in no fund", []string{`update donations set fund_id = $1 + 1000`}, "23503"},
		{"postings added to a committed transaction", []string{`insert into postings values
			('` + d.TransactionID + `', 2, 'assets:cash', $1, 'EUR', 1), ('` + d.TransactionID + `', 3, 'income:donations:cash', $1, 'EUR', -1)`}, "23001"},
		{"too many decimals", []string{insertTx,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 0, 'assets:cash', $1, 'EUR', 0.001)`,
			`insert into postings values ('11111111-1111-1111-1111-111111111111', 1, 'income:donations:cash', $1, 'EUR', -0.001)`}, "23514"},
		{"update a posting", []string{`update postings set amount = 1000 where transaction_id = '` + d.TransactionID + `' and $1 > 0`}, "23001"},
		{"delete a transaction", []string{`delete from postings where $1 > 0`}, "23001"},
		{"update a transaction", []string{`update transactions set description = 'changed' where $1 > 0`}, "23001"},
		{"truncate", []string{`truncate postings, transactions cascade`}, "23001"},
		{"reuse an idempotency key", []string{`insert into transactions (id, seq, idempotency_key, effective_date, description, recorded_at, prev_hash, hash)
			values ('22222222-1111-1111-1111-111111111111', 98, 'd1', '2011-12-01', 'raw', now(), '', sha256('x'))`}, "23505"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := b.db.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			for _, q := range tc.sql {
				args := []any{fundID}
				if !bytes.Contains([]byte(q), []byte("$1")) {
					args = nil
				}
				if _, err = tx.Exec(ctx, q, args...); err != nil {
					break
				}
			}
			if err == nil {
				err = tx.Commit(ctx)
			}
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != tc.state {
				t.Fatalf("got %v, want SQLSTATE %s", err, tc.state)
			}
		})
	}
	b.mustVerify(t)
}

// Only the reverse call makes a reversal: a client cannot pass an ordinary
// transaction off as one through its metadata.
func TestRecordTransactionRefusesForgedReversal(t *testing.T) {
	b := mustBooks(t)
	_, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
		IdempotencyKey: "forged", EffectiveDate: date("2011-12-17"), Description: "Not a reversal",
		Metadata: map[string]string{"reversal_of": "00000000-0000-0000-0000-000000000000"},
		Postings: []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "1", "EUR"), posting(t, "income:other", "zhanaozen", "-1", "EUR")},
	})
	if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), "reverse call") {
		t.Fatalf("got %v, want invalid pointing to the reverse call", err)
	}
}
