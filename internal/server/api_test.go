package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// api is a test server on a fresh database, with a treasurer and an observer token.
type api struct {
	t         *testing.T
	url       string
	treasurer string
	observer  string
	db        *postgres.DB
}

func newAPI(t *testing.T) *api {
	t.Helper()
	db := pgtest.NewDB(t)
	funds := postgres.NewFundService(db)
	tokens := postgres.NewTokenService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db),
		Donations: postgres.NewDonationService(db), Balances: postgres.NewBalanceService(db),
		Tokens: tokens, Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Acks: postgres.NewAcknowledgementService(db), Rates: funds, PublicURL: "https://fund.example.org",
		Reconciliation: postgres.NewReconciliationService(db),
		Batches:        postgres.NewDonationService(db), Collections: postgres.NewDonationService(db),
		Cards: postgres.NewCardService(db, ""),
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	a := &api{t: t, url: hs.URL, db: db}
	var err error
	if a.treasurer, _, err = tokens.CreateToken(context.Background(), "treasurer", ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	if a.observer, _, err = tokens.CreateToken(context.Background(), "observer", ledger.RoleObserver); err != nil {
		t.Fatal(err)
	}
	return a
}

// do sends a request and decodes the JSON answer into a map.
func (a *api) do(method, path, token, key, body string) (int, map[string]any, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return res.StatusCode, out, res.Header
}

func (a *api) mustFund(slug, currency string) {
	a.t.Helper()
	code, body, _ := a.do("POST", "/api/v1/funds", a.treasurer, "", fmt.Sprintf(`{"slug":%q,"name":"Fund %s","currency":%q,"target":"50000.00","restricted":true}`, slug, slug, currency))
	if code != 201 {
		a.t.Fatalf("create fund: %d %v", code, body)
	}
}

func errorOf(body map[string]any) (string, string) {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg
}

const donation = `{"fund":"zhanaozen","amount":"1500.00","currency":"EUR","channel":"organisation","received_on":"2011-12-20",
	"donor":{"name":"Maria Schmidt","email":"treasurer@igm-hamburg.example.org","organisation":"IG Metall Hamburg","country":"DE"},
	"acknowledgement":{"display":"name","show_amount":true},"message":"Solidarity with the oil workers of Zhanaozen"}`

func TestAPIRecordDonationAndBalances(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	code, body, hdr := a.do("POST", "/api/v1/donations", a.treasurer, "don-1", donation)
	if code != 201 || body["transaction_id"] == "" || body["amount"] != "1500.00" || hdr.Get("Location") == "" {
		t.Fatalf("record donation: %d %v", code, body)
	}
	code, tx, _ := a.do("GET", "/api/v1/transactions/"+body["transaction_id"].(string), a.observer, "", "")
	if code != 200 {
		t.Fatalf("get transaction: %d %v", code, tx)
	}
	ps := tx["postings"].([]any)
	if p := ps[0].(map[string]any); p["account"] != "assets:bank:eur" || p["amount"] != "1500.00" || p["fund"] != "zhanaozen" {
		t.Fatalf("debit posting %v", p)
	}
	if p := ps[1].(map[string]any); p["account"] != "income:donations:organisation" || p["amount"] != "-1500.00" {
		t.Fatalf("credit posting %v", p)
	}

	code, bal, _ := a.do("GET", "/api/v1/balances?fund=zhanaozen", a.observer, "", "")
	if code != 200 || len(bal["balances"].([]any)) != 2 {
		t.Fatalf("balances: %d %v", code, bal)
	}
	code, tb, _ := a.do("GET", "/api/v1/trial-balance", a.observer, "", "")
	if code != 200 || tb["totals"].(map[string]any)["EUR"] != "0.00" {
		t.Fatalf("trial balance: %d %v", code, tb)
	}
	code, tb, _ = a.do("GET", "/api/v1/trial-balance?as_of=2011-12-19", a.observer, "", "")
	if code != 200 || len(tb["lines"].([]any)) != 0 {
		t.Fatalf("trial balance before the donation: %d %v", code, tb)
	}

	// The public fund list shows totals and nothing about the donor.
	res, err := http.Get(a.url + "/api/v1/funds")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(raw, []byte(`"raised":{"EUR":"1500.00"}`)) || !bytes.Contains(raw, []byte(`"donations":1`)) {
		t.Fatalf("public funds: %d %s", res.StatusCode, raw)
	}
	for _, secret := range []string{"Maria", "igm-hamburg", "Solidarity"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("public fund list leaks %q: %s", secret, raw)
		}
	}

	// Reverse it: balances return to zero; a second reversal is refused.
	id := body["transaction_id"].(string)
	code, rev, _ := a.do("POST", "/api/v1/transactions/"+id+"/reverse", a.treasurer, "", `{"description":"Entered twice by mistake"}`)
	if code != 201 || rev["reversal_of"] != id {
		t.Fatalf("reverse: %d %v", code, rev)
	}
	code, again, _ := a.do("POST", "/api/v1/transactions/"+id+"/reverse", a.treasurer, "", ``)
	if c, msg := errorOf(again); code != 409 || c != "conflict" || !strings.Contains(msg, "already reversed") {
		t.Fatalf("second reverse: %d %v", code, again)
	}
	_, bal, _ = a.do("GET", "/api/v1/balances", a.observer, "", "")
	if len(bal["balances"].([]any)) != 0 {
		t.Fatalf("balances after reversal: %v", bal)
	}
}

func TestAPIJournalEntry(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	entry := `{"date":"2012-01-10","description":"EUR to KZT for hardship grants","metadata":{"bank_ref":"FX-0042"},"postings":[
		{"account":"assets:bank:eur","fund":"zhanaozen","amount":"-1000.00","currency":"EUR"},
		{"account":"equity:conversion","fund":"zhanaozen","amount":"1000.00","currency":"EUR"},
		{"account":"equity:conversion","fund":"zhanaozen","amount":"-196543.21","currency":"KZT"},
		{"account":"assets:cash","fund":"zhanaozen","amount":"196543.21","currency":"KZT"}]}`
	code, body, _ := a.do("POST", "/api/v1/transactions", a.treasurer, "fx-1", entry)
	if code != 201 || body["seq"].(float64) != 1 || len(body["hash"].(string)) != 64 {
		t.Fatalf("journal entry: %d %v", code, body)
	}
	_, tb, _ := a.do("GET", "/api/v1/trial-balance", a.observer, "", "")
	if tot := tb["totals"].(map[string]any); tot["EUR"] != "0.00" || tot["KZT"] != "0.00" {
		t.Fatalf("trial balance totals %v", tot)
	}
}

func TestAPIErrors(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		code, mention                   string
	}{
		{"no token", "POST", "/api/v1/donations", "", donation, 401, "unauthorized", "Authorization: Bearer"},
		{"bad token", "GET", "/api/v1/accounts", "flt_wrong", "", 401, "unauthorized", "not valid"},
		{"observer writes", "POST", "/api/v1/donations", "observer", donation, 403, "forbidden", "treasurer"},
		{"observer creates fund", "POST", "/api/v1/funds", "observer", `{}`, 403, "forbidden", "treasurer"},
		{"too many decimals", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `"1500.00"`, `"1500.001"`, 1), 400, "invalid", "EUR allows at most 2"},
		{"amount as number", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `"1500.00"`, `1500`, 1), 400, "invalid", "amount must be a string"},
		{"unknown field", "POST", "/api/v1/donations", "treasurer", `{"fund":"zhanaozen","amont":"5"}`, 400, "invalid", `unknown field "amont"`},
		{"bad json", "POST", "/api/v1/donations", "treasurer", `{"fund":`, 400, "invalid", "not valid JSON"},
		{"unknown fund", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `"zhanaozen"`, `"nowhere"`, 1), 400, "invalid", `fund "nowhere" does not exist`},
		{"card channel", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `"organisation","received_on"`, `"card","received_on"`, 1), 400, "invalid", "channel"},
		{"bad date", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `2011-12-20`, `20/12/2011`, 1), 400, "invalid", "received_on"},
		{"bad email", "POST", "/api/v1/donations", "treasurer", strings.Replace(donation, `treasurer@igm-hamburg.example.org`, `not-an-email`, 1), 400, "invalid", "donor.email"},
		{"unbalanced entry", "POST", "/api/v1/transactions", "treasurer", `{"date":"2012-01-10","description":"x","postings":[{"account":"assets:cash","fund":"zhanaozen","amount":"10","currency":"EUR"},{"account":"income:other","fund":"zhanaozen","amount":"-9","currency":"EUR"}]}`, 400, "invalid", "do not balance"},
		{"missing transaction", "GET", "/api/v1/transactions/00000000-0000-0000-0000-000000000000", "observer", "", 404, "not_found", "not found"},
		{"malformed id", "GET", "/api/v1/transactions/abc", "observer", "", 404, "not_found", "not found"},
		{"missing fund", "GET", "/api/v1/funds/nowhere", "", "", 404, "not_found", "nowhere"},
		{"duplicate fund", "POST", "/api/v1/funds", "treasurer", `{"slug":"zhanaozen","name":"Again","currency":"EUR"}`, 409, "conflict", "already exists"},
		{"bad slug", "POST", "/api/v1/funds", "treasurer", `{"slug":"Bad Slug","name":"x","currency":"EUR"}`, 400, "invalid", "slug"},
		{"bad as_of", "GET", "/api/v1/trial-balance?as_of=yesterday", "observer", "", 400, "invalid", "as_of"},
		{"no route", "GET", "/api/v1/nothing", "", "", 404, "not_found", "no route"},
		{"trial balance of a missing fund", "GET", "/api/v1/trial-balance?fund=nowhere", "observer", "", 404, "not_found", "nowhere"},
		{"balances of a missing fund", "GET", "/api/v1/balances?fund=nowhere", "observer", "", 404, "not_found", "nowhere"},
		{"too large", "POST", "/api/v1/transactions", "treasurer", `{"description":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "too_large", "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := map[string]string{"treasurer": a.treasurer, "observer": a.observer}[tc.token]
			if token == "" {
				token = tc.token
			}
			code, body, hdr := a.do(tc.method, tc.path, token, "", tc.body)
			c, msg := errorOf(body)
			if code != tc.status || c != tc.code || !strings.Contains(msg, tc.mention) {
				t.Fatalf("got %d %q %q; want %d %q mentioning %q", code, c, msg, tc.status, tc.code, tc.mention)
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestAPIIdempotencyKey(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	code1, first, _ := a.do("POST", "/api/v1/donations", a.treasurer, "retry-me", donation)
	code2, second, _ := a.do("POST", "/api/v1/donations", a.treasurer, "retry-me", donation)
	if code1 != 201 || code2 != 201 || first["id"] != second["id"] || first["transaction_id"] != second["transaction_id"] {
		t.Fatalf("replay: %d %v / %d %v", code1, first, code2, second)
	}
	code, body, _ := a.do("POST", "/api/v1/donations", a.treasurer, "retry-me", strings.Replace(donation, "1500.00", "15.00", 1))
	if c, msg := errorOf(body); code != 409 || c != "conflict" || !strings.Contains(msg, "different request") {
		t.Fatalf("reused key: %d %v", code, body)
	}
	code, body, _ = a.do("POST", "/api/v1/donations", a.treasurer, "bad key with spaces", donation)
	if code != 400 {
		t.Fatalf("bad key: %d %v", code, body)
	}

	// Thirty concurrent duplicates create exactly one donation.
	var wg sync.WaitGroup
	ids := make([]any, 30)
	codes := make([]int, 30)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, b, _ := a.do("POST", "/api/v1/donations", a.treasurer, "concurrent", strings.Replace(donation, "1500.00", "20.00", 1))
			codes[i], ids[i] = c, b["id"]
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if codes[i] != 201 || ids[i] != ids[0] {
			t.Fatalf("concurrent duplicate %d: %d %v, want 201 %v", i, codes[i], ids[i], ids[0])
		}
	}
	var n int
	a.db.Pool.QueryRow(context.Background(), `select count(*) from donations`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d donations recorded, want 2", n)
	}
	_, f, _ := a.do("GET", "/api/v1/funds/zhanaozen", "", "", "")
	if raised := f["raised"].(map[string]any)["EUR"]; !decimal.RequireFromString(raised.(string)).Equal(decimal.RequireFromString("1520")) {
		t.Fatalf("raised %v", raised)
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	a := newAPI(t)
	for _, path := range []string{"/livez", "/readyz"} {
		if code, body, _ := a.do("GET", path, "", "", ""); code != 200 || body["status"] != "ok" {
			t.Fatalf("%s: %d %v", path, code, body)
		}
	}
	res, err := http.Get(a.url + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.HasPrefix(raw, []byte("openapi: 3.")) {
		t.Fatalf("openapi: %d %.80s", res.StatusCode, raw)
	}
	for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Request-Id"} {
		if res.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
}

func TestAPIBearerSchemeIsCaseInsensitive(t *testing.T) {
	a := newAPI(t)
	req, _ := http.NewRequest("GET", a.url+"/api/v1/accounts", nil)
	req.Header.Set("Authorization", "bearer "+a.observer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("lower-case bearer scheme: %d", res.StatusCode)
	}
}

func TestReadyzWithoutDatabase(t *testing.T) {
	a := newAPI(t)
	a.db.Close()
	code, body, _ := a.do("GET", "/readyz", "", "", "")
	if c, _ := errorOf(body); code != 503 || c != "unavailable" {
		t.Fatalf("readyz with the database closed: %d %v", code, body)
	}
}
