package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// reportsFixture is a server with the reports wired, committee members and
// tokens, on books that hold December 2011 of two funds with entries before
// and after it.
type reportsFixture struct {
	w         *workspace
	treasurer string // API tokens
	observer  string
}

func newReportsFixture(t *testing.T) *reportsFixture {
	t.Helper()
	db := pgtest.NewDB(t)
	clk := &clock{t: time.Now().UTC()}
	db.Now = clk.Now
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	w := &workspace{t: t, db: db, clock: clk, members: postgres.NewMemberService(db, box),
		sessions: postgres.NewSessionService(db), audit: postgres.NewAuditService(db)}
	w.members.Params = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	funds := postgres.NewFundService(db)
	tokens := postgres.NewTokenService(db)
	dons := postgres.NewDonationService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db), Donations: dons,
		Balances: postgres.NewBalanceService(db), Tokens: tokens, Acks: postgres.NewAcknowledgementService(db),
		Batches: dons, Collections: dons, Reconciliation: postgres.NewReconciliationService(db),
		Reports: postgres.NewReportService(db),
		Members: w.members, Sessions: w.sessions, Audit: w.audit,
		Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	fx := &reportsFixture{w: w}
	if fx.treasurer, _, err = tokens.CreateToken(context.Background(), "treasurer", ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	if fx.observer, _, err = tokens.CreateToken(context.Background(), "observer", ledger.RoleObserver); err != nil {
		t.Fatal(err)
	}
	fx.books(t, db)
	return fx
}

// books records: donations in three channels and two currencies from donors
// in three countries, a card payment with its processor fee, a bank fee, a
// conversion, two grant payments with categories, a transfer-free second
// fund, a reversal, and entries before and after December 2011.
func (fx *reportsFixture) books(t *testing.T, db *postgres.DB) {
	ctx := context.Background()
	funds := postgres.NewFundService(db)
	dons := postgres.NewDonationService(db)
	txs := postgres.NewTransactionService(db)
	for _, f := range []*ledger.Fund{{Slug: "zhanaozen", Name: "Zhanaozen families", Currency: mustCur(t, "EUR")},
		{Slug: "karaganda", Name: "Karaganda families", Currency: mustCur(t, "KZT")}} {
		if err := funds.CreateFund(ctx, f, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	donate := func(fund, on, amount, cur string, ch ledger.Channel, donor ledger.Donor) *ledger.Donation {
		t.Helper()
		m, err := ledger.ParseMoney(amount, cur)
		if err != nil {
			t.Fatal(err)
		}
		key := "don-" + fund + on + amount
		d, err := dons.RecordDonation(ctx, &ledger.Donation{Fund: fund, Amount: m, Channel: ch, ReceivedOn: day(on), Donor: donor, IdempotencyKey: key, Fingerprint: key})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	p := func(account, fund, amount, cur string) ledger.Posting {
		return ledger.Posting{Account: account, Fund: fund, Amount: decimal.RequireFromString(amount), Currency: mustCur(t, cur)}
	}
	entry := func(key, on, desc string, meta map[string]string, ps ...ledger.Posting) string {
		t.Helper()
		tx, err := txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: key, EffectiveDate: day(on), Description: desc, Metadata: meta, Postings: ps})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return tx.ID
	}
	donate("zhanaozen", "2011-11-20", "1000.00", "EUR", ledger.ChannelBankTransfer, ledger.Donor{Name: "Ingrid Svensson", Country: "SE"})
	donate("zhanaozen", "2011-12-05", "1500.00", "EUR", ledger.ChannelOrganisation, ledger.Donor{Name: "Maria Schmidt", Organisation: "IG Metall Hamburg", Country: "DE"})
	cash := donate("zhanaozen", "2011-12-06", "200.00", "EUR", ledger.ChannelCash, ledger.Donor{Name: "Jeanne Martin", Country: "FR"})
	donate("zhanaozen", "2011-12-07", "50000.00", "KZT", ledger.ChannelBankTransfer, ledger.Donor{Name: "Асель Нурланова", Country: "KZ"})
	donate("karaganda", "2011-12-12", "20000.00", "KZT", ledger.ChannelBankTransfer, ledger.Donor{Name: "=1+1 Miners' committee", Country: "KZ"})
	donate("zhanaozen", "2012-01-05", "777.00", "EUR", ledger.ChannelBankTransfer, ledger.Donor{})
	entry("card-1", "2011-12-09", "Card donation (Stripe)", map[string]string{"channel": "card"},
		p("assets:stripe", "zhanaozen", "97.10", "EUR"), p("expenses:fees:stripe", "zhanaozen", "2.90", "EUR"), p("income:donations:card", "zhanaozen", "-100.00", "EUR"))
	entry("fx-1", "2011-12-10", "EUR to KZT for grants", nil,
		p("assets:bank:eur", "zhanaozen", "-1000.00", "EUR"), p("equity:conversion", "zhanaozen", "1000.00", "EUR"),
		p("equity:conversion", "zhanaozen", "-196543.21", "KZT"), p("assets:bank:kzt", "zhanaozen", "196543.21", "KZT"))
	for _, g := range []struct{ ref, on, amount, category string }{
		{"G-2011-001", "2011-12-15", "100000.00", "food"}, {"G-2011-002", "2011-12-20", "50000.00", "rent"},
	} {
		entry("grant-"+g.ref, g.on, "Hardship grant "+g.ref, map[string]string{"grant_ref": g.ref, "grant_category": g.category},
			p("expenses:grants", "zhanaozen", g.amount, "KZT"), p("assets:bank:kzt", "zhanaozen", "-"+g.amount, "KZT"))
	}
	entry("fee-1", "2011-12-30", "Account fee, December", nil, p("expenses:fees:bank", "zhanaozen", "12.50", "EUR"), p("assets:bank:eur", "zhanaozen", "-12.50", "EUR"))
	if _, err := txs.ReverseTransaction(ctx, cash.TransactionID, &ledger.Transaction{IdempotencyKey: "rev-cash", EffectiveDate: day("2011-12-28"), Description: "Counted twice"}); err != nil {
		t.Fatal(err)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// raw GETs path with a bearer token.
func (fx *reportsFixture) raw(t *testing.T, method, path, token string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, fx.w.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body, res.Header
}

func (fx *reportsFixture) json(t *testing.T, path string, dst any) {
	t.Helper()
	code, body, _ := fx.raw(t, "GET", path, fx.observer)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

type periodJSON struct {
	Fund      *string             `json:"fund"`
	BooksSeq  int64               `json:"books_seq"`
	BooksHash string              `json:"books_hash"`
	Figures   []map[string]any    `json:"figures"`
	Channels  []map[string]any    `json:"income_by_channel"`
	Countries []map[string]any    `json:"income_by_country"`
	Grants    []map[string]any    `json:"grants_by_category"`
	Assets    []map[string]string `json:"assets"`
}

func d(v any) decimal.Decimal {
	s, _ := v.(string)
	return decimal.RequireFromString(s)
}

func (p periodJSON) figure(cur, key string) decimal.Decimal {
	for _, f := range p.Figures {
		if f["currency"] == cur {
			return d(f[key])
		}
	}
	return decimal.Zero
}

// sumBy sums the amounts of breakdown lines per currency.
func sumBy(lines []map[string]any) map[string]decimal.Decimal {
	out := map[string]decimal.Decimal{}
	for _, l := range lines {
		c := l["currency"].(string)
		out[c] = out[c].Add(d(l["amount"]))
	}
	return out
}

// mustTieJSON checks the period report's identities in its JSON.
func mustTieJSON(t *testing.T, p periodJSON) {
	t.Helper()
	channels, countries, grants := sumBy(p.Channels), sumBy(p.Countries), sumBy(p.Grants)
	for _, f := range p.Figures {
		cur := f["currency"].(string)
		closing := d(f["opening"]).Add(d(f["income"])).Sub(d(f["processor_fees"])).Sub(d(f["bank_fees"])).Sub(d(f["grants"])).
			Sub(d(f["other_expenses"])).Add(d(f["conversions"])).Add(d(f["interfund"])).Add(d(f["other_equity"])).Add(d(f["liabilities"]))
		if !closing.Equal(d(f["closing"])) {
			t.Errorf("%s: opening + income - fees - grants ± transfers = %s, closing %s", cur, closing, f["closing"])
		}
		if !channels[cur].Equal(d(f["income"])) || !countries[cur].Equal(d(f["income"])) || !grants[cur].Equal(d(f["grants"])) {
			t.Errorf("%s: channels %s, countries %s, income %s; categories %s, grants %s", cur, channels[cur], countries[cur], f["income"], grants[cur], f["grants"])
		}
	}
}

const december = "from=2011-12-01&to=2011-12-31"

func TestReportsAPI(t *testing.T) {
	fx := newReportsFixture(t)
	var z, all periodJSON
	fx.json(t, "/api/v1/reports/period?fund=zhanaozen&"+december, &z)
	fx.json(t, "/api/v1/reports/period?"+december, &all)
	mustTieJSON(t, z)
	mustTieJSON(t, all)
	for _, c := range []struct {
		name string
		got  decimal.Decimal
		want string
	}{
		{"EUR opening: November's transfer", z.figure("EUR", "opening"), "1000.00"},
		{"EUR income: 1500 + 200 + 100 card - 200 reversed", z.figure("EUR", "income"), "1600.00"},
		{"EUR processor fees", z.figure("EUR", "processor_fees"), "2.90"},
		{"EUR bank fees", z.figure("EUR", "bank_fees"), "12.50"},
		{"EUR conversion", z.figure("EUR", "conversions"), "-1000.00"},
		{"EUR closing, without January's 777", z.figure("EUR", "closing"), "1584.60"},
		{"KZT grants", z.figure("KZT", "grants"), "150000.00"},
		{"KZT conversion", z.figure("KZT", "conversions"), "196543.21"},
		{"KZT closing", z.figure("KZT", "closing"), "96543.21"},
		{"all funds KZT income", all.figure("KZT", "income"), "70000.00"},
		{"all funds KZT closing", all.figure("KZT", "closing"), "116543.21"},
	} {
		if !c.got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	if z.BooksSeq == 0 || len(z.BooksHash) != 64 || z.Fund == nil || all.Fund != nil {
		t.Errorf("books %d %q, fund %v / %v", z.BooksSeq, z.BooksHash, z.Fund, all.Fund)
	}
	// January opens at December's closing.
	var jan periodJSON
	fx.json(t, "/api/v1/reports/period?fund=zhanaozen&from=2012-01-01&to=2012-01-31", &jan)
	if !jan.figure("EUR", "opening").Equal(z.figure("EUR", "closing")) || !jan.figure("EUR", "closing").Equal(decimal.RequireFromString("2361.60")) {
		t.Errorf("January EUR: %v", jan.Figures)
	}

	// The CSV file says exactly what the JSON says.
	code, body, hdr := fx.raw(t, "GET", "/api/v1/reports/period?format=csv&fund=zhanaozen&"+december, fx.observer)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), "period-report-zhanaozen-2011-12-01-2011-12-31.csv") {
		t.Fatalf("period.csv: %d %v %s", code, hdr, body)
	}
	recs := mustCSV(t, body)
	csvIncome := map[string]decimal.Decimal{}
	figures := 0
	for _, r := range recs[1:] {
		switch r[0] {
		case "figure":
			figures++
			if got := z.figure(r[2], r[1]); !got.Equal(decimal.RequireFromString(r[3])) || strings.Count(r[3], ".") != 1 || len(strings.Split(r[3], ".")[1]) != 2 {
				t.Errorf("csv %v: json %s", r, got)
			}
		case "income_by_channel":
			csvIncome[r[2]] = csvIncome[r[2]].Add(decimal.RequireFromString(r[3]))
		}
	}
	if figures != 11*len(z.Figures) {
		t.Errorf("%d figure rows for %d currencies", figures, len(z.Figures))
	}
	for _, cur := range []string{"EUR", "KZT"} {
		if !csvIncome[cur].Equal(z.figure(cur, "income")) {
			t.Errorf("csv income by channel in %s sums to %s, json income %s", cur, csvIncome[cur], z.figure(cur, "income"))
		}
	}
	code, body2, _ := fx.raw(t, "GET", "/api/v1/reports/period?format=CSV&fund=zhanaozen&"+december, fx.observer)
	if code != 200 || !bytes.Equal(body, body2) {
		t.Errorf("?format=CSV differs from ?format=csv")
	}

	// The XLSX workbook opens with excelize and holds the same figures, as
	// numbers stored exactly and shown with the currency's decimals.
	code, body, hdr = fx.raw(t, "GET", "/api/v1/reports/period?format=xlsx&fund=zhanaozen&"+december, fx.observer)
	if code != 200 || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("period.xlsx: %d %v", code, hdr)
	}
	x := mustXLSX(t, body)
	rows, err := x.GetRows("Summary", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(z.Figures) {
		t.Fatalf("summary rows %v", rows)
	}
	head := rows[0]
	for r, row := range rows[1:] {
		for i, col := range head[1:] {
			if col == "grant_count" {
				if row[i+1] != fmt.Sprint(z.Figures[r]["grant_count"]) {
					t.Errorf("grant count %v, json %v", row, z.Figures[r]["grant_count"])
				}
				continue
			}
			if got := decimal.RequireFromString(row[i+1]); !got.Equal(z.figure(row[0], col)) {
				t.Errorf("xlsx %s %s = %s, json %s", row[0], col, row[i+1], z.figure(row[0], col))
			}
		}
	}
	if v, _ := x.GetCellValue("Summary", "M2"); v != "1,584.60" { // EUR closing, formatted with two decimals
		t.Errorf("EUR closing shows as %q", v)
	}
	if typ, _ := x.GetCellType("Summary", "M2"); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("EUR closing is text, not a number")
	}
	for _, sheet := range []string{"Income by channel", "Income by country", "Grants by category", "Assets"} {
		if rows, err := x.GetRows(sheet); err != nil || len(rows) < 2 {
			t.Errorf("sheet %s: %v %v", sheet, err, rows)
		}
	}

	// The registers: their CSV totals are their JSON totals, and the grant
	// register's are the period report's grants.
	var grants struct {
		Lines  []map[string]any `json:"lines"`
		Totals []map[string]any `json:"totals"`
	}
	fx.json(t, "/api/v1/reports/grants?fund=zhanaozen&"+december, &grants)
	if len(grants.Lines) != 2 || grants.Lines[0]["ref"] != "G-2011-001" || grants.Lines[0]["category"] != "food" || len(grants.Totals) != 1 ||
		!d(grants.Totals[0]["amount"]).Equal(z.figure("KZT", "grants")) {
		t.Fatalf("grant register %+v", grants)
	}
	for _, l := range grants.Lines {
		for k := range l {
			if !strings.Contains(" ref date fund category amount currency transaction_id reversal_of ", " "+k+" ") {
				t.Errorf("the grant register carries %q", k)
			}
		}
	}
	_, body, _ = fx.raw(t, "GET", "/api/v1/reports/grants?format=csv&fund=zhanaozen&"+december, fx.observer)
	if sum := csvColumnSum(t, mustCSV(t, body), "amount", "currency")["KZT"]; !sum.Equal(d(grants.Totals[0]["amount"])) {
		t.Errorf("grants.csv sums to %s", sum)
	}
	var dons struct {
		Lines  []map[string]any `json:"lines"`
		Totals []map[string]any `json:"totals"`
	}
	fx.json(t, "/api/v1/reports/donations?"+december, &dons)
	_, body, _ = fx.raw(t, "GET", "/api/v1/reports/donations?format=csv&"+december, fx.observer)
	donCSV := mustCSV(t, body)
	sums := csvColumnSum(t, donCSV, "amount", "currency")
	for _, tot := range dons.Totals {
		if cur := tot["currency"].(string); !sums[cur].Equal(d(tot["amount"])) {
			t.Errorf("donations.csv %s sums to %s, json %s", cur, sums[cur], tot["amount"])
		}
	}
	if len(dons.Lines) != 4 || !strings.Contains(string(body), "'=1+1 Miners' committee") || !strings.Contains(string(body), "Maria Schmidt") {
		t.Errorf("donation register: %d lines\n%s", len(dons.Lines), body)
	}
	_, body, _ = fx.raw(t, "GET", "/api/v1/reports/donations?format=xlsx&"+december, fx.observer)
	x = mustXLSX(t, body)
	found := false
	rows, _ = x.GetRows("Donations")
	for r, row := range rows {
		if len(row) > 5 && strings.HasPrefix(row[5], "=1+1") {
			found = true
			ref, _ := excelize.CoordinatesToCellName(6, r+1)
			if f, _ := x.GetCellFormula("Donations", ref); f != "" {
				t.Errorf("a donor's name became the formula %q", f)
			}
		}
	}
	if !found {
		t.Errorf("the donor's name is not in the workbook: %v", rows)
	}
	fx.json(t, "/api/v1/reports/donations?channel=cash&"+december, &dons)
	if len(dons.Lines) != 1 || dons.Lines[0]["reversed_on"] != "2011-12-28" || dons.Totals[0]["net"] != "0.00" {
		t.Errorf("cash: %+v", dons)
	}

	// A statement's running balance ends at the period report's balance.
	var st struct {
		Lines   []map[string]any `json:"lines"`
		Closing []map[string]any `json:"closing"`
	}
	fx.json(t, "/api/v1/reports/statement?account=assets:bank:kzt&fund=zhanaozen&"+december, &st)
	if len(st.Lines) != 4 || len(st.Closing) != 1 || !d(st.Closing[0]["amount"]).Equal(z.figure("KZT", "closing")) {
		t.Errorf("statement %+v", st)
	}
	// The trial balance as files: each currency totals zero.
	_, body, _ = fx.raw(t, "GET", "/api/v1/reports/trial-balance?format=csv&as_of=2011-12-31", fx.observer)
	for cur, s := range csvColumnSum(t, mustCSV(t, body), "amount", "currency") {
		if !s.IsZero() {
			t.Errorf("trial balance in %s totals %s", cur, s)
		}
	}
	code, body, _ = fx.raw(t, "GET", "/api/v1/reports/trial-balance?format=xlsx&as_of=2011-12-31", fx.observer)
	if code != 200 {
		t.Fatalf("trial-balance.xlsx %d", code)
	}
	mustXLSX(t, body)
	code, body, _ = fx.raw(t, "GET", "/api/v1/reports/export?format=hledger&fund=zhanaozen", fx.observer)
	if code != 200 || !bytes.Contains(body, []byte("expenses:grants")) || !bytes.Contains(body, []byte("fund:zhanaozen")) {
		t.Errorf("export: %d %.300s", code, body)
	}

	// Reading needs a token; nothing here can be written.
	for _, c := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/api/v1/reports/period?" + december, "", 401},
		{"GET", "/api/v1/reports/donations", "", 401},
		{"POST", "/api/v1/reports/period?" + december, fx.treasurer, 405},
		{"PUT", "/api/v1/reports/grants", fx.treasurer, 405},
		{"DELETE", "/api/v1/reports/donations", fx.treasurer, 405},
		{"GET", "/api/v1/reports/period", fx.observer, 400},
		{"GET", "/api/v1/reports/period?format=pdf&" + december, fx.observer, 400},
		{"GET", "/api/v1/reports/period.csv?" + december, fx.observer, 404},
		{"GET", "/api/v1/reports/period?fund=nobody&" + december, fx.observer, 404},
		{"GET", "/api/v1/reports/period?from=2012-01-01&to=2011-01-01", fx.observer, 400},
		{"GET", "/api/v1/reports/statement?account=assets:nowhere", fx.observer, 404},
		{"GET", "/api/v1/reports/donations?channel=wire", fx.observer, 400},
		{"GET", "/api/v1/reports/export?format=excel", fx.observer, 400},
	} {
		if code, body, _ := fx.raw(t, c.method, c.path, c.token); code != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, code, c.status, body)
		}
	}
}

func mustCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	return recs
}

// csvColumnSum sums a CSV file's amount column per currency.
func csvColumnSum(t *testing.T, recs [][]string, amount, currency string) map[string]decimal.Decimal {
	t.Helper()
	ai, ci := -1, -1
	for i, h := range recs[0] {
		switch h {
		case amount:
			ai = i
		case currency:
			ci = i
		}
	}
	if ai < 0 || ci < 0 {
		t.Fatalf("no %s or %s column in %v", amount, currency, recs[0])
	}
	out := map[string]decimal.Decimal{}
	for _, r := range recs[1:] {
		out[r[ci]] = out[r[ci]].Add(decimal.RequireFromString(r[ai]))
	}
	return out
}

func mustXLSX(t *testing.T, body []byte) *excelize.File {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// svgBar is a bar of a chart, as drawn.
type svgBar struct {
	Class    string `xml:"class,attr"`
	Height   string `xml:"height,attr"`
	Value    string `xml:"data-value,attr"`
	Category string `xml:"data-category,attr"`
}

// mustChart parses an SVG chart with encoding/xml and returns its bars.
func mustChart(t *testing.T, body []byte) []svgBar {
	t.Helper()
	var doc struct {
		XMLName xml.Name
		Title   string   `xml:"title"`
		Rects   []svgBar `xml:"rect"`
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("chart is not valid XML: %v\n%s", err, body)
	}
	if doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" || doc.Title == "" {
		t.Fatalf("not an SVG document: %v %q", doc.XMLName, doc.Title)
	}
	var bars []svgBar
	for _, r := range doc.Rects {
		if r.Class == "bar" {
			bars = append(bars, r)
		}
	}
	return bars
}

// mustProportional checks every bar's height is its amount at one scale,
// within the 1/100 px the heights are written with.
func mustProportional(t *testing.T, what string, bars []svgBar) {
	t.Helper()
	if len(bars) == 0 {
		t.Fatalf("%s: no bars", what)
	}
	// The scale of the largest bar, the most precise one.
	ref, refValue := bars[0], decimal.Zero
	for _, b := range bars {
		if v := decimal.RequireFromString(b.Value).Abs(); v.GreaterThan(refValue) {
			ref, refValue = b, v
		}
	}
	scale := decimal.RequireFromString(ref.Height).DivRound(refValue, 16)
	for _, b := range bars {
		want := decimal.RequireFromString(b.Value).Abs().Mul(scale)
		if diff := decimal.RequireFromString(b.Height).Sub(want).Abs(); diff.GreaterThan(decimal.RequireFromString("0.02")) {
			t.Errorf("%s: bar %s of %s is %s px high, want %s", what, b.Category, b.Value, b.Height, want.StringFixed(2))
		}
	}
}

func TestReportsWorkspace(t *testing.T) {
	fx := newReportsFixture(t)
	w := fx.w
	w.mustMember("treasurer@example.org", "Tamara Treasurer", ledger.RoleTreasurer, "correct horse battery")
	w.mustMember("observer@example.org", "Oleg Observer", ledger.RoleObserver, "correct horse battery")
	q := "?fund=zhanaozen&" + december

	// Signed out: nothing, not even a chart.
	anon := w.browser()
	for _, p := range []string{"/committee/reports" + q, "/committee/reports/donations", "/committee/reports/period.csv" + q,
		"/committee/reports/chart/income.svg" + q + "&currency=EUR", "/committee/reports/export?format=hledger"} {
		a := anon.get(p)
		if a.status != 303 || !strings.HasPrefix(a.location(), "/committee/signin") || strings.Contains(a.body, "Maria") {
			t.Fatalf("signed out %s: %d %s", p, a.status, a.location())
		}
	}

	tr, ob := w.browser(), w.browser()
	tr.signIn("treasurer@example.org", "correct horse battery")
	ob.signIn("observer@example.org", "correct horse battery")
	pages := []string{"/committee/reports" + q, "/committee/reports/print" + q, "/committee/reports/trial-balance?as_of=2011-12-31",
		"/committee/reports/statement?account=assets%3Abank%3Akzt&fund=zhanaozen&" + december, "/committee/reports/donations" + q,
		"/committee/reports/grants" + q}
	for _, p := range pages {
		// The observer sees exactly the treasurer's reports.
		a, b := tr.get(p), ob.get(p)
		mustStatus(t, "treasurer "+p, a, 200)
		mustStatus(t, "observer "+p, b, 200)
		if strip(a.body) != strip(b.body) {
			t.Errorf("%s: the observer's page differs from the treasurer's", p)
		}
		if strings.Contains(b.body, "<script") || strings.Contains(b.header.Get("Content-Security-Policy"), "script") {
			t.Errorf("%s: script", p)
		}
		for _, post := range []string{`method="post" action="/committee/reports`, `formmethod="post"`} {
			if strings.Contains(b.body, post) {
				t.Errorf("%s offers a way to change something: %s", p, post)
			}
		}
	}
	period := ob.get("/committee/reports" + q)
	for _, s := range []string{"Period report", "Zhanaozen families", "€1,000.00", "€1,584.60", "₸96,543.21", "₸150,000.00", "€2.90", "€12.50",
		"Card processing fees", "Transfers between funds", "food", "rent", `/committee/reports/chart/income.svg?currency=EUR&amp;from=2011-12-01&amp;fund=zhanaozen&amp;to=2011-12-31`,
		`/committee/reports/period.xlsx?from=2011-12-01&amp;fund=zhanaozen&amp;to=2011-12-31`, "/committee/reports/print?"} {
		if !strings.Contains(period.body, s) {
			t.Errorf("period page lacks %q", s)
		}
	}
	printed := ob.get("/committee/reports/print" + q)
	for _, s := range []string{"Period report: Zhanaozen families", "Treasurer", "Committee member", "Name, signature, date", "€1,584.60", `class="wsr-sign"`} {
		if !strings.Contains(printed.body, s) {
			t.Errorf("print page lacks %q", s)
		}
	}
	if strings.Contains(printed.body, `action="/committee/signout"`) {
		t.Errorf("the printable page has the workspace's navigation")
	}
	rub := w.browser() // the language switch sets a cookie: a browser of its own
	rub.signIn("observer@example.org", "correct horse battery")
	ru := rub.get("/committee/reports" + q + "&lang=ru")
	if !strings.Contains(ru.body, "Отчёт за период") || !strings.Contains(ru.body, "1\u00a0584,60\u00a0€") {
		t.Errorf("Russian page:\n%.3000s", ru.body)
	}
	dons := ob.get("/committee/reports/donations" + q)
	if !strings.Contains(dons.body, "Maria Schmidt") || !strings.Contains(dons.body, "IG Metall Hamburg") || !strings.Contains(dons.body, "reversed on 28 December 2011") {
		t.Errorf("donation register page:\n%.3000s", dons.body)
	}
	grants := ob.get("/committee/reports/grants" + q)
	if !strings.Contains(grants.body, "G-2011-001") || !strings.Contains(grants.body, "₸100,000.00") || strings.Contains(grants.body, "Hardship grant G-") {
		t.Errorf("grant register page:\n%.3000s", grants.body)
	}

	// The workspace's files are the API's.
	for _, f := range []string{"period", "donations", "grants"} {
		a := ob.get("/committee/reports/" + f + ".csv" + q)
		mustStatus(t, f, a, 200)
		_, api, _ := fx.raw(t, "GET", "/api/v1/reports/"+f+q+"&format=csv", fx.observer)
		if a.body != string(api) {
			t.Errorf("%s: the workspace's file differs from the API's", f)
		}
	}
	a := ob.get("/committee/reports/period.xlsx" + q)
	mustStatus(t, "period.xlsx", a, 200)
	mustXLSX(t, []byte(a.body))
	a = ob.get("/committee/reports/export?format=beancount&fund=zhanaozen")
	if a.status != 200 || !strings.Contains(a.body, "Expenses:Grants") && !strings.Contains(a.body, "expenses:grants") {
		t.Errorf("export: %d %.300s", a.status, a.body)
	}

	// Charts: valid SVG, bars proportional to their amounts.
	var z periodJSON
	fx.json(t, "/api/v1/reports/period"+q, &z)
	closing := z.figure("EUR", "closing")
	for _, c := range []struct {
		chart, cur string
		bars       int
	}{{"income", "EUR", 4}, {"income", "KZT", 1}, {"balance", "EUR", 5}, {"balance", "KZT", 4}, {"grants", "KZT", 2}} {
		a := ob.get("/committee/reports/chart/" + c.chart + ".svg" + q + "&currency=" + c.cur)
		mustStatus(t, c.chart, a, 200)
		if !strings.HasPrefix(a.header.Get("Content-Type"), "image/svg+xml") || strings.Contains(a.body, "<script") {
			t.Fatalf("%s: %s", c.chart, a.header.Get("Content-Type"))
		}
		bars := mustChart(t, []byte(a.body))
		if len(bars) != c.bars {
			t.Errorf("%s %s: %d bars, want %d", c.chart, c.cur, len(bars), c.bars)
		}
		mustProportional(t, c.chart+" "+c.cur, bars)
		if c.chart == "balance" && c.cur == "EUR" && !decimal.RequireFromString(bars[len(bars)-1].Value).Equal(closing) {
			t.Errorf("the last week's balance %s is not the closing balance %s", bars[len(bars)-1].Value, closing)
		}
	}
	// The week of the reversal has a negative bar for cash, below the axis.
	a = ob.get("/committee/reports/chart/income.svg" + q + "&currency=EUR")
	if !strings.Contains(a.body, `data-value="-200"`) {
		t.Errorf("no negative bar for the reversed cash donation:\n%s", a.body)
	}
	a = ob.get("/committee/reports/chart/grants.svg?fund=karaganda&" + december + "&currency=KZT")
	if bars := mustChart(t, []byte(a.body)); len(bars) != 0 || !strings.Contains(a.body, "Nothing in this period.") {
		t.Errorf("an empty chart: %s", a.body)
	}

	// Nobody can post to the reports, the treasurer included.
	tr.get("/committee/reports" + q) // a page with a CSRF token
	for _, p := range []string{"/committee/reports", "/committee/reports/period.csv", "/committee/reports/donations", "/committee/reports/print"} {
		if a := tr.post(p, url.Values{"fund": {"zhanaozen"}}); a.status != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d", p, a.status)
		}
	}

	// Views of donors' data and every download are audited.
	var n int
	if err := w.db.Pool.QueryRow(context.Background(), `select count(*) from audit_log
		where action in ('report.donations.view', 'report.download', 'report.print', 'report.export') and member_name = 'Oleg Observer'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 6 {
		t.Errorf("%d audit entries for the observer's reports", n)
	}
}

// strip removes what differs between two members' pages: their names, the
// CSRF token of the sign-out form and the link to the members' page, which
// only a treasurer has.
var membersLinkRE = regexp.MustCompile(`<a href="/committee/members"[^<]*</a>`)

func strip(s string) string {
	for _, name := range []string{"Tamara Treasurer", "Oleg Observer"} {
		s = strings.ReplaceAll(s, name, "")
	}
	s = csrfRE.ReplaceAllString(s, "")
	s = membersLinkRE.ReplaceAllString(s, "")
	if i := strings.Index(s, "prepared "); i >= 0 { // the printable page's time
		s = s[:i]
	}
	return s
}
