package postgres_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// reportBooks are the books the report tests read: two funds, donations in
// four channels and three currencies from donors in four countries, a street
// collection, a card payment with its processor fee, a bank fee, a
// conversion, three grant payments (two with a category), a transfer between
// the funds, reversals, and entries before and after December 2011.
type reportBooks struct {
	*books
	reports *postgres.ReportService
	grants  map[string]string // grant ref -> transaction id
}

func mustReportBooks(t *testing.T) *reportBooks {
	t.Helper()
	b := &reportBooks{books: mustBooks(t), grants: map[string]string{}}
	b.reports = postgres.NewReportService(b.db)
	b.mustFund(t, "karaganda", "KZT")

	cheque := b.repDonation(t, "zhanaozen", "2011-12-08", "300.00", "EUR", ledger.ChannelCheque, "Jan Kowalski", "PL")
	b.repDonation(t, "zhanaozen", "2011-11-20", "1000.00", "EUR", ledger.ChannelBankTransfer, "Ingrid Svensson", "DE")
	b.repDonation(t, "zhanaozen", "2011-12-05", "1500.00", "EUR", ledger.ChannelOrganisation, "Maria Schmidt", "DE")
	b.repDonation(t, "zhanaozen", "2011-12-06", "200.00", "EUR", ledger.ChannelCash, "Jeanne Martin", "FR")
	b.repDonation(t, "zhanaozen", "2011-12-07", "50000.00", "KZT", ledger.ChannelBankTransfer, "Асель Нурланова", "KZ")
	b.repDonation(t, "karaganda", "2011-12-12", "20000.00", "KZT", ledger.ChannelBankTransfer, "Ерлан Ахметов", "KZ")
	b.repDonation(t, "zhanaozen", "2012-01-05", "777.00", "EUR", ledger.ChannelBankTransfer, "", "")
	if _, err := b.dons.RecordCollection(ctx, &ledger.Collection{Fund: "zhanaozen", Place: "Hamburg, Jungfernstieg",
		CollectedOn: date("2011-12-03"), Collectors: []string{"Klaus"}, CountedBy: [2]string{"Anna", "Bernd"},
		Counts:         []ledger.Money{{Amount: dec("150.00"), Currency: mustCurrency(t, "EUR")}, {Amount: dec("20.00"), Currency: mustCurrency(t, "GBP")}},
		IdempotencyKey: "collection-1", Fingerprint: "fp"}); err != nil {
		t.Fatal(err)
	}
	// A card payment as Stripe settles it: the fee is kept back.
	b.repEntry(t, "card-1", "2011-12-09", "Card donation (Stripe)", nil,
		posting(t, "assets:stripe", "zhanaozen", "97.10", "EUR"),
		posting(t, "expenses:fees:stripe", "zhanaozen", "2.90", "EUR"),
		posting(t, "income:donations:card", "zhanaozen", "-100.00", "EUR"))
	b.repEntry(t, "fx-1", "2011-12-10", "EUR to KZT", nil,
		posting(t, "assets:bank:eur", "zhanaozen", "-1000.00", "EUR"),
		posting(t, "equity:conversion", "zhanaozen", "1000.00", "EUR"),
		posting(t, "equity:conversion", "zhanaozen", "-196543.21", "KZT"),
		posting(t, "assets:bank:kzt", "zhanaozen", "196543.21", "KZT"))
	b.grants["G-001"] = b.repGrant(t, "zhanaozen", "2011-12-15", "100000.00", "G-001", "food")
	b.grants["G-002"] = b.repGrant(t, "zhanaozen", "2011-12-20", "50000.00", "G-002", "rent")
	b.grants["G-003"] = b.repGrant(t, "zhanaozen", "2011-12-21", "10000.00", "G-003", "")
	b.repEntry(t, "transfer-1", "2011-12-22", "Transfer to the Karaganda fund", nil,
		posting(t, "assets:bank:kzt", "zhanaozen", "-5000.00", "KZT"),
		posting(t, "assets:bank:kzt", "karaganda", "5000.00", "KZT"))
	b.repEntry(t, "fee-1", "2011-12-30", "Account fee, December", nil,
		posting(t, "expenses:fees:bank", "zhanaozen", "12.50", "EUR"),
		posting(t, "assets:bank:eur", "zhanaozen", "-12.50", "EUR"))
	b.repReverse(t, cheque.TransactionID, "2011-12-28")
	b.repReverse(t, b.grants["G-002"], "2012-01-05")
	b.mustVerify(t)
	return b
}

func (b *reportBooks) repDonation(t *testing.T, fund, on, amount, cur string, ch ledger.Channel, name, country string) *ledger.Donation {
	t.Helper()
	m, err := ledger.ParseMoney(amount, cur)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("don-%s-%s-%s", fund, on, amount)
	donor := ledger.Donor{Name: name, Country: country}
	if ch == ledger.ChannelOrganisation {
		donor.Organisation = "IG Metall Hamburg"
	}
	d, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: fund, Amount: m, Channel: ch, ReceivedOn: date(on),
		Donor: donor, IdempotencyKey: key, Fingerprint: key})
	if err != nil {
		t.Fatalf("donation %s: %v", key, err)
	}
	return d
}

func (b *reportBooks) repEntry(t *testing.T, key, on, desc string, meta map[string]string, ps ...ledger.Posting) string {
	t.Helper()
	tx, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: key, EffectiveDate: date(on), Description: desc, Metadata: meta, Postings: ps})
	if err != nil {
		t.Fatalf("entry %s: %v", key, err)
	}
	return tx.ID
}

// repGrant pays a hardship grant as the grants feature books it: Dr
// expenses:grants, Cr the bank, with its reference and category.
func (b *reportBooks) repGrant(t *testing.T, fund, on, amount, ref, category string) string {
	t.Helper()
	meta := map[string]string{"grant_ref": ref}
	if category != "" {
		meta["grant_category"] = category
	}
	return b.repEntry(t, "grant-"+ref, on, "Hardship grant "+ref, meta,
		posting(t, "expenses:grants", fund, amount, "KZT"),
		posting(t, "assets:bank:kzt", fund, "-"+amount, "KZT"))
}

func (b *reportBooks) repReverse(t *testing.T, id, on string) {
	t.Helper()
	if _, err := b.txs.ReverseTransaction(ctx, id, &ledger.Transaction{IdempotencyKey: "rev-" + id, EffectiveDate: date(on), Description: "Reversal"}); err != nil {
		t.Fatalf("reverse %s: %v", id, err)
	}
}

func period(fund, from, to string) ledger.ReportFilter {
	f := ledger.ReportFilter{}
	if fund != "" {
		f.Fund = &fund
	}
	fr, tt := date(from), date(to)
	f.From, f.To = &fr, &tt
	return f
}

// independent computes the period report's figures from the transactions
// themselves, in Go, without the report's SQL: what each figure must be.
type independent struct {
	figures  map[string]*ledger.PeriodFigures
	channels map[[2]string]decimal.Decimal // {key, currency}
	country  map[[2]string]decimal.Decimal
	category map[[2]string]decimal.Decimal
	catCount map[[2]string]int64
	assets   map[[2]string][2]decimal.Decimal // {account, currency} -> opening, closing
}

func (b *reportBooks) independent(t *testing.T, f ledger.ReportFilter) *independent {
	t.Helper()
	countries := map[string]string{} // transaction id -> donor country
	rows, err := b.db.Pool.Query(ctx, `select transaction_id::text, donor_country from donations`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		countries[id] = c
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	in := &independent{figures: map[string]*ledger.PeriodFigures{}, channels: map[[2]string]decimal.Decimal{},
		country: map[[2]string]decimal.Decimal{}, category: map[[2]string]decimal.Decimal{}, catCount: map[[2]string]int64{},
		assets: map[[2]string][2]decimal.Decimal{}}
	fig := func(c ledger.Currency) *ledger.PeriodFigures {
		if in.figures[c.Code] == nil {
			in.figures[c.Code] = &ledger.PeriodFigures{Currency: c}
		}
		return in.figures[c.Code]
	}
	meta := map[string]map[string]string{}
	err = b.txs.EachTransaction(ctx, ledger.TransactionFilter{}, func(tx *ledger.Transaction) error {
		meta[tx.ID] = tx.Metadata
		inPeriod := !tx.EffectiveDate.Before(*f.From) && !tx.EffectiveDate.After(*f.To)
		grants := map[string]decimal.Decimal{}
		for _, p := range tx.Postings {
			if f.Fund != nil && p.Fund != *f.Fund {
				continue
			}
			typ, _ := ledger.AccountTypeOf(p.Account)
			if typ == ledger.Asset && !tx.EffectiveDate.After(*f.To) {
				k := [2]string{p.Account, p.Currency.Code}
				oc := in.assets[k]
				if tx.EffectiveDate.Before(*f.From) {
					oc[0] = oc[0].Add(p.Amount)
					fig(p.Currency).Opening = fig(p.Currency).Opening.Add(p.Amount)
				}
				oc[1] = oc[1].Add(p.Amount)
				in.assets[k] = oc
				fig(p.Currency).Closing = fig(p.Currency).Closing.Add(p.Amount)
			}
			if !inPeriod {
				continue
			}
			g := fig(p.Currency)
			g.Interfund = g.Interfund.Add(p.Amount) // what the fund's postings leave unbalanced
			under := func(root string) bool { return p.Account == root || strings.HasPrefix(p.Account, root+":") }
			switch {
			case typ == ledger.Asset:
			case typ == ledger.Income:
				g.Income = g.Income.Sub(p.Amount)
				key := strings.TrimPrefix(p.Account, "income:donations:")
				in.channels[[2]string{key, p.Currency.Code}] = in.channels[[2]string{key, p.Currency.Code}].Sub(p.Amount)
				c := countries[tx.ID]
				if tx.ReversalOf != "" {
					c = countries[tx.ReversalOf]
				}
				in.country[[2]string{c, p.Currency.Code}] = in.country[[2]string{c, p.Currency.Code}].Sub(p.Amount)
			case typ == ledger.Liability:
				g.Liabilities = g.Liabilities.Sub(p.Amount)
			case under("expenses:fees:stripe"):
				g.ProcessorFees = g.ProcessorFees.Add(p.Amount)
			case under("expenses:fees:bank"):
				g.BankFees = g.BankFees.Add(p.Amount)
			case under("expenses:grants"):
				g.Grants = g.Grants.Add(p.Amount)
				grants[p.Currency.Code] = grants[p.Currency.Code].Add(p.Amount)
			case typ == ledger.Expense:
				g.OtherExpenses = g.OtherExpenses.Add(p.Amount)
			case under("equity:conversion"):
				g.Conversions = g.Conversions.Sub(p.Amount)
			case under("equity:interfund"):
				g.Interfund = g.Interfund.Sub(p.Amount)
			default:
				g.OtherEquity = g.OtherEquity.Sub(p.Amount)
			}
		}
		for cur, amt := range grants {
			cat := tx.Metadata["grant_category"]
			if tx.ReversalOf != "" {
				cat = meta[tx.ReversalOf]["grant_category"]
			}
			if cat == "" {
				cat = ledger.ReportCategoryOther
			}
			k := [2]string{cat, cur}
			in.category[k] = in.category[k].Add(amt)
			switch {
			case amt.IsPositive():
				in.catCount[k]++
				fig(ledger.Currency{Code: cur}).GrantCount++
			case amt.IsNegative():
				in.catCount[k]--
				fig(ledger.Currency{Code: cur}).GrantCount--
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// mustTie checks every figure of the report against the postings summed
// independently, and the identities between the figures.
func mustTie(t *testing.T, r *ledger.PeriodReport, in *independent) {
	t.Helper()
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	var nonZero []string
	for code, want := range in.figures {
		zero := want.Opening.IsZero() && want.Closing.IsZero() && want.Income.IsZero() && want.Grants.IsZero() && want.Fees().IsZero() &&
			want.Transfers().IsZero() && want.OtherEquity.IsZero() && want.OtherExpenses.IsZero() && want.Liabilities.IsZero()
		if !zero {
			nonZero = append(nonZero, code)
		}
		got := r.FiguresIn(code)
		for _, c := range []struct {
			name      string
			got, want decimal.Decimal
		}{
			{"opening", got.Opening, want.Opening}, {"income", got.Income, want.Income},
			{"processor fees", got.ProcessorFees, want.ProcessorFees}, {"bank fees", got.BankFees, want.BankFees},
			{"grants", got.Grants, want.Grants}, {"other expenses", got.OtherExpenses, want.OtherExpenses},
			{"conversions", got.Conversions, want.Conversions}, {"interfund", got.Interfund, want.Interfund},
			{"other equity", got.OtherEquity, want.OtherEquity}, {"liabilities", got.Liabilities, want.Liabilities},
			{"closing", got.Closing, want.Closing},
		} {
			if !c.got.Equal(c.want) {
				t.Errorf("%s %s: report %s, postings %s", code, c.name, c.got, c.want)
			}
		}
		if got.GrantCount != want.GrantCount {
			t.Errorf("%s grant count: report %d, postings %d", code, got.GrantCount, want.GrantCount)
		}
		// The identity the committee signs.
		if sum := got.Opening.Add(got.Income).Sub(got.ProcessorFees).Sub(got.BankFees).Sub(got.Grants).
			Add(got.Conversions).Add(got.Interfund); !got.OtherExpenses.IsZero() || !got.OtherEquity.IsZero() || !got.Liabilities.IsZero() || !sum.Equal(got.Closing) {
			t.Errorf("%s: opening + income - fees - grants ± transfers = %s, closing %s", code, sum, got.Closing)
		}
	}
	sort.Strings(nonZero)
	if strings.Join(r.Currencies(), ",") != strings.Join(nonZero, ",") {
		t.Errorf("report currencies %v, postings %v", r.Currencies(), nonZero)
	}
	compare := func(what string, lines []ledger.ReportLine, want map[[2]string]decimal.Decimal) {
		t.Helper()
		got := map[[2]string]decimal.Decimal{}
		for _, l := range lines {
			got[[2]string{l.Key, l.Currency.Code}] = l.Amount
		}
		for k, v := range want {
			if !got[k].Equal(v) {
				t.Errorf("%s %v: report %s, postings %s", what, k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok && !v.IsZero() {
				t.Errorf("%s %v: report %s, postings none", what, k, v)
			}
		}
	}
	compare("income by channel", r.IncomeByChannel, in.channels)
	compare("income by country", r.IncomeByCountry, in.country)
	compare("grants by category", r.GrantsByCategory, in.category)
	for _, l := range r.GrantsByCategory {
		if want := in.catCount[[2]string{l.Key, l.Currency.Code}]; l.Count != want {
			t.Errorf("grants %s %s: count %d, postings %d", l.Key, l.Currency.Code, l.Count, want)
		}
	}
	for _, a := range r.Assets {
		want := in.assets[[2]string{a.Account, a.Currency.Code}]
		if !a.Opening.Equal(want[0]) || !a.Closing.Equal(want[1]) {
			t.Errorf("asset %s %s: report %s..%s, postings %s..%s", a.Account, a.Currency.Code, a.Opening, a.Closing, want[0], want[1])
		}
	}
}

func line(lines []ledger.ReportLine, key, cur string) ledger.ReportLine {
	for _, l := range lines {
		if l.Key == key && l.Currency.Code == cur {
			return l
		}
	}
	return ledger.ReportLine{}
}

func TestPeriodReportTies(t *testing.T) {
	b := mustReportBooks(t)
	for _, tc := range []struct {
		fund, from, to string
	}{
		{"zhanaozen", "2011-12-01", "2011-12-31"},
		{"", "2011-12-01", "2011-12-31"},
		{"karaganda", "2011-12-01", "2011-12-31"},
		{"zhanaozen", "2012-01-01", "2012-01-31"},
		{"", "2011-12-10", "2011-12-21"},
		{"", "2011-01-01", "2012-12-31"},
		{"zhanaozen", "2010-01-01", "2010-12-31"}, // before anything
	} {
		t.Run(tc.fund+"/"+tc.from+"/"+tc.to, func(t *testing.T) {
			f := period(tc.fund, tc.from, tc.to)
			r, err := b.reports.PeriodReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			mustTie(t, r, b.independent(t, f))
		})
	}

	// The figures a treasurer would work out by hand for December.
	r, err := b.reports.PeriodReport(ctx, period("zhanaozen", "2011-12-01", "2011-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	eur, kzt, gbp := r.FiguresIn("EUR"), r.FiguresIn("KZT"), r.FiguresIn("GBP")
	for _, c := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"EUR opening (November's transfer)", eur.Opening, dec("1000.00")},
		{"EUR income: 1500 + 200 + 300 + 150 + 100 - 300 reversed", eur.Income, dec("1950.00")},
		{"EUR processor fees", eur.ProcessorFees, dec("2.90")},
		{"EUR bank fees", eur.BankFees, dec("12.50")},
		{"EUR conversions", eur.Conversions, dec("-1000.00")},
		{"EUR closing, without January's 777", eur.Closing, dec("1934.60")},
		{"KZT income", kzt.Income, dec("50000.00")},
		{"KZT grants", kzt.Grants, dec("160000.00")},
		{"KZT conversions", kzt.Conversions, dec("196543.21")},
		{"KZT transfer to karaganda", kzt.Interfund, dec("-5000.00")},
		{"KZT closing", kzt.Closing, dec("81543.21")},
		{"GBP collection", gbp.Closing, dec("20.00")},
		{"cheque donation and its reversal", line(r.IncomeByChannel, "cheque", "EUR").Amount, dec("0")},
		{"card", line(r.IncomeByChannel, "card", "EUR").Amount, dec("100.00")},
		{"collection", line(r.IncomeByChannel, "collection", "EUR").Amount, dec("150.00")},
		{"donors in Germany", line(r.IncomeByCountry, "DE", "EUR").Amount, dec("1500.00")},
		{"donors in Poland, reversed", line(r.IncomeByCountry, "PL", "EUR").Amount, dec("0")},
		{"unknown country: card and collection", line(r.IncomeByCountry, "", "EUR").Amount, dec("250.00")},
		{"food", line(r.GrantsByCategory, "food", "KZT").Amount, dec("100000.00")},
		{"uncategorised", line(r.GrantsByCategory, "other", "KZT").Amount, dec("10000.00")},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	if kzt.GrantCount != 3 || line(r.IncomeByChannel, "cheque", "EUR").Count != 0 || line(r.IncomeByChannel, "organisation", "EUR").Count != 1 {
		t.Errorf("counts: %d grants, cheque %d, organisation %d", kzt.GrantCount, line(r.IncomeByChannel, "cheque", "EUR").Count,
			line(r.IncomeByChannel, "organisation", "EUR").Count)
	}

	// January: December's closing is the opening; the reversed rent grant
	// counts back in its own category.
	jan, err := b.reports.PeriodReport(ctx, period("zhanaozen", "2012-01-01", "2012-01-31"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"EUR", "KZT", "GBP"} {
		if !jan.FiguresIn(code).Opening.Equal(r.FiguresIn(code).Closing) {
			t.Errorf("%s: January opens at %s, December closed at %s", code, jan.FiguresIn(code).Opening, r.FiguresIn(code).Closing)
		}
	}
	if rent := line(jan.GrantsByCategory, "rent", "KZT"); !rent.Amount.Equal(dec("-50000.00")) || rent.Count != -1 {
		t.Errorf("January rent: %+v", rent)
	}

	// All funds: the transfer between them cancels out.
	all, err := b.reports.PeriodReport(ctx, period("", "2011-12-01", "2011-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	if k := all.FiguresIn("KZT"); !k.Interfund.IsZero() || !k.Income.Equal(dec("70000.00")) || !k.Closing.Equal(dec("106543.21")) {
		t.Errorf("all funds KZT: %+v", k)
	}
}

func TestPeriodReportRefuses(t *testing.T) {
	b := mustReportBooks(t)
	for _, tc := range []struct {
		f    ledger.ReportFilter
		code string
	}{
		{ledger.ReportFilter{}, ledger.EINVALID},
		{period("", "2012-01-01", "2011-12-01"), ledger.EINVALID},
		{period("nobody", "2011-01-01", "2011-12-01"), ledger.ENOTFOUND},
		{period("Bad Slug", "2011-01-01", "2011-12-01"), ledger.EINVALID},
		{period("", "1800-01-01", "2011-12-01"), ledger.EINVALID},
	} {
		if _, err := b.reports.PeriodReport(ctx, tc.f); ledger.ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", tc.f, err, tc.code)
		}
	}
}

func TestAccountStatement(t *testing.T) {
	b := mustReportBooks(t)
	f := period("zhanaozen", "2011-12-01", "2011-12-31")
	f.Account = "assets:bank:kzt"
	st, err := b.reports.AccountStatement(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Opening) != 1 || !st.Opening[0].Amount.IsZero() || len(st.Closing) != 1 || !st.Closing[0].Amount.Equal(dec("81543.21")) {
		t.Fatalf("opening %v closing %v", st.Opening, st.Closing)
	}
	bal := decimal.Zero
	for _, l := range st.Lines {
		bal = bal.Add(l.Amount)
		if !l.Balance.Equal(bal) || l.Fund != "zhanaozen" || l.Date.Before(*f.From) || l.Date.After(*f.To) {
			t.Fatalf("line %+v: running balance %s", l, bal)
		}
	}
	if len(st.Lines) != 6 { // donation, conversion, three grants, transfer
		t.Fatalf("%d lines: %+v", len(st.Lines), st.Lines)
	}
	// January starts from December's closing balance.
	f = period("zhanaozen", "2012-01-01", "2012-01-31")
	f.Account = "assets:bank:kzt"
	st, err = b.reports.AccountStatement(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Opening[0].Amount.Equal(dec("81543.21")) || len(st.Lines) != 1 || !st.Lines[0].Balance.Equal(dec("131543.21")) || st.Lines[0].ReversalOf == "" {
		t.Fatalf("January: %+v", st)
	}
	for _, bad := range []string{"", "Assets", "assets:nowhere"} {
		f.Account = bad
		if _, err := b.reports.AccountStatement(ctx, f); err == nil {
			t.Errorf("account %q: no error", bad)
		}
	}
}

func TestDonationRegister(t *testing.T) {
	b := mustReportBooks(t)
	reg, err := b.reports.DonationRegister(ctx, period("zhanaozen", "2011-12-01", "2011-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	// Four donations and a collection in two currencies (the card payment
	// was booked by hand, without a donation).
	if len(reg.Lines) != 6 {
		t.Fatalf("%d lines: %+v", len(reg.Lines), reg.Lines)
	}
	for i, l := range reg.Lines {
		if i > 0 && l.Date.Before(reg.Lines[i-1].Date) {
			t.Fatalf("not by date: %+v", reg.Lines)
		}
	}
	var eur ledger.RegisterTotal
	for _, tot := range reg.Totals {
		if tot.Currency.Code == "EUR" {
			eur = tot
		}
	}
	if eur.Count != 4 || !eur.Amount.Equal(dec("2150.00")) || !eur.Reversed.Equal(dec("300.00")) || !eur.Net().Equal(dec("1850.00")) {
		t.Fatalf("EUR total %+v", eur)
	}
	cheque, cur := "cheque", "KZT"
	f := period("zhanaozen", "2011-12-01", "2011-12-31")
	f.Channel = &cheque
	reg, err = b.reports.DonationRegister(ctx, f)
	if err != nil || len(reg.Lines) != 1 || reg.Lines[0].DonorName != "Jan Kowalski" || reg.Lines[0].ReversedOn == nil ||
		!reg.Lines[0].ReversedOn.Equal(date("2011-12-28")) {
		t.Fatalf("cheques: %v %+v", err, reg)
	}
	f = ledger.ReportFilter{Currency: &cur}
	reg, err = b.reports.DonationRegister(ctx, f)
	if err != nil || len(reg.Lines) != 2 || reg.Totals[0].Currency.Code != "KZT" || !reg.Totals[0].Amount.Equal(dec("70000.00")) {
		t.Fatalf("KZT: %v %+v", err, reg)
	}
	bad := "wire"
	f.Channel = &bad
	if _, err := b.reports.DonationRegister(ctx, f); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("channel wire: %v", err)
	}
}

func TestGrantRegister(t *testing.T) {
	b := mustReportBooks(t)
	dec11 := period("", "2011-12-01", "2011-12-31")
	reg, err := b.reports.GrantRegister(ctx, dec11)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, l := range reg.Lines {
		refs = append(refs, l.Ref+":"+l.Category+":"+l.Amount.String())
	}
	if strings.Join(refs, " ") != "G-001:food:100000 G-002:rent:50000 G-003:other:10000" {
		t.Fatalf("December grants: %v", refs)
	}
	r, err := b.reports.PeriodReport(ctx, dec11)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Totals) != 1 || !reg.Totals[0].Amount.Equal(r.FiguresIn("KZT").Grants) || reg.Totals[0].Count != r.FiguresIn("KZT").GrantCount {
		t.Fatalf("register totals %+v, report %+v", reg.Totals, r.FiguresIn("KZT"))
	}
	reg, err = b.reports.GrantRegister(ctx, period("zhanaozen", "2012-01-01", "2012-01-31"))
	if err != nil || len(reg.Lines) != 1 {
		t.Fatalf("January: %v %+v", err, reg)
	}
	if l := reg.Lines[0]; l.Ref != "G-002" || l.Category != "rent" || !l.Amount.Equal(dec("-50000.00")) || l.ReversalOf != b.grants["G-002"] || reg.Totals[0].Count != -1 {
		t.Fatalf("the reversal: %+v %+v", l, reg.Totals)
	}
	food := "food"
	f := period("", "2011-01-01", "2012-12-31")
	f.Category = &food
	reg, err = b.reports.GrantRegister(ctx, f)
	if err != nil || len(reg.Lines) != 1 || reg.Lines[0].Ref != "G-001" {
		t.Fatalf("food: %v %+v", err, reg)
	}
}

func TestWeeklyCharts(t *testing.T) {
	b := mustReportBooks(t)
	f := period("zhanaozen", "2011-12-01", "2011-12-31")
	r, err := b.reports.PeriodReport(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := b.reports.WeeklyIncome(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[[2]string]decimal.Decimal{}
	for _, w := range inc {
		if w.Week.Weekday() != time.Monday {
			t.Fatalf("week %s is not a Monday", w.Week)
		}
		k := [2]string{w.Key, w.Currency.Code}
		sums[k] = sums[k].Add(w.Amount)
	}
	for _, l := range r.IncomeByChannel {
		if !sums[[2]string{l.Key, l.Currency.Code}].Equal(l.Amount) {
			t.Errorf("weekly %s %s sums to %s, report %s", l.Key, l.Currency.Code, sums[[2]string{l.Key, l.Currency.Code}], l.Amount)
		}
	}
	bal, err := b.reports.WeeklyBalance(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]ledger.WeeklyAmount{}
	weeks := map[string]int{}
	for _, w := range bal {
		last[w.Currency.Code] = w
		weeks[w.Currency.Code]++
	}
	for _, code := range r.Currencies() {
		if !last[code].Amount.Equal(r.FiguresIn(code).Closing) || weeks[code] != 5 { // the weeks of 28 Nov to 26 Dec
			t.Errorf("%s: last week %+v (%d weeks), closing %s", code, last[code], weeks[code], r.FiguresIn(code).Closing)
		}
	}
	if bal[0].Week != date("2011-11-28") || !bal[0].Amount.Equal(dec("1150.00")) { // EUR: 1000 + the collection of 3 December
		t.Errorf("first week %+v", bal[0])
	}
}

// Grants paid through the grants feature land in the report under their
// category, in the grant's currency, also when paid from another currency.
func TestPeriodReportWithGrantService(t *testing.T) {
	gb := mustGrantBooks(t)
	rb := &reportBooks{books: gb.books, reports: postgres.NewReportService(gb.db)}
	food := gb.open(t, gb.aigul, "open-food", "50000.00", nil)
	gb.approve(t, gb.bolat, food.Ref)
	gb.approve(t, gb.dana, food.Ref)
	if _, err := gb.pay(gb.treas, food.Ref, "pay-food", "50000.00", "assets:bank:kzt", nil); err != nil {
		t.Fatal(err)
	}
	abroad := gb.open(t, gb.aigul, "open-abroad", "196543.21", nil)
	gb.approve(t, gb.bolat, abroad.Ref)
	gb.approve(t, gb.dana, abroad.Ref)
	eur := ledger.Money{Amount: dec("1000.00"), Currency: mustCurrency(t, "EUR")}
	if _, err := gb.pay(gb.treas, abroad.Ref, "pay-abroad", "196543.21", "assets:bank:eur", &eur); err != nil {
		t.Fatal(err)
	}
	f := period(gb.fund.Slug, "2011-12-01", "2011-12-31")
	r, err := rb.reports.PeriodReport(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	mustTie(t, r, rb.independent(t, f))
	kzt, e := r.FiguresIn("KZT"), r.FiguresIn("EUR")
	if l := line(r.GrantsByCategory, string(ledger.GrantFood), "KZT"); !l.Amount.Equal(dec("246543.21")) || l.Count != 2 || kzt.GrantCount != 2 {
		t.Errorf("food grants %+v, count %d", l, kzt.GrantCount)
	}
	if !kzt.Conversions.Equal(dec("196543.21")) || !e.Conversions.Equal(dec("-1000.00")) || !e.Closing.Equal(dec("-1000.00")) {
		t.Errorf("the payment from euros: KZT %+v EUR %+v", kzt, e)
	}
	reg, err := rb.reports.GrantRegister(ctx, f)
	if err != nil || len(reg.Lines) != 2 {
		t.Fatalf("register: %v %+v", err, reg)
	}
	for _, l := range reg.Lines {
		if (l.Ref != food.Ref && l.Ref != abroad.Ref) || l.Category != string(ledger.GrantFood) {
			t.Errorf("register line %+v", l)
		}
	}
}
