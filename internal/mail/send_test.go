package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/mail"
	"github.com/fundledger/fundledger/internal/mail/mailtest"
)

const (
	receiptSubject = "Квитанция о пожертвовании в фонд «Семьи нефтяников Жанаозена»"
	donorName      = "Айгерим Сарсенова"
	donorAddress   = "aigerim.sarsenova@example.kz"
)

// receiptText has what tends to break mail: non-ASCII, a long line, '='
// in a link, a line holding only a dot and one starting with a dot (DATA
// dot-stuffing), trailing spaces, and no final newline.
const receiptText = `Здравствуйте, Айгерим!

Фонд «Семьи нефтяников Жанаозена» получил ваше пожертвование: 1 500,00 €.
Квитанция: https://fund.example.org/receipts/2024-000123?lang=ru&sig=q1w2e3=

Номер квитанции: 2024-000123. Дата: 08.03.2024. Назначение: помощь семьям бастующих нефтяников, суточные и питание.
.
.начинается с точки
Строка с пробелом в конце 
С уважением,
Комитет фонда`

// syncBuffer is a log sink safe for concurrent Sends.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newSender(t *testing.T, c mail.Config) (*mail.Sender, *syncBuffer) {
	t.Helper()
	logs := new(syncBuffer)
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return mail.NewSender(c, logger), logs
}

func receipt() mail.Message {
	return mail.Message{
		To:      donorName + " <" + donorAddress + ">",
		Subject: receiptSubject,
		Text:    receiptText,
		Lang:    "ru",
	}
}

func sendCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkLogs checks that the log says nothing personal.
func checkLogs(t *testing.T, logs string) {
	t.Helper()
	for _, private := range []string{"aigerim", "Айгерим", "1 500,00", "receipts/2024", mailtest.Password} {
		if strings.Contains(logs, private) {
			t.Errorf("log contains %q:\n%s", private, logs)
		}
	}
}

func TestSendRussianReceipt(t *testing.T) {
	srv := mailtest.Start(t)
	cfg, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatalf("ParseURL(%q): %v", srv.URL(), err)
	}
	sender, logs := newSender(t, cfg)

	for i, text := range []string{receiptText, receiptText + "\n"} {
		m := receipt()
		m.Text = text
		before := time.Now().Add(-time.Second)
		if err := sender.Send(sendCtx(t), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.Wait(t, i+1, 5*time.Second)[i]
		if got.Err != nil {
			t.Fatalf("received message does not decode: %v\n%s", got.Err, got.Data)
		}
		if got.Subject != receiptSubject {
			t.Errorf("Subject = %q, want %q", got.Subject, receiptSubject)
		}
		if got.Text != text {
			t.Errorf("Text =\n%q\nwant\n%q", got.Text, text)
		}
		if got.HTML != "" {
			t.Errorf("HTML = %q, want none", got.HTML)
		}
		if got.From != mailtest.FromAddress || len(got.To) != 1 || got.To[0] != donorAddress {
			t.Errorf("envelope from %q to %q", got.From, got.To)
		}
		if got.User != mailtest.User {
			t.Errorf("authenticated as %q, want %q", got.User, mailtest.User)
		}

		h := got.Header
		if d, err := h.Date(); err != nil || d.Before(before) || d.After(time.Now().Add(time.Second)) {
			t.Errorf("Date %q: %v, %v", h.Get("Date"), d, err)
		}
		if from, err := h.AddressList("From"); err != nil || len(from) != 1 ||
			*from[0] != (netmail.Address{Name: mailtest.FromName, Address: mailtest.FromAddress}) {
			t.Errorf("From %q: %v, %v", h.Get("From"), from, err)
		}
		if to, err := h.AddressList("To"); err != nil || len(to) != 1 ||
			*to[0] != (netmail.Address{Name: donorName, Address: donorAddress}) {
			t.Errorf("To %q: %v, %v", h.Get("To"), to, err)
		}
		if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
			t.Errorf("Message-ID = %q", id)
		}
		mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || mediaType != "text/plain" || params["charset"] != "utf-8" {
			t.Errorf("Content-Type = %q", h.Get("Content-Type"))
		}
		for name, want := range map[string]string{
			"MIME-Version":              "1.0",
			"Content-Transfer-Encoding": "quoted-printable",
			"Content-Language":          "ru",
			"Auto-Submitted":            "auto-generated",
		} {
			if h.Get(name) != want {
				t.Errorf("%s = %q, want %q", name, h.Get(name), want)
			}
		}
		for _, name := range []string{"Bcc", "Cc", "Reply-To"} {
			if h.Get(name) != "" {
				t.Errorf("unexpected %s header", name)
			}
		}
		// On the wire: 7-bit, CRLF only.
		for j, b := range got.Data {
			if b >= 0x80 || (b == '\n' && (j == 0 || got.Data[j-1] != '\r')) {
				t.Fatalf("byte %d of the message is %q: want 7-bit text with CRLF line endings", j, b)
			}
		}
	}
	checkLogs(t, logs.String())
	if !strings.Contains(logs.String(), `"recipient_domain":"example.kz"`) {
		t.Errorf("log does not name the recipient's domain:\n%s", logs)
	}
}

func TestSendMultipartHTML(t *testing.T) {
	srv := mailtest.Start(t)
	sender, logs := newSender(t, srv.Config(t))
	m := receipt()
	m.HTML = `<!doctype html>
<html lang="ru"><body>
<p>Здравствуйте, Айгерим!</p>
<p>Фонд «Семьи нефтяников Жанаозена» получил ваше пожертвование: <b>1 500,00 €</b>.</p>
<p><a href="https://fund.example.org/receipts/2024-000123?lang=ru&amp;sig=q1w2e3=">Квитанция</a></p>
</body></html>
`
	m.MessageID = "<receipt-2024-000123@fund.example.org>"
	if err := sender.Send(sendCtx(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.Err != nil {
		t.Fatalf("received message does not decode: %v\n%s", got.Err, got.Data)
	}
	if got.Subject != m.Subject || got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("got subject %q\ntext %q\nhtml %q", got.Subject, got.Text, got.HTML)
	}
	if mediaType, params, err := mime.ParseMediaType(got.Header.Get("Content-Type")); err != nil ||
		mediaType != "multipart/alternative" || params["boundary"] == "" {
		t.Errorf("Content-Type = %q", got.Header.Get("Content-Type"))
	}
	if id := got.Header.Get("Message-ID"); id != m.MessageID {
		t.Errorf("Message-ID = %q, want %q", id, m.MessageID)
	}
	data := string(got.Data)
	text := strings.Index(data, "Content-Type: text/plain; charset=utf-8\r\n")
	html := strings.Index(data, "Content-Type: text/html; charset=utf-8\r\n")
	if text < 0 || html < 0 || text > html {
		t.Errorf("want a text/plain part, then a text/html part, both utf-8:\n%s", data)
	}
	checkLogs(t, logs.String())
	if !strings.Contains(logs.String(), m.MessageID) {
		t.Errorf("log does not name the Message-ID:\n%s", logs)
	}
}

func TestSendTemporaryAndPermanentFailures(t *testing.T) {
	srv := mailtest.Start(t)
	sender, logs := newSender(t, srv.Config(t))
	tests := []struct {
		code      int
		msg       string
		temporary bool
	}{
		{421, "Service not available, closing transmission channel", true},
		{451, "Requested action aborted: local error in processing", true},
		{452, "Insufficient system storage", true},
		{550, "Mailbox unavailable", false},
		{553, "Mailbox name not allowed", false},
		{554, "Transaction failed", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv.FailNext(tt.code, tt.msg)
			err := sender.Send(sendCtx(t), receipt())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			var reply *textproto.Error
			if !errors.As(err, &reply) || reply.Code != tt.code {
				t.Errorf("error %v (%T) does not carry SMTP code %d", err, err, tt.code)
			}
			if got := mail.Temporary(err); got != tt.temporary {
				t.Errorf("Temporary(%v) = %v, want %v", err, got, tt.temporary)
			}
			if errors.Is(err, mail.ErrInvalidMessage) {
				t.Errorf("%v is ErrInvalidMessage", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server recorded %d messages", n)
			}
		})
	}
	// The failure was one-off: the next message goes through.
	if err := sender.Send(sendCtx(t), receipt()); err != nil {
		t.Fatalf("Send after the failures: %v", err)
	}
	srv.Wait(t, 1, 5*time.Second)
	checkLogs(t, logs.String())
	if !strings.Contains(logs.String(), `"smtp_code":550`) || !strings.Contains(logs.String(), `"temporary":true`) {
		t.Errorf("log lacks the SMTP code or the temporary flag:\n%s", logs)
	}
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	cfg, err := mail.ParseURL("smtp://user:secret@" + closedPort(t) + "?from=fund@example.org&starttls=none")
	if err != nil {
		t.Fatal(err)
	}
	sender, logs := newSender(t, cfg)
	err = sender.Send(sendCtx(t), receipt())
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v is not ECONNREFUSED", err)
	}
	if !mail.Temporary(err) {
		t.Errorf("Temporary(%v) = false, want true", err)
	}
	checkLogs(t, logs.String())
}

// stallingServer accepts connections and never says a word, like a
// server that hangs.
func stallingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestSendHonoursContext(t *testing.T) {
	addr := stallingServer(t)
	cfg, err := mail.ParseURL("smtp://user:secret@" + addr + "?from=fund@example.org&starttls=none")
	if err != nil {
		t.Fatal(err)
	}
	sender, _ := newSender(t, cfg)

	t.Run("cancelled while waiting for the server", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		err := sender.Send(ctx, receipt())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Send returned %v after the cancellation", d)
		}
		if !mail.Temporary(err) {
			t.Errorf("Temporary(%v) = false, want true", err)
		}
	})

	t.Run("deadline while waiting for the server", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := sender.Send(ctx, receipt())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send = %v, want context.DeadlineExceeded", err)
		}
		if !mail.Temporary(err) {
			t.Errorf("Temporary(%v) = false, want true", err)
		}
	})

	t.Run("timeout from the URL", func(t *testing.T) {
		cfg, err := mail.ParseURL("smtp://" + addr + "?from=fund@example.org&starttls=none&timeout=200ms")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = mail.NewSender(cfg, nil).Send(context.Background(), receipt())
		if !errors.Is(err, context.DeadlineExceeded) || !mail.Temporary(err) {
			t.Fatalf("Send = %v, want a temporary context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Send took %v with a 200ms timeout", d)
		}
	})

	t.Run("already cancelled", func(t *testing.T) {
		srv := mailtest.Start(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := mail.NewSender(srv.Config(t), nil).Send(ctx, receipt())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server recorded %d messages", n)
		}
	})
}

func TestSendRefusesHeaderInjection(t *testing.T) {
	srv := mailtest.Start(t)
	sender, logs := newSender(t, srv.Config(t))
	for name, m := range map[string]mail.Message{
		"subject CRLF": {To: donorAddress, Subject: receiptSubject + "\r\nBcc: victim@attacker.example", Text: "x"},
		"subject LF":   {To: donorAddress, Subject: receiptSubject + "\nBcc: victim@attacker.example", Text: "x"},
		"subject CR":   {To: donorAddress, Subject: receiptSubject + "\rBcc: victim@attacker.example", Text: "x"},
		"to CRLF":      {To: donorAddress + "\r\nBcc: victim@attacker.example", Subject: receiptSubject, Text: "x"},
		"to LF":        {To: donorAddress + "\nBcc: victim@attacker.example", Subject: receiptSubject, Text: "x"},
		"to CRLF body": {To: donorAddress + "\r\n\r\nforged body", Subject: receiptSubject, Text: "x"},
		"to list":      {To: donorAddress + ", victim@attacker.example", Subject: receiptSubject, Text: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			err := sender.Send(sendCtx(t), m)
			if !errors.Is(err, mail.ErrInvalidMessage) {
				t.Fatalf("Send = %v, want ErrInvalidMessage", err)
			}
			if mail.Temporary(err) {
				t.Errorf("Temporary(%v) = true", err)
			}
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Errorf("server saw %d connections, want none", n)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server recorded %d messages, want none", n)
	}
	if strings.Contains(logs.String(), "victim") {
		t.Errorf("log repeats the injected value:\n%s", logs)
	}
}

func TestSendTLS(t *testing.T) {
	t.Run("STARTTLS required and offered", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{StartTLS: true})
		cfg := srv.Config(t)
		if cfg.StartTLS != mail.StartTLSRequire {
			t.Fatalf("StartTLS = %q", cfg.StartTLS)
		}
		if err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.Wait(t, 1, 5*time.Second)[0]
		if got.Err != nil || got.Subject != receiptSubject || got.Text != receiptText || got.User != mailtest.User {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("implicit TLS", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{ImplicitTLS: true})
		cfg := srv.Config(t)
		if !cfg.ImplicitTLS || !strings.HasPrefix(srv.URL(), "smtps://") {
			t.Fatalf("URL %s", srv.URL())
		}
		if err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.Wait(t, 1, 5*time.Second)[0]
		if got.Err != nil || got.Subject != receiptSubject || got.User != mailtest.User {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		for _, opts := range []mailtest.Options{{StartTLS: true}, {ImplicitTLS: true}} {
			srv := mailtest.StartWith(t, opts)
			cfg := srv.Config(t)
			cfg.TLSConfig = nil // the system roots do not know the test CA
			err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt())
			if err == nil {
				t.Fatal("Send succeeded despite an untrusted certificate")
			}
			if mail.Temporary(err) {
				t.Errorf("Temporary(%v) = true, want false", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server recorded %d messages", n)
			}
		}
	})

	t.Run("STARTTLS required but not offered", func(t *testing.T) {
		srv := mailtest.Start(t)
		cfg, err := mail.ParseURL(strings.Replace(srv.URL(), "starttls=none", "starttls=require", 1))
		if err != nil {
			t.Fatal(err)
		}
		err = mail.NewSender(cfg, nil).Send(sendCtx(t), receipt())
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Send = %v, want a STARTTLS error", err)
		}
		if mail.Temporary(err) {
			t.Errorf("Temporary(%v) = true, want false", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server recorded %d messages", n)
		}
	})

	t.Run("opportunistic without TLS on loopback", func(t *testing.T) {
		srv := mailtest.Start(t)
		cfg, err := mail.ParseURL(strings.Replace(srv.URL(), "starttls=none", "starttls=opportunistic", 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		srv.Wait(t, 1, 5*time.Second)
	})

	t.Run("opportunistic with TLS", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{StartTLS: true})
		cfg, err := mail.ParseURL(strings.Replace(srv.URL(), "starttls=require", "starttls=opportunistic", 1))
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSConfig = srv.ClientTLSConfig()
		if err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		srv.Wait(t, 1, 5*time.Second)
	})
}

func TestSendAuth(t *testing.T) {
	t.Run("LOGIN when PLAIN is not offered", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{AuthMechanisms: []string{"LOGIN"}})
		if err := mail.NewSender(srv.Config(t), nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.Wait(t, 1, 5*time.Second)[0]; got.User != mailtest.User {
			t.Errorf("authenticated as %q", got.User)
		}
	})

	t.Run("LOGIN over STARTTLS", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{StartTLS: true, AuthMechanisms: []string{"LOGIN", "PLAIN"}})
		if err := mail.NewSender(srv.Config(t), nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.Wait(t, 1, 5*time.Second)[0]; got.User != mailtest.User {
			t.Errorf("authenticated as %q", got.User)
		}
	})

	t.Run("no AUTH offered", func(t *testing.T) {
		srv := mailtest.StartWith(t, mailtest.Options{AuthMechanisms: []string{}})
		err := mail.NewSender(srv.Config(t), nil).Send(sendCtx(t), receipt())
		if err == nil || !strings.Contains(err.Error(), "AUTH") {
			t.Fatalf("Send = %v, want an AUTH error", err)
		}
		if mail.Temporary(err) {
			t.Errorf("Temporary(%v) = true", err)
		}
	})

	t.Run("no user in the URL", func(t *testing.T) {
		srv := mailtest.Start(t)
		cfg, err := mail.ParseURL(strings.Replace(srv.URL(), mailtest.User+":"+mailtest.Password+"@", "", 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := mail.NewSender(cfg, nil).Send(sendCtx(t), receipt()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.Wait(t, 1, 5*time.Second)[0]; got.User != "" {
			t.Errorf("authenticated as %q without credentials", got.User)
		}
	})
}

func TestSendConcurrently(t *testing.T) {
	srv := mailtest.Start(t)
	sender, logs := newSender(t, srv.Config(t))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m := receipt()
			m.To = fmt.Sprintf("donor%d@example.kz", i)
			m.MessageID = fmt.Sprintf("<receipt-%d@fund.example.org>", i)
			errs <- sender.Send(sendCtx(t), m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	seen := map[string]bool{}
	for _, got := range srv.Wait(t, n, 10*time.Second) {
		if got.Err != nil || got.Text != receiptText {
			t.Errorf("message to %v: %v", got.To, got.Err)
		}
		seen[got.Header.Get("Message-ID")] = true
	}
	if len(seen) != n {
		t.Errorf("got %d distinct messages, want %d", len(seen), n)
	}
	checkLogs(t, logs.String())
}

func TestTemporary(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("something"), false},
		{fmt.Errorf("wrapped: %w", &textproto.Error{Code: 450, Msg: "mailbox busy"}), true},
		{&textproto.Error{Code: 535, Msg: "authentication failed"}, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("x: %w", mail.ErrInvalidMessage), false},
	} {
		if got := mail.Temporary(tt.err); got != tt.want {
			t.Errorf("Temporary(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
