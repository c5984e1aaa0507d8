package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// A bank's CSV export, imported through the API, reconciled to zero.
func TestAPIStatementsAndReconciliation(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	a.record("union", `{"fund":"zhanaozen","amount":"1500.00","currency":"EUR","channel":"organisation","received_on":"2011-12-05",
		"donor":{"organisation":"IG Metall Hamburg"}}`)
	csv := "Buchungstag;Auftraggeber;Verwendungszweck;Betrag\n" +
		"06.12.2011;IG Metall Hamburg;Solidaritaet;1.500,00\n" +
		"08.12.2011;Ingrid Svensson;DON-ZHANAOZEN;250,00\n" +
		"30.12.2011;;Kontofuehrung;-12,50\n"
	layout := `{"delimiter":";","header":true,"date":"Buchungstag","date_layout":"02.01.2006","amount":"Betrag","decimal_sep":",","thousands_sep":".","counterparty":"Auftraggeber","remittance":["Verwendungszweck"]}`
	body, _ := json.Marshal(map[string]any{"account": "assets:bank:eur", "format": "csv", "content": csv, "csv": json.RawMessage(layout), "currency": "EUR"})

	code, out, _ := a.do("POST", "/api/v1/statements", a.observer, "", string(body))
	if code != 403 {
		t.Fatalf("an observer imported a statement: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/statements", a.treasurer, "imp-1", string(body))
	if code != 200 || out["lines"].(float64) != 3 || out["auto_matched"].(float64) != 1 {
		t.Fatalf("import: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/statements", a.treasurer, "imp-2", string(body))
	if code != 200 || out["lines"].(float64) != 0 || out["duplicates"].(float64) != 3 {
		t.Fatalf("re-import: %d %v", code, out)
	}
	code, out, _ = a.do("GET", "/api/v1/statement-lines?account=assets:bank:eur&status=unmatched", a.observer, "", "")
	lines := out["lines"].([]any)
	if code != 200 || len(lines) != 2 {
		t.Fatalf("unmatched lines: %d %v", code, out)
	}
	var credit, debit string
	for _, l := range lines {
		l := l.(map[string]any)
		id := strings.TrimSuffix(strings.TrimSuffix(json.Number(jsonNum(l["id"])).String(), ".0"), ".00")
		if strings.HasPrefix(l["amount"].(string), "-") {
			debit = id
		} else {
			credit = id
		}
	}
	code, out, _ = a.do("POST", "/api/v1/statement-lines/"+credit+"/donation", a.treasurer, "", `{"fund":"zhanaozen"}`)
	if code != 201 || out["channel"] != "bank_transfer" || out["acknowledgement"].(map[string]any)["display"] != "anonymous" {
		t.Fatalf("line to donation: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/statement-lines/"+debit+"/expense", a.treasurer, "", `{"fund":"zhanaozen","account":"income:other","description":"x"}`)
	if c, msg := errorOf(out); code != 400 || c != "invalid" || !strings.Contains(msg, "not an expense account") {
		t.Fatalf("expense to an income account: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/statement-lines/"+debit+"/expense", a.treasurer, "", `{"fund":"zhanaozen","account":"expenses:fees:bank","description":"Account fee, December"}`)
	if code != 201 {
		t.Fatalf("line to expense: %d %v", code, out)
	}
	code, out, _ = a.do("GET", "/api/v1/reconciliation?account=assets:bank:eur&from=2011-12-01&to=2011-12-31", a.observer, "", "")
	if code != 200 || out["difference"] != "0.00" || out["statement_closing"] != "1737.50" || len(out["unmatched_lines"].([]any)) != 0 {
		t.Fatalf("reconciliation: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/reconciliation", a.treasurer, "", `{"account":"assets:bank:eur","through":"2011-12-31"}`)
	if code != 200 {
		t.Fatalf("mark reconciled: %d %v", code, out)
	}
	code, out, _ = a.do("POST", "/api/v1/statement-lines/"+credit+"/unmatch", a.treasurer, "", ``)
	if code != 409 {
		t.Fatalf("unmatch a reconciled line: %d %v", code, out)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"account":"assets:bank:eur","format":"mt940","content":"x"}`, "not one of camt053, csv"},
		{`{"account":"assets:bank:eur","format":"camt053","content":"<Document>"}`, "camt"},
		{`{"account":"assets:bank:eur","format":"csv","content":"a;b"}`, "layout is required"},
	} {
		code, out, _ := a.do("POST", "/api/v1/statements", a.treasurer, "", tc.body)
		if c, msg := errorOf(out); code != 400 || c != "invalid" || !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", tc.body, code, out, tc.want)
		}
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
