package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
)

// withStdin runs fn with the given standard input for "member add".
func withStdin(t *testing.T, in string, fn func()) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	fn()
}

// signIn signs in to the committee's workspace over HTTP and returns the
// client holding the session cookie and the answer to the form.
func signIn(t *testing.T, base, email, pw string) (*http.Client, *http.Response) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/committee/signin", url.Values{"email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return c, res
}

func page(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestMemberCommandsThenSignIn(t *testing.T) {
	getenv := env(map[string]string{"DATABASE_URL": pgtest.NewURL(t), "FUNDLEDGER_SECRET_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})

	// A password on standard input.
	var out string
	var err error
	withStdin(t, "correct horse battery staple\n", func() {
		out, err = runCmd(t, getenv, "member", "add", "--email", "Aigul@Example.org", "--name", "Aigul Serikova", "--role", "treasurer")
	})
	if err != nil || !strings.Contains(out, "Added treasurer Aigul Serikova <aigul@example.org>") || strings.Contains(out, "correct horse") {
		t.Fatalf("member add: %v\n%s", err, out)
	}
	// No password: one is generated and printed once, on the last line.
	withStdin(t, "", func() {
		out, err = runCmd(t, getenv, "member", "add", "--email", "marat@example.org", "--name", "Marat", "--role", "member")
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	generated := lines[len(lines)-1]
	if err != nil || len(generated) != 26 || !strings.Contains(out, "shown only this once") {
		t.Fatalf("member add with a generated password: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"member", "add", "--email", "AIGUL@example.org", "--name", "Again", "--role", "observer"},
		{"member", "add", "--email", "x@example.org", "--name", "X", "--role", "admin"},
		{"member", "add", "--name", "X", "--role", "observer"},
		{"member", "disable", "--email", "nobody@example.org"},
		{"member", "disable", "--email", "aigul@example.org"}, // the last treasurer
		{"member", "frobnicate"},
	} {
		withStdin(t, "a long enough password\n", func() { _, err = runCmd(t, getenv, bad...) })
		if err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	withStdin(t, "short\n", func() {
		_, err = runCmd(t, getenv, "member", "add", "--email", "y@example.org", "--name", "Y", "--role", "observer")
	})
	if err == nil || !strings.Contains(errorText(err), "at least 12") {
		t.Fatalf("short password: %v", err)
	}
	out, err = runCmd(t, getenv, "member", "list")
	if err != nil || !strings.Contains(out, "aigul@example.org") || !strings.Contains(out, "marat@example.org") || !strings.Contains(out, "member") {
		t.Fatalf("member list: %v\n%s", err, out)
	}

	base := startServe(t, getenv)
	tc, res := signIn(t, base, "aigul@example.org", "correct horse battery staple")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/committee" {
		t.Fatalf("treasurer sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if code, body := page(t, tc, base+"/committee"); code != 200 || !strings.Contains(body, "Aigul Serikova") {
		t.Fatalf("home: %d\n%s", code, body)
	}
	mc, res := signIn(t, base, "marat@example.org", generated)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("member sign-in with the generated password: %d", res.StatusCode)
	}
	if code, _ := page(t, mc, base+"/committee"); code != 200 {
		t.Fatalf("member home: %d", code)
	}
	if code, body := page(t, mc, base+"/committee/totp"); code != 200 || !strings.Contains(body, "otpauth://totp/") {
		t.Fatalf("with FUNDLEDGER_SECRET_KEY set, two-step sign-in can be turned on: %d\n%s", code, body)
	}

	// Disabling from the command line ends the member's session at once.
	out, err = runCmd(t, getenv, "member", "disable", "--email", "MARAT@example.org")
	if err != nil || !strings.Contains(out, "Disabled Marat") {
		t.Fatalf("member disable: %v\n%s", err, out)
	}
	if code, _ := page(t, mc, base+"/committee"); code != http.StatusSeeOther {
		t.Fatalf("a disabled member's session still works: %d", code)
	}
	_, body := page(t, tc, base+"/committee/audit")
	for _, s := range []string{"member.add", "member.disable", "command line", "signin.ok"} {
		if !strings.Contains(body, s) {
			t.Fatalf("audit page lacks %q:\n%s", s, body)
		}
	}
}

func TestServeRefusesABadSecretKey(t *testing.T) {
	getenv := env(map[string]string{"DATABASE_URL": pgtest.NewURL(t), "FUNDLEDGER_SECRET_KEY": "too short"})
	var stdout, stderr syncBuffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, getenv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "FUNDLEDGER_SECRET_KEY") {
		t.Fatalf("serve with a bad key: %v", err)
	}
}
