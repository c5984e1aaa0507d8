package ledger

import (
	"time"

	"github.com/shopspring/decimal"
)

// BankStatement is one bank statement of one account.
type BankStatement struct {
	ID             string // the bank's statement id (camt Stmt/Id), or "sha256:..." derived from the content
	Account        string // IBAN or other account id, as the bank gives it
	Currency       Currency
	From, To       time.Time       // the period (calendar dates, UTC midnight); zero when not given
	OpeningBalance decimal.Decimal // signed: credit positive
	ClosingBalance decimal.Decimal // signed: credit positive
	Lines          []StatementLine
}

// StatementLine is one booked movement on the account.
type StatementLine struct {
	Ref         string    // stable key (see the package documentation)
	BookingDate time.Time // calendar date, UTC midnight
	ValueDate   time.Time // calendar date, UTC midnight; zero when absent
	// Amount is signed: credit positive, debit negative, in the statement currency.
	Amount decimal.Decimal
	// Reversal marks an entry by which the bank reverses an earlier one (camt
	// RvslInd). Amount already has the sign of the reversal's own booking.
	Reversal   bool
	EndToEndID string // the payer's reference; "" for the placeholder NOTPROVIDED
	// Remittance is the unstructured remittance information (camt RmtInf/Ustrd,
	// joined with spaces). Without it: the structured creditor references,
	// then the bank's additional transaction or entry information (for
	// example "Kontoführungsentgelt" on a fee entry).
	Remittance          string
	Counterparty        string // debtor name for credits, creditor name for debits
	CounterpartyAccount string // their IBAN (or other account id) when given
	BankRef             string // the bank's reference (camt AcctSvcrRef, CSV reference column)
	Raw                 string // the raw camt Ntry element or CSV record, kept for audit
}
