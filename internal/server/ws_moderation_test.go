package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

var seenRE = regexp.MustCompile(`name="seen" value="([^"]+)"`)

// decide posts the moderation form as the browser sends it from page: every
// row's fingerprint, plus form.
func (b *browser) decide(page answer, form url.Values) answer {
	b.w.t.Helper()
	for _, m := range seenRE.FindAllStringSubmatch(page.body, -1) {
		form.Add("seen", m[1])
	}
	return b.post("/committee/moderation", form)
}

// A member approves and hides acknowledgements, one at a time and several
// at once; what is hidden never reaches a public page; an observer sees the
// queue and decides nothing; every decision is audited without names or
// messages.
func TestWorkspaceModeration(t *testing.T) {
	w := newWorkspace(t, false)
	ctx := context.Background()
	funds := postgres.NewFundService(w.db)
	if err := funds.CreateFund(ctx, &ledger.Fund{Slug: "zhanaozen", Name: "Zhanaozen oil workers' families", Currency: mustCur(t, "EUR")}, "", ""); err != nil {
		t.Fatal(err)
	}
	w.mustMember("member@example.org", "Marat Member", ledger.RoleMember, "correct horse battery")
	w.mustMember("observer@example.org", "Oleg Observer", ledger.RoleObserver, "correct horse battery")
	dons := postgres.NewDonationService(w.db)
	donate := func(key string, donor ledger.Donor, ack ledger.Acknowledgement, message string) string {
		t.Helper()
		d, err := dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: ledger.Money{Amount: decimal.RequireFromString("25.00"), Currency: mustCur(t, "EUR")},
			Channel: ledger.ChannelBankTransfer, ReceivedOn: time.Date(2011, 12, 20, 0, 0, 0, 0, time.UTC), Donor: donor, Acknowledgement: ack,
			Message: message, IdempotencyKey: "mod-" + key})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	ingrid := donate("ingrid", ledger.Donor{Name: "Ingrid Svensson"}, ledger.Acknowledgement{Display: ledger.AckName}, "From Malmö with love")
	secret := donate("secret", ledger.Donor{Name: "Sergei Secretov"}, ledger.Acknowledgement{Display: ledger.AckName}, "An insult nobody should read")
	union := donate("union", ledger.Donor{Organisation: "Metalworkers union, Hamburg branch"}, ledger.Acknowledgement{Display: ledger.AckOrganisation}, "")
	alias := donate("alias", ledger.Donor{Name: "Kari Nordmann"}, ledger.Acknowledgement{Display: ledger.AckAlias, Alias: "A friend in Oslo"}, "Hold on!")
	waiting := donate("waiting", ledger.Donor{Name: "Still Waiting"}, ledger.Acknowledgement{Display: ledger.AckName}, "Not decided yet")
	quiet := donate("quiet", ledger.Donor{Name: "Quiet Donor"}, ledger.Acknowledgement{Display: ledger.AckAnonymous}, "")
	status := func(id string) string {
		t.Helper()
		var s string
		if err := w.db.Pool.QueryRow(ctx, `select ack_status from donations where id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := w.db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if s := status(quiet); s != "approved" {
		t.Fatalf("an anonymous donation without a message is %s, want published at once", s)
	}

	// Signed out: sent to sign in, shown nothing, and nothing decided.
	anon := w.browser()
	a := anon.get("/committee/moderation")
	mustStatus(t, "signed out", a, http.StatusSeeOther)
	if a.location() != "/committee/signin?next=%2Fcommittee%2Fmoderation" || strings.Contains(a.body, "Ingrid") {
		t.Fatalf("signed out: %s %q", a.location(), a.body)
	}
	mustStatus(t, "signed out decides", anon.post("/committee/moderation", url.Values{"approve": {ingrid}}), http.StatusSeeOther)

	// The queue, as the public list would show it once approved.
	m := w.browser()
	m.signIn("member@example.org", "correct horse battery")
	if home := m.get("/committee"); !strings.Contains(home.body, `href="/committee/moderation"`) {
		t.Fatalf("the navigation has no moderation link:\n%s", home.body)
	}
	page := m.get("/committee/moderation")
	mustStatus(t, "moderation page", page, http.StatusOK)
	for _, want := range []string{"Moderation", "Ingrid Svensson", "From Malmö with love", "Metalworkers union, Hamburg branch", "by organisation",
		"A friend in Oslo", "by an alias", "Hold on!", "Zhanaozen oil workers&#39; families", "20 December 2011", "bank transfer",
		`name="approve" value="` + ingrid + `"`, `name="hide" value="` + secret + `"`, `name="status" value="approved"`, `name="status" value="hidden"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("moderation page lacks %q:\n%s", want, page.body)
		}
	}
	if strings.Contains(page.body, "Kari Nordmann") || strings.Contains(page.body, quiet) || strings.Contains(page.body, "<script") {
		t.Fatalf("the page shows what would not be shown, or a published donation:\n%s", page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", page.header)
	}

	// Without the CSRF token, or from another site: refused, nothing decided.
	mustStatus(t, "no CSRF token", m.decide(page, url.Values{"approve": {ingrid}, "csrf": {""}}), http.StatusForbidden)
	mustStatus(t, "another site", m.postFrom("/committee/moderation", url.Values{"approve": {ingrid}}, "cross-site"), http.StatusForbidden)
	if s := status(ingrid); s != "pending" {
		t.Fatalf("refused decision changed the status to %s", s)
	}

	// One approved, one hidden, two approved at once.
	a = m.decide(page, url.Values{"approve": {ingrid}})
	mustStatus(t, "approve one", a, http.StatusOK)
	if !strings.Contains(a.body, "Approved: 1 acknowledgement.") || strings.Contains(a.body, `value="`+ingrid+`"`) {
		t.Fatalf("after approving one:\n%s", a.body)
	}
	a = m.decide(a, url.Values{"hide": {secret}})
	mustStatus(t, "hide one", a, http.StatusOK)
	if !strings.Contains(a.body, "Hidden: 1 acknowledgement.") || strings.Contains(a.body, "Sergei") {
		t.Fatalf("after hiding one:\n%s", a.body)
	}
	mustStatus(t, "nothing ticked", m.decide(a, url.Values{"status": {"approved"}}), http.StatusBadRequest)
	a = m.get("/committee/moderation")
	a = m.decide(a, url.Values{"status": {"approved"}, "id": {union, alias}})
	mustStatus(t, "approve two", a, http.StatusOK)
	if !strings.Contains(a.body, "Approved: 2 acknowledgements.") || !strings.Contains(a.body, "Still Waiting") {
		t.Fatalf("after approving two:\n%s", a.body)
	}
	for id, want := range map[string]string{ingrid: "approved", secret: "hidden", union: "approved", alias: "approved", waiting: "pending"} {
		if s := status(id); s != want {
			t.Errorf("donation %s is %s, want %s", id, s, want)
		}
	}

	// A stale page decides nothing that was decided or changed since it was
	// shown: the hidden one is not approved from the first page, and a
	// fingerprint that does not match what waits is refused.
	a = m.decide(page, url.Values{"approve": {secret}})
	mustStatus(t, "stale approve", a, http.StatusOK)
	if !strings.Contains(a.body, "Not decided: 1 acknowledgement") || status(secret) != "hidden" {
		t.Fatalf("a stale page approved a hidden acknowledgement (%s):\n%s", status(secret), a.body)
	}
	a = m.post("/committee/moderation", url.Values{"approve": {waiting}, "seen": {waiting + ":0123456789abcdef"}})
	if !strings.Contains(a.body, "Not decided: 1 acknowledgement") || status(waiting) != "pending" {
		t.Fatalf("a decision on other words than those waiting (%s):\n%s", status(waiting), a.body)
	}

	// An observer sees the queue and decides nothing.
	ob := w.browser()
	ob.signIn("observer@example.org", "correct horse battery")
	a = ob.get("/committee/moderation")
	mustStatus(t, "observer reads", a, http.StatusOK)
	if !strings.Contains(a.body, "Still Waiting") || strings.Contains(a.body, `name="approve"`) || strings.Contains(a.body, `action="/committee/moderation"`) {
		t.Fatalf("observer's page:\n%s", a.body)
	}
	mustStatus(t, "observer approves", ob.decide(a, url.Values{"approve": {waiting}}), http.StatusForbidden)
	mustStatus(t, "observer hides", ob.post("/committee/moderation", url.Values{"status": {"hidden"}, "id": {waiting}}), http.StatusForbidden)
	if s := status(waiting); s != "pending" {
		t.Fatalf("an observer's decision changed the status to %s", s)
	}

	// The public list: the approved names and words, never the hidden
	// donor's, nor a name still waiting.
	pub := w.browser()
	list := pub.get("/api/v1/acknowledgements")
	mustStatus(t, "public list", list, http.StatusOK)
	html := pub.get("/acknowledgements")
	mustStatus(t, "public page", html, http.StatusOK)
	for _, body := range []string{list.body, html.body} {
		for _, want := range []string{"Ingrid Svensson", "From Malmö with love", "Metalworkers union, Hamburg branch", "A friend in Oslo", "Hold on!"} {
			if !strings.Contains(body, want) {
				t.Errorf("the public list lacks %q:\n%s", want, body)
			}
		}
		for _, never := range []string{"Sergei", "Secretov", "An insult nobody should read", "Still Waiting", "Not decided yet", "Kari Nordmann", "Quiet Donor"} {
			if strings.Contains(body, never) {
				t.Errorf("the public list shows %q:\n%s", never, body)
			}
		}
	}

	// The audit log: who decided what, with the donation ids and the count,
	// never a name or a message.
	for _, c := range []struct {
		action, subject, ids, count string
	}{
		{"acknowledgement.approve", "donation:" + ingrid, ingrid, "1"},
		{"acknowledgement.hide", "donation:" + secret, secret, "1"},
		{"acknowledgement.approve", "donations", union + "," + alias, "2"},
	} {
		if n := count(`select count(*) from audit_log where action = $1 and subject = $2 and member_name = 'Marat Member'
			and details->>'donation_ids' = $3 and details->>'count' = $4`, c.action, c.subject, c.ids, c.count); n != 1 {
			t.Errorf("%d audit entries %s %s %s, want 1", n, c.action, c.ids, c.count)
		}
	}
	if n := count(`select count(*) from audit_log where action like 'acknowledgement.%'`); n != 3 {
		t.Errorf("%d moderation entries in the audit log, want 3 (refused and stale decisions record nothing)", n)
	}
	for _, personal := range []string{"Ingrid", "Sergei", "insult", "Metalworkers", "Oslo", "Malmö"} {
		if n := count(`select count(*) from audit_log where details::text like $1 or subject like $1`, "%"+personal+"%"); n != 0 {
			t.Errorf("the audit log carries %q", personal)
		}
	}
	a = m.get("/committee/audit")
	if !strings.Contains(a.body, "acknowledgement.hide") || !strings.Contains(a.body, "donation_ids="+union+","+alias) {
		t.Fatalf("audit page:\n%s", a.body)
	}

	// The page speaks the member's language.
	for lang, want := range map[string]string{"ru": "Модерация", "kk": "Алғыстарды тексеру"} {
		a := m.get("/committee/moderation?lang=" + lang)
		if !strings.Contains(a.body, want) || !strings.Contains(a.body, "Still Waiting") {
			t.Errorf("%s page lacks %q:\n%.800s", lang, want, a.body)
		}
	}
	a = m.get("/committee/moderation?lang=ru")
	a = m.decide(a, url.Values{"hide": {waiting}})
	if !strings.Contains(a.body, "Скрыто: 1 благодарность.") || !strings.Contains(a.body, "Ничего не ждёт модерации.") {
		t.Fatalf("Russian notice:\n%s", a.body)
	}
}
