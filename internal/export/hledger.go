package export

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
)

// The hledger journal (checked with hledger 1.25):
//
//	; fundledger books
//	; Exported by fundledger on 2026-01-02T03:04:05Z.
//	decimal-mark .
//	commodity 1.00 EUR
//	commodity 1. JPY
//	commodity 1.000 KWD
//	; Bank account (EUR)
//	account assets:bank:eur  ; type:A
//	2011-12-20 * Donation by bank transfer  ; id:…, seq:1, channel:bank_transfer, donation_id:…
//	    assets:bank:eur                  1500.00 EUR  ; fund:zhanaozen
//	    income:donations:bank_transfer  -1500.00 EUR  ; fund:zhanaozen
//
// "decimal-mark ." makes "1.500 KWD" one and a half dinars, never 1500. There
// is a commodity directive for every currency the ledger supports, which
// covers every currency used without a second pass over the transactions; it
// fixes the decimals hledger shows. hledger 1.25 wants a decimal mark in a
// commodity directive, hence "1. JPY" for a currency without decimals.
// Accounts carry their type as a type: tag (A, L, E, R, X) and their name in
// the comment line above them; an account a transaction uses that is not in
// the chart read at the start is declared just before that transaction.
//
// Text: hledger has no escapes in a description, which ends at ";" and at the
// end of the line. So in a description ";" is written as "；" (U+FF1B) and
// control characters (newlines, tabs) and U+2028/U+2029 as spaces, the result
// trimmed; when that changed the description, the exact description is kept
// in a description: tag as well. A description that starts with "(" is
// preceded by an empty transaction code "()" so hledger does not take its
// start for a code. "|" is kept: hledger reads the whole description, and only
// its payee/note split sees the bar. Tag values end at "," and at the end of
// the line and are trimmed, so in a tag value "%", ",", control characters,
// U+2028, U+2029, invalid UTF-8 and leading and trailing white space are
// percent-escaped as the bytes of their UTF-8 encoding ("%2C" for ","); any
// other text, Cyrillic and Kazakh letters included, is written as it is.
// url.PathUnescape reverses the escaping.

type hledgerEncoder struct {
	out      *lineWriter
	declared map[string]bool
	width    int // of the account column
}

func newHledger(out *lineWriter, h *header) *hledgerEncoder {
	e := &hledgerEncoder{out: out, declared: map[string]bool{}, width: len(ledger.AccountInterfund)}
	for _, a := range h.accounts {
		e.width = max(e.width, min(len(a.Code), 60))
	}
	return e
}

// hledgerTypes are the type: tags of hledger's account directives.
var hledgerTypes = map[ledger.AccountType]string{
	ledger.Asset: "A", ledger.Liability: "L", ledger.Equity: "E", ledger.Income: "R", ledger.Expense: "X",
}

func (e *hledgerEncoder) header(h *header) {
	out := e.out
	out.printf("; %s\n", title(h))
	out.printf("; Exported by fundledger on %s.\n", h.generated.Format(time.RFC3339))
	if h.fund != nil {
		out.printf("; Only the postings of fund %s. Where they do not balance on their own (a transfer\n", h.fund.Slug)
		out.printf("; between funds), a posting to %s tagged generated:interfund balances them.\n", ledger.AccountInterfund)
	}
	out.printf("; Postings carry their fund as a fund: tag; tag values are percent-escaped (%%2C is a comma).\n\n")
	out.printf("decimal-mark .\n\n")
	for _, c := range ledger.Currencies() {
		out.printf("commodity 1.%s %s\n", strings.Repeat("0", int(c.Exponent)), c.Code)
	}
	out.printf("\n")
	for _, a := range h.accounts {
		if strings.TrimSpace(a.Name) != "" {
			out.printf("; %s\n", commentText(a.Name))
		}
		e.declare(a.Code, a.Type)
	}
	out.printf("\n")
}

func (e *hledgerEncoder) declare(code string, t ledger.AccountType) {
	e.out.printf("account %s  ; type:%s\n", code, hledgerTypes[t])
	e.declared[code] = true
}

func (e *hledgerEncoder) transaction(t *ledger.Transaction, ps []posting) error {
	out := e.out
	for _, p := range ps {
		if e.declared[p.Account] {
			continue
		}
		typ, err := ledger.AccountTypeOf(p.Account)
		if err != nil {
			return ledger.Errorf(ledger.EINTERNAL, "transaction %s: %s", t.ID, ledger.ErrorMessage(err))
		}
		out.printf("; Not in the chart when the export began.\n")
		e.declare(p.Account, typ)
		out.printf("\n")
	}

	desc, changed := hledgerDescription(t.Description)
	if strings.HasPrefix(desc, "(") {
		desc = "() " + desc
	}
	tags := []string{"id:" + tagValue(t.ID), "seq:" + strconv.FormatInt(t.Seq, 10)}
	if t.ReversalOf != "" {
		tags = append(tags, "reversal_of:"+tagValue(t.ReversalOf))
	}
	if changed {
		tags = append(tags, "description:"+tagValue(t.Description))
	}
	for _, k := range metadata(t) {
		tags = append(tags, MetaKey(k)+":"+tagValue(t.Metadata[k]))
	}
	out.printf("%s * %s  ; %s\n", t.EffectiveDate.Format(time.DateOnly), desc, strings.Join(tags, ", "))
	for _, p := range ps {
		gen := ""
		if p.generated {
			gen = ", generated:interfund"
		}
		out.printf("    %-*s  %16s  ; fund:%s%s\n", e.width, p.Account, amountOf(p), tagValue(p.Fund), gen)
	}
	out.printf("\n")
	return nil
}

// hledgerDescription returns s as it can stand in a transaction's first line,
// and whether that differs from s.
func hledgerDescription(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ';':
			b.WriteRune('\uFF1B')
		case isLineBreaking(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	return out, out != s
}

// isLineBreaking reports control characters and the Unicode line and
// paragraph separators, which must not appear raw on a line of a journal.
func isLineBreaking(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// tagValue percent-escapes s for an hledger tag value (see above).
func tagValue(s string) string {
	start := len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
	end := max(len(strings.TrimRightFunc(s, unicode.IsSpace)), start)
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if i < start || i >= end || r == '%' || r == ',' || isLineBreaking(r) || r == utf8.RuneError && size == 1 {
			for j := i; j < i+size; j++ {
				b.WriteByte('%')
				b.WriteByte("0123456789ABCDEF"[s[j]>>4])
				b.WriteByte("0123456789ABCDEF"[s[j]&15])
			}
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// commentText is s on one comment line: line breaks become spaces.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if isLineBreaking(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
