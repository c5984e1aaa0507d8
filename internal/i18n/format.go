package i18n

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// separators returns l's thousands separator and decimal mark.
func (l Lang) separators() (group, point string) {
	if l.norm() == EN {
		return ",", "."
	}
	return NBSP, ","
}

// symbols are the currency signs used instead of the ISO code. Every other
// currency is written with its code.
var symbols = map[string]string{
	"EUR": "€", "GBP": "£", "USD": "$", "RUB": "₽", "KZT": "₸",
	"JPY": "¥", "UAH": "₴", "PLN": "zł",
}

// Money formats amount in cur for l: "€1,500.00" in English, "1 500,00 €" in
// Russian and Kazakh (with U+00A0, see the package doc), "¥1,500" for JPY,
// "KWD\u00a01.500" for a currency without a well-known symbol, "-€5.00" and
// "-5,00 €" when negative. The amount is written with exactly the currency's
// decimals; it is never rounded: an amount with more decimals than the
// currency allows (which the ledger never stores) is written with all of them.
func (l Lang) Money(amount decimal.Decimal, cur ledger.Currency) string {
	places := cur.Exponent
	if places < 0 {
		places = 0
	}
	s := exactFixed(amount, places)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	num := l.group(s)
	sign := ""
	if neg {
		sign = "-"
	}
	code := strings.ToUpper(strings.TrimSpace(cur.Code))
	sym, ok := symbols[code]
	if !ok {
		sym = code
	}
	if sym == "" {
		return sign + num
	}
	if l.norm() != EN {
		return sign + num + NBSP + sym
	}
	if ok && !isLetters(sym) {
		return sign + sym + num // €1,500.00
	}
	return sign + sym + NBSP + num // SEK 1,500.00, zł 1,500.00
}

// exactFixed writes d with at least places decimals and as many more as it
// needs to be exact.
func exactFixed(d decimal.Decimal, places int32) string {
	if d.Equal(d.Truncate(places)) {
		return d.StringFixed(places) // no rounding happens: d already fits
	}
	s := d.StringFixed(-d.Exponent()) // exact: d's own scale
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		min := dot + 1 + int(places)
		end := len(s)
		for end > min && s[end-1] == '0' {
			end--
		}
		s = s[:end]
	}
	return s
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Number formats amount with l's thousands separator and decimal mark and
// exactly decimals decimal places (0 when negative), rounding half away from
// zero in decimal arithmetic: English "1,234,567.50", Russian and Kazakh
// "1 234 567,50" (U+00A0).
func (l Lang) Number(amount decimal.Decimal, decimals int32) string {
	if decimals < 0 {
		decimals = 0
	}
	s := amount.StringFixed(decimals)
	if strings.HasPrefix(s, "-") {
		return "-" + l.group(s[1:])
	}
	return l.group(s)
}

// group rewrites an unsigned plain decimal string such as "1234567.50" with
// l's separators.
func (l Lang) group(s string) string {
	sep, point := l.separators()
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.Grow(len(s) + len(s)/3*len(sep) + len(point))
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteByte(intPart[i])
	}
	if hasFrac && frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

var (
	enMonths = [12]string{"January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"}
	// Russian months in the genitive, as after a day: "3 сентября".
	ruMonths = [12]string{"января", "февраля", "марта", "апреля", "мая", "июня",
		"июля", "августа", "сентября", "октября", "ноября", "декабря"}
	// Kazakh months; the name does not change after a day: "3 қыркүйек".
	kkMonths = [12]string{"қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
		"шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"}
)

// Date writes the calendar date of t, in t's own location (convert with t.In
// first when that matters): English "3 September 2011", Russian
// "3 сентября 2011 г.", Kazakh "2011 ж. 3 қыркүйек" (CLDR's long date forms).
func (l Lang) Date(t time.Time) string {
	y, m, d := t.Date()
	switch l.norm() {
	case RU:
		return fmt.Sprintf("%d %s %d г.", d, ruMonths[m-1], y)
	case KK:
		return fmt.Sprintf("%d ж. %d %s", y, d, kkMonths[m-1])
	}
	return fmt.Sprintf("%d %s %d", d, enMonths[m-1], y)
}

type category int

const (
	other category = iota
	one
	few
	many
)

// pluralCategory is the CLDR plural category of the integer n in l.
func (l Lang) pluralCategory(n int64) category {
	u := uint64(n)
	if n < 0 {
		u = -u // two's complement: right for math.MinInt64 too
	}
	switch l.norm() {
	case RU:
		mod10, mod100 := u%10, u%100
		switch {
		case mod10 == 1 && mod100 != 11:
			return one
		case mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14):
			return few
		default:
			return many
		}
	case KK:
		return other // the noun after a numeral is singular: "5 жарна"
	}
	if u == 1 {
		return one
	}
	return other
}

func (f forms) get(c category) string {
	switch c {
	case one:
		return f.One
	case few:
		return f.Few
	case many:
		return f.Many
	}
	return f.Other
}

// Plural writes the count n with the plural message key in the form l needs:
// "1 donation", "5 donations"; Russian "1 пожертвование", "2 пожертвования",
// "5 пожертвований", "21 пожертвование", "11 пожертвований"; Kazakh, which has
// no plural after numerals, "5 жарна". The count is formatted as by Number. A
// key missing in Russian or Kazakh falls back to English; one missing in
// English returns the key.
func (l Lang) Plural(n int64, key string) string {
	msg := ""
	if f, ok := l.catalog().plurals[key]; ok {
		msg = f.get(l.pluralCategory(n))
	}
	if msg == "" {
		if f, ok := enPlurals[key]; ok {
			msg = f.get(EN.pluralCategory(n))
		}
	}
	if msg == "" {
		return key
	}
	return fmt.Sprintf(msg, l.Number(decimal.NewFromInt(n), 0))
}
