package mail

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalidMessage is wrapped by the error Send returns for a Message that
// cannot be sent as it is: a bad or missing address, a line break in a
// header field (header injection), invalid UTF-8, ... Nothing is sent and
// Temporary reports false. The error text never repeats the offending value
// (it may be personal data).
var ErrInvalidMessage = errors.New("mail: invalid message")

// Message is one email to one recipient. All text is UTF-8.
type Message struct {
	// To is one address, with or without a display name
	// ("Айгуль <a@example.kz>"). A non-ASCII domain is sent as punycode;
	// a non-ASCII local part is refused.
	To string
	// Subject is required; it may be non-ASCII (RFC 2047 encoded) but must
	// not contain a line break or another control character.
	Subject string
	// Text is the required plain text body, sent quoted-printable. Line
	// breaks (\n, \r\n or \r) are sent as CRLF.
	Text string
	// HTML is an optional HTML body. When set the message is
	// multipart/alternative with Text first.
	HTML string
	// Lang, when set, becomes the Content-Language header (e.g. "ru").
	Lang string
	// MessageID, with or without angle brackets, is used as the Message-ID
	// header when set; otherwise one is generated in the From domain.
	// Setting a stable ID (e.g. from the donation's ID) lets mail clients
	// collapse the duplicates a retry after a Temporary error may cause.
	MessageID string
}

// built is a Message rendered for the wire.
type built struct {
	from      string // envelope sender, ASCII
	rcpt      string // envelope recipient, ASCII
	domain    string // the recipient's domain, lower case: the only part we log
	messageID string // with angle brackets
	data      []byte // headers and body, CRLF line endings, not dot-stuffed
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
}

var (
	langTag   = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)
	idSideRE  = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
	lineBreak = "\r\n"
)

// build validates m and renders it with the headers Send promises.
func (c Config) build(m Message, now time.Time) (built, error) {
	var b built

	fromAddr, err := asciiAddress(c.From.Address)
	if err != nil || c.From.Address == "" {
		return b, &configError{msg: "the configured From address is missing or invalid"}
	}
	fromDomain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	b.from = fromAddr

	// To: exactly one address, no header injection.
	switch {
	case strings.ContainsAny(m.To, "\r\n"):
		return b, invalid("recipient contains a line break (header injection?)")
	case hasControl(m.To):
		return b, invalid("recipient contains a control character")
	case strings.TrimSpace(m.To) == "":
		return b, invalid("no recipient")
	case !utf8.ValidString(m.To):
		return b, invalid("recipient is not valid UTF-8")
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		// net/mail's error may quote the address: leave it out.
		return b, invalid("recipient is not one valid address")
	}
	rcpt, err := asciiAddress(to.Address)
	if err != nil {
		return b, invalid("recipient: %v", err)
	}
	b.rcpt = rcpt
	b.domain = strings.ToLower(rcpt[strings.LastIndexByte(rcpt, '@')+1:])

	// Subject.
	switch {
	case strings.ContainsAny(m.Subject, "\r\n"):
		return b, invalid("subject contains a line break (header injection?)")
	case strings.ContainsFunc(m.Subject, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) }):
		return b, invalid("subject contains a control character")
	case !utf8.ValidString(m.Subject):
		return b, invalid("subject is not valid UTF-8")
	case strings.TrimSpace(m.Subject) == "":
		return b, invalid("empty subject")
	}

	// Bodies.
	switch {
	case m.Text == "":
		return b, invalid("empty text body")
	case !utf8.ValidString(m.Text):
		return b, invalid("text body is not valid UTF-8")
	case !utf8.ValidString(m.HTML):
		return b, invalid("HTML body is not valid UTF-8")
	}

	if m.Lang != "" && !langTag.MatchString(m.Lang) {
		return b, invalid("Lang is not a language tag such as \"ru\" or \"kk-KZ\"")
	}

	if m.MessageID != "" {
		id := strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">")
		left, right, ok := strings.Cut(id, "@")
		if !ok || !idSideRE.MatchString(left) || !idSideRE.MatchString(right) {
			return b, invalid("MessageID is not of the form <local@domain>")
		}
		b.messageID = "<" + id + ">"
	} else {
		b.messageID = "<" + strconv.FormatInt(now.UnixMilli(), 36) + "." +
			strings.ToLower(rand.Text()) + "@" + fromDomain + ">"
	}

	var buf bytes.Buffer
	header := func(name, value string) {
		buf.WriteString(name)
		buf.WriteString(": ")
		buf.WriteString(value)
		buf.WriteString(lineBreak)
	}
	header("Date", now.Format(time.RFC1123Z))
	foldedHeader := func(name, value string) {
		buf.WriteString(fold(name + ": " + value))
		buf.WriteString(lineBreak)
	}
	foldedHeader("From", (&netmail.Address{Name: c.From.Name, Address: fromAddr}).String())
	foldedHeader("To", (&netmail.Address{Name: to.Name, Address: rcpt}).String())
	foldedHeader("Subject", mime.BEncoding.Encode("utf-8", m.Subject))
	header("Message-ID", b.messageID)
	header("MIME-Version", "1.0")
	if m.Lang != "" {
		header("Content-Language", m.Lang)
	}
	header("Auto-Submitted", "auto-generated")

	textType := mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8"})
	if m.HTML == "" {
		header("Content-Type", textType)
		header("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString(lineBreak)
		// The DATA terminator needs the content to end with a line break.
		// When the text does not, a final soft line break ("=" CRLF)
		// provides one without adding a newline to the decoded text.
		writeQP(&buf, m.Text, true)
	} else {
		mw := multipart.NewWriter(&buf)
		header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		buf.WriteString(lineBreak)
		for _, p := range []struct{ typ, body string }{
			{textType, m.Text},
			{mime.FormatMediaType("text/html", map[string]string{"charset": "utf-8"}), m.HTML},
		} {
			w, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {p.typ},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			if err != nil {
				return b, err
			}
			writeQP(w, p.body, false)
		}
		if err := mw.Close(); err != nil {
			return b, err
		}
	}
	b.data = buf.Bytes()
	return b, nil
}

// writeQP writes s quoted-printable (which turns \n, \r\n and \r into CRLF
// and keeps every line short and 7-bit, so nothing in the body can end the
// DATA phase or be taken for a header). With terminate, it makes sure the
// output ends with a line break.
func writeQP(w io.Writer, s string, terminate bool) {
	qp := quotedprintable.NewWriter(w)
	_, _ = io.WriteString(qp, s) // writes to a bytes.Buffer or multipart part of one: no error
	_ = qp.Close()
	if terminate && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r") {
		_, _ = io.WriteString(w, "="+lineBreak)
	}
}

// fold folds a header line at spaces so that lines stay within 78
// characters where possible (RFC 5322 section 2.2.3). RFC 2047 splits a long
// encoded subject into encoded-words separated by spaces, and the space
// between two encoded-words is dropped when decoding, so folding there does
// not change the decoded text.
func fold(line string) string {
	const limit = 76
	if len(line) <= limit {
		return line
	}
	words := strings.Split(line, " ")
	var out strings.Builder
	cur := words[0]
	for i, w := range words[1:] {
		// Fold only between two non-empty words so that unfolding (which
		// collapses the whitespace around a line break) restores the text,
		// and never right after the field name.
		if i > 0 && len(cur)+1+len(w) > limit && w != "" && words[i] != "" {
			out.WriteString(cur)
			out.WriteString(lineBreak)
			cur = " " + w
			continue
		}
		cur += " " + w
	}
	out.WriteString(cur)
	return out.String()
}

// asciiAddress returns addr (local@domain) with an internationalised domain
// converted to punycode. A non-ASCII local part would need SMTPUTF8, which
// many servers lack, so it is refused.
func asciiAddress(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", errors.New("address needs a local part and a domain")
	}
	local, domain := addr[:at], addr[at+1:]
	if !isASCII(local) {
		return "", errors.New("non-ASCII local part is not supported")
	}
	if !isASCII(domain) {
		d, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return "", errors.New("invalid internationalised domain")
		}
		domain = d
	}
	return local + "@" + domain, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
