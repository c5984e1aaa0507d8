package ledger

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Posting is one leg of a transaction: an amount in a currency, on an account,
// in a fund. Positive amounts are debits, negative amounts are credits.
type Posting struct {
	Account  string
	Fund     string // fund slug
	Amount   decimal.Decimal
	Currency Currency
}

// Transaction is a balanced journal entry. Once recorded it is never changed:
// a correction is a new transaction that reverses it.
type Transaction struct {
	ID             string // UUID, assigned when recorded
	Seq            int64  // position in the hash chain, assigned when recorded
	IdempotencyKey string // unique; the same key never records twice
	// Fingerprint identifies the request that asked for the transaction, so a
	// retry with the same key can be told from a different request reusing it.
	Fingerprint   string
	EffectiveDate time.Time // a calendar date (UTC midnight)
	Description   string
	Metadata      map[string]string
	Postings      []Posting
	ReversalOf    string // ID of the transaction this one reverses, or ""
	ReversedBy    string // ID of the transaction reversing this one, or "" (read-only)
	RecordedAt    time.Time
	PrevHash      []byte
	Hash          []byte
}

// Limits on a transaction's size, so one request cannot exhaust the server.
const (
	MaxPostings       = 1000
	MaxMetadataKeys   = 50
	MaxDescriptionLen = 500
	MaxKeyLen         = 255
)

// Date truncates t to its calendar date in UTC.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDate parses a calendar date such as "2011-12-16" for the named field.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "%s %q is not a date: use YYYY-MM-DD", field, s)
	}
	return t, nil
}

// ValidateIdempotencyKey checks a client-chosen idempotency key.
func ValidateIdempotencyKey(k string) error {
	if k == "" {
		return Errorf(EINVALID, "idempotency key is required")
	}
	if len(k) > MaxKeyLen {
		return Errorf(EINVALID, "idempotency key must be at most %d characters", MaxKeyLen)
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			return Errorf(EINVALID, "idempotency key must be printable ASCII without spaces")
		}
	}
	return nil
}

// Validate checks the transaction's invariants: dates, sizes, accounts,
// amounts within each currency's decimals, and that postings balance per
// currency. It normalises EffectiveDate to a calendar date.
func (t *Transaction) Validate() error {
	if err := ValidateIdempotencyKey(t.IdempotencyKey); err != nil {
		return err
	}
	if t.EffectiveDate.IsZero() {
		return Errorf(EINVALID, "date is required (YYYY-MM-DD)")
	}
	t.EffectiveDate = Date(t.EffectiveDate)
	if y := t.EffectiveDate.Year(); y < 1900 || y > 9999 {
		return Errorf(EINVALID, "date %s is out of range (years 1900 to 9999)", t.EffectiveDate.Format(time.DateOnly))
	}
	t.Description = strings.TrimSpace(t.Description)
	if t.Description == "" {
		return Errorf(EINVALID, "description is required")
	}
	if err := checkText("description", t.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if len(t.Metadata) > MaxMetadataKeys {
		return Errorf(EINVALID, "metadata may hold at most %d keys", MaxMetadataKeys)
	}
	for k, v := range t.Metadata {
		if k == "" || len(k) > 64 || len(v) > 1000 || checkText("metadata", k, 64) != nil || checkText("metadata", v, 1000) != nil {
			return Errorf(EINVALID, "metadata %.20q: keys must be 1 to 64 bytes and values at most 1000 bytes of UTF-8 text without NUL characters", k)
		}
	}
	if len(t.Postings) < 2 {
		return Errorf(EINVALID, "postings: a transaction needs at least two postings, got %d", len(t.Postings))
	}
	if len(t.Postings) > MaxPostings {
		return Errorf(EINVALID, "postings: at most %d postings per transaction", MaxPostings)
	}
	sums := map[string]decimal.Decimal{}
	for i, p := range t.Postings {
		if _, err := AccountTypeOf(p.Account); err != nil {
			return Errorf(EINVALID, "postings[%d].account: %s", i, ErrorMessage(err))
		}
		if err := ValidateSlug(p.Fund); err != nil {
			return Errorf(EINVALID, "postings[%d].fund: %s", i, ErrorMessage(err))
		}
		if _, ok := currencies[p.Currency.Code]; !ok || p.Currency != currencies[p.Currency.Code] {
			return Errorf(EINVALID, "postings[%d].currency %q is not a supported ISO 4217 code", i, p.Currency.Code)
		}
		if p.Amount.IsZero() {
			return Errorf(EINVALID, "postings[%d].amount must not be zero", i)
		}
		if err := CheckScale(p.Amount, p.Currency); err != nil {
			return Errorf(EINVALID, "postings[%d].amount: %s", i, ErrorMessage(err))
		}
		sums[p.Currency.Code] = sums[p.Currency.Code].Add(p.Amount)
	}
	return checkSums(sums)
}

func checkSums(sums map[string]decimal.Decimal) error {
	var bad []string
	for code, s := range sums {
		if !s.IsZero() {
			bad = append(bad, s.StringFixed(currencies[code].Exponent)+" "+code)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return Errorf(EINVALID, "postings do not balance: the amounts in each currency must sum to zero, but they sum to %s; convert between currencies through %s", strings.Join(bad, ", "), AccountConversion)
	}
	return nil
}

// Reversal returns a new transaction that negates t and points to it. The
// caller chooses the idempotency key and the effective date.
func (t *Transaction) Reversal(key string, date time.Time, description string) *Transaction {
	if description == "" {
		description = "Reversal of: " + t.Description
		if utf8.RuneCountInString(description) > MaxDescriptionLen {
			description = string([]rune(description)[:MaxDescriptionLen])
		}
	}
	r := &Transaction{
		IdempotencyKey: key,
		EffectiveDate:  date,
		Description:    description,
		Metadata:       map[string]string{"reversal_of": t.ID},
		ReversalOf:     t.ID,
		Postings:       make([]Posting, len(t.Postings)),
	}
	for i, p := range t.Postings {
		p.Amount = p.Amount.Neg()
		r.Postings[i] = p
	}
	return r
}

// Funds returns the distinct fund slugs the transaction's postings name, sorted.
func (t *Transaction) Funds() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range t.Postings {
		if !seen[p.Fund] {
			seen[p.Fund] = true
			out = append(out, p.Fund)
		}
	}
	sort.Strings(out)
	return out
}

// TransactionFilter selects transactions; nil fields do not filter.
type TransactionFilter struct {
	Fund *string    // transactions with at least one posting in this fund
	From *time.Time // effective on or after
	To   *time.Time // effective on or before
}
