package server

import (
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

type fundRequest struct {
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Currency    string  `json:"currency"`
	Target      *string `json:"target"`
	Restricted  bool    `json:"restricted"`
}

type fundResponse struct {
	Slug        string            `json:"slug"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Currency    string            `json:"currency"`
	Target      *string           `json:"target"`
	Restricted  bool              `json:"restricted"`
	CreatedAt   time.Time         `json:"created_at"`
	Raised      map[string]string `json:"raised"`
	Donations   int64             `json:"donations"`
}

func (s *Server) fundResponse(c *gin.Context, f *ledger.Fund) (fundResponse, error) {
	r := fundResponse{Slug: f.Slug, Name: f.Name, Description: f.Description, Currency: f.Currency.Code,
		Restricted: f.Restricted, CreatedAt: f.CreatedAt.UTC(), Raised: map[string]string{}}
	if f.Target != nil {
		t := amountString(*f.Target, f.Currency)
		r.Target = &t
	}
	totals, err := s.Funds.FundTotals(c.Request.Context(), f.Slug)
	if err != nil {
		return r, err
	}
	for code, amt := range totals.Raised {
		cur, err := ledger.LookupCurrency(code)
		if err != nil {
			return r, err
		}
		r.Raised[code] = amountString(amt, cur)
	}
	r.Donations = totals.Donations
	return r, nil
}

func (s *Server) handleFundList(c *gin.Context) {
	funds, err := s.Funds.ListFunds(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]fundResponse, 0, len(funds))
	for _, f := range funds {
		r, err := s.fundResponse(c, f)
		if err != nil {
			writeError(c, err)
			return
		}
		out = append(out, r)
	}
	c.JSON(http.StatusOK, gin.H{"funds": out})
}

func (s *Server) handleFundGet(c *gin.Context) {
	f, err := s.Funds.FindFund(c.Request.Context(), c.Param("slug"))
	if err != nil {
		writeError(c, err)
		return
	}
	r, err := s.fundResponse(c, f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) handleFundCreate(c *gin.Context) {
	var req fundRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	cur, err := ledger.LookupCurrency(req.Currency)
	if err != nil {
		writeError(c, err)
		return
	}
	f := &ledger.Fund{Slug: req.Slug, Name: req.Name, Description: req.Description, Currency: cur, Restricted: req.Restricted}
	if req.Target != nil {
		t, err := ledger.ParseAmount(*req.Target, cur)
		if err != nil {
			writeError(c, ledger.Errorf(ledger.EINVALID, "target: %s", ledger.ErrorMessage(err)))
			return
		}
		f.Target = &t
	}
	if err := s.Funds.CreateFund(c.Request.Context(), f, w.Key, w.Fingerprint); err != nil {
		writeError(c, err)
		return
	}
	r, err := s.fundResponse(c, f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/funds/"+f.Slug)
	c.JSON(http.StatusCreated, r)
}
