package server

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/fundledger/fundledger/web"
	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
)

var pages = template.Must(template.ParseFS(web.Templates, "templates/*.html"))

// langCookie remembers the language a visitor chose with the switch.
const langCookie = "lang"

// lang picks the page language: the switch (?lang=), then the remembered
// choice, then the browser's Accept-Language.
func lang(c *gin.Context) i18n.Lang {
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		c.SetSameSite(http.SameSiteLaxMode)
		c.SetCookie(langCookie, string(l), 365*24*3600, "/", "", c.Request.TLS != nil, true)
		return l
	}
	if v, err := c.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(v); ok {
			return l
		}
	}
	return i18n.Negotiate(c.GetHeader("Accept-Language"), i18n.EN)
}

// langLink is an entry of the language switch.
type langLink struct {
	Lang    i18n.Lang
	Name    string
	URL     string
	Current bool
}

// page is what every page template gets; each page adds its own fields.
type page struct {
	L     i18n.Lang
	Title string
	Langs []langLink
	Feed  string
}

func newPage(c *gin.Context, l i18n.Lang, title string) page {
	p := page{L: l, Title: title}
	for _, s := range i18n.Supported {
		u := *c.Request.URL
		q := u.Query()
		q.Set("lang", string(s))
		u.RawQuery = q.Encode()
		p.Langs = append(p.Langs, langLink{Lang: s, Name: s.Name(), URL: u.RequestURI(), Current: s == l})
	}
	return p
}

// pageHeaders are the security headers of HTML pages: no script at all,
// styles only from this server, forms only to this server and Stripe.
func pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://checkout.stripe.com; base-uri 'none'; frame-ancestors 'none'")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Vary", "Accept-Language, Cookie")
}

func (s *Server) render(c *gin.Context, status int, name string, data any) {
	pageHeaders(c)
	c.Status(status)
	if err := pages.ExecuteTemplate(c.Writer, name, data); err != nil {
		s.Logger.Error("render page", "page", name, "error", err)
	}
}

// renderError shows an error as a page in the visitor's language.
func (s *Server) renderError(c *gin.Context, err error) {
	status := statuses[ledger.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	l := lang(c)
	title := l.T("error.try_again")
	msg := ledger.ErrorMessage(err)
	switch status {
	case http.StatusNotFound:
		title, msg = l.T("error.not_found"), l.T("error.not_found_body")
	case http.StatusTooManyRequests:
		title = l.T("error.too_many_requests")
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		s.Logger.Error("page failed", "route", c.FullPath(), "error", err)
		if status == http.StatusInternalServerError {
			msg = l.T("error.internal")
		}
	}
	s.render(c, status, "error.html", struct {
		page
		Message string
	}{newPage(c, l, title), msg})
}

// fundView is a fund with its public totals, ready for a template.
type fundView struct {
	L              i18n.Lang
	Fund           *ledger.Fund
	Raised         []ledger.Money
	Grants         []ledger.Money
	InFundCurrency *ledger.Money
	RatesAsOf      string
	Count          int64
	Zero           decimal.Decimal
	Target         *ledger.Money
	TargetMax      string
	TargetValue    string
	Percent        string
}

func (s *Server) fundView(c *gin.Context, l i18n.Lang, f *ledger.Fund) (*fundView, error) {
	t, err := s.Funds.FundTotals(c.Request.Context(), f.Slug)
	if err != nil {
		return nil, err
	}
	v := &fundView{L: l, Fund: f, Count: t.Donations, Raised: sortedMoney(t.Raised, f.Currency), Grants: sortedMoney(t.GrantsPaid, f.Currency)}
	if t.RaisedInFundCurrency != nil && len(t.Raised) > 1 {
		v.InFundCurrency = &ledger.Money{Amount: *t.RaisedInFundCurrency, Currency: f.Currency}
		v.RatesAsOf = l.Date(t.RatesAsOf)
	}
	if f.Target != nil {
		v.Target = &ledger.Money{Amount: *f.Target, Currency: f.Currency}
		raised := t.Raised[f.Currency.Code]
		if t.RaisedInFundCurrency != nil {
			raised = *t.RaisedInFundCurrency
		}
		v.TargetMax, v.TargetValue = f.Target.String(), decimal.Min(raised, *f.Target).String()
		v.Percent = raised.Mul(decimal.NewFromInt(100)).Div(*f.Target).Round(0).String()
	}
	return v, nil
}

// sortedMoney lists amounts per currency, the fund's own currency first.
func sortedMoney(m map[string]decimal.Decimal, first ledger.Currency) []ledger.Money {
	var out []ledger.Money
	if amt, ok := m[first.Code]; ok && !amt.IsZero() {
		out = append(out, ledger.Money{Amount: amt, Currency: first})
	}
	for _, cur := range ledger.Currencies() {
		if cur == first {
			continue
		}
		if amt, ok := m[cur.Code]; ok && !amt.IsZero() {
			out = append(out, ledger.Money{Amount: amt, Currency: cur})
		}
	}
	return out
}

func (s *Server) handleHome(c *gin.Context) {
	l := lang(c)
	funds, err := s.Funds.ListFunds(c.Request.Context())
	if err != nil {
		s.renderError(c, err)
		return
	}
	var views []*fundView
	for _, f := range funds {
		v, err := s.fundView(c, l, f)
		if err != nil {
			s.renderError(c, err)
			return
		}
		views = append(views, v)
	}
	latest, err := s.Acks.ListAcknowledgements(c.Request.Context(), ledger.AckFilter{Limit: 10})
	if err != nil {
		s.renderError(c, err)
		return
	}
	p := newPage(c, l, l.T("home.title"))
	p.Feed = "/acknowledgements.atom"
	s.render(c, http.StatusOK, "home.html", struct {
		page
		Funds    []*fundView
		Acks     []ledger.PublicAck
		AllFunds bool
	}{p, views, latest.Entries, true})
}

func (s *Server) handleFundPage(c *gin.Context) {
	l := lang(c)
	f, err := s.Funds.FindFund(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.renderError(c, err)
		return
	}
	v, err := s.fundView(c, l, f)
	if err != nil {
		s.renderError(c, err)
		return
	}
	latest, err := s.Acks.ListAcknowledgements(c.Request.Context(), ledger.AckFilter{Fund: &f.Slug, Limit: 10})
	if err != nil {
		s.renderError(c, err)
		return
	}
	p := newPage(c, l, f.Name)
	p.Feed = "/funds/" + f.Slug + "/acknowledgements.atom"
	s.render(c, http.StatusOK, "fund.html", struct {
		page
		Fund     *fundView
		Acks     []ledger.PublicAck
		AllFunds bool
	}{p, v, latest.Entries, false})
}

// handleDonatePage shows a fund's donation form and its bank details.
func (s *Server) handleDonatePage(c *gin.Context) {
	l := lang(c)
	fund, err := s.Funds.FindFund(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.renderError(c, err)
		return
	}
	var codes []string
	for _, cur := range ledger.Currencies() {
		codes = append(codes, cur.Code)
	}
	s.render(c, http.StatusOK, "donate.html", struct {
		page
		Fund         *ledger.Fund
		Currencies   []string
		Presets      []string
		CardsEnabled bool
		Reference    string
	}{newPage(c, l, l.T("donate.title", fund.Name)), fund, codes, []string{"10", "25", "50", "100", "250"}, s.Stripe != nil,
		"DON-" + strings.ToUpper(fund.Slug)})
}

// handleDonateSubmit takes the donation form and sends the donor to Stripe.
func (s *Server) handleDonateSubmit(c *gin.Context) {
	amount := strings.TrimSpace(c.PostForm("amount_other"))
	if amount == "" {
		amount = c.PostForm("preset")
	}
	amount = strings.Replace(amount, ",", ".", 1) // "12,50" as typed in much of Europe
	l := lang(c)
	if fl, ok := i18n.Parse(c.PostForm("lang")); ok {
		l = fl
	}
	req := checkoutRequest{
		Fund: c.Param("slug"), Amount: amount, Currency: c.PostForm("currency"),
		Donor:           donorJSON{Name: c.PostForm("name"), Email: strings.TrimSpace(c.PostForm("email")), Organisation: c.PostForm("organisation")},
		Acknowledgement: acknowledgementJSON{Display: c.PostForm("display"), Alias: c.PostForm("alias"), ShowAmount: c.PostForm("show_amount") == "true"},
		Message:         c.PostForm("message"),
	}
	p, err := s.checkout(c, req, writeRequest{}, string(l))
	if err != nil {
		s.renderError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, p.CheckoutURL)
}

func (s *Server) handleDonateThanks(c *gin.Context) {
	l := lang(c)
	s.render(c, http.StatusOK, "thanks.html", newPage(c, l, l.T("thanks.title")))
}

// ackFilter reads ?after=, ?before= and ?limit= for a fund or all funds.
func (s *Server) ackFilter(c *gin.Context) (ledger.AckFilter, *ledger.Fund, error) {
	f := ledger.AckFilter{After: c.Query("after"), Before: c.Query("before"), Limit: 50}
	if n := c.Query("limit"); n != "" {
		var limit int
		for _, r := range n {
			if r < '0' || r > '9' || limit > 1000 {
				return f, nil, ledger.Errorf(ledger.EINVALID, "limit must be a number from 1 to %d", maxAckLimit)
			}
			limit = limit*10 + int(r-'0')
		}
		if limit < 1 || limit > maxAckLimit {
			return f, nil, ledger.Errorf(ledger.EINVALID, "limit must be a number from 1 to %d", maxAckLimit)
		}
		f.Limit = limit
	}
	slug := c.Param("slug")
	if slug == "" {
		slug = c.Query("fund")
	}
	if slug == "" {
		return f, nil, nil
	}
	fund, err := s.Funds.FindFund(c.Request.Context(), slug)
	if err != nil {
		return f, nil, err
	}
	f.Fund = &fund.Slug
	return f, fund, nil
}

const maxAckLimit = 200

// pageURL is the list's URL with one cursor parameter set.
func pageURL(c *gin.Context, key, cursor string) string {
	if cursor == "" {
		return ""
	}
	u := url.URL{Path: c.Request.URL.Path}
	q := url.Values{}
	q.Set(key, cursor)
	if l := c.Query("limit"); l != "" {
		q.Set("limit", l)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

func (s *Server) handleAckPage(c *gin.Context) {
	l := lang(c)
	f, fund, err := s.ackFilter(c)
	if err != nil {
		s.renderError(c, err)
		return
	}
	pg, err := s.Acks.ListAcknowledgements(c.Request.Context(), f)
	if err != nil {
		s.renderError(c, err)
		return
	}
	base := "/acknowledgements"
	if fund != nil {
		base = "/funds/" + fund.Slug + "/acknowledgements"
	}
	p := newPage(c, l, l.T("ack.title"))
	p.Feed = base + ".atom"
	s.render(c, http.StatusOK, "acks.html", struct {
		page
		Fund         *ledger.Fund
		Acks         []ledger.PublicAck
		AllFunds     bool
		Older, Newer string
		CSV          string
	}{p, fund, pg.Entries, fund == nil, pageURL(c, "after", pg.Older), pageURL(c, "before", pg.Newer), base + ".csv"})
}

// handleAckChangePage is the donor's private page, reached from the link
// in their receipt, to change how they are acknowledged.
func (s *Server) handleAckChangePage(c *gin.Context) {
	s.ackChange(c, false)
}

func (s *Server) handleAckChangeSubmit(c *gin.Context) {
	a := ledger.Acknowledgement{Display: ledger.AckDisplay(c.PostForm("display")), Alias: c.PostForm("alias"), ShowAmount: c.PostForm("show_amount") == "true"}
	if err := s.Acks.ChangeAcknowledgement(c.Request.Context(), c.Param("token"), a); err != nil {
		s.renderError(c, err)
		return
	}
	s.ackChange(c, true)
}

func (s *Server) ackChange(c *gin.Context, saved bool) {
	l := lang(c)
	d, err := s.Acks.AckByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.renderError(c, err)
		return
	}
	c.Header("Referrer-Policy", "no-referrer")
	s.render(c, http.StatusOK, "ack_change.html", struct {
		page
		Donation *ledger.Donation
		Display  string
		Saved    bool
	}{newPage(c, l, l.T("ackchange.title")), d, string(d.Acknowledgement.Display), saved})
}

func staticHandler() gin.HandlerFunc {
	fs := http.FileServer(http.FS(web.Static))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Header("Content-Security-Policy", "default-src 'none'")
		fs.ServeHTTP(c.Writer, c.Request)
	}
}
