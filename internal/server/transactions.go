package server

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

type postingJSON struct {
	Account  string `json:"account"`
	Fund     string `json:"fund"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type transactionRequest struct {
	Date        string            `json:"date"`
	Description string            `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	Postings    []postingJSON     `json:"postings"`
}

type transactionResponse struct {
	ID             string            `json:"id"`
	Seq            int64             `json:"seq"`
	IdempotencyKey string            `json:"idempotency_key"`
	Date           string            `json:"date"`
	Description    string            `json:"description"`
	Metadata       map[string]string `json:"metadata"`
	Postings       []postingJSON     `json:"postings"`
	ReversalOf     string            `json:"reversal_of,omitempty"`
	ReversedBy     string            `json:"reversed_by,omitempty"`
	RecordedAt     time.Time         `json:"recorded_at"`
	PrevHash       string            `json:"prev_hash"`
	Hash           string            `json:"hash"`
}

func newTransactionResponse(t *ledger.Transaction) transactionResponse {
	r := transactionResponse{
		ID: t.ID, Seq: t.Seq, IdempotencyKey: t.IdempotencyKey, Date: t.EffectiveDate.Format(time.DateOnly),
		Description: t.Description, Metadata: t.Metadata, ReversalOf: t.ReversalOf, ReversedBy: t.ReversedBy,
		RecordedAt: t.RecordedAt.UTC(), PrevHash: hex.EncodeToString(t.PrevHash), Hash: hex.EncodeToString(t.Hash),
		Postings: make([]postingJSON, len(t.Postings)),
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	for i, p := range t.Postings {
		r.Postings[i] = postingJSON{Account: p.Account, Fund: p.Fund, Amount: amountString(p.Amount, p.Currency), Currency: p.Currency.Code}
	}
	return r
}

func (s *Server) handleTransactionCreate(c *gin.Context) {
	var req transactionRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	if req.Date == "" {
		writeError(c, ledger.Errorf(ledger.EINVALID, "date is required (YYYY-MM-DD)"))
		return
	}
	date, err := ledger.ParseDate("date", req.Date)
	if err != nil {
		writeError(c, err)
		return
	}
	t := &ledger.Transaction{IdempotencyKey: w.Key, Fingerprint: w.Fingerprint, EffectiveDate: date,
		Description: req.Description, Metadata: req.Metadata}
	for i, p := range req.Postings {
		cur, err := ledger.LookupCurrency(p.Currency)
		if err != nil {
			writeError(c, ledger.Errorf(ledger.EINVALID, "postings[%d].currency: %s", i, ledger.ErrorMessage(err)))
			return
		}
		amt, err := ledger.ParseAmount(p.Amount, cur)
		if err != nil {
			writeError(c, ledger.Errorf(ledger.EINVALID, "postings[%d].amount: %s", i, ledger.ErrorMessage(err)))
			return
		}
		t.Postings = append(t.Postings, ledger.Posting{Account: p.Account, Fund: p.Fund, Amount: amt, Currency: cur})
	}
	rec, err := s.Transactions.RecordTransaction(c.Request.Context(), t)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/transactions/%s", rec.ID))
	c.JSON(http.StatusCreated, newTransactionResponse(rec))
}

func (s *Server) handleTransactionGet(c *gin.Context) {
	t, err := s.Transactions.FindTransaction(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newTransactionResponse(t))
}

type reverseRequest struct {
	Date        string `json:"date"`
	Description string `json:"description"`
}

func (s *Server) handleTransactionReverse(c *gin.Context) {
	var req reverseRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	date, err := parseOptionalDate("date", req.Date)
	if err != nil {
		writeError(c, err)
		return
	}
	r := &ledger.Transaction{IdempotencyKey: w.Key, Fingerprint: w.Fingerprint, Description: req.Description}
	if date != nil {
		r.EffectiveDate = *date
	}
	rec, err := s.Transactions.ReverseTransaction(c.Request.Context(), c.Param("id"), r)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/transactions/%s", rec.ID))
	c.JSON(http.StatusCreated, newTransactionResponse(rec))
}
