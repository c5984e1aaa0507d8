package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
)

// Every committee write through the API is in the audit log with the token
// that made it, the route and its parameters; refused writes and reads are
// not, and neither is anything from the request's body.
func TestAPIWritesAudited(t *testing.T) {
	w := newWorkspace(t, false)
	ctx := context.Background()
	funds := postgres.NewFundService(w.db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	tokens := postgres.NewTokenService(w.db)
	treasurer, tok, err := tokens.CreateToken(ctx, "Treasurer laptop", ledger.RoleTreasurer)
	if err != nil {
		t.Fatal(err)
	}
	observer, _, err := tokens.CreateToken(ctx, "Auditor", ledger.RoleObserver)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, url: w.url, db: w.db, treasurer: treasurer, observer: observer}
	type entry struct {
		memberID                    *int64
		memberName, action, subject string
		details                     map[string]string
	}
	entries := func() []entry {
		t.Helper()
		rows, err := w.db.Pool.Query(ctx, `select member_id, member_name, action, subject, details from audit_log order by id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.memberID, &e.memberName, &e.action, &e.subject, &e.details); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	last := func(what string, action, subject, status, route string) {
		t.Helper()
		all := entries()
		if len(all) == 0 {
			t.Fatalf("%s: the audit log is empty", what)
		}
		e := all[len(all)-1]
		if e.memberID != nil || e.memberName != "token: Treasurer laptop" || e.action != action || e.subject != subject ||
			e.details["status"] != status || e.details["route"] != route || e.details["token_id"] == "" || len(e.details) != 3 {
			t.Fatalf("%s: last audit entry %+v, want %s %q status %s route %q by token: Treasurer laptop", what, e, action, subject, status, route)
		}
	}

	donation := `{"fund":"zhanaozen","amount":"1500.00","currency":"EUR","channel":"organisation","received_on":"2011-12-20",
		"donor":{"organisation":"Metalworkers union, Hamburg branch","country":"DE","email":"branch@example.org"},
		"acknowledgement":{"display":"organisation","show_amount":true},"message":"Solidarity with the families of Zhanaozen"}`
	code, body, _ := a.do("POST", "/api/v1/donations", treasurer, "stmt-2011-12-20-line-4", donation)
	if code != http.StatusCreated {
		t.Fatalf("record donation: %d %v", code, body)
	}
	last("record donation", "api.post.donations", "", "201", "POST /api/v1/donations")
	if n := len(entries()); n != 1 { // written with the donation, not again after it
		t.Fatalf("%d audit entries after one donation, want 1", n)
	}
	if e := entries()[0]; e.details["token_id"] != jsonNum(tok.ID) {
		t.Fatalf("token id %q, want %d", e.details["token_id"], tok.ID)
	}
	donationID, txID := body["id"].(string), body["transaction_id"].(string)

	// Refused and failed writes, and reads, record nothing.
	n := len(entries())
	for _, c := range []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", "/api/v1/donations", observer, donation, http.StatusForbidden},
		{"POST", "/api/v1/donations", "", donation, http.StatusUnauthorized},
		{"POST", "/api/v1/donations", treasurer, `{"fund":"zhanaozen","amount":"1.001","currency":"EUR","channel":"cash"}`, http.StatusBadRequest},
		{"POST", "/api/v1/transactions/00000000-0000-0000-0000-000000000000/reverse", treasurer, ``, http.StatusNotFound},
		{"GET", "/api/v1/donations/" + donationID, observer, "", http.StatusOK},
		{"GET", "/api/v1/moderation", treasurer, "", http.StatusOK},
	} {
		if code, body, _ := a.do(c.method, c.path, c.token, "", c.body); code != c.status {
			t.Fatalf("%s %s: %d %v, want %d", c.method, c.path, code, body, c.status)
		}
	}
	if got := len(entries()); got != n {
		t.Fatalf("refused writes and reads added %d audit entries: %+v", got-n, entries()[n:])
	}

	// The route's parameters are the subject; each kind of write is named.
	code, body, _ = a.do("POST", "/api/v1/moderation", treasurer, "", `{"donation_ids":["`+donationID+`"],"status":"approved"}`)
	if code != http.StatusOK {
		t.Fatalf("moderate: %d %v", code, body)
	}
	last("moderate", "api.post.moderation", "", "200", "POST /api/v1/moderation")
	code, body, _ = a.do("POST", "/api/v1/transactions/"+txID+"/reverse", treasurer, "reverse-1", `{"description":"entered twice"}`)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("reverse: %d %v", code, body)
	}
	last("reverse", "api.post.transactions.reverse", "id:"+txID, jsonNum(code), "POST /api/v1/transactions/:id/reverse")
	code, body, _ = a.do("POST", "/api/v1/batches", treasurer, "batch-1", `{"fund":"zhanaozen","channel":"cheque","description":"Cheques from the Hamburg meeting",
		"expected_count":1,"expected_totals":[{"currency":"EUR","amount":"30"}]}`)
	if code != http.StatusCreated {
		t.Fatalf("open batch: %d %v", code, body)
	}
	batch := body["id"].(string)
	code, body, _ = a.do("POST", "/api/v1/batches/"+batch+"/entries", treasurer, "e1", `{"amount":"30","currency":"EUR","received_on":"2011-12-20","donor":{"name":"Karl Meier"}}`)
	if code != http.StatusCreated {
		t.Fatalf("add entry: %d %v", code, body)
	}
	last("add entry", "api.post.batches.entries", "id:"+batch, "201", "POST /api/v1/batches/:id/entries")
	entryID := body["id"].(string)
	if code, body, _ := a.do("DELETE", "/api/v1/batches/"+batch+"/entries/"+entryID, treasurer, "rm-1", ""); code != http.StatusNoContent {
		t.Fatalf("remove entry: %d %v", code, body)
	}
	last("remove entry", "api.delete.batches.entries", "id:"+batch+" entry:"+entryID, "204", "DELETE /api/v1/batches/:id/entries/:entry")
	csv := "Buchungstag;Auftraggeber;Verwendungszweck;Betrag\n20.12.2011;Metalworkers union;Solidaritaet;1.500,00\n"
	layout := `{"delimiter":";","header":true,"date":"Buchungstag","date_layout":"02.01.2006","amount":"Betrag","decimal_sep":",","thousands_sep":".","counterparty":"Auftraggeber","remittance":["Verwendungszweck"]}`
	stmt, _ := json.Marshal(map[string]any{"account": "assets:bank:eur", "format": "csv", "content": csv, "csv": json.RawMessage(layout), "currency": "EUR"})
	if code, body, _ := a.do("POST", "/api/v1/statements", treasurer, "imp-1", string(stmt)); code != http.StatusOK {
		t.Fatalf("import statement: %d %v", code, body)
	}
	last("import statement", "api.post.statements", "", "200", "POST /api/v1/statements")

	// Nothing from a body reaches the log.
	for _, e := range entries() {
		raw, _ := json.Marshal(e.details)
		for _, personal := range []string{"Metalworkers", "Karl", "Solidarity", "branch@example.org", "1500", "entered twice", treasurer} {
			if strings.Contains(string(raw)+e.subject+e.memberName, personal) {
				t.Errorf("audit entry %s carries %q: %+v", e.action, personal, e)
			}
		}
	}

	// The committee reads it in the workspace.
	w.mustMember("treasurer@example.org", "Tamara Treasurer", ledger.RoleTreasurer, "correct horse battery")
	b := w.browser()
	b.signIn("treasurer@example.org", "correct horse battery")
	page := b.get("/committee/audit")
	for _, want := range []string{"token: Treasurer laptop", "api.post.donations", "api.delete.batches.entries", "route=POST /api/v1/donations", "status=201"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("audit page lacks %q:\n%s", want, page.body)
		}
	}
}

// What leaves the books through the API is audited too: a report as a
// file, the books exported, the donation register in any form.
func TestAPIExportsAudited(t *testing.T) {
	w := newWorkspace(t, false)
	ctx := context.Background()
	funds := postgres.NewFundService(w.db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	observer, _, err := postgres.NewTokenService(w.db).CreateToken(ctx, "Auditor", ledger.RoleObserver)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/reports/period?from=2011-01-01&to=2011-12-31&format=csv", "/api/v1/reports/export?format=hledger",
		"/api/v1/reports/donations?from=2011-01-01&to=2011-12-31", "/api/v1/reports/period?from=2011-01-01&to=2011-12-31"} {
		req, _ := http.NewRequest("GET", w.url+p, nil)
		req.Header.Set("Authorization", "Bearer "+observer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
	}
	page, err := w.audit.List(ctx, ledger.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 3 { // not the period report read as JSON
		t.Fatalf("%d audit entries, want 3: %+v", len(page.Entries), page.Entries)
	}
	for _, e := range page.Entries {
		if e.MemberName != "token: Auditor" || !strings.HasPrefix(e.Action, "api.get.reports") {
			t.Fatalf("audit entry %+v", e)
		}
	}
}
