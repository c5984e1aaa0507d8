package mail

import (
	"bytes"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want Config
		pass string
	}{{
		url: "smtp://user:pass@mail.example.org:587?from=Fund%20Committee%20<fund@example.org>&starttls=require",
		want: Config{Host: "mail.example.org", Port: 587, Username: "user",
			From: netmail.Address{Name: "Fund Committee", Address: "fund@example.org"}, StartTLS: StartTLSRequire},
		pass: "pass",
	}, {
		url:  "smtp://mail.example.org?from=fund@example.org",
		want: Config{Host: "mail.example.org", Port: 587, From: netmail.Address{Address: "fund@example.org"}, StartTLS: StartTLSRequire},
	}, {
		url: "smtps://user:pass@mail.example.org?from=fund@example.org",
		want: Config{ImplicitTLS: true, Host: "mail.example.org", Port: 465, Username: "user",
			From: netmail.Address{Address: "fund@example.org"}},
		pass: "pass",
	}, {
		url: "SMTPS://mail.example.org:2465/?from=fund@example.org",
		want: Config{ImplicitTLS: true, Host: "mail.example.org", Port: 2465,
			From: netmail.Address{Address: "fund@example.org"}},
	}, {
		// Percent-encoded user name and password.
		url: "smtp://fund%40example.org:p%40ss%3Aw%2Fo%25rd%20%D0%B9@mail.example.org?from=fund@example.org",
		want: Config{Host: "mail.example.org", Port: 587, Username: "fund@example.org",
			From: netmail.Address{Address: "fund@example.org"}, StartTLS: StartTLSRequire},
		pass: "p@ss:w/o%rd й",
	}, {
		url: "smtp://user:secret@127.0.0.1:2525?from=fund@example.org&starttls=none",
		want: Config{Host: "127.0.0.1", Port: 2525, Username: "user",
			From: netmail.Address{Address: "fund@example.org"}, StartTLS: StartTLSNone},
		pass: "secret",
	}, {
		url: "smtp://[::1]:25?from=fund@example.org&starttls=opportunistic&timeout=10s&helo=app.example.org",
		want: Config{Host: "::1", Port: 25, From: netmail.Address{Address: "fund@example.org"},
			StartTLS: StartTLSOpportunistic, Timeout: 10 * time.Second, HELO: "app.example.org"},
	}, {
		// Cyrillic display name, and an RFC 2047 one.
		url: "smtp://mail.example.org?from=%D0%A4%D0%BE%D0%BD%D0%B4%20<fund@example.org>",
		want: Config{Host: "mail.example.org", Port: 587,
			From: netmail.Address{Name: "Фонд", Address: "fund@example.org"}, StartTLS: StartTLSRequire},
	}, {
		url: "smtp://mail.example.org?from=%3D%3Futf-8%3Fb%3F0KTQvtC90LQ%3D%3F%3D%20%3Cfund%40example.org%3E",
		want: Config{Host: "mail.example.org", Port: 587,
			From: netmail.Address{Name: "Фонд", Address: "fund@example.org"}, StartTLS: StartTLSRequire},
	}, {
		// '+' written as %2B.
		url: "smtp://mail.example.org?from=fund%2Breceipts@example.org",
		want: Config{Host: "mail.example.org", Port: 587,
			From: netmail.Address{Address: "fund+receipts@example.org"}, StartTLS: StartTLSRequire},
	}}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := ParseURL(tt.url)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got.password != tt.pass {
				t.Errorf("password = %q, want %q", got.password, tt.pass)
			}
			got.password = ""
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || got.Timeout != tt.want.Timeout || got.HELO != tt.want.HELO ||
				got.From != tt.want.From || got.StartTLS != tt.want.StartTLS || got.Username != tt.want.Username {
				t.Errorf("ParseURL = %#v\nwant %#v", got, tt.want)
			}
			if got.Host != tt.want.Host || got.Port != tt.want.Port || got.ImplicitTLS != tt.want.ImplicitTLS {
				t.Errorf("host/port/tls = %s %d %v, want %s %d %v", got.Host, got.Port, got.ImplicitTLS,
					tt.want.Host, tt.want.Port, tt.want.ImplicitTLS)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "s3cr3t"
	tests := []struct{ url, want string }{
		{"", "empty SMTP URL"},
		{"   ", "empty SMTP URL"},
		{"http://mail.example.org?from=fund@example.org", `unsupported scheme "http"`},
		{"//mail.example.org?from=fund@example.org", "missing scheme"},
		{"mail.example.org:587", "scheme"},
		{"smtp:mail.example.org?from=fund@example.org", "want smtp://host"},
		{"smtp://?from=fund@example.org", "missing host"},
		{"smtp://user:" + secret + "@:587?from=fund@example.org", "missing host"},
		{"smtp://mail.example.org:99999?from=fund@example.org", `bad port "99999"`},
		{"smtp://mail.example.org:0?from=fund@example.org", `bad port "0"`},
		{"smtp://mail.example.org:abc?from=fund@example.org", "invalid SMTP URL"},
		{"smtp://mail.example.org/relay?from=fund@example.org", `unexpected path "/relay"`},
		{"smtp://mail.example.org?from=fund@example.org#x", "fragment"},
		{"smtp://mail.example.org", `no "from" parameter`},
		{"smtp://user:" + secret + "@mail.example.org:587?starttls=require", `no "from" parameter`},
		{"smtp://mail.example.org?from=", `no "from" parameter`},
		{"smtp://mail.example.org?from=not-an-address", `"from" is not a valid address`},
		{"smtp://mail.example.org?from=fund+receipts@example.org", "%2B"},
		{"smtp://mail.example.org?from=fund@example.org%0D%0ABcc:%20x@example.com", "control character"},
		{"smtp://mail.example.org?from=%D1%84%D0%BE%D0%BD%D0%B4@example.org", "non-ASCII local part"},
		{"smtp://mail.example.org?from=fund@example.org&tls=yes", `unknown SMTP URL parameter "tls"`},
		{"smtp://user:" + secret + "@mail.example.org?from=fund@example.org&password=x", `unknown SMTP URL parameter "password"`},
		{"smtp://mail.example.org?from=fund@example.org&from=other@example.org", `"from" given 2 times`},
		{"smtp://mail.example.org?from=fund@example.org&starttls=maybe", `"starttls" has bad value "maybe"`},
		{"smtp://mail.example.org?from=fund@example.org&starttls=", `"starttls" has bad value ""`},
		{"smtps://mail.example.org?from=fund@example.org&starttls=none", `"starttls" does not apply to smtps://`},
		{"smtp://user:" + secret + "@mail.example.org?from=fund@example.org&starttls=none", "clear text"},
		{"smtp://user@mail.example.org?from=fund@example.org", "without a password"},
		{"smtp://user:@mail.example.org?from=fund@example.org", "without a password"},
		{"smtp://:" + secret + "@mail.example.org?from=fund@example.org", "password given without a user name"},
		{"smtp://user:" + secret + "%zz@mail.example.org?from=fund@example.org", "percent-encoding"},
		{"smtp://user:" + secret + "%0A@mail.example.org?from=fund@example.org", "control character"},
		{"smtp://mail.example.org?from=fund@example.org&timeout=-1s", `"timeout" has bad value "-1s"`},
		{"smtp://mail.example.org?from=fund@example.org&timeout=soon", `"timeout" has bad value "soon"`},
		{"smtp://mail.example.org?from=fund@example.org&helo=a%20b", `"helo" has bad value`},
		{"smtp://mail.example.org?from=fund@example.org&%zz", "invalid SMTP URL query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := ParseURL(tt.url)
			if err == nil {
				t.Fatalf("ParseURL(%q) succeeded, want error containing %q", tt.url, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseURL(%q) error = %q, want it to contain %q", tt.url, err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestConfigStringMasksPassword(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	raw := "smtp://user:" + secret + "@mail.example.org:587?from=Fund%20Committee%20<fund@example.org>&starttls=require"
	c, err := ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := "smtp://user:xxxxx@mail.example.org:587?from=%22Fund%20Committee%22%20%3Cfund%40example.org%3E&starttls=require"
	if got := c.String(); got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}

	// However it is printed or logged, the password stays hidden.
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "smtp", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "smtp", c)
	for _, s := range []string{
		c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%v", &c), logged.String(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("password leaked: %s", s)
		}
		if !strings.Contains(s, "xxxxx") {
			t.Errorf("no mask in %s", s)
		}
	}

	// String round-trips through ParseURL, except for the password.
	back, err := ParseURL(c.String())
	if err != nil {
		t.Fatalf("ParseURL(String()): %v", err)
	}
	if back.password != "xxxxx" {
		t.Errorf("password after round trip = %q", back.password)
	}
	back.password = c.password
	if back.String() != c.String() || back.From != c.From || back.StartTLS != c.StartTLS {
		t.Errorf("round trip: %v != %v", back, c)
	}

	for _, raw := range []string{
		"smtps://mail.example.org?from=%D0%A4%D0%BE%D0%BD%D0%B4%20<fund@example.org>",
		"smtp://u%40x:p@127.0.0.1:2525?from=fund@example.org&starttls=none&timeout=1m30s&helo=app.example.org",
		"smtp://[::1]?from=fund@example.org&starttls=opportunistic",
	} {
		c, err := ParseURL(raw)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", raw, err)
		}
		back, err := ParseURL(c.String())
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", c.String(), err)
		}
		if back.String() != c.String() || back.From != c.From || back.Timeout != c.Timeout || back.HELO != c.HELO ||
			back.Username != c.Username || back.Host != c.Host || back.Port != c.Port {
			t.Errorf("round trip of %q: %v != %v", raw, back, c)
		}
		if c.password != "" && !strings.Contains(c.String(), ":xxxxx@") {
			t.Errorf("String() = %q, want a masked password", c.String())
		}
	}
}
