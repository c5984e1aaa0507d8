// Package export writes the books as a plain-text accounting file that other
// tools read: an hledger journal or a beancount file. An export is streamed: the chart and the funds are read
// first, then the transactions one at a time in chain order, so memory does
// not grow with the books.
//
// # What is written
//
// Both formats carry every transaction with its date, description, id, chain
// position (seq), the transaction it reverses (reversal_of) and its metadata,
// and every posting with its account, its amount written with exactly its
// currency's decimals ("1500.00 EUR", "1500 JPY", "1.500 KWD") and its fund.
//
// # One fund
//
// With a fund, only that fund's postings are written. A transaction whose
// postings in the fund do not sum to zero per currency on their own (a
// transfer between funds) gets one more posting per unbalanced currency, to
// ledger.AccountInterfund in the fund, that balances it; it is marked
// generated (hledger tag generated:interfund, beancount posting metadata
// generated: "interfund"). So the fund's file is valid on its own, and its
// balances are the fund's balances plus those generated postings.
//
// # Metadata keys
//
// A metadata key is written as it is when it matches [a-z][a-zA-Z0-9_]+ and is
// not a name the export itself uses (see reservedKeys). Any other key K is
// written as "x-" followed by K with every byte outside [a-zA-Z0-9_] replaced
// by "-" and two upper-case hexadecimal digits: "id" becomes "x-id", "k"
// becomes "x-k", "donor name" becomes "x-donor-20name". Keys written as they
// are never contain "-" and mapped keys always do, so the mapping is
// injective, and the result is both a valid beancount key and a valid hledger
// tag name. Its inverse: a key without "-" is itself; otherwise drop "x-" and
// decode each "-XX".
//
// The metadata key reversal_of, which the ledger sets on every reversal, is
// not repeated when it equals the transaction's reversal_of.
//
// See hledger.go and beancount.go for how text is escaped in each format, and
// BeancountAccount for the account name mapping.
package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// Source is what an export reads; *postgres.FundService and
// *postgres.TransactionService provide it (see Books).
type Source interface {
	ListAccounts(ctx context.Context) ([]ledger.Account, error)
	ListFunds(ctx context.Context) ([]*ledger.Fund, error)
	EachTransaction(ctx context.Context, f ledger.TransactionFilter, fn func(*ledger.Transaction) error) error
}

// Books combines the services that hold the books into a Source. With the
// PostgreSQL services:
//
//	fs := postgres.NewFundService(db)
//	src := export.Books{Chart: fs, Funds: fs, Transactions: postgres.NewTransactionService(db)}
type Books struct {
	Chart interface {
		ListAccounts(ctx context.Context) ([]ledger.Account, error)
	}
	Funds interface {
		ListFunds(ctx context.Context) ([]*ledger.Fund, error)
	}
	Transactions interface {
		EachTransaction(ctx context.Context, f ledger.TransactionFilter, fn func(*ledger.Transaction) error) error
	}
}

var _ Source = Books{}

// ListAccounts implements Source.
func (b Books) ListAccounts(ctx context.Context) ([]ledger.Account, error) {
	return b.Chart.ListAccounts(ctx)
}

// ListFunds implements Source.
func (b Books) ListFunds(ctx context.Context) ([]*ledger.Fund, error) {
	return b.Funds.ListFunds(ctx)
}

// EachTransaction implements Source.
func (b Books) EachTransaction(ctx context.Context, f ledger.TransactionFilter, fn func(*ledger.Transaction) error) error {
	return b.Transactions.EachTransaction(ctx, f, fn)
}

// Format is the kind of file an export writes.
type Format string

const (
	// Hledger is an hledger journal (hledger 1.25 and later).
	Hledger Format = "hledger"
	// Beancount is a beancount v2 file.
	Beancount Format = "beancount"
)

// ParseFormat returns the format named s ("hledger" or "beancount", in any
// case); any other name is an EINVALID error.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case Hledger, Beancount:
		return f, nil
	case "":
		return "", ledger.Errorf(ledger.EINVALID, "format is required: hledger or beancount")
	default:
		return "", ledger.Errorf(ledger.EINVALID, "format %q is not one of hledger, beancount", s)
	}
}

// now is the clock the header's date is read from.
var now = time.Now

// header is what both formats say before the first transaction.
type header struct {
	generated time.Time
	accounts  []ledger.Account // the chart, sorted by code
	funds     []*ledger.Fund   // every fund, or the one exported
	fund      *ledger.Fund     // the fund exported, or nil for the whole books
}

// encoder writes one format.
type encoder interface {
	header(h *header)
	// transaction writes t with postings ps (t's own postings, or the fund's
	// ones plus generated balancing postings).
	transaction(t *ledger.Transaction, ps []posting) error
}

// posting is a posting to write; generated marks a balancing posting the
// export added to ledger.AccountInterfund.
type posting struct {
	ledger.Posting
	generated bool
}

// Write streams the books (or one fund's part of them when fund != nil) to w
// in format f. Only one transaction is held in memory at a time. Errors from
// the source are returned wrapped with the operation that failed.
func Write(ctx context.Context, w io.Writer, f Format, src Source, fund *string) error {
	if f != Hledger && f != Beancount {
		return ledger.Errorf(ledger.EINVALID, "format %q is not one of hledger, beancount", f)
	}
	accounts, err := src.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("export: list accounts: %w", err)
	}
	funds, err := src.ListFunds(ctx)
	if err != nil {
		return fmt.Errorf("export: list funds: %w", err)
	}
	h := &header{generated: now().UTC(), accounts: append([]ledger.Account(nil), accounts...), funds: funds}
	sort.Slice(h.accounts, func(i, j int) bool { return h.accounts[i].Code < h.accounts[j].Code })
	if fund != nil {
		for _, fu := range funds {
			if fu.Slug == *fund {
				h.fund = fu
			}
		}
		if h.fund == nil {
			return ledger.Errorf(ledger.ENOTFOUND, "fund %q not found", *fund)
		}
		h.funds = []*ledger.Fund{h.fund}
	}

	out := &lineWriter{w: bufio.NewWriter(w)}
	var enc encoder
	switch f {
	case Hledger:
		enc = newHledger(out, h)
	default:
		enc = newBeancount(out, h)
	}
	enc.header(h)
	if out.err != nil {
		return fmt.Errorf("export: write: %w", out.err)
	}
	err = src.EachTransaction(ctx, ledger.TransactionFilter{Fund: fund}, func(t *ledger.Transaction) error {
		ps, err := postingsOf(t, fund)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return nil
		}
		if err := enc.transaction(t, ps); err != nil {
			return err
		}
		if out.err != nil {
			return &writeError{out.err}
		}
		return nil
	})
	var we *writeError
	switch {
	case errors.As(err, &we):
		return fmt.Errorf("export: write: %w", we.err)
	case err != nil:
		return fmt.Errorf("export: read transactions: %w", err)
	}
	if err := out.w.Flush(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// writeError carries a failure of the destination through the source's
// callback, so it is reported as a write error and not as a read error.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// lineWriter formats into a buffered writer and keeps the first error.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

func (lw *lineWriter) printf(format string, args ...any) {
	if lw.err != nil {
		return
	}
	_, lw.err = fmt.Fprintf(lw.w, format, args...)
}

// postingsOf returns the postings to write for t: all of them, or with a fund
// only that fund's, followed by one generated posting to
// ledger.AccountInterfund per currency in which they do not balance.
func postingsOf(t *ledger.Transaction, fund *string) ([]posting, error) {
	ps := make([]posting, 0, len(t.Postings)+1)
	sums := map[string]decimal.Decimal{}
	curs := map[string]ledger.Currency{}
	for _, p := range t.Postings {
		if fund != nil && p.Fund != *fund {
			continue
		}
		if err := ledger.CheckScale(p.Amount, p.Currency); err != nil {
			return nil, ledger.Errorf(ledger.EINTERNAL, "transaction %s: %s", t.ID, ledger.ErrorMessage(err))
		}
		ps = append(ps, posting{Posting: p})
		sums[p.Currency.Code] = sums[p.Currency.Code].Add(p.Amount)
		curs[p.Currency.Code] = p.Currency
	}
	if fund == nil || len(ps) == 0 {
		return ps, nil
	}
	codes := make([]string, 0, len(sums))
	for c, s := range sums {
		if !s.IsZero() {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	for _, c := range codes {
		ps = append(ps, posting{
			Posting:   ledger.Posting{Account: ledger.AccountInterfund, Fund: *fund, Amount: sums[c].Neg(), Currency: curs[c]},
			generated: true,
		})
	}
	return ps, nil
}

// FormatAmount writes amount with exactly cur's decimals and the currency code
// after it: "1500.00 EUR", "1500 JPY", "1.500 KWD", "-3.00 GBP". An amount
// with more decimals than cur allows is never rounded: it is an EINVALID
// error.
func FormatAmount(amount decimal.Decimal, cur ledger.Currency) (string, error) {
	if err := ledger.CheckScale(amount, cur); err != nil {
		return "", err
	}
	return amount.StringFixed(cur.Exponent) + " " + cur.Code, nil
}

// amountOf is FormatAmount for a posting already checked by postingsOf.
func amountOf(p posting) string {
	return p.Amount.StringFixed(p.Currency.Exponent) + " " + p.Currency.Code
}

// reservedKeys are the metadata keys the export writes itself, or that have a
// meaning of their own in hledger (date, date2, type: posting dates and
// account types; tags of transactions and accounts are inherited by postings)
// or beancount (filename, lineno); a metadata key with one of these names is
// mapped like any other key that cannot be written as it is.
var reservedKeys = map[string]bool{
	"id": true, "seq": true, "reversal_of": true, "fund": true, "generated": true,
	"description": true, "code": true, "name": true,
	"date": true, "date2": true, "type": true,
	"filename": true, "lineno": true,
}

// MetaKey maps a metadata key to the key written in both formats (see the
// package documentation): injective, and always matching
// [a-z][a-zA-Z0-9_-]+.
func MetaKey(k string) string {
	plain := len(k) >= 2 && k[0] >= 'a' && k[0] <= 'z' && !reservedKeys[k]
	for i := 1; plain && i < len(k); i++ {
		plain = isWordByte(k[i])
	}
	if plain {
		return k
	}
	var b strings.Builder
	b.WriteString("x-")
	for i := 0; i < len(k); i++ {
		if c := k[i]; isWordByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "-%02X", c)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// metadata returns t's metadata keys sorted, leaving out reversal_of when it
// only repeats the transaction's own reversal_of.
func metadata(t *ledger.Transaction) []string {
	keys := make([]string, 0, len(t.Metadata))
	for k, v := range t.Metadata {
		if k == "reversal_of" && t.ReversalOf != "" && v == t.ReversalOf {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// title names what is exported, on one line, for the files' headers.
func title(h *header) string {
	if h.fund != nil {
		return commentText("fundledger: " + h.fund.Name + " (" + h.fund.Slug + ")")
	}
	return "fundledger books"
}

// fundCurrencies returns the distinct reporting currencies of the funds, sorted.
func fundCurrencies(funds []*ledger.Fund) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range funds {
		if !seen[f.Currency.Code] {
			seen[f.Currency.Code] = true
			out = append(out, f.Currency.Code)
		}
	}
	sort.Strings(out)
	return out
}
