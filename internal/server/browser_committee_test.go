package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// TestCommitteeInABrowser is the committee's path through the workspace in
// a real browser: a treasurer signs in, records a bank transfer, approves
// its acknowledgement, opens a hardship grant; two other members approve
// it; the treasurer pays it, opens the period report and downloads it as
// CSV, whose totals are the API's trial balance.
func TestCommitteeInABrowser(t *testing.T) {
	chrome := chromiumPath(t)
	ctx := context.Background()
	db := pgtest.NewDB(t)
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	funds := postgres.NewFundService(db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen oil workers' families", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	members := postgres.NewMemberService(db, box)
	members.Params = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	for _, m := range []*ledger.Member{
		{Email: "tamara@example.org", Name: "Tamara Treasurer", Role: ledger.RoleTreasurer},
		{Email: "marat@example.org", Name: "Marat Member", Role: ledger.RoleMember},
		{Email: "saule@example.org", Name: "Saule Member", Role: ledger.RoleMember},
	} {
		if err := members.AddMember(ctx, ledger.CommandLine, m, "solidarity forever"); err != nil {
			t.Fatal(err)
		}
	}
	dons := postgres.NewDonationService(db)
	tokens := postgres.NewTokenService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db), Donations: dons, Batches: dons, Collections: dons,
		Balances: postgres.NewBalanceService(db), Tokens: tokens, Acks: postgres.NewAcknowledgementService(db), Rates: funds,
		Reconciliation: postgres.NewReconciliationService(db), Members: members, Sessions: postgres.NewSessionService(db),
		Audit: postgres.NewAuditService(db), Grants: postgres.NewGrantService(db, box, 2), Reports: postgres.NewReportService(db),
		Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "en-GB,en"), chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	browser, cancelTimeout := context.WithTimeout(browser, 3*time.Minute)
	defer cancelTimeout()
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(browser, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	shots := artifactDir(t)
	shoot := func(name string, width, height int64) {
		t.Helper()
		do(chromedp.EmulateViewport(width, height), chromedp.Sleep(150*time.Millisecond))
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(email string) {
		t.Helper()
		do(chromedp.Navigate(base+"/committee/signin"),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, "solidarity forever"),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`form.signout`))
	}
	signOut := func() {
		t.Helper()
		do(chromedp.Click(`form.signout button`), chromedp.WaitVisible(`input[name=email]`))
	}

	// 1. The treasurer records a bank transfer from a union branch.
	signIn("tamara@example.org")
	do(chromedp.Navigate(base+"/committee/money"),
		chromedp.SetValue(`form[action="/committee/money/donations"] input[name=amount]`, "1500.00"),
		chromedp.SetValue(`form[action="/committee/money/donations"] select[name=channel]`, "bank_transfer"),
		chromedp.SetValue(`form[action="/committee/money/donations"] input[name=received_on]`, "2011-12-06"),
		chromedp.SendKeys(`form[action="/committee/money/donations"] input[name=organisation]`, "Metalworkers, Hamburg branch"),
		chromedp.Click(`form[action="/committee/money/donations"] input[name=display][value=organisation]`),
		chromedp.Click(`form[action="/committee/money/donations"] input[name=show_amount]`),
		chromedp.Submit(`form[action="/committee/money/donations"] input[name=amount]`),
		chromedp.WaitVisible(`p.notice`))

	// 2. The acknowledgement waits for moderation; she approves it.
	do(chromedp.Navigate(base+"/committee/moderation"), chromedp.WaitVisible(`button[name=approve]`),
		chromedp.Click(`button[name=approve]`), chromedp.WaitNotPresent(`button[name=approve]`))
	var acks struct {
		Acknowledgements []struct {
			From *string `json:"from"`
		} `json:"acknowledgements"`
	}
	if res, err := http.Get(base + "/api/v1/acknowledgements"); err != nil {
		t.Fatal(err)
	} else {
		err = json.NewDecoder(res.Body).Decode(&acks)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(acks.Acknowledgements) != 1 || acks.Acknowledgements[0].From == nil || *acks.Acknowledgements[0].From != "Metalworkers, Hamburg branch" {
		t.Fatalf("after approval the public list shows %+v", acks)
	}

	// 3. She opens a hardship grant case for a family, by reference only.
	do(chromedp.Navigate(base+"/committee/grants"),
		chromedp.SetValue(`form[action="/committee/grants"] input[name=amount]`, "300.00"),
		chromedp.SetValue(`form[action="/committee/grants"] select[name=currency]`, "EUR"),
		chromedp.SetValue(`form[action="/committee/grants"] select[name=category]`, "food"),
		chromedp.SendKeys(`form[action="/committee/grants"] textarea[name=justification]`, "Family of a dismissed driller, three children, no wages since May"),
		chromedp.Submit(`form[action="/committee/grants"] input[name=amount]`),
		chromedp.WaitVisible(`form[action$="/recuse"]`))
	loc, err := chromedp.Run(browser, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	ref := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.HasPrefix(ref, "G-") {
		t.Fatalf("the grant case page is %s", loc)
	}
	signOut()

	// 4. Two other members approve it.
	for _, m := range []string{"marat@example.org", "saule@example.org"} {
		signIn(m)
		do(chromedp.Navigate(base+"/committee/grants/"+ref), chromedp.Submit(`form[action$="/approve"] button`), chromedp.WaitVisible(`main`))
		signOut()
	}

	// 5. The treasurer pays it from the euro account.
	signIn("tamara@example.org")
	do(chromedp.Navigate(base+"/committee/grants/"+ref),
		chromedp.WaitVisible(`form[action$="/payments"]`),
		chromedp.SetValue(`form[action$="/payments"] select[name=paid_from]`, "assets:bank:eur"),
		chromedp.SetValue(`form[action$="/payments"] input[name=date]`, "2011-12-20"),
		chromedp.Submit(`form[action$="/payments"] input[name=amount]`),
		chromedp.WaitVisible(`main`))
	var status string
	if err := db.Pool.QueryRow(ctx, `select count(*)::text from grant_payments`).Scan(&status); err != nil || status != "1" {
		t.Fatalf("grant payments: %s %v", status, err)
	}

	// 6. The period report, on screen (screenshots) and as CSV.
	do(chromedp.Navigate(base+"/committee/reports?from=2011-12-01&to=2011-12-31"), chromedp.WaitVisible(`main`))
	if page := text(`main`); !strings.Contains(page, "1,500.00") || !strings.Contains(page, "300.00") {
		t.Fatalf("period report page:\n%s", page)
	}
	shoot("report-desktop.png", 1280, 900)
	shoot("report-phone.png", 390, 844)
	cookies, err := chromedp.Run(browser, chromedp.Action[[]*network.Cookie](func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/committee"}})
		return res.Cookies, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", base+"/committee/reports/period.csv?from=2000-01-01&to=2011-12-31", nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("period CSV: %d %s", res.StatusCode, raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("period CSV: %v", err)
	}
	figure := map[string]decimal.Decimal{}
	for _, r := range rows {
		if len(r) >= 4 && r[0] == "figure" && r[2] == "EUR" {
			figure[r[1]] = decimal.RequireFromString(r[3])
		}
	}

	// The CSV's totals are the API's trial balance.
	token, _, err := tokens.CreateToken(ctx, "auditor", ledger.RoleObserver)
	if err != nil {
		t.Fatal(err)
	}
	var tb struct {
		Lines []struct {
			Account, Type, Amount, Currency string
		} `json:"lines"`
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/trial-balance?as_of=2011-12-31", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(res.Body).Decode(&tb); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	assets, income, grants := decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range tb.Lines {
		if l.Currency != "EUR" {
			continue
		}
		amt := decimal.RequireFromString(l.Amount)
		switch {
		case l.Type == "asset":
			assets = assets.Add(amt)
		case l.Type == "income":
			income = income.Sub(amt)
		case l.Account == "expenses:grants":
			grants = grants.Add(amt)
		}
	}
	if !figure["closing"].Equal(assets) || !figure["income"].Equal(income) || !figure["grants"].Equal(grants) ||
		!assets.Equal(decimal.RequireFromString("1200")) {
		t.Fatalf("CSV closing %s income %s grants %s; trial balance assets %s income %s grants %s",
			figure["closing"], figure["income"], figure["grants"], assets, income, grants)
	}
	t.Logf("screenshots in %s", shots)
}
