package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// offlineAPI serves the batch and street collection routes, registered as
// routes() registers them, on a fresh database with a fund "zhanaozen" and a
// treasurer and an observer token.
type offlineAPI struct {
	t         *testing.T
	h         http.Handler
	db        *postgres.DB
	treasurer string
	observer  string
}

func newOfflineAPI(t *testing.T) *offlineAPI {
	t.Helper()
	db := pgtest.NewDB(t)
	funds := postgres.NewFundService(db)
	tokens := postgres.NewTokenService(db)
	dons := postgres.NewDonationService(db)
	s := &Server{Funds: funds, Donations: dons, Batches: dons, Collections: dons, Tokens: tokens,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := funds.CreateFund(context.Background(), &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen", Currency: ledger.Currency{Code: "EUR", Exponent: 2}}, "", ""); err != nil {
		t.Fatal(err)
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(s.recovery())
	api := r.Group("/api/v1", limitBody(1<<20))
	read := api.Group("", s.authenticate(ledger.RoleObserver))
	read.GET("/batches/:id", s.handleBatchGet)
	read.GET("/collections/:id", s.handleCollectionGet)
	write := api.Group("", s.authenticate(ledger.RoleTreasurer))
	write.POST("/batches", s.handleBatchCreate)
	write.POST("/batches/:id/entries", s.handleBatchEntryAdd)
	write.DELETE("/batches/:id/entries/:entry", s.handleBatchEntryRemove)
	write.POST("/batches/:id/close", s.handleBatchClose)
	write.POST("/collections", s.handleCollectionCreate)
	write.POST("/collections/:id/bank", s.handleCollectionBank)

	a := &offlineAPI{t: t, h: r, db: db}
	var err error
	if a.treasurer, _, err = tokens.CreateToken(context.Background(), "Treasurer laptop", ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	if a.observer, _, err = tokens.CreateToken(context.Background(), "Auditor", ledger.RoleObserver); err != nil {
		t.Fatal(err)
	}
	return a
}

// do sends a request and decodes its JSON answer.
func (a *offlineAPI) do(method, path, token, key, body string) (int, map[string]any) {
	a.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			a.t.Fatalf("%s %s answered %d, not JSON: %s", method, path, w.Code, w.Body)
		}
	}
	return w.Code, out
}

// wantError fails unless the answer is the given status and error code with
// a message containing every one of subs.
func (a *offlineAPI) wantError(what string, code int, body map[string]any, status int, errCode string, subs ...string) {
	a.t.Helper()
	e, _ := body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if code != status || e["code"] != errCode {
		a.t.Fatalf("%s: %d %v, want %d %s", what, code, body, status, errCode)
	}
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			a.t.Fatalf("%s: message %q does not contain %q", what, msg, s)
		}
	}
}

// perCurrencyText renders a JSON list of {"currency","amount"} as
// "1480.00 EUR + 200.00 GBP", checking each object has those two fields only.
func perCurrencyText(v any) string {
	list, _ := v.([]any)
	parts := make([]string, len(list))
	for i, x := range list {
		m, _ := x.(map[string]any)
		amount, _ := m["amount"].(string)
		cur, _ := m["currency"].(string)
		parts[i] = amount + " " + cur
		if len(m) != 2 {
			parts[i] = fmt.Sprint(m)
		}
	}
	return strings.Join(parts, " + ")
}

func (a *offlineAPI) openBatch() string {
	a.t.Helper()
	code, body := a.do("POST", "/api/v1/batches", a.treasurer, "batch-1", `{"fund":"zhanaozen","channel":"cheque",
		"description":"Cheques from the Hamburg meeting","expected_count":3,
		"expected_totals":[{"currency":"EUR","amount":"1480"},{"currency":"GBP","amount":"200.00"}]}`)
	if code != http.StatusCreated {
		a.t.Fatalf("open batch: %d %v", code, body)
	}
	return body["id"].(string)
}

func TestAPIBatch(t *testing.T) {
	a := newOfflineAPI(t)
	id := a.openBatch()
	code, body := a.do("GET", "/api/v1/batches/"+id, a.observer, "", "")
	if code != 200 || body["status"] != "open" || body["channel"] != "cheque" || body["expected_count"] != 3.0 ||
		body["opened_by"] != "Treasurer laptop" || body["controls_match"] != false {
		t.Fatalf("get batch: %d %v", code, body)
	}
	if got := perCurrencyText(body["expected_totals"]); got != "1480.00 EUR + 200.00 GBP" {
		t.Fatalf("expected_totals %s", got)
	}
	if again, body := a.do("POST", "/api/v1/batches", a.treasurer, "batch-1", `{"fund":"zhanaozen","channel":"cheque",
		"description":"Cheques from the Hamburg meeting","expected_count":3,
		"expected_totals":[{"currency":"EUR","amount":"1480"},{"currency":"GBP","amount":"200.00"}]}`); again != 201 || body["id"] != id {
		t.Fatalf("a retry of the open: %d %v", again, body)
	}

	entry := func(key, amount, currency string) string {
		t.Helper()
		code, body := a.do("POST", "/api/v1/batches/"+id+"/entries", a.treasurer, key,
			`{"amount":"`+amount+`","currency":"`+currency+`","received_on":"2011-12-20",
			  "donor":{"name":"Karl Meier","country":"de"},"message":"Solidarność"}`)
		if code != 201 || body["channel"] != "cheque" || body["acknowledgement"].(map[string]any)["display"] != "anonymous" ||
			body["donor"].(map[string]any)["country"] != "DE" || body["batch_id"] != id {
			t.Fatalf("add entry: %d %v", code, body)
		}
		return body["id"].(string)
	}
	first := entry("e1", "1000.00", "EUR")
	entry("e2", "480", "EUR")
	wrong := entry("e3", "20", "GBP")

	code, body = a.do("POST", "/api/v1/batches/"+id+"/close", a.treasurer, "close-1", ``)
	a.wantError("close against the control totals", code, body, 409, "conflict",
		"expected 3 entries, 1480.00 EUR + 200.00 GBP", "entered 3 entries, 1480.00 EUR + 20.00 GBP", "GBP 20.00 instead of 200.00", "override_reason")
	entered := body["error"].(map[string]any)["entered"].(map[string]any)
	if got := perCurrencyText(entered["totals"]); entered["count"] != 3.0 || got != "1480.00 EUR + 20.00 GBP" {
		t.Fatalf("entered figures %v", entered)
	}
	expected := body["error"].(map[string]any)["expected"].(map[string]any)
	if got := perCurrencyText(expected["totals"]); expected["count"] != 3.0 || got != "1480.00 EUR + 200.00 GBP" {
		t.Fatalf("expected figures %v", expected)
	}
	if d := body["error"].(map[string]any)["differences"].([]any); len(d) != 1 || d[0] != "GBP 20.00 instead of 200.00" {
		t.Fatalf("differences %v", d)
	}

	for range 2 { // removing twice answers the same
		if code, body := a.do("DELETE", "/api/v1/batches/"+id+"/entries/"+wrong, a.treasurer, "rm-1", ""); code != 204 {
			t.Fatalf("remove entry: %d %v", code, body)
		}
	}
	entry("e4", "200", "GBP")

	code, body = a.do("POST", "/api/v1/batches/"+id+"/close", a.treasurer, "close-2", ``)
	if code != 200 || body["status"] != "closed" || body["closed_by"] != "Treasurer laptop" || body["controls_match"] != true ||
		body["closed_at"] == nil || body["entered_count"] != 3.0 {
		t.Fatalf("close: %d %v", code, body)
	}
	for _, e := range body["entries"].([]any) {
		if e := e.(map[string]any); e["transaction_id"] == nil || e["donation_id"] == nil {
			t.Fatalf("entry not posted: %v", e)
		}
	}
	closedAt := body["closed_at"]
	code, body = a.do("POST", "/api/v1/batches/"+id+"/close", a.treasurer, "close-3", `{"override_reason":"closing it a second time"}`)
	if code != 200 || body["closed_at"] != closedAt || body["override_reason"] != nil {
		t.Fatalf("close again: %d %v", code, body)
	}
	var posted int
	if err := a.db.Pool.QueryRow(context.Background(), `select count(*) from transactions`).Scan(&posted); err != nil || posted != 3 {
		t.Fatalf("%d transactions (%v), want 3", posted, err)
	}

	code, body = a.do("POST", "/api/v1/batches/"+id+"/entries", a.treasurer, "late", `{"amount":"5","currency":"EUR","received_on":"2011-12-21"}`)
	a.wantError("add to a closed batch", code, body, 409, "conflict", "is closed")
	code, body = a.do("DELETE", "/api/v1/batches/"+id+"/entries/"+first, a.treasurer, "rm-2", "")
	a.wantError("remove from a closed batch", code, body, 409, "conflict", "is closed")
}

func TestAPIBatchOverride(t *testing.T) {
	a := newOfflineAPI(t)
	id := a.openBatch()
	a.do("POST", "/api/v1/batches/"+id+"/entries", a.treasurer, "e1", `{"amount":"1480","currency":"EUR","received_on":"2011-12-20"}`)
	code, body := a.do("POST", "/api/v1/batches/"+id+"/close", a.treasurer, "c1", `{"override_reason":"lost"}`)
	a.wantError("a short reason", code, body, 400, "invalid", "override_reason must be at least 10 characters, got 4")
	code, body = a.do("POST", "/api/v1/batches/"+id+"/close", a.treasurer, "c2", `{"override_reason":"The GBP cheques went to the wrong fund"}`)
	if code != 200 || body["controls_match"] != false || body["override_reason"] != "The GBP cheques went to the wrong fund" || body["closed_by"] != "Treasurer laptop" {
		t.Fatalf("close with override: %d %v", code, body)
	}
}

func TestAPIBatchErrors(t *testing.T) {
	a := newOfflineAPI(t)
	id := a.openBatch()
	const open = `{"fund":"zhanaozen","description":"Bank statement page 4","expected_count":2,"expected_totals":[{"currency":"EUR","amount":"100.00"}]}`
	for _, tc := range []struct {
		name, method, path, token, key, body string
		status                               int
		code                                 string
		subs                                 []string
	}{
		{"no token", "POST", "/api/v1/batches", "", "", open, 401, "unauthorized", []string{"Bearer"}},
		{"observer opens", "POST", "/api/v1/batches", "observer", "", open, 403, "forbidden", []string{"treasurer"}},
		{"observer closes", "POST", "/api/v1/batches/" + id + "/close", "observer", "", ``, 403, "forbidden", nil},
		{"key reused", "POST", "/api/v1/batches", "treasurer", "batch-1", open, 409, "conflict", []string{"already used for a different request"}},
		{"too many decimals", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `"100.00"`, `"100.001"`, 1), 400, "invalid",
			[]string{`expected_totals[0].amount "100.001" has 3 decimal places; EUR allows at most 2`}},
		{"amount as number", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `"100.00"`, `100`, 1), 400, "invalid", []string{"amount must be a string"}},
		{"unknown currency", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `"EUR"`, `"XXX"`, 1), 400, "invalid", []string{`expected_totals[0].currency "XXX" is not a supported`}},
		{"no count", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `"expected_count":2,`, ``, 1), 400, "invalid", []string{"expected_count must be between 1 and 1000, got 0"}},
		{"no totals", "POST", "/api/v1/batches", "treasurer", "", `{"fund":"zhanaozen","description":"x","expected_count":1}`, 400, "invalid", []string{"expected_totals: give at least one amount"}},
		{"card channel", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `{"fund"`, `{"channel":"card","fund"`, 1), 400, "invalid", []string{`channel "card" is not one of`}},
		{"unknown fund", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `zhanaozen`, `nofund`, 1), 400, "invalid", []string{`fund "nofund" does not exist`}},
		{"unknown field", "POST", "/api/v1/batches", "treasurer", "", strings.Replace(open, `{"fund"`, `{"expected":1,"fund"`, 1), 400, "invalid", []string{`unknown field "expected"`}},
		{"entry without date", "POST", "/api/v1/batches/" + id + "/entries", "treasurer", "", `{"amount":"5","currency":"EUR"}`, 400, "invalid", []string{"received_on is required"}},
		{"entry bad email", "POST", "/api/v1/batches/" + id + "/entries", "treasurer", "", `{"amount":"5","currency":"EUR","received_on":"2011-12-20","donor":{"email":"nobody"}}`, 400, "invalid", []string{"donor.email is not an email address"}},
		{"entry by card", "POST", "/api/v1/batches/" + id + "/entries", "treasurer", "", `{"amount":"5","currency":"EUR","channel":"card","received_on":"2011-12-20"}`, 400, "invalid", []string{`channel "card" is not one of`}},
		{"entry in an unknown batch", "POST", "/api/v1/batches/7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60/entries", "treasurer", "", `{"amount":"5","currency":"EUR","received_on":"2011-12-20"}`, 404, "not_found", []string{"batch 7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60 not found"}},
		{"unknown batch", "GET", "/api/v1/batches/nope", "observer", "", "", 404, "not_found", []string{`batch "nope" not found`}},
		{"remove an unknown entry", "DELETE", "/api/v1/batches/" + id + "/entries/7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60", "treasurer", "", "", 404, "not_found", []string{"not found in batch"}},
		{"close with an unknown field", "POST", "/api/v1/batches/" + id + "/close", "treasurer", "", `{"reason":"x"}`, 400, "invalid", []string{`unknown field "reason"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := map[string]string{"treasurer": a.treasurer, "observer": a.observer}[tc.token]
			code, body := a.do(tc.method, tc.path, tok, tc.key, tc.body)
			a.wantError(tc.name, code, body, tc.status, tc.code, tc.subs...)
		})
	}
}

const hamburgCollection = `{"fund":"zhanaozen","place":"Hamburg","collected_on":"2011-09-03",
	"collectors":["Anna Berg","Jens Ohl"],"counted_by":["Anna Berg","Jens Ohl"],
	"counts":[{"currency":"GBP","amount":"35.5"},{"currency":"EUR","amount":"200"}],
	"recount":[{"currency":"EUR","amount":"200.00"},{"currency":"GBP","amount":"35.50"}]}`

func TestAPICollection(t *testing.T) {
	a := newOfflineAPI(t)
	code, body := a.do("POST", "/api/v1/collections", a.treasurer, "col-1", hamburgCollection)
	if code != 201 || body["public_label"] != "Street collection, Hamburg, 2011-09-03: 200.00 EUR + 35.50 GBP" ||
		body["recounted"] != true || body["transaction_id"] == nil || body["banked_transaction_id"] != nil {
		t.Fatalf("record collection: %d %v", code, body)
	}
	if got := perCurrencyText(body["counts"]); got != "200.00 EUR + 35.50 GBP" {
		t.Fatalf("counts %s", got)
	}
	id := body["id"].(string)
	if again, replay := a.do("POST", "/api/v1/collections", a.treasurer, "col-1", hamburgCollection); again != 201 || replay["id"] != id {
		t.Fatalf("a retry: %d %v", again, replay)
	}
	code, body = a.do("GET", "/api/v1/collections/"+id, a.observer, "", "")
	if code != 200 || body["place"] != "Hamburg" || len(body["collectors"].([]any)) != 2 || body["counted_by"].([]any)[1] != "Jens Ohl" {
		t.Fatalf("get collection: %d %v", code, body)
	}

	code, body = a.do("POST", "/api/v1/collections/"+id+"/bank", a.treasurer, "bank-1", `{"banked_on":"2011-09-05"}`)
	if code != 201 || body["banked_on"] != "2011-09-05" || body["banked_transaction_id"] == nil {
		t.Fatalf("bank: %d %v", code, body)
	}
	banked := body["banked_transaction_id"]
	if code, body = a.do("POST", "/api/v1/collections/"+id+"/bank", a.treasurer, "bank-1", `{"banked_on":"2011-09-05"}`); code != 201 || body["banked_transaction_id"] != banked {
		t.Fatalf("a retry of the banking: %d %v", code, body)
	}
	code, body = a.do("POST", "/api/v1/collections/"+id+"/bank", a.treasurer, "bank-2", ``)
	a.wantError("banking twice", code, body, 409, "conflict", "already banked on 2011-09-05")

	var banks, cash int
	err := a.db.Pool.QueryRow(context.Background(), `select
		count(*) filter (where (account, currency, amount) in (('assets:bank:eur', 'EUR', 200), ('assets:bank:gbp', 'GBP', 35.5))),
		count(*) filter (where account = 'assets:cash' and amount = 0)
		from balances`).Scan(&banks, &cash)
	if err != nil || banks != 2 || cash != 2 {
		t.Fatalf("%d bank balances and %d cash balances as expected (%v), want 2 and 2", banks, cash, err)
	}
}

func TestAPICollectionErrors(t *testing.T) {
	a := newOfflineAPI(t)
	for _, tc := range []struct {
		name, from, to string
		status         int
		code           string
		subs           []string
	}{
		{"the same counter twice", `"counted_by":["Anna Berg","Jens Ohl"]`, `"counted_by":["Anna Berg","anna berg"]`, 400, "invalid", []string{"counted_by: the cash must be counted by two different people"}},
		{"one counter", `"counted_by":["Anna Berg","Jens Ohl"]`, `"counted_by":["Anna Berg"]`, 400, "invalid", []string{"counted_by must name exactly two people who counted the cash, got 1"}},
		{"a blank counter", `"counted_by":["Anna Berg","Jens Ohl"]`, `"counted_by":["Anna Berg"," "]`, 400, "invalid", []string{"counted_by[1] is required"}},
		{"no collectors", `"collectors":["Anna Berg","Jens Ohl"]`, `"collectors":[]`, 400, "invalid", []string{"collectors must name between 1 and 20 people, got 0"}},
		{"a recount that differs", `{"currency":"EUR","amount":"200.00"}`, `{"currency":"EUR","amount":"190.00"}`, 400, "invalid", []string{"recount does not match counts", "EUR 190.00 instead of 200.00"}},
		{"too many decimals", `"35.5"`, `"35.555"`, 400, "invalid", []string{`counts[0].amount "35.555" has 3 decimal places; GBP allows at most 2`}},
		{"no date", `"collected_on":"2011-09-03",`, ``, 400, "invalid", []string{"collected_on is required"}},
		{"a bad date", `"2011-09-03"`, `"03.09.2011"`, 400, "invalid", []string{`collected_on "03.09.2011" is not a date`}},
		{"no place", `"place":"Hamburg",`, ``, 400, "invalid", []string{"place is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(hamburgCollection, tc.from, tc.to, 1)
			if body == hamburgCollection {
				t.Fatalf("%q is not in the request", tc.from)
			}
			code, out := a.do("POST", "/api/v1/collections", a.treasurer, "", body)
			a.wantError(tc.name, code, out, tc.status, tc.code, tc.subs...)
			if msg := out["error"].(map[string]any)["message"].(string); strings.Contains(msg, "Anna") || strings.Contains(msg, "anna") {
				t.Fatalf("an error message names a counter: %q", msg)
			}
		})
	}
	code, body := a.do("GET", "/api/v1/collections/7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60", a.observer, "", "")
	a.wantError("unknown collection", code, body, 404, "not_found")
	code, body = a.do("POST", "/api/v1/collections/7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60/bank", a.treasurer, "", "")
	a.wantError("bank an unknown collection", code, body, 404, "not_found")
	code, body = a.do("POST", "/api/v1/collections", a.observer, "", hamburgCollection)
	a.wantError("observer records", code, body, 403, "forbidden")
}
