package server

import (
	"net/http"
	"strings"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

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
func (s *Server) checkout(c *gin.Context, req checkoutRequest, w writeRequest, lang string) (*ledger.Pledge, error) {
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
		Message:         req.Message, IdempotencyKey: w.Key, Fingerprint: w.Fingerprint, Lang: lang,
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
	p, err := s.checkout(c, req, w, string(i18n.Negotiate(c.GetHeader("Accept-Language"), i18n.EN)))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, checkoutResponse{PledgeID: p.ID, CheckoutURL: p.CheckoutURL})
}
