package i18n

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// sp writes an expected string with ordinary spaces for readability; the
// formatters write U+00A0 there.
func sp(s string) string { return strings.ReplaceAll(s, " ", NBSP) }

var digitSpace = regexp.MustCompile(`(\d) (\d)`)

// spNum is sp for spaces between digits only, as in "1 500 пожертвований".
func spNum(s string) string { return digitSpace.ReplaceAllString(s, "${1}"+NBSP+"${2}") }

func cur(t *testing.T, code string) ledger.Currency {
	t.Helper()
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const big = "123456789012345678901234567890.12"

func TestMoney(t *testing.T) {
	tests := []struct {
		amount, code string
		en, ru, kk   string // ru and kk: spaces are U+00A0
	}{
		{"1500", "EUR", "€1,500.00", "1 500,00 €", "1 500,00 €"},
		{"1500.00", "EUR", "€1,500.00", "1 500,00 €", "1 500,00 €"},
		{"25", "GBP", "£25.00", "25,00 £", "25,00 £"},
		{"10", "USD", "$10.00", "10,00 $", "10,00 $"},
		{"1500", "RUB", "₽1,500.00", "1 500,00 ₽", "1 500,00 ₽"},
		{"196543.21", "KZT", "₸196,543.21", "196 543,21 ₸", "196 543,21 ₸"},
		{"1000000.5", "KZT", "₸1,000,000.50", "1 000 000,50 ₸", "1 000 000,50 ₸"},
		{"1500", "JPY", "¥1,500", "1 500 ¥", "1 500 ¥"},
		{"-1500", "JPY", "-¥1,500", "-1 500 ¥", "-1 500 ¥"},
		{"1.5", "KWD", "KWD 1.500", "1,500 KWD", "1,500 KWD"},
		{"-1234.567", "KWD", "-KWD 1,234.567", "-1 234,567 KWD", "-1 234,567 KWD"},
		{"0", "BHD", "BHD 0.000", "0,000 BHD", "0,000 BHD"},
		{"1500", "SEK", "SEK 1,500.00", "1 500,00 SEK", "1 500,00 SEK"},
		{"200", "CHF", "CHF 200.00", "200,00 CHF", "200,00 CHF"},
		{"12.3", "UAH", "₴12.30", "12,30 ₴", "12,30 ₴"},
		{"25", "PLN", "zł 25.00", "25,00 zł", "25,00 zł"},
		{"-5", "EUR", "-€5.00", "-5,00 €", "-5,00 €"},
		{"-0.01", "EUR", "-€0.01", "-0,01 €", "-0,01 €"},
		{"0", "EUR", "€0.00", "0,00 €", "0,00 €"},
		{"-0.00", "EUR", "€0.00", "0,00 €", "0,00 €"},
		{"999.99", "EUR", "€999.99", "999,99 €", "999,99 €"},
		{"1000", "EUR", "€1,000.00", "1 000,00 €", "1 000,00 €"},
		{"100000", "ISK", "ISK 100,000", "100 000 ISK", "100 000 ISK"},
		{big, "EUR", "€123,456,789,012,345,678,901,234,567,890.12",
			"123 456 789 012 345 678 901 234 567 890,12 €", "123 456 789 012 345 678 901 234 567 890,12 €"},
		{"-" + big, "KZT", "-₸123,456,789,012,345,678,901,234,567,890.12",
			"-123 456 789 012 345 678 901 234 567 890,12 ₸", "-123 456 789 012 345 678 901 234 567 890,12 ₸"},
		{"99999999999999999999999999999999", "JPY", "¥99,999,999,999,999,999,999,999,999,999,999",
			"99 999 999 999 999 999 999 999 999 999 999 ¥", "99 999 999 999 999 999 999 999 999 999 999 ¥"},
		// More decimals than the currency has: never rounded away.
		{"1.005", "EUR", "€1.005", "1,005 €", "1,005 €"},
		{"1.0050", "EUR", "€1.005", "1,005 €", "1,005 €"},
		{"0.5", "JPY", "¥0.5", "0,5 ¥", "0,5 ¥"},
	}
	for _, tt := range tests {
		amount := decimal.RequireFromString(tt.amount)
		c := cur(t, tt.code)
		for _, lw := range []struct {
			l    Lang
			want string
		}{{EN, sp(tt.en)}, {RU, sp(tt.ru)}, {KK, sp(tt.kk)}} {
			got := lw.l.Money(amount, c)
			if got != lw.want {
				t.Errorf("%s.Money(%s %s) = %q, want %q", lw.l, tt.amount, tt.code, got, lw.want)
			}
			if strings.ContainsAny(got, " \u202f") {
				t.Errorf("%s.Money(%s %s) = %q has a breaking or narrow space", lw.l, tt.amount, tt.code, got)
			}
		}
	}
}

func TestMoneyEdgeCases(t *testing.T) {
	eur := ledger.Currency{Code: "EUR", Exponent: 2}
	if got := EN.Money(decimal.Decimal{}, eur); got != "€0.00" {
		t.Errorf("zero value: %q", got)
	}
	if got := RU.Money(decimal.RequireFromString("1500"), ledger.Currency{Code: "eur", Exponent: 2}); got != sp("1 500,00 €") {
		t.Errorf("lower-case code: %q", got)
	}
	if got := EN.Money(decimal.RequireFromString("1500"), ledger.Currency{Code: "XTS", Exponent: 2}); got != sp("XTS 1,500.00") {
		t.Errorf("unknown code: %q", got)
	}
	if got := KK.Money(decimal.RequireFromString("1500"), ledger.Currency{}); got != sp("1 500") {
		t.Errorf("no currency: %q", got)
	}
	if got := Lang("de").Money(decimal.RequireFromString("1500"), eur); got != "€1,500.00" {
		t.Errorf("unsupported language formats as English: %q", got)
	}
	// The amount comes out exactly as it went in, whatever its size.
	for _, s := range []string{"0.01", "1234567890123456789.99", "-98765432109876543210.10"} {
		d := decimal.RequireFromString(s)
		back := strings.NewReplacer(",", "", "€", "").Replace(EN.Money(d, eur))
		if !decimal.RequireFromString(back).Equal(d) {
			t.Errorf("Money(%s) reads back as %s", s, back)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		amount   string
		decimals int32
		en, ru   string
	}{
		{"0", 0, "0", "0"},
		{"999", 0, "999", "999"},
		{"1000", 0, "1,000", "1 000"},
		{"1234567.5", 2, "1,234,567.50", "1 234 567,50"},
		{"-1234567.5", 1, "-1,234,567.5", "-1 234 567,5"},
		{"45.678", 1, "45.7", "45,7"},
		{"2.5", 0, "3", "3"},
		{"-2.5", 0, "-3", "-3"},
		{"-0.004", 2, "0.00", "0,00"},
		{"12.34", -1, "12", "12"},
		{"1000000.5", 3, "1,000,000.500", "1 000 000,500"},
		{big, 2, "123,456,789,012,345,678,901,234,567,890.12", "123 456 789 012 345 678 901 234 567 890,12"},
	}
	for _, tt := range tests {
		d := decimal.RequireFromString(tt.amount)
		if got := EN.Number(d, tt.decimals); got != tt.en {
			t.Errorf("en.Number(%s, %d) = %q, want %q", tt.amount, tt.decimals, got, tt.en)
		}
		for _, l := range []Lang{RU, KK} {
			if got := l.Number(d, tt.decimals); got != sp(tt.ru) {
				t.Errorf("%s.Number(%s, %d) = %q, want %q", l, tt.amount, tt.decimals, got, sp(tt.ru))
			}
		}
	}
}

func TestDate(t *testing.T) {
	en := []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	ru := []string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"}
	kk := []string{"қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде",
		"тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"}
	for m := 1; m <= 12; m++ {
		d := time.Date(2011, time.Month(m), 3, 12, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			l    Lang
			want string
		}{
			{EN, "3 " + en[m-1] + " 2011"},
			{RU, "3 " + ru[m-1] + " 2011 г."},
			{KK, "2011 ж. 3 " + kk[m-1]},
		} {
			if got := c.l.Date(d); got != c.want {
				t.Errorf("%s.Date(%s) = %q, want %q", c.l, d.Format(time.DateOnly), got, c.want)
			}
		}
	}
	sep := time.Date(2011, 9, 3, 0, 0, 0, 0, time.UTC)
	for l, want := range map[Lang]string{EN: "3 September 2011", RU: "3 сентября 2011 г.", KK: "2011 ж. 3 қыркүйек"} {
		if got := l.Date(sep); got != want {
			t.Errorf("%s.Date = %q, want %q", l, got, want)
		}
	}
	// The date is the one in t's own location.
	late := time.Date(2011, 12, 16, 20, 0, 0, 0, time.UTC)
	almaty := time.FixedZone("UTC+5", 5*3600)
	if got := RU.Date(late.In(almaty)); got != "17 декабря 2011 г." {
		t.Errorf("in UTC+5: %q", got)
	}
	if got := KK.Date(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)); got != "2026 ж. 31 қаңтар" {
		t.Errorf("kk: %q", got)
	}
}

func TestPlural(t *testing.T) {
	ru := map[int64]string{
		0: "0 пожертвований", 1: "1 пожертвование", 2: "2 пожертвования", 3: "3 пожертвования",
		4: "4 пожертвования", 5: "5 пожертвований", 11: "11 пожертвований", 12: "12 пожертвований",
		13: "13 пожертвований", 14: "14 пожертвований", 21: "21 пожертвование", 22: "22 пожертвования",
		25: "25 пожертвований", 101: "101 пожертвование", 111: "111 пожертвований", 112: "112 пожертвований",
		1000: "1 000 пожертвований", 1001: "1 001 пожертвование", 1024: "1 024 пожертвования",
		-1: "-1 пожертвование", -12: "-12 пожертвований",
	}
	en := map[int64]string{
		0: "0 donations", 1: "1 donation", 2: "2 donations", 5: "5 donations", 11: "11 donations",
		21: "21 donations", 101: "101 donations", 1500: "1,500 donations", -1: "-1 donation",
	}
	kk := map[int64]string{
		0: "0 жарна", 1: "1 жарна", 2: "2 жарна", 5: "5 жарна", 21: "21 жарна", 1500: "1 500 жарна",
	}
	for _, c := range []struct {
		l    Lang
		want map[int64]string
	}{{RU, ru}, {EN, en}, {KK, kk}} {
		for n, want := range c.want {
			if got := c.l.Plural(n, "fund.donations"); got != spNum(want) {
				t.Errorf("%s.Plural(%d) = %q, want %q", c.l, n, got, spNum(want))
			}
		}
	}
	// No overflow at the edges.
	if got := RU.Plural(math.MinInt64, "fund.donations"); !strings.HasSuffix(got, "пожертвований") {
		t.Errorf("MinInt64: %q", got) // ...808: many
	}
	if got := RU.Plural(math.MaxInt64, "fund.donations"); !strings.HasSuffix(got, "пожертвований") {
		t.Errorf("MaxInt64: %q", got) // ...807: many
	}
	missing := "no.such" + ".plural"
	if got := RU.Plural(3, missing); got != missing {
		t.Errorf("missing plural key: %q", got)
	}
}

func TestPluralCategoriesRussian(t *testing.T) {
	// CLDR: one = n%10=1 and n%100!=11; few = n%10 in 2..4 and n%100 not in
	// 12..14; many = everything else (for integers).
	for n := int64(0); n <= 300; n++ {
		var want category
		switch {
		case n%10 == 1 && n%100 != 11:
			want = one
		case n%10 >= 2 && n%10 <= 4 && !(n%100 >= 12 && n%100 <= 14):
			want = few
		default:
			want = many
		}
		if got := RU.pluralCategory(n); got != want {
			t.Errorf("ru category of %d = %d, want %d", n, got, want)
		}
	}
}
