package mail

import (
	"bufio"
	"bytes"
	"errors"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"
)

func testConfig(t *testing.T) Config {
	t.Helper()
	c, err := ParseURL("smtp://user:secret@127.0.0.1:2525?from=%D0%A4%D0%BE%D0%BD%D0%B4%20<fund@example.org>&starttls=none")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkWire checks what every message must look like on the wire: 7-bit,
// CRLF line endings only, short lines.
func checkWire(t *testing.T, data []byte) {
	t.Helper()
	for i, b := range data {
		if b >= 0x80 {
			t.Fatalf("byte %d is not 7-bit: %q", i, data[max(0, i-20):min(len(data), i+20)])
		}
		if b == '\n' && (i == 0 || data[i-1] != '\r') {
			t.Fatalf("bare LF at byte %d", i)
		}
		if b == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			t.Fatalf("bare CR at byte %d", i)
		}
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 100 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
}

func TestBuildHeaders(t *testing.T) {
	c := testConfig(t)
	now := time.Date(2024, 3, 8, 12, 30, 0, 0, time.FixedZone("ALMT", 5*3600))
	subject := "Квитанция о пожертвовании в фонд «Семьи нефтяников Жанаозена» — спасибо за вашу поддержку, она очень важна"
	b, err := c.build(Message{To: "Айгерим <aigerim@пример.рф>", Subject: subject, Text: "Спасибо!", Lang: "ru"}, now)
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, b.data)
	if b.rcpt != "aigerim@xn--e1afmkfd.xn--p1ai" || b.domain != "xn--e1afmkfd.xn--p1ai" {
		t.Errorf("rcpt, domain = %q, %q", b.rcpt, b.domain)
	}
	if !regexp.MustCompile(`^<[0-9a-z]+\.[a-z2-7]{26}@example\.org>$`).MatchString(b.messageID) {
		t.Errorf("generated Message-ID %q", b.messageID)
	}

	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(b.data)))
	h, err := r.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	for name, want := range map[string]string{
		"Date":                      "Fri, 08 Mar 2024 12:30:00 +0500",
		"Message-Id":                b.messageID,
		"Mime-Version":              "1.0",
		"Content-Language":          "ru",
		"Auto-Submitted":            "auto-generated",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got, err := dec.DecodeHeader(h.Get("Subject")); err != nil || got != subject {
		t.Errorf("Subject decodes to %q, %v", got, err)
	}
	if !strings.Contains(string(b.data), "Subject: =?utf-8?b?") || !strings.Contains(string(b.data), "?=\r\n =?utf-8?b?") {
		t.Errorf("long subject not B-encoded and folded:\n%s", b.data)
	}
	for name, want := range map[string]netmail.Address{
		"From": {Name: "Фонд", Address: "fund@example.org"},
		"To":   {Name: "Айгерим", Address: "aigerim@xn--e1afmkfd.xn--p1ai"},
	} {
		got, err := netmail.ParseAddress(h.Get(name))
		if err != nil || *got != want {
			t.Errorf("%s = %q parses to %v, %v; want %v", name, h.Get(name), got, err, want)
		}
	}

	// A given Message-ID is used, with or without brackets; ASCII subjects
	// stay readable; Content-Language is left out without Lang.
	for _, id := range []string{"receipt-2024-000123@fund.example.org", "<receipt-2024-000123@fund.example.org>"} {
		b, err := c.build(Message{To: "a@example.kz", Subject: "Receipt", Text: "x", MessageID: id}, now)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b.data)
		if !strings.Contains(s, "\r\nMessage-ID: <receipt-2024-000123@fund.example.org>\r\n") ||
			!strings.Contains(s, "\r\nSubject: Receipt\r\n") || !strings.Contains(s, "\r\nTo: <a@example.kz>\r\n") ||
			strings.Contains(s, "Content-Language") {
			t.Errorf("headers:\n%s", s)
		}
	}

	// Two generated IDs differ.
	b2, err := c.build(Message{To: "a@example.kz", Subject: "x", Text: "x"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if b2.messageID == b.messageID {
		t.Errorf("Message-ID repeated: %s", b.messageID)
	}
}

func TestBuildRefusesInvalidMessages(t *testing.T) {
	c := testConfig(t)
	ok := Message{To: "Донор <donor@example.kz>", Subject: "Квитанция", Text: "Спасибо"}
	tests := []struct {
		name string
		edit func(*Message)
		want string
	}{
		{"subject CRLF", func(m *Message) { m.Subject = "Квитанция\r\nBcc: evil@attacker.example" }, "line break"},
		{"subject LF", func(m *Message) { m.Subject = "Квитанция\nBcc: evil@attacker.example" }, "line break"},
		{"subject CR", func(m *Message) { m.Subject = "Квитанция\rBcc: evil@attacker.example" }, "line break"},
		{"subject NUL", func(m *Message) { m.Subject = "Квитанция\x00evil" }, "control character"},
		{"subject empty", func(m *Message) { m.Subject = " " }, "empty subject"},
		{"subject bad UTF-8", func(m *Message) { m.Subject = "\xff\xfe" }, "UTF-8"},
		{"to CRLF", func(m *Message) { m.To = "donor@example.kz\r\nBcc: evil@attacker.example" }, "line break"},
		{"to LF", func(m *Message) { m.To = "donor@example.kz\nBcc: evil@attacker.example" }, "line break"},
		{"to name CRLF", func(m *Message) { m.To = "\"evil\r\nBcc: evil@attacker.example\" <donor@example.kz>" }, "line break"},
		{"to two addresses", func(m *Message) { m.To = "donor@example.kz, evil@attacker.example" }, "one valid address"},
		{"to empty", func(m *Message) { m.To = "" }, "no recipient"},
		{"to no domain", func(m *Message) { m.To = "evil" }, "one valid address"},
		{"to non-ASCII local part", func(m *Message) { m.To = "айгерим@example.kz" }, "non-ASCII local part"},
		{"text empty", func(m *Message) { m.Text = "" }, "empty text body"},
		{"text bad UTF-8", func(m *Message) { m.Text = "evil\xff" }, "UTF-8"},
		{"html bad UTF-8", func(m *Message) { m.HTML = "<p>evil\xff</p>" }, "UTF-8"},
		{"lang injection", func(m *Message) { m.Lang = "ru\r\nBcc: evil@attacker.example" }, "language tag"},
		{"message-id injection", func(m *Message) { m.MessageID = "<a@b>\r\nBcc: evil@attacker.example" }, "MessageID"},
		{"message-id no domain", func(m *Message) { m.MessageID = "evil" }, "MessageID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			_, err := c.build(m, time.Now())
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("build: %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "evil") {
				t.Errorf("error %q repeats the value", err)
			}
			if Temporary(err) {
				t.Errorf("Temporary(%v) = true", err)
			}
		})
	}
	if _, err := c.build(ok, time.Now()); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
}

func TestFold(t *testing.T) {
	for _, s := range []string{
		"Short subject",
		strings.Repeat("word ", 40) + "end",
		"Double  spaces  are  kept  even  when  the  line  is  long  enough  to  be  folded  somewhere  here",
		strings.Repeat("x", 120) + " tail",
	} {
		folded := fold("Subject: " + s)
		for _, line := range strings.Split(folded, "\r\n")[1:] {
			if !strings.HasPrefix(line, " ") {
				t.Errorf("continuation line %q does not start with a space", line)
			}
		}
		r := textproto.NewReader(bufio.NewReader(strings.NewReader(folded + "\r\n\r\n")))
		h, err := r.ReadMIMEHeader()
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Get("Subject"); got != s {
			t.Errorf("unfolded %q\nwant     %q", got, s)
		}
	}
}
