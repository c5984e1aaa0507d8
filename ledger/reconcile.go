package ledger

import (
	"context"
	"time"
)

// LineStatus is where a statement line stands in the reconciliation.
type LineStatus string

const (
	LineUnmatched LineStatus = "unmatched" // nothing in the books found for it yet
	LineProposed  LineStatus = "proposed"  // candidates wait for a person to confirm one
	LineMatched   LineStatus = "matched"   // tied to the transaction that books it
	LineIgnored   LineStatus = "ignored"
)

// StoredLine is a statement line as the books keep it.
type StoredLine struct {
	ID            int64
	Account       string // the ledger's bank account, such as assets:bank:eur
	Currency      Currency
	StatementLine // what the bank said
	Status        LineStatus
	TransactionID string // when matched
	Locked        bool   // in a reconciled period
	Candidates    []MatchCandidate
}

// MatchCandidate is a ledger transaction that may book a statement line.
type MatchCandidate struct {
	TransactionID string
	Date          time.Time
	Description   string
	Amount        Money
	Score         int
	Reason        string // why it is a candidate: "amount and date", "reference DON-...", "Stripe payout po_..."
}

// ImportResult says what importing statements added.
type ImportResult struct {
	Statements  int // new statements
	Lines       int // new lines
	Duplicates  int // lines imported before, skipped
	AutoMatched int // new lines matched at once to a single exact candidate
	Proposed    int // new lines with candidates to confirm
}

// LedgerEntry is a transaction's movement on a bank account, as the
// reconciliation shows it.
type LedgerEntry struct {
	TransactionID string
	Date          time.Time
	Description   string
	Amount        Money
}

// Reconciliation compares a bank account's statements with the books for
// a period.
type Reconciliation struct {
	Account           string
	Currency          Currency
	From, To          time.Time
	StatementClosing  *Money // the closing balance of the last statement in the period; nil without one
	LedgerBalance     Money  // the books' balance of the account at To, all funds
	Difference        *Money // StatementClosing - LedgerBalance
	UnmatchedLines    []StoredLine
	UnmatchedLedger   []LedgerEntry
	ReconciledThrough *time.Time
}

// LineFilter selects statement lines; nil fields do not filter.
type LineFilter struct {
	Account string
	Status  *LineStatus
	From    *time.Time
	To      *time.Time
}

// ReconciliationService imports bank statements and ties them to the books.
type ReconciliationService interface {
	// ImportStatement stores a statement of the bank account whose ledger
	// code is account, skipping lines imported before, then matches the new
	// lines. Importing the same statement twice adds nothing.
	ImportStatement(ctx context.Context, account string, st *BankStatement, by string) (*ImportResult, error)
	Lines(ctx context.Context, f LineFilter) ([]StoredLine, error)
	// ConfirmMatch ties a line to the transaction that books it. A Stripe
	// payout's transaction is confirmed by booking the transfer from the
	// bank in transit to the bank, which the line is then tied to.
	ConfirmMatch(ctx context.Context, lineID int64, transactionID, by string) error
	Unmatch(ctx context.Context, lineID int64) error
	// LineToDonation turns an unmatched credit into a bank-transfer donation
	// to fund, the donor named as the statement names them, anonymous unless
	// ack says otherwise, and matches the line to it.
	LineToDonation(ctx context.Context, lineID int64, fund string, ack Acknowledgement, by string) (*Donation, error)
	// LineToExpense turns an unmatched debit into an expense (or, with
	// expenses:grants, a grant payment) in fund, and matches the line to it.
	LineToExpense(ctx context.Context, lineID int64, fund, account, description, by string) (*Transaction, error)
	Reconcile(ctx context.Context, account string, from, to time.Time) (*Reconciliation, error)
	// MarkReconciled locks the account's lines through the given date; the
	// statement and the books must agree to the cent, with nothing unmatched.
	MarkReconciled(ctx context.Context, account string, through time.Time, by string) error
}
