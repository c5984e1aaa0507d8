package server

import (
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
)

// The committee's report pages under /committee/reports, for every member
// from observer up: the period report (with its charts and a printable page
// to sign), the trial balance, account statements and the two registers.
// They only read: no page has a form that posts, and every figure links to
// the CSV and XLSX files with the same figures.

// reportCSS styles the report pages and the printable report; served from
// here (style-src 'self') because the pages may not carry inline styles.
const reportCSS = `/* fundledger reports */
/* On a phone, wide tables scroll inside their card and long hashes wrap,
   so the page itself never scrolls sideways. */
main .card { overflow-x: auto; }
main p, main small, main td { overflow-wrap: anywhere; }
.wsr-sub { display: flex; flex-wrap: wrap; gap: .4rem 1rem; margin: .5rem 0 1rem; }
.wsr-sub a[aria-current] { font-weight: bold; }
.wsr-filters .row { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
.wsr-downloads { display: flex; flex-wrap: wrap; gap: .5rem 1rem; }
table.wsr { width: 100%; border-collapse: collapse; font-size: .95rem; margin-bottom: 1rem; }
table.wsr th, table.wsr td { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid #ddd; vertical-align: top; }
table.wsr td.amount, table.wsr th.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.wsr tr.strong td { font-weight: bold; border-top: 2px solid #333; }
table.wsr td.sign { width: 1.5rem; color: #555; }
table.wsr tr.reversed td { color: #777; }
.wsr-charts img { display: block; max-width: 100%; height: auto; margin: .5rem 0 1rem; border: 1px solid #eee; }
.wsr-print { max-width: 60rem; margin: 1rem auto; font-family: Georgia, serif; color: #000; background: #fff; }
.wsr-print h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.wsr-print .meta { color: #333; font-size: .9rem; }
.wsr-print .books { font-family: monospace; font-size: .8rem; overflow-wrap: anywhere; }
.wsr-sign { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 2rem; margin-top: 3rem; }
.wsr-sign div { border-top: 1px solid #000; padding-top: .3rem; min-height: 4rem; }
.wsr-noprint { margin: 1rem 0; }
@media print {
  .wsr-noprint, header.site, footer.site { display: none; }
  .wsr-print { margin: 0; max-width: none; font-size: 10.5pt; }
  table.wsr { page-break-inside: auto; }
  table.wsr tr { page-break-inside: avoid; }
  .wsr-sign { page-break-inside: avoid; }
  @page { margin: 15mm; }
}
`

func handleReportCSS(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(reportCSS))
}

// reportGrantCategories are the grant categories with a name in every
// language; any other category is shown as recorded.
var reportGrantCategories = []string{"food", "rent", "heating", "medical", "school", "funeral", "legal", ledger.ReportCategoryOther}

// reportChannels are the income channels with a name in every language.
var reportChannels = []string{"bank_transfer", "cash", "cheque", "organisation", "card", "collection"}

func reportHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func reportChannelLabel(l i18n.Lang, key string) string {
	if reportHas(reportChannels, key) {
		return l.T("channel." + key)
	}
	return key // other income: the account's code
}

func reportCountryLabel(l i18n.Lang, code string) string {
	if code == "" {
		return l.T("wsr.country.unknown")
	}
	return code
}

func reportCategoryLabel(l i18n.Lang, key string) string {
	if reportHas(reportGrantCategories, key) {
		return l.T("wsr.category." + key)
	}
	return key
}

// wsrQuery is the filter as the forms show it.
type wsrQuery struct {
	Fund, From, To, AsOf, Channel, Currency, Category, Account string
}

// wsrOption is an entry of a select.
type wsrOption struct {
	Value, Label string
}

// wsrPage is what every report page gets.
type wsrPage struct {
	wsPage
	View       string // period, trial, statement, donations, grants
	Q          wsrQuery
	Funds      []*ledger.Fund
	FundName   string
	Currencies []string
	Channels   []wsrOption
	Categories []wsrOption
	Accounts   []string
	Action     string // where the filter form goes
	CSV, XLSX  template.URL
	Period     string // the period in words
}

// wsrBreakdown is a breakdown table of the period report.
type wsrBreakdown struct {
	P     wsPage
	Title string
	Head  string
	Lines []wsrLine
}

// Breakdown is a breakdown table's data, for templates.
func (p wsrPage) Breakdown(title, head string, lines []wsrLine) wsrBreakdown {
	return wsrBreakdown{P: p.wsPage, Title: title, Head: head, Lines: lines}
}

// wsrTotals is a register's totals table.
type wsrTotals struct {
	P         wsPage
	Totals    []ledger.RegisterTotal
	Reversals bool
}

// TotalsTable is a register's totals table's data, for templates.
func (p wsrPage) TotalsTable(totals []ledger.RegisterTotal, reversals bool) wsrTotals {
	return wsrTotals{P: p.wsPage, Totals: totals, Reversals: reversals}
}

// reportDefaults fills a page's missing period: this month up to today.
func reportDefaults(f *ledger.ReportFilter) {
	now := ledger.Date(time.Now())
	if f.To == nil {
		f.To = &now
	}
	if f.From == nil {
		from := time.Date(f.To.Year(), f.To.Month(), 1, 0, 0, 0, 0, time.UTC)
		f.From = &from
	}
}

// reportQuery encodes the filter for links.
func reportQuery(f ledger.ReportFilter, extra url.Values) url.Values {
	q := url.Values{}
	if f.Fund != nil {
		q.Set("fund", *f.Fund)
	}
	if f.From != nil {
		q.Set("from", f.From.Format(time.DateOnly))
	}
	if f.To != nil {
		q.Set("to", f.To.Format(time.DateOnly))
	}
	for k, p := range map[string]*string{"channel": f.Channel, "currency": f.Currency, "category": f.Category} {
		if p != nil {
			q.Set(k, *p)
		}
	}
	if f.Account != "" {
		q.Set("account", f.Account)
	}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

// reportURL is a link within the reports; built from url.Values, so it is
// safe to trust as a URL in a template.
func reportURL(path string, q url.Values) template.URL {
	if len(q) == 0 {
		return template.URL(path)
	}
	return template.URL(path + "?" + q.Encode())
}

// newReportPage gathers what every report page shows around its report.
// reportPageStart is how every report page begins: the visitor's language,
// the filter from the query with its defaults, and the page around it.
func (s *Server) reportPageStart(c *gin.Context, view, titleKey string) (i18n.Lang, ledger.ReportFilter, wsrPage, error) {
	l := lang(c)
	f, err := reportFilterOf(c)
	if err != nil {
		return l, f, wsrPage{}, err
	}
	reportDefaults(&f)
	p, err := s.newReportPage(c, l, view, l.T(titleKey), view, f)
	return l, f, p, err
}

func (s *Server) newReportPage(c *gin.Context, l i18n.Lang, view, title, file string, f ledger.ReportFilter) (wsrPage, error) {
	funds, err := s.Funds.ListFunds(c.Request.Context())
	if err != nil {
		return wsrPage{}, err
	}
	p := wsrPage{wsPage: s.newWSPage(c, l, title, "reports"), View: view, Funds: funds, FundName: l.T("wsr.all_funds"),
		Action: map[string]string{"period": "/committee/reports", "trial": "/committee/reports/trial-balance", "statement": "/committee/reports/statement",
			"donations": "/committee/reports/donations", "grants": "/committee/reports/grants"}[view]}
	opt := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	p.Q = wsrQuery{Fund: opt(f.Fund), Channel: opt(f.Channel), Currency: opt(f.Currency), Category: opt(f.Category), Account: f.Account,
		AsOf: c.Query("as_of")}
	if f.From != nil {
		p.Q.From = f.From.Format(time.DateOnly)
	}
	if f.To != nil {
		p.Q.To = f.To.Format(time.DateOnly)
	}
	for _, fu := range funds {
		if f.Fund != nil && fu.Slug == *f.Fund {
			p.FundName = fu.Name
		}
	}
	if f.Fund != nil && p.FundName == l.T("wsr.all_funds") {
		return p, ledger.Errorf(ledger.ENOTFOUND, "fund %q not found", *f.Fund)
	}
	for _, cur := range ledger.Currencies() {
		p.Currencies = append(p.Currencies, cur.Code)
	}
	for _, ch := range reportChannels {
		p.Channels = append(p.Channels, wsrOption{ch, reportChannelLabel(l, ch)})
	}
	for _, cat := range reportGrantCategories {
		p.Categories = append(p.Categories, wsrOption{cat, reportCategoryLabel(l, cat)})
	}
	switch {
	case f.From != nil && f.To != nil:
		p.Period = l.T("wsr.period_from_to", l.Date(*f.From), l.Date(*f.To))
	case f.To != nil:
		p.Period = l.T("wsr.period_to", l.Date(*f.To))
	case f.From != nil:
		p.Period = l.T("wsr.period_from", l.Date(*f.From))
	}
	if file != "" {
		q := reportQuery(f, nil)
		if p.Q.AsOf != "" {
			q.Set("as_of", p.Q.AsOf)
		}
		p.CSV, p.XLSX = reportURL("/committee/reports/"+file+".csv", q), reportURL("/committee/reports/"+file+".xlsx", q)
	}
	return p, nil
}

// wsrFigureRow is a line of a currency's period figures.
type wsrFigureRow struct {
	Label    string
	Sign     string // how it moves the balance: +, −, ±, or = for the balances
	Amount   decimal.Decimal
	Count    int64
	HasCount bool
	Strong   bool
}

// wsrCurrency is the period figures in one currency.
type wsrCurrency struct {
	Currency ledger.Currency
	Rows     []wsrFigureRow
}

// wsrLine is a line of a breakdown.
type wsrLine struct {
	Label    string
	Amount   decimal.Decimal
	Currency ledger.Currency
	Count    int64
}

// wsrChart is a chart the page shows.
type wsrChart struct {
	URL template.URL
	Alt string
}

// reportPeriodView is the period report ready for the page and the printable page.
type reportPeriodView struct {
	wsrPage
	Report    *ledger.PeriodReport
	Figures   []wsrCurrency
	Channels  []wsrLine
	Countries []wsrLine
	Grants    []wsrLine
	Assets    []ledger.ReportAssetLine
	Charts    []wsrChart
	Print     template.URL
	Page      template.URL // the report's page, from the printable one
	BooksHash string
	Generated string
}

func reportFigureRows(l i18n.Lang, f ledger.PeriodFigures) []wsrFigureRow {
	row := func(key, sign string, amt decimal.Decimal) wsrFigureRow {
		return wsrFigureRow{Label: l.T("wsr.fig." + key), Sign: sign, Amount: amt}
	}
	rows := []wsrFigureRow{row("opening", "", f.Opening), row("income", "+", f.Income), row("processor_fees", "−", f.ProcessorFees),
		row("bank_fees", "−", f.BankFees)}
	g := row("grants", "−", f.Grants)
	g.Count, g.HasCount = f.GrantCount, f.GrantCount != 0 || !f.Grants.IsZero()
	rows = append(rows, g)
	if !f.OtherExpenses.IsZero() {
		rows = append(rows, row("other_expenses", "−", f.OtherExpenses))
	}
	rows = append(rows, row("conversions", "±", f.Conversions), row("interfund", "±", f.Interfund))
	if !f.OtherEquity.IsZero() {
		rows = append(rows, row("other_equity", "±", f.OtherEquity))
	}
	if !f.Liabilities.IsZero() {
		rows = append(rows, row("liabilities", "±", f.Liabilities))
	}
	rows[0].Strong = true
	closing := row("closing", "=", f.Closing)
	closing.Strong = true
	return append(rows, closing)
}

func reportLinesView(lines []ledger.ReportLine, label func(string) string) []wsrLine {
	out := make([]wsrLine, 0, len(lines))
	for _, x := range lines {
		out = append(out, wsrLine{Label: label(x.Key), Amount: x.Amount, Currency: x.Currency, Count: x.Count})
	}
	return out
}

// reportPeriodPage reads the period report for the page or the printable page.
func (s *Server) reportPeriodPage(c *gin.Context) (*reportPeriodView, error) {
	l, f, p, err := s.reportPageStart(c, "period", "wsr.period.title")
	if err != nil {
		return nil, err
	}
	r, err := s.Reports.PeriodReport(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	v := &reportPeriodView{wsrPage: p, Report: r, Assets: r.Assets, BooksHash: hex.EncodeToString(r.BooksHash),
		Print:     reportURL("/committee/reports/print", reportQuery(f, nil)),
		Page:      reportURL("/committee/reports", reportQuery(f, nil)),
		Generated: p.When(time.Now()),
		Channels:  reportLinesView(r.IncomeByChannel, func(k string) string { return reportChannelLabel(l, k) }),
		Countries: reportLinesView(r.IncomeByCountry, func(k string) string { return reportCountryLabel(l, k) }),
		Grants:    reportLinesView(r.GrantsByCategory, func(k string) string { return reportCategoryLabel(l, k) })}
	for _, fg := range r.Figures {
		v.Figures = append(v.Figures, wsrCurrency{Currency: fg.Currency, Rows: reportFigureRows(l, fg)})
	}
	chart := func(kind, code, alt string) {
		v.Charts = append(v.Charts, wsrChart{URL: reportURL("/committee/reports/chart/"+kind+".svg", reportQuery(f, url.Values{"currency": {code}})), Alt: alt})
	}
	seen := map[string]bool{}
	for _, x := range r.IncomeByChannel {
		if !seen[x.Currency.Code] {
			seen[x.Currency.Code] = true
			chart("income", x.Currency.Code, l.T("wsr.chart.income", x.Currency.Code))
		}
	}
	for _, fg := range r.Figures {
		chart("balance", fg.Currency.Code, l.T("wsr.chart.balance", fg.Currency.Code))
	}
	seen = map[string]bool{}
	for _, x := range r.GrantsByCategory {
		if !seen[x.Currency.Code] {
			seen[x.Currency.Code] = true
			chart("grants", x.Currency.Code, l.T("wsr.chart.grants", x.Currency.Code))
		}
	}
	return v, nil
}

func (s *Server) handleReportPeriodPage(c *gin.Context) {
	v, err := s.reportPeriodPage(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.renderWS(c, http.StatusOK, "ws_reports.html", v)
}

// handleReportPrintPage is the period report as a plain page to print and
// sign: no navigation, print styles, a signature block.
func (s *Server) handleReportPrintPage(c *gin.Context) {
	v, err := s.reportPeriodPage(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.audit(c, "report.print", "report:period", map[string]string{"query": reportAuditQuery(c)})
	s.renderWS(c, http.StatusOK, "ws_report_print.html", v)
}

func (s *Server) handleReportTrialBalancePage(c *gin.Context) {
	l := lang(c)
	f, err := reportFilterOf(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	bf, err := reportTrialFilter(c, f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	if bf.AsOf == nil {
		today := ledger.Date(time.Now())
		bf.AsOf = &today
	}
	f.From, f.To = nil, bf.AsOf
	p, err := s.newReportPage(c, l, "trial", l.T("wsr.trial.title"), "trial-balance", f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	p.Q.AsOf = bf.AsOf.Format(time.DateOnly)
	bals, err := s.Balances.TrialBalance(c.Request.Context(), bf)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	totals := map[string]decimal.Decimal{}
	for _, b := range bals {
		totals[b.Currency.Code] = totals[b.Currency.Code].Add(b.Amount)
	}
	s.renderWS(c, http.StatusOK, "wsr_trial", struct {
		wsrPage
		Lines  []ledger.Balance
		Totals []ledger.Money
	}{p, bals, reportMoneyList(totals)})
}

// reportMoneyList lists amounts per currency, by code.
func reportMoneyList(m map[string]decimal.Decimal) []ledger.Money {
	codes := make([]string, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	out := make([]ledger.Money, 0, len(codes))
	for _, code := range codes {
		cur, _ := ledger.LookupCurrency(code)
		out = append(out, ledger.Money{Amount: m[code], Currency: cur})
	}
	return out
}

func (s *Server) handleReportStatementPage(c *gin.Context) {
	_, f, p, err := s.reportPageStart(c, "statement", "wsr.statement.title")
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	accts, err := s.Accounts.ListAccounts(c.Request.Context())
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	for _, a := range accts {
		p.Accounts = append(p.Accounts, a.Code)
	}
	sort.Strings(p.Accounts)
	var st *ledger.AccountStatement
	if f.Account != "" {
		if st, err = s.Reports.AccountStatement(c.Request.Context(), f); err != nil {
			s.renderWSError(c, err)
			return
		}
	} else {
		p.CSV, p.XLSX = "", ""
	}
	s.renderWS(c, http.StatusOK, "wsr_statement", struct {
		wsrPage
		Statement *ledger.AccountStatement
	}{p, st})
}

func (s *Server) handleReportDonationsPage(c *gin.Context) {
	l, f, p, err := s.reportPageStart(c, "donations", "wsr.donations.title")
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	reg, err := s.Reports.DonationRegister(c.Request.Context(), f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	// Who looked at donors' personal data, and for what period.
	s.audit(c, "report.donations.view", "report:donations", map[string]string{"query": reportAuditQuery(c)})
	lines := make([]wsrDonationLine, 0, len(reg.Lines))
	for _, x := range reg.Lines {
		lines = append(lines, wsrDonationLine{DonationRegisterLine: x, ChannelLabel: reportChannelLabel(l, x.Channel)})
	}
	s.renderWS(c, http.StatusOK, "wsr_donations", struct {
		wsrPage
		Lines  []wsrDonationLine
		Totals []ledger.RegisterTotal
	}{p, lines, reg.Totals})
}

// wsrDonationLine is a donation register line with its channel's name.
type wsrDonationLine struct {
	ledger.DonationRegisterLine
	ChannelLabel string
}

// wsrGrantLine is a grant register line with its category's name.
type wsrGrantLine struct {
	ledger.GrantRegisterLine
	CategoryLabel string
}

func (s *Server) handleReportGrantsPage(c *gin.Context) {
	l, f, p, err := s.reportPageStart(c, "grants", "wsr.grants.title")
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	reg, err := s.Reports.GrantRegister(c.Request.Context(), f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	lines := make([]wsrGrantLine, 0, len(reg.Lines))
	for _, x := range reg.Lines {
		lines = append(lines, wsrGrantLine{GrantRegisterLine: x, CategoryLabel: reportCategoryLabel(l, x.Category)})
	}
	s.renderWS(c, http.StatusOK, "wsr_grants", struct {
		wsrPage
		Lines  []wsrGrantLine
		Totals []ledger.RegisterTotal
	}{p, lines, reg.Totals})
}

// chartKind names a chart.
type chartKind string

const (
	chartIncome  chartKind = "income"
	chartBalance chartKind = "balance"
	chartGrants  chartKind = "grants"
)

// maxChartWeeks bounds a weekly chart: beyond about ten years of weeks the
// bars would be thinner than a pixel.
const maxChartWeeks = 530

// handleReportChart draws a chart of the period's figures in one currency
// (?currency=) as SVG.
func (s *Server) handleReportChart(kind chartKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		svg, err := s.reportChart(c, kind)
		if err != nil {
			s.renderWSError(c, err)
			return
		}
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'none'; frame-ancestors 'none'")
		c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", svg)
	}
}

func (s *Server) reportChart(c *gin.Context, kind chartKind) ([]byte, error) {
	l := lang(c)
	ctx := c.Request.Context()
	f, err := reportFilterOf(c)
	if err != nil {
		return nil, err
	}
	reportDefaults(&f)
	if f.Currency == nil {
		return nil, ledger.Errorf(ledger.EINVALID, "currency is required for a chart (an ISO 4217 code such as EUR)")
	}
	cur, err := ledger.LookupCurrency(*f.Currency)
	if err != nil {
		return nil, err
	}
	ch := chartBars{Format: func(d decimal.Decimal) string { return l.Money(d, cur) }, Empty: l.T("wsr.chart.empty")}
	var weeks []time.Time
	for w := ledger.WeekOf(*f.From); !w.After(*f.To); w = w.AddDate(0, 0, 7) {
		weeks = append(weeks, w)
		if len(weeks) > maxChartWeeks {
			return nil, ledger.Errorf(ledger.EINVALID, "a weekly chart covers at most %d weeks: choose a shorter period", maxChartWeeks)
		}
	}
	weekIndex := map[time.Time]int{}
	for i, w := range weeks {
		weekIndex[w] = i
		if kind != chartGrants {
			ch.Categories = append(ch.Categories, w.Format(time.DateOnly))
		}
	}
	switch kind {
	case chartIncome:
		ch.Title = l.T("wsr.chart.income", cur.Code)
		rows, err := s.Reports.WeeklyIncome(ctx, f)
		if err != nil {
			return nil, err
		}
		series := map[string]int{}
		var keys []string
		for _, r := range rows {
			if _, ok := series[r.Key]; !ok {
				series[r.Key] = 0
				keys = append(keys, r.Key)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			return reportChannelOrder(keys[i]) < reportChannelOrder(keys[j]) || reportChannelOrder(keys[i]) == reportChannelOrder(keys[j]) && keys[i] < keys[j]
		})
		for i, k := range keys {
			series[k] = i
			ch.Series = append(ch.Series, chartSeries{Label: reportChannelLabel(l, k)})
		}
		ch.Values = reportZeros(len(weeks), len(keys))
		for _, r := range rows {
			if i, ok := weekIndex[r.Week]; ok {
				ch.Values[i][series[r.Key]] = ch.Values[i][series[r.Key]].Add(r.Amount)
			}
		}
	case chartBalance:
		ch.Title = l.T("wsr.chart.balance", cur.Code)
		rows, err := s.Reports.WeeklyBalance(ctx, f)
		if err != nil {
			return nil, err
		}
		ch.Series = []chartSeries{{Label: l.T("wsr.fig.closing")}}
		ch.Values = reportZeros(len(weeks), 1)
		for _, r := range rows {
			if i, ok := weekIndex[r.Week]; ok {
				ch.Values[i][0] = r.Amount
			}
		}
	case chartGrants:
		ch.Title = l.T("wsr.chart.grants", cur.Code)
		r, err := s.Reports.PeriodReport(ctx, f)
		if err != nil {
			return nil, err
		}
		ch.Series = []chartSeries{{Label: l.T("wsr.fig.grants")}}
		for _, x := range r.GrantsByCategory {
			if x.Currency.Code == cur.Code {
				ch.Categories = append(ch.Categories, reportCategoryLabel(l, x.Key))
				ch.Values = append(ch.Values, []decimal.Decimal{x.Amount})
			}
		}
	}
	return ch.SVG(), nil
}

// reportChannelOrder sorts the known channels first, in their usual order.
func reportChannelOrder(key string) int {
	for i, ch := range reportChannels {
		if ch == key {
			return i
		}
	}
	return len(reportChannels)
}

func reportZeros(n, m int) [][]decimal.Decimal {
	out := make([][]decimal.Decimal, n)
	for i := range out {
		out[i] = make([]decimal.Decimal, m)
	}
	return out
}
