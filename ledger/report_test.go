package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func reportDate(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestReportFilterValidatePeriod(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name     string
		f        ReportFilter
		required bool
		bad      string // part of the message, "" when valid
	}{
		{"both dates", ReportFilter{From: reportDate("2011-12-01"), To: reportDate("2011-12-31")}, true, ""},
		{"one day", ReportFilter{From: reportDate("2011-12-16"), To: reportDate("2011-12-16")}, true, ""},
		{"no dates where optional", ReportFilter{}, false, ""},
		{"no dates where required", ReportFilter{}, true, "from and to are required"},
		{"only from where required", ReportFilter{From: reportDate("2011-12-01")}, true, "from and to are required"},
		{"backwards", ReportFilter{From: reportDate("2012-01-01"), To: reportDate("2011-12-31")}, false, "before from"},
		{"too old", ReportFilter{From: reportDate("1899-12-31")}, false, "out of range"},
		{"too long", ReportFilter{From: reportDate("1950-01-01"), To: reportDate("2011-12-31")}, true, "longer than"},
		{"bad fund", ReportFilter{Fund: str("Zhanaozen Fund")}, false, "fund:"},
		{"bad currency", ReportFilter{Currency: str("EURO")}, false, "not a supported"},
	} {
		err := tc.f.ValidatePeriod(tc.required)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad != "" && (ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.bad)):
			t.Errorf("%s: %v, want an invalid error about %q", tc.name, err, tc.bad)
		}
	}
	cur := "kzt"
	f := ReportFilter{Currency: &cur}
	if err := f.ValidatePeriod(false); err != nil || *f.Currency != "KZT" {
		t.Errorf("currency normalised to %q: %v", *f.Currency, err)
	}
}

// tiedReport is a small report whose figures tie, in two currencies.
func tiedReport() *PeriodReport {
	eur, kzt := currencies["EUR"], currencies["KZT"]
	d := decimal.RequireFromString
	return &PeriodReport{
		Figures: []PeriodFigures{
			{Currency: eur, Opening: d("1000.00"), Income: d("1600.00"), ProcessorFees: d("2.90"), BankFees: d("12.50"),
				Conversions: d("-1000.00"), Closing: d("1584.60")},
			{Currency: kzt, Income: d("50000.00"), Grants: d("150000.00"), GrantCount: 2, Conversions: d("196543.21"),
				Interfund: d("-5000.00"), Closing: d("91543.21")},
		},
		Assets: []ReportAssetLine{
			{Account: "assets:bank:eur", Currency: eur, Opening: d("1000.00"), Closing: d("1487.50")},
			{Account: "assets:stripe", Currency: eur, Closing: d("97.10")},
			{Account: "assets:bank:kzt", Currency: kzt, Closing: d("91543.21")},
		},
		IncomeByChannel: []ReportLine{
			{Key: "card", Currency: eur, Amount: d("100.00"), Count: 1}, {Key: "organisation", Currency: eur, Amount: d("1500.00"), Count: 1},
			{Key: "cash", Currency: eur, Amount: d("0.00")}, {Key: "bank_transfer", Currency: kzt, Amount: d("50000.00"), Count: 1},
		},
		IncomeByCountry: []ReportLine{
			{Key: "", Currency: eur, Amount: d("100.00")}, {Key: "DE", Currency: eur, Amount: d("1500.00")}, {Key: "KZ", Currency: kzt, Amount: d("50000.00")},
		},
		GrantsByCategory: []ReportLine{
			{Key: "food", Currency: kzt, Amount: d("100000.00"), Count: 1}, {Key: "rent", Currency: kzt, Amount: d("50000.00"), Count: 1},
		},
	}
}

func TestPeriodReportCheck(t *testing.T) {
	if err := tiedReport().Check(); err != nil {
		t.Fatalf("a report that ties: %v", err)
	}
	one := decimal.RequireFromString("0.01")
	for _, tc := range []struct {
		name   string
		mutate func(r *PeriodReport)
		want   string
	}{
		{"closing off by a cent", func(r *PeriodReport) { r.Figures[0].Closing = r.Figures[0].Closing.Add(one) }, "closing balance"},
		{"a fee booked twice", func(r *PeriodReport) { r.Figures[0].BankFees = r.Figures[0].BankFees.Add(one) }, "closing balance"},
		{"a channel missing", func(r *PeriodReport) { r.IncomeByChannel = r.IncomeByChannel[1:] }, "income by channel"},
		{"a country off", func(r *PeriodReport) { r.IncomeByCountry[1].Amount = r.IncomeByCountry[1].Amount.Add(one) }, "income by country"},
		{"a category off", func(r *PeriodReport) { r.GrantsByCategory[0].Amount = r.GrantsByCategory[0].Amount.Sub(one) }, "grants by category"},
		{"a grant uncounted", func(r *PeriodReport) { r.GrantsByCategory[0].Count = 0 }, "grants by category"},
		{"an asset account missing", func(r *PeriodReport) { r.Assets = r.Assets[1:] }, "opening balances"},
		{"a breakdown without figures", func(r *PeriodReport) { r.Figures = r.Figures[:1] }, "no figures"},
	} {
		r := tiedReport()
		tc.mutate(r)
		err := r.Check()
		if ErrorCode(err) != EINTERNAL || !strings.Contains(ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want an internal error about %q", tc.name, err, tc.want)
		}
	}
}

func TestPeriodFigures(t *testing.T) {
	r := tiedReport()
	eur := r.FiguresIn("EUR")
	if !eur.Fees().Equal(decimal.RequireFromString("15.40")) || !eur.Transfers().Equal(decimal.RequireFromString("-1000")) ||
		!eur.ExpectedClosing().Equal(eur.Closing) {
		t.Errorf("EUR: fees %s, transfers %s, expected closing %s", eur.Fees(), eur.Transfers(), eur.ExpectedClosing())
	}
	if none := r.FiguresIn("GBP"); none.Currency.Code != "GBP" || !none.Closing.IsZero() {
		t.Errorf("GBP: %+v", none)
	}
	if got := strings.Join(r.Currencies(), ","); got != "EUR,KZT" {
		t.Errorf("currencies %s", got)
	}
	tot := RegisterTotal{Amount: decimal.RequireFromString("2000.00"), Reversed: decimal.RequireFromString("300.00")}
	if !tot.Net().Equal(decimal.RequireFromString("1700")) {
		t.Errorf("net %s", tot.Net())
	}
}

func TestWeekOf(t *testing.T) {
	for in, want := range map[string]string{
		"2011-12-05": "2011-12-05", // a Monday
		"2011-12-11": "2011-12-05", // the Sunday after
		"2011-12-16": "2011-12-12",
		"2012-01-01": "2011-12-26", // across a year
	} {
		if got := WeekOf(*reportDate(in)).Format(time.DateOnly); got != want {
			t.Errorf("WeekOf(%s) = %s, want %s", in, got, want)
		}
	}
	if got := WeekOf(time.Date(2011, 12, 16, 23, 30, 0, 0, time.UTC)); got != *reportDate("2011-12-12") {
		t.Errorf("WeekOf keeps the time: %s", got)
	}
}
