package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TLSPolicy says whether a plain smtp:// connection is upgraded with
// STARTTLS. It does not apply to smtps://, which is TLS from the first byte.
type TLSPolicy string

const (
	// StartTLSRequire upgrades the connection with STARTTLS and fails when
	// the server does not offer it. This is the default and the only
	// acceptable policy for smtp:// in production (or use smtps://).
	StartTLSRequire TLSPolicy = "require"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// goes on in clear text otherwise. It is open to downgrade attacks.
	StartTLSOpportunistic TLSPolicy = "opportunistic"
	// StartTLSNone never upgrades. Meant for a test server or a relay on
	// the loopback interface: ParseURL refuses it together with a
	// user/password for any other host, because the credentials would
	// travel in clear text.
	StartTLSNone TLSPolicy = "none"
)

const (
	// DefaultSubmissionPort is used for smtp:// URLs without a port.
	DefaultSubmissionPort = 587
	// DefaultSMTPSPort is used for smtps:// URLs without a port.
	DefaultSMTPSPort = 465
	// DefaultTimeout bounds one whole Send (dial, TLS, AUTH, transfer)
	// unless the URL has a timeout parameter.
	DefaultTimeout = 30 * time.Second
)

// maskedPassword replaces the password in String.
const maskedPassword = "xxxxx"

// Config says how to reach the mail submission server. It is parsed from
// one URL (FUNDLEDGER_SMTP_URL) by ParseURL:
//
//	smtp://user:pass@host:587?from=Fund%20Committee%20<fund@example.org>&starttls=require
//	smtps://user:pass@host:465?from=fund@example.org
//
// Query parameters:
//
//	from      required; the From header and envelope sender, an RFC 5322
//	          address with an optional display name (percent-encode spaces
//	          as %20 and a literal '+' as %2B: in a query '+' is a space)
//	starttls  smtp:// only: require (default) | opportunistic | none
//	timeout   optional Go duration bounding one Send, default 30s
//	helo      optional name sent with EHLO, default the host name when it
//	          is fully qualified, else "localhost"
//
// The user name and password may be percent-encoded. The password is kept
// unexported and never printed: String, GoString and LogValue mask it.
type Config struct {
	// ImplicitTLS is true for smtps:// (TLS from the first byte).
	ImplicitTLS bool
	// Host is the server's host name or IP address, without brackets.
	Host string
	// Port is the server's TCP port.
	Port int
	// Username enables AUTH (PLAIN, or LOGIN when PLAIN is not offered)
	// when not empty.
	Username string
	password string
	// From is the sender: From header and envelope sender (MAIL FROM).
	From netmail.Address
	// StartTLS is the STARTTLS policy for smtp:// URLs; empty for smtps://.
	StartTLS TLSPolicy
	// Timeout bounds one Send; DefaultTimeout when zero.
	Timeout time.Duration
	// HELO is the name sent with EHLO; a default is chosen when empty.
	HELO string
	// TLSConfig, when set, is used (cloned) for STARTTLS and smtps, e.g. to
	// trust a private CA in tests. It cannot be given in the URL. When its
	// ServerName is empty, Host is used.
	TLSConfig *tls.Config
}

var knownParams = []string{"from", "helo", "starttls", "timeout"}

// ParseURL parses an SMTP URL (see Config). Errors never contain the
// password.
func ParseURL(s string) (Config, error) {
	var c Config
	if strings.TrimSpace(s) == "" {
		return c, errors.New("mail: empty SMTP URL (set FUNDLEDGER_SMTP_URL, e.g. smtp://user:pass@host:587?from=fund@example.org)")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the whole URL, and an EscapeError the bad
		// escape, which may be part of the password: keep neither.
		var escErr url.EscapeError
		if errors.As(err, &escErr) {
			return c, errors.New("mail: invalid SMTP URL: bad percent-encoding (in the user name, password or host?)")
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return c, fmt.Errorf("mail: invalid SMTP URL: %v", err)
	}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		c.ImplicitTLS = true
	case "":
		return c, errors.New("mail: invalid SMTP URL: missing scheme (want smtp:// or smtps://)")
	default:
		return c, fmt.Errorf("mail: invalid SMTP URL: unsupported scheme %q (want smtp or smtps)", u.Scheme)
	}
	if u.Opaque != "" {
		return c, errors.New("mail: invalid SMTP URL: want smtp://host or smtps://host")
	}
	if u.Path != "" && u.Path != "/" {
		return c, fmt.Errorf("mail: invalid SMTP URL: unexpected path %q", u.Path)
	}
	if u.Fragment != "" {
		return c, errors.New("mail: invalid SMTP URL: unexpected fragment (#...)")
	}

	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("mail: invalid SMTP URL: missing host")
	}
	if strings.ContainsAny(c.Host, " \t\r\n") {
		return c, errors.New("mail: invalid SMTP URL: bad host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("mail: invalid SMTP URL: bad port %q", p)
		}
		c.Port = n
	} else if c.ImplicitTLS {
		c.Port = DefaultSMTPSPort
	} else {
		c.Port = DefaultSubmissionPort
	}

	if u.User != nil {
		c.Username = u.User.Username()
		pass, hasPass := u.User.Password()
		c.password = pass
		switch {
		case c.Username == "" && pass != "":
			return c, errors.New("mail: invalid SMTP URL: password given without a user name")
		case c.Username != "" && (!hasPass || pass == ""):
			return c, errors.New("mail: invalid SMTP URL: user name given without a password")
		}
		if hasControl(c.Username) || hasControl(pass) {
			return c, errors.New("mail: invalid SMTP URL: control character in user name or password")
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("mail: invalid SMTP URL query: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(knownParams, k) {
			return c, fmt.Errorf("mail: unknown SMTP URL parameter %q (known: %s)", k, strings.Join(knownParams, ", "))
		}
		if len(q[k]) > 1 {
			return c, fmt.Errorf("mail: SMTP URL parameter %q given %d times", k, len(q[k]))
		}
	}

	from := q.Get("from")
	if !q.Has("from") || strings.TrimSpace(from) == "" {
		return c, errors.New(`mail: SMTP URL has no "from" parameter (the sender address), e.g. ?from=Fund%20Committee%20<fund@example.org>`)
	}
	if hasControl(from) {
		return c, errors.New(`mail: SMTP URL parameter "from" contains a control character`)
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		hint := ""
		if strings.Contains(u.RawQuery, "+") {
			hint = " ('+' in a URL query means a space: write %2B for a literal plus)"
		}
		return c, fmt.Errorf("mail: SMTP URL parameter \"from\" is not a valid address: %v%s", err, hint)
	}
	if _, err := asciiAddress(addr.Address); err != nil {
		return c, fmt.Errorf("mail: SMTP URL parameter \"from\": %v", err)
	}
	c.From = *addr

	if c.ImplicitTLS {
		if q.Has("starttls") {
			return c, errors.New(`mail: SMTP URL parameter "starttls" does not apply to smtps:// (TLS from the first byte); drop it, or use smtp:// with starttls=require`)
		}
	} else {
		switch p := TLSPolicy(q.Get("starttls")); {
		case !q.Has("starttls"):
			c.StartTLS = StartTLSRequire
		case p == StartTLSRequire || p == StartTLSOpportunistic || p == StartTLSNone:
			c.StartTLS = p
		default:
			return c, fmt.Errorf("mail: SMTP URL parameter \"starttls\" has bad value %q (want require, opportunistic or none)", string(p))
		}
		if c.StartTLS == StartTLSNone && c.Username != "" && !isLoopback(c.Host) {
			return c, fmt.Errorf("mail: SMTP URL: starttls=none with a user name would send the password in clear text to %s; use starttls=require or smtps:// (starttls=none is only allowed for localhost)", c.Host)
		}
	}

	if q.Has("timeout") {
		d, err := time.ParseDuration(q.Get("timeout"))
		if err != nil || d <= 0 {
			return c, fmt.Errorf("mail: SMTP URL parameter \"timeout\" has bad value %q (want a positive Go duration such as 30s)", q.Get("timeout"))
		}
		c.Timeout = d
	}
	if q.Has("helo") {
		h := q.Get("helo")
		if h == "" || strings.ContainsAny(h, " \t\r\n") || hasControl(h) {
			return c, fmt.Errorf("mail: SMTP URL parameter \"helo\" has bad value %q", h)
		}
		c.HELO = h
	}
	return c, nil
}

// String returns the configuration as a URL that ParseURL accepts, with the
// password replaced by xxxxx.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, maskedPassword)
	}
	var q []string
	if c.From.Address != "" {
		q = append(q, "from="+queryEscape(c.From.String()))
	}
	if !c.ImplicitTLS && c.StartTLS != "" {
		q = append(q, "starttls="+queryEscape(string(c.StartTLS)))
	}
	if c.Timeout != 0 {
		q = append(q, "timeout="+queryEscape(c.Timeout.String()))
	}
	if c.HELO != "" {
		q = append(q, "helo="+queryEscape(c.HELO))
	}
	u.RawQuery = strings.Join(q, "&")
	return u.String()
}

// GoString masks the password in %#v output too.
func (c Config) GoString() string { return "mail.Config(" + c.String() + ")" }

// LogValue makes slog (any handler, JSON included) print the masked URL.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c Config) helo() string {
	if c.HELO != "" {
		return c.HELO
	}
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && !strings.ContainsAny(h, " \t\r\n") {
		return h
	}
	return "localhost"
}

// queryEscape escapes a query value with %20 for spaces, which reads better
// than '+' and means the same to ParseURL.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// isLoopback matches the hosts to which net/smtp's PlainAuth sends
// credentials without TLS; LOGIN follows the same rule.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
