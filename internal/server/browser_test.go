package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/fundledger/fundledger/internal/mail"
	"github.com/fundledger/fundledger/internal/mail/mailtest"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/internal/stripe"
	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
)

// chromiumPath finds the browser, or fails saying what to install.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install the Debian package chromium (apt-get install -y chromium); bash .ci/run does")
	return ""
}

// artifactDir is where screenshots go: $FUNDLEDGER_ARTIFACTS_DIR, or
// .artifacts/screenshots at the root of the repository.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("FUNDLEDGER_ARTIFACTS_DIR")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, ".artifacts")
				break
			}
		}
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDonationInABrowser is the donor's and the committee's whole path in a
// real browser: fill the donation form, go through the checkout created on
// stripe-mock, Stripe's signed webhook books the donation, the receipt
// arrives by mail, a committee member approves the acknowledgement, and the
// list shows it exactly as consented, in English and in Russian.
func TestDonationInABrowser(t *testing.T) {
	chrome := chromiumPath(t)
	ctx := context.Background()

	// The server listens first, so stripe-mock's checkout URL can send the
	// browser back to it, as Stripe sends the donor to the success URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	mock := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.SettleIn(r, stripetest.Settlement{ChargeID: "ch_browser", ChargeAmount: 4250, ChargeCurrency: "eur",
			BalanceTransactionID: "txn_browser", Amount: 4250, Fee: 90, Currency: "eur"})
		r["checkout.session"].(map[string]any)["url"] = base + "/donate/thanks?session_id=cs_test_browser"
	})
	db := pgtest.NewDB(t)
	funds := postgres.NewFundService(db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen oil workers' families", Currency: mustCur(t, "EUR"),
		Description: "Hardship grants for the families of the striking oil workers of Zhanaozen.",
		BankDetails: "IBAN: DE89 3704 0044 0532 0130 00"}, "", ""); err != nil {
		t.Fatal(err)
	}
	gw, err := stripe.New(stripe.Config{SecretKey: "sk_test_browser", WebhookSecret: webhookSecret, APIBase: mock})
	if err != nil {
		t.Fatal(err)
	}
	acks := postgres.NewAcknowledgementService(db)
	tokens := postgres.NewTokenService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db), Donations: postgres.NewDonationService(db),
		Balances: postgres.NewBalanceService(db), Tokens: tokens, Cards: postgres.NewCardService(db, ""), Acks: acks, Rates: funds,
		Stripe: gw, StripeWebhooks: gw, PublicURL: base, Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	api := &cardAPI{t: t, url: base, db: db}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "en-GB,en"), chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	browser, cancelTimeout := context.WithTimeout(browser, 2*time.Minute)
	defer cancelTimeout()
	shots := artifactDir(t)
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

	// 1. The donor fills the form on the fund's donation page and submits.
	do(chromedp.Navigate(base+"/donate/zhanaozen"), chromedp.WaitVisible(`form[action="/donate/zhanaozen"]`))
	shoot("donate-phone.png", 390, 844)
	shoot("donate-desktop.png", 1280, 900)
	do(
		chromedp.SetValue(`input[name=amount_other]`, "42.50"),
		chromedp.SetValue(`select[name=currency]`, "EUR"),
		chromedp.SendKeys(`input[name=email]`, "ingrid@example.org"),
		chromedp.SendKeys(`input[name=name]`, "Ingrid Svensson"),
		chromedp.Click(`input[name=display][value=name]`),
		chromedp.Click(`input[name=show_amount]`),
		chromedp.SendKeys(`textarea[name=message]`, "Styrka från Kiruna! <b>not bold</b>"),
		chromedp.Submit(`form[action="/donate/zhanaozen"]`),
		// 2. Off to the checkout created on stripe-mock, which sends the donor back.
		chromedp.WaitNotPresent(`form[action="/donate/zhanaozen"]`),
		chromedp.WaitVisible(`h1`),
	)
	if thanks := text(`main`); !strings.Contains(thanks, "Thank you") {
		t.Fatalf("after checkout the donor sees: %q", thanks)
	}
	var pledgeID, session string
	if err := db.Pool.QueryRow(ctx, `select id::text, checkout_session_id from pledges`).Scan(&pledgeID, &session); err != nil {
		t.Fatalf("the form made no pledge: %v", err)
	}

	// 3. Stripe's signed webhook says the checkout is paid.
	api.mustDeliver(stripetest.SessionEvent("evt_browser", ledger.EventSessionCompleted, stripetest.SessionSpec{ID: session,
		PaymentIntent: "pi_browser", PaymentStatus: "paid", AmountTotal: 4250, Currency: "eur", CustomerEmail: "ingrid@example.org",
		Metadata: map[string]string{"pledge_id": pledgeID, "fund": "zhanaozen"}}))
	api.sound("42.50", "0.90", "0", "EUR")

	// 4. The receipt arrives by mail, with the donor's private link.
	smtp := mailtest.Start(t)
	mc, err := mail.ParseURL(smtp.URL())
	if err != nil {
		t.Fatal(err)
	}
	sender := mail.NewSender(mc, nil)
	if n, err := ledger.SendReceipts(ctx, acks, func(ctx context.Context, r *ledger.Receipt) error {
		return sender.Send(ctx, mail.Receipt(r, base))
	}, mail.Temporary, time.Now); err != nil || n != 1 {
		t.Fatalf("receipts sent: %d %v", n, err)
	}
	receipt := smtp.Wait(t, 1, 10*time.Second)[0]
	link := regexp.MustCompile(`http://\S+/my-donation/ack_\S+`).FindString(receipt.Text)
	if receipt.To[0] != "ingrid@example.org" || !strings.Contains(receipt.Text, "€42.50") || link == "" {
		t.Fatalf("receipt to %v:\n%s", receipt.To, receipt.Text)
	}

	// Before a committee member approves, the list thanks an anonymous donor.
	do(chromedp.Navigate(base + "/acknowledgements"))
	if before := text(`table.acks`); strings.Contains(before, "Ingrid") || strings.Contains(before, "Kiruna") || !strings.Contains(before, "Anonymous") {
		t.Fatalf("before approval the list shows: %q", before)
	}

	// 5. A committee member approves the acknowledgement.
	treasurer, _, err := tokens.CreateToken(ctx, "committee", ledger.RoleTreasurer)
	if err != nil {
		t.Fatal(err)
	}
	var donationID string
	db.Pool.QueryRow(ctx, `select id::text from donations where pledge_id = $1`, pledgeID).Scan(&donationID)
	req, _ := http.NewRequest("POST", base+"/api/v1/moderation", strings.NewReader(`{"donation_ids":["`+donationID+`"],"status":"approved"}`))
	req.Header.Set("Authorization", "Bearer "+treasurer)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("approve: %v %v", res, err)
	}
	res.Body.Close()

	// 6. The list shows the entry exactly as consented, the message as text.
	do(chromedp.Navigate(base + "/acknowledgements"))
	row := text(`table.acks tbody tr`)
	html, err := chromedp.Run(browser, chromedp.OuterHTML(`table.acks tbody tr`))
	if err != nil {
		t.Fatal(err)
	}
	shoot("acknowledgements-phone.png", 390, 844)
	shoot("acknowledgements-desktop.png", 1280, 900)
	for _, want := range []string{"Ingrid Svensson", "€42.50", "card", "Styrka från Kiruna! <b>not bold</b>"} {
		if !strings.Contains(row, want) {
			t.Errorf("the acknowledgement lacks %q: %q", want, row)
		}
	}
	if strings.Contains(html, "<b>not bold</b>") || strings.Contains(row, "ingrid@example.org") {
		t.Fatalf("the entry carries markup or the email: %s", html)
	}

	// 7. Switch to Russian: the page and the amount in Russian.
	do(chromedp.Click(`a[lang=ru]`), chromedp.WaitVisible(`html[lang=ru]`))
	lang, err := chromedp.Run(browser, chromedp.AttributeValue(`html`, "lang"))
	if err != nil {
		t.Fatal(err)
	}
	ru := text(`main`)
	shoot("acknowledgements-ru-phone.png", 390, 844)
	if lang.Value != "ru" || !strings.Contains(ru, "42,50\u00a0€") || !strings.Contains(ru, "пожертвовани") {
		t.Fatalf("Russian page (lang %q): %q", lang.Value, ru)
	}

	// 8. The donor follows the private link and chooses an alias instead.
	do(
		chromedp.Navigate(link+"?lang=en"),
		chromedp.Click(`input[name=display][value=alias]`),
		chromedp.SendKeys(`input[name=alias]`, "A friend in Kiruna"),
		chromedp.Submit(`form`),
		chromedp.WaitVisible(`p.card`),
	)
	if saved := text(`p.card`); saved == "" {
		t.Fatal("no confirmation after the donor saved the change")
	}
	var display, status string
	db.Pool.QueryRow(ctx, `select ack_display, ack_status from donations where id = $1`, donationID).Scan(&display, &status)
	if display != "alias" || status != "pending" {
		t.Fatalf("after the donor's change: display %s, status %s (a new alias waits for moderation)", display, status)
	}
	t.Logf("screenshots in %s", shots)
}
