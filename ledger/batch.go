package ledger

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// BatchStatus is where a batch stands: open while entries are added and
// removed, closed once its entries are posted.
type BatchStatus string

const (
	BatchOpen   BatchStatus = "open"
	BatchClosed BatchStatus = "closed"
)

// Limits of a batch.
const (
	MaxBatchEntries      = 1000
	MinOverrideReasonLen = 10
	MaxOverrideReasonLen = 1000
)

// Batch is a set of offline donations (the cheques from a meeting, a page of
// a bank statement) entered by hand and checked against control totals
// announced before entry: how many entries there are and what they total per
// currency. It is posted only when it closes: one transaction per entry, all
// at once. It closes when the entries match the control totals, or with an
// override whose reason is recorded with who closed it and when.
type Batch struct {
	ID          string
	Fund        string  // fund slug; every entry is a donation to it
	Channel     Channel // the entries' channel unless an entry says otherwise; bank_transfer by default
	Description string
	Expected    ControlTotals
	Entries     []BatchEntry // in the order they were entered
	Status      BatchStatus
	OpenedBy    string // the API token that opened the batch
	OpenedAt    time.Time
	// Set when the batch closes.
	ClosedBy        string
	ClosedAt        time.Time
	ControlsMatched bool   // whether the entries matched the control totals
	OverrideReason  string // why it closed although they did not ("" if not given)
	IdempotencyKey  string
	Fingerprint     string
}

// BatchEntry is one donation of a batch. Its Donation's Fund is the batch's;
// the Donation's ID and TransactionID are set once the batch is posted.
type BatchEntry struct {
	ID             string
	BatchID        string
	Donation       Donation
	EnteredBy      string
	EnteredAt      time.Time
	IdempotencyKey string
	Fingerprint    string
}

// ControlTotals are a batch's count of entries and their sums per currency.
type ControlTotals struct {
	Count  int
	Totals []Money // one per currency, sorted by code, each greater than zero
}

// String formats the totals as "12 entries, 1480.00 EUR + 200.00 GBP".
func (c ControlTotals) String() string {
	s := strconv.Itoa(c.Count) + " entries"
	if c.Count == 1 {
		s = "1 entry"
	}
	if len(c.Totals) == 0 {
		return s + ", no money"
	}
	return s + ", " + JoinMoney(c.Totals)
}

// Total returns the total in currency code, zero when there is none.
func (c ControlTotals) Total(code string) decimal.Decimal {
	for _, m := range c.Totals {
		if m.Currency.Code == code {
			return m.Amount
		}
	}
	return decimal.Zero
}

// Equal reports whether c and o have the same count and the same sum in
// every currency.
func (c ControlTotals) Equal(o ControlTotals) bool {
	if c.Count != o.Count || len(c.Totals) != len(o.Totals) {
		return false
	}
	for _, m := range c.Totals {
		if !o.Total(m.Currency.Code).Equal(m.Amount) {
			return false
		}
	}
	return true
}

// JoinMoney formats amounts as "200.00 EUR + 35.50 GBP", in the given order.
func JoinMoney(ms []Money) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, " + ")
}

// validateAmountsPerCurrency checks amounts given per currency under the named field:
// at least one, each in a supported currency, greater than zero, within the
// currency's decimals, no currency twice. It sorts them by currency code.
func validateAmountsPerCurrency(field string, ms []Money, max int) error {
	if len(ms) == 0 {
		return Errorf(EINVALID, "%s: give at least one amount, such as {\"currency\":\"EUR\",\"amount\":\"200.00\"}", field)
	}
	if len(ms) > max {
		return Errorf(EINVALID, "%s: at most %d currencies", field, max)
	}
	seen := map[string]int{}
	for i, m := range ms {
		if m.Currency.Code == "" {
			return Errorf(EINVALID, "%s[%d].currency is required (an ISO 4217 code such as EUR)", field, i)
		}
		if c, ok := currencies[m.Currency.Code]; !ok || c != m.Currency {
			return Errorf(EINVALID, "%s[%d].currency %q is not a supported ISO 4217 code", field, i, m.Currency.Code)
		}
		if !m.Amount.IsPositive() {
			return Errorf(EINVALID, "%s[%d].amount must be greater than zero", field, i)
		}
		if err := CheckScale(m.Amount, m.Currency); err != nil {
			return Errorf(EINVALID, "%s[%d].amount: %s", field, i, ErrorMessage(err))
		}
		if j, dup := seen[m.Currency.Code]; dup {
			return Errorf(EINVALID, "%s[%d].currency: %s is already given in %s[%d]; give one amount per currency", field, i, m.Currency.Code, field, j)
		}
		seen[m.Currency.Code] = i
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Currency.Code < ms[j].Currency.Code })
	return nil
}

// isOfflineChannel reports whether ch is a channel a committee member records by hand.
func isOfflineChannel(ch Channel) bool {
	for _, o := range OfflineChannels {
		if ch == o {
			return true
		}
	}
	return false
}

// Validate checks a batch being opened and normalises it: the channel
// defaults to bank_transfer, text is trimmed, control totals are sorted by
// currency.
func (b *Batch) Validate() error {
	if err := ValidateSlug(b.Fund); err != nil {
		return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
	}
	if b.Channel == "" {
		b.Channel = ChannelBankTransfer
	}
	if !isOfflineChannel(b.Channel) {
		return Errorf(EINVALID, "channel %q is not one of bank_transfer, cash, cheque, organisation", b.Channel)
	}
	b.Description = strings.TrimSpace(b.Description)
	if b.Description == "" {
		return Errorf(EINVALID, "description is required, such as \"Cheques from the Hamburg meeting\"")
	}
	if err := checkText("description", b.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if b.Expected.Count < 1 || b.Expected.Count > MaxBatchEntries {
		return Errorf(EINVALID, "expected_count must be between 1 and %d, got %d", MaxBatchEntries, b.Expected.Count)
	}
	if err := validateAmountsPerCurrency("expected_totals", b.Expected.Totals, len(currencies)); err != nil {
		return err
	}
	return nil
}

// ValidateEntry prepares e as a donation of the batch and checks it: the
// fund is the batch's, the channel the batch's unless e names another
// offline channel, and the donation must pass Donation.Validate (so a donor
// who did not consent stays anonymous).
func (b *Batch) ValidateEntry(e *BatchEntry) error {
	d := &e.Donation
	d.Fund = b.Fund
	if d.Channel == "" {
		d.Channel = b.Channel
	}
	if !isOfflineChannel(d.Channel) {
		return Errorf(EINVALID, "channel %q is not one of bank_transfer, cash, cheque, organisation", d.Channel)
	}
	return d.Validate()
}

// Entered returns the count and the sums per currency of the batch's entries.
func (b *Batch) Entered() ControlTotals {
	sums := map[string]Money{}
	for _, e := range b.Entries {
		m := e.Donation.Amount
		s := sums[m.Currency.Code]
		s.Currency, s.Amount = m.Currency, s.Amount.Add(m.Amount)
		sums[m.Currency.Code] = s
	}
	c := ControlTotals{Count: len(b.Entries)}
	for _, m := range sums {
		c.Totals = append(c.Totals, m)
	}
	sort.Slice(c.Totals, func(i, j int) bool { return c.Totals[i].Currency.Code < c.Totals[j].Currency.Code })
	return c
}

// NormaliseOverrideReason trims an override reason and checks it: "" (no
// override), or 10 to 1000 characters of text.
func NormaliseOverrideReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", nil
	}
	if err := checkText("override_reason", reason, MaxOverrideReasonLen); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(reason); n < MinOverrideReasonLen {
		return "", Errorf(EINVALID, "override_reason must be at least %d characters, got %d: say why the batch closes although its entries do not match the control totals", MinOverrideReasonLen, n)
	}
	return reason, nil
}

// CheckClose decides whether the batch may close: it reports whether the
// entries match the control totals, and fails with a *ControlMismatchError
// when they do not and no override reason is given. reason must already be
// normalised (see NormaliseOverrideReason).
func (b *Batch) CheckClose(reason string) (matched bool, err error) {
	entered := b.Entered()
	if entered.Equal(b.Expected) {
		return true, nil
	}
	if reason == "" {
		return false, &ControlMismatchError{Expected: b.Expected, Entered: entered}
	}
	return false, nil
}

// ControlMismatchError refuses to close a batch whose entries do not match
// its control totals. It is an ECONFLICT *Error (errors.As finds it), and
// carries the figures so that an adapter can show them.
type ControlMismatchError struct {
	Expected ControlTotals
	Entered  ControlTotals
}

func (e *ControlMismatchError) Error() string { return e.domain().Error() }

// Unwrap returns the *Error with the code and message.
func (e *ControlMismatchError) Unwrap() error { return e.domain() }

// Differences lists what does not match, such as "count 11 instead of 12"
// and "EUR 1479.99 instead of 1480.00", currencies sorted by code.
func (e *ControlMismatchError) Differences() []string {
	var out []string
	if e.Entered.Count != e.Expected.Count {
		out = append(out, "count "+strconv.Itoa(e.Entered.Count)+" instead of "+strconv.Itoa(e.Expected.Count))
	}
	curs := map[string]Currency{}
	for _, m := range append(append([]Money(nil), e.Expected.Totals...), e.Entered.Totals...) {
		curs[m.Currency.Code] = m.Currency
	}
	codes := make([]string, 0, len(curs))
	for c := range curs {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, code := range codes {
		want, got := e.Expected.Total(code), e.Entered.Total(code)
		if !want.Equal(got) {
			exp := curs[code].Exponent
			out = append(out, code+" "+got.StringFixed(exp)+" instead of "+want.StringFixed(exp))
		}
	}
	return out
}

func (e *ControlMismatchError) domain() *Error {
	return Errorf(ECONFLICT, "the entries do not match the control totals: expected %s; entered %s (%s). Correct the entries, or close with an override_reason of at least %d characters",
		e.Expected, e.Entered, strings.Join(e.Differences(), "; "), MinOverrideReasonLen)
}

// BatchClose is a request to close a batch.
type BatchClose struct {
	OverrideReason string // required when the entries do not match the control totals
	IdempotencyKey string
	Fingerprint    string
}

// BatchService keeps batches of offline donations.
type BatchService interface {
	// OpenBatch validates b and opens it, filling its ID and OpenedAt. The
	// same IdempotencyKey and Fingerprint return the batch opened before.
	OpenBatch(ctx context.Context, b *Batch) (*Batch, error)
	// FindBatch returns a batch with its entries.
	FindBatch(ctx context.Context, id string) (*Batch, error)
	// AddBatchEntry adds a donation to an open batch; idempotent by the
	// entry's key.
	AddBatchEntry(ctx context.Context, batchID string, e *BatchEntry) (*BatchEntry, error)
	// RemoveBatchEntry removes an entry from an open batch. Removing an
	// entry already removed is a no-op.
	RemoveBatchEntry(ctx context.Context, batchID, entryID, by, key, fingerprint string) error
	// CloseBatch checks the control totals and posts every entry as a
	// donation, one transaction each, all in one database transaction.
	// Closing a closed batch returns it unchanged.
	CloseBatch(ctx context.Context, id, closedBy string, c BatchClose) (*Batch, error)
	// ListBatches returns the newest batches with the given status.
	ListBatches(ctx context.Context, status BatchStatus, limit int) ([]*Batch, error)
}
