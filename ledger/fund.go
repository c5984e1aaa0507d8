package ledger

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Fund is a campaign the money is raised for. Every posting names a fund, so
// balances exist per fund, account and currency.
type Fund struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Currency    Currency         // the fund's reporting currency
	Target      *decimal.Decimal // optional fundraising target, in Currency
	Restricted  bool             // money may only be spent on the fund's purpose
	// BankDetails tells donors how to give by bank transfer: account
	// holder, IBAN, BIC and the reference to use. Shown in public.
	BankDetails string
	CreatedAt   time.Time
}

// Validate checks the fund's fields.
func (f *Fund) Validate() error {
	if err := ValidateSlug(f.Slug); err != nil {
		return err
	}
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" {
		return Errorf(EINVALID, "name is required")
	}
	if err := checkText("name", f.Name, 200); err != nil {
		return err
	}
	if err := checkText("description", f.Description, 10000); err != nil {
		return err
	}
	if err := checkText("bank_details", f.BankDetails, 2000); err != nil {
		return err
	}
	if f.Currency.Code == "" {
		return Errorf(EINVALID, "currency is required (an ISO 4217 code such as EUR)")
	}
	if f.Target != nil {
		if !f.Target.IsPositive() {
			return Errorf(EINVALID, "target must be greater than zero when given")
		}
		if err := CheckScale(*f.Target, f.Currency); err != nil {
			return Errorf(EINVALID, "target: %s", ErrorMessage(err))
		}
	}
	return nil
}

// ValidateSlug checks a fund slug: 2 to 64 lower-case letters, digits and
// hyphens, starting with a letter or digit.
func ValidateSlug(s string) error {
	if s == "" {
		return Errorf(EINVALID, "fund slug is required")
	}
	ok := len(s) >= 2 && len(s) <= 64 && s[0] != '-'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		return Errorf(EINVALID, "fund slug %q must be 2 to 64 lower-case letters, digits or hyphens", s)
	}
	return nil
}

// FundTotals are a fund's public aggregates.
type FundTotals struct {
	// Raised is the donation income received, per currency.
	Raised map[string]decimal.Decimal
	// Donations is the number of donations recorded (reversed ones excluded).
	Donations int64
	// GrantsPaid is what the fund paid out as hardship grants, per currency.
	GrantsPaid map[string]decimal.Decimal
	// RaisedInFundCurrency is Raised converted to the fund's currency at the
	// committee's exchange rates (informational; the books never convert at
	// them), nil when a rate is missing. RatesAsOf is the oldest rate used.
	RaisedInFundCurrency *decimal.Decimal
	RatesAsOf            time.Time
}
