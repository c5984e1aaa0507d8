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
	"net/url"
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
)

// grantEnv is a workspace and an API on one fresh database, with the grant
// service (two approvals), a KZT fund "zhanaozen" and tokens.
type grantEnv struct {
	*workspace
	grants    *postgres.GrantService
	treasurer string // API tokens
	observer  string
}

func newGrantEnv(t *testing.T, withKey bool) *grantEnv {
	t.Helper()
	db := pgtest.NewDB(t)
	clk := &clock{t: time.Now().UTC()}
	db.Now = clk.Now
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	grantBox := box
	if !withKey {
		grantBox = nil
	}
	w := &workspace{t: t, db: db, clock: clk, members: postgres.NewMemberService(db, box),
		sessions: postgres.NewSessionService(db), audit: postgres.NewAuditService(db)}
	w.members.Params = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	funds := postgres.NewFundService(db)
	tokens := postgres.NewTokenService(db)
	e := &grantEnv{workspace: w, grants: postgres.NewGrantService(db, grantBox, 2)}
	srv := &server.Server{
		Funds: funds, Accounts: funds, Tokens: tokens, Acks: postgres.NewAcknowledgementService(db),
		Members: w.members, Sessions: w.sessions, Audit: w.audit,
		Donations: postgres.NewDonationService(db), Batches: postgres.NewDonationService(db), Collections: postgres.NewDonationService(db),
		Reconciliation: postgres.NewReconciliationService(db), Transactions: postgres.NewTransactionService(db),
		Balances: postgres.NewBalanceService(db), Grants: e.grants,
		Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	ctx := context.Background()
	if e.treasurer, _, err = tokens.CreateToken(ctx, "treasurer laptop", ledger.RoleTreasurer); err != nil {
		t.Fatal(err)
	}
	if e.observer, _, err = tokens.CreateToken(ctx, "auditor", ledger.RoleObserver); err != nil {
		t.Fatal(err)
	}
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen oil workers' families", Currency: mustCur(t, "KZT")}, "", ""); err != nil {
		t.Fatal(err)
	}
	return e
}

// call sends a JSON request to the API and decodes the answer.
func (e *grantEnv) call(method, path, token, key, body string) (int, map[string]any, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return res.StatusCode, out, string(raw)
}

func (e *grantEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// mustBooksSound fails unless verify finds the books sound and the trial
// balance sums to zero in each currency.
func (e *grantEnv) mustBooksSound() {
	e.t.Helper()
	ctx := context.Background()
	r, err := postgres.NewVerifier(e.db).Verify(ctx)
	if err != nil || !r.OK() {
		e.t.Fatalf("verify: %v %v", err, r)
	}
	tb, err := postgres.NewBalanceService(e.db).TrialBalance(ctx, ledger.BalanceFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	for _, l := range tb {
		sums[l.Currency.Code] = sums[l.Currency.Code].Add(l.Amount)
	}
	for c, s := range sums {
		if !s.IsZero() {
			e.t.Fatalf("trial balance in %s sums to %s", c, s)
		}
	}
}

const (
	recipientName = "Zhanar Sultanbekova"
	recipientIBAN = "KZ86125KZT5004100100"
)

// The committee's whole grant workflow in the workspace: a member opens a
// case with the recipient sealed, two other members approve it, the
// treasurer pays it in parts (once from euros) and alone sees the
// recipient, each view audited; a top-up needs fresh approvals.
func TestWorkspaceGrants(t *testing.T) {
	e := newGrantEnv(t, true)
	ctx := context.Background()
	e.mustMember("tamara@example.org", "Tamara Treasurer", ledger.RoleTreasurer, "correct horse battery")
	e.mustMember("aigul@example.org", "Aigul Member", ledger.RoleMember, "correct horse battery")
	e.mustMember("bolat@example.org", "Bolat Member", ledger.RoleMember, "correct horse battery")
	e.mustMember("dana@example.org", "Dana Member", ledger.RoleMember, "correct horse battery")
	e.mustMember("erlan@example.org", "Erlan Member", ledger.RoleMember, "correct horse battery")
	e.mustMember("oleg@example.org", "Oleg Observer", ledger.RoleObserver, "correct horse battery")
	signIn := func(email string) *browser {
		b := e.browser()
		b.signIn(email, "correct horse battery")
		return b
	}
	tamara, aigul, bolat, dana, erlan, oleg := signIn("tamara@example.org"), signIn("aigul@example.org"), signIn("bolat@example.org"),
		signIn("dana@example.org"), signIn("erlan@example.org"), signIn("oleg@example.org")

	// A member opens a case, with the recipient's details.
	mustStatus(t, "register", aigul.get("/committee/grants"), 200)
	a := aigul.post("/committee/grants", url.Values{"fund": {"zhanaozen"}, "amount": {"150000,00"}, "currency": {"KZT"}, "category": {"food"},
		"justification": {"Food for a family of five while the father is on strike"}, "key": {"open-1"},
		"recipient_name": {recipientName}, "recipient_town": {"Zhanaozen"}, "recipient_phone": {"+7 701 555 0101"}, "recipient_bank_account": {recipientIBAN}})
	mustStatus(t, "open", a, 303)
	ref := fmt.Sprintf("G-%d-001", e.clock.Now().Year())
	page := "/committee/grants/" + ref
	if a.location() != page {
		t.Fatalf("opened at %s, want %s", a.location(), page)
	}
	var sealed []byte
	if err := e.db.Pool.QueryRow(ctx, `select sealed from grant_recipients`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Zhanar")) || bytes.Contains(sealed, []byte("KZ86")) {
		t.Fatal("the stored recipient is readable")
	}

	// The opener, an observer and a recused member cannot approve.
	a = aigul.get(page)
	mustStatus(t, "the opener's page", a, 200)
	if strings.Contains(a.body, "/approve") || !strings.Contains(a.body, "You opened this case, so you cannot approve it.") ||
		strings.Contains(a.body, "Zhanar") || strings.Contains(a.body, "/recipient\"") {
		t.Fatalf("the opener's page:\n%s", a.body)
	}
	mustStatus(t, "the opener approves", aigul.post(page+"/approve", nil), 403)
	oleg.get(page)
	mustStatus(t, "an observer approves", oleg.post(page+"/approve", nil), 403)
	mustStatus(t, "an observer recuses", oleg.post(page+"/recuse", nil), 403)
	dana.get(page)
	mustStatus(t, "recuse", dana.post(page+"/recuse", url.Values{"reason": {"A neighbour of the family"}}), 303)
	a = dana.post(page+"/approve", nil)
	mustStatus(t, "a recused member approves", a, 403)
	if !strings.Contains(a.body, "recused") {
		t.Fatalf("recused approval:\n%.800s", a.body)
	}

	// Bolat approves, once; the treasurer cannot pay yet.
	bolat.get(page)
	mustStatus(t, "approve", bolat.post(page+"/approve", nil), 303)
	a = bolat.post(page+"/approve", nil)
	mustStatus(t, "the same member twice", a, 409)
	if !strings.Contains(a.body, "already approved") {
		t.Fatalf("twice:\n%.800s", a.body)
	}
	a = tamara.get(page)
	if strings.Contains(a.body, "/payments\"") || !strings.Contains(a.body, "Round 1: 1 of 2 approvals") {
		t.Fatalf("pending page offers a payment:\n%s", a.body)
	}
	mustStatus(t, "pay before approval", tamara.post(page+"/payments", url.Values{"amount": {"1000"}, "paid_from": {"assets:bank:kzt"}, "date": {"2011-12-21"}}), 409)
	mustStatus(t, "the treasurer approves", tamara.post(page+"/approve", nil), 303)
	if n := e.count(`select count(*) from transactions`); n != 0 {
		t.Fatalf("%d transactions before any payment", n)
	}

	// Partial payments; the over-payment is refused; the rest from euros.
	a = tamara.get(page)
	if !strings.Contains(a.body, `action="`+page+`/payments"`) || !strings.Contains(a.body, `value="150000.00"`) {
		t.Fatalf("no payment form:\n%s", a.body)
	}
	mustStatus(t, "a member pays", bolat.post(page+"/payments", url.Values{"amount": {"1000"}, "paid_from": {"assets:bank:kzt"}}), 403)
	mustStatus(t, "pay", tamara.post(page+"/payments", url.Values{"amount": {"100000"}, "paid_from": {"assets:bank:kzt"}, "date": {"2011-12-21"}, "key": {"pay-1"}}), 303)
	mustStatus(t, "pay twice with one form", tamara.post(page+"/payments", url.Values{"amount": {"100000"}, "paid_from": {"assets:bank:kzt"}, "date": {"2011-12-21"}, "key": {"pay-1"}}), 303)
	a = tamara.post(page+"/payments", url.Values{"amount": {"50000.01"}, "paid_from": {"assets:bank:kzt"}, "date": {"2011-12-22"}})
	mustStatus(t, "over-payment", a, 409)
	if !strings.Contains(a.body, "at most 50000.00 KZT remains") {
		t.Fatalf("over-payment:\n%.800s", a.body)
	}
	mustStatus(t, "pay from EUR", tamara.post(page+"/payments", url.Values{"amount": {"50000"}, "paid_from": {"assets:bank:eur"},
		"paid_amount": {"254,10"}, "paid_currency": {"EUR"}, "date": {"2011-12-23"}}), 303)
	g, err := e.grants.FindGrant(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if g.Status() != ledger.GrantPaid || len(g.Payments) != 2 || g.Payments[1].Paid.String() != "254.10 EUR" {
		t.Fatalf("after the payments: %v %+v", g.Status(), g.Payments)
	}
	e.mustBooksSound()

	// Only the treasurer sees the recipient, and each view is audited.
	for name, b := range map[string]*browser{"member": bolat, "observer": oleg} {
		mustStatus(t, name+" shows the recipient", b.post(page+"/recipient", nil), 403)
	}
	a = tamara.get(page)
	if strings.Contains(a.body, "Zhanar") || !strings.Contains(a.body, `action="`+page+`/recipient"`) {
		t.Fatalf("the treasurer's page before asking:\n%s", a.body)
	}
	for i := 1; i <= 2; i++ {
		a = tamara.post(page+"/recipient", nil)
		mustStatus(t, "show", a, 200)
		if !strings.Contains(a.body, recipientName) || !strings.Contains(a.body, recipientIBAN) || a.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("shown:\n%s", a.body)
		}
		if n := e.count(`select count(*) from audit_log where action = 'grant.recipient.view' and member_name = 'Tamara Treasurer' and subject = $1`, "grant:"+ref); n != i {
			t.Fatalf("%d views audited, want %d", n, i)
		}
	}

	// The register never shows the recipient, whoever reads it.
	for name, b := range map[string]*browser{"treasurer": tamara, "member": bolat, "observer": oleg} {
		for _, p := range []string{"/committee/grants", "/committee/grants?status=paid", page} {
			a := b.get(p)
			mustStatus(t, name+" "+p, a, 200)
			if strings.Contains(a.body, "Zhanar") || strings.Contains(a.body, "KZ86") || strings.Contains(a.body, "701 555") {
				t.Fatalf("%s %s shows the recipient:\n%s", name, p, a.body)
			}
			if p == "/committee/grants?status=paid" && !strings.Contains(a.body, ref) {
				t.Fatalf("%s: the paid case is not listed:\n%s", p, a.body)
			}
		}
	}

	// A top-up needs two fresh approvals before more is paid; the member
	// who asked for it cannot give one.
	bolat.get(page)
	mustStatus(t, "top up", bolat.post(page+"/topup", url.Values{"amount": {"20000"}, "reason": {"Winter coal"}}), 303)
	mustStatus(t, "pay the top-up", tamara.post(page+"/payments", url.Values{"amount": {"20000"}, "paid_from": {"assets:cash"}}), 409)
	mustStatus(t, "the top-up's requester approves", bolat.post(page+"/approve", nil), 403)
	erlan.get(page)
	mustStatus(t, "approve the top-up", erlan.post(page+"/approve", nil), 303)
	mustStatus(t, "pay with one fresh approval", tamara.post(page+"/payments", url.Values{"amount": {"20000"}, "paid_from": {"assets:cash"}}), 409)
	mustStatus(t, "approve the top-up", tamara.post(page+"/approve", nil), 303)
	mustStatus(t, "pay the top-up", tamara.post(page+"/payments", url.Values{"amount": {"20000"}, "paid_from": {"assets:cash"}}), 303)

	// Caps: a treasurer sets one; a case above it is refused.
	mustStatus(t, "a member sets a cap", bolat.post("/committee/grant-caps", url.Values{"fund": {"zhanaozen"}, "max_amount": {"200000"}, "currency": {"KZT"}}), 403)
	tamara.get("/committee/grants")
	a = tamara.post("/committee/grant-caps", url.Values{"fund": {"zhanaozen"}, "max_amount": {"200000"}, "currency": {"KZT"}})
	mustStatus(t, "set a cap", a, 200)
	if !strings.Contains(a.body, "Cap for zhanaozen") {
		t.Fatalf("cap:\n%.1500s", a.body)
	}
	a = aigul.post("/committee/grants", url.Values{"fund": {"zhanaozen"}, "amount": {"200000.01"}, "currency": {"KZT"}, "category": {"rent"},
		"justification": {"Rent arrears"}})
	mustStatus(t, "open above the cap", a, 400)
	if !strings.Contains(a.body, "above the cap") || !strings.Contains(a.body, ">Rent arrears</textarea>") {
		t.Fatalf("above the cap:\n%s", a.body)
	}
	e.mustBooksSound()

	// Every step is audited, and no entry carries recipient data.
	for _, action := range []string{"grant.open", "grant.approve", "grant.recuse", "grant.pay", "grant.topup", "grant.cap", "grant.recipient.view"} {
		if e.count(`select count(*) from audit_log where action = $1`, action) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}
	if n := e.count(`select count(*) from audit_log where details::text ~ '(Zhanar|KZ86|701 555|neighbour)' or subject ~ 'Zhanar'`); n != 0 {
		t.Fatalf("%d audit entries carry recipient data", n)
	}
	log := tamara.get("/committee/audit")
	if strings.Contains(log.body, "Zhanar") || !strings.Contains(log.body, "grant.recipient.view") {
		t.Fatalf("audit page:\n%s", log.body)
	}

	// The pages speak Russian and Kazakh, with no key left untranslated.
	for _, l := range []string{"ru", "kk"} {
		oleg.lang = l
		for _, p := range []string{"/committee/grants", page} {
			a := oleg.get(p)
			mustStatus(t, l+" "+p, a, 200)
			if strings.Contains(a.body, "wsg.") || !strings.Contains(a.body, `<html lang="`+l+`">`) {
				t.Fatalf("%s %s:\n%s", l, p, a.body)
			}
		}
	}
}

// The API opens, reads, pays and caps; never shows the recipient; and is
// refused what only members may do.
func TestAPIGrants(t *testing.T) {
	e := newGrantEnv(t, true)
	ctx := context.Background()
	bolat := ledger.ActorOf(e.mustMember("bolat@example.org", "Bolat Member", ledger.RoleMember, "correct horse battery"))
	dana := ledger.ActorOf(e.mustMember("dana@example.org", "Dana Member", ledger.RoleMember, "correct horse battery"))

	open := `{"fund":"zhanaozen","amount":"150000.00","currency":"KZT","category":"medical","justification":"Medical treatment after the shooting",
		"recipient":{"name":"` + recipientName + `","town":"Zhanaozen","phone":"+7 701 555 0101","bank_account":"` + recipientIBAN + `"}}`
	code, body, raw := e.call("POST", "/api/v1/grants", e.observer, "", open)
	if code != 403 {
		t.Fatalf("an observer opens: %d %s", code, raw)
	}
	code, body, raw = e.call("POST", "/api/v1/grants", e.treasurer, "grant-1", open)
	if code != 201 || body["status"] != "pending" || body["recipient_on_file"] != true || body["opened_by"] != "token: treasurer laptop" {
		t.Fatalf("open: %d %s", code, raw)
	}
	if strings.Contains(raw, "Zhanar") || strings.Contains(raw, "KZ86") {
		t.Fatalf("the answer holds the recipient: %s", raw)
	}
	ref := body["ref"].(string)
	if _, again, _ := e.call("POST", "/api/v1/grants", e.treasurer, "grant-1", open); again["ref"] != ref {
		t.Fatalf("a retry opened %v", again["ref"])
	}

	for _, p := range []string{"/api/v1/grants/" + ref, "/api/v1/grants", "/api/v1/grants?status=pending&fund=zhanaozen"} {
		code, _, raw := e.call("GET", p, e.observer, "", "")
		if code != 200 || !strings.Contains(raw, ref) || strings.Contains(raw, "Zhanar") || strings.Contains(raw, "KZ86") || strings.Contains(raw, "701 555") {
			t.Fatalf("GET %s: %d %s", p, code, raw)
		}
	}
	if code, _, raw := e.call("GET", "/api/v1/grants?status=approved", e.observer, "", ""); code != 200 || strings.Contains(raw, ref) {
		t.Fatalf("approved list: %d %s", code, raw)
	}
	if code, _, _ := e.call("GET", "/api/v1/grants?status=open", e.observer, "", ""); code != 400 {
		t.Fatalf("bad status: %d", code)
	}
	if code, _, _ := e.call("GET", "/api/v1/grants/G-2011-999", e.observer, "", ""); code != 404 {
		t.Fatalf("unknown case: %d", code)
	}
	if code, _, _ := e.call("GET", "/api/v1/grants/"+ref, "", "", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}

	pay := func(key, body string) (int, map[string]any, string) {
		return e.call("POST", "/api/v1/grants/"+ref+"/payments", e.treasurer, key, body)
	}
	code, body, raw = pay("pay-0", `{"amount":"1000.00","paid_from":"assets:bank:kzt","date":"2011-12-21"}`)
	if c, msg := errorOf(body); code != 409 || c != "conflict" || !strings.Contains(msg, "not approved") {
		t.Fatalf("pay before approval: %d %s", code, raw)
	}
	if _, err := e.grants.ApproveGrant(ctx, bolat, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := e.grants.ApproveGrant(ctx, dana, ref); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := e.call("POST", "/api/v1/grants/"+ref+"/payments", e.observer, "", `{"amount":"1","paid_from":"assets:cash"}`); code != 403 {
		t.Fatalf("an observer pays: %d", code)
	}
	code, body, raw = pay("pay-1", `{"amount":"100000.00","currency":"KZT","paid_from":"assets:bank:kzt","date":"2011-12-21"}`)
	if code != 201 || body["transaction_id"] == "" || body["amount"] != "100000.00" || body["paid_currency"] != "KZT" {
		t.Fatalf("pay: %d %s", code, raw)
	}
	txID := body["transaction_id"].(string)
	if _, again, _ := pay("pay-1", `{"amount":"100000.00","currency":"KZT","paid_from":"assets:bank:kzt","date":"2011-12-21"}`); again["transaction_id"] != txID {
		t.Fatalf("a retried payment booked again: %v", again)
	}
	code, tx, raw := e.call("GET", "/api/v1/transactions/"+txID, e.observer, "", "")
	if code != 200 || tx["metadata"].(map[string]any)["grant_ref"] != ref || strings.Contains(raw, "Zhanar") {
		t.Fatalf("the payment's transaction: %d %s", code, raw)
	}
	code, body, raw = pay("pay-2", `{"amount":"50000.01","paid_from":"assets:bank:kzt","date":"2011-12-22"}`)
	if c, msg := errorOf(body); code != 409 || c != "conflict" || !strings.Contains(msg, "at most 50000.00 KZT remains") {
		t.Fatalf("over-payment: %d %s", code, raw)
	}
	code, _, raw = pay("pay-3", `{"amount":"50000.00","currency":"EUR","paid_from":"assets:bank:eur"}`)
	if code != 400 || !strings.Contains(raw, "paid_amount") {
		t.Fatalf("EUR as the grant's currency: %d %s", code, raw)
	}
	code, body, raw = pay("pay-3", `{"amount":"50000.00","paid_from":"assets:bank:eur","paid_amount":"254.10","paid_currency":"EUR","date":"2011-12-23"}`)
	if code != 201 || body["paid_amount"] != "254.10" || body["paid_currency"] != "EUR" {
		t.Fatalf("pay from EUR: %d %s", code, raw)
	}
	code, tx, _ = e.call("GET", "/api/v1/transactions/"+body["transaction_id"].(string), e.observer, "", "")
	if ps := tx["postings"].([]any); code != 200 || len(ps) != 4 || ps[1].(map[string]any)["account"] != "equity:conversion" {
		t.Fatalf("the EUR payment: %v", tx)
	}
	code, body, _ = e.call("GET", "/api/v1/grants/"+ref, e.observer, "", "")
	if code != 200 || body["status"] != "paid" || body["paid"] != "150000.00" || len(body["payments"].([]any)) != 2 {
		t.Fatalf("paid case: %v", body)
	}
	_, tb, _ := e.call("GET", "/api/v1/trial-balance", e.observer, "", "")
	if tot := tb["totals"].(map[string]any); tot["EUR"] != "0.00" || tot["KZT"] != "0.00" {
		t.Fatalf("trial balance %v", tot)
	}
	e.mustBooksSound()

	// Caps over the API.
	if code, _, _ := e.call("PUT", "/api/v1/grant-caps", e.observer, "", `{"fund":"zhanaozen","currency":"KZT","max_amount":"200000"}`); code != 403 {
		t.Fatalf("an observer sets a cap: %d", code)
	}
	code, body, raw = e.call("PUT", "/api/v1/grant-caps", e.treasurer, "", `{"fund":"zhanaozen","currency":"KZT","max_amount":"200000"}`)
	if code != 200 || body["max_amount"] != "200000.00" || body["set_by"] != "token: treasurer laptop" {
		t.Fatalf("set a cap: %d %s", code, raw)
	}
	code, body, raw = e.call("POST", "/api/v1/grants", e.treasurer, "", strings.Replace(open, "150000.00", "200000.01", 1))
	if c, msg := errorOf(body); code != 400 || c != "invalid" || !strings.Contains(msg, "above the cap of 200000.00 KZT") {
		t.Fatalf("above the cap: %d %s", code, raw)
	}
	for _, bad := range []string{`{"fund":"zhanaozen","currency":"KZT","max_amount":"0"}`, `{"fund":"zhanaozen","currency":"KZT","max_amount":"1.001"}`,
		`{"fund":"nowhere","currency":"KZT","max_amount":"1"}`} {
		if code, _, raw := e.call("PUT", "/api/v1/grant-caps", e.treasurer, "", bad); code != 400 {
			t.Errorf("cap %s: %d %s", bad, code, raw)
		}
	}
	for _, bad := range []string{
		strings.Replace(open, `"medical"`, `"holiday"`, 1),
		strings.Replace(open, `"150000.00"`, `150000`, 1),
		strings.Replace(open, `"town":"Zhanaozen",`, ``, 1),
	} {
		code, _, raw := e.call("POST", "/api/v1/grants", e.treasurer, "", bad)
		if code != 400 || strings.Contains(raw, "Zhanar") {
			t.Errorf("bad request: %d %s", code, raw)
		}
	}
	for _, action := range []string{"grant.open", "grant.pay", "grant.cap"} {
		if n := e.count(`select count(*) from audit_log where action = $1 and member_name = 'token: treasurer laptop'`, action); n == 0 {
			t.Errorf("no %s by the token in the audit log", action)
		}
	}
	if n := e.count(`select count(*) from audit_log where details::text ~ '(Zhanar|KZ86|701 555)'`); n != 0 {
		t.Fatalf("%d audit entries carry recipient data", n)
	}
}

// Without FUNDLEDGER_SECRET_KEY, recipient details are refused with an
// error that says what to do; cases without them still open.
func TestGrantsWithoutSecretKey(t *testing.T) {
	e := newGrantEnv(t, false)
	open := `{"fund":"zhanaozen","amount":"1000","currency":"KZT","category":"food","justification":"Food",
		"recipient":{"name":"` + recipientName + `","town":"Zhanaozen","cash_via_committee":true}}`
	code, body, raw := e.call("POST", "/api/v1/grants", e.treasurer, "", open)
	if c, msg := errorOf(body); code != 400 || c != "invalid" || !strings.Contains(msg, "FUNDLEDGER_SECRET_KEY") || strings.Contains(raw, "Zhanar") {
		t.Fatalf("with a recipient: %d %s", code, raw)
	}
	code, _, raw = e.call("POST", "/api/v1/grants", e.treasurer, "", `{"fund":"zhanaozen","amount":"1000","currency":"KZT","category":"food","justification":"Food"}`)
	if code != 201 {
		t.Fatalf("without a recipient: %d %s", code, raw)
	}
	if n := e.count(`select count(*) from grant_recipients`); n != 0 {
		t.Fatalf("%d recipients stored without a key", n)
	}
	e.mustMember("tamara@example.org", "Tamara Treasurer", ledger.RoleTreasurer, "correct horse battery")
	b := e.browser()
	b.signIn("tamara@example.org", "correct horse battery")
	ref := fmt.Sprintf("G-%d-001", e.clock.Now().Year())
	b.get("/committee/grants/" + ref)
	a := b.post("/committee/grants/"+ref+"/recipient/set", url.Values{"recipient_name": {recipientName}, "recipient_town": {"Zhanaozen"}, "recipient_cash": {"true"}})
	mustStatus(t, "set a recipient without a key", a, 400)
	if !strings.Contains(a.body, "FUNDLEDGER_SECRET_KEY") {
		t.Fatalf("no key:\n%.800s", a.body)
	}
}
