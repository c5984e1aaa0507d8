package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/mail/mailtest"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// syncBuffer is an io.Writer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServe runs "fundledger serve" on port 0 and returns its base URL.
func startServe(t *testing.T, getenv func(string) string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, getenv, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v\nstderr:\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not shut down within 30s")
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start listening\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return ""
}

// runCmd runs a one-shot subcommand and returns its standard output.
func runCmd(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	return stdout.String(), err
}

func getJSON(t *testing.T, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode
}

func TestEndToEnd(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	getenv := env(map[string]string{"DATABASE_URL": dbURL, "FUNDLEDGER_DEMO": "true", "FUNDLEDGER_LOG_FORMAT": "json"})
	base := startServe(t, getenv)

	var ready map[string]string
	if code := getJSON(t, base+"/readyz", "", &ready); code != 200 {
		t.Fatalf("readyz %d %v", code, ready)
	}
	var funds struct {
		Funds []struct {
			Slug   string            `json:"slug"`
			Raised map[string]string `json:"raised"`
		} `json:"funds"`
	}
	if code := getJSON(t, base+"/api/v1/funds", "", &funds); code != 200 || len(funds.Funds) == 0 || len(funds.Funds[0].Raised) == 0 {
		t.Fatalf("demo funds: %d %+v", code, funds)
	}

	out, err := runCmd(t, getenv, "token", "create", "--name", "e2e treasurer", "--role", "treasurer")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, "flt_") || strings.Contains(token, " ") {
		t.Fatalf("token create printed %q; the last line must be the token alone", out)
	}

	body := `{"fund":"` + funds.Funds[0].Slug + `","amount":"200.00","currency":"EUR","channel":"cash","received_on":"2011-09-03",
		"donor":{"organisation":"Street collection, Hamburg"},"acknowledgement":{"display":"name","show_amount":true}}`
	req, _ := http.NewRequest("POST", base+"/api/v1/donations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", "e2e-hamburg")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("record donation: %d %s", res.StatusCode, raw)
	}
	var tb struct {
		Totals map[string]string `json:"totals"`
	}
	if code := getJSON(t, base+"/api/v1/trial-balance", token, &tb); code != 200 || len(tb.Totals) == 0 {
		t.Fatalf("trial balance %d %+v", code, tb)
	}
	for cur, total := range tb.Totals {
		if strings.Trim(total, "0.") != "" {
			t.Errorf("trial balance in %s sums to %s", cur, total)
		}
	}

	out, err = runCmd(t, getenv, "verify")
	if err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	out, err = runCmd(t, getenv, "export", "--format", "hledger")
	if err != nil || !strings.Contains(out, "200.00 EUR") {
		t.Fatalf("export: %v\n%.500s", err, out)
	}
	file := filepath.Join(t.TempDir(), "books.beancount")
	if _, err := runCmd(t, getenv, "export", "--format", "beancount", "--output", file); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.Contains(b, []byte("200.00 EUR")) {
		t.Fatalf("beancount export file: %v %.300s", err, b)
	}
	out, err = runCmd(t, getenv, "migrate")
	if err != nil || !strings.Contains(out, "version") {
		t.Fatalf("migrate: %v %s", err, out)
	}

	// Tampering behind the ledger's back makes verify fail and say why.
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `alter table postings disable trigger user;
		update postings set amount = amount * 2 where transaction_id = (select id from transactions order by seq desc limit 1);
		alter table postings enable trigger user`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, getenv, "verify")
	if err == nil || !strings.Contains(out, "does not match its hash") {
		t.Fatalf("verify after tampering: %v\n%s", err, out)
	}
}

func TestCommandErrors(t *testing.T) {
	getenv := env(map[string]string{"DATABASE_URL": pgtest.NewURL(t)})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"token", "create", "--name", "x", "--role", "admin"}, `role "admin" is not one of treasurer, observer`},
		{[]string{"token", "create", "--role", "observer"}, "--name is required"},
		{[]string{"token"}, "usage: fundledger token create"},
		{[]string{"export", "--format", "xlsx"}, "xlsx"},
		{[]string{"export", "--format", "hledger", "--fund", "nowhere"}, "nowhere"},
		{[]string{"verify", "extra"}, "unexpected argument"},
	} {
		_, err := runCmd(t, getenv, tc.args...)
		if err == nil || !strings.Contains(errorText(err), tc.want) {
			t.Errorf("%v: got %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	bad := env(map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?connect_timeout=2"})
	if _, err := runCmd(t, bad, "verify"); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("unreachable database: %v", err)
	}
}

// With DATABASE_URL unset, fundledger runs its own PostgreSQL cluster in the
// data directory and loads the demo: what "go run ./cmd/fundledger" does.
func TestServeWithPrivateCluster(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	getenv := env(map[string]string{"FUNDLEDGER_DATA_DIR": dir})
	base := startServe(t, getenv)
	var funds struct {
		Funds []struct {
			Slug string `json:"slug"`
		} `json:"funds"`
	}
	if code := getJSON(t, base+"/api/v1/funds", "", &funds); code != 200 || len(funds.Funds) == 0 {
		t.Fatalf("funds on the private cluster: %d %+v", code, funds)
	}
	// A second command attaches to the running cluster instead of stopping it.
	out, err := runCmd(t, getenv, "verify")
	if err != nil || !strings.Contains(out, "OK:") {
		t.Fatalf("verify on the private cluster: %v %s", err, out)
	}
	if code := getJSON(t, base+"/readyz", "", &map[string]string{}); code != 200 {
		t.Fatalf("server not ready after verify attached: %d", code)
	}
}

// stripe sync lists events through Stripe's API and books those the
// webhook missed, through the same path; a second sync books nothing.
func TestStripeSync(t *testing.T) {
	missed := stripetest.SessionEvent("evt_missed", ledger.EventSessionCompleted, stripetest.SessionSpec{
		ID: "cs_link_1", PaymentIntent: "pi_link_1", PaymentStatus: "paid", AmountTotal: 5000, Currency: "eur",
		Metadata: map[string]string{"fund": "karaganda"}, // made with a Payment Link: no pledge
	})
	base := stripetest.StartMock(t, func(r map[string]any) {
		stripetest.SettleIn(r, stripetest.Settlement{ChargeID: "ch_link_1", ChargeAmount: 5000, ChargeCurrency: "eur",
			BalanceTransactionID: "txn_link_1", Amount: 5000, Fee: 90, Currency: "eur"})
		stripetest.EventIn(r, missed)
	})
	dbURL := pgtest.NewURL(t)
	getenv := env(map[string]string{"DATABASE_URL": dbURL, "STRIPE_SECRET_KEY": "sk_test_sync", "STRIPE_API_BASE": base})
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	funds := postgres.NewFundService(db)
	for _, slug := range []string{"zhanaozen", "karaganda"} {
		if err := funds.CreateFund(context.Background(), &ledger.Fund{Slug: slug, Name: slug, Currency: mustCurrency(t, "EUR")}, "", ""); err != nil {
			t.Fatal(err)
		}
	}

	out, err := runCmd(t, getenv, "stripe", "sync", "--since", "720h")
	if err != nil || !strings.Contains(out, "1 applied") {
		t.Fatalf("first sync: %v\n%s", err, out)
	}
	out, err = runCmd(t, getenv, "stripe", "sync", "--since", "720h")
	if err != nil || !strings.Contains(out, "1 duplicate") {
		t.Fatalf("second sync: %v\n%s", err, out)
	}
	var fund, display string
	if err := db.Pool.QueryRow(context.Background(), `select f.slug, d.ack_display from donations d join funds f on f.id = d.fund_id`).Scan(&fund, &display); err != nil {
		t.Fatal(err)
	}
	if fund != "karaganda" || display != "anonymous" {
		t.Fatalf("the Payment Link donation went to %s, shown %s; want karaganda, anonymous", fund, display)
	}
	if out, err := runCmd(t, getenv, "verify"); err != nil {
		t.Fatalf("verify after sync: %v\n%s", err, out)
	}
	if _, err := runCmd(t, env(map[string]string{"DATABASE_URL": dbURL}), "stripe", "sync"); err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY") {
		t.Fatalf("sync without a key: %v", err)
	}
}

func mustCurrency(t testing.TB, code string) ledger.Currency {
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A donation with an email gets a receipt by mail, in the donor's language,
// with the private link to change how they are acknowledged.
func TestReceiptsAreMailed(t *testing.T) {
	smtp := mailtest.Start(t)
	receiptInterval = 200 * time.Millisecond
	dbURL := pgtest.NewURL(t)
	getenv := env(map[string]string{"DATABASE_URL": dbURL, "FUNDLEDGER_DEMO": "true", "FUNDLEDGER_SMTP_URL": smtp.URL(),
		"FUNDLEDGER_PUBLIC_URL": "https://fund.example.org"})
	base := startServe(t, getenv)
	out, err := runCmd(t, getenv, "token", "create", "--name", "t", "--role", "treasurer")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	before := len(smtp.Messages()) // the demo's donors with an email get theirs too
	body := `{"fund":"zhanaozen","amount":"1500.00","currency":"EUR","channel":"organisation","received_on":"2011-12-20",
		"donor":{"organisation":"Tyneside miners' support group","email":"tyneside@example.org"},"acknowledgement":{"display":"organisation"}}`
	req, _ := http.NewRequest("POST", base+"/api/v1/donations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("record: %d", res.StatusCode)
	}
	// The demo's donors get their receipts too, in any order: wait for ours.
	_ = before
	var got *mailtest.Received
	for deadline := time.Now().Add(15 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, m := range smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == "tyneside@example.org" {
				got = &m
			}
		}
	}
	if got == nil || !strings.Contains(got.Text, "€1,500.00") || !strings.Contains(got.Text, "https://fund.example.org/my-donation/ack_") ||
		!strings.Contains(got.Text, "Tyneside miners' support group") {
		t.Fatalf("receipt: %+v", got)
	}
}

func TestImportStatementCommand(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	getenv := env(map[string]string{"DATABASE_URL": dbURL})
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewFundService(db).CreateFund(context.Background(), &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen", Currency: mustCurrency(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	file := "../../internal/statement/testdata/camt053_001_02_two_days.xml"
	out, err := runCmd(t, getenv, "import-statement", "--account", "assets:bank:eur", file)
	if err != nil || !strings.Contains(out, "new line(s)") || strings.Contains(out, " 0 new line(s)") {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	out, err = runCmd(t, getenv, "import-statement", file, "--account", "assets:bank:eur")
	if err != nil || strings.Contains(out, "statement") && !strings.Contains(out, ": 0 new line(s)") {
		t.Fatalf("second import added lines: %v\n%s", err, out)
	}
	if _, err := runCmd(t, getenv, "import-statement", "--account", "assets:bank:eur", "../../internal/statement/testdata/camt053_001_04_not_adding_up.xml"); err == nil ||
		!strings.Contains(errorText(err), "closing balance") {
		t.Fatalf("a statement that does not add up: %v", err)
	}
	if _, err := runCmd(t, getenv, "import-statement", file); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no account: %v", err)
	}
}
