// Package mail sends the donation receipts (and other notices) by SMTP.
//
// The server is configured by one URL (FUNDLEDGER_SMTP_URL, see Config and
// ParseURL). In production use smtps:// or smtp:// with starttls=require
// (the default): starttls=none exists for test servers and relays on the
// loopback interface, and ParseURL refuses it with a password for any other
// host.
//
// # Library choice
//
// Sending uses the standard library only: net/smtp for the protocol (EHLO,
// STARTTLS, AUTH, MAIL/RCPT, DATA with dot-stuffing), mime and
// mime/quotedprintable for RFC 2047 headers and quoted-printable bodies,
// mime/multipart for multipart/alternative, and net/mail for addresses.
// net/smtp is frozen but maintained with the Go release; what it lacks is
// small and written here: AUTH LOGIN (20 lines), honouring a context for
// the whole conversation (a deadline plus context.AfterFunc on the
// connection) and the message assembly. github.com/wneessen/go-mail would
// do the assembly for us, but its context bounds the dial only (the rest of
// the conversation runs under its own timeout), it classifies temporary
// errors by the first character of the error text, and adding it raises golang.org/x/crypto, x/net and x/sys for the whole
// module; the standard library gives typed *textproto.Error replies, which
// Temporary relies on, and no new dependency. The test server
// (package mailtest) is github.com/emersion/go-smtp.
//
// # Personal data
//
// Message bodies and addresses are personal data: this package logs the
// recipient's domain, the SMTP reply code and the Message-ID only, and its
// own errors never repeat an address or body. An error that carries the
// server's reply (a *textproto.Error) may quote the address, as servers do:
// callers should log such errors with care.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sender sends messages through the configured server, one connection per
// message. It is safe for concurrent use.
type Sender struct {
	cfg Config
	log *slog.Logger
}

// NewSender returns a Sender for c. A nil logger discards the log.
func NewSender(c Config, logger *slog.Logger) *Sender {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: c, log: logger}
}

// configError is a problem with the configuration or with what the server
// offers (no STARTTLS, no usable AUTH mechanism): retrying will not help
// until an operator changes something, so Temporary reports false.
type configError struct{ msg string }

func (e *configError) Error() string { return "mail: " + e.msg }

// sendError says at which step of the SMTP conversation Send failed.
type sendError struct {
	step string
	err  error
}

func (e *sendError) Error() string { return "mail: " + e.step + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// Send validates m, connects to the server, and delivers m to m.To. It
// returns once the server has accepted the message (250 after DATA) or
// failed; the whole conversation is bounded by ctx and by the configured
// timeout, and ends promptly when ctx is cancelled.
//
// The headers are Date, From, To, Subject (RFC 2047 when not ASCII),
// Message-ID, MIME-Version, Content-Language (when m.Lang is set),
// Auto-Submitted: auto-generated, and Content-Type with charset=utf-8; the
// bodies are quoted-printable, lines end with CRLF, and net/smtp
// dot-stuffs the DATA.
//
// TLS follows the Config: smtps:// is TLS from the first byte; smtp://
// upgrades with STARTTLS per its starttls policy. When the Config has a user
// name, Send authenticates with AUTH PLAIN, or LOGIN when the server offers
// only that, and refuses to send the password over a connection that is
// neither TLS nor to localhost/127.0.0.1/::1 (the rule of net/smtp's
// PlainAuth, applied to LOGIN as well).
//
// Use Temporary on the error to decide whether to retry. A retry after a
// temporary error can deliver the message twice when the connection broke
// after the server had accepted it; keep the same Message.MessageID for
// retries so that mail clients can tell.
func (s *Sender) Send(ctx context.Context, m Message) error {
	start := time.Now()
	b, err := s.cfg.build(m, start)
	if err != nil {
		// These errors quote no personal data (see build).
		s.log.LogAttrs(ctx, slog.LevelWarn, "mail: message not sent", slog.String("error", err.Error()))
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout())
	defer cancel()
	step, err := s.deliver(ctx, b)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			// The connection's deadline fired because of ctx: say so.
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		err = &sendError{step: step, err: err}
		attrs := []slog.Attr{
			slog.String("recipient_domain", b.domain),
			slog.String("step", step),
			slog.Bool("temporary", Temporary(err)),
			slog.Duration("duration", time.Since(start)),
		}
		var tpe *textproto.Error
		if errors.As(err, &tpe) {
			// The reply text may quote the recipient's address: log
			// the code only.
			attrs = append(attrs, slog.Int("smtp_code", tpe.Code))
		} else {
			// Network, TLS, context and configuration errors name no
			// recipient.
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "mail: send failed", attrs...)
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "mail: sent",
		slog.String("recipient_domain", b.domain),
		slog.String("message_id", b.messageID),
		slog.Duration("duration", time.Since(start)))
	return nil
}

// deliver runs one SMTP conversation. It returns the step that failed.
func (s *Sender) deliver(ctx context.Context, b built) (step string, err error) {
	cfg := s.cfg
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dialer := &net.Dialer{}
	var conn net.Conn
	if cfg.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return "connect", err
	}
	// Bound every read and write by ctx (which carries the configured
	// timeout): once ctx is done, a deadline in the past fails blocked I/O
	// at once. Relying on ctx alone, rather than also setting its deadline
	// on the connection, guarantees that ctx.Err() is set when I/O fails
	// for this reason, so Send can report it.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		_ = conn.Close()
		return "greeting", err
	}
	delivered := false
	defer func() {
		if delivered {
			return
		}
		var tpe *textproto.Error
		if errors.As(err, &tpe) {
			// The server is talking: say goodbye properly.
			_ = c.Quit()
		}
		_ = c.Close()
	}()

	if err = c.Hello(cfg.helo()); err != nil {
		return "EHLO", err
	}
	if !cfg.ImplicitTLS && cfg.StartTLS != StartTLSNone {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err = c.StartTLS(s.tlsConfig()); err != nil {
				return "STARTTLS", err
			}
		} else if cfg.StartTLS != StartTLSOpportunistic {
			return "STARTTLS", &configError{msg: "the server does not offer STARTTLS and the SMTP URL requires it (starttls=require)"}
		}
	}
	if cfg.Username != "" {
		if err = s.authenticate(c); err != nil {
			return "AUTH", err
		}
	}
	if err = c.Mail(b.from); err != nil {
		return "MAIL FROM", err
	}
	if err = c.Rcpt(b.rcpt); err != nil {
		return "RCPT TO", err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err = w.Write(b.data); err != nil {
		return "DATA", err
	}
	if err = w.Close(); err != nil {
		return "end of DATA", err
	}
	delivered = true
	// The message is accepted; a failing QUIT changes nothing.
	if qerr := c.Quit(); qerr != nil {
		_ = c.Close()
		s.log.LogAttrs(ctx, slog.LevelDebug, "mail: QUIT failed after delivery", slog.String("recipient_domain", b.domain))
	}
	return "", nil
}

func (s *Sender) tlsConfig() *tls.Config {
	var tc *tls.Config
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = s.cfg.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}

func (s *Sender) authenticate(c *smtp.Client) error {
	cfg := s.cfg
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLoopback(cfg.Host) {
		return &configError{msg: "refusing to send the SMTP password without TLS (the server did not offer STARTTLS); use starttls=require or smtps://"}
	}
	ok, params := c.Extension("AUTH")
	if !ok {
		return &configError{msg: "the SMTP URL has a user name but the server does not offer AUTH"}
	}
	mechs := strings.Fields(strings.ToUpper(params))
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = smtp.PlainAuth("", cfg.Username, cfg.password, cfg.Host)
	case slices.Contains(mechs, "LOGIN"):
		a = &loginAuth{user: cfg.Username, pass: cfg.password, host: cfg.Host}
	default:
		return &configError{msg: fmt.Sprintf("the server offers no supported AUTH mechanism (want PLAIN or LOGIN, got %q)", params)}
	}
	return c.Auth(a)
}

// loginAuth is the LOGIN SASL mechanism (draft-murchison-sasl-login), which
// net/smtp lacks and some submission servers (Exchange, older appliances)
// still require. Like smtp.PlainAuth it sends the password only over TLS or
// to localhost.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch prompt := strings.ToLower(strings.TrimSpace(string(fromServer))); {
	case strings.HasPrefix(prompt, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(prompt, "pass"):
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected AUTH LOGIN challenge")
}

// Temporary reports whether err, returned by Send, is a temporary failure:
// sending the same message later may succeed. That is the case for 4xx
// replies (421 service not available, 451 local error, 452 insufficient
// storage, 454 TLS/AUTH temporarily unavailable), for network failures
// (connection refused or reset, timeouts, DNS failures — a misspelt host
// name cannot be told from a DNS outage) and when ctx was cancelled or
// timed out before the server accepted the message.
//
// It is false for nil, for 5xx replies (550 mailbox unavailable, 553 bad
// address, 535 authentication failed, ...), for an invalid message
// (ErrInvalidMessage) and for configuration problems (STARTTLS required but
// not offered, no usable AUTH mechanism, untrusted TLS certificate) that need
// an operator rather than a retry.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return false
	}
	var ce *configError
	if errors.As(err, &ce) {
		return false
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return tpe.Code >= 400 && tpe.Code < 500
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &unknownCA) || errors.As(err, &hostnameErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
