package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestTransactionValidateOK(t *testing.T) {
	tx := validTx()
	tx.Description = "  Solidarity transfer \n"
	loc := time.FixedZone("UTC+5", 5*3600)
	tx.EffectiveDate = time.Date(2011, 12, 16, 23, 59, 59, 999, loc)
	if err := tx.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if tx.Description != "Solidarity transfer" {
		t.Errorf("Description = %q, want it trimmed", tx.Description)
	}
	if want := day("2011-12-16"); !tx.EffectiveDate.Equal(want) || tx.EffectiveDate.Location() != time.UTC {
		t.Errorf("EffectiveDate = %v, want the calendar date %v in UTC", tx.EffectiveDate, want)
	}
	// Validate is idempotent.
	before := cloneTx(tx)
	if err := tx.Validate(); err != nil {
		t.Fatalf("second Validate: %v", err)
	}
	if string(before.ComputeHash(nil)) != string(tx.ComputeHash(nil)) {
		t.Error("a second Validate changed the transaction")
	}
}

func TestTransactionValidateBoundaries(t *testing.T) {
	eur, jpy, kwd := mustCurrency(t, "EUR"), mustCurrency(t, "JPY"), mustCurrency(t, "KWD")
	many := func(n int) []ledger.Posting {
		ps := make([]ledger.Posting, n)
		for i := range ps {
			amt := dec("0.01")
			if i%2 == 1 {
				amt = amt.Neg()
			}
			ps[i] = ledger.Posting{Account: "assets:cash", Fund: "zhanaozen", Amount: amt, Currency: eur}
		}
		if n%2 == 1 {
			ps[n-1].Amount = dec("-0.01")
			ps[n-2].Amount = dec("0.02")
			ps[n-3].Amount = dec("-0.01")
		}
		return ps
	}
	meta := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%02d", i)] = "v"
		}
		return m
	}
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Transaction)
	}{
		{"key of 255 printable bytes", func(tx *ledger.Transaction) { tx.IdempotencyKey = strings.Repeat("~", 255) }},
		{"key with punctuation", func(tx *ledger.Transaction) { tx.IdempotencyKey = "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" }},
		{"date 1900-01-01", func(tx *ledger.Transaction) { tx.EffectiveDate = day("1900-01-01") }},
		{"date 9999-12-31", func(tx *ledger.Transaction) { tx.EffectiveDate = day("9999-12-31") }},
		{"description of 500 characters", func(tx *ledger.Transaction) { tx.Description = strings.Repeat("ж", 500) }},
		{"description of 500 characters and spaces", func(tx *ledger.Transaction) { tx.Description = "  " + strings.Repeat("x", 500) + "  " }},
		{"no metadata", func(tx *ledger.Transaction) { tx.Metadata = nil }},
		{"50 metadata keys", func(tx *ledger.Transaction) { tx.Metadata = meta(50) }},
		{"metadata key of 64 bytes", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{strings.Repeat("k", 64): ""} }},
		{"metadata value of 1000 bytes", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"k": strings.Repeat("v", 1000)} }},
		{"1000 postings", func(tx *ledger.Transaction) { tx.Postings = many(1000) }},
		{"3 postings", func(tx *ledger.Transaction) { tx.Postings = many(3) }},
		{"JPY", func(tx *ledger.Transaction) {
			tx.Postings[0].Amount, tx.Postings[0].Currency = dec("1500"), jpy
			tx.Postings[1].Amount, tx.Postings[1].Currency = dec("-1500"), jpy
		}},
		{"KWD", func(tx *ledger.Transaction) {
			tx.Postings[0].Amount, tx.Postings[0].Currency = dec("1.501"), kwd
			tx.Postings[1].Amount, tx.Postings[1].Currency = dec("-1.501"), kwd
		}},
		{"amounts scaled beyond the currency but equal to allowed values", func(tx *ledger.Transaction) {
			tx.Postings[0].Amount = dec("1500.0000")
			tx.Postings[1].Amount = dec("-1500")
		}},
		{"two currencies each balanced", func(tx *ledger.Transaction) {
			tx.Postings = append(tx.Postings,
				ledger.Posting{Account: "assets:bank:jpy", Fund: "zhanaozen", Amount: dec("-100"), Currency: jpy},
				ledger.Posting{Account: ledger.AccountConversion, Fund: "zhanaozen", Amount: dec("100"), Currency: jpy})
		}},
		{"two funds", func(tx *ledger.Transaction) { tx.Postings[1].Fund = "other-fund" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := validTx()
			tc.mut(tx)
			if err := tx.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestTransactionValidateRejects(t *testing.T) {
	usd := mustCurrency(t, "USD")
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Transaction)
		subs []string
	}{
		{"no key", func(tx *ledger.Transaction) { tx.IdempotencyKey = "" }, []string{"idempotency key is required"}},
		{"key of 256 bytes", func(tx *ledger.Transaction) { tx.IdempotencyKey = strings.Repeat("k", 256) }, []string{"at most 255"}},
		{"key with space", func(tx *ledger.Transaction) { tx.IdempotencyKey = "a b" }, []string{"printable ASCII"}},
		{"key with tab", func(tx *ledger.Transaction) { tx.IdempotencyKey = "a\tb" }, []string{"printable ASCII"}},
		{"key with DEL", func(tx *ledger.Transaction) { tx.IdempotencyKey = "a\x7f" }, []string{"printable ASCII"}},
		{"key with NUL", func(tx *ledger.Transaction) { tx.IdempotencyKey = "a\x00" }, []string{"printable ASCII"}},
		{"key non-ASCII", func(tx *ledger.Transaction) { tx.IdempotencyKey = "ключ" }, []string{"printable ASCII"}},
		{"key invalid UTF-8", func(tx *ledger.Transaction) { tx.IdempotencyKey = "k\xff" }, []string{"printable ASCII"}},
		{"no date", func(tx *ledger.Transaction) { tx.EffectiveDate = time.Time{} }, []string{"date is required"}},
		{"date 1899-12-31", func(tx *ledger.Transaction) { tx.EffectiveDate = day("1899-12-31") }, []string{"1899-12-31 is out of range"}},
		{"date year 10000", func(tx *ledger.Transaction) { tx.EffectiveDate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"out of range"}},
		{"no description", func(tx *ledger.Transaction) { tx.Description = "" }, []string{"description is required"}},
		{"blank description", func(tx *ledger.Transaction) { tx.Description = " \t\n " }, []string{"description is required"}},
		{"description of 501 characters", func(tx *ledger.Transaction) { tx.Description = strings.Repeat("ж", 501) }, []string{"at most 500"}},
		{"description invalid UTF-8", func(tx *ledger.Transaction) { tx.Description = "caf\xe9" }, []string{"valid text"}},
		{"51 metadata keys", func(tx *ledger.Transaction) {
			tx.Metadata = map[string]string{}
			for i := range 51 {
				tx.Metadata[fmt.Sprint(i)] = ""
			}
		}, []string{"at most 50 keys"}},
		{"empty metadata key", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"": "v"} }, []string{"metadata"}},
		{"metadata key of 65 bytes", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{strings.Repeat("k", 65): "v"} }, []string{"1 to 64 bytes"}},
		{"metadata value of 1001 bytes", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"k": strings.Repeat("v", 1001)} }, []string{"at most 1000 bytes"}},
		{"metadata key invalid UTF-8", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"k\xff": "v"} }, []string{"metadata"}},
		{"metadata value invalid UTF-8", func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"k": "v\xff"} }, []string{"metadata"}},
		{"no postings", func(tx *ledger.Transaction) { tx.Postings = nil }, []string{"at least two postings, got 0"}},
		{"one posting", func(tx *ledger.Transaction) { tx.Postings = tx.Postings[:1] }, []string{"at least two postings, got 1"}},
		{"1001 postings", func(tx *ledger.Transaction) {
			p := tx.Postings[0]
			tx.Postings = make([]ledger.Posting, 1001)
			for i := range tx.Postings {
				tx.Postings[i] = p
			}
		}, []string{"at most 1000 postings"}},
		{"bad account", func(tx *ledger.Transaction) { tx.Postings[1].Account = "Income:donations" }, []string{"postings[1].account"}},
		{"no account", func(tx *ledger.Transaction) { tx.Postings[0].Account = "" }, []string{"postings[0].account", "account is required"}},
		{"unknown root", func(tx *ledger.Transaction) { tx.Postings[0].Account = "revenue:x" }, []string{"postings[0].account", "must start with"}},
		{"no fund", func(tx *ledger.Transaction) { tx.Postings[0].Fund = "" }, []string{"postings[0].fund", "fund slug is required"}},
		{"bad fund", func(tx *ledger.Transaction) { tx.Postings[1].Fund = "Zhanaozen" }, []string{"postings[1].fund"}},
		{"no currency", func(tx *ledger.Transaction) { tx.Postings[0].Currency = ledger.Currency{} }, []string{"postings[0].currency"}},
		{"unknown currency", func(tx *ledger.Transaction) { tx.Postings[0].Currency = ledger.Currency{Code: "XXX", Exponent: 2} }, []string{"postings[0].currency \"XXX\""}},
		{"lower-case currency", func(tx *ledger.Transaction) { tx.Postings[0].Currency = ledger.Currency{Code: "eur", Exponent: 2} }, []string{"postings[0].currency"}},
		{"currency with the wrong exponent", func(tx *ledger.Transaction) { tx.Postings[0].Currency = ledger.Currency{Code: "EUR", Exponent: 3} }, []string{"postings[0].currency \"EUR\""}},
		{"zero amount", func(tx *ledger.Transaction) { tx.Postings[0].Amount = decimal.Zero }, []string{"postings[0].amount must not be zero"}},
		{"zero amounts", func(tx *ledger.Transaction) { tx.Postings[0].Amount, tx.Postings[1].Amount = dec("0.00"), dec("-0") }, []string{"postings[0].amount must not be zero"}},
		{"too many decimals", func(tx *ledger.Transaction) {
			tx.Postings[0].Amount, tx.Postings[1].Amount = dec("0.001"), dec("-0.001")
		}, []string{"postings[0].amount", "more decimal places than EUR"}},
		{"unbalanced", func(tx *ledger.Transaction) { tx.Postings[1].Amount = dec("-1499.99") }, []string{"do not balance", "sum to 0.01 EUR", ledger.AccountConversion}},
		{"all debits", func(tx *ledger.Transaction) { tx.Postings[1].Amount = dec("1500") }, []string{"do not balance", "sum to 3000.00 EUR"}},
		{"balanced only across currencies", func(tx *ledger.Transaction) { tx.Postings[1].Currency = usd }, []string{"do not balance", "-1500.00 USD", "1500.00 EUR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := validTx()
			tc.mut(tx)
			wantInvalid(t, tx.Validate(), tc.subs...)
		})
	}
}

func TestParseDate(t *testing.T) {
	got, err := ledger.ParseDate("effective_date", "2011-12-16")
	if err != nil || !got.Equal(time.Date(2011, 12, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseDate = %v, %v", got, err)
	}
	for _, s := range []string{"", "2011-13-01", "2011-02-30", "16/12/2011", "2011-12-16T00:00:00Z", "2011-12-16 ", "20111216"} {
		_, err := ledger.ParseDate("effective_date", s)
		wantInvalid(t, err, "effective_date", "YYYY-MM-DD")
	}
}

func TestDate(t *testing.T) {
	loc := time.FixedZone("UTC-8", -8*3600)
	in := time.Date(2024, 2, 29, 23, 30, 0, 5, loc) // 2024-03-01 07:30 UTC
	if got, want := ledger.Date(in), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Date(%v) = %v, want the calendar date as written, %v", in, got, want)
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	for _, k := range []string{"a", "key-1", strings.Repeat("Z", 255), "9f86d081-884c-7d65-9a2f-eaa0c55ad015"} {
		if err := ledger.ValidateIdempotencyKey(k); err != nil {
			t.Errorf("ValidateIdempotencyKey(%q): %v", k, err)
		}
	}
	for _, k := range []string{"", " ", "a b", strings.Repeat("Z", 256), "é", "\x00", "a\n"} {
		wantInvalid(t, ledger.ValidateIdempotencyKey(k), "idempotency key")
	}
}

func TestTransactionFunds(t *testing.T) {
	tx := validTx()
	tx.Postings = append(tx.Postings, tx.Postings[0], tx.Postings[1])
	tx.Postings[1].Fund, tx.Postings[2].Fund = "b-fund", "a-fund"
	got := tx.Funds()
	if want := []string{"a-fund", "b-fund", "zhanaozen"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Funds() = %q, want %q", got, want)
	}
}

func TestReversal(t *testing.T) {
	tx := validTx()
	tx.ID = "0b8e2c3c-0000-4000-8000-000000000001"
	if err := tx.Validate(); err != nil {
		t.Fatal(err)
	}
	orig := cloneTx(tx)
	r := tx.Reversal("rev-1", day("2012-01-05"), "")
	if err := r.Validate(); err != nil {
		t.Fatalf("reversal does not validate: %v", err)
	}
	if r.ReversalOf != tx.ID || r.Metadata["reversal_of"] != tx.ID {
		t.Errorf("reversal points to %q (metadata %q), want %q", r.ReversalOf, r.Metadata["reversal_of"], tx.ID)
	}
	if r.IdempotencyKey != "rev-1" || !r.EffectiveDate.Equal(day("2012-01-05")) {
		t.Errorf("reversal key %q date %v", r.IdempotencyKey, r.EffectiveDate)
	}
	if want := "Reversal of: Solidarity transfer"; r.Description != want {
		t.Errorf("reversal description %q, want %q", r.Description, want)
	}
	if r.ID != "" || r.Seq != 0 || r.Hash != nil || r.PrevHash != nil || !r.RecordedAt.IsZero() || r.ReversedBy != "" {
		t.Errorf("reversal carries recording fields over: %+v", r)
	}
	for i, p := range r.Postings {
		o := tx.Postings[i]
		if p.Account != o.Account || p.Fund != o.Fund || p.Currency != o.Currency || !p.Amount.Equal(o.Amount.Neg()) {
			t.Errorf("reversal posting %d = %+v, want the negation of %+v", i, p, o)
		}
	}
	// The original is untouched.
	if string(tx.ComputeHash(nil)) != string(orig.ComputeHash(nil)) {
		t.Error("Reversal changed the original transaction")
	}
	// Changing the reversal does not change the original.
	r.Postings[0].Amount = dec("1")
	r.Metadata["x"] = "y"
	if !tx.Postings[0].Amount.Equal(dec("1500")) || tx.Metadata["x"] != "" {
		t.Error("the reversal shares storage with the original")
	}

	given := tx.Reversal("rev-2", day("2012-01-05"), "Entered twice")
	if given.Description != "Entered twice" {
		t.Errorf("reversal description %q, want the given one", given.Description)
	}
}

func TestReversalLongDescription(t *testing.T) {
	for _, desc := range []string{strings.Repeat("ж", 500), strings.Repeat("x", 490) + strings.Repeat(" ", 10), strings.Repeat("€", 488) + "x"} {
		tx := validTx()
		tx.ID = "id-1"
		tx.Description = desc
		r := tx.Reversal("rev-1", day("2012-01-05"), "")
		if n := len([]rune(r.Description)); n > ledger.MaxDescriptionLen {
			t.Errorf("reversal description has %d characters", n)
		}
		if !strings.HasPrefix(r.Description, "Reversal of: ") {
			t.Errorf("reversal description %.40q...", r.Description)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("reversal of a transaction with a %d-character description: %v", len([]rune(desc)), err)
		}
	}
}

// randomSlug returns a valid fund slug.
func randomSlug(r *rand.Rand) string {
	const first = "abcdefghijklmnopqrstuvwxyz0123456789"
	const rest = first + "-"
	n := 2 + r.IntN(20)
	if r.IntN(20) == 0 {
		n = 64
	}
	b := []byte{first[r.IntN(len(first))]}
	for len(b) < n {
		b = append(b, rest[r.IntN(len(rest))])
	}
	return string(b)
}

// randomAmount returns a non-zero amount in whole minor units of cur, mostly
// small, sometimes very large.
func randomAmount(r *rand.Rand, cur ledger.Currency) decimal.Decimal {
	var units int64
	switch r.IntN(4) {
	case 0:
		units = 1 + r.Int64N(9)
	case 1:
		units = 1 + r.Int64N(100_000)
	case 2:
		units = 1 + r.Int64N(1e12)
	default:
		units = 1 + r.Int64N(1e17)
	}
	d := decimal.New(units, -cur.Exponent)
	if r.IntN(2) == 0 {
		d = d.Neg()
	}
	if r.IntN(4) == 0 { // the same value written with more trailing zeros
		d = decimal.RequireFromString(d.StringFixed(cur.Exponent + 2))
	}
	return d
}

// randomBalancedTx builds a valid transaction of 2 to 20 postings in one to
// three currencies (each balanced on its own), over accounts of the default
// chart and a handful of funds.
func randomBalancedTx(r *rand.Rand, currencies []ledger.Currency, i int) *ledger.Transaction {
	n := 2 + r.IntN(19)
	ncur := 1 + r.IntN(min(3, n/2))
	curs := make([]ledger.Currency, ncur)
	for j := range curs {
		curs[j] = currencies[r.IntN(len(currencies))]
	}
	chart := ledger.DefaultChart(curs[0])
	funds := make([]string, 1+r.IntN(3))
	for j := range funds {
		funds[j] = randomSlug(r)
	}
	// Deal postings to currencies, at least two each.
	which := make([]int, n)
	for j := range which {
		if j < 2*ncur {
			which[j] = j / 2
		} else {
			which[j] = r.IntN(ncur)
		}
	}
	r.Shuffle(n, func(a, b int) { which[a], which[b] = which[b], which[a] })
	postings := make([]ledger.Posting, n)
	for j := range postings {
		postings[j] = ledger.Posting{
			Account:  chart[r.IntN(len(chart))].Code,
			Fund:     funds[r.IntN(len(funds))],
			Currency: curs[which[j]],
		}
	}
	// Random amounts, then the last posting of each currency takes the
	// balancing amount; draw again in the rare case that is zero.
	for c := range ncur {
		var idx []int
		for j := range postings {
			if which[j] == c {
				idx = append(idx, j)
			}
		}
		for {
			sum := decimal.Zero
			for _, j := range idx[:len(idx)-1] {
				postings[j].Amount = randomAmount(r, curs[c])
				sum = sum.Add(postings[j].Amount)
			}
			if !sum.IsZero() {
				postings[idx[len(idx)-1]].Amount = sum.Neg()
				break
			}
		}
	}
	meta := map[string]string{}
	for j := range r.IntN(4) {
		meta[fmt.Sprintf("key%d", j)] = fmt.Sprintf("value %d", r.Int())
	}
	return &ledger.Transaction{
		ID:             fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		Seq:            int64(i + 1),
		IdempotencyKey: fmt.Sprintf("prop-%d-%d", i, r.Int()),
		EffectiveDate:  time.Date(1900+r.IntN(8100), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC),
		Description:    fmt.Sprintf("Random transaction %d", i),
		Metadata:       meta,
		Postings:       postings,
		RecordedAt:     time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC().Truncate(time.Microsecond),
	}
}

// testCurrencies are the currencies property tests draw from: the edge
// exponents always, plus every supported currency.
func testCurrencies(t *testing.T) []ledger.Currency {
	cs := ledger.Currencies()
	// Weight JPY (0 decimals) and KWD (3 decimals) so they appear often.
	return append(cs, mustCurrency(t, "JPY"), mustCurrency(t, "JPY"), mustCurrency(t, "KWD"), mustCurrency(t, "KWD"), mustCurrency(t, "EUR"))
}

func TestPropertyBalancedTransactionsValidate(t *testing.T) {
	r := newRand(t)
	curs := testCurrencies(t)
	n := iterations(5000)
	perturbed := 0
	for i := range n {
		tx := randomBalancedTx(r, curs, i)
		if err := tx.Validate(); err != nil {
			t.Fatalf("iteration %d: balanced transaction does not validate: %v\n%+v", i, err, tx.Postings)
		}
		// Move any one amount by one minor unit, either way: unbalanced.
		j := r.IntN(len(tx.Postings))
		p := &tx.Postings[j]
		unit := minorUnit(p.Currency)
		if r.IntN(2) == 0 {
			unit = unit.Neg()
		}
		if p.Amount.Add(unit).IsZero() {
			unit = unit.Neg()
		}
		orig := p.Amount
		p.Amount = p.Amount.Add(unit)
		if !checkInvalid(t, tx.Validate(), "do not balance", unit.Abs().StringFixed(p.Currency.Exponent)+" "+p.Currency.Code) {
			t.Fatalf("iteration %d: posting %d moved from %s to %s %s", i, j, orig, p.Amount, p.Currency)
		}
		p.Amount = orig
		perturbed++
		// Less than one minor unit breaks the scale rule instead.
		p.Amount = orig.Add(decimal.New(1, -p.Currency.Exponent-1))
		if !checkInvalid(t, tx.Validate(), fmt.Sprintf("postings[%d].amount", j), "more decimal places") {
			t.Fatalf("iteration %d: posting %d moved by a tenth of a minor unit", i, j)
		}
	}
	t.Logf("%d balanced transactions validated, %d perturbations refused", n, perturbed)
}

// TestPropertyMixedCurrenciesFail builds transactions whose amounts sum to zero
// only when currencies are ignored.
func TestPropertyMixedCurrenciesFail(t *testing.T) {
	r := newRand(t)
	curs := ledger.Currencies()
	n := iterations(3000)
	for i := range n {
		tx := randomBalancedTx(r, []ledger.Currency{curs[r.IntN(len(curs))]}, i)
		// Move one posting into another currency with the same decimals: the
		// numbers still sum to zero, the currencies do not.
		j := r.IntN(len(tx.Postings))
		from := tx.Postings[j].Currency
		var same []ledger.Currency
		for _, c := range curs {
			if c.Exponent == from.Exponent && c.Code != from.Code {
				same = append(same, c)
			}
		}
		to := same[r.IntN(len(same))]
		tx.Postings[j].Currency = to
		if !checkInvalid(t, tx.Validate(), "do not balance", from.Code, to.Code) {
			t.Fatalf("iteration %d: postings %+v", i, tx.Postings)
		}
	}
	t.Logf("%d cross-currency transactions refused", n)
}

func TestPropertyReversal(t *testing.T) {
	r := newRand(t)
	curs := testCurrencies(t)
	n := iterations(3000)
	for i := range n {
		tx := randomBalancedTx(r, curs, i)
		if err := tx.Validate(); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		orig := cloneTx(tx)
		rev := tx.Reversal(fmt.Sprintf("rev-%d", i), tx.EffectiveDate.AddDate(0, 0, r.IntN(30)), "")
		if rev.EffectiveDate.Year() > 9999 {
			rev.EffectiveDate = day("9999-12-31")
		}
		if err := rev.Validate(); err != nil {
			t.Fatalf("iteration %d: reversal does not validate: %v", i, err)
		}
		if rev.ReversalOf != tx.ID || rev.Metadata["reversal_of"] != tx.ID {
			t.Fatalf("iteration %d: reversal points to %q, want %q", i, rev.ReversalOf, tx.ID)
		}
		if len(rev.Postings) != len(tx.Postings) {
			t.Fatalf("iteration %d: %d reversal postings for %d", i, len(rev.Postings), len(tx.Postings))
		}
		sums := map[postingKey]decimal.Decimal{}
		for _, p := range append(append([]ledger.Posting(nil), tx.Postings...), rev.Postings...) {
			k := postingKey{p.Account, p.Fund, p.Currency.Code}
			sums[k] = sums[k].Add(p.Amount)
		}
		for k, s := range sums {
			if !s.IsZero() {
				t.Fatalf("iteration %d: original and reversal leave %s on %+v", i, s, k)
			}
		}
		if string(tx.ComputeHash(nil)) != string(orig.ComputeHash(nil)) {
			t.Fatalf("iteration %d: Reversal changed the original", i)
		}
		// The reversal of the reversal restores the original postings.
		rev.ID = "rev-id"
		back := rev.Reversal("back", rev.EffectiveDate, "")
		for j, p := range back.Postings {
			if o := tx.Postings[j]; p.Account != o.Account || p.Fund != o.Fund || p.Currency != o.Currency || !p.Amount.Equal(o.Amount) {
				t.Fatalf("iteration %d: posting %d reversed twice is %+v, want %+v", i, j, p, o)
			}
		}
	}
	t.Logf("%d reversals checked", n)
}

// FuzzTransaction builds transactions from fuzzed strings: Validate and
// ComputeHash never panic, the hash is deterministic and survives a second
// Validate, and the reversal of a valid transaction is valid.
func FuzzTransaction(f *testing.F) {
	f.Add("key-1", "Solidarity transfer", "ref", "A-1", "assets:bank:eur", "income:donations:cash", "zhanaozen", "zhanaozen", "1500.00", "EUR", "id-1", int64(1), []byte{1, 2, 3}, int64(15324))
	f.Add("k", "  x  ", "", "", "assets", "assets", "ab", "ab", "0", "JPY", "", int64(-1), []byte(nil), int64(0))
	f.Add("k", "d", "k", "v", "assets:cash", "expenses:grants", "ab", "cd", "1.005", "KWD", "x", int64(1<<62), []byte{}, int64(-700000))
	f.Add("k", "d", "k\xff", "v", "assets:cash", "Expenses", "ab", "-ab", "1e3", "eur", "x", int64(0), []byte{0}, int64(2932896))
	f.Add(" ", "\xff", "k", "v\x00", ":", "", "", "a", "NaN", "", "", int64(0), []byte{}, int64(1))
	f.Add("k", strings.Repeat("ж", 501), "k", "v", "assets:cash", "assets:cash", "ab", "ab", "-0.01", "EUR", "x", int64(0), []byte{}, int64(1))
	f.Fuzz(func(t *testing.T, key, desc, mk, mv, acct1, acct2, fund1, fund2, amount, curCode, id string, seq int64, prev []byte, days int64) {
		cur, err := ledger.LookupCurrency(curCode)
		if err != nil {
			cur = ledger.Currency{Code: curCode, Exponent: 2}
		}
		amt, err := decimal.NewFromString(amount)
		if err != nil || amt.Exponent() < -40 || amt.Exponent() > 40 {
			// Amounts reach the ledger through ParseAmount or the database,
			// never with extreme exponents (which would make formatting slow).
			amt = decimal.New(int64(len(amount)), -2)
		}
		date := time.Unix(days%4_000_000*86400, 0)
		tx := &ledger.Transaction{
			ID:             id,
			Seq:            seq,
			IdempotencyKey: key,
			EffectiveDate:  date,
			Description:    desc,
			Metadata:       map[string]string{mk: mv},
			Postings: []ledger.Posting{
				{Account: acct1, Fund: fund1, Amount: amt, Currency: cur},
				{Account: acct2, Fund: fund2, Amount: amt.Neg(), Currency: cur},
			},
			ReversalOf: id,
			RecordedAt: date.Add(time.Duration(seq % int64(24*time.Hour))),
		}
		h1 := tx.ComputeHash(prev)
		if h2 := cloneTx(tx).ComputeHash(append([]byte(nil), prev...)); string(h1) != string(h2) {
			t.Fatal("ComputeHash is not deterministic")
		}
		if len(h1) != 32 {
			t.Fatalf("hash of %d bytes", len(h1))
		}
		if string(tx.ComputeHash(append(append([]byte(nil), prev...), 0))) == string(h1) {
			t.Fatal("hash does not depend on prev")
		}
		err = tx.Validate()
		if err != nil {
			if ledger.ErrorCode(err) != ledger.EINVALID {
				t.Fatalf("Validate: error code %q: %v", ledger.ErrorCode(err), err)
			}
			return
		}
		// Valid: the normalised transaction hashes the same after another Validate.
		h := tx.ComputeHash(prev)
		if err := tx.Validate(); err != nil {
			t.Fatalf("second Validate: %v", err)
		}
		if string(tx.ComputeHash(prev)) != string(h) {
			t.Fatal("a second Validate changed the hash")
		}
		if tx.Description != strings.TrimSpace(tx.Description) || tx.Description == "" {
			t.Fatalf("description %q not normalised", tx.Description)
		}
		if d := tx.EffectiveDate; d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("date %v not normalised", d)
		}
		if err := ledger.CheckScale(amt, cur); err != nil {
			t.Fatalf("valid transaction with amount %s %s: %v", amt, cur, err)
		}
		if len(id) > 1000 || !utf8.ValidString(id) {
			return // the reversal carries the ID in its metadata; real IDs are UUIDs
		}
		rev := tx.Reversal("rev-"+strings.Repeat("x", min(len(key), 200)), tx.EffectiveDate, "")
		if err := rev.Validate(); err != nil {
			t.Fatalf("reversal of a valid transaction: %v", err)
		}
	})
}
