package server_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
)

// upload posts a statement file from the bank page's form.
func (b *browser) upload(path, file string, fields map[string]string) answer {
	b.w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields["csrf"] = b.csrf
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "statement.csv")
	io.WriteString(fw, file)
	mw.Close()
	req, _ := http.NewRequest("POST", b.w.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// The treasurer records offline money and reconciles the bank from the
// workspace; an observer sees it all and changes nothing.
func TestWorkspaceMoneyAndBank(t *testing.T) {
	w := newWorkspace(t, false)
	ctx := context.Background()
	funds := postgres.NewFundService(w.db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	w.mustMember("treasurer@example.org", "Tamara Treasurer", ledger.RoleTreasurer, "correct horse battery")
	w.mustMember("observer@example.org", "Oleg Observer", ledger.RoleObserver, "correct horse battery")
	tr := w.browser()
	tr.signIn("treasurer@example.org", "correct horse battery")
	count := func(sql string) int {
		var n int
		if err := w.db.Pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A donation by hand.
	mustStatus(t, "money page", tr.get("/committee/money"), 200)
	a := tr.post("/committee/money/donations", url.Values{"fund": {"zhanaozen"}, "amount": {"1500,00"}, "currency": {"EUR"}, "channel": {"organisation"},
		"received_on": {"2011-12-05"}, "organisation": {"IG Metall Hamburg"}, "display": {"organisation"}, "key": {"form-1"}})
	mustStatus(t, "record donation", a, 200)
	if !strings.Contains(a.body, "€1,500.00") {
		t.Fatalf("no confirmation:\n%.500s", a.body)
	}
	tr.post("/committee/money/donations", url.Values{"fund": {"zhanaozen"}, "amount": {"1500,00"}, "currency": {"EUR"}, "channel": {"organisation"},
		"received_on": {"2011-12-05"}, "organisation": {"IG Metall Hamburg"}, "display": {"organisation"}, "key": {"form-1"}})
	if n := count(`select count(*) from donations`); n != 1 {
		t.Fatalf("a double submit recorded %d donations", n)
	}

	// A batch: two cheques against a control total, posted when they match.
	a = tr.post("/committee/money/batches", url.Values{"fund": {"zhanaozen"}, "channel": {"cheque"}, "description": {"Cheques from the Hamburg meeting"},
		"expected_count": {"2"}, "currency_1": {"EUR"}, "amount_1": {"80.00"}})
	mustStatus(t, "open batch", a, 303)
	batch := a.location()
	for _, amt := range []string{"30.00", "50.00"} {
		mustStatus(t, "batch page", tr.get(batch), 200)
		mustStatus(t, "add entry", tr.post(batch+"/entries", url.Values{"amount": {amt}, "currency": {"EUR"}, "channel": {"cheque"},
			"received_on": {"2011-12-10"}, "display": {"anonymous"}}), 303)
	}
	mustStatus(t, "batch page", tr.get(batch), 200)
	a = tr.post(batch+"/close", nil)
	mustStatus(t, "close batch", a, 200)
	if n := count(`select count(*) from donations where channel = 'cheque'`); n != 2 {
		t.Fatalf("%d cheques posted, want 2", n)
	}

	// A street collection in two currencies, then banked.
	mustStatus(t, "money page", tr.get("/committee/money"), 200)
	a = tr.post("/committee/money/collections", url.Values{"fund": {"zhanaozen"}, "place": {"Hamburg"}, "collected_on": {"2011-12-03"},
		"collectors": {"Klaus\nPetra"}, "counted_by_1": {"Anna"}, "counted_by_2": {"Bernd"}, "currency_1": {"EUR"}, "amount_1": {"200.00"},
		"currency_2": {"GBP"}, "amount_2": {"35.50"}})
	mustStatus(t, "record collection", a, 200)
	id := regexp.MustCompile(`/committee/money/collections/([0-9a-f-]+)/bank`).FindStringSubmatch(a.body)
	if id == nil {
		t.Fatalf("no bank button:\n%.800s", a.body)
	}
	mustStatus(t, "bank the cash", tr.post("/committee/money/collections/"+id[1]+"/bank", url.Values{"banked_on": {"2011-12-05"}}), 200)

	// The December statement: the union's transfer matches, an unknown credit
	// becomes a donation, the fee an expense; the period reconciles to zero.
	csv := "Buchungstag;Auftraggeber;Verwendungszweck;Betrag\n" +
		"05.12.2011;;Bareinzahlung;200,00\n" +
		"06.12.2011;IG Metall Hamburg;Solidaritaet;1.500,00\n" +
		"08.12.2011;Ingrid Svensson;DON-ZHANAOZEN;250,00\n" +
		"30.12.2011;;Kontofuehrung;-12,50\n"
	layout := `{"delimiter":";","header":true,"date":"Buchungstag","date_layout":"02.01.2006","amount":"Betrag","decimal_sep":",","thousands_sep":".","counterparty":"Auftraggeber","remittance":["Verwendungszweck"]}`
	query := "account=assets%3Abank%3Aeur&from=2011-12-01&to=2011-12-31"
	mustStatus(t, "bank page", tr.get("/committee/bank?"+query), 200)
	a = tr.upload("/committee/bank/import?"+query, csv, map[string]string{"format": "csv", "csv": layout, "currency": "EUR", "opening": "0"})
	mustStatus(t, "import", a, 303)
	a = tr.get(a.location())
	mustStatus(t, "bank page", a, 200)
	if !strings.Contains(a.body, "Ingrid Svensson") || !strings.Contains(a.body, "Imported: 4 new lines") {
		t.Fatalf("bank page after import:\n%.1500s", a.body)
	}
	lineIDs := regexp.MustCompile(`/committee/bank/lines/(\d+)/(donation|expense)`).FindAllStringSubmatch(a.body, -1)
	if len(lineIDs) != 2 {
		t.Fatalf("%d unmatched lines with actions, want 2:\n%.2000s", len(lineIDs), a.body)
	}
	for _, m := range lineIDs {
		form := url.Values{"fund": {"zhanaozen"}}
		if m[2] == "expense" {
			form.Set("expense_account", "expenses:fees:bank")
			form.Set("description", "Account fee, December")
		}
		mustStatus(t, m[2], tr.post("/committee/bank/lines/"+m[1]+"/"+m[2]+"?"+query, form), 303)
		mustStatus(t, "bank page", tr.get("/committee/bank?"+query), 200)
	}
	a = tr.get("/committee/bank?" + query)
	if !strings.Contains(a.body, "€0.00") {
		t.Fatalf("the difference is not zero:\n%.2000s", a.body)
	}
	mustStatus(t, "mark reconciled", tr.post("/committee/bank/reconciled?"+query, nil), 303)
	if n := count(`select count(*) from statement_lines where locked`); n != 4 {
		t.Fatalf("%d lines locked, want 4", n)
	}

	// An observer reads everything and changes nothing.
	ob := w.browser()
	ob.signIn("observer@example.org", "correct horse battery")
	for _, p := range []string{"/committee/money", batch, "/committee/bank?" + query} {
		mustStatus(t, "observer reads "+p, ob.get(p), 200)
	}
	mustStatus(t, "observer records", ob.post("/committee/money/donations", url.Values{"fund": {"zhanaozen"}, "amount": {"5"}, "currency": {"EUR"},
		"channel": {"cash"}, "received_on": {"2011-12-05"}}), 403)
	// A signed-out visitor is sent to sign in and sees nothing.
	anon := w.browser()
	a = anon.get("/committee/money")
	if a.status != 303 || strings.Contains(a.body, "IG Metall") {
		t.Fatalf("signed out: %d %.200s", a.status, a.body)
	}
	// Each action is in the audit log, with who did it.
	for _, action := range []string{"donation.record", "batch.open", "batch.close", "collection.record", "collection.bank", "statement.import",
		"statement_line.donation", "statement_line.expense", "reconciliation.mark"} {
		if n := count(`select count(*) from audit_log where action = '` + action + `' and member_name = 'Tamara Treasurer'`); n == 0 {
			t.Errorf("no audit entry for %s", action)
		}
	}
}
