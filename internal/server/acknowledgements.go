package server

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// ackJSON is one public acknowledgement: From is null for "Anonymous",
// Amount and Currency are null when the donor chose not to show them.
type ackJSON struct {
	Date     string  `json:"date"`
	Fund     string  `json:"fund"`
	From     *string `json:"from"`
	Amount   *string `json:"amount"`
	Currency *string `json:"currency"`
	Channel  string  `json:"channel"`
	Message  string  `json:"message,omitempty"`
	// Amounts lists every amount of the line: a street collection counted
	// in several currencies has one per currency.
	Amounts []moneyJSON `json:"amounts"`
}

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func newAckJSON(e ledger.PublicAck) ackJSON {
	j := ackJSON{Date: e.Date.Format(time.DateOnly), Fund: e.Fund, Channel: string(e.Channel), Message: e.Message}
	if e.From != "" {
		j.From = &e.From
	}
	if e.Amount != nil {
		amt, cur := amountString(e.Amount.Amount, e.Amount.Currency), e.Amount.Currency.Code
		j.Amount, j.Currency = &amt, &cur
	}
	j.Amounts = []moneyJSON{}
	for _, m := range e.Amounts {
		j.Amounts = append(j.Amounts, moneyJSON{Amount: amountString(m.Amount, m.Currency), Currency: m.Currency.Code})
	}
	return j
}

func (s *Server) handleAckList(c *gin.Context) {
	f, _, err := s.ackFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	pg, err := s.Acks.ListAcknowledgements(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	body, err := ackBodies.body(pg)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=30")
	c.Header("Content-Length", strconv.Itoa(len(body))) // written whole, not in chunks
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// ackListJSON is a page of the list; its fields are in the order gin.H
// wrote them in before.
type ackListJSON struct {
	Acknowledgements []ackJSON `json:"acknowledgements"`
	Newer            string    `json:"newer"`
	Older            string    `json:"older"`
}

// ackBodies remembers the JSON of the pages of the list that were asked for
// lately, by the page's identity: the acknowledgement service hands out the
// same page, unchanged, for as long as nothing changed the list (it may not
// modify a page it returned), and a new one after any change. A body is thus
// never staler than the page it was made from, and an uncached service
// merely misses. Bounded by count and bytes; when full it starts afresh.
var ackBodies = &pageBodies{max: 2048, maxBytes: 8 << 20, bodies: map[*ledger.AckPage][]byte{}}

type pageBodies struct {
	max, maxBytes int

	mu     sync.Mutex
	bodies map[*ledger.AckPage][]byte // holding the page keeps its address from being reused
	bytes  int
}

func (m *pageBodies) body(pg *ledger.AckPage) ([]byte, error) {
	m.mu.Lock()
	b, ok := m.bodies[pg]
	m.mu.Unlock()
	if ok {
		return b, nil
	}
	out := ackListJSON{Acknowledgements: make([]ackJSON, len(pg.Entries)), Newer: pg.Newer, Older: pg.Older}
	for i, e := range pg.Entries {
		out.Acknowledgements[i] = newAckJSON(e)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("acknowledgements json: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.bodies) >= m.max || m.bytes+len(b) > m.maxBytes {
		clear(m.bodies)
		m.bytes = 0
	}
	if len(b) <= m.maxBytes {
		m.bodies[pg] = b
		m.bytes += len(b)
	}
	return b, nil
}

// csvSafe keeps a donor-written value from being run as a formula by a
// spreadsheet that opens the file.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleAckCSV streams the whole list, page by page, as CSV.
func (s *Server) handleAckCSV(c *gin.Context) {
	f, fund, err := s.ackFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	name := "acknowledgements.csv"
	if fund != nil {
		name = fund.Slug + "-acknowledgements.csv"
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"date", "fund", "from", "amount", "currency", "channel", "message"})
	f.Limit, f.Before = maxAckLimit, ""
	for {
		pg, err := s.Acks.ListAcknowledgements(c.Request.Context(), f)
		if err != nil {
			s.Logger.Error("acknowledgements csv", "error", err)
			return // headers are sent; the truncated file shows the failure
		}
		for _, e := range pg.Entries {
			j := newAckJSON(e)
			from := "Anonymous"
			if j.From != nil {
				from = *j.From
			}
			if len(j.Amounts) == 0 {
				j.Amounts = []moneyJSON{{}}
			}
			for _, m := range j.Amounts { // a collection in several currencies: a row per currency
				_ = w.Write([]string{j.Date, j.Fund, csvSafe(from), m.Amount, m.Currency, j.Channel, csvSafe(j.Message)})
			}
		}
		w.Flush()
		if pg.Older == "" || w.Error() != nil {
			return
		}
		f.After = pg.Older
	}
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Content atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// handleAckAtom serves the latest acknowledgements as an Atom feed.
func (s *Server) handleAckAtom(c *gin.Context) {
	f, fund, err := s.ackFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	f.After, f.Before = "", ""
	pg, err := s.Acks.ListAcknowledgements(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	base := strings.TrimRight(s.PublicURL, "/")
	path, title := "/acknowledgements", "All donations will be acknowledged"
	if fund != nil {
		path, title = "/funds/"+fund.Slug+"/acknowledgements", fund.Name+": acknowledgements"
	}
	feed := atomFeed{ID: base + path, Title: title, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Href: base + path + ".atom"}, {Rel: "alternate", Href: base + path}},
		Author: atomAuthor{Name: "The committee of the solidarity fund"}}
	for i, e := range pg.Entries {
		updated := e.Date.UTC().Format(time.RFC3339)
		if i == 0 {
			feed.Updated = updated
		}
		from := e.From
		if from == "" {
			from = "Anonymous"
		}
		what := from
		if e.Amount != nil && e.Place == "" {
			what += ": " + e.Amount.String()
		}
		body := strings.ReplaceAll(string(e.Channel), "_", " ")
		if e.Message != "" {
			body += ". “" + e.Message + "”"
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: base + path + "#" + e.Cursor, Title: what, Updated: updated,
			Content: atomText{Type: "text", Body: body}})
	}
	c.Header("Content-Type", "application/atom+xml; charset=utf-8")
	c.Header("Cache-Control", "public, max-age=60")
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write([]byte(xml.Header))
	enc := xml.NewEncoder(c.Writer)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		s.Logger.Error("atom feed", "error", err)
	}
}

type moderationJSON struct {
	DonationID string `json:"donation_id"`
	Fund       string `json:"fund"`
	ReceivedOn string `json:"received_on"`
	Channel    string `json:"channel"`
	Display    string `json:"display"`
	From       string `json:"from"`
	Message    string `json:"message"`
}

// handleModerationQueue lists the acknowledgements waiting for a committee member.
func (s *Server) handleModerationQueue(c *gin.Context) {
	items, err := s.Acks.ModerationQueue(c.Request.Context(), 500)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]moderationJSON, len(items))
	for i, it := range items {
		out[i] = moderationJSON{DonationID: it.DonationID, Fund: it.Fund, ReceivedOn: it.ReceivedOn.Format(time.DateOnly),
			Channel: string(it.Channel), Display: string(it.Display), From: it.From, Message: it.Message}
	}
	c.JSON(http.StatusOK, gin.H{"pending": out})
}

type moderateRequest struct {
	DonationIDs []string `json:"donation_ids"`
	Status      string   `json:"status"`
}

// handleModerate approves or hides acknowledgements, one or many at a time.
func (s *Server) handleModerate(c *gin.Context) {
	var req moderateRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	n, err := s.Acks.Moderate(c.Request.Context(), req.DonationIDs, ledger.ModerationStatus(req.Status))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"changed": n})
}
