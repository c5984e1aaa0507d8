package server

import (
	"net/http"
	"sort"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
)

type balanceJSON struct {
	Fund     string `json:"fund,omitempty"`
	Account  string `json:"account"`
	Type     string `json:"type"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// balanceFilter reads ?fund= and ?as_of=; a fund that does not exist is
// not found rather than an empty answer.
func (s *Server) balanceFilter(c *gin.Context) (ledger.BalanceFilter, error) {
	var f ledger.BalanceFilter
	asOf, err := parseOptionalDate("as_of", c.Query("as_of"))
	if err != nil {
		return f, err
	}
	f.AsOf = asOf
	if slug := c.Query("fund"); slug != "" {
		if err := ledger.ValidateSlug(slug); err != nil {
			return f, ledger.Errorf(ledger.EINVALID, "fund: %s", ledger.ErrorMessage(err))
		}
		if _, err := s.Funds.FindFund(c.Request.Context(), slug); err != nil {
			return f, err
		}
		f.Fund = &slug
	}
	return f, nil
}

func balancesJSON(bals []ledger.Balance) ([]balanceJSON, map[string]string) {
	out := make([]balanceJSON, len(bals))
	sums := map[string]decimal.Decimal{}
	curs := map[string]ledger.Currency{}
	for i, b := range bals {
		out[i] = balanceJSON{Fund: b.Fund, Account: b.Account, Type: string(b.Type), Amount: amountString(b.Amount, b.Currency), Currency: b.Currency.Code}
		sums[b.Currency.Code] = sums[b.Currency.Code].Add(b.Amount)
		curs[b.Currency.Code] = b.Currency
	}
	totals := map[string]string{}
	codes := make([]string, 0, len(sums))
	for code := range sums {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		totals[code] = amountString(sums[code], curs[code])
	}
	return out, totals
}

func (s *Server) handleBalances(c *gin.Context) {
	f, err := s.balanceFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	bals, err := s.Balances.Balances(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	out, _ := balancesJSON(bals)
	c.JSON(http.StatusOK, gin.H{"balances": out})
}

// handleTrialBalance lists every account's balance per currency, summed over
// funds; "totals" holds each currency's sum, which is zero in sound books.
func (s *Server) handleTrialBalance(c *gin.Context) {
	f, err := s.balanceFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	bals, err := s.Balances.TrialBalance(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	out, totals := balancesJSON(bals)
	c.JSON(http.StatusOK, gin.H{"lines": out, "totals": totals})
}
