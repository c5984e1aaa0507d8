package ledger

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// PublicAck is one line of the public acknowledgement list. It holds only
// what the donor consented to and a committee member approved: From is ""
// for "Anonymous", Amount is nil when the donor chose not to show it.
type PublicAck struct {
	Cursor   string // opaque position in the list
	Date     time.Time
	Fund     string
	FundName string
	From     string
	Amount   *Money
	Channel  Channel
	Message  string
	// A street collection is one line: Place is where it was, Amounts what
	// was counted, per currency (Amount is then the first of them).
	Place   string
	Amounts []Money
}

// AckFilter selects a page of the acknowledgement list. After continues to
// older entries, Before goes back to newer ones; both are cursors from an
// earlier page.
type AckFilter struct {
	Fund   *string
	After  string
	Before string
	Limit  int
}

// AckPage is a page of acknowledgements, newest first, with the cursors of
// the neighbouring pages ("" when there is none).
type AckPage struct {
	Entries []PublicAck
	Older   string
	Newer   string
}

// ModerationStatus is a committee member's decision on an acknowledgement.
type ModerationStatus string

const (
	ModerationPending  ModerationStatus = "pending"
	ModerationApproved ModerationStatus = "approved"
	ModerationHidden   ModerationStatus = "hidden"
)

// ModerationItem is an acknowledgement waiting for a committee member: what
// would be shown in public if approved.
type ModerationItem struct {
	DonationID string
	Fund       string
	ReceivedOn time.Time
	Channel    Channel
	Display    AckDisplay
	From       string
	Message    string
}

// AcknowledgementService keeps the fund's promise: every donation
// acknowledged, as its donor consented.
type AcknowledgementService interface {
	ListAcknowledgements(ctx context.Context, f AckFilter) (*AckPage, error)
	ModerationQueue(ctx context.Context, limit int) ([]ModerationItem, error)
	// Moderate sets the status of the given donations' acknowledgements and
	// returns how many it changed.
	Moderate(ctx context.Context, donationIDs []string, status ModerationStatus) (int, error)
	// AckByToken finds the donation a donor's private link points to.
	AckByToken(ctx context.Context, token string) (*Donation, error)
	// ChangeAcknowledgement records the donor's new choice; anything but an
	// anonymous acknowledgement waits for a committee member again.
	ChangeAcknowledgement(ctx context.Context, token string, a Acknowledgement) error
}

// ExchangeRate is the committee's rate for showing totals: 1 Currency is
// Rate Quote. The books never convert at it.
type ExchangeRate struct {
	Currency Currency
	Quote    Currency
	Rate     decimal.Decimal
	AsOf     time.Time
}

// Receipt is a receipt to send for a booked donation.
type Receipt struct {
	DonationID      string
	Email           string
	Donor           Donor // for the greeting and the acknowledgement shown
	Lang            string
	Fund            string
	FundName        string
	Amount          Money
	ReceivedOn      time.Time
	Channel         Channel
	Acknowledgement Acknowledgement
	// AckToken is the secret of the donor's private link, made fresh for
	// this attempt; only its hash is stored.
	AckToken string
	// Attempts is how many earlier attempts failed.
	Attempts int
}

// ReceiptService is the outbox of receipts.
type ReceiptService interface {
	// ClaimReceipts takes up to limit receipts that are due, hiding them
	// from other senders for lease.
	ClaimReceipts(ctx context.Context, limit int, lease time.Duration) ([]*Receipt, error)
	ReceiptSent(ctx context.Context, donationID string) error
	// ReceiptFailed records a failed attempt; retryAt nil gives up.
	ReceiptFailed(ctx context.Context, donationID, reason string, retryAt *time.Time) error
}

// receiptBackoff is how long to wait after each failed attempt.
var receiptBackoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// SendReceipts makes one pass over the receipts that are due: send, then
// mark sent; on a temporary failure retry later with backoff; on a
// permanent one (a bad address) give up. It returns how many were sent.
func SendReceipts(ctx context.Context, svc ReceiptService, send func(context.Context, *Receipt) error, temporary func(error) bool, now func() time.Time) (int, error) {
	rs, err := svc.ClaimReceipts(ctx, 20, 5*time.Minute)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range rs {
		if err := send(ctx, r); err != nil {
			var retry *time.Time
			if temporary(err) && r.Attempts < len(receiptBackoff) {
				t := now().Add(receiptBackoff[r.Attempts])
				retry = &t
			}
			if ferr := svc.ReceiptFailed(ctx, r.DonationID, err.Error(), retry); ferr != nil {
				return sent, ferr
			}
			continue
		}
		if err := svc.ReceiptSent(ctx, r.DonationID); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
