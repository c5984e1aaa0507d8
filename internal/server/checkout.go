package server

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	"github.com/fundledger/fundledger/web"
	"github.com/gin-gonic/gin"
)

var pages = template.Must(template.ParseFS(web.Templates, "templates/*.html"))

type checkoutRequest struct {
	Fund            string              `json:"fund"`
	Amount          string              `json:"amount"`
	Currency        string              `json:"currency"`
	Donor           donorJSON           `json:"donor"`
	Acknowledgement acknowledgementJSON `json:"acknowledgement"`
	Message         string              `json:"message"`
}

type checkoutResponse struct {
	PledgeID    string `json:"pledge_id"`
	CheckoutURL string `json:"checkout_url"`
}

// errCardsOff is the answer while no Stripe key is configured.
var errCardsOff = &ledger.Error{Code: ledger.EUNAVAILABLE, Message: "card donations are not configured on this server (STRIPE_SECRET_KEY is not set); give by bank transfer instead"}

// checkout stores a pledge and creates its Stripe Checkout session.
func (s *Server) checkout(c *gin.Context, req checkoutRequest, w writeRequest) (*ledger.Pledge, error) {
	if s.Stripe == nil {
		return nil, errCardsOff
	}
	m, err := ledger.ParseMoney(req.Amount, req.Currency)
	if err != nil {
		return nil, err
	}
	fund, err := s.Funds.FindFund(c.Request.Context(), req.Fund)
	if ledger.ErrorCode(err) == ledger.ENOTFOUND {
		return nil, ledger.Errorf(ledger.EINVALID, "fund %q does not exist", req.Fund)
	}
	if err != nil {
		return nil, err
	}
	p := &ledger.Pledge{
		Fund: req.Fund, Amount: m,
		Donor:           ledger.Donor{Name: req.Donor.Name, Email: req.Donor.Email, Organisation: req.Donor.Organisation, Country: req.Donor.Country},
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckDisplay(req.Acknowledgement.Display), Alias: req.Acknowledgement.Alias, ShowAmount: req.Acknowledgement.ShowAmount},
		Message:         req.Message, IdempotencyKey: w.Key, Fingerprint: w.Fingerprint,
	}
	if !p.Amount.Amount.IsPositive() {
		return nil, ledger.Errorf(ledger.EINVALID, "amount must be greater than zero")
	}
	if err := s.Cards.CreatePledge(c.Request.Context(), p); err != nil {
		return nil, err
	}
	if p.CheckoutURL != "" {
		return p, nil // a retry of a request that got its checkout already
	}
	base := strings.TrimRight(s.PublicURL, "/")
	id, url, err := s.Stripe.CreateCheckout(c.Request.Context(), p, fund.Name, ledger.CheckoutURLs{
		Success: base + "/donate/thanks?session_id={CHECKOUT_SESSION_ID}",
		Cancel:  base + "/donate/" + fund.Slug,
	})
	if err != nil {
		return nil, err
	}
	if err := s.Cards.SetPledgeCheckout(c.Request.Context(), p.ID, id, url); err != nil {
		return nil, err
	}
	p.CheckoutSessionID, p.CheckoutURL = id, url
	return p, nil
}

func (s *Server) handleCheckoutCreate(c *gin.Context) {
	var req checkoutRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	if c.GetHeader("Idempotency-Key") == "" {
		w.Key = "" // pledges are only deduplicated on the client's own key
	}
	p, err := s.checkout(c, req, w)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, checkoutResponse{PledgeID: p.ID, CheckoutURL: p.CheckoutURL})
}

// handleDonatePage shows a fund's donation form.
func (s *Server) handleDonatePage(c *gin.Context) {
	fund, err := s.Funds.FindFund(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.renderError(c, err)
		return
	}
	var codes []string
	for _, cur := range ledger.Currencies() {
		codes = append(codes, cur.Code)
	}
	s.render(c, http.StatusOK, "donate.html", gin.H{"Fund": fund, "Currencies": codes, "CardsEnabled": s.Stripe != nil})
}

// handleDonateSubmit takes the donation form and sends the donor to Stripe.
func (s *Server) handleDonateSubmit(c *gin.Context) {
	req := checkoutRequest{
		Fund: c.Param("slug"), Amount: strings.TrimSpace(c.PostForm("amount")), Currency: c.PostForm("currency"),
		Donor:           donorJSON{Name: c.PostForm("name"), Email: strings.TrimSpace(c.PostForm("email")), Organisation: c.PostForm("organisation")},
		Acknowledgement: acknowledgementJSON{Display: c.PostForm("display"), Alias: c.PostForm("alias"), ShowAmount: c.PostForm("show_amount") == "true"},
		Message:         c.PostForm("message"),
	}
	p, err := s.checkout(c, req, writeRequest{})
	if err != nil {
		s.renderError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, p.CheckoutURL)
}

func (s *Server) handleDonateThanks(c *gin.Context) {
	s.render(c, http.StatusOK, "thanks.html", nil)
}

func (s *Server) render(c *gin.Context, status int, name string, data any) {
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := pages.ExecuteTemplate(c.Writer, name, data); err != nil {
		s.Logger.Error("render page", "page", name, "error", err)
	}
}

// renderError shows an error as a plain page: the message is safe, and
// html/template would escape it anyway.
func (s *Server) renderError(c *gin.Context, err error) {
	status := statuses[ledger.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.Logger.Error("page failed", "path", c.Request.URL.Path, "error", err)
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.String(status, ledger.ErrorMessage(err)+"\n")
}
