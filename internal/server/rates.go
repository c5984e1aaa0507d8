package server

import (
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
)

type rateRequest struct {
	Currency string `json:"currency"`
	Quote    string `json:"quote"`
	Rate     string `json:"rate"`
	AsOf     string `json:"as_of"`
}

// handleRateSet records the committee's rate for showing a fund's total in
// its own currency. The books never convert at it.
func (s *Server) handleRateSet(c *gin.Context) {
	var req rateRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	cur, err := ledger.LookupCurrency(req.Currency)
	if err != nil {
		writeError(c, err)
		return
	}
	quote, err := ledger.LookupCurrency(req.Quote)
	if err != nil {
		writeError(c, ledger.Errorf(ledger.EINVALID, "quote: %s", ledger.ErrorMessage(err)))
		return
	}
	rate, err := decimal.NewFromString(req.Rate)
	if err != nil || len(req.Rate) > 30 || !rate.IsPositive() {
		writeError(c, ledger.Errorf(ledger.EINVALID, "rate must be a positive decimal string such as \"196.54\""))
		return
	}
	asOf, err := ledger.ParseDate("as_of", req.AsOf)
	if err != nil {
		writeError(c, err)
		return
	}
	r := ledger.ExchangeRate{Currency: cur, Quote: quote, Rate: rate, AsOf: asOf}
	if err := s.Rates.SetExchangeRate(c.Request.Context(), r); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"currency": cur.Code, "quote": quote.Code, "rate": rate.String(), "as_of": asOf.Format(time.DateOnly)})
}
