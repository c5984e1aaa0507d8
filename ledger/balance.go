package ledger

import (
	"time"

	"github.com/shopspring/decimal"
)

// Balance is the sum of postings on one account, in one fund and currency.
// Fund is "" in a trial balance, which sums over funds.
type Balance struct {
	Fund     string
	Account  string
	Type     AccountType
	Currency Currency
	Amount   decimal.Decimal
}

// BalanceFilter selects balances; nil fields do not filter.
type BalanceFilter struct {
	Fund *string    // one fund only
	AsOf *time.Time // postings effective on or before this date
}

// VerifyReport is what recomputing the books from their postings found.
type VerifyReport struct {
	Transactions int64
	Postings     int64
	Balances     int64
	Problems     []string // empty when the books are sound
}

// OK reports whether the verification found no problem.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }
