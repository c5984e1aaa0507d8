// Package statement reads bank statements: ISO 20022 camt.053 files
// (ParseCamt053) and bank CSV exports (ParseCSV). It is the groundwork of
// reconciliation: the lines of a statement are matched against the books.
//
// # Amounts
//
// Every amount is read as text and converted exactly (ledger.ParseAmount);
// nothing is ever rounded. An amount with more decimals than its currency
// allows is an error, unless the surplus decimals are all zeros ("10.500" EUR
// is 10.50 EUR). Line amounts are signed from the account holder's side: a
// credit (money in) is positive, a debit (money out) negative. Balances follow
// the same convention.
//
// # Keys
//
// Every line has a Ref that stays the same when the same statement is read
// again, so a second import can be recognised. It is the bank's own reference
// for the line when the bank gives one that no other line of the statement
// shares: the camt AcctSvcrRef of the entry (with "/1", "/2"... for the
// transactions of a split batch, unless each carries its own AcctSvcrRef), or
// the configured CSV reference column. The placeholders NONREF and NOTPROVIDED
// are no reference.
//
// Otherwise Ref is "sha256:" and the hexadecimal SHA-256 of the line's
// canonical content: the account (upper case, without spaces), the booking
// date, the amount with its currency's decimals and the currency, the
// counterparty, the remittance information, and the occurrence number of
// identical content within the statement (1 for the first line with that
// content, 2 for the second...). Identical lines always share a booking date,
// so two exports that both cover a day whole give that day's lines the same
// keys, in whatever order the bank lists them.
//
// The payer's EndToEndId is deliberately not a key: payers reuse it
// ("NOTPROVIDED", "Spende"), and a returned payment carries the EndToEndId of
// the payment it returns.
//
// # Errors
//
// Every problem with the input is a *ledger.Error with code ledger.EINVALID
// whose message names the statement, the entry or line, and the field. A
// failure to read the input is returned wrapped as it is. Messages never quote
// names or remittance text (personal data); they quote references, amounts
// and dates.
package statement

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// Statement and Line are the domain's bank statement types; the parsers
// fill them.
type (
	Statement = ledger.BankStatement
	Line      = ledger.StatementLine
)

// MaxFileSize bounds the size of a statement file, so that one upload cannot
// exhaust the server. A month of a busy account is a few megabytes.
const MaxFileSize = 64 << 20

// readAll reads r whole, at most MaxFileSize bytes, without a leading UTF-8
// byte order mark.
func readAll(r io.Reader, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if len(data) > MaxFileSize {
		return nil, ledger.Errorf(ledger.EINVALID, "%s is larger than %d MiB", what, MaxFileSize>>20)
	}
	return trimBOM(data), nil
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// parseAmount parses a plain decimal such as "1500.00" for cur (see
// ledger.ParseAmount), first dropping decimals beyond the currency's exponent
// when they are all zeros. Errors name field.
func parseAmount(field, s string, cur ledger.Currency) (decimal.Decimal, error) {
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > int(cur.Exponent) {
		for len(s)-i-1 > int(cur.Exponent) && s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if len(s) == i+1 { // "100.0" in a currency without decimals
			s = s[:i]
		}
	}
	d, err := ledger.ParseAmount(s, cur)
	if err != nil {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: %s", field, ledger.ErrorMessage(err))
	}
	return d, nil
}

// money formats d with cur's decimals: "1500.00 EUR".
func money(d decimal.Decimal, cur ledger.Currency) string {
	return ledger.Money{Amount: d, Currency: cur}.String()
}

// calendarDate returns t's calendar date as written (in t's own location) at
// UTC midnight, or an error when the year is outside 1900 to 9999, the range
// the books accept.
func calendarDate(field string, t time.Time) (time.Time, error) {
	y, m, d := t.Date()
	if y < 1900 || y > 9999 {
		return time.Time{}, ledger.Errorf(ledger.EINVALID, "%s %s is out of range (years 1900 to 9999)", field, t.Format(time.DateOnly))
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// placeholder reports whether a reference is one of the values banks put where
// there is no reference.
func placeholder(ref string) bool {
	switch strings.ToUpper(ref) {
	case "", "NONREF", "NOTPROVIDED", "NOT PROVIDED":
		return true
	}
	return false
}

// cleanText trims s and collapses every run of white space (line breaks
// included) to one space.
func cleanText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// hashWriter builds a canonical, unambiguous byte string: each field is
// written with its length, so no choice of field contents can make two
// different lists of fields look the same.
type hashWriter struct{ b strings.Builder }

func (w *hashWriter) field(s string) {
	w.b.WriteString(strconv.Itoa(len(s)))
	w.b.WriteByte(':')
	w.b.WriteString(s)
	w.b.WriteByte(';')
}

func (w *hashWriter) sum() string {
	h := sha256.Sum256([]byte(w.b.String()))
	return "sha256:" + hex.EncodeToString(h[:])
}

// lineContent is the canonical content of l for its hash key, without the
// occurrence number.
func lineContent(account string, cur ledger.Currency, l *Line) string {
	var w hashWriter
	w.field("fundledger statement line v1")
	w.field(normAccount(account))
	w.field(l.BookingDate.Format(time.DateOnly))
	w.field(l.Amount.StringFixed(cur.Exponent))
	w.field(cur.Code)
	w.field(l.Counterparty)
	w.field(l.Remittance)
	return w.b.String()
}

// assignRefs sets the Ref of every line of st: bankKeys[i] (a candidate bank
// reference for line i, or "") when no other line of st has the same
// candidate, else the SHA-256 key of the line's content.
func assignRefs(st *Statement, bankKeys []string) {
	count := map[string]int{}
	for _, k := range bankKeys {
		if k != "" {
			count[k]++
		}
	}
	occurrence := map[string]int{}
	for i := range st.Lines {
		l := &st.Lines[i]
		if k := bankKeys[i]; k != "" && count[k] == 1 {
			l.Ref = k
			continue
		}
		c := lineContent(st.Account, st.Currency, l)
		occurrence[c]++
		w := hashWriter{}
		w.b.WriteString(c)
		w.field(strconv.Itoa(occurrence[c]))
		l.Ref = w.sum()
	}
}

// contentID derives a statement id from what the statement says, for formats
// that carry none.
func contentID(st *Statement) string {
	var w hashWriter
	w.field("fundledger statement v1")
	w.field(normAccount(st.Account))
	w.field(st.Currency.Code)
	w.field(dateOrEmpty(st.From))
	w.field(dateOrEmpty(st.To))
	w.field(st.OpeningBalance.StringFixed(st.Currency.Exponent))
	w.field(st.ClosingBalance.StringFixed(st.Currency.Exponent))
	w.field(strconv.Itoa(len(st.Lines)))
	for i := range st.Lines {
		w.field(st.Lines[i].Ref)
	}
	return w.sum()
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// normAccount writes an account id in upper case without spaces, so that
// "DE89 3704 0044 0532 0130 00" and "DE89370400440532013000" compare equal.
func normAccount(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}
