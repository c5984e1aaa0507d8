package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
)

func TestRecordDonation(t *testing.T) {
	b := mustBooks(t)
	d := b.mustDonation(t, "don-1", "1500.00", "EUR", ledger.ChannelBankTransfer)
	tx, err := b.txs.FindTransaction(ctx, d.TransactionID)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Postings[0].Account != "assets:bank:eur" || !tx.Postings[0].Amount.Equal(dec("1500")) ||
		tx.Postings[1].Account != "income:donations:bank_transfer" || !tx.Postings[1].Amount.Equal(dec("-1500")) ||
		tx.Metadata["donation_id"] != d.ID {
		t.Fatalf("donation booked as %+v", tx.Postings)
	}
	// The first KZT transfer opens the KZT bank account.
	k := b.mustDonation(t, "don-2", "50000", "KZT", ledger.ChannelOrganisation)
	got, err := b.dons.FindDonation(ctx, k.ID)
	if err != nil || got.Donor.Organisation != "IG Metall Hamburg" || !got.Amount.Amount.Equal(dec("50000")) || got.Acknowledgement.Display != ledger.AckAnonymous {
		t.Fatalf("found %+v %v", got, err)
	}
	bals, _ := b.bals.Balances(ctx, ledger.BalanceFilter{})
	if v := balanceOf(bals, "zhanaozen", "assets:bank:kzt", "KZT"); !v.Equal(dec("50000")) {
		t.Fatalf("KZT bank %s", v)
	}
	// Replay and conflict.
	again, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: d.Amount, Channel: ledger.ChannelBankTransfer,
		ReceivedOn: d.ReceivedOn, IdempotencyKey: "don-1", Fingerprint: "fp-don-1"})
	if err != nil || again.ID != d.ID {
		t.Fatalf("replay: %v %v", again, err)
	}
	_, err = b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: d.Amount, Channel: ledger.ChannelCash,
		ReceivedOn: d.ReceivedOn, IdempotencyKey: "don-1", Fingerprint: "other"})
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("reused key: %v", err)
	}
	totals, err := b.fs.FundTotals(ctx, "zhanaozen")
	if err != nil || totals.Donations != 2 || !totals.Raised["EUR"].Equal(dec("1500")) || !totals.Raised["KZT"].Equal(dec("50000")) {
		t.Fatalf("totals %+v %v", totals, err)
	}
	b.mustVerify(t)
}

func TestBalancesAsOf(t *testing.T) {
	b := mustBooks(t)
	b.mustFund(t, "karaganda", "KZT")
	for i, day := range []string{"2011-12-01", "2011-12-10", "2011-12-20"} {
		_, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
			IdempotencyKey: fmt.Sprint("k", i), EffectiveDate: date(day), Description: "Collection",
			Postings: []ledger.Posting{posting(t, "assets:cash", "karaganda", "100", "EUR"), posting(t, "income:donations:cash", "karaganda", "-100", "EUR")},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b.mustDonation(t, "z", "5", "EUR", ledger.ChannelCash)
	asOf := date("2011-12-10")
	slug := "karaganda"
	bals, err := b.bals.Balances(ctx, ledger.BalanceFilter{Fund: &slug, AsOf: &asOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(bals) != 2 || !balanceOf(bals, "karaganda", "assets:cash", "EUR").Equal(dec("200")) {
		t.Fatalf("as of 10 December: %+v", bals)
	}
	tb, err := b.bals.TrialBalance(ctx, ledger.BalanceFilter{AsOf: &asOf})
	if err != nil || !balanceOf(tb, "", "assets:cash", "EUR").Equal(dec("200")) {
		t.Fatalf("trial balance as of: %+v %v", tb, err)
	}
	all, _ := b.bals.TrialBalance(ctx, ledger.BalanceFilter{})
	if !balanceOf(all, "", "assets:cash", "EUR").Equal(dec("305")) {
		t.Fatalf("trial balance now: %+v", all)
	}
}

// Fifty writers record 200 donations each into the same fund and accounts
// while others reverse random transactions. Afterwards nothing deadlocked,
// the trial balance is zero and every cached balance equals its recomputation.
func TestConcurrentWritersAndReversers(t *testing.T) {
	b := mustBooks(t)
	const writers, perWriter = 50, 200
	if testing.Short() {
		t.Log("-short: still running the full 50 x 200")
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		recorded []string
		errs     = make(chan error, writers+10)
		done     = make(chan struct{})
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				ch := []ledger.Channel{ledger.ChannelBankTransfer, ledger.ChannelCash}[i%2]
				m, _ := ledger.ParseMoney(fmt.Sprintf("%d.%02d", 1+rand.IntN(500), rand.IntN(100)), "EUR")
				d, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: ch,
					ReceivedOn: date("2011-12-20"), IdempotencyKey: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					errs <- fmt.Errorf("writer %d donation %d: %w", w, i, err)
					return
				}
				mu.Lock()
				recorded = append(recorded, d.TransactionID)
				mu.Unlock()
			}
		}(w)
	}
	var reversed sync.Map
	var rwg sync.WaitGroup
	for r := 0; r < 5; r++ {
		rwg.Add(1)
		go func(r int) {
			defer rwg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				mu.Lock()
				var id string
				if len(recorded) > 0 {
					id = recorded[rand.IntN(len(recorded))]
				}
				mu.Unlock()
				if id == "" {
					continue
				}
				_, err := b.txs.ReverseTransaction(ctx, id, &ledger.Transaction{IdempotencyKey: fmt.Sprintf("rev%d-%d", r, i)})
				switch ledger.ErrorCode(err) {
				case "":
					reversed.Store(id, true)
				case ledger.ECONFLICT: // reversed already by another reverser
				default:
					errs <- fmt.Errorf("reverser %d: %w", r, err)
					return
				}
			}
		}(r)
	}
	wg.Wait()
	close(done)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	nrev := 0
	reversed.Range(func(_, _ any) bool { nrev++; return true })
	var ntx, nreversals int
	b.db.Pool.QueryRow(ctx, `select count(*), count(reversal_of) from transactions`).Scan(&ntx, &nreversals)
	if want := writers*perWriter + nrev; ntx != want || nreversals != nrev {
		t.Fatalf("%d transactions (%d reversals), want %d (%d reversals)", ntx, nreversals, want, nrev)
	}
	if nrev == 0 {
		t.Fatal("the reversers reversed nothing; the test did not exercise concurrent reversal")
	}
	b.mustZeroTrialBalance(t)
	r := b.mustVerify(t)
	t.Logf("%d donations, %d reversals; verify checked %d transactions, %d postings, %d balances", writers*perWriter, nrev, r.Transactions, r.Postings, r.Balances)
}

// Editing a posting behind the ledger's back, with its triggers disabled, is
// caught by verify: the hash no longer matches and the cached balance differs.
func TestVerifyCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  string
		want []string
	}{
		{"posting amount", `update postings set amount = amount * 10 where idx = 0 and transaction_id = (select id from transactions where seq = 2)`,
			[]string{"does not match its hash", "cached"}},
		{"description", `update transactions set description = 'Nothing to see' where seq = 1`,
			[]string{"does not match its hash"}},
		{"deleted transaction", `delete from postings where transaction_id = (select id from transactions where seq = 2);
			delete from transactions where seq = 2`,
			[]string{"transactions are missing", "previous hash"}},
		{"cached balance", `update balances set amount = amount + 1 where account = 'assets:cash'`,
			[]string{"balance zhanaozen assets:cash EUR: cached"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBooks(t)
			for i := 0; i < 3; i++ {
				b.mustDonation(t, fmt.Sprint("d", i), "10", "EUR", ledger.ChannelCash)
			}
			b.mustVerify(t)
			if _, err := b.db.Pool.Exec(ctx, `set session_replication_role = replica; alter table postings disable trigger user; alter table transactions disable trigger user;
				`+tc.sql+`; alter table postings enable trigger user; alter table transactions enable trigger user; set session_replication_role = origin`); err != nil {
				t.Fatal(err)
			}
			r, err := postgres.NewVerifier(b.db).Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(r.Problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("verify reported %q; want a problem mentioning %q", all, w)
				}
			}
		})
	}
}

func TestTokens(t *testing.T) {
	b := mustBooks(t)
	ts := postgres.NewTokenService(b.db)
	secret, tok, err := ts.CreateToken(ctx, "Treasurer laptop", ledger.RoleTreasurer)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	b.db.Pool.QueryRow(ctx, `select token_hash from api_tokens where id = $1`, tok.ID).Scan(&stored)
	if strings.Contains(string(stored), secret) {
		t.Fatal("the token secret is stored in clear")
	}
	got, err := ts.Authenticate(ctx, secret)
	if err != nil || got.Role != ledger.RoleTreasurer || got.Name != "Treasurer laptop" {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	for _, bad := range []string{"", "flt_nope", secret + "x", strings.TrimPrefix(secret, "flt_")} {
		if _, err := ts.Authenticate(ctx, bad); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
			t.Fatalf("authenticate %q: %v, want unauthorized", bad, err)
		}
	}
	if _, _, err := ts.CreateToken(ctx, "x", "admin"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("bad role: %v", err)
	}
}

func TestCreateFund(t *testing.T) {
	b := mustBooks(t)
	accts, err := b.fs.ListAccounts(ctx)
	if err != nil || len(accts) < 20 {
		t.Fatalf("chart of accounts has %d accounts (%v)", len(accts), err)
	}
	f := &ledger.Fund{Slug: "legal-defence", Name: "Legal defence", Currency: mustCurrency(t, "GBP")}
	if err := b.fs.CreateFund(ctx, f, "fund-key", "fp"); err != nil {
		t.Fatal(err)
	}
	again := &ledger.Fund{Slug: "legal-defence", Name: "Legal defence", Currency: mustCurrency(t, "GBP")}
	if err := b.fs.CreateFund(ctx, again, "fund-key", "fp"); err != nil || again.ID != f.ID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	dup := &ledger.Fund{Slug: "legal-defence", Name: "Other", Currency: mustCurrency(t, "GBP")}
	if err := b.fs.CreateFund(ctx, dup, "", ""); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("duplicate slug: %v", err)
	}
	accts, _ = b.fs.ListAccounts(ctx)
	found := false
	for _, a := range accts {
		found = found || a.Code == "assets:bank:gbp"
	}
	if !found {
		t.Fatal("a GBP fund did not open assets:bank:gbp")
	}
	got, err := b.fs.FindFund(ctx, "legal-defence")
	if err != nil || got.Currency.Code != "GBP" {
		t.Fatalf("find: %+v %v", got, err)
	}
	if _, err := b.fs.FindFund(ctx, "nope"); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("find missing: %v", err)
	}
}

// Concurrent requests with one idempotency key all get the same result: a
// fund created once, a transaction reversed once.
func TestConcurrentSameKey(t *testing.T) {
	b := mustBooks(t)
	d := b.mustDonation(t, "d1", "10", "EUR", ledger.ChannelCash)
	const n = 8
	var wg sync.WaitGroup
	fundIDs, revIDs := make([]int64, n), make([]string, n)
	errs := make([]error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			f := &ledger.Fund{Slug: "legal-defence", Name: "Legal defence", Currency: mustCurrency(t, "GBP")}
			errs[i] = b.fs.CreateFund(ctx, f, "fund-key", "fp")
			fundIDs[i] = f.ID
		}(i)
		go func(i int) {
			defer wg.Done()
			r, err := b.txs.ReverseTransaction(ctx, d.TransactionID, &ledger.Transaction{IdempotencyKey: "rev-key", Fingerprint: "fp",
				Metadata: map[string]string{"reason": "entered twice"}})
			errs[n+i] = err
			if r != nil {
				revIDs[i] = r.ID
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil || errs[n+i] != nil || fundIDs[i] != fundIDs[0] || revIDs[i] != revIDs[0] {
			t.Fatalf("request %d: fund %d (%v), reversal %s (%v); want fund %d, reversal %s", i, fundIDs[i], errs[i], revIDs[i], errs[n+i], fundIDs[0], revIDs[0])
		}
	}
	rev, err := b.txs.FindTransaction(ctx, revIDs[0])
	if err != nil || rev.Metadata["reason"] != "entered twice" || rev.Metadata["reversal_of"] != d.TransactionID {
		t.Fatalf("reversal metadata: %v %v", rev.Metadata, err)
	}
	b.mustVerify(t)
}
