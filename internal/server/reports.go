package server

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fundledger/fundledger/internal/export"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// Reports: the period report, the trial balance, account statements and the
// donation and grant registers, as JSON (the API), CSV and XLSX (both the
// API and the workspace), and the books for hledger and beancount. Every
// report reads only; no route here changes anything, and none accepts POST.
// The workspace's pages are in ws_reports.go, the charts in charts.go.

// reportRoutes registers the reports: read is the API group for observer
// tokens and above (JSON, or a file with ?format=csv or xlsx), ws the
// committee's workspace group (pages, and files at .csv and .xlsx paths).
func (s *Server) reportRoutes(read *gin.RouterGroup, ws *gin.RouterGroup) {
	exports := s.auditAPIExports()
	read.GET("/reports/period", exports, s.reportAPI(reportPeriod))
	read.GET("/reports/trial-balance", exports, s.reportAPI(reportTrialBalance))
	read.GET("/reports/statement", exports, s.reportAPI(reportStatement))
	read.GET("/reports/donations", exports, s.reportAPI(reportDonations))
	read.GET("/reports/grants", exports, s.reportAPI(reportGrants))
	read.GET("/reports/export", exports, s.handleReportExport(writeError))

	// The workspace: pages for every member from observer up, and the same
	// files as the API. Observers see exactly what the treasurer sees.
	obs := s.committee(ledger.RoleObserver)
	ws.GET("/reports/reports.css", handleReportCSS)
	ws.GET("/reports", obs, s.handleReportPeriodPage)
	ws.GET("/reports/print", obs, s.handleReportPrintPage)
	ws.GET("/reports/period.csv", obs, s.reportDownload(reportPeriod, "csv"))
	ws.GET("/reports/period.xlsx", obs, s.reportDownload(reportPeriod, "xlsx"))
	ws.GET("/reports/trial-balance", obs, s.handleReportTrialBalancePage)
	ws.GET("/reports/trial-balance.csv", obs, s.reportDownload(reportTrialBalance, "csv"))
	ws.GET("/reports/trial-balance.xlsx", obs, s.reportDownload(reportTrialBalance, "xlsx"))
	ws.GET("/reports/statement", obs, s.handleReportStatementPage)
	ws.GET("/reports/statement.csv", obs, s.reportDownload(reportStatement, "csv"))
	ws.GET("/reports/statement.xlsx", obs, s.reportDownload(reportStatement, "xlsx"))
	ws.GET("/reports/donations", obs, s.handleReportDonationsPage)
	ws.GET("/reports/donations.csv", obs, s.reportDownload(reportDonations, "csv"))
	ws.GET("/reports/donations.xlsx", obs, s.reportDownload(reportDonations, "xlsx"))
	ws.GET("/reports/grants", obs, s.handleReportGrantsPage)
	ws.GET("/reports/grants.csv", obs, s.reportDownload(reportGrants, "csv"))
	ws.GET("/reports/grants.xlsx", obs, s.reportDownload(reportGrants, "xlsx"))
	ws.GET("/reports/chart/income.svg", obs, s.handleReportChart(chartIncome))
	ws.GET("/reports/chart/balance.svg", obs, s.handleReportChart(chartBalance))
	ws.GET("/reports/chart/grants.svg", obs, s.handleReportChart(chartGrants))
	ws.GET("/reports/export", obs, s.handleReportExport(s.renderWSError))
}

// reportFilterOf reads the filter from the query: fund (empty for every
// fund), from, to, channel, currency, category, account.
func reportFilterOf(c *gin.Context) (ledger.ReportFilter, error) {
	var f ledger.ReportFilter
	opt := func(k string) *string {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			return &v
		}
		return nil
	}
	f.Fund = opt("fund")
	var err error
	if f.From, err = parseOptionalDate("from", strings.TrimSpace(c.Query("from"))); err != nil {
		return f, err
	}
	if f.To, err = parseOptionalDate("to", strings.TrimSpace(c.Query("to"))); err != nil {
		return f, err
	}
	f.Channel, f.Currency, f.Category = opt("channel"), opt("currency"), opt("category")
	f.Account = strings.TrimSpace(c.Query("account"))
	return f, f.ValidatePeriod(false)
}

// reportFile is a report ready to be written: its JSON for the API, one
// table for CSV and one or more sheets for XLSX.
type reportFile struct {
	Name   string // the file name without its extension
	JSON   any
	CSV    reportTable
	Sheets []reportTable
}

// reportTable is a table of a file: a header and rows of cells.
type reportTable struct {
	Name    string // the XLSX sheet's name (at most 31 characters)
	Columns []string
	Rows    [][]reportCell
}

// reportCell is text, an exact amount in a currency, or a count.
type reportCell struct {
	text   string
	amount *ledger.Money
	count  *int64
}

func reportText(s string) reportCell { return reportCell{text: s} }

func reportMoney(d decimal.Decimal, c ledger.Currency) reportCell {
	return reportCell{amount: &ledger.Money{Amount: d, Currency: c}}
}

func reportCount(n int64) reportCell { return reportCell{count: &n} }

func reportDate(t time.Time) reportCell { return reportText(t.Format(time.DateOnly)) }

// reportLoader reads one report for a filter.
type reportLoader func(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error)

// reportFormat is "json", "csv" or "xlsx", from ?format=.
func reportFormat(c *gin.Context) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(c.Query("format"))); f {
	case "", "json":
		return "json", nil
	case "csv", "xlsx":
		return f, nil
	default:
		return "", ledger.Errorf(ledger.EINVALID, "format %q is not one of json, csv, xlsx", c.Query("format"))
	}
}

// reportAPI answers a report in the API.
func (s *Server) reportAPI(load reportLoader) gin.HandlerFunc {
	return func(c *gin.Context) {
		format, err := reportFormat(c)
		if err != nil {
			writeError(c, err)
			return
		}
		f, err := reportFilterOf(c)
		if err != nil {
			writeError(c, err)
			return
		}
		out, err := load(s, c, f)
		if err != nil {
			writeError(c, err)
			return
		}
		if format == "json" {
			c.JSON(http.StatusOK, out.JSON)
			return
		}
		if err := writeReportFile(c, out, format); err != nil {
			writeError(c, err)
		}
	}
}

// reportDownload answers a report file in the workspace; downloads are
// audited, since the donation register holds personal data.
func (s *Server) reportDownload(load reportLoader, format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := reportFilterOf(c)
		if err != nil {
			s.renderWSError(c, err)
			return
		}
		out, err := load(s, c, f)
		if err != nil {
			s.renderWSError(c, err)
			return
		}
		if err := writeReportFile(c, out, format); err != nil {
			s.renderWSError(c, err)
			return
		}
		s.audit(c, "report.download", "report:"+out.Name, map[string]string{"format": format, "query": reportAuditQuery(c)})
	}
}

// reportAuditQuery is the filter of a request, for the audit log: the query's
// known keys only, never anything else.
func reportAuditQuery(c *gin.Context) string {
	var parts []string
	for _, k := range []string{"fund", "from", "to", "as_of", "account", "channel", "currency", "category"} {
		if v := c.Query(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// writeReportFile writes the report as CSV or XLSX.
func writeReportFile(c *gin.Context, out *reportFile, format string) error {
	switch format {
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(out.CSV.Columns)
		for _, row := range out.CSV.Rows {
			rec := make([]string, len(row))
			for i, cell := range row {
				rec[i] = cell.csv()
			}
			_ = w.Write(rec)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		c.Header("Content-Disposition", `attachment; filename="`+out.Name+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
		return nil
	case "xlsx":
		data, err := reportXLSX(out.Sheets)
		if err != nil {
			return fmt.Errorf("write %s.xlsx: %w", out.Name, err)
		}
		c.Header("Content-Disposition", `attachment; filename="`+out.Name+`.xlsx"`)
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)
		return nil
	}
	return ledger.Errorf(ledger.EINVALID, "format %q is not one of csv, xlsx", format)
}

// csv writes the cell for a CSV file: amounts exactly, with their
// currency's decimals; text protected from being run as a formula.
func (cell reportCell) csv() string {
	switch {
	case cell.amount != nil:
		return amountString(cell.amount.Amount, cell.amount.Currency)
	case cell.count != nil:
		return strconv.FormatInt(*cell.count, 10)
	}
	return csvSafe(cell.text)
}

// reportExactDigits is how many significant digits a spreadsheet keeps of a
// number (an IEEE 754 double shows 15 exactly). An amount with more is
// written as text, so that no spreadsheet rounds it.
const reportExactDigits = 15

// reportExactNumber returns the amount's text for a numeric cell, and false when a
// spreadsheet could not hold it exactly.
func reportExactNumber(m ledger.Money) (string, bool) {
	s := amountString(m.Amount, m.Currency)
	digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0")
	return s, len(digits) <= reportExactDigits
}

// reportXLSX writes the sheets as a workbook. An amount is a number cell
// whose stored value is the exact decimal text (excelize writes it as it is,
// never through a float) with a number format showing the currency's
// decimals, or a text cell when a spreadsheet could not hold it exactly.
// Text is always a text cell: nothing a donor wrote can become a formula.
func reportXLSX(sheets []reportTable) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	numStyles := map[int32]int{}
	numStyle := func(exp int32) (int, error) {
		if id, ok := numStyles[exp]; ok {
			return id, nil
		}
		format := "#,##0"
		if exp > 0 {
			format += "." + strings.Repeat("0", int(exp))
		}
		id, err := x.NewStyle(&excelize.Style{CustomNumFmt: &format})
		numStyles[exp] = id
		return id, err
	}
	for i, t := range sheets {
		name := t.Name
		if i == 0 {
			if err := x.SetSheetName("Sheet1", name); err != nil {
				return nil, err
			}
		} else if _, err := x.NewSheet(name); err != nil {
			return nil, err
		}
		for col, h := range t.Columns {
			ref, _ := excelize.CoordinatesToCellName(col+1, 1)
			if err := x.SetCellStr(name, ref, h); err != nil {
				return nil, err
			}
			if err := x.SetCellStyle(name, ref, ref, bold); err != nil {
				return nil, err
			}
		}
		for r, row := range t.Rows {
			for col, cell := range row {
				ref, err := excelize.CoordinatesToCellName(col+1, r+2)
				if err != nil {
					return nil, err
				}
				switch {
				case cell.amount != nil:
					s, ok := reportExactNumber(*cell.amount)
					if !ok {
						err = x.SetCellStr(name, ref, s)
						break
					}
					if err = x.SetCellDefault(name, ref, s); err != nil {
						break
					}
					var id int
					if id, err = numStyle(cell.amount.Currency.Exponent); err == nil {
						err = x.SetCellStyle(name, ref, ref, id)
					}
				case cell.count != nil:
					err = x.SetCellInt(name, ref, *cell.count)
				default:
					err = x.SetCellStr(name, ref, cell.text)
				}
				if err != nil {
					return nil, err
				}
			}
		}
		if len(t.Columns) > 0 {
			last, _ := excelize.ColumnNumberToName(len(t.Columns))
			_ = x.SetColWidth(name, "A", last, 16)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reportFileName names a report's file: its kind, the fund and the period, in
// characters safe in a Content-Disposition header.
func reportFileName(kind string, f ledger.ReportFilter) string {
	parts := []string{kind}
	if f.Fund != nil {
		parts = append(parts, *f.Fund)
	} else {
		parts = append(parts, "all-funds")
	}
	if f.Account != "" {
		parts = append(parts, strings.ReplaceAll(f.Account, ":", "-"))
	}
	if f.From != nil {
		parts = append(parts, f.From.Format(time.DateOnly))
	}
	if f.To != nil {
		parts = append(parts, f.To.Format(time.DateOnly))
	}
	return strings.Join(parts, "-")
}

// --- the period report -------------------------------------------------

type reportFiguresJSON struct {
	Currency      string `json:"currency"`
	Opening       string `json:"opening"`
	Income        string `json:"income"`
	ProcessorFees string `json:"processor_fees"`
	BankFees      string `json:"bank_fees"`
	Fees          string `json:"fees"`
	Grants        string `json:"grants"`
	GrantCount    int64  `json:"grant_count"`
	OtherExpenses string `json:"other_expenses"`
	Conversions   string `json:"conversions"`
	Interfund     string `json:"interfund"`
	Transfers     string `json:"transfers"`
	OtherEquity   string `json:"other_equity"`
	Liabilities   string `json:"liabilities"`
	Closing       string `json:"closing"`
}

type reportLineJSON struct {
	Key      string `json:"key"`
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Count    int64  `json:"count"`
}

type reportAssetJSON struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
	Opening  string `json:"opening"`
	Closing  string `json:"closing"`
}

type periodReportJSON struct {
	Fund             *string             `json:"fund"`
	From             string              `json:"from"`
	To               string              `json:"to"`
	BooksSeq         int64               `json:"books_seq"`
	BooksHash        string              `json:"books_hash"`
	Figures          []reportFiguresJSON `json:"figures"`
	IncomeByChannel  []reportLineJSON    `json:"income_by_channel"`
	IncomeByCountry  []reportLineJSON    `json:"income_by_country"`
	GrantsByCategory []reportLineJSON    `json:"grants_by_category"`
	Assets           []reportAssetJSON   `json:"assets"`
}

// periodFigureRows are the figures of the period report, in the order the
// CSV file and the pages list them.
func periodFigureRows(f ledger.PeriodFigures) []struct {
	Key    string
	Amount decimal.Decimal
} {
	return []struct {
		Key    string
		Amount decimal.Decimal
	}{
		{"opening", f.Opening}, {"income", f.Income}, {"processor_fees", f.ProcessorFees}, {"bank_fees", f.BankFees},
		{"grants", f.Grants}, {"other_expenses", f.OtherExpenses}, {"conversions", f.Conversions}, {"interfund", f.Interfund},
		{"other_equity", f.OtherEquity}, {"liabilities", f.Liabilities}, {"closing", f.Closing},
	}
}

func reportLinesJSON(lines []ledger.ReportLine) []reportLineJSON {
	out := make([]reportLineJSON, 0, len(lines))
	for _, l := range lines {
		out = append(out, reportLineJSON{Key: l.Key, Currency: l.Currency.Code, Amount: amountString(l.Amount, l.Currency), Count: l.Count})
	}
	return out
}

func reportPeriod(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error) {
	r, err := s.Reports.PeriodReport(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	j := periodReportJSON{Fund: f.Fund, From: r.From.Format(time.DateOnly), To: r.To.Format(time.DateOnly),
		BooksSeq: r.BooksSeq, BooksHash: hex.EncodeToString(r.BooksHash), Figures: []reportFiguresJSON{},
		IncomeByChannel: reportLinesJSON(r.IncomeByChannel), IncomeByCountry: reportLinesJSON(r.IncomeByCountry),
		GrantsByCategory: reportLinesJSON(r.GrantsByCategory), Assets: []reportAssetJSON{}}
	csvT := reportTable{Name: "Period report", Columns: []string{"section", "key", "currency", "amount", "count"}}
	summary := reportTable{Name: "Summary", Columns: []string{"currency", "opening", "income", "processor_fees", "bank_fees", "grants", "grant_count",
		"other_expenses", "conversions", "interfund", "other_equity", "liabilities", "closing"}}
	for _, fg := range r.Figures {
		cur := fg.Currency
		a := func(d decimal.Decimal) string { return amountString(d, cur) }
		j.Figures = append(j.Figures, reportFiguresJSON{Currency: cur.Code, Opening: a(fg.Opening), Income: a(fg.Income),
			ProcessorFees: a(fg.ProcessorFees), BankFees: a(fg.BankFees), Fees: a(fg.Fees()), Grants: a(fg.Grants), GrantCount: fg.GrantCount,
			OtherExpenses: a(fg.OtherExpenses), Conversions: a(fg.Conversions), Interfund: a(fg.Interfund), Transfers: a(fg.Transfers()),
			OtherEquity: a(fg.OtherEquity), Liabilities: a(fg.Liabilities), Closing: a(fg.Closing)})
		row := []reportCell{reportText(cur.Code)}
		for _, x := range periodFigureRows(fg) {
			cells := []reportCell{reportText("figure"), reportText(x.Key), reportText(cur.Code), reportMoney(x.Amount, cur), reportText("")}
			if x.Key == "grants" {
				cells[4] = reportCount(fg.GrantCount)
			}
			csvT.Rows = append(csvT.Rows, cells)
			row = append(row, reportMoney(x.Amount, cur))
			if x.Key == "grants" {
				row = append(row, reportCount(fg.GrantCount))
			}
		}
		summary.Rows = append(summary.Rows, row)
	}
	breakdown := func(section, sheet, key string, lines []ledger.ReportLine) reportTable {
		t := reportTable{Name: sheet, Columns: []string{key, "currency", "amount", "count"}}
		for _, l := range lines {
			csvT.Rows = append(csvT.Rows, []reportCell{reportText(section), reportText(l.Key), reportText(l.Currency.Code), reportMoney(l.Amount, l.Currency), reportCount(l.Count)})
			t.Rows = append(t.Rows, []reportCell{reportText(l.Key), reportText(l.Currency.Code), reportMoney(l.Amount, l.Currency), reportCount(l.Count)})
		}
		return t
	}
	channels := breakdown("income_by_channel", "Income by channel", "channel", r.IncomeByChannel)
	countries := breakdown("income_by_country", "Income by country", "country", r.IncomeByCountry)
	grants := breakdown("grants_by_category", "Grants by category", "category", r.GrantsByCategory)
	assets := reportTable{Name: "Assets", Columns: []string{"account", "currency", "opening", "closing"}}
	for _, l := range r.Assets {
		j.Assets = append(j.Assets, reportAssetJSON{Account: l.Account, Currency: l.Currency.Code,
			Opening: amountString(l.Opening, l.Currency), Closing: amountString(l.Closing, l.Currency)})
		csvT.Rows = append(csvT.Rows,
			[]reportCell{reportText("asset_opening"), reportText(l.Account), reportText(l.Currency.Code), reportMoney(l.Opening, l.Currency), reportText("")},
			[]reportCell{reportText("asset_closing"), reportText(l.Account), reportText(l.Currency.Code), reportMoney(l.Closing, l.Currency), reportText("")})
		assets.Rows = append(assets.Rows, []reportCell{reportText(l.Account), reportText(l.Currency.Code), reportMoney(l.Opening, l.Currency), reportMoney(l.Closing, l.Currency)})
	}
	return &reportFile{Name: reportFileName("period-report", f), JSON: j, CSV: csvT,
		Sheets: []reportTable{summary, channels, countries, grants, assets}}, nil
}

// --- the trial balance -------------------------------------------------

// reportTrialFilter is the balance filter of a trial balance: as_of, or
// else to, or else everything.
func reportTrialFilter(c *gin.Context, f ledger.ReportFilter) (ledger.BalanceFilter, error) {
	bf := ledger.BalanceFilter{Fund: f.Fund, AsOf: f.To}
	asOf, err := parseOptionalDate("as_of", strings.TrimSpace(c.Query("as_of")))
	if asOf != nil {
		bf.AsOf = asOf
	}
	return bf, err
}

func reportTrialBalance(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error) {
	bf, err := reportTrialFilter(c, f)
	if err != nil {
		return nil, err
	}
	if f.Fund != nil {
		if _, err := s.Funds.FindFund(c.Request.Context(), *f.Fund); err != nil {
			return nil, err
		}
	}
	bals, err := s.Balances.TrialBalance(c.Request.Context(), bf)
	if err != nil {
		return nil, err
	}
	lines, totals := balancesJSON(bals)
	t := reportTable{Name: "Trial balance", Columns: []string{"account", "type", "currency", "amount"}}
	for _, b := range bals {
		t.Rows = append(t.Rows, []reportCell{reportText(b.Account), reportText(string(b.Type)), reportText(b.Currency.Code), reportMoney(b.Amount, b.Currency)})
	}
	var asOf *string
	name := reportFileName("trial-balance", ledger.ReportFilter{Fund: f.Fund})
	if bf.AsOf != nil {
		d := bf.AsOf.Format(time.DateOnly)
		asOf, name = &d, name+"-"+d
	}
	return &reportFile{Name: name, JSON: gin.H{"fund": f.Fund, "as_of": asOf, "lines": lines, "totals": totals}, CSV: t, Sheets: []reportTable{t}}, nil
}

// --- account statements --------------------------------------------------

type reportStatementLineJSON struct {
	Date          string `json:"date"`
	TransactionID string `json:"transaction_id"`
	Description   string `json:"description"`
	Fund          string `json:"fund"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	Balance       string `json:"balance"`
	ReversalOf    string `json:"reversal_of,omitempty"`
}

func reportMoneyJSON(ms []ledger.Money) []moneyJSON {
	out := make([]moneyJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, moneyJSON{Amount: amountString(m.Amount, m.Currency), Currency: m.Currency.Code})
	}
	return out
}

func reportOptDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func reportStatement(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error) {
	st, err := s.Reports.AccountStatement(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	lines := make([]reportStatementLineJSON, 0, len(st.Lines))
	t := reportTable{Name: "Statement", Columns: []string{"date", "transaction_id", "description", "fund", "amount", "currency", "balance"}}
	for _, l := range st.Lines {
		lines = append(lines, reportStatementLineJSON{Date: l.Date.Format(time.DateOnly), TransactionID: l.TransactionID, Description: l.Description,
			Fund: l.Fund, Amount: amountString(l.Amount, l.Currency), Currency: l.Currency.Code, Balance: amountString(l.Balance, l.Currency), ReversalOf: l.ReversalOf})
		t.Rows = append(t.Rows, []reportCell{reportDate(l.Date), reportText(l.TransactionID), reportText(l.Description), reportText(l.Fund),
			reportMoney(l.Amount, l.Currency), reportText(l.Currency.Code), reportMoney(l.Balance, l.Currency)})
	}
	balances := reportTable{Name: "Balances", Columns: []string{"currency", "opening", "closing"}}
	for i, o := range st.Opening {
		balances.Rows = append(balances.Rows, []reportCell{reportText(o.Currency.Code), reportMoney(o.Amount, o.Currency), reportMoney(st.Closing[i].Amount, st.Closing[i].Currency)})
	}
	return &reportFile{Name: reportFileName("statement", f), CSV: t, Sheets: []reportTable{t, balances},
		JSON: gin.H{"account": st.Account, "fund": f.Fund, "from": reportOptDate(st.From), "to": reportOptDate(st.To),
			"opening": reportMoneyJSON(st.Opening), "lines": lines, "closing": reportMoneyJSON(st.Closing)}}, nil
}

// --- the registers -------------------------------------------------------

type reportTotalJSON struct {
	Currency      string `json:"currency"`
	Count         int64  `json:"count"`
	Amount        string `json:"amount"`
	Reversed      string `json:"reversed,omitempty"`
	ReversedCount int64  `json:"reversed_count,omitempty"`
	Net           string `json:"net,omitempty"`
}

func reportRegisterTotals(ts []ledger.RegisterTotal, reversals bool) ([]reportTotalJSON, reportTable) {
	out := make([]reportTotalJSON, 0, len(ts))
	t := reportTable{Name: "Totals", Columns: []string{"currency", "count", "amount"}}
	if reversals {
		t.Columns = append(t.Columns, "reversed_count", "reversed", "net")
	}
	for _, x := range ts {
		j := reportTotalJSON{Currency: x.Currency.Code, Count: x.Count, Amount: amountString(x.Amount, x.Currency)}
		row := []reportCell{reportText(x.Currency.Code), reportCount(x.Count), reportMoney(x.Amount, x.Currency)}
		if reversals {
			j.Reversed, j.ReversedCount, j.Net = amountString(x.Reversed, x.Currency), x.ReversedCount, amountString(x.Net(), x.Currency)
			row = append(row, reportCount(x.ReversedCount), reportMoney(x.Reversed, x.Currency), reportMoney(x.Net(), x.Currency))
		}
		out = append(out, j)
		t.Rows = append(t.Rows, row)
	}
	return out, t
}

type reportDonationJSON struct {
	Date              string  `json:"date"`
	Fund              string  `json:"fund"`
	Channel           string  `json:"channel"`
	Amount            string  `json:"amount"`
	Currency          string  `json:"currency"`
	DonorName         string  `json:"donor_name"`
	DonorOrganisation string  `json:"donor_organisation"`
	DonorCountry      string  `json:"donor_country"`
	Place             string  `json:"place,omitempty"`
	ReversedOn        *string `json:"reversed_on"`
	ID                string  `json:"id"`
	TransactionID     string  `json:"transaction_id"`
}

// reportDonations is the donation register: personal data, for the
// committee only (observers are committee members).
func reportDonations(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error) {
	reg, err := s.Reports.DonationRegister(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	lines := make([]reportDonationJSON, 0, len(reg.Lines))
	t := reportTable{Name: "Donations", Columns: []string{"date", "fund", "channel", "amount", "currency", "donor_name", "donor_organisation",
		"donor_country", "place", "reversed_on", "id", "transaction_id"}}
	for _, l := range reg.Lines {
		rev := reportOptDate(l.ReversedOn)
		lines = append(lines, reportDonationJSON{Date: l.Date.Format(time.DateOnly), Fund: l.Fund, Channel: l.Channel, Amount: amountString(l.Amount, l.Currency),
			Currency: l.Currency.Code, DonorName: l.DonorName, DonorOrganisation: l.DonorOrganisation, DonorCountry: l.DonorCountry, Place: l.Place,
			ReversedOn: rev, ID: l.ID, TransactionID: l.TransactionID})
		revText := ""
		if rev != nil {
			revText = *rev
		}
		t.Rows = append(t.Rows, []reportCell{reportDate(l.Date), reportText(l.Fund), reportText(l.Channel), reportMoney(l.Amount, l.Currency), reportText(l.Currency.Code),
			reportText(l.DonorName), reportText(l.DonorOrganisation), reportText(l.DonorCountry), reportText(l.Place), reportText(revText), reportText(l.ID), reportText(l.TransactionID)})
	}
	totals, totalsT := reportRegisterTotals(reg.Totals, true)
	return &reportFile{Name: reportFileName("donations", f), CSV: t, Sheets: []reportTable{t, totalsT},
		JSON: gin.H{"lines": lines, "totals": totals}}, nil
}

type reportGrantJSON struct {
	Ref           string `json:"ref"`
	Date          string `json:"date"`
	Fund          string `json:"fund"`
	Category      string `json:"category"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	TransactionID string `json:"transaction_id"`
	ReversalOf    string `json:"reversal_of,omitempty"`
}

// reportGrants is the grant register: references only, never anything
// about a recipient (the ledger holds none).
func reportGrants(s *Server, c *gin.Context, f ledger.ReportFilter) (*reportFile, error) {
	reg, err := s.Reports.GrantRegister(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	lines := make([]reportGrantJSON, 0, len(reg.Lines))
	t := reportTable{Name: "Grants", Columns: []string{"ref", "date", "fund", "category", "amount", "currency", "transaction_id", "reversal_of"}}
	for _, l := range reg.Lines {
		lines = append(lines, reportGrantJSON{Ref: l.Ref, Date: l.Date.Format(time.DateOnly), Fund: l.Fund, Category: l.Category,
			Amount: amountString(l.Amount, l.Currency), Currency: l.Currency.Code, TransactionID: l.TransactionID, ReversalOf: l.ReversalOf})
		t.Rows = append(t.Rows, []reportCell{reportText(l.Ref), reportDate(l.Date), reportText(l.Fund), reportText(l.Category), reportMoney(l.Amount, l.Currency),
			reportText(l.Currency.Code), reportText(l.TransactionID), reportText(l.ReversalOf)})
	}
	totals, totalsT := reportRegisterTotals(reg.Totals, false)
	return &reportFile{Name: reportFileName("grants", f), CSV: t, Sheets: []reportTable{t, totalsT},
		JSON: gin.H{"lines": lines, "totals": totals}}, nil
}

// --- the books for hledger and beancount ---------------------------------

// handleReportExport streams the books (or one fund's) for hledger or
// beancount. Errors found before the first byte are shown with fail.
func (s *Server) handleReportExport(fail func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		format, err := export.ParseFormat(c.Query("format"))
		if err != nil {
			fail(c, err)
			return
		}
		var fund *string
		if slug := strings.TrimSpace(c.Query("fund")); slug != "" {
			if _, err := s.Funds.FindFund(c.Request.Context(), slug); err != nil {
				fail(c, err)
				return
			}
			fund = &slug
		}
		name := "fundledger"
		if fund != nil {
			name = *fund
		}
		if format == export.Hledger {
			name += ".journal"
		} else {
			name += ".beancount"
		}
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		c.Status(http.StatusOK)
		books := export.Books{Chart: s.Accounts, Funds: s.Funds, Transactions: s.Transactions}
		if err := export.Write(c.Request.Context(), c.Writer, format, books, fund); err != nil {
			s.Logger.Error("export", "format", string(format), "error", err) // the headers are sent: the file ends short
			return
		}
		if currentMember(c) != nil {
			s.audit(c, "report.export", "books", map[string]string{"format": string(format), "query": reportAuditQuery(c)})
		}
	}
}
