package export

import (
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
)

// The beancount file (checked with beancount 2.3.5):
//
//	option "title" "fundledger books"
//	option "operating_currency" "EUR"
//	1900-01-01 commodity EUR
//	1900-01-01 open Assets:Bank:Eur
//	  code: "assets:bank:eur"
//	  name: "Bank account (EUR)"
//	2011-12-20 * "Donation by bank transfer"
//	  id: "…"
//	  seq: 1
//	  channel: "bank_transfer"
//	  Assets:Bank:Eur                  1500.00 EUR
//	    fund: "zhanaozen"
//
// Every currency the ledger supports is declared, and every account of the
// chart is opened, on 1900-01-01: the ledger refuses dates before 1900 (see
// ledger.Transaction.Validate), so that is on or before any use. An account a
// transaction uses that was not opened at the start (a root account, or one
// not in the chart read at the start) is opened, on the same date, just
// before that transaction; beancount does not mind the order. There is an
// operating_currency option for the reporting currency of each fund exported.
//
// Strings are double-quoted with \\, \", \n, \t, \r, \f and \b escaped, which
// beancount reads back exactly; any other character, Cyrillic and Kazakh
// letters included, is written as it is (invalid UTF-8 becomes U+FFFD).
// Metadata keys are mapped by MetaKey; values are strings, seq a number.

// openDate is when every account is opened and every commodity declared.
const openDate = "1900-01-01"

// rootLeaf is the component under a root that stands for the root account
// itself (see BeancountAccount).
const rootLeaf = "0-Root"

// BeancountAccount maps an account code to its beancount name. Each segment
// of the code gets its first letter in upper case and its underscores replaced
// by "-": "income:donations:bank_transfer" is "Income:Donations:Bank-transfer",
// "assets:cheques_in_transit" is "Assets:Cheques-in-transit". The roots become
// beancount's own root names (Assets, Liabilities, Equity, Income, Expenses).
// Beancount has no account with a single component, so a root code itself,
// such as "assets", is "Assets:0-Root".
//
// The mapping is injective on valid codes (segments [a-z][a-z0-9_]*): a
// segment maps one to one (inverse: first letter to lower case, "-" to "_"),
// the number of components is kept except for a root, and the root's extra
// component starts with a digit, which no mapped segment does. Every result is
// a valid beancount account: components start with an upper-case letter or a
// digit and hold only letters, digits and "-". An invalid code is an EINVALID
// error.
func BeancountAccount(code string) (string, error) {
	if _, err := ledger.AccountTypeOf(code); err != nil {
		return "", err
	}
	segs := strings.Split(code, ":")
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(s[:1]))
		b.WriteString(strings.ReplaceAll(s[1:], "_", "-"))
	}
	if len(segs) == 1 {
		b.WriteString(":" + rootLeaf)
	}
	return b.String(), nil
}

type beancountEncoder struct {
	out   *lineWriter
	names map[string]string // account code to beancount name, for accounts opened
	width int               // of the account column
}

func newBeancount(out *lineWriter, h *header) *beancountEncoder {
	e := &beancountEncoder{out: out, names: map[string]string{}, width: len("Equity:Interfund")}
	for _, a := range h.accounts {
		if n, err := BeancountAccount(a.Code); err == nil {
			e.width = max(e.width, min(len(n), 60))
		}
	}
	return e
}

func (e *beancountEncoder) header(h *header) {
	out := e.out
	out.printf("; %s\n", title(h))
	out.printf("; Exported by fundledger on %s.\n", h.generated.Format(time.RFC3339))
	if h.fund != nil {
		out.printf("; Only the postings of fund %s. Where they do not balance on their own (a transfer\n", h.fund.Slug)
		out.printf("; between funds), a posting to %s marked generated: \"interfund\" balances them.\n", ledger.AccountInterfund)
	}
	out.printf("; Account names are the fundledger codes with each part capitalised and _ written as -;\n")
	out.printf("; each open directive carries the code.\n\n")
	out.printf("option \"title\" %s\n", quote(title(h)))
	for _, c := range fundCurrencies(h.funds) {
		out.printf("option \"operating_currency\" %s\n", quote(c))
	}
	out.printf("\n")
	for _, c := range ledger.Currencies() {
		out.printf("%s commodity %s\n", openDate, c.Code)
	}
	out.printf("\n")
	for _, a := range h.accounts {
		if !strings.Contains(a.Code, ":") {
			continue // a root is opened when a posting uses it
		}
		if n, err := BeancountAccount(a.Code); err == nil {
			e.open(a.Code, n, a.Name)
		}
	}
	out.printf("\n")
}

func (e *beancountEncoder) open(code, name, accountName string) {
	e.out.printf("%s open %s\n  code: %s\n", openDate, name, quote(code))
	if strings.TrimSpace(accountName) != "" {
		e.out.printf("  name: %s\n", quote(accountName))
	}
	e.names[code] = name
}

func (e *beancountEncoder) transaction(t *ledger.Transaction, ps []posting) error {
	out := e.out
	for _, p := range ps {
		if _, ok := e.names[p.Account]; ok {
			continue
		}
		n, err := BeancountAccount(p.Account)
		if err != nil {
			return ledger.Errorf(ledger.EINTERNAL, "transaction %s: %s", t.ID, ledger.ErrorMessage(err))
		}
		e.open(p.Account, n, "")
		out.printf("\n")
	}
	out.printf("%s * %s\n", t.EffectiveDate.Format(time.DateOnly), quote(t.Description))
	out.printf("  id: %s\n  seq: %d\n", quote(t.ID), t.Seq)
	if t.ReversalOf != "" {
		out.printf("  reversal_of: %s\n", quote(t.ReversalOf))
	}
	for _, k := range metadata(t) {
		out.printf("  %s: %s\n", MetaKey(k), quote(t.Metadata[k]))
	}
	for _, p := range ps {
		out.printf("  %-*s  %16s\n    fund: %s\n", e.width, e.names[p.Account], amountOf(p), quote(p.Fund))
		if p.generated {
			out.printf("    generated: \"interfund\"\n")
		}
	}
	out.printf("\n")
	return nil
}

var quoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\r", `\r`, "\f", `\f`, "\b", `\b`)

// quote returns s as a beancount string literal.
func quote(s string) string {
	return `"` + quoter.Replace(strings.ToValidUTF8(s, "\uFFFD")) + `"`
}
