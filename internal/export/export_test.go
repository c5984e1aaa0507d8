package export

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"hledger": Hledger, "beancount": Beancount, " HLedger ": Hledger, "Beancount": Beancount} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ledger", "csv", "hledger2"} {
		_, err := ParseFormat(in)
		if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), "hledger") || !strings.Contains(ledger.ErrorMessage(err), "beancount") {
			t.Errorf("ParseFormat(%q): %v; want EINVALID naming hledger and beancount", in, err)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, c := range []struct{ amount, cur, want string }{
		{"1500", "JPY", "1500 JPY"},
		{"-1500", "JPY", "-1500 JPY"},
		{"1.5", "KWD", "1.500 KWD"},
		{"1500", "KWD", "1500.000 KWD"},
		{"-0.001", "KWD", "-0.001 KWD"},
		{"1500", "EUR", "1500.00 EUR"},
		{"1500.5", "EUR", "1500.50 EUR"},
		{"-0.01", "GBP", "-0.01 GBP"},
		{"125000.50", "KZT", "125000.50 KZT"},
		{"12345678901234567890.12", "SEK", "12345678901234567890.12 SEK"},
	} {
		got, err := FormatAmount(decimal.RequireFromString(c.amount), mustCurrency(t, c.cur))
		if err != nil || got != c.want {
			t.Errorf("FormatAmount(%s %s) = %q, %v; want %q", c.amount, c.cur, got, err, c.want)
		}
	}
	for _, c := range []struct{ amount, cur string }{{"0.5", "JPY"}, {"1.5001", "KWD"}, {"0.001", "EUR"}} {
		if got, err := FormatAmount(decimal.RequireFromString(c.amount), mustCurrency(t, c.cur)); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("FormatAmount(%s %s) = %q, %v; want EINVALID, never rounded", c.amount, c.cur, got, err)
		}
	}
}

var beancountAccountRE = regexp.MustCompile(`^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$`)

func TestBeancountAccount(t *testing.T) {
	cases := map[string]string{
		"assets":                         "Assets:0-Root",
		"liabilities":                    "Liabilities:0-Root",
		"equity":                         "Equity:0-Root",
		"income":                         "Income:0-Root",
		"expenses":                       "Expenses:0-Root",
		"assets:bank:eur":                "Assets:Bank:Eur",
		"assets:cheques_in_transit":      "Assets:Cheques-in-transit",
		"income:donations:bank_transfer": "Income:Donations:Bank-transfer",
		"liabilities:grants_payable":     "Liabilities:Grants-payable",
		"equity:interfund":               "Equity:Interfund",
		"expenses:fees:stripe":           "Expenses:Fees:Stripe",
		"assets:x":                       "Assets:X",
		"assets:a1__b_":                  "Assets:A1--b-",
		"assets:a_1":                     "Assets:A-1",
		"assets:a1":                      "Assets:A1",
		"assets:root":                    "Assets:Root",
		"assets:assets":                  "Assets:Assets",
	}
	seen := map[string]string{}
	for code, want := range cases {
		got, err := BeancountAccount(code)
		if err != nil || got != want {
			t.Errorf("BeancountAccount(%q) = %q, %v; want %q", code, got, err, want)
		}
		if !beancountAccountRE.MatchString(got) {
			t.Errorf("BeancountAccount(%q) = %q is not a beancount account", code, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both map to %q", code, other, got)
		}
		seen[got] = code
		if back := inverseBeancountAccount(got); back != code {
			t.Errorf("the inverse of %q is %q, want %q", got, back, code)
		}
	}
	// Injective over every code of up to two segments of up to three characters
	// from a small alphabet that has every kind of character a code may hold.
	alphabet := []string{"a", "b", "z", "0", "9", "_"}
	var segs []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		if prefix != "" && prefix[0] >= 'a' && prefix[0] <= 'z' {
			segs = append(segs, prefix)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 3)
	seen = map[string]string{}
	n := 0
	for _, root := range []string{"assets", "equity"} {
		codes := []string{root}
		for _, s1 := range segs {
			codes = append(codes, root+":"+s1)
			for _, s2 := range segs {
				codes = append(codes, root+":"+s1+":"+s2)
			}
		}
		for _, code := range codes {
			got, err := BeancountAccount(code)
			if err != nil {
				t.Fatalf("BeancountAccount(%q): %v", code, err)
			}
			if other, dup := seen[got]; dup {
				t.Fatalf("%q and %q both map to %q", code, other, got)
			}
			if !beancountAccountRE.MatchString(got) {
				t.Fatalf("BeancountAccount(%q) = %q is not a beancount account", code, got)
			}
			seen[got] = code
			n++
		}
	}
	t.Logf("%d codes map to %d distinct valid names", n, len(seen))
	for _, bad := range []string{"", "Assets:bank", "assets:", "assets::x", "assets:1x", "assets:bank-eur", "things:x", "assets:Bank"} {
		if got, err := BeancountAccount(bad); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("BeancountAccount(%q) = %q, %v; want EINVALID", bad, got, err)
		}
	}
}

// inverseBeancountAccount is the inverse of BeancountAccount as documented.
func inverseBeancountAccount(name string) string {
	parts := strings.Split(name, ":")
	if len(parts) == 2 && parts[1] == rootLeaf {
		parts = parts[:1]
	}
	for i, p := range parts {
		parts[i] = strings.ToLower(p[:1]) + strings.ReplaceAll(p[1:], "-", "_")
	}
	return strings.Join(parts, ":")
}

var beancountKeyRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_-]+$`)

func TestMetaKey(t *testing.T) {
	cases := map[string]string{
		"donation_id": "donation_id",
		"channel":     "channel",
		"rate":        "rate",
		"donorName":   "donorName",
		"a1":          "a1",
		"k":           "x-k",
		"id":          "x-id",
		"seq":         "x-seq",
		"reversal_of": "x-reversal_of",
		"fund":        "x-fund",
		"date":        "x-date",
		"type":        "x-type",
		"filename":    "x-filename",
		"Key":         "x-Key",
		"1st":         "x-1st",
		"_x":          "x-_x",
		"donor name":  "x-donor-20name",
		"donor-name":  "x-donor-2Dname",
		"x-k":         "x-x-2Dk",
		"a:b,c":       "x-a-3Ab-2Cc",
		"Ключ":        "x--D0-9A-D0-BB-D1-8E-D1-87",
		"%":           "x--25",
	}
	seen := map[string]string{}
	for k, want := range cases {
		got := MetaKey(k)
		if got != want {
			t.Errorf("MetaKey(%q) = %q, want %q", k, got, want)
		}
		if !beancountKeyRE.MatchString(got) {
			t.Errorf("MetaKey(%q) = %q is not a beancount metadata key", k, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both map to %q", k, other, got)
		}
		seen[got] = k
		if back := decodeMetaKey(t, got); back != k {
			t.Errorf("the inverse of %q is %q, want %q", got, back, k)
		}
	}
}

func TestTagValue(t *testing.T) {
	for in, want := range map[string]string{
		"bank_transfer":  "bank_transfer",
		"a, b":           "a%2C b",
		"100%":           "100%25",
		"  padded  ":     "%20%20padded%20%20",
		"line\nbreak\r":  "line%0Abreak%0D",
		"tab\t":          "tab%09",
		"a;b|c:d":        "a;b|c:d",
		"Жаңаөзен":       "Жаңаөзен",
		"\u00a0nbsp":     "%C2%A0nbsp",
		"para\u2029":     "para%E2%80%A9",
		"bad\xffbyte":    "bad%FFbyte",
		"":               "",
		" ":              "%20",
		"\"q\" \\ back ": "\"q\" \\ back%20",
	} {
		got := tagValue(in)
		if got != want {
			t.Errorf("tagValue(%q) = %q, want %q", in, got, want)
		}
		if back, err := url.PathUnescape(got); err != nil || back != in {
			t.Errorf("tagValue(%q) = %q unescapes to %q, %v", in, got, back, err)
		}
	}
}

func TestHledgerDescription(t *testing.T) {
	for _, c := range []struct {
		in, want string
		changed  bool
	}{
		{"Donation by bank transfer", "Donation by bank transfer", false},
		{"Payee | note", "Payee | note", false},
		{"Rent; March", "Rent； March", true},
		{"two\nlines\ttab", "two lines tab", true},
		{"Жаңаөзен \"Ақжол\" \\", "Жаңаөзен \"Ақжол\" \\", false},
		{"\x01x", "x", true},
	} {
		got, changed := hledgerDescription(c.in)
		if got != c.want || changed != c.changed {
			t.Errorf("hledgerDescription(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                `"plain"`,
		`say "hi" \ bye`:       `"say \"hi\" \\ bye"`,
		"a\nb\tc\rd\fe\bf":     `"a\nb\tc\rd\fe\bf"`,
		"Жаңаөзен; | ☭":        `"Жаңаөзен; | ☭"`,
		"bad\xff":              "\"bad\uFFFD\"",
		"\\n is not a newline": `"\\n is not a newline"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	b := newTestBooks(t)
	ctx := context.Background()

	for _, f := range []Format{Hledger, Beancount} {
		// The destination fails in the header, in the transactions, at the end.
		var full bytes.Buffer
		if err := Write(ctx, &full, f, b.src, nil); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 100, 6000, full.Len() - 10} {
			diskFull := errors.New("disk full")
			err := Write(ctx, &failingWriter{n: n, err: diskFull}, f, b.src, nil)
			if !errors.Is(err, diskFull) || !strings.HasPrefix(err.Error(), "export: write: ") {
				t.Errorf("%s, destination failing after %d of %d bytes: %v", f, n, full.Len(), err)
			}
		}
	}

	if err := Write(ctx, &bytes.Buffer{}, Format("csv"), b.src, nil); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Errorf("format csv: %v", err)
	}
	nope := "nope"
	if err := Write(ctx, &bytes.Buffer{}, Hledger, b.src, &nope); ledger.ErrorCode(err) != ledger.ENOTFOUND || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown fund: %v", err)
	}

	// The source fails: each error comes back wrapped with the operation.
	closed := pgtest.NewDB(t)
	closed.Close()
	fs, closedFS := postgres.NewFundService(b.db), postgres.NewFundService(closed)
	txs, closedTxs := postgres.NewTransactionService(b.db), postgres.NewTransactionService(closed)
	for _, c := range []struct {
		src  Books
		want string
	}{
		{Books{Chart: closedFS, Funds: fs, Transactions: txs}, "export: list accounts: "},
		{Books{Chart: fs, Funds: closedFS, Transactions: txs}, "export: list funds: "},
		{Books{Chart: fs, Funds: fs, Transactions: closedTxs}, "export: read transactions: "},
	} {
		var out bytes.Buffer
		err := Write(ctx, &out, Beancount, c.src, nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("source failing: %v; want an error starting %q", err, c.want)
		}
		t.Logf("%v (code %s)", err, ledger.ErrorCode(err))
	}

	// A callback error is the source's error too: a cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := Write(cctx, &bytes.Buffer{}, Hledger, b.src, nil); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "export: ") {
		t.Errorf("cancelled: %v", err)
	}
}

// TestExportEmptyBooks checks that books with no fund and no transaction
// export as valid files.
func TestExportEmptyBooks(t *testing.T) {
	db := pgtest.NewDB(t)
	fs := postgres.NewFundService(db)
	src := Books{Chart: fs, Funds: fs, Transactions: postgres.NewTransactionService(db)}
	h := writeFile(t, src, Hledger, nil)
	if stdout, stderr := run(t, "hledger", "--strict", "-f", h, "check"); stdout+stderr != "" {
		t.Fatalf("hledger check said:\n%s%s", stdout, stderr)
	}
	if out, _ := run(t, "hledger", "-f", h, "balance", "--flat", "--no-total", "--layout=bare", "-O", "csv"); len(readCSV(t, out, "account", "commodity", "balance")) != 0 {
		t.Fatalf("balances of empty books:\n%s", out)
	}
	bc := writeFile(t, src, Beancount, nil)
	if stdout, stderr := run(t, "bean-check", bc); stdout+stderr != "" {
		t.Fatalf("bean-check said:\n%s%s", stdout, stderr)
	}
}
