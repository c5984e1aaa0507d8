package mailtest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/mail/mailtest"
)

// send sends raw through the standard library's client, so that these tests
// check the server, not package mail.
func send(t *testing.T, srv *mailtest.Server, raw string) error {
	t.Helper()
	return smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "someone", "anything", "127.0.0.1"),
		"sender@example.org", []string{"a@example.kz", "b@example.kz"}, []byte(raw))
}

func TestDecodesNestedMultipartAndBase64(t *testing.T) {
	srv := mailtest.Start(t)
	if got := srv.Wait(t, 0, time.Second); len(got) != 0 {
		t.Fatalf("Wait(0) = %v", got)
	}
	raw := strings.ReplaceAll(`From: sender@example.org
To: a@example.kz
Subject: =?utf-8?q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?= world
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

0J/RgNC40LLQtdGCLCDQvNC40YAh
CtCS0YLQvtGA0LDRjyDRgdGC0YDQvtC60LAu
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<p>Привет</p>
--inner--
--outer
Content-Type: application/pdf; name="receipt.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
`, "\n", "\r\n")
	if err := send(t, srv, raw); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	if got.Subject != "Привет world" || got.Text != "Привет, мир!\nВторая строка." || got.HTML != "<p>Привет</p>" {
		t.Errorf("decoded subject %q text %q html %q", got.Subject, got.Text, got.HTML)
	}
	if got.User != "someone" || got.From != "sender@example.org" || strings.Join(got.To, ",") != "a@example.kz,b@example.kz" {
		t.Errorf("user %q, envelope %q -> %q", got.User, got.From, got.To)
	}
	if string(got.Data) != raw {
		t.Errorf("Data differs from what was sent")
	}
	if srv.Connections() != 1 {
		t.Errorf("Connections() = %d", srv.Connections())
	}
}

func TestFailNextFailsOnce(t *testing.T) {
	srv := mailtest.Start(t)
	msg := "Subject: x\r\n\r\nbody\r\n"
	srv.FailNext(451, "Try again later")
	var reply *textproto.Error
	if err := send(t, srv, msg); !errors.As(err, &reply) || reply.Code != 451 || !strings.Contains(reply.Msg, "Try again later") {
		t.Fatalf("send = %v, want a 451 reply", err)
	}
	if err := send(t, srv, msg); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if got := srv.Wait(t, 1, 5*time.Second); len(got) != 1 || got[0].Text != "body\n" || got[0].Err != nil {
		t.Errorf("got %+v", got)
	}
}

func TestUnsupportedEncodingIsReported(t *testing.T) {
	srv := mailtest.Start(t)
	if err := send(t, srv, "Subject: x\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1, 5*time.Second)[0]; got.Err == nil || !strings.Contains(got.Err.Error(), "koi8-r") {
		t.Errorf("Err = %v, want an unsupported charset error", got.Err)
	}
}
