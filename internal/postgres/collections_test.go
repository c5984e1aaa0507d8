package postgres_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// hamburg is a street collection counted in two currencies.
func hamburg(tb testing.TB, key string) *ledger.Collection {
	return &ledger.Collection{
		Fund: "zhanaozen", Place: "Hamburg", CollectedOn: date("2011-09-03"),
		Collectors:     []string{"Anna Berg", "Jens Ohl", "Mehmet Yilmaz"},
		Counts:         []ledger.Money{mustMoney(tb, "35.50", "GBP"), mustMoney(tb, "200", "EUR")},
		CountedBy:      [2]string{"Anna Berg", "Jens Ohl"},
		Recount:        []ledger.Money{mustMoney(tb, "200.00", "EUR"), mustMoney(tb, "35.5", "GBP")},
		IdempotencyKey: key, Fingerprint: "fp-" + key,
	}
}

func (b *books) mustCollection(tb testing.TB, key string) *ledger.Collection {
	tb.Helper()
	c, err := b.dons.RecordCollection(ctx, hamburg(tb, key))
	if err != nil {
		tb.Fatalf("record collection: %v", err)
	}
	return c
}

func TestRecordCollection(t *testing.T) {
	b := mustBooks(t)
	c := b.mustCollection(t, "col-1")
	if c.ID == "" || c.TransactionID == "" || !c.Recounted || c.Counts[0].Currency.Code != "EUR" {
		t.Fatalf("recorded %+v", c)
	}
	if n := b.count(t, "transactions"); n != 1 {
		t.Fatalf("%d transactions, want one for the whole collection", n)
	}
	tx, err := b.txs.FindTransaction(ctx, c.TransactionID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tx.Postings {
		got = append(got, p.Account+" "+p.Fund+" "+p.Amount.StringFixed(p.Currency.Exponent)+" "+p.Currency.Code)
	}
	want := []string{
		"assets:cash zhanaozen 200.00 EUR", "income:donations:collection zhanaozen -200.00 EUR",
		"assets:cash zhanaozen 35.50 GBP", "income:donations:collection zhanaozen -35.50 GBP",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("postings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, name := range []string{"Anna", "Jens", "Mehmet"} {
		if strings.Contains(tx.Description, name) || strings.Contains(strings.Join(mapValues(tx.Metadata), " "), name) {
			t.Fatalf("the transaction names a collector: %+v", tx)
		}
	}

	found, err := b.dons.FindCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if found.Place != "Hamburg" || len(found.Collectors) != 3 || found.CountedBy != c.CountedBy || !found.Recounted ||
		len(found.Counts) != 2 || !found.Counts[1].Amount.Equal(dec("35.5")) || found.IdempotencyKey != "col-1" {
		t.Fatalf("found %+v, recorded %+v", found, c)
	}
	if got, want := found.PublicLabel(), "Street collection, Hamburg, 2011-09-03: 200.00 EUR + 35.50 GBP"; got != want {
		t.Fatalf("label %q, want %q", got, want)
	}

	// The public list reads public_collections: one line, no names.
	rows, err := b.db.Pool.Query(ctx, `select * from public_collections`)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	rows.Close()
	if strings.Join(cols, ",") != "id,fund_id,collected_on,place,currencies,amounts" {
		t.Fatalf("public_collections has columns %v", cols)
	}
	var (
		place   string
		on      time.Time
		curs    []string
		amounts []decimal.Decimal
	)
	if err := b.db.Pool.QueryRow(ctx, `select place, collected_on, currencies, amounts from public_collections where id = $1`, c.ID).
		Scan(&place, &on, &curs, &amounts); err != nil {
		t.Fatal(err)
	}
	var ms []ledger.Money
	for i := range curs {
		ms = append(ms, ledger.Money{Amount: amounts[i], Currency: mustCurrency(t, curs[i])})
	}
	if got := ledger.CollectionLabel(place, on, ms); got != "Street collection, Hamburg, 2011-09-03: 200.00 EUR + 35.50 GBP" {
		t.Fatalf("public line %q", got)
	}

	totals, err := b.fs.FundTotals(ctx, "zhanaozen")
	if err != nil {
		t.Fatal(err)
	}
	if !totals.Raised["EUR"].Equal(dec("200")) || !totals.Raised["GBP"].Equal(dec("35.5")) {
		t.Fatalf("raised %v", totals.Raised)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}

func mapValues(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

func TestRecordCollectionIdempotent(t *testing.T) {
	b := mustBooks(t)
	first := b.mustCollection(t, "col-1")
	again := b.mustCollection(t, "col-1")
	if again.ID != first.ID || again.TransactionID != first.TransactionID {
		t.Fatalf("a retry recorded %s, first %s", again.ID, first.ID)
	}
	other := hamburg(t, "col-1")
	other.Fingerprint = "another request"
	if _, err := b.dons.RecordCollection(ctx, other); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("key reused for another request: %v", err)
	}
	b.mustDonation(t, "don-1", "5", "EUR", ledger.ChannelCash)
	reused := hamburg(t, "don-1")
	reused.Fingerprint = "fp-don-1"
	if _, err := b.dons.RecordCollection(ctx, reused); ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "not a street collection") {
		t.Fatalf("a donation's key: %v", err)
	}

	var wg sync.WaitGroup
	ids := make([]string, 6)
	errs := make([]error, 6)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := b.dons.RecordCollection(ctx, hamburg(t, "col-2"))
			errs[i] = err
			if err == nil {
				ids[i] = c.ID
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("concurrent retry %d: %s %v, want %s", i, ids[i], errs[i], ids[0])
		}
	}
	if n := b.count(t, "collections"); n != 2 {
		t.Fatalf("%d collections, want 2", n)
	}
	b.mustVerify(t)
}

func TestRecordCollectionRejects(t *testing.T) {
	b := mustBooks(t)
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Collection)
		want string
	}{
		{"the same counter twice", func(c *ledger.Collection) { c.CountedBy = [2]string{"Anna Berg", "Anna Berg"} }, "two different people"},
		{"one counter", func(c *ledger.Collection) { c.CountedBy[1] = "" }, "counted_by[1] is required"},
		{"a recount that differs", func(c *ledger.Collection) { c.Recount[1] = mustMoney(t, "35.00", "GBP") }, "GBP 35.00 instead of 35.50"},
		{"unknown fund", func(c *ledger.Collection) { c.Fund = "nofund" }, `fund "nofund" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := hamburg(t, "k-"+tc.name[:3])
			tc.mut(c)
			_, err := b.dons.RecordCollection(ctx, c)
			if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want invalid: %s", err, tc.want)
			}
		})
	}
	if n := b.count(t, "transactions"); n != 0 {
		t.Fatalf("%d transactions after refused collections", n)
	}
}

func TestBankCollection(t *testing.T) {
	b := mustBooks(t)
	c := b.mustCollection(t, "col-1")
	if _, err := b.dons.BankCollection(ctx, c.ID, date("2011-09-02"), "bank-0", "fp"); ledger.ErrorCode(err) != ledger.EINVALID ||
		!strings.Contains(ledger.ErrorMessage(err), "banked_on 2011-09-02 is before the collection's date 2011-09-03") {
		t.Fatalf("banking before the collection: %v", err)
	}
	banked, err := b.dons.BankCollection(ctx, c.ID, date("2011-09-05"), "bank-1", "fp-bank-1")
	if err != nil {
		t.Fatal(err)
	}
	if banked.BankedTransactionID == "" || !banked.BankedOn.Equal(date("2011-09-05")) {
		t.Fatalf("banked %+v", banked)
	}
	bals := b.mustZeroTrialBalance(t)
	for _, want := range []struct{ account, cur, amount string }{
		{"assets:bank:eur", "EUR", "200"},
		{"assets:bank:gbp", "GBP", "35.50"},
		{"assets:cash", "EUR", "0"},
		{"assets:cash", "GBP", "0"},
		{"income:donations:collection", "EUR", "-200"},
		{"income:donations:collection", "GBP", "-35.50"},
	} {
		if v := balanceOf(bals, "", want.account, want.cur); !v.Equal(dec(want.amount)) {
			t.Errorf("%s %s = %s, want %s", want.account, want.cur, v, want.amount)
		}
	}
	tx, err := b.txs.FindTransaction(ctx, banked.BankedTransactionID)
	if err != nil {
		t.Fatal(err)
	}
	if !tx.EffectiveDate.Equal(date("2011-09-05")) || tx.Metadata["collection_id"] != c.ID || len(tx.Postings) != 4 {
		t.Fatalf("banking transaction %+v", tx)
	}

	again, err := b.dons.BankCollection(ctx, c.ID, date("2011-09-05"), "bank-1", "fp-bank-1")
	if err != nil || again.BankedTransactionID != banked.BankedTransactionID {
		t.Fatalf("a retry: %+v %v", again, err)
	}
	_, err = b.dons.BankCollection(ctx, c.ID, date("2011-09-06"), "bank-2", "fp-bank-2")
	if ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "already banked on 2011-09-05") {
		t.Fatalf("banking twice: %v", err)
	}
	if _, err := b.dons.BankCollection(ctx, c.ID, time.Time{}, "bank-1", "another"); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("key reused: %v", err)
	}
	found, err := b.dons.FindCollection(ctx, c.ID)
	if err != nil || found.BankedTransactionID != banked.BankedTransactionID {
		t.Fatalf("found %+v %v", found, err)
	}

	// Concurrent bankings of one collection book it once.
	c2 := b.mustCollection(t, "col-2")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.dons.BankCollection(ctx, c2.ID, date("2011-09-05"), "bank-c2-"+string(rune('a'+i)), "fp")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch ledger.ErrorCode(err) {
		case "":
			ok++
		case ledger.ECONFLICT:
		default:
			t.Fatalf("concurrent banking: %v", err)
		}
	}
	if ok != 1 || b.count(t, "transactions") != 4 {
		t.Fatalf("%d bankings succeeded, %d transactions; want 1 and 4", ok, b.count(t, "transactions"))
	}
	b.mustVerify(t)

	// A reversed collection has no cash to bank, nor a public line.
	c3 := b.mustCollection(t, "col-3")
	if _, err := b.txs.ReverseTransaction(ctx, c3.TransactionID, &ledger.Transaction{IdempotencyKey: "rev-3", EffectiveDate: date("2011-09-04"),
		Description: "Entered twice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.dons.BankCollection(ctx, c3.ID, time.Time{}, "bank-3", "fp"); ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "reversed") {
		t.Fatalf("banking a reversed collection: %v", err)
	}
	if n := b.count(t, "public_collections"); n != 2 {
		t.Fatalf("%d public collection lines, want 2 (not the reversed one)", n)
	}
}

func TestBankCash(t *testing.T) {
	b := mustBooks(t)
	b.mustDonation(t, "cash", "80", "KZT", ledger.ChannelCash)
	amounts := []ledger.Money{mustMoney(t, "80", "KZT")}
	tx, err := b.dons.BankCash(ctx, "zhanaozen", amounts, date("2012-01-10"), "bank-kzt", "fp")
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.dons.BankCash(ctx, "zhanaozen", amounts, date("2012-01-10"), "bank-kzt", "fp")
	if err != nil || again.ID != tx.ID {
		t.Fatalf("a retry: %v %v", again, err)
	}
	bals := b.mustZeroTrialBalance(t)
	if v := balanceOf(bals, "", "assets:bank:kzt", "KZT"); !v.Equal(dec("80")) {
		t.Fatalf("assets:bank:kzt = %s, want 80 (the account opened on first use)", v)
	}
	if v := balanceOf(bals, "", "assets:cash", "KZT"); !v.IsZero() {
		t.Fatalf("cash %s, want 0", v)
	}
	if _, err := b.dons.BankCash(ctx, "zhanaozen", nil, time.Time{}, "bank-none", "fp"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("no amounts: %v", err)
	}
	b.mustVerify(t)
}

// TestCollectionInSQL writes around the service: the database keeps a
// collection as it was booked.
func TestCollectionInSQL(t *testing.T) {
	b := mustBooks(t)
	c := b.mustCollection(t, "col-1")
	for _, tc := range []struct {
		name, sql, state, sub string
	}{
		{"change the place", `update collections set place = 'Bremen' where id = $1`, "23001", "cannot change"},
		{"delete it", `delete from collections where id = $1`, "23001", "DELETE is not allowed"},
		{"change a count", `update collection_counts set amount = 1 where collection_id = $1`, "23001", "append-only"},
		{"one counter twice", `update collections set counted_by = array['Anna Berg', 'Anna Berg'] where id = $1`, "23514", "collections_counted_by_check"},
		{"no collector", `update collections set collectors = '{}' where id = $1`, "23514", "collections_collectors_check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.db.Pool.Exec(ctx, tc.sql, c.ID)
			wantSQLState(t, err, tc.state, tc.sub)
		})
	}
	// The names may be erased, keeping the books.
	if _, err := b.db.Pool.Exec(ctx, `update collections set collectors = array['(erased)'], counted_by = array['(erased 1)', '(erased 2)'] where id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	banked, err := b.dons.BankCollection(ctx, c.ID, time.Time{}, "bank-1", "fp")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.db.Pool.Exec(ctx, `update collections set banked_transaction_id = null, banked_on = null where id = $1`, c.ID)
	wantSQLState(t, err, "23001", "already banked by transaction "+banked.BankedTransactionID)
}
