package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
	"github.com/pquerna/otp/totp"
)

// clock is a settable clock, safe for the server's goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// workspace is a test server on a fresh database whose clock the test moves.
type workspace struct {
	t        *testing.T
	url      string
	db       *postgres.DB
	clock    *clock
	members  *postgres.MemberService
	sessions *postgres.SessionService
	audit    *postgres.AuditService
}

func newWorkspace(t *testing.T, secure bool) *workspace {
	t.Helper()
	db := pgtest.NewDB(t)
	clk := &clock{t: time.Now().UTC()}
	db.Now = clk.Now
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	w := &workspace{t: t, db: db, clock: clk, members: postgres.NewMemberService(db, box),
		sessions: postgres.NewSessionService(db), audit: postgres.NewAuditService(db)}
	// A cheap hash keeps the tests quick under the race detector; the
	// default cost is tested in internal/password and internal/postgres.
	w.members.Params = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	funds := postgres.NewFundService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Tokens: postgres.NewTokenService(db), Acks: postgres.NewAcknowledgementService(db),
		Members: w.members, Sessions: w.sessions, Audit: w.audit, SecureCookies: secure,
		Donations: postgres.NewDonationService(db), Batches: postgres.NewDonationService(db), Collections: postgres.NewDonationService(db),
		Reconciliation: postgres.NewReconciliationService(db), Transactions: postgres.NewTransactionService(db),
		Reports: postgres.NewReportService(db), Balances: postgres.NewBalanceService(db),
		Ping: db.Ping, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

func (w *workspace) mustMember(email, name string, role ledger.Role, pw string) *ledger.Member {
	w.t.Helper()
	m := &ledger.Member{Email: email, Name: name, Role: role}
	if err := w.members.AddMember(context.Background(), ledger.CommandLine, m, pw); err != nil {
		w.t.Fatal(err)
	}
	return m
}

// browser is one person's browser: its own cookies, no automatic redirects.
type browser struct {
	w      *workspace
	client *http.Client
	lang   string
	csrf   string // the CSRF token of the last page that had one
}

func (w *workspace) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (a answer) location() string { return a.header.Get("Location") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) answer {
	b.w.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(raw); m != nil {
		b.csrf = string(m[1])
	}
	return answer{res.StatusCode, string(raw), res.Header}
}

func (b *browser) get(path string) answer {
	b.w.t.Helper()
	req, _ := http.NewRequest("GET", b.w.url+path, nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

// post sends a form as the browser does from one of the site's own pages,
// with the CSRF token of the last page seen unless form sets "csrf".
func (b *browser) post(path string, form url.Values) answer {
	b.w.t.Helper()
	return b.postFrom(path, form, "same-origin")
}

func (b *browser) postFrom(path string, form url.Values, fetchSite string) answer {
	b.w.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.w.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", fetchSite)
	return b.do(req)
}

// signIn signs in with a password and expects to land on next.
func (b *browser) signIn(email, pw string) answer {
	b.w.t.Helper()
	a := b.post("/committee/signin", url.Values{"email": {email}, "password": {pw}})
	if a.status != http.StatusSeeOther || a.location() != "/committee" {
		b.w.t.Fatalf("sign in %s: %d %s %.300s", email, a.status, a.location(), a.body)
	}
	return a
}

func mustStatus(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d; Location %q\n%.600s", what, a.status, status, a.location(), a.body)
	}
}

func TestWorkspaceSignInAndOut(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("aigul@example.org", "Aigul Serikova", ledger.RoleTreasurer, "Zhanaozen-2011-solidarity")
	w.mustMember("gone@example.org", "Gone Member", ledger.RoleMember, "gone member password")
	if _, err := w.members.DisableMember(context.Background(), ledger.CommandLine, "gone@example.org"); err != nil {
		t.Fatal(err)
	}
	b := w.browser()

	// Signed out: every page redirects to sign-in and shows nothing.
	for _, p := range []string{"/committee", "/committee/members", "/committee/audit", "/committee/sessions", "/committee/totp"} {
		a := b.get(p)
		mustStatus(t, p, a, http.StatusSeeOther)
		if !strings.HasPrefix(a.location(), "/committee/signin") || strings.Contains(a.body, "Aigul") || strings.Contains(a.body, "<table") {
			t.Fatalf("%s: %s %q", p, a.location(), a.body)
		}
	}
	if a := b.get("/committee/audit"); a.location() != "/committee/signin?next=%2Fcommittee%2Faudit" {
		t.Fatalf("next: %s", a.location())
	}
	a := b.postFrom("/committee/signout", nil, "same-origin")
	mustStatus(t, "sign out while signed out", a, http.StatusSeeOther)

	page := b.get("/committee/signin")
	mustStatus(t, "sign-in page", page, http.StatusOK)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Fatalf("CSP %q", csp)
	}
	if strings.Contains(page.body, "<script") || !strings.Contains(page.body, `type="password"`) {
		t.Fatalf("sign-in page:\n%s", page.body)
	}

	// Wrong password, unknown email, disabled member: one answer.
	for _, try := range [][2]string{
		{"aigul@example.org", "not her password"},
		{"nobody@example.org", "Zhanaozen-2011-solidarity"},
		{"gone@example.org", "gone member password"},
	} {
		a := b.post("/committee/signin", url.Values{"email": {try[0]}, "password": {try[1]}})
		mustStatus(t, "sign in as "+try[0], a, http.StatusUnauthorized)
		if !strings.Contains(a.body, "The email or password is wrong.") || a.header.Get("Set-Cookie") != "" {
			t.Fatalf("sign in as %s: %s", try[0], a.body)
		}
	}

	// The right password, in another case, back to where the visitor was going.
	a = b.post("/committee/signin", url.Values{"email": {"Aigul@Example.org"}, "password": {"Zhanaozen-2011-solidarity"}, "next": {"/committee/audit"}})
	mustStatus(t, "sign in", a, http.StatusSeeOther)
	if a.location() != "/committee/audit" {
		t.Fatalf("after sign-in: %s", a.location())
	}
	cookie := a.header.Get("Set-Cookie")
	for _, attr := range []string{"fl_session=", "Path=/committee", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
		if !strings.Contains(cookie, attr) {
			t.Fatalf("cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Fatalf("cookie over plain HTTP without SecureCookies: %q", cookie)
	}
	home := b.get("/committee")
	mustStatus(t, "home", home, http.StatusOK)
	for _, s := range []string{"Welcome, Aigul Serikova", "Treasurer", "records and reconciles the books", `action="/committee/signout"`, `href="/committee/members"`} {
		if !strings.Contains(home.body, s) {
			t.Fatalf("home lacks %q:\n%s", s, home.body)
		}
	}
	// An open redirect is not followed.
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "/committee/../admin", "/api/v1/funds"} {
		a := b.get("/committee/signin?next=" + url.QueryEscape(next))
		if loc := a.location(); loc != "/committee" && !strings.HasPrefix(loc, "/committee/") {
			t.Fatalf("next %q: redirected to %q", next, loc)
		}
	}

	// Sign out ends the session in the database too.
	a = b.post("/committee/signout", nil)
	mustStatus(t, "sign out", a, http.StatusSeeOther)
	if a.location() != "/committee/signin" || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign out: %s %q", a.location(), a.header.Get("Set-Cookie"))
	}
	mustStatus(t, "home after sign-out", b.get("/committee"), http.StatusSeeOther)
	if live, _ := w.sessions.ListSessions(context.Background(), 0); len(live) != 0 {
		t.Fatalf("%d sessions after sign-out", len(live))
	}

	// The audit log saw all of it, and shows it to a signed-in member.
	b.signIn("aigul@example.org", "Zhanaozen-2011-solidarity")
	log := b.get("/committee/audit")
	mustStatus(t, "audit", log, http.StatusOK)
	for _, s := range []string{"signin.fail", "reason=wrong_password", "reason=unknown_email", "reason=disabled", "signin.ok", "signout", "member.disable", "command line"} {
		if !strings.Contains(log.body, s) {
			t.Fatalf("audit page lacks %q:\n%s", s, log.body)
		}
	}
	if strings.Contains(log.body, "nobody@example.org") || strings.Contains(log.body, "not her password") {
		t.Fatal("the audit log shows what was typed into a failed sign-in")
	}
}

func TestWorkspaceSecureCookie(t *testing.T) {
	w := newWorkspace(t, true)
	w.mustMember("t@example.org", "Talgat", ledger.RoleTreasurer, "treasurer password")
	a := w.browser().post("/committee/signin", url.Values{"email": {"t@example.org"}, "password": {"treasurer password"}})
	if c := a.header.Get("Set-Cookie"); !strings.Contains(c, "; Secure") {
		t.Fatalf("cookie %q is not Secure", c)
	}
}

func TestWorkspaceSignInRateLimit(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("aigul@example.org", "Aigul Serikova", ledger.RoleTreasurer, "Zhanaozen-2011-solidarity")
	b := w.browser()
	for i := 1; i <= 5; i++ {
		a := b.post("/committee/signin", url.Values{"email": {"aigul@example.org"}, "password": {"guess " + strconv.Itoa(i)}})
		mustStatus(t, "guess "+strconv.Itoa(i), a, http.StatusUnauthorized)
	}
	// The sixth try is refused before the password is even checked, right or not.
	a := b.post("/committee/signin", url.Values{"email": {"aigul@example.org"}, "password": {"Zhanaozen-2011-solidarity"}})
	mustStatus(t, "sixth try", a, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || secs < 14*60 || secs > 15*60 || !strings.Contains(a.body, "Too many failed attempts. Try again in 15 minutes.") {
		t.Fatalf("Retry-After %q: %s", a.header.Get("Retry-After"), a.body)
	}
	// The same address is refused for other emails too.
	a = b.post("/committee/signin", url.Values{"email": {"other@example.org"}, "password": {"x"}})
	mustStatus(t, "same address, other email", a, http.StatusTooManyRequests)
	var fails int
	if err := w.db.Pool.QueryRow(context.Background(), `select count(*) from audit_log where action = 'signin.fail'`).Scan(&fails); err != nil || fails != 5 {
		t.Fatalf("%d failures recorded, want 5 (%v)", fails, err)
	}
}

func TestWorkspaceSessionExpiry(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("o@example.org", "Olga Observer", ledger.RoleObserver, "observer password")
	b := w.browser()

	b.signIn("o@example.org", "observer password")
	w.clock.Advance(ledger.SessionIdle - time.Minute)
	mustStatus(t, "just before idle expiry", b.get("/committee"), http.StatusOK)
	w.clock.Advance(ledger.SessionIdle + time.Second)
	mustStatus(t, "after idle expiry", b.get("/committee"), http.StatusSeeOther)

	b.signIn("o@example.org", "observer password")
	start := w.clock.Now()
	for w.clock.Now().Sub(start) < ledger.SessionAbsolute-time.Hour {
		w.clock.Advance(time.Hour + 50*time.Minute)
		if w.clock.Now().Sub(start) >= ledger.SessionAbsolute {
			break
		}
		mustStatus(t, "busy session at "+w.clock.Now().Sub(start).String(), b.get("/committee"), http.StatusOK)
	}
	w.clock.Advance(start.Add(ledger.SessionAbsolute).Sub(w.clock.Now()))
	mustStatus(t, "after absolute expiry", b.get("/committee"), http.StatusSeeOther)
}

var revokeRE = regexp.MustCompile(`/committee/sessions/(\d+)/revoke`)

func TestWorkspaceSessionsAndRevoke(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("t@example.org", "Talgat Treasurer", ledger.RoleTreasurer, "treasurer password")
	mm := w.mustMember("m@example.org", "Marat Member", ledger.RoleMember, "member password!")
	tb, mb := w.browser(), w.browser()
	tb.signIn("t@example.org", "treasurer password")
	mb.signIn("m@example.org", "member password!")

	// A member sees only their own session and cannot end another's.
	own := mb.get("/committee/sessions")
	mustStatus(t, "member's sessions", own, http.StatusOK)
	if ids := revokeRE.FindAllStringSubmatch(own.body, -1); len(ids) != 1 || strings.Contains(own.body, "Talgat") {
		t.Fatalf("member sees %v:\n%s", ids, own.body)
	}
	mine, _ := w.sessions.ListSessions(context.Background(), mm.ID)
	all, _ := w.sessions.ListSessions(context.Background(), 0)
	var treasurers int64
	for _, s := range all {
		if s.Member.ID != mm.ID {
			treasurers = s.ID
		}
	}
	mustStatus(t, "member revokes the treasurer's session", mb.post("/committee/sessions/"+strconv.FormatInt(treasurers, 10)+"/revoke", nil), http.StatusNotFound)

	// The treasurer sees both and ends the member's.
	list := tb.get("/committee/sessions")
	if ids := revokeRE.FindAllStringSubmatch(list.body, -1); len(ids) != 2 || !strings.Contains(list.body, "Marat Member") {
		t.Fatalf("treasurer sees %v:\n%s", ids, list.body)
	}
	a := tb.post("/committee/sessions/"+strconv.FormatInt(mine[0].ID, 10)+"/revoke", nil)
	mustStatus(t, "revoke", a, http.StatusSeeOther)
	mustStatus(t, "the revoked browser", mb.get("/committee"), http.StatusSeeOther)
	mustStatus(t, "the treasurer's browser", tb.get("/committee"), http.StatusOK)

	// Disabling a member from the members page ends their sessions too.
	mb.signIn("m@example.org", "member password!")
	tb.get("/committee/members")
	a = tb.post("/committee/members", url.Values{"action": {"disable"}, "email": {"m@example.org"}})
	mustStatus(t, "disable", a, http.StatusOK)
	if !strings.Contains(a.body, "Marat Member can no longer sign in") {
		t.Fatalf("disable:\n%s", a.body)
	}
	mustStatus(t, "the disabled member's browser", mb.get("/committee"), http.StatusSeeOther)

	log, err := w.audit.List(context.Background(), ledger.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var saw []string
	for _, e := range log.Entries {
		saw = append(saw, e.Action+" by "+e.MemberName)
	}
	for _, s := range []string{"member.disable by Talgat Treasurer", "session.revoke by Talgat Treasurer", "signin.ok by Marat Member"} {
		if !strings.Contains(strings.Join(saw, "\n"), s) {
			t.Fatalf("audit lacks %q:\n%s", s, strings.Join(saw, "\n"))
		}
	}
}

var secretRE = regexp.MustCompile(`<code>([A-Z2-7]{32})</code>`)

func TestWorkspaceTOTP(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("m@example.org", "Marat Member", ledger.RoleMember, "member password!")
	b := w.browser()
	b.signIn("m@example.org", "member password!")

	page := b.get("/committee/totp")
	mustStatus(t, "enrol page", page, http.StatusOK)
	m := secretRE.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, "otpauth://totp/fundledger:m@example.org?") {
		t.Fatalf("enrol page:\n%s", page.body)
	}
	code := func() string {
		c, err := totp.GenerateCode(m[1], w.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := b.post("/committee/totp", url.Values{"action": {"confirm"}, "code": {"123456"}})
	mustStatus(t, "confirm with a wrong code", a, http.StatusBadRequest)
	a = b.post("/committee/totp", url.Values{"action": {"confirm"}, "code": {code()}})
	mustStatus(t, "confirm", a, http.StatusSeeOther)
	if p := b.get("/committee/totp"); !strings.Contains(p.body, "Two-step sign-in is on") || secretRE.MatchString(p.body) {
		t.Fatalf("after enrolment the secret must not show again:\n%s", p.body)
	}
	b.post("/committee/signout", nil)

	// The password alone now leads to the code step, which grants nothing yet.
	a = b.post("/committee/signin", url.Values{"email": {"m@example.org"}, "password": {"member password!"}})
	mustStatus(t, "password step", a, http.StatusSeeOther)
	if !strings.HasPrefix(a.location(), "/committee/signin/code") {
		t.Fatalf("password step: %s", a.location())
	}
	mustStatus(t, "home between the steps", b.get("/committee"), http.StatusSeeOther)
	mustStatus(t, "code page", b.get(a.location()), http.StatusOK)
	a = b.post("/committee/signin/code", url.Values{"code": {"000000"}})
	mustStatus(t, "wrong code", a, http.StatusUnauthorized)
	if !strings.Contains(a.body, "The code is wrong") {
		t.Fatal(a.body)
	}
	w.clock.Advance(30 * time.Second) // the enrolment's code is spent
	a = b.post("/committee/signin/code", url.Values{"code": {code()}})
	mustStatus(t, "right code", a, http.StatusSeeOther)
	if a.location() != "/committee" {
		t.Fatalf("after the code: %s", a.location())
	}
	mustStatus(t, "home", b.get("/committee"), http.StatusOK)

	// The same code does not sign in a second browser.
	b2 := w.browser()
	b2.post("/committee/signin", url.Values{"email": {"m@example.org"}, "password": {"member password!"}})
	b2.get("/committee/signin/code")
	mustStatus(t, "replayed code", b2.post("/committee/signin/code", url.Values{"code": {code()}}), http.StatusUnauthorized)

	// Turning it off needs a current code too.
	b.get("/committee/totp")
	w.clock.Advance(30 * time.Second)
	mustStatus(t, "disable", b.post("/committee/totp", url.Values{"action": {"disable"}, "code": {code()}}), http.StatusSeeOther)

	log, _ := w.audit.List(context.Background(), ledger.AuditFilter{})
	var saw []string
	for _, e := range log.Entries {
		saw = append(saw, e.Action+" "+e.Details["reason"]+e.Details["second_factor"])
	}
	got := strings.Join(saw, ",")
	for _, s := range []string{"totp.enrol ", "totp.disable ", "signin.ok totp", "signin.fail wrong_code", "signin.fail code_reused"} {
		if !strings.Contains(got, s) {
			t.Fatalf("audit lacks %q: %s", s, got)
		}
	}
	for _, e := range log.Entries {
		for _, v := range e.Details {
			if strings.Contains(v, m[1]) {
				t.Fatal("the audit log holds the TOTP secret")
			}
		}
	}
}

func TestWorkspaceCSRFAndMembers(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("t@example.org", "Talgat Treasurer", ledger.RoleTreasurer, "treasurer password")
	b := w.browser()
	b.signIn("t@example.org", "treasurer password")
	b.get("/committee/members")
	add := url.Values{"action": {"add"}, "email": {"new@example.org"}, "name": {"Nurlan New"}, "role": {"observer"}}

	// Without the token, with a wrong one, or from another site: refused.
	noToken := url.Values{"csrf": {""}}
	for k, v := range add {
		noToken[k] = v
	}
	a := b.post("/committee/members", noToken)
	mustStatus(t, "no CSRF token", a, http.StatusForbidden)
	if !strings.Contains(a.body, "This form was not sent from an open page") {
		t.Fatal(a.body)
	}
	wrong := url.Values{"csrf": {"AAAA" + b.csrf[4:]}}
	for k, v := range add {
		wrong[k] = v
	}
	mustStatus(t, "wrong CSRF token", b.post("/committee/members", wrong), http.StatusForbidden)
	mustStatus(t, "cross-site", b.postFrom("/committee/members", add, "cross-site"), http.StatusForbidden)
	mustStatus(t, "sign-out from another site", b.postFrom("/committee/signout", nil, "cross-site"), http.StatusForbidden)
	if list, _ := w.members.ListMembers(context.Background()); len(list) != 1 {
		t.Fatalf("%d members after refused posts", len(list))
	}

	// With it: the member is added and the password shown once.
	a = b.post("/committee/members", add)
	mustStatus(t, "add", a, http.StatusCreated)
	pw := regexp.MustCompile(`<code>([A-Z2-7]{26})</code>`).FindStringSubmatch(a.body)
	if pw == nil || !strings.Contains(a.body, "Nurlan New (new@example.org) was added") {
		t.Fatalf("add:\n%s", a.body)
	}
	if strings.Contains(b.get("/committee/members").body, pw[1]) {
		t.Fatal("the password shows again")
	}
	a = b.post("/committee/members", add)
	mustStatus(t, "add again", a, http.StatusConflict)
	if !strings.Contains(a.body, "already exists") || !strings.Contains(a.body, `value="Nurlan New"`) {
		t.Fatalf("add again:\n%s", a.body)
	}
	// The last treasurer cannot be disabled.
	mustStatus(t, "disable the last treasurer", b.post("/committee/members", url.Values{"action": {"disable"}, "email": {"t@example.org"}}), http.StatusConflict)

	// The new observer signs in with it, changes it, and reads but cannot manage.
	ob := w.browser()
	ob.signIn("new@example.org", pw[1])
	home := ob.get("/committee")
	if !strings.Contains(home.body, "Observer") || strings.Contains(home.body, `href="/committee/members"`) {
		t.Fatalf("observer home:\n%s", home.body)
	}
	for _, p := range []string{"/committee/members"} {
		a := ob.get(p)
		mustStatus(t, "observer GET "+p, a, http.StatusForbidden)
		if !strings.Contains(a.body, "This page is for the role Treasurer and above.") || strings.Contains(a.body, "t@example.org") {
			t.Fatalf("observer GET %s:\n%s", p, a.body)
		}
	}
	mustStatus(t, "observer adds a member", ob.post("/committee/members", url.Values{"action": {"add"}, "email": {"x@example.org"}, "name": {"X"}, "role": {"treasurer"}}), http.StatusForbidden)
	mustStatus(t, "observer reads the audit log", ob.get("/committee/audit"), http.StatusOK)
	ob.get("/committee/password")
	mustStatus(t, "wrong current password", ob.post("/committee/password", url.Values{"current": {"nope"}, "new": {"observer's own passphrase"}, "repeat": {"observer's own passphrase"}}), http.StatusUnauthorized)
	mustStatus(t, "short password", ob.post("/committee/password", url.Values{"current": {pw[1]}, "new": {"short"}, "repeat": {"short"}}), http.StatusBadRequest)
	mustStatus(t, "change password", ob.post("/committee/password", url.Values{"current": {pw[1]}, "new": {"observer's own passphrase"}, "repeat": {"observer's own passphrase"}}), http.StatusOK)
	w.browser().signIn("new@example.org", "observer's own passphrase")

	// A member (the middle role) is refused the treasurer's page too.
	w.mustMember("m@example.org", "Marat Member", ledger.RoleMember, "member password!")
	mb := w.browser()
	mb.signIn("m@example.org", "member password!")
	mustStatus(t, "member GET members", mb.get("/committee/members"), http.StatusForbidden)
}

func TestWorkspaceAuditPagesAndLanguages(t *testing.T) {
	w := newWorkspace(t, false)
	w.mustMember("t@example.org", "Talgat Treasurer", ledger.RoleTreasurer, "treasurer password")
	for i := 0; i < 60; i++ {
		if err := w.audit.Record(context.Background(), &ledger.AuditEntry{MemberName: "Test", Action: "test.entry", Subject: "n:" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := w.browser()
	b.lang = "ru-RU,ru;q=0.9"
	b.signIn("t@example.org", "treasurer password")
	p1 := b.get("/committee/audit")
	mustStatus(t, "audit page 1", p1, http.StatusOK)
	older := regexp.MustCompile(`href="(/committee/audit\?before=\d+)"`).FindStringSubmatch(p1.body)
	if older == nil || !strings.Contains(p1.body, "Журнал действий") || !strings.Contains(p1.body, "signin.ok") || strings.Contains(p1.body, ">n:9<") {
		t.Fatalf("audit page 1:\n%s", p1.body)
	}
	p2 := b.get(older[1])
	if !strings.Contains(p2.body, ">n:9<") || !strings.Contains(p2.body, "member.add") || strings.Contains(p2.body, "signin.ok") {
		t.Fatalf("audit page 2:\n%s", p2.body)
	}
	mustStatus(t, "bad cursor", b.get("/committee/audit?before=x"), http.StatusBadRequest)

	// Every workspace page in every language, with no key left untranslated.
	for _, l := range []string{"en", "ru", "kk"} {
		b.lang = l
		for _, p := range []string{"/committee", "/committee/members", "/committee/sessions", "/committee/audit", "/committee/totp", "/committee/password"} {
			a := b.get(p)
			mustStatus(t, l+" "+p, a, http.StatusOK)
			if strings.Contains(strings.ReplaceAll(a.body, "/static/ws.css", ""), "ws.") || !strings.Contains(a.body, `<html lang="`+l+`">`) {
				t.Fatalf("%s %s:\n%s", l, p, a.body)
			}
		}
	}
	b.lang = "kk"
	b.get("/committee")
	if a := b.post("/committee/signout", nil); a.status != http.StatusSeeOther {
		t.Fatal(a.status)
	}
	if a := b.get("/committee/signin"); !strings.Contains(a.body, "Кіру") || strings.Contains(strings.ReplaceAll(a.body, "/static/ws.css", ""), "ws.") {
		t.Fatalf("kk sign-in:\n%s", a.body)
	}
}
