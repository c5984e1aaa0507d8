package export

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

var ctx = context.Background()

// testBooks are books in a fresh database with three funds, donations in six
// currencies, a conversion, transfers between funds, a reversal, a
// back-dated entry and descriptions and metadata meant to break the formats.
type testBooks struct {
	db   *postgres.DB
	src  Source
	txs  *postgres.TransactionService
	bals *postgres.BalanceService
	// interfund is, per fund, the balancing postings a fund export must add:
	// currency to amount on equity:interfund.
	interfund map[string]map[string]string
	// generated is, per fund, how many balancing postings its export adds.
	generated map[string]int
}

// Descriptions and metadata meant to break a journal.
const (
	nastyDescription = "(urgent) Grant; family of 4 | Жаңаөзен \"Ақжол\" back\\slash\nsecond line\ttab; 100% ☭"
	nastyPayee       = "Payee | note; more ; even more, a:b"
)

var nastyMetadata = map[string]string{
	"note":       "a, b; c | d\ne",
	"Ключ":       "значение, Қазақша",
	"id":         "user's own id",
	"k":          "one-letter key",
	"with space": "  padded  ",
	"percent":    "100% sure %2C",
	"date":       "[2011-01-01]",
	"x-already":  "looks mapped",
	"empty":      "",
	"quote\"key": "\"quoted\" \\ back",
	"type":       "L",
	"fund":       "other-fund",
}

func mustCurrency(t testing.TB, code string) ledger.Currency {
	t.Helper()
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func mkPosting(t testing.TB, account, fund, amount, cur string) ledger.Posting {
	t.Helper()
	return ledger.Posting{Account: account, Fund: fund, Amount: decimal.RequireFromString(amount), Currency: mustCurrency(t, cur)}
}

func newTestBooks(t testing.TB) *testBooks {
	t.Helper()
	db := pgtest.NewDB(t)
	fs := postgres.NewFundService(db)
	b := &testBooks{
		db:   db,
		txs:  postgres.NewTransactionService(db),
		bals: postgres.NewBalanceService(db),
		src:  Books{Chart: fs, Funds: fs, Transactions: postgres.NewTransactionService(db)},
	}
	for _, f := range []struct{ slug, name, cur string }{
		{"zhanaozen", "Жаңаөзен strike; oil workers\nhardship fund", "EUR"},
		{"karaganda", "Karaganda miners", "KZT"},
		{"london", "London solidarity", "GBP"},
	} {
		if err := fs.CreateFund(ctx, &ledger.Fund{Slug: f.slug, Name: f.name, Currency: mustCurrency(t, f.cur)}, "", ""); err != nil {
			t.Fatalf("create fund %s: %v", f.slug, err)
		}
	}
	dons := postgres.NewDonationService(db)
	donate := func(key, fund, amount, cur string, ch ledger.Channel, day string) *ledger.Donation {
		m, err := ledger.ParseMoney(amount, cur)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dons.RecordDonation(ctx, &ledger.Donation{
			Fund: fund, Amount: m, Channel: ch, ReceivedOn: date(day),
			Donor:          ledger.Donor{Name: "Ғалия Сәрсенова", Organisation: "IG Metall Hamburg", Country: "DE"},
			IdempotencyKey: key, Fingerprint: "fp-" + key,
		})
		if err != nil {
			t.Fatalf("donation %s: %v", key, err)
		}
		return d
	}
	record := func(key, day, desc string, meta map[string]string, ps ...ledger.Posting) *ledger.Transaction {
		tx, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
			IdempotencyKey: key, EffectiveDate: date(day), Description: desc, Metadata: meta, Postings: ps,
		})
		if err != nil {
			t.Fatalf("transaction %s: %v", key, err)
		}
		return tx
	}

	donate("don-eur", "zhanaozen", "1500.00", "EUR", ledger.ChannelBankTransfer, "2011-12-20")
	donate("don-gbp", "london", "250.50", "GBP", ledger.ChannelCash, "2011-12-20")
	sek := donate("don-sek", "zhanaozen", "1000.00", "SEK", ledger.ChannelBankTransfer, "2011-12-21")
	donate("don-jpy", "zhanaozen", "1500", "JPY", ledger.ChannelBankTransfer, "2011-12-21")
	donate("don-kwd", "zhanaozen", "1.500", "KWD", ledger.ChannelOrganisation, "2011-12-21")
	donate("don-kzt-cash", "karaganda", "50000.00", "KZT", ledger.ChannelCash, "2011-12-21")
	donate("don-kzt-bank", "karaganda", "125000.50", "KZT", ledger.ChannelOrganisation, "2011-12-22")

	record("convert", "2011-12-22", "Conversion EUR→KZT at 540", map[string]string{"rate": "540"},
		mkPosting(t, "assets:bank:eur", "zhanaozen", "-1000.00", "EUR"),
		mkPosting(t, ledger.AccountConversion, "zhanaozen", "1000.00", "EUR"),
		mkPosting(t, ledger.AccountConversion, "zhanaozen", "-540000.00", "KZT"),
		mkPosting(t, "assets:bank:kzt", "zhanaozen", "540000.00", "KZT"))
	// A transfer between funds that does not balance within either fund.
	record("transfer-eur", "2011-12-23", "Transfer to Karaganda", nil,
		mkPosting(t, "assets:bank:eur", "zhanaozen", "-200.00", "EUR"),
		mkPosting(t, "assets:bank:eur", "karaganda", "200.00", "EUR"))
	// A transfer that balances within each fund through equity:interfund.
	record("transfer-gbp", "2011-12-23", "London pays Karaganda", nil,
		mkPosting(t, "assets:cash", "london", "-100.00", "GBP"),
		mkPosting(t, ledger.AccountInterfund, "london", "100.00", "GBP"),
		mkPosting(t, ledger.AccountInterfund, "karaganda", "-100.00", "GBP"),
		mkPosting(t, "assets:bank:gbp", "karaganda", "100.00", "GBP"))
	// A transfer in two currencies, unbalanced within each fund.
	record("transfer-multi", "2011-12-24", "Gift to London", nil,
		mkPosting(t, "assets:bank:jpy", "zhanaozen", "-500", "JPY"),
		mkPosting(t, "assets:bank:kwd", "zhanaozen", "-0.500", "KWD"),
		mkPosting(t, "assets:cash", "london", "500", "JPY"),
		mkPosting(t, "assets:cash", "london", "0.500", "KWD"))
	record("grant", "2011-12-26", nastyDescription, nastyMetadata,
		mkPosting(t, ledger.AccountGrants, "zhanaozen", "300.00", "EUR"),
		mkPosting(t, "expenses", "zhanaozen", "5.00", "EUR"),
		mkPosting(t, "assets:bank:eur", "zhanaozen", "-305.00", "EUR"))
	record("payee", "2011-12-27", nastyPayee, map[string]string{"multi\nline": "x\r\ny", "tab": "\t"},
		mkPosting(t, ledger.AccountBankFees, "karaganda", "150.00", "KZT"),
		mkPosting(t, "assets:bank:kzt", "karaganda", "-150.00", "KZT"))
	record("odd", "2011-12-27", "* ! starts like a status; ends with a backslash \\", nil,
		mkPosting(t, ledger.AccountOtherExpense, "london", "1.00", "GBP"),
		mkPosting(t, "assets:cash", "london", "-1.00", "GBP"))
	if _, err := b.txs.ReverseTransaction(ctx, sek.TransactionID, &ledger.Transaction{
		IdempotencyKey: "rev-sek", EffectiveDate: date("2011-12-28"),
	}); err != nil {
		t.Fatalf("reverse: %v", err)
	}
	// Back-dated: later in the chain than everything else, earlier in time.
	record("old-fee", "1999-01-04", "Old bank fee", nil,
		mkPosting(t, ledger.AccountBankFees, "london", "2.00", "GBP"),
		mkPosting(t, "assets:cash", "london", "-2.00", "GBP"))

	b.interfund = map[string]map[string]string{
		"zhanaozen": {"EUR": "200.00", "JPY": "500", "KWD": "0.500"},
		"karaganda": {"EUR": "-200.00"},
		"london":    {"JPY": "-500", "KWD": "-0.500"},
	}
	b.generated = map[string]int{"zhanaozen": 3, "karaganda": 1, "london": 2}
	return b
}

type balanceKey struct{ account, currency string }

// trialBalance is the books' trial balance (or one fund's, plus the balancing
// postings its export adds), by account code or by beancount name.
func (b *testBooks) trialBalance(t testing.TB, fund *string, beancount bool) map[balanceKey]decimal.Decimal {
	t.Helper()
	rows, err := b.bals.TrialBalance(ctx, ledger.BalanceFilter{Fund: fund})
	if err != nil {
		t.Fatal(err)
	}
	want := map[balanceKey]decimal.Decimal{}
	add := func(account, cur string, d decimal.Decimal) {
		if beancount {
			n, err := BeancountAccount(account)
			if err != nil {
				t.Fatal(err)
			}
			account = n
		}
		k := balanceKey{account, cur}
		want[k] = want[k].Add(d)
		if want[k].IsZero() {
			delete(want, k)
		}
	}
	for _, r := range rows {
		if r.Fund != "" {
			t.Fatalf("trial balance row with fund %q", r.Fund)
		}
		add(r.Account, r.Currency.Code, r.Amount)
	}
	if fund != nil {
		for cur, amt := range b.interfund[*fund] {
			add(ledger.AccountInterfund, cur, decimal.RequireFromString(amt))
		}
	}
	if len(want) == 0 {
		t.Fatal("empty trial balance")
	}
	return want
}

// compareBalances checks a tool's balances, as text, against the trial
// balance: every line matches exactly, with the currency's decimals, and
// nothing is missing or extra.
func compareBalances(t testing.TB, tool string, got map[balanceKey]string, want map[balanceKey]decimal.Decimal) {
	t.Helper()
	var problems []string
	for k, text := range got {
		d, err := decimal.NewFromString(text)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %q is not a decimal", k.account, k.currency, text))
			continue
		}
		w, ok := want[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s %s: %s %s, not in the trial balance", k.account, k.currency, tool, text))
		case !d.Equal(w):
			problems = append(problems, fmt.Sprintf("%s %s: %s %s, trial balance %s", k.account, k.currency, tool, text, w))
		case text != w.StringFixed(mustCurrency(t, k.currency).Exponent):
			problems = append(problems, fmt.Sprintf("%s %s: %s writes %q, not with the currency's decimals", k.account, k.currency, tool, text))
		}
	}
	for k, w := range want {
		if _, ok := got[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s %s: trial balance %s, missing from %s", k.account, k.currency, w, tool))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Fatalf("%s balances differ from the trial balance:\n%s", tool, strings.Join(problems, "\n"))
	}
	t.Logf("%s: %d account and currency balances match the trial balance", tool, len(got))
}

// transactions reads what the source holds, for comparison.
func (b *testBooks) transactions(t testing.TB, fund *string) map[string]*ledger.Transaction {
	t.Helper()
	out := map[string]*ledger.Transaction{}
	if err := b.src.EachTransaction(ctx, ledger.TransactionFilter{Fund: fund}, func(tx *ledger.Transaction) error {
		out[tx.ID] = tx
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeMetaKey is the inverse of MetaKey.
func decodeMetaKey(t testing.TB, k string) string {
	t.Helper()
	if !strings.Contains(k, "-") {
		return k
	}
	rest, ok := strings.CutPrefix(k, "x-")
	if !ok {
		t.Fatalf("mapped key %q does not start with x-", k)
	}
	s, err := url.PathUnescape(strings.ReplaceAll(rest, "-", "%"))
	if err != nil {
		t.Fatalf("mapped key %q: %v", k, err)
	}
	return s
}

func TestExportWholeBooks(t *testing.T) {
	start := time.Now()
	b := newTestBooks(t)
	t.Logf("books built in %s", time.Since(start).Round(time.Millisecond))
	src := b.transactions(t, nil)
	t.Run("hledger", func(t *testing.T) {
		file := writeFile(t, b.src, Hledger, nil)
		checkHledger(t, b, file, nil, src)
	})
	t.Run("beancount", func(t *testing.T) {
		file := writeFile(t, b.src, Beancount, nil)
		checkBeancount(t, b, file, nil, src)
	})
}

func TestExportOneFund(t *testing.T) {
	b := newTestBooks(t)
	for _, slug := range []string{"zhanaozen", "karaganda", "london"} {
		fund := slug
		src := b.transactions(t, &fund)
		t.Run(slug+"/hledger", func(t *testing.T) {
			file := writeFile(t, b.src, Hledger, &fund)
			checkHledger(t, b, file, &fund, src)
		})
		t.Run(slug+"/beancount", func(t *testing.T) {
			file := writeFile(t, b.src, Beancount, &fund)
			checkBeancount(t, b, file, &fund, src)
		})
	}
}

func checkHledger(t *testing.T, b *testBooks, file string, fund *string, src map[string]*ledger.Transaction) {
	if stdout, stderr := run(t, "hledger", "--strict", "-f", file, "check"); stdout+stderr != "" {
		t.Fatalf("hledger check said:\n%s%s", stdout, stderr)
	}
	out, _ := run(t, "hledger", "-f", file, "balance", "--flat", "--no-total", "--layout=bare", "-O", "csv")
	got := map[balanceKey]string{}
	for _, row := range readCSV(t, out, "account", "commodity", "balance") {
		k := balanceKey{row[0], row[1]}
		if _, dup := got[k]; dup {
			t.Fatalf("hledger balance lists %v twice", k)
		}
		got[k] = row[2]
	}
	compareBalances(t, "hledger", got, b.trialBalance(t, fund, false))

	// Every transaction reads back with its description, metadata and postings.
	j := hledgerPrint(t, file)
	if len(j) != len(src) {
		t.Fatalf("hledger reads %d transactions, the books have %d", len(j), len(src))
	}
	generated := 0
	for _, ht := range j {
		tags := map[string]string{}
		for _, tag := range ht.Tags {
			v, err := url.PathUnescape(tag[1])
			if err != nil {
				t.Fatalf("tag %q: %v", tag, err)
			}
			if _, dup := tags[tag[0]]; dup {
				t.Fatalf("transaction %v: tag %s twice", ht.Tags, tag[0])
			}
			tags[tag[0]] = v
		}
		tx := src[tags["id"]]
		if tx == nil {
			t.Fatalf("hledger transaction %q has no id of the books: %v", ht.Description, ht.Tags)
		}
		desc := ht.Description
		if d, ok := tags["description"]; ok {
			desc = d
			if strings.ContainsAny(ht.Description, ";\n") {
				t.Errorf("description %q", ht.Description)
			}
		}
		if desc != tx.Description || ht.Date != tx.EffectiveDate.Format(time.DateOnly) || ht.Code != "" || ht.Status != "Cleared" {
			t.Errorf("transaction %s reads back as %s %q %q (code %q, %s), want %s %q",
				tx.ID, ht.Date, ht.Description, desc, ht.Code, ht.Status, tx.EffectiveDate.Format(time.DateOnly), tx.Description)
		}
		if tags["seq"] != fmt.Sprint(tx.Seq) || tags["reversal_of"] != tx.ReversalOf {
			t.Errorf("transaction %s: tags %v", tx.ID, tags)
		}
		meta := map[string]string{}
		for k, v := range tags {
			switch k {
			case "id", "seq", "reversal_of", "description":
			default:
				meta[decodeMetaKey(t, k)] = v
			}
		}
		checkMetadata(t, tx, meta)
		generated += checkPostings(t, tx, fund, len(ht.Postings), func(i int) (string, string, decimal.Decimal, map[string]string) {
			p := ht.Postings[i]
			if len(p.Amount) != 1 {
				t.Fatalf("transaction %s posting %d: %d amounts", tx.ID, i, len(p.Amount))
			}
			a := p.Amount[0]
			mant, err1 := decimal.NewFromString(a.Quantity.Mantissa.String())
			places, err2 := a.Quantity.Places.Int64()
			if err1 != nil || err2 != nil {
				t.Fatalf("amount %+v", a)
			}
			ptags := map[string]string{}
			for _, tag := range p.Tags {
				ptags[tag[0]] = tag[1]
			}
			return p.Account, a.Commodity, mant.Shift(-int32(places)), ptags
		})
	}
	if fund != nil && generated != b.generated[*fund] {
		t.Errorf("%d generated postings, want %d", generated, b.generated[*fund])
	}
	if t.Failed() {
		logFile(t, file)
	}
}

// checkMetadata compares metadata read back with the transaction's; the
// reversal_of metadata of a reversal is written once, as the reversal_of tag.
func checkMetadata(t *testing.T, tx *ledger.Transaction, got map[string]string) {
	t.Helper()
	want := map[string]string{}
	for k, v := range tx.Metadata {
		if !(k == "reversal_of" && v == tx.ReversalOf) {
			want[k] = v
		}
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("transaction %s metadata reads back as\n%q\nwant\n%q", tx.ID, got, want)
	}
}

// checkPostings compares the n postings read back (by posting(i)) with the
// transaction's, or with the fund's and its balancing postings, in any order
// (beancount's loader groups postings by currency). It returns how many
// balancing postings there were.
func checkPostings(t *testing.T, tx *ledger.Transaction, fund *string, n int,
	posting func(i int) (account, currency string, amount decimal.Decimal, meta map[string]string)) int {
	t.Helper()
	line := func(account, fund, cur string, amount decimal.Decimal) string {
		return fmt.Sprintf("%s %s %s %s", account, fund, amount.String(), cur)
	}
	var want, got []string
	sums := map[string]decimal.Decimal{}
	for _, p := range tx.Postings {
		if fund == nil || p.Fund == *fund {
			want = append(want, line(p.Account, p.Fund, p.Currency.Code, p.Amount))
		}
	}
	generated := 0
	for i := 0; i < n; i++ {
		account, cur, amount, meta := posting(i)
		sums[cur] = sums[cur].Add(amount)
		switch meta["generated"] {
		case "":
			got = append(got, line(account, meta["fund"], cur, amount))
		case "interfund":
			// A balancing posting: on equity:interfund in the fund.
			if fund == nil || account != ledger.AccountInterfund || meta["fund"] != *fund {
				t.Errorf("transaction %s: balancing posting %s %s %s %v", tx.ID, account, amount, cur, meta)
			}
			generated++
		default:
			t.Errorf("transaction %s: posting %s %s %s %v", tx.ID, account, amount, cur, meta)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transaction %s postings read back as\n%s\nwant\n%s", tx.ID, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for c, s := range sums {
		if !s.IsZero() {
			t.Errorf("transaction %s does not balance in %s: %s", tx.ID, c, s)
		}
	}
	return generated
}

func checkBeancount(t *testing.T, b *testBooks, file string, fund *string, src map[string]*ledger.Transaction) {
	if stdout, stderr := run(t, "bean-check", file); stdout+stderr != "" {
		t.Fatalf("bean-check said:\n%s%s", stdout, stderr)
	}
	// str() gives the sums' exact text, Decimal('1.500'): bean-query 2.3.5
	// renders a column of numbers with the number of decimals most of them
	// have, cutting off the third decimal of KWD among EUR amounts.
	out, _ := run(t, "bean-query", "-f", "csv", file,
		"SELECT account, currency, str(sum(number)) AS total GROUP BY account, currency ORDER BY account, currency")
	got := map[balanceKey]string{}
	for _, row := range readCSV(t, out, "account", "currency", "total") {
		k := balanceKey{row[0], row[1]}
		if _, dup := got[k]; dup {
			t.Fatalf("bean-query lists %v twice", k)
		}
		n, ok := strings.CutPrefix(row[2], "Decimal('")
		if n, ok = strings.CutSuffix(n, "')"); !ok {
			t.Fatalf("bean-query total %q is not Decimal('...')", row[2])
		}
		row[2] = n
		// The trial balance leaves out accounts whose postings sum to zero;
		// bean-query lists them with 0 (or 0.00).
		if d, err := decimal.NewFromString(row[2]); err == nil && d.IsZero() {
			continue
		}
		got[k] = row[2]
	}
	compareBalances(t, "bean-query", got, b.trialBalance(t, fund, true))

	l := beancountRead(t, file)
	wantTitle := "fundledger books"
	if fund != nil {
		wantTitle = "fundledger: "
	}
	if !strings.HasPrefix(l.Title, wantTitle) {
		t.Errorf("title %q", l.Title)
	}
	for _, o := range l.Opens {
		if n, err := BeancountAccount(o.Code); err != nil || n != o.Account || o.Date != openDate {
			t.Errorf("open %s %s for code %q (%v)", o.Date, o.Account, o.Code, err)
		}
	}
	if len(l.Transactions) != len(src) {
		t.Fatalf("beancount reads %d transactions, the books have %d", len(l.Transactions), len(src))
	}
	generated := 0
	for _, bt := range l.Transactions {
		tx := src[bt.Meta["id"]]
		if tx == nil {
			t.Fatalf("beancount transaction %q has no id of the books: %v", bt.Narration, bt.Meta)
		}
		if bt.Narration != tx.Description || bt.Payee != nil || bt.Flag != "*" || bt.Date != tx.EffectiveDate.Format(time.DateOnly) {
			t.Errorf("transaction %s reads back as %s %s %q, want %q", tx.ID, bt.Date, bt.Flag, bt.Narration, tx.Description)
		}
		if bt.Meta["seq"] != fmt.Sprint(tx.Seq) || bt.Meta["reversal_of"] != tx.ReversalOf {
			t.Errorf("transaction %s: metadata %v", tx.ID, bt.Meta)
		}
		meta := map[string]string{}
		for k, v := range bt.Meta {
			switch k {
			case "id", "seq", "reversal_of":
			default:
				meta[decodeMetaKey(t, k)] = v
			}
		}
		checkMetadata(t, tx, meta)
		byName := map[string]string{}
		for _, o := range l.Opens {
			byName[o.Account] = o.Code
		}
		generated += checkPostings(t, tx, fund, len(bt.Postings), func(i int) (string, string, decimal.Decimal, map[string]string) {
			p := bt.Postings[i]
			d, err := decimal.NewFromString(p.Number)
			if err != nil {
				t.Fatalf("posting number %q: %v", p.Number, err)
			}
			code, ok := byName[p.Account]
			if !ok {
				t.Fatalf("posting to %s, which no open directive opens", p.Account)
			}
			return code, p.Currency, d, p.Meta
		})
	}
	if fund != nil && generated != b.generated[*fund] {
		t.Errorf("%d generated postings, want %d", generated, b.generated[*fund])
	}
	if t.Failed() {
		logFile(t, file)
	}
}

func logFile(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err == nil {
		t.Logf("%s:\n%s", file, data)
	}
}
