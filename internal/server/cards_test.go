package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/embeddedpg"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/internal/stripe"
	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

const webhookSecret = "whsec_fundledger_test"

// cardAPI is the whole card path: the HTTP server on a fresh database, the
// real Stripe adapter talking to stripe-mock, webhooks signed as Stripe does.
type cardAPI struct {
	t   *testing.T
	url string
	db  *postgres.DB
}

// settled is a card payment of 100.00 EUR that Stripe settled in EUR with a
// 1.65 EUR fee, as stripe-mock's patched fixtures report it.
var settled = stripetest.Settlement{ChargeID: "ch_3Ok1", ChargeAmount: 10000, ChargeCurrency: "eur",
	BalanceTransactionID: "txn_3Ok1", Amount: 10000, Fee: 165, Currency: "eur"}

func newCardAPI(t *testing.T, dbURL string, s stripetest.Settlement, patch func(map[string]any)) *cardAPI {
	t.Helper()
	base := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.SettleIn(r, s)
		if patch != nil {
			patch(r)
		}
	})
	if dbURL == "" {
		dbURL = pgtest.NewURL(t)
	}
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	funds := postgres.NewFundService(db)
	var exists bool
	db.Pool.QueryRow(context.Background(), `select exists(select 1 from funds)`).Scan(&exists)
	if !exists {
		if err := funds.CreateFund(context.Background(), &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen oil workers' families", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	gw, err := stripe.New(stripe.Config{SecretKey: "sk_test_fundledger", WebhookSecret: webhookSecret, APIBase: base})
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db),
		Donations: postgres.NewDonationService(db), Balances: postgres.NewBalanceService(db),
		Tokens: postgres.NewTokenService(db), Cards: postgres.NewCardService(db, ""), Acks: postgres.NewAcknowledgementService(db), Rates: funds,
		Stripe: gw, StripeWebhooks: gw, PublicURL: "https://fund.example.org",
		Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &cardAPI{t: t, url: hs.URL, db: db}
}

func mustCur(t testing.TB, code string) ledger.Currency {
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deliver posts a signed event as Stripe would and returns the status.
func (a *cardAPI) deliver(payload []byte) int {
	return a.deliverSigned(payload, stripetest.Sign(payload, webhookSecret, time.Now()))
}

func (a *cardAPI) deliverSigned(payload []byte, signature string) int {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.url+"/webhooks/stripe", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (a *cardAPI) mustDeliver(payload []byte) {
	a.t.Helper()
	if code := a.deliver(payload); code != 200 {
		a.t.Fatalf("delivery answered %d, want 200: %.200s", code, payload)
	}
}

// pledge starts a card donation through the API and returns its id.
func (a *cardAPI) pledge() string {
	a.t.Helper()
	body := `{"fund":"zhanaozen","amount":"100.00","currency":"EUR","donor":{"email":"ingrid@example.org","name":"Ingrid Svensson"},
		"acknowledgement":{"display":"name","show_amount":true},"message":"Solidarity from Kiruna"}`
	res, err := http.Post(a.url+"/api/v1/checkout", "application/json", strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		a.t.Fatalf("checkout: %d %s", res.StatusCode, raw)
	}
	var out struct {
		PledgeID string `json:"pledge_id"`
	}
	mustJSON(a.t, raw, &out)
	return out.PledgeID
}

// sound checks the trial balance is zero, verify passes, and the card
// payment's net (what the Stripe balance holds for it) equals gross minus
// fees minus refunds. It returns the non-zero balances.
func (a *cardAPI) sound(gross, fees, refunds string, cur string) map[string]string {
	a.t.Helper()
	ctx := context.Background()
	tb, err := postgres.NewBalanceService(a.db).TrialBalance(ctx, ledger.BalanceFilter{})
	if err != nil {
		a.t.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	out := map[string]string{}
	for _, l := range tb {
		sums[l.Currency.Code] = sums[l.Currency.Code].Add(l.Amount)
		out[l.Account+" "+l.Currency.Code] = l.Amount.StringFixed(l.Currency.Exponent)
	}
	for c, s := range sums {
		if !s.IsZero() {
			a.t.Fatalf("trial balance in %s sums to %s", c, s)
		}
	}
	r, err := postgres.NewVerifier(a.db).Verify(ctx)
	if err != nil || !r.OK() {
		a.t.Fatalf("verify: %v %v", err, r)
	}
	net := decimal.RequireFromString(gross).Sub(decimal.RequireFromString(fees)).Sub(decimal.RequireFromString(refunds))
	held := out["assets:stripe "+cur]
	if held == "" {
		held = "0"
	}
	if !decimal.RequireFromString(held).Equal(net) {
		a.t.Fatalf("Stripe balance holds %s %s; gross %s - fees %s - refunds %s = %s", held, cur, gross, fees, refunds, net)
	}
	paid := out["expenses:fees:stripe "+cur]
	if paid == "" {
		paid = "0"
	}
	if !decimal.RequireFromString(paid).Equal(decimal.RequireFromString(fees)) {
		a.t.Fatalf("Stripe fees booked: %s %s, want %s", paid, cur, fees)
	}
	for line := range out {
		account := strings.Fields(line)[0]
		switch account {
		case "income:donations:card", "assets:stripe", "expenses:fees:stripe", "equity:conversion", "assets:bank_in_transit":
		default:
			a.t.Fatalf("card money reached %s: %v", line, out)
		}
	}
	return out
}

func (a *cardAPI) count(sql string) int {
	var n int
	if err := a.db.Pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func completed(id, pledgeID string, typ string) []byte {
	return stripetest.SessionEvent(id, typ, stripetest.SessionSpec{ID: "cs_test_1", PaymentIntent: "pi_3Ok1", PaymentStatus: "paid",
		AmountTotal: 10000, Currency: "eur", CustomerEmail: "ingrid@example.org",
		Metadata: map[string]string{"pledge_id": pledgeID, "fund": "zhanaozen"}})
}

func refundedTo(id string, total int64, at time.Time) []byte {
	return stripetest.ChargeRefundedEvent(id, stripetest.ChargeSpec{ID: "ch_3Ok1", PaymentIntent: "pi_3Ok1", Amount: 10000,
		AmountRefunded: total, Currency: "eur", BalanceTransaction: "txn_3Ok1", At: at, Created: at.Add(-time.Hour)})
}

func TestCheckout(t *testing.T) {
	a := newCardAPI(t, "", settled, nil)
	id := a.pledge()
	var status, session, checkoutURL string
	a.db.Pool.QueryRow(context.Background(), `select status, checkout_session_id, checkout_url from pledges where id = $1`, id).Scan(&status, &session, &checkoutURL)
	if status != "pending" || !strings.HasPrefix(session, "cs_") || checkoutURL == "" {
		t.Fatalf("pledge: %s %s %s", status, session, checkoutURL)
	}

	// The same Idempotency-Key returns the same pledge.
	post := func(key, body string) (int, string) {
		req, _ := http.NewRequest("POST", a.url+"/api/v1/checkout", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(raw)
	}
	body := `{"fund":"zhanaozen","amount":"12.50","currency":"EUR","donor":{"email":"a@example.org"}}`
	c1, b1 := post("pledge-1", body)
	c2, b2 := post("pledge-1", body)
	if c1 != 201 || c2 != 201 || b1 != b2 {
		t.Fatalf("replayed checkout: %d %s / %d %s", c1, b1, c2, b2)
	}
	if c, b := post("pledge-1", strings.Replace(body, "12.50", "13.00", 1)); c != 409 {
		t.Fatalf("reused key: %d %s", c, b)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"fund":"zhanaozen","amount":"12.505","currency":"EUR","donor":{"email":"a@example.org"}}`, "EUR allows at most 2"},
		{`{"fund":"zhanaozen","amount":"12","currency":"EUR","donor":{}}`, "donor.email is required"},
		{`{"fund":"nowhere","amount":"12","currency":"EUR","donor":{"email":"a@example.org"}}`, `fund \"nowhere\" does not exist`},
		{`{"fund":"zhanaozen","amount":"0","currency":"EUR","donor":{"email":"a@example.org"}}`, "greater than zero"},
	} {
		if c, b := post("", tc.body); c != 400 || !strings.Contains(b, tc.want) {
			t.Errorf("checkout %s: %d %s, want 400 mentioning %s", tc.body, c, b, tc.want)
		}
	}

	// The form sends the donor to Stripe Checkout.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(a.url+"/donate/zhanaozen", url.Values{"preset": {"25"}, "amount_other": {"12,50"}, "currency": {"EUR"}, "email": {"b@example.org"}, "display": {"anonymous"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 || res.Header.Get("Location") == "" {
		t.Fatalf("donation form: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	page, err := http.Get(a.url + "/donate/zhanaozen")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(raw), "Zhanaozen oil workers&#39; families") || !strings.Contains(string(raw), `method="post" action="/donate/zhanaozen"`) {
		t.Fatalf("donation page: %d %.300s", page.StatusCode, raw)
	}

	// A burst of checkouts from one address is cut off.
	limited := 0
	for i := 0; i < 15; i++ {
		if c, _ := post("", body); c == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("15 quick checkouts from one address were all accepted")
	}
}

func TestCheckoutWithoutStripe(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	code, body, _ := a.do("POST", "/api/v1/checkout", "", "", `{"fund":"zhanaozen","amount":"5","currency":"EUR","donor":{"email":"a@example.org"}}`)
	if c, msg := errorOf(body); code != 503 || c != "unavailable" || !strings.Contains(msg, "STRIPE_SECRET_KEY") {
		t.Fatalf("checkout without Stripe: %d %v", code, body)
	}
	if code := func() int {
		res, _ := http.Post(a.url+"/webhooks/stripe", "application/json", strings.NewReader(`{}`))
		res.Body.Close()
		return res.StatusCode
	}(); code != 503 {
		t.Fatalf("webhook without Stripe: %d", code)
	}
}

func TestWebhookBooksOnceWhateverTheDelivery(t *testing.T) {
	a := newCardAPI(t, "", settled, nil)
	id := a.pledge()
	ev := completed("evt_1", id, ledger.EventSessionCompleted)
	for i := 0; i < 3; i++ {
		a.mustDeliver(ev)
	}
	// 50 concurrent deliveries of another event about the same payment.
	async := completed("evt_2", id, ledger.EventSessionAsyncSuccess)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func(i int) { defer wg.Done(); codes[i] = a.deliver(async) }(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("concurrent delivery %d: %d", i, c)
		}
	}
	if n := a.count(`select count(*) from donations where channel = 'card'`); n != 1 {
		t.Fatalf("%d card donations, want 1", n)
	}
	if n := a.count(`select count(*) from stripe_events`); n != 2 {
		t.Fatalf("%d stored events, want 2", n)
	}
	var donor, status string
	a.db.Pool.QueryRow(context.Background(), `select d.donor_name, p.status from donations d join pledges p on p.id = d.pledge_id`).Scan(&donor, &status)
	if donor != "Ingrid Svensson" || status != "paid" {
		t.Fatalf("donation of the pledge: %q, pledge %q", donor, status)
	}
	a.sound("100.00", "1.65", "0", "EUR")
}

func TestWebhookRefusesBadDeliveries(t *testing.T) {
	a := newCardAPI(t, "", settled, nil)
	ev := completed("evt_1", a.pledge(), ledger.EventSessionCompleted)
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
	}{
		{"no signature", ev, ""},
		{"wrong secret", ev, stripetest.Sign(ev, "whsec_wrong", time.Now())},
		{"tampered body", []byte(strings.Replace(string(ev), "10000", "99999", 1)), stripetest.Sign(ev, webhookSecret, time.Now())},
		{"stale timestamp", ev, stripetest.Sign(ev, webhookSecret, time.Now().Add(-10*time.Minute))},
		{"other API version", stripetest.SetAPIVersion(ev, "2024-06-20"), stripetest.Sign(stripetest.SetAPIVersion(ev, "2024-06-20"), webhookSecret, time.Now())},
	} {
		if code := a.deliverSigned(tc.body, tc.sig); code != 400 {
			t.Errorf("%s: %d, want 400", tc.name, code)
		}
	}
	if n := a.count(`select count(*) from stripe_events`); n != 0 {
		t.Fatalf("refused deliveries stored %d events", n)
	}
	// An event type the books do not act on is accepted and booked as nothing.
	a.mustDeliver(stripetest.Event("evt_x", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}))
	a.sound("0", "0", "0", "EUR")
}

// The whole life of a donation, delivered in order and in reverse order,
// leaves the same books.
func TestWebhookSequenceInAnyOrder(t *testing.T) {
	t0 := time.Now().Add(-time.Hour)
	run := func(t *testing.T, reverse bool) map[string]string {
		a := newCardAPI(t, "", settled, nil)
		id := a.pledge()
		events := [][]byte{
			completed("evt_1", id, ledger.EventSessionCompleted),
			refundedTo("evt_2", 3000, t0.Add(time.Minute)),
			refundedTo("evt_3", 10000, t0.Add(2*time.Minute)),
		}
		if reverse {
			events[0], events[2] = events[2], events[0]
		}
		for _, ev := range events {
			a.mustDeliver(ev)
		}
		if n := a.count(`select count(*) from stripe_events where status = 'deferred'`); n != 0 {
			t.Fatalf("%d events still deferred", n)
		}
		return a.sound("100.00", "1.65", "100.00", "EUR")
	}
	forward := run(t, false)
	backward := run(t, true)
	if fmt.Sprint(forward) != fmt.Sprint(backward) {
		t.Fatalf("in order: %v\nreversed: %v", forward, backward)
	}
}

func TestWebhookPartialThenFullRefund(t *testing.T) {
	a := newCardAPI(t, "", settled, nil)
	a.mustDeliver(completed("evt_1", a.pledge(), ledger.EventSessionCompleted))
	a.mustDeliver(refundedTo("evt_2", 2500, time.Now()))
	got := a.sound("100.00", "1.65", "25.00", "EUR")
	if got["income:donations:card EUR"] != "-75.00" {
		t.Fatalf("after a partial refund: %v", got)
	}
	a.mustDeliver(refundedTo("evt_3", 10000, time.Now()))
	a.sound("100.00", "1.65", "100.00", "EUR")
	if n := a.count(`select count(*) from transactions where metadata ? 'refunded_total'`); n != 2 {
		t.Fatalf("%d refund transactions, want 2", n)
	}
	// Each refund points to the donation.
	if n := a.count(`select count(*) from transactions t join donations d on d.id::text = t.metadata->>'donation_id' where t.metadata ? 'refunded_total'`); n != 2 {
		t.Fatalf("%d refunds point to their donation, want 2", n)
	}
}

func TestWebhookDisputes(t *testing.T) {
	dispute := func(id, typ, status string, bts ...stripetest.BalanceTransactionSpec) []byte {
		return stripetest.DisputeEvent(id, typ, stripetest.DisputeSpec{ID: "dp_1", Charge: "ch_3Ok1", PaymentIntent: "pi_3Ok1",
			Status: status, Amount: 10000, Currency: "eur", BalanceTransactions: bts})
	}
	withdrawal := stripetest.BalanceTransactionSpec{ID: "txn_dw", Amount: -10000, Fee: 1500, Currency: "eur", ReportingCategory: "dispute", Source: "dp_1"}
	reinstated := stripetest.BalanceTransactionSpec{ID: "txn_dr", Amount: 10000, Fee: -1500, Currency: "eur", ReportingCategory: "dispute_reversal", Source: "dp_1"}
	t.Run("lost", func(t *testing.T) {
		a := newCardAPI(t, "", settled, nil)
		a.mustDeliver(completed("evt_1", a.pledge(), ledger.EventSessionCompleted))
		a.mustDeliver(dispute("evt_2", ledger.EventDisputeCreated, "needs_response"))
		a.mustDeliver(dispute("evt_3", ledger.EventDisputeFundsWithdraw, "needs_response", withdrawal))
		a.mustDeliver(dispute("evt_4", ledger.EventDisputeClosed, "lost", withdrawal))
		// The dispute takes the amount back and costs a 15.00 fee.
		a.sound("100.00", "16.65", "100.00", "EUR")
	})
	t.Run("won", func(t *testing.T) {
		a := newCardAPI(t, "", settled, nil)
		a.mustDeliver(completed("evt_1", a.pledge(), ledger.EventSessionCompleted))
		a.mustDeliver(dispute("evt_3", ledger.EventDisputeFundsWithdraw, "needs_response", withdrawal))
		a.mustDeliver(dispute("evt_5", ledger.EventDisputeReinstated, "won", withdrawal, reinstated))
		a.mustDeliver(dispute("evt_6", ledger.EventDisputeClosed, "won", withdrawal, reinstated))
		a.sound("100.00", "1.65", "0", "EUR")
	})
}

func TestWebhookSettledInAnotherCurrency(t *testing.T) {
	gbp := stripetest.Settlement{ChargeID: "ch_3Ok1", ChargeAmount: 10000, ChargeCurrency: "eur",
		BalanceTransactionID: "txn_3Ok1", Amount: 8612, Fee: 150, Currency: "gbp"}
	a := newCardAPI(t, "", gbp, nil)
	a.mustDeliver(completed("evt_1", a.pledge(), ledger.EventSessionCompleted))
	got := a.sound("86.12", "1.50", "0", "GBP")
	if got["income:donations:card EUR"] != "-100.00" || got["equity:conversion EUR"] != "100.00" || got["equity:conversion GBP"] != "-86.12" {
		t.Fatalf("EUR donation settled in GBP: %v", got)
	}
}

func TestWebhookEveryEventType(t *testing.T) {
	a := newCardAPI(t, "", settled, nil)
	id := a.pledge()
	other := a.pledge()
	session := func(evid, typ, pledge, status string) []byte {
		return stripetest.SessionEvent(evid, typ, stripetest.SessionSpec{ID: "cs_" + evid, PaymentStatus: status,
			AmountTotal: 10000, Currency: "eur", Metadata: map[string]string{"pledge_id": pledge}})
	}
	a.mustDeliver(session("evt_exp", ledger.EventSessionExpired, other, "unpaid"))
	a.mustDeliver(session("evt_fail", ledger.EventSessionAsyncFailed, id, "unpaid"))
	var st string
	a.db.Pool.QueryRow(context.Background(), `select status from pledges where id = $1`, other).Scan(&st)
	if st != "expired" {
		t.Fatalf("expired pledge is %s", st)
	}
	third := a.pledge()
	a.mustDeliver(completed("evt_ok", third, ledger.EventSessionAsyncSuccess))
	a.mustDeliver(stripetest.RefundUpdatedEvent("evt_ru", stripetest.RefundSpec{ID: "re_1", Charge: "ch_3Ok1", PaymentIntent: "pi_3Ok1",
		Status: "succeeded", Amount: 1000, Currency: "eur"}))
	a.mustDeliver(stripetest.PayoutEvent("evt_po", ledger.EventPayoutPaid, stripetest.PayoutSpec{ID: "po_1", Status: "paid", Amount: 9835, Currency: "eur"}))
	got := a.sound("100.00", "1.65", "98.35", "EUR") // the payout emptied the Stripe balance
	if got["assets:bank_in_transit EUR"] != "98.35" {
		t.Fatalf("after payout: %v", got)
	}
	a.mustDeliver(stripetest.PayoutEvent("evt_pf", ledger.EventPayoutFailed, stripetest.PayoutSpec{ID: "po_1", Status: "failed", Amount: 9835, Currency: "eur", FailureCode: "account_closed"}))
	a.sound("100.00", "1.65", "0", "EUR")
	if n := a.count(`select count(*) from stripe_events where status = 'applied'`); n != 6 {
		t.Fatalf("%d events applied, want 6", n)
	}
}

func mustJSON(t testing.TB, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// With the database stopped, a delivery gets a 503 so that Stripe retries
// it; redelivered once the database is back, it is booked once.
func TestWebhookWhileDatabaseDown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cluster, err := embeddedpg.Start(ctx, embeddedpg.Options{DataDir: dir + "/pg"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop(context.Background()) })
	db, err := postgres.Open(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	a := newCardAPI(t, cluster.URL("postgres"), settled, nil)
	ev := completed("evt_1", a.pledge(), ledger.EventSessionCompleted)

	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if code := a.deliver(ev); code != 503 {
		t.Fatalf("delivery with the database stopped: %d, want 503 so Stripe retries", code)
	}
	cluster, err = embeddedpg.Start(ctx, embeddedpg.Options{DataDir: dir + "/pg", Port: cluster.Port()})
	if err != nil {
		t.Fatal(err)
	}
	a.mustDeliver(ev)
	a.mustDeliver(ev) // Stripe's own retry of the 503, arriving late
	if n := a.count(`select count(*) from donations`); n != 1 {
		t.Fatalf("%d donations after redelivery, want 1", n)
	}
	a.sound("100.00", "1.65", "0", "EUR")
}
