package ledger_test

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		amount, currency string
		want             string // exact decimal value when accepted
		wantCode         string // currency code of the result
	}{
		{"1500", "EUR", "1500", "EUR"},
		{"1500.00", "EUR", "1500.00", "EUR"},
		{"12.5", "EUR", "12.5", "EUR"},
		{"12.50", "EUR", "12.5", "EUR"},
		{"0.01", "EUR", "0.01", "EUR"},
		{"-3", "EUR", "-3", "EUR"},
		{"-12.34", "EUR", "-12.34", "EUR"},
		{"0", "EUR", "0", "EUR"},
		{"0.00", "EUR", "0", "EUR"},
		{"-0", "EUR", "0", "EUR"},
		{"007", "EUR", "7", "EUR"},
		{"1500", "eur", "1500", "EUR"},
		{"1500", "Eur", "1500", "EUR"},
		{"1500", "JPY", "1500", "JPY"},
		{"-1500", "jpy", "-1500", "JPY"},
		{"1", "KWD", "1", "KWD"},
		{"1.5", "KWD", "1.5", "KWD"},
		{"1.500", "KWD", "1.5", "KWD"},
		{"1.501", "KWD", "1.501", "KWD"},
		{"-0.001", "BHD", "-0.001", "BHD"},
		{"99999999999999999999.99", "USD", "99999999999999999999.99", "USD"},
		{"0.10", "GBP", "0.1", "GBP"},
		{"123456789012345678901234567890123456789", "JPY", "123456789012345678901234567890123456789", "JPY"},
		{"1234567890123456789012345678901234567890", "JPY", "1234567890123456789012345678901234567890", "JPY"}, // exactly 40 bytes
	} {
		t.Run(tc.currency+"/"+tc.amount, func(t *testing.T) {
			m, err := ledger.ParseMoney(tc.amount, tc.currency)
			if err != nil {
				t.Fatalf("ParseMoney(%q, %q): %v", tc.amount, tc.currency, err)
			}
			if !m.Amount.Equal(dec(tc.want)) {
				t.Errorf("amount = %s, want exactly %s", m.Amount, tc.want)
			}
			// Exact: the value is the one the string denotes, digit for digit.
			if !m.Amount.Equal(decimal.RequireFromString(tc.amount)) {
				t.Errorf("amount = %s, want exactly the input %s", m.Amount, tc.amount)
			}
			if m.Currency != mustCurrency(t, tc.wantCode) {
				t.Errorf("currency = %+v, want %s", m.Currency, tc.wantCode)
			}
		})
	}
}

func TestParseMoneyRejects(t *testing.T) {
	long := strings.Repeat("1", 41)
	huge := strings.Repeat("9", 10000)
	for _, tc := range []struct {
		name, amount, currency string
		subs                   []string // the message must contain each
	}{
		{"too many decimals EUR", "12.345", "EUR", []string{`"12.345"`, "3 decimal places", "EUR allows at most 2"}},
		{"too many decimals EUR zero digits", "1.000", "EUR", []string{"EUR allows at most 2"}},
		{"too many decimals EUR tiny", "0.001", "EUR", []string{"EUR allows at most 2"}},
		{"decimals JPY", "1500.5", "JPY", []string{"1 decimal places", "JPY allows at most 0"}},
		{"decimals JPY zero", "1500.0", "JPY", []string{"JPY allows at most 0"}},
		{"decimals KWD", "1.5001", "KWD", []string{"4 decimal places", "KWD allows at most 3"}},
		{"empty", "", "EUR", []string{"amount is required"}},
		{"exponent", "1e3", "EUR", []string{"not a decimal number"}},
		{"exponent upper", "1E3", "EUR", []string{"not a decimal number"}},
		{"negative exponent", "1e-2", "EUR", []string{"not a decimal number"}},
		{"thousands comma", "1,500.00", "EUR", []string{"not a decimal number"}},
		{"decimal comma", "12,50", "EUR", []string{"not a decimal number"}},
		{"thousands space", "1 500", "EUR", []string{"not a decimal number"}},
		{"thousands underscore", "1_500", "EUR", []string{"not a decimal number"}},
		{"thousands apostrophe", "1'500", "EUR", []string{"not a decimal number"}},
		{"plus", "+5", "EUR", []string{"not a decimal number"}},
		{"leading space", " 5", "EUR", []string{"not a decimal number"}},
		{"trailing space", "5 ", "EUR", []string{"not a decimal number"}},
		{"leading tab", "\t5", "EUR", []string{"not a decimal number"}},
		{"trailing newline", "5\n", "EUR", []string{"not a decimal number"}},
		{"NUL", "5\x00", "EUR", []string{"not a decimal number"}},
		{"trailing point", "5.", "EUR", []string{"not a decimal number"}},
		{"leading point", ".5", "EUR", []string{"not a decimal number"}},
		{"minus point", "-.5", "EUR", []string{"not a decimal number"}},
		{"two points", "1.2.3", "EUR", []string{"not a decimal number"}},
		{"adjacent points", "1..2", "EUR", []string{"not a decimal number"}},
		{"point only", ".", "EUR", []string{"not a decimal number"}},
		{"minus only", "-", "EUR", []string{"not a decimal number"}},
		{"double minus", "--5", "EUR", []string{"not a decimal number"}},
		{"minus space", "- 5", "EUR", []string{"not a decimal number"}},
		{"trailing minus", "5-", "EUR", []string{"not a decimal number"}},
		{"inner minus", "5-3", "EUR", []string{"not a decimal number"}},
		{"minus in decimals", "5.-3", "EUR", []string{"not a decimal number"}},
		{"hex", "0x10", "EUR", []string{"not a decimal number"}},
		{"binary", "0b10", "EUR", []string{"not a decimal number"}},
		{"NaN", "NaN", "EUR", []string{"not a decimal number"}},
		{"Inf", "Inf", "EUR", []string{"not a decimal number"}},
		{"minus Inf", "-Inf", "EUR", []string{"not a decimal number"}},
		{"Infinity", "Infinity", "EUR", []string{"not a decimal number"}},
		{"arabic-indic digits", "١٢", "EUR", []string{"not a decimal number"}},
		{"fullwidth digits", "１２", "EUR", []string{"not a decimal number"}},
		{"devanagari digits", "१२", "EUR", []string{"not a decimal number"}},
		{"superscript", "²", "EUR", []string{"not a decimal number"}},
		{"fraction", "½", "EUR", []string{"not a decimal number"}},
		{"currency sign", "€5", "EUR", []string{"not a decimal number"}},
		{"currency suffix", "5 EUR", "EUR", []string{"not a decimal number"}},
		{"unicode minus", "−5", "EUR", []string{"not a decimal number"}},
		{"invalid utf-8", "5\xff", "EUR", []string{"not a decimal number"}},
		{"41 bytes", long, "JPY", []string{"too long"}},
		{"10000 bytes", huge, "EUR", []string{"too long"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ledger.ParseMoney(tc.amount, tc.currency)
			wantInvalid(t, err, tc.subs...)
			if m != (ledger.Money{}) {
				t.Errorf("ParseMoney returned %+v with its error, want the zero Money", m)
			}
			// The message is for people: it never echoes an unbounded input.
			if n := len(ledger.ErrorMessage(err)); n > 300 {
				t.Errorf("error message is %d bytes long", n)
			}
		})
	}
}

func TestParseMoneyUnknownCurrency(t *testing.T) {
	for _, code := range []string{"", "XXX", "EURO", "EU", "E", "€", "XAU", "BTC", "eur1", "E UR", "EUR\x00"} {
		_, err := ledger.ParseMoney("10", code)
		if code == "" {
			wantInvalid(t, err, "currency is required")
		} else {
			wantInvalid(t, err, "not a supported ISO 4217 code")
		}
	}
	// The currency is checked before the amount.
	_, err := ledger.ParseMoney("1e3", "XXX")
	wantInvalid(t, err, "currency")
}

func TestLookupCurrency(t *testing.T) {
	for code, exp := range map[string]int32{"EUR": 2, "usd": 2, "Gbp": 2, "JPY": 0, "isk": 0, "KRW": 0, "CLP": 0, "KWD": 3, "bhd": 3, "OMR": 3, "JOD": 3, "TND": 3} {
		c, err := ledger.LookupCurrency(code)
		if err != nil {
			t.Errorf("LookupCurrency(%q): %v", code, err)
			continue
		}
		if c.Code != strings.ToUpper(code) || c.Exponent != exp {
			t.Errorf("LookupCurrency(%q) = %+v, want {%s %d}", code, c, strings.ToUpper(code), exp)
		}
		if c.String() != c.Code {
			t.Errorf("%+v.String() = %q", c, c.String())
		}
	}
}

func TestCurrencies(t *testing.T) {
	cs := ledger.Currencies()
	if len(cs) < 3 {
		t.Fatalf("only %d currencies", len(cs))
	}
	seen := map[string]bool{}
	iso := regexp.MustCompile(`^[A-Z]{3}$`)
	for i, c := range cs {
		if i > 0 && cs[i-1].Code >= c.Code {
			t.Errorf("Currencies not sorted or not unique at %d: %s then %s", i, cs[i-1].Code, c.Code)
		}
		if seen[c.Code] {
			t.Errorf("duplicate currency %s", c.Code)
		}
		seen[c.Code] = true
		if !iso.MatchString(c.Code) {
			t.Errorf("currency code %q is not three upper-case letters", c.Code)
		}
		// The database's currencies table allows exponents 0 to 4.
		if c.Exponent < 0 || c.Exponent > 4 {
			t.Errorf("currency %s has exponent %d", c.Code, c.Exponent)
		}
		got, err := ledger.LookupCurrency(strings.ToLower(c.Code))
		if err != nil || got != c {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want %+v", strings.ToLower(c.Code), got, err, c)
		}
	}
	// Callers may not change the package's table through the returned slice.
	cs[0].Exponent = 7
	if ledger.Currencies()[0].Exponent == 7 {
		t.Error("Currencies returns the package's own storage")
	}
}

// TestParseAmountNeverRounds checks, for every currency, that one digit more
// than the currency allows is refused, and exactly the allowed digits are kept.
func TestParseAmountNeverRounds(t *testing.T) {
	for _, cur := range ledger.Currencies() {
		allowed := "7"
		if cur.Exponent > 0 {
			allowed = "7." + strings.Repeat("9", int(cur.Exponent))
		}
		d, err := ledger.ParseAmount(allowed, cur)
		if err != nil || !d.Equal(dec(allowed)) {
			t.Errorf("%s: ParseAmount(%q) = %s, %v; want exactly %s", cur, allowed, d, err, allowed)
		}
		for _, s := range []string{
			"7." + strings.Repeat("9", int(cur.Exponent)+1),
			"7." + strings.Repeat("0", int(cur.Exponent)) + "1",
			"-7." + strings.Repeat("0", int(cur.Exponent)) + "5",
			"0." + strings.Repeat("0", int(cur.Exponent)) + "4",
		} {
			d, err := ledger.ParseAmount(s, cur)
			if !checkInvalid(t, err, "decimal places", cur.Code) {
				t.Errorf("%s: ParseAmount(%q) = %s: more decimals than allowed must be refused, never rounded", cur, s, d)
			}
		}
	}
}

func TestMoneyString(t *testing.T) {
	for _, tc := range []struct {
		amount, cur, want string
	}{
		{"1500", "EUR", "1500.00 EUR"},
		{"12.5", "EUR", "12.50 EUR"},
		{"-3", "EUR", "-3.00 EUR"},
		{"1500", "JPY", "1500 JPY"},
		{"1.5", "KWD", "1.500 KWD"},
		{"0", "USD", "0.00 USD"},
	} {
		m, err := ledger.ParseMoney(tc.amount, tc.cur)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.String(); got != tc.want {
			t.Errorf("ParseMoney(%q, %q).String() = %q, want %q", tc.amount, tc.cur, got, tc.want)
		}
	}
}

func TestCheckScale(t *testing.T) {
	eur, jpy, kwd := mustCurrency(t, "EUR"), mustCurrency(t, "JPY"), mustCurrency(t, "KWD")
	for _, tc := range []struct {
		d   decimal.Decimal
		cur ledger.Currency
		ok  bool
	}{
		{dec("1.23"), eur, true},
		{dec("1.230"), eur, true}, // the value has two decimals, however it is scaled
		{dec("-1.23"), eur, true},
		{dec("1.235"), eur, false},
		{dec("-1.235"), eur, false},
		{dec("0.001"), eur, false},
		{dec("-0.001"), eur, false},
		{decimal.New(1, 30), eur, true},
		{decimal.New(1, -30), eur, false},
		{dec("100"), jpy, true},
		{dec("100.0"), jpy, true},
		{dec("1.5"), jpy, false},
		{dec("-0.5"), jpy, false},
		{dec("1.500"), kwd, true},
		{dec("-0.001"), kwd, true},
		{dec("0.0001"), kwd, false},
		{dec("-1.0005"), kwd, false},
		{decimal.Zero, kwd, true},
	} {
		err := ledger.CheckScale(tc.d, tc.cur)
		if tc.ok && err != nil {
			t.Errorf("CheckScale(%s, %s): %v", tc.d, tc.cur, err)
		}
		if !tc.ok {
			if err == nil {
				t.Errorf("CheckScale(%s, %s) = nil, want an error", tc.d, tc.cur)
			} else {
				wantInvalid(t, err, "more decimal places than "+tc.cur.Code)
			}
		}
	}
}

// maxAmountLen is ParseAmount's limit on the length of its input.
const maxAmountLen = 40

// TestParseAmountCanonicalFormParses is a regression test for a bug found by
// FuzzParseAmount: the 40-byte limit applies to the input string, so ParseAmount
// accepts an amount such as "1000000000000000000000000000000000000" TND (37
// bytes) whose canonical form, d.StringFixed(3) =
// "1000000000000000000000000000000000000.000" (41 bytes, what Money.String
// prints), it then refuses as too long. Either such amounts must be refused in
// the first place (a bound on the integer digits), or the canonical form of
// every accepted amount must parse back to the same value.
//
// While the bug is unfixed the test reports SKIP with the failing inputs; once
// ParseAmount is fixed the test passes, and the skip below should be turned
// into t.Errorf so the bug cannot return.
func TestParseAmountCanonicalFormParses(t *testing.T) {
	var failures []string
	for _, cur := range ledger.Currencies() {
		for _, s := range []string{
			"1000000000000000000000000000000000000",      // found by the fuzzer (TND)
			strings.Repeat("9", maxAmountLen),            // the longest accepted input
			"-" + strings.Repeat("9", maxAmountLen-1),    // the same with a sign
			strings.Repeat("9", maxAmountLen-2) + ".5",   // decimals, if the currency has them
			"0000" + strings.Repeat("9", maxAmountLen-4), // leading zeros are dropped by the canonical form
		} {
			d, err := ledger.ParseAmount(s, cur)
			if err != nil {
				continue // refusing it is a fine fix
			}
			canon := d.StringFixed(cur.Exponent)
			back, err := ledger.ParseAmount(canon, cur)
			if err != nil || !back.Equal(d) {
				failures = append(failures, fmt.Sprintf("ParseAmount(%q, %s) accepted, canonical %q -> %v", s, cur, canon, err))
			}
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d accepted amounts whose canonical form does not parse, e.g.\n%s",
			len(failures), strings.Join(failures[:min(3, len(failures))], "\n"))
	}
}

// amountGrammar is ParseAmount's documented grammar: an optional leading
// minus, digits, and optionally a point followed by digits.
var amountGrammar = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// FuzzParseAmount checks ParseAmount against its documented grammar and
// against math/big as an independent decimal parser.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"1500", "1500.00", "12.5", "12.345", "1.500", "1.5001", "-3", "-0", "0", "007",
		"", "1e3", "1,500.00", "+5", " 5", "5.", ".5", "--5", "0x10", "NaN", "Inf", "١٢",
		"-", ".", "1.2.3", "-.5", "5\x00", "\xff", strings.Repeat("9", 40), strings.Repeat("9", 41),
		"-" + strings.Repeat("9", 39), "0." + strings.Repeat("0", 37) + "1",
	} {
		for cur := range uint8(4) {
			f.Add(s, cur)
		}
	}
	currencies := ledger.Currencies()
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		cur := currencies[int(ci)%len(currencies)]
		d, err := ledger.ParseAmount(s, cur)
		grammatical := len(s) <= maxAmountLen && amountGrammar.MatchString(s)
		if err != nil {
			if ledger.ErrorCode(err) != ledger.EINVALID {
				t.Fatalf("ParseAmount(%q, %s): error code %q, want %q (%v)", s, cur, ledger.ErrorCode(err), ledger.EINVALID, err)
			}
			if d != (decimal.Decimal{}) {
				t.Fatalf("ParseAmount(%q, %s) returned %s with its error", s, cur, d)
			}
			if n := len(ledger.ErrorMessage(err)); n > 300 {
				t.Fatalf("ParseAmount(%q, %s): %d-byte error message", s, cur, n)
			}
			// A refused grammatical amount must have too many decimals, or be
			// too large to write with its currency's decimals in 40 bytes.
			if grammatical && !strings.Contains(ledger.ErrorMessage(err), "too large") {
				_, frac, _ := strings.Cut(s, ".")
				if len(frac) <= int(cur.Exponent) {
					t.Fatalf("ParseAmount(%q, %s) refused a well-formed amount with %d decimals: %v", s, cur, len(frac), err)
				}
			}
			return
		}
		// Accepted: only the grammar, and never too many decimals.
		if !grammatical {
			t.Fatalf("ParseAmount(%q, %s) = %s: accepted an input outside -?digits(.digits)? of at most 40 bytes", s, cur, d)
		}
		if _, frac, _ := strings.Cut(s, "."); len(frac) > int(cur.Exponent) {
			t.Fatalf("ParseAmount(%q, %s) = %s: accepted %d decimals", s, cur, d, len(frac))
		}
		if err := ledger.CheckScale(d, cur); err != nil {
			t.Fatalf("ParseAmount(%q, %s) = %s, which fails CheckScale: %v", s, cur, d, err)
		}
		// Exact: the same rational number math/big reads from the string.
		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("math/big cannot read %q, which ParseAmount accepted", s)
		}
		if d.Rat().Cmp(want) != 0 {
			t.Fatalf("ParseAmount(%q, %s) = %s, want exactly %s", s, cur, d, want.FloatString(int(cur.Exponent)))
		}
		// Round trip through the canonical form with exactly the currency's decimals.
		canon := d.StringFixed(cur.Exponent)
		back, err := ledger.ParseAmount(canon, cur)
		if err != nil {
			t.Fatalf("ParseAmount(%q, %s) = %s, but its canonical form %q does not parse: %v", s, cur, d, canon, err)
		}
		if !back.Equal(d) {
			t.Fatalf("round trip %q -> %s -> %q -> %s", s, d, canon, back)
		}
		if m := (ledger.Money{Amount: d, Currency: cur}); m.String() != canon+" "+cur.Code {
			t.Fatalf("Money.String() = %q, want %q", m.String(), canon+" "+cur.Code)
		}
	})
}
