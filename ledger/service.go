package ledger

import (
	"context"
)

// FundService manages funds. CreateFund also opens the default chart of
// accounts when the books have none.
type FundService interface {
	CreateFund(ctx context.Context, f *Fund, key, fingerprint string) error
	FindFund(ctx context.Context, slug string) (*Fund, error)
	ListFunds(ctx context.Context) ([]*Fund, error)
	FundTotals(ctx context.Context, slug string) (*FundTotals, error)
}

// AccountService reads and extends the chart of accounts.
type AccountService interface {
	ListAccounts(ctx context.Context) ([]Account, error)
	// OpenAccount adds an account under an existing parent.
	OpenAccount(ctx context.Context, a Account) error
}

// TransactionService records and reads journal entries.
type TransactionService interface {
	// RecordTransaction validates and records t, filling its ID, Seq, hashes
	// and RecordedAt. If t's idempotency key was used before with the same
	// fingerprint it returns the transaction recorded then; with a different
	// fingerprint it fails with ECONFLICT.
	RecordTransaction(ctx context.Context, t *Transaction) (*Transaction, error)
	FindTransaction(ctx context.Context, id string) (*Transaction, error)
	// ReverseTransaction records the reversal of transaction id. A transaction
	// is reversed at most once; reversing a reversal is refused.
	ReverseTransaction(ctx context.Context, id string, r *Transaction) (*Transaction, error)
	// EachTransaction calls fn for every matching transaction in chain order,
	// streaming, so memory does not grow with the books.
	EachTransaction(ctx context.Context, f TransactionFilter, fn func(*Transaction) error) error
}

// DonationService records donations.
type DonationService interface {
	// RecordDonation validates d and books it; idempotent like RecordTransaction.
	RecordDonation(ctx context.Context, d *Donation) (*Donation, error)
	FindDonation(ctx context.Context, id string) (*Donation, error)
}

// BalanceService reads balances.
type BalanceService interface {
	Balances(ctx context.Context, f BalanceFilter) ([]Balance, error)
	TrialBalance(ctx context.Context, f BalanceFilter) ([]Balance, error)
}

// TokenService issues and checks API tokens.
type TokenService interface {
	// CreateToken stores a new token and returns its secret, shown only once.
	CreateToken(ctx context.Context, name string, role Role) (secret string, t *Token, err error)
	// Authenticate returns the token whose secret this is, or EUNAUTHORIZED.
	Authenticate(ctx context.Context, secret string) (*Token, error)
}

// Verifier recomputes the books from postings.
type Verifier interface {
	Verify(ctx context.Context) (*VerifyReport, error)
}
