// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// the loopback interface for tests: it accepts any AUTH PLAIN (or LOGIN)
// user name and password, records every message it accepts, decodes it
// (headers, RFC 2047 subject, quoted-printable/base64 text and HTML
// parts), and can be told to fail the next command with a given SMTP code.
//
//	srv := mailtest.Start(t)
//	cfg, err := mail.ParseURL(srv.URL())
//	... code under test sends through mail.NewSender(cfg, nil) ...
//	got := srv.Wait(t, 1, 5*time.Second)
//	if got[0].Subject != want { ... }
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	fundmail "github.com/fundledger/fundledger/internal/mail"
)

// The credentials and sender that URL puts in the SMTP URL. The server
// accepts any credentials; these are just what URL uses.
const (
	User        = "user"
	Password    = "secret"
	FromName    = "Fund Committee"
	FromAddress = "fund@example.org"
)

// Options changes what StartWith's server offers. The zero value is Start's
// server: plain text, AUTH PLAIN.
type Options struct {
	// StartTLS makes the server offer STARTTLS with a self-signed
	// certificate for 127.0.0.1; URL then says starttls=require, and the
	// client must trust ClientTLSConfig.
	StartTLS bool
	// ImplicitTLS makes the server speak TLS from the first byte; URL then
	// is smtps://.
	ImplicitTLS bool
	// AuthMechanisms lists the AUTH mechanisms offered, among "PLAIN" and
	// "LOGIN"; the default is PLAIN only. An empty non-nil slice offers no
	// AUTH at all.
	AuthMechanisms []string
}

// Server is a running test SMTP server.
type Server struct {
	opts      Options
	srv       *smtp.Server
	addr      string
	clientTLS *tls.Config

	mu      sync.Mutex
	msgs    []Received
	changed chan struct{} // closed and replaced when msgs grows
	fail    *smtp.SMTPError
	conns   int
	closed  bool
}

// Received is one message the server accepted.
type Received struct {
	// User is the name the client authenticated with; empty without AUTH.
	User string
	// From and To are the envelope sender (MAIL FROM) and recipients
	// (RCPT TO).
	From string
	To   []string
	// Data is the message as received (CRLF line endings, dot-stuffing
	// removed).
	Data []byte
	// Header is the parsed header.
	Header mail.Header
	// Subject is the decoded (RFC 2047) subject.
	Subject string
	// Text and HTML are the decoded text/plain and text/html bodies (the
	// first of each in a multipart message), with CRLF turned into "\n".
	Text string
	HTML string
	// Err is set when the message could not be parsed or decoded (a bad
	// header, an unknown transfer encoding or charset, ...); the fields
	// above are then partial. Tests should check it.
	Err error
}

// Start starts a plain-text server with AUTH PLAIN on 127.0.0.1 at a random
// port. It stops at tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// StartWith starts a server with the given options. It stops at tb.Cleanup.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.StartTLS && opts.ImplicitTLS {
		tb.Fatal("mailtest: StartTLS and ImplicitTLS exclude each other")
	}
	if opts.AuthMechanisms == nil {
		opts.AuthMechanisms = []string{sasl.Plain}
	}
	for _, m := range opts.AuthMechanisms {
		if m != sasl.Plain && m != sasl.Login {
			tb.Fatalf("mailtest: unsupported AUTH mechanism %q (want PLAIN or LOGIN)", m)
		}
	}
	s := &Server{opts: opts, changed: make(chan struct{})}

	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &session{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = &tbLogger{s: s, tb: tb}

	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	if opts.StartTLS || opts.ImplicitTLS {
		serverTLS, clientTLS, err := selfSigned()
		if err != nil {
			_ = l.Close()
			tb.Fatalf("mailtest: certificate: %v", err)
		}
		s.clientTLS = clientTLS
		if opts.ImplicitTLS {
			l = tls.NewListener(l, serverTLS)
		} else {
			s.srv.TLSConfig = serverTLS
		}
	}
	s.addr = l.Addr().String()

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	tb.Cleanup(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		_ = s.srv.Close()
		// go-smtp's Close misses a listener whose Serve has not started
		// yet: close it here too.
		_ = l.Close()
		<-done
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL returns an SMTP URL for this server that mail.ParseURL accepts:
// smtp://user:secret@127.0.0.1:PORT?from=...&starttls=none, with
// starttls=require for a StartTLS server and smtps:// for an ImplicitTLS one.
func (s *Server) URL() string {
	u := url.URL{
		Scheme: "smtp",
		User:   url.UserPassword(User, Password),
		Host:   s.addr,
	}
	from := (&mail.Address{Name: FromName, Address: FromAddress}).String()
	q := "from=" + strings.ReplaceAll(url.QueryEscape(from), "+", "%20")
	switch {
	case s.opts.ImplicitTLS:
		u.Scheme = "smtps"
	case s.opts.StartTLS:
		q += "&starttls=require"
	default:
		q += "&starttls=none"
	}
	u.RawQuery = q
	return u.String()
}

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate (for mail.Config.TLSConfig), or nil for a plain-text server.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Config returns mail.ParseURL(s.URL()) with TLSConfig set to
// ClientTLSConfig.
func (s *Server) Config(tb testing.TB) fundmail.Config {
	tb.Helper()
	c, err := fundmail.ParseURL(s.URL())
	if err != nil {
		tb.Fatalf("mailtest: ParseURL(%q): %v", s.URL(), err)
	}
	c.TLSConfig = s.ClientTLSConfig()
	return c
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Connections returns how many SMTP sessions clients have opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Wait waits until at least n messages have arrived and returns them all;
// it fails the test (tb.Fatalf) when they have not within timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Received {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := slices.Clone(s.msgs)
			s.mu.Unlock()
			return msgs
		}
		changed, got := s.changed, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("mailtest: got %d message(s) within %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// FailNext makes the next MAIL, RCPT or DATA command, whichever comes
// first, fail with code and msg (e.g. 421 or 451 for a temporary failure,
// 550 for a permanent one). A DATA failure is replied after the message
// was transferred, and the message is not recorded.
func (s *Server) FailNext(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
}

func (s *Server) takeFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fail
	s.fail = nil
	if f == nil {
		return nil
	}
	return f
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP connection; go-smtp calls its methods in turn.
type session struct {
	s    *Server
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (x *session) AuthMechanisms() []string { return x.s.opts.AuthMechanisms }

func (x *session) Auth(mech string) (sasl.Server, error) {
	if !slices.Contains(x.s.opts.AuthMechanisms, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, username, _ string) error {
			x.user = username
			return nil
		}), nil
	case sasl.Login:
		return &loginServer{done: func(username, _ string) error {
			x.user = username
			return nil
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := x.s.takeFailure(); err != nil {
		return err
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := x.s.takeFailure(); err != nil {
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := x.s.takeFailure(); err != nil {
		return err
	}
	rec := Received{User: x.user, From: x.from, To: slices.Clone(x.to), Data: data}
	rec.Err = decode(&rec)
	x.s.record(rec)
	return nil
}

func (x *session) Reset() {
	x.from = ""
	x.to = nil
}

func (x *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl does not
// provide.
type loginServer struct {
	step     int
	username string
	done     func(username, password string) error
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		// An initial response carries the user name.
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 1:
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.done(l.username, string(response))
	}
	return nil, false, errors.New("unexpected response")
}

// decode fills the decoded fields of r from r.Data.
func decode(r *Received) error {
	msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		return fmt.Errorf("parse message: %w", err)
	}
	r.Header = msg.Header
	r.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return fmt.Errorf("decode subject: %w", err)
	}
	return decodeEntity(r, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
}

func decodeEntity(r *Received, contentType, encoding string, body io.Reader, depth int) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("parse Content-Type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth > 5 {
			return errors.New("multipart nested too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s part: %w", mediaType, err)
			}
			if err := decodeEntity(r, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil // attachments and the like: not decoded
	}
	switch cs := strings.ToLower(params["charset"]); cs {
	case "", "utf-8", "us-ascii":
	default:
		return fmt.Errorf("unsupported charset %q", cs)
	}
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("unsupported Content-Transfer-Encoding %q", enc)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && r.Text == "":
		r.Text = text
	case mediaType == "text/html" && r.HTML == "":
		r.HTML = text
	}
	return nil
}

// tbLogger sends go-smtp's internal errors to the test log while the
// server runs (logging after the test ended would panic).
type tbLogger struct {
	s  *Server
	tb testing.TB
}

func (l *tbLogger) Printf(format string, v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.closed {
		l.tb.Logf("mailtest: smtp server: "+format, v...)
	}
}

func (l *tbLogger) Println(v ...any) {
	l.Printf("%s", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a
// day, and the client configuration that trusts it.
func selfSigned() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	return server, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
