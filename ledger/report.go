package ledger

import (
	"context"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Reports are read from the postings, or, for the period report and the
// charts, from daily totals the database keeps from the postings in the same
// database transaction and that verify recomputes from them, so that every
// figure is what the ledger says. The period report's
// definitions, per currency, for the postings of one fund (or of every fund)
// effective between From and To inclusive:
//
//	Opening        the sum of the asset postings effective before From
//	Closing        the sum of the asset postings effective on or before To
//	Income         minus the sum of the postings on income accounts
//	ProcessorFees  the sum on expenses:fees:stripe (and accounts under it)
//	BankFees       the sum on expenses:fees:bank (and accounts under it)
//	Grants         the sum on expenses:grants (and accounts under it)
//	OtherExpenses  the sum on every other expense account
//	Conversions    minus the sum on equity:conversion (and under it): what
//	               currency conversions brought into this currency
//	Interfund      minus the sum on equity:interfund (and under it), plus, for
//	               one fund, what its postings in each transaction leave
//	               unbalanced (the other side of a transfer is in another fund)
//	OtherEquity    minus the sum on every other equity account (opening balances)
//	Liabilities    minus the sum on liability accounts: the increase in what is owed
//
// Because every transaction balances in each currency,
//
//	Closing = Opening + Income − ProcessorFees − BankFees − Grants − OtherExpenses
//	          + Conversions + Interfund + OtherEquity + Liabilities
//
// and PeriodReport.Check verifies it. A reversal is a transaction like any
// other: it counts in the period of its own date, with the opposite sign.
//
// Breakdowns: income by channel (the part of the income account after
// income:donations:, or the whole account code for other income), by donor
// country (the donation the transaction books, reverses or names in its
// metadata; "" when none is known, as for street collections), and grants by
// category (the transaction's grant_category metadata, or for a reversal its
// original's; "other" when there is none). A count is the number of
// transactions that moved the figure one way (a payment, a donation) less the
// number that moved it back (their reversals).

// ReportCategoryOther is the category of a grant recorded without one.
const ReportCategoryOther = "other"

// ReportFilter selects what a report or register covers; nil fields do not
// filter. From and To are calendar dates, both inclusive.
type ReportFilter struct {
	Fund     *string
	From     *time.Time
	To       *time.Time
	Channel  *string // donation register: a channel such as bank_transfer, or collection
	Currency *string // an ISO 4217 code
	Category *string // grant register: a grant category
	Account  string  // account statement: the account, required there
}

// MaxReportDays bounds the period of a report, so one request cannot ask the
// database for centuries of weeks.
const MaxReportDays = 20 * 366

// ValidatePeriod checks the filter's period and its currency. A period report
// and the charts need both dates; registers and statements take either.
func (f *ReportFilter) ValidatePeriod(required bool) error {
	if required && (f.From == nil || f.To == nil) {
		return Errorf(EINVALID, "from and to are required (YYYY-MM-DD): the period is from the first date to the second, both included")
	}
	for _, d := range []struct {
		name string
		t    *time.Time
	}{{"from", f.From}, {"to", f.To}} {
		if d.t == nil {
			continue
		}
		*d.t = Date(*d.t)
		if y := d.t.Year(); y < 1900 || y > 9999 {
			return Errorf(EINVALID, "%s %s is out of range (years 1900 to 9999)", d.name, d.t.Format(time.DateOnly))
		}
	}
	if f.From != nil && f.To != nil {
		if f.To.Before(*f.From) {
			return Errorf(EINVALID, "to %s is before from %s", f.To.Format(time.DateOnly), f.From.Format(time.DateOnly))
		}
		if f.To.Sub(*f.From) > MaxReportDays*24*time.Hour {
			return Errorf(EINVALID, "the period is longer than %d days: choose a shorter one", MaxReportDays)
		}
	}
	if f.Fund != nil {
		if err := ValidateSlug(*f.Fund); err != nil {
			return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
		}
	}
	if f.Currency != nil {
		c, err := LookupCurrency(*f.Currency)
		if err != nil {
			return err
		}
		*f.Currency = c.Code
	}
	return nil
}

// PeriodFigures are the period report's figures in one currency (see the
// definitions above). Amounts are positive in the usual direction: income
// received, fees and grants paid, money brought in by conversions and
// transfers.
type PeriodFigures struct {
	Currency      Currency
	Opening       decimal.Decimal
	Income        decimal.Decimal
	ProcessorFees decimal.Decimal
	BankFees      decimal.Decimal
	Grants        decimal.Decimal
	GrantCount    int64
	OtherExpenses decimal.Decimal
	Conversions   decimal.Decimal
	Interfund     decimal.Decimal
	OtherEquity   decimal.Decimal
	Liabilities   decimal.Decimal
	Closing       decimal.Decimal
}

// Fees is what the fund paid in processor and bank fees.
func (f PeriodFigures) Fees() decimal.Decimal { return f.ProcessorFees.Add(f.BankFees) }

// Transfers is what conversions and transfers between funds brought in (negative: took out).
func (f PeriodFigures) Transfers() decimal.Decimal { return f.Conversions.Add(f.Interfund) }

// ExpectedClosing is the opening balance moved by every figure of the period.
func (f PeriodFigures) ExpectedClosing() decimal.Decimal {
	return f.Opening.Add(f.Income).Sub(f.Fees()).Sub(f.Grants).Sub(f.OtherExpenses).
		Add(f.Transfers()).Add(f.OtherEquity).Add(f.Liabilities)
}

// ReportLine is one line of a breakdown: a key (a channel, a country, a
// grant category) in one currency.
type ReportLine struct {
	Key      string
	Currency Currency
	Amount   decimal.Decimal
	Count    int64
}

// ReportAssetLine is one asset account's balance in one currency at the
// start and end of the period.
type ReportAssetLine struct {
	Account  string
	Currency Currency
	Opening  decimal.Decimal
	Closing  decimal.Decimal
}

// PeriodReport is what a fund (or every fund, Fund "") received, paid and
// held in a period.
type PeriodReport struct {
	Fund     string
	From, To time.Time
	// BooksSeq and BooksHash are the head of the hash chain when the report
	// was read: they name the exact state of the books it sums, so a signed
	// report can be checked against them later.
	BooksSeq         int64
	BooksHash        []byte
	Figures          []PeriodFigures   // one per currency, by code
	Assets           []ReportAssetLine // by account, then currency
	IncomeByChannel  []ReportLine      // by currency, then channel
	IncomeByCountry  []ReportLine      // by currency, then country ("" unknown)
	GrantsByCategory []ReportLine      // by currency, then category
}

// FiguresIn returns the figures in currency code, zero when there are none.
func (r *PeriodReport) FiguresIn(code string) PeriodFigures {
	for _, f := range r.Figures {
		if f.Currency.Code == code {
			return f
		}
	}
	c, _ := LookupCurrency(code)
	return PeriodFigures{Currency: c}
}

// Check verifies that the report ties: in each currency the closing balance
// is the opening balance moved by the period's figures, the breakdowns sum
// to the figures they break down, and the asset lines to the balances. A
// report that does not tie is an EINTERNAL error: the books or the report's
// SQL are wrong, and nobody should sign it.
func (r *PeriodReport) Check() error {
	type sums struct {
		channel, country, grants, opening, closing decimal.Decimal
		grantCount                                 int64
	}
	by := map[string]*sums{}
	get := func(code string) *sums {
		if by[code] == nil {
			by[code] = &sums{}
		}
		return by[code]
	}
	for _, l := range r.IncomeByChannel {
		s := get(l.Currency.Code)
		s.channel = s.channel.Add(l.Amount)
	}
	for _, l := range r.IncomeByCountry {
		s := get(l.Currency.Code)
		s.country = s.country.Add(l.Amount)
	}
	for _, l := range r.GrantsByCategory {
		s := get(l.Currency.Code)
		s.grants = s.grants.Add(l.Amount)
		s.grantCount += l.Count
	}
	for _, a := range r.Assets {
		s := get(a.Currency.Code)
		s.opening, s.closing = s.opening.Add(a.Opening), s.closing.Add(a.Closing)
	}
	seen := map[string]bool{}
	for _, f := range r.Figures {
		code := f.Currency.Code
		seen[code] = true
		s := get(code)
		for _, c := range []struct {
			what      string
			got, want decimal.Decimal
		}{
			{"closing balance against opening balance and the period's figures", f.ExpectedClosing(), f.Closing},
			{"income by channel against income", s.channel, f.Income},
			{"income by country against income", s.country, f.Income},
			{"grants by category against grants", s.grants, f.Grants},
			{"asset accounts' opening balances against the opening balance", s.opening, f.Opening},
			{"asset accounts' closing balances against the closing balance", s.closing, f.Closing},
		} {
			if !c.got.Equal(c.want) {
				return Errorf(EINTERNAL, "the period report does not tie in %s: %s: %s, not %s", code, c.what, c.got.String(), c.want.String())
			}
		}
		if s.grantCount != f.GrantCount {
			return Errorf(EINTERNAL, "the period report does not tie in %s: %d grants by category, not %d", code, s.grantCount, f.GrantCount)
		}
	}
	for code := range by {
		if !seen[code] {
			return Errorf(EINTERNAL, "the period report has breakdowns in %s but no figures", code)
		}
	}
	return nil
}

// Currencies lists the codes the report has figures in.
func (r *PeriodReport) Currencies() []string {
	out := make([]string, 0, len(r.Figures))
	for _, f := range r.Figures {
		out = append(out, f.Currency.Code)
	}
	sort.Strings(out)
	return out
}

// AccountStatementLine is one posting on the account, with the account's
// balance in its currency after it.
type AccountStatementLine struct {
	Date          time.Time
	TransactionID string
	Seq           int64
	Description   string
	Fund          string
	Amount        decimal.Decimal
	Currency      Currency
	Balance       decimal.Decimal
	ReversalOf    string
}

// AccountStatement is every posting on one account (in one fund, or all) in
// a period, with a running balance per currency that starts from the
// balance before the period.
type AccountStatement struct {
	Account  string
	Fund     string
	From, To *time.Time
	Opening  []Money // by currency code
	Lines    []AccountStatementLine
	Closing  []Money // by currency code
}

// DonationRegisterLine is one donation as recorded, or one currency of a
// street collection (its place instead of a donor). The donor fields are
// personal data: the register is for the committee only.
type DonationRegisterLine struct {
	ID                string // the donation's or the collection's id
	TransactionID     string
	Date              time.Time
	Fund              string
	Channel           string // a ledger channel, or "collection"
	Amount            decimal.Decimal
	Currency          Currency
	DonorName         string
	DonorOrganisation string
	DonorCountry      string
	Place             string     // a street collection's place
	ReversedOn        *time.Time // when its transaction was reversed, if it was
}

// RegisterTotal is a register's total in one currency.
type RegisterTotal struct {
	Currency Currency
	Count    int64
	Amount   decimal.Decimal
	// Reversed is the part of Amount (and ReversedCount of Count) whose
	// transactions were reversed since, on any date.
	Reversed      decimal.Decimal
	ReversedCount int64
}

// Net is the amount not reversed.
func (t RegisterTotal) Net() decimal.Decimal { return t.Amount.Sub(t.Reversed) }

// DonationRegister lists donations by date.
type DonationRegister struct {
	Lines  []DonationRegisterLine
	Totals []RegisterTotal // by currency code
}

// GrantRegisterLine is one grant payment (or its reversal, with a negative
// amount): references only, never anything about the recipient.
type GrantRegisterLine struct {
	TransactionID string
	Ref           string // the transaction's grant_ref (for a reversal, its original's)
	Date          time.Time
	Fund          string
	Category      string
	Amount        decimal.Decimal
	Currency      Currency
	ReversalOf    string
}

// GrantRegister lists grant payments by date. Its totals are net of the
// reversals listed; Count is payments less reversals.
type GrantRegister struct {
	Lines  []GrantRegisterLine
	Totals []RegisterTotal // by currency code; Reversed stays zero
}

// WeeklyAmount is an amount in one week (Monday to Sunday, by the Monday's
// date) under a key: a channel's income in the week, or the assets' balance
// at the end of the week (Key "").
type WeeklyAmount struct {
	Week     time.Time
	Key      string
	Currency Currency
	Amount   decimal.Decimal
}

// ReportService reads reports from the postings and their daily totals. Every method reads one
// consistent snapshot of the books.
type ReportService interface {
	// PeriodReport needs From and To; it fails with EINTERNAL when the
	// report does not tie (see PeriodReport.Check).
	PeriodReport(ctx context.Context, f ReportFilter) (*PeriodReport, error)
	AccountStatement(ctx context.Context, f ReportFilter) (*AccountStatement, error)
	DonationRegister(ctx context.Context, f ReportFilter) (*DonationRegister, error)
	GrantRegister(ctx context.Context, f ReportFilter) (*GrantRegister, error)
	// WeeklyIncome is income per week and channel in the period; weeks
	// without income are left out.
	WeeklyIncome(ctx context.Context, f ReportFilter) ([]WeeklyAmount, error)
	// WeeklyBalance is the assets' balance per currency at the end of every
	// week of the period (at To for the last one).
	WeeklyBalance(ctx context.Context, f ReportFilter) ([]WeeklyAmount, error)
}

// WeekOf returns the Monday of t's week.
func WeekOf(t time.Time) time.Time {
	t = Date(t)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}
