package server

import (
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// collectionService is the service behind the street collection routes.
// Collections are donations from passers-by, so the donation service keeps
// them (postgres.DonationService does).
func (s *Server) collectionService() (ledger.CollectionService, error) {
	if s.Collections == nil {
		return nil, ledger.Errorf(ledger.EINTERNAL, "collections are not configured on this server")
	}
	return s.Collections, nil
}

type collectionRequest struct {
	Fund        string            `json:"fund"`
	Place       string            `json:"place"`
	CollectedOn string            `json:"collected_on"`
	Collectors  []string          `json:"collectors"`
	Counts      []perCurrencyJSON `json:"counts"`
	CountedBy   []string          `json:"counted_by"`
	// Recount is an optional second count; it must equal counts.
	Recount []perCurrencyJSON `json:"recount"`
}

type collectionBankRequest struct {
	BankedOn string `json:"banked_on"`
}

// collectionResponse is a collection as recorded. The names of collectors
// and counters are personal data, shown only to committee tokens; the public
// list shows public_label.
type collectionResponse struct {
	ID                  string            `json:"id"`
	TransactionID       string            `json:"transaction_id"`
	Fund                string            `json:"fund"`
	Place               string            `json:"place"`
	CollectedOn         string            `json:"collected_on"`
	Collectors          []string          `json:"collectors"`
	Counts              []perCurrencyJSON `json:"counts"`
	CountedBy           []string          `json:"counted_by"`
	Recounted           bool              `json:"recounted"`
	PublicLabel         string            `json:"public_label"`
	RecordedAt          time.Time         `json:"recorded_at"`
	BankedTransactionID string            `json:"banked_transaction_id,omitempty"`
	BankedOn            string            `json:"banked_on,omitempty"`
}

func newCollectionResponse(col *ledger.Collection) collectionResponse {
	r := collectionResponse{
		ID: col.ID, TransactionID: col.TransactionID, Fund: col.Fund, Place: col.Place,
		CollectedOn: col.CollectedOn.Format(time.DateOnly), Collectors: col.Collectors,
		Counts: newPerCurrency(col.Counts), CountedBy: col.CountedBy[:], Recounted: col.Recounted,
		PublicLabel: col.PublicLabel(), RecordedAt: col.RecordedAt.UTC(),
		BankedTransactionID: col.BankedTransactionID,
	}
	if r.Collectors == nil {
		r.Collectors = []string{}
	}
	if !col.BankedOn.IsZero() {
		r.BankedOn = col.BankedOn.Format(time.DateOnly)
	}
	return r
}

// handleCollectionCreate records a street collection, booked as one
// transaction.
func (s *Server) handleCollectionCreate(c *gin.Context) {
	svc, err := s.collectionService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req collectionRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	if req.CollectedOn == "" {
		writeError(c, ledger.Errorf(ledger.EINVALID, "collected_on is required (YYYY-MM-DD)"))
		return
	}
	on, err := ledger.ParseDate("collected_on", req.CollectedOn)
	if err != nil {
		writeError(c, err)
		return
	}
	if len(req.CountedBy) != 2 {
		writeError(c, ledger.Errorf(ledger.EINVALID, "counted_by must name exactly two people who counted the cash, got %d", len(req.CountedBy)))
		return
	}
	counts, err := parsePerCurrency("counts", req.Counts)
	if err != nil {
		writeError(c, err)
		return
	}
	var recount []ledger.Money
	if req.Recount != nil {
		if len(req.Recount) == 0 {
			writeError(c, ledger.Errorf(ledger.EINVALID, "recount: give the second count per currency, or leave recount out"))
			return
		}
		if recount, err = parsePerCurrency("recount", req.Recount); err != nil {
			writeError(c, err)
			return
		}
	}
	col := &ledger.Collection{
		Fund: req.Fund, Place: req.Place, CollectedOn: on, Collectors: req.Collectors,
		Counts: counts, Recount: recount, CountedBy: [2]string{req.CountedBy[0], req.CountedBy[1]},
		IdempotencyKey: w.Key, Fingerprint: w.Fingerprint,
	}
	rec, err := svc.RecordCollection(c.Request.Context(), col)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/collections/"+rec.ID)
	c.JSON(http.StatusCreated, newCollectionResponse(rec))
}

// handleCollectionGet shows a street collection.
func (s *Server) handleCollectionGet(c *gin.Context) {
	svc, err := s.collectionService()
	if err != nil {
		writeError(c, err)
		return
	}
	col, err := svc.FindCollection(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newCollectionResponse(col))
}

// handleCollectionBank books the banking of a collection's cash: per
// currency, Dr assets:bank:<ccy> / Cr assets:cash.
func (s *Server) handleCollectionBank(c *gin.Context) {
	svc, err := s.collectionService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req collectionBankRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	on, err := parseOptionalDate("banked_on", req.BankedOn)
	if err != nil {
		writeError(c, err)
		return
	}
	var day time.Time
	if on != nil {
		day = *on
	}
	col, err := svc.BankCollection(c.Request.Context(), c.Param("id"), day, w.Key, w.Fingerprint)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/transactions/"+col.BankedTransactionID)
	c.JSON(http.StatusCreated, newCollectionResponse(col))
}
