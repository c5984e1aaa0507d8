package ledger

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// ChannelCollection is the channel of a street collection on the public
// list. It is not a donation channel: a collection is recorded as a
// Collection, never as a Donation.
const ChannelCollection Channel = "collection"

// AccountCollections is the income account credited for street collections.
const AccountCollections = AccountDonations + ":collection"

// Limits of a street collection.
const (
	MaxCollectors           = 20
	MaxCollectionCurrencies = 20
	maxPersonNameLen        = 100
)

// Collection is a street collection: cash given by passers-by at one place
// on one day, counted by two named people. It is booked as one transaction
// and acknowledged in public as one line (see CollectionLabel), never per
// passer-by. Collectors and CountedBy are personal data: they are kept with
// the collection, never in its transaction or on a public page.
type Collection struct {
	ID          string
	Fund        string // fund slug
	Place       string // public: "Hamburg, Jungfernstieg"
	CollectedOn time.Time
	Collectors  []string // 1 to 20 names
	// Counts is what was counted, one amount per currency.
	Counts []Money
	// Recount, when given, is a second count; it must equal Counts.
	Recount []Money
	// CountedBy are the two different people who counted.
	CountedBy [2]string
	// Recounted is true when the collection was counted a second time.
	Recounted      bool
	TransactionID  string
	RecordedAt     time.Time
	IdempotencyKey string
	Fingerprint    string
	// Set once the cash is banked (see BankCashTransaction).
	BankedTransactionID string
	BankedOn            time.Time
}

// Validate checks the collection and normalises it: names and place are
// trimmed, the date is a calendar date, the counts are sorted by currency,
// and a recount that equals the count sets Recounted.
func (c *Collection) Validate() error {
	if err := ValidateSlug(c.Fund); err != nil {
		return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
	}
	c.Place = strings.TrimSpace(c.Place)
	if c.Place == "" {
		return Errorf(EINVALID, "place is required, such as \"Hamburg, Jungfernstieg\"")
	}
	if err := checkText("place", c.Place, 200); err != nil {
		return err
	}
	if c.CollectedOn.IsZero() {
		return Errorf(EINVALID, "collected_on is required (YYYY-MM-DD)")
	}
	c.CollectedOn = Date(c.CollectedOn)
	if y := c.CollectedOn.Year(); y < 1900 || y > 9999 {
		return Errorf(EINVALID, "collected_on %s is out of range (years 1900 to 9999)", c.CollectedOn.Format(time.DateOnly))
	}
	if len(c.Collectors) == 0 || len(c.Collectors) > MaxCollectors {
		return Errorf(EINVALID, "collectors must name between 1 and %d people, got %d", MaxCollectors, len(c.Collectors))
	}
	for i := range c.Collectors {
		c.Collectors[i] = strings.TrimSpace(c.Collectors[i])
		if c.Collectors[i] == "" {
			return Errorf(EINVALID, "collectors[%d] is empty: give each collector's name", i)
		}
		if err := checkText("collectors["+strconv.Itoa(i)+"]", c.Collectors[i], maxPersonNameLen); err != nil {
			return err
		}
	}
	for i := range c.CountedBy {
		c.CountedBy[i] = strings.TrimSpace(c.CountedBy[i])
		if c.CountedBy[i] == "" {
			return Errorf(EINVALID, "counted_by[%d] is required: name both people who counted the cash", i)
		}
		if err := checkText("counted_by["+strconv.Itoa(i)+"]", c.CountedBy[i], maxPersonNameLen); err != nil {
			return err
		}
	}
	if strings.EqualFold(c.CountedBy[0], c.CountedBy[1]) {
		return Errorf(EINVALID, "counted_by: the cash must be counted by two different people, but both names are the same")
	}
	if err := validateAmountsPerCurrency("counts", c.Counts, MaxCollectionCurrencies); err != nil {
		return err
	}
	if len(c.Recount) > 0 {
		if err := validateAmountsPerCurrency("recount", c.Recount, MaxCollectionCurrencies); err != nil {
			return err
		}
		first := ControlTotals{Totals: c.Counts}
		second := ControlTotals{Totals: c.Recount}
		if !first.Equal(second) {
			diff := (&ControlMismatchError{Expected: first, Entered: second}).Differences()
			return Errorf(EINVALID, "recount does not match counts: the second count found %s (%s); count again",
				JoinMoney(c.Recount), strings.Join(diff, "; "))
		}
		c.Recounted = true
	}
	return nil
}

// Transaction returns the entry that books the collection: per currency,
// the cash debited and collection income credited, in the collection's
// fund. It carries no personal data.
func (c *Collection) Transaction() *Transaction {
	t := &Transaction{
		IdempotencyKey: c.IdempotencyKey,
		Fingerprint:    c.Fingerprint,
		EffectiveDate:  c.CollectedOn,
		Description:    truncateToRunes("Street collection, "+c.Place, MaxDescriptionLen),
		Metadata:       map[string]string{"collection_id": c.ID, "channel": string(ChannelCollection)},
	}
	for _, m := range c.Counts {
		t.Postings = append(t.Postings,
			Posting{Account: AccountCash, Fund: c.Fund, Amount: m.Amount, Currency: m.Currency},
			Posting{Account: AccountCollections, Fund: c.Fund, Amount: m.Amount.Neg(), Currency: m.Currency})
	}
	return t
}

// PublicLabel is the collection's one line on the public list.
func (c *Collection) PublicLabel() string {
	return CollectionLabel(c.Place, c.CollectedOn, c.Counts)
}

// CollectionLabel renders a street collection's line on the public list:
// "Street collection, Hamburg, 2011-09-03: 200.00 EUR + 35.50 GBP", amounts
// in the order given (sorted by currency code in the books). It shows the
// place, the date and the amounts only: never a collector or a counter.
func CollectionLabel(place string, on time.Time, amounts []Money) string {
	return "Street collection, " + place + ", " + on.Format(time.DateOnly) + ": " + JoinMoney(amounts)
}

// BankCashTransaction returns the transfer of cash to the bank: per
// currency, the bank account in that currency (assets:bank:<ccy>) debited
// and the cash credited, in fund.
func BankCashTransaction(fund string, amounts []Money, on time.Time, description string) *Transaction {
	t := &Transaction{
		EffectiveDate: on,
		Description:   truncateToRunes(description, MaxDescriptionLen),
		Metadata:      map[string]string{},
	}
	for _, m := range amounts {
		t.Postings = append(t.Postings,
			Posting{Account: BankAccountCode(m.Currency), Fund: fund, Amount: m.Amount, Currency: m.Currency},
			Posting{Account: AccountCash, Fund: fund, Amount: m.Amount.Neg(), Currency: m.Currency})
	}
	return t
}

// ValidateCashAmounts checks amounts of cash to bank, one per currency, and
// sorts them by currency code.
func ValidateCashAmounts(amounts []Money) error {
	return validateAmountsPerCurrency("amounts", amounts, len(currencies))
}

func truncateToRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// CollectionService records street collections and the banking of cash.
type CollectionService interface {
	// RecordCollection validates c and books it as one transaction;
	// idempotent like RecordTransaction.
	RecordCollection(ctx context.Context, c *Collection) (*Collection, error)
	FindCollection(ctx context.Context, id string) (*Collection, error)
	// BankCollection books the transfer of the collection's cash to the
	// bank, once: bankedOn is the day it was paid in (today when zero).
	BankCollection(ctx context.Context, id string, bankedOn time.Time, key, fingerprint string) (*Collection, error)
	// BankCash books a transfer of cash to the bank in fund: per currency,
	// Dr assets:bank:<ccy> / Cr assets:cash, opening the bank account if
	// needed. Idempotent by key.
	BankCash(ctx context.Context, fund string, amounts []Money, on time.Time, key, fingerprint string) (*Transaction, error)
	// ListCollections returns the latest street collections.
	ListCollections(ctx context.Context, limit int) ([]*Collection, error)
}
