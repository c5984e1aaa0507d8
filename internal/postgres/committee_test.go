package postgres_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
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

// committee is a fresh database with the committee's services on a clock
// the test moves.
type committee struct {
	db       *postgres.DB
	clock    *clock
	members  *postgres.MemberService
	sessions *postgres.SessionService
	audit    *postgres.AuditService
}

// cheap keeps the tests quick under the race detector; one test uses the default.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func mustCommittee(tb testing.TB) *committee {
	tb.Helper()
	db := pgtest.NewDB(tb)
	clk := &clock{t: time.Date(2011, 12, 16, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	box, err := secret.New(bytes.Repeat([]byte{42}, secret.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	c := &committee{db: db, clock: clk, members: postgres.NewMemberService(db, box),
		sessions: postgres.NewSessionService(db), audit: postgres.NewAuditService(db)}
	c.members.Params = cheap
	return c
}

func (c *committee) mustMember(tb testing.TB, email, name string, role ledger.Role, pw string) *ledger.Member {
	tb.Helper()
	m := &ledger.Member{Email: email, Name: name, Role: role}
	if err := c.members.AddMember(ctx, ledger.CommandLine, m, pw); err != nil {
		tb.Fatalf("add member %s: %v", email, err)
	}
	return m
}

// mustAudit returns the audit log, oldest first.
func (c *committee) mustAudit(tb testing.TB) []ledger.AuditEntry {
	tb.Helper()
	p, err := c.audit.List(ctx, ledger.AuditFilter{Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	var out []ledger.AuditEntry
	for i := len(p.Entries) - 1; i >= 0; i-- {
		out = append(out, p.Entries[i])
	}
	return out
}

func TestMembersAndPasswords(t *testing.T) {
	c := mustCommittee(t)
	c.members.Params = password.Default // the real cost, once
	m := c.mustMember(t, " Aigul@Example.ORG ", "Aigul Serikova", ledger.RoleTreasurer, "Zhanaozen-2011-solidarity")
	if m.Email != "aigul@example.org" || m.ID == 0 {
		t.Fatalf("member %+v", m)
	}
	var stored string
	if err := c.db.Pool.QueryRow(ctx, `select password_hash from committee_members where id = $1`, m.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(stored, "Zhanaozen") {
		t.Fatalf("stored hash %q", stored)
	}

	// Emails are unique whatever their case.
	err := c.members.AddMember(ctx, ledger.CommandLine, &ledger.Member{Email: "AIGUL@example.org", Name: "Other", Role: ledger.RoleObserver}, "another long password")
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("duplicate email: %v", err)
	}
	for _, bad := range []struct {
		m  ledger.Member
		pw string
	}{
		{ledger.Member{Email: "not an email", Name: "X", Role: ledger.RoleMember}, "long enough password"},
		{ledger.Member{Email: "x@example.org", Name: "", Role: ledger.RoleMember}, "long enough password"},
		{ledger.Member{Email: "x@example.org", Name: "X", Role: "admin"}, "long enough password"},
		{ledger.Member{Email: "x@example.org", Name: "X", Role: ledger.RoleMember}, "short"},
	} {
		if err := c.members.AddMember(ctx, ledger.CommandLine, &bad.m, bad.pw); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("add %+v: %v", bad.m, err)
		}
	}

	got, err := c.members.CheckPassword(ctx, "AIGUL@example.org", "Zhanaozen-2011-solidarity")
	if err != nil || got.ID != m.ID || got.Role != ledger.RoleTreasurer {
		t.Fatalf("right password: %+v %v", got, err)
	}
	c.members.Params = cheap
	c.mustMember(t, "second@example.org", "Second Treasurer", ledger.RoleTreasurer, "second treasurer pw")
	if _, err := c.members.DisableMember(ctx, ledger.ActorOf(m), "second@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, try := range []struct{ email, pw string }{
		{"aigul@example.org", "wrong password here"},
		{"nobody@example.org", "Zhanaozen-2011-solidarity"},
		{"second@example.org", "second treasurer pw"}, // disabled
	} {
		_, err := c.members.CheckPassword(ctx, try.email, try.pw)
		if ledger.ErrorCode(err) != ledger.EUNAUTHORIZED || ledger.ErrorMessage(err) != "email or password is wrong" {
			t.Errorf("%s: %v", try.email, err)
		}
	}

	// The only active treasurer cannot be disabled.
	if _, err := c.members.DisableMember(ctx, ledger.CommandLine, "aigul@example.org"); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("disable the last treasurer: %v", err)
	}

	var actions []string
	for _, e := range c.mustAudit(t) {
		actions = append(actions, e.Action+" "+e.MemberName+" "+e.Subject+" "+e.Details["reason"])
		if strings.Contains(e.Subject+e.MemberName, "@") {
			t.Errorf("audit entry %+v carries an email", e)
		}
		for k, v := range e.Details {
			if strings.Contains(v, "@") || strings.Contains(v, "treasurer pw") || strings.Contains(v, "Zhanaozen-2011") {
				t.Errorf("audit entry %d detail %s=%q", e.ID, k, v)
			}
		}
	}
	want := []string{
		"member.add command line member:1 ",
		"member.add command line member:3 ", // 2 was the refused duplicate: identities are not reused
		"member.disable Aigul Serikova member:3 ",
		"signin.fail Aigul Serikova member:1 wrong_password",
		"signin.fail   unknown_email",
		"signin.fail Second Treasurer member:3 disabled",
	}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	c := mustCommittee(t)
	e := &ledger.AuditEntry{MemberName: "command line", Action: "member.add", Subject: "member:9", Details: map[string]string{"name": "Test"}}
	if err := c.audit.Record(ctx, e); err != nil || e.ID == 0 || !e.At.Equal(c.clock.Now()) {
		t.Fatalf("record: %+v %v", e, err)
	}
	for _, sql := range []string{
		`update audit_log set member_name = 'someone else'`,
		`update audit_log set details = '{}' where id = 1`,
		`delete from audit_log`,
		`truncate audit_log`,
	} {
		if _, err := c.db.Pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	if err := c.audit.Record(ctx, &ledger.AuditEntry{Action: "Drop Table"}); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("bad action: %v", err)
	}
	// Keyset pages, newest first.
	for i := 0; i < 4; i++ {
		if err := c.audit.Record(ctx, &ledger.AuditEntry{Action: "test.page", Subject: "n:" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	p1, err := c.audit.List(ctx, ledger.AuditFilter{Limit: 3})
	if err != nil || len(p1.Entries) != 3 || p1.Entries[0].Subject != "n:d" || p1.Older != p1.Entries[2].ID {
		t.Fatalf("page 1: %+v %v", p1, err)
	}
	p2, err := c.audit.List(ctx, ledger.AuditFilter{Limit: 3, Before: p1.Older})
	if err != nil || len(p2.Entries) != 2 || p2.Entries[1].Subject != "member:9" || p2.Entries[1].Details["name"] != "Test" || p2.Older != 0 {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
}

func TestSessionExpiry(t *testing.T) {
	c := mustCommittee(t)
	m := c.mustMember(t, "observer@example.org", "Olga Observer", ledger.RoleObserver, "observer password")

	// Idle: two hours without a request end a session.
	idle, _, err := c.sessions.CreateSession(ctx, m, "Firefox", false)
	if err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(ledger.SessionIdle - time.Minute)
	s, err := c.sessions.FindSession(ctx, idle)
	if err != nil || s.Member.ID != m.ID || !s.ExpiresAt.Equal(c.clock.Now().Add(ledger.SessionIdle)) {
		t.Fatalf("session in use: %+v %v", s, err)
	}
	c.clock.Advance(ledger.SessionIdle)
	if _, err := c.sessions.FindSession(ctx, idle); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("idle session still live: %v", err)
	}

	// Absolute: twelve hours after sign-in, however busy.
	busy, created, err := c.sessions.CreateSession(ctx, m, "Firefox", false)
	if err != nil {
		t.Fatal(err)
	}
	for c.clock.Now().Before(created.CreatedAt.Add(ledger.SessionAbsolute - time.Hour)) {
		c.clock.Advance(time.Hour)
		if _, err := c.sessions.FindSession(ctx, busy); err != nil {
			t.Fatalf("busy session ended early at %s: %v", c.clock.Now(), err)
		}
	}
	c.clock.Advance(time.Hour)
	if _, err := c.sessions.FindSession(ctx, busy); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("session outlived its absolute expiry: %v", err)
	}

	// Sign-out and a malformed secret.
	s1, _, _ := c.sessions.CreateSession(ctx, m, "", false)
	if err := c.sessions.EndSession(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.sessions.FindSession(ctx, s1); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("signed out session: %v", err)
	}
	if _, err := c.sessions.FindSession(ctx, "x"); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatal(err)
	}
	// Only hashes are stored.
	var n int
	if err := c.db.Pool.QueryRow(ctx, `select count(*) from committee_sessions where position($1::bytea in token_hash) > 0`, []byte(s1)).Scan(&n); err != nil || n != 0 {
		t.Fatal(n, err)
	}
}

func TestRevokeAndDisableEndSessions(t *testing.T) {
	c := mustCommittee(t)
	tr := c.mustMember(t, "t@example.org", "Talgat Treasurer", ledger.RoleTreasurer, "treasurer password")
	mm := c.mustMember(t, "m@example.org", "Marat Member", ledger.RoleMember, "member password!")
	ts, _, _ := c.sessions.CreateSession(ctx, tr, "", false)
	ms1, s1, _ := c.sessions.CreateSession(ctx, mm, "phone", false)
	ms2, _, _ := c.sessions.CreateSession(ctx, mm, "laptop", false)

	all, err := c.sessions.ListSessions(ctx, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("all sessions: %d %v", len(all), err)
	}
	own, _ := c.sessions.ListSessions(ctx, mm.ID)
	if len(own) != 2 {
		t.Fatalf("own sessions: %d", len(own))
	}
	// A member cannot end another's session; a treasurer can.
	tsess, _ := c.sessions.FindSession(ctx, ts)
	if err := c.sessions.RevokeSession(ctx, ledger.ActorOf(mm), tsess.ID, false); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("member revokes treasurer's session: %v", err)
	}
	if err := c.sessions.RevokeSession(ctx, ledger.ActorOf(tr), s1.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.sessions.FindSession(ctx, ms1); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("revoked session: %v", err)
	}
	if _, err := c.sessions.FindSession(ctx, ms2); err != nil {
		t.Fatalf("the other session must live: %v", err)
	}
	if _, err := c.members.DisableMember(ctx, ledger.ActorOf(tr), "m@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.sessions.FindSession(ctx, ms2); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("a disabled member's session: %v", err)
	}
	log := c.mustAudit(t)
	last := log[len(log)-2:]
	if last[0].Action != "session.revoke" || last[0].MemberName != "Talgat Treasurer" || last[0].Details["member"] != "Marat Member" ||
		last[1].Action != "member.disable" || last[1].Details["sessions_ended"] != "1" {
		t.Fatalf("audit: %+v", last)
	}
}

func TestTOTP(t *testing.T) {
	c := mustCommittee(t)
	m := c.mustMember(t, "two@example.org", "Two Factor", ledger.RoleMember, "member password!")
	en, err := c.members.BeginTOTP(ctx, m.ID)
	if err != nil || !strings.HasPrefix(en.URL, "otpauth://totp/fundledger:two@example.org?") || len(en.Secret) != 32 {
		t.Fatalf("begin: %+v %v", en, err)
	}
	again, _ := c.members.BeginTOTP(ctx, m.ID)
	if again.Secret != en.Secret {
		t.Fatal("reopening the page must show the same pending secret")
	}
	code := func(at time.Time) string {
		s, err := totp.GenerateCode(en.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := c.members.ConfirmTOTP(ctx, m.ID, "000000"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("wrong confirming code: %v", err)
	}
	if err := c.members.ConfirmTOTP(ctx, m.ID, code(c.clock.Now())); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := c.db.Pool.QueryRow(ctx, `select totp_secret from committee_members where id = $1`, m.ID).Scan(&sealed); err != nil ||
		bytes.Contains(sealed, []byte(en.Secret)) {
		t.Fatalf("stored secret %x %v", sealed, err)
	}
	got, _ := c.members.FindMember(ctx, m.ID)
	if !got.TOTP {
		t.Fatal("enrolled member has no TOTP")
	}
	// The code that confirmed cannot sign in again; the next one can, once.
	if err := c.members.CheckTOTP(ctx, m.ID, code(c.clock.Now())); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("replayed code: %v", err)
	}
	c.clock.Advance(30 * time.Second)
	next := code(c.clock.Now())
	if err := c.members.CheckTOTP(ctx, m.ID, next[:3]+" "+next[3:]); err != nil {
		t.Fatalf("valid code: %v", err)
	}
	if err := c.members.CheckTOTP(ctx, m.ID, next); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("replayed code: %v", err)
	}
	c.clock.Advance(5 * time.Minute)
	if err := c.members.CheckTOTP(ctx, m.ID, next); ledger.ErrorCode(err) != ledger.EUNAUTHORIZED {
		t.Fatalf("stale code: %v", err)
	}
	// A box with another key cannot open the secret.
	other, _ := secret.New(bytes.Repeat([]byte{1}, secret.KeySize))
	if err := postgres.NewMemberService(c.db, other).CheckTOTP(ctx, m.ID, code(c.clock.Now())); ledger.ErrorCode(err) != ledger.EINTERNAL {
		t.Fatalf("wrong key: %v", err)
	}
	if err := postgres.NewMemberService(c.db, nil).CheckTOTP(ctx, m.ID, code(c.clock.Now())); ledger.ErrorCode(err) != ledger.EUNAVAILABLE {
		t.Fatalf("no key: %v", err)
	}
	c.clock.Advance(30 * time.Second)
	if err := c.members.DisableTOTP(ctx, m.ID, code(c.clock.Now())); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range c.mustAudit(t) {
		actions = append(actions, e.Action+" "+e.Details["reason"])
	}
	want := "member.add |totp.enrol |signin.fail code_reused|signin.fail code_reused|signin.fail wrong_code|totp.disable "
	if strings.Join(actions, "|") != want {
		t.Fatalf("audit: %s", strings.Join(actions, "|"))
	}
}
