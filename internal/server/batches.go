package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// batchService is the service behind the batch routes. Batches are
// donations entered in bulk, so the donation service keeps them
// (postgres.DonationService does).
func (s *Server) batchService() (ledger.BatchService, error) {
	if s.Batches == nil {
		return nil, ledger.Errorf(ledger.EINTERNAL, "batches are not configured on this server")
	}
	return s.Batches, nil
}

// perCurrencyJSON is an amount in one currency, as in control totals and
// counted cash: {"currency":"EUR","amount":"1480.00"}.
type perCurrencyJSON struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// parsePerCurrency parses amounts given per currency under the named field.
func parsePerCurrency(field string, in []perCurrencyJSON) ([]ledger.Money, error) {
	out := make([]ledger.Money, 0, len(in))
	for i, a := range in {
		m, err := ledger.ParseMoney(a.Amount, a.Currency)
		if err != nil {
			return nil, ledger.Errorf(ledger.EINVALID, "%s[%d].%s", field, i, ledger.ErrorMessage(err))
		}
		out = append(out, m)
	}
	return out, nil
}

// newPerCurrency renders amounts with exactly their currency's decimals.
func newPerCurrency(ms []ledger.Money) []perCurrencyJSON {
	out := make([]perCurrencyJSON, len(ms))
	for i, m := range ms {
		out[i] = perCurrencyJSON{Currency: m.Currency.Code, Amount: amountString(m.Amount, m.Currency)}
	}
	return out
}

type batchRequest struct {
	Fund           string            `json:"fund"`
	Channel        string            `json:"channel"`
	Description    string            `json:"description"`
	ExpectedCount  int               `json:"expected_count"`
	ExpectedTotals []perCurrencyJSON `json:"expected_totals"`
}

type batchEntryRequest struct {
	Amount          string              `json:"amount"`
	Currency        string              `json:"currency"`
	Channel         string              `json:"channel"`
	ReceivedOn      string              `json:"received_on"`
	Donor           donorJSON           `json:"donor"`
	Acknowledgement acknowledgementJSON `json:"acknowledgement"`
	Message         string              `json:"message"`
}

type batchCloseRequest struct {
	OverrideReason string `json:"override_reason"`
}

// batchEntryResponse is an entry as stored; donation_id and transaction_id
// appear once its batch is closed and posted.
type batchEntryResponse struct {
	ID      string `json:"id"`
	BatchID string `json:"batch_id"`
	batchEntryRequest
	DonationID    string    `json:"donation_id,omitempty"`
	TransactionID string    `json:"transaction_id,omitempty"`
	EnteredBy     string    `json:"entered_by"`
	EnteredAt     time.Time `json:"entered_at"`
}

type batchResponse struct {
	ID             string            `json:"id"`
	Fund           string            `json:"fund"`
	Channel        string            `json:"channel"`
	Description    string            `json:"description"`
	Status         string            `json:"status"`
	ExpectedCount  int               `json:"expected_count"`
	ExpectedTotals []perCurrencyJSON `json:"expected_totals"`
	EnteredCount   int               `json:"entered_count"`
	EnteredTotals  []perCurrencyJSON `json:"entered_totals"`
	// ControlsMatch says whether the entries match the control totals: now,
	// for an open batch; when it closed, for a closed one.
	ControlsMatch  bool                 `json:"controls_match"`
	Entries        []batchEntryResponse `json:"entries"`
	OpenedBy       string               `json:"opened_by"`
	OpenedAt       time.Time            `json:"opened_at"`
	ClosedBy       string               `json:"closed_by,omitempty"`
	ClosedAt       *time.Time           `json:"closed_at,omitempty"`
	OverrideReason string               `json:"override_reason,omitempty"`
}

func newBatchEntryResponse(e *ledger.BatchEntry) batchEntryResponse {
	d := &e.Donation
	return batchEntryResponse{
		ID: e.ID, BatchID: e.BatchID, DonationID: d.ID, TransactionID: d.TransactionID,
		EnteredBy: e.EnteredBy, EnteredAt: e.EnteredAt.UTC(),
		batchEntryRequest: batchEntryRequest{
			Amount: amountString(d.Amount.Amount, d.Amount.Currency), Currency: d.Amount.Currency.Code,
			Channel: string(d.Channel), ReceivedOn: d.ReceivedOn.Format(time.DateOnly),
			Donor:           donorJSON{Name: d.Donor.Name, Email: d.Donor.Email, Organisation: d.Donor.Organisation, Country: d.Donor.Country},
			Acknowledgement: acknowledgementJSON{Display: string(d.Acknowledgement.Display), Alias: d.Acknowledgement.Alias, ShowAmount: d.Acknowledgement.ShowAmount},
			Message:         d.Message,
		},
	}
}

func newBatchResponse(b *ledger.Batch) batchResponse {
	entered := b.Entered()
	r := batchResponse{
		ID: b.ID, Fund: b.Fund, Channel: string(b.Channel), Description: b.Description, Status: string(b.Status),
		ExpectedCount: b.Expected.Count, ExpectedTotals: newPerCurrency(b.Expected.Totals),
		EnteredCount: entered.Count, EnteredTotals: newPerCurrency(entered.Totals),
		ControlsMatch: entered.Equal(b.Expected),
		Entries:       make([]batchEntryResponse, len(b.Entries)),
		OpenedBy:      b.OpenedBy, OpenedAt: b.OpenedAt.UTC(),
		ClosedBy: b.ClosedBy, OverrideReason: b.OverrideReason,
	}
	if b.Status == ledger.BatchClosed {
		at := b.ClosedAt.UTC()
		r.ClosedAt, r.ControlsMatch = &at, b.ControlsMatched
	}
	for i := range b.Entries {
		r.Entries[i] = newBatchEntryResponse(&b.Entries[i])
	}
	return r
}

// controlTotalsJSON is a batch's count of entries and totals per currency.
type controlTotalsJSON struct {
	Count  int               `json:"count"`
	Totals []perCurrencyJSON `json:"totals"`
}

// controlMismatchBody is the error answer to closing a batch whose entries
// do not match its control totals: the usual error, with the figures.
type controlMismatchBody struct {
	Error struct {
		Code        string            `json:"code"`
		Message     string            `json:"message"`
		Expected    controlTotalsJSON `json:"expected"`
		Entered     controlTotalsJSON `json:"entered"`
		Differences []string          `json:"differences"`
	} `json:"error"`
}

// writeBatchError is writeError, with the figures when control totals do
// not match.
func writeBatchError(c *gin.Context, err error) {
	var mm *ledger.ControlMismatchError
	if !errors.As(err, &mm) {
		writeError(c, err)
		return
	}
	var body controlMismatchBody
	body.Error.Code, body.Error.Message = ledger.ErrorCode(err), ledger.ErrorMessage(err)
	body.Error.Expected = controlTotalsJSON{Count: mm.Expected.Count, Totals: newPerCurrency(mm.Expected.Totals)}
	body.Error.Entered = controlTotalsJSON{Count: mm.Entered.Count, Totals: newPerCurrency(mm.Entered.Totals)}
	body.Error.Differences = mm.Differences()
	c.AbortWithStatusJSON(statuses[ledger.ECONFLICT], body)
}

// handleBatchCreate opens a batch with its control totals.
func (s *Server) handleBatchCreate(c *gin.Context) {
	svc, err := s.batchService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req batchRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	totals, err := parsePerCurrency("expected_totals", req.ExpectedTotals)
	if err != nil {
		writeError(c, err)
		return
	}
	b := &ledger.Batch{
		Fund: req.Fund, Channel: ledger.Channel(req.Channel), Description: req.Description,
		Expected: ledger.ControlTotals{Count: req.ExpectedCount, Totals: totals},
		OpenedBy: tokenName(c), IdempotencyKey: w.Key, Fingerprint: w.Fingerprint,
	}
	rec, err := svc.OpenBatch(c.Request.Context(), b)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/batches/"+rec.ID)
	c.JSON(http.StatusCreated, newBatchResponse(rec))
}

// handleBatchGet shows a batch, its entries and how they compare with the
// control totals.
func (s *Server) handleBatchGet(c *gin.Context) {
	svc, err := s.batchService()
	if err != nil {
		writeError(c, err)
		return
	}
	b, err := svc.FindBatch(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newBatchResponse(b))
}

// handleBatchEntryAdd adds a donation to an open batch.
func (s *Server) handleBatchEntryAdd(c *gin.Context) {
	svc, err := s.batchService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req batchEntryRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	d, err := donationFields(req.Amount, req.Currency, req.ReceivedOn, req.Donor, req.Acknowledgement)
	if err != nil {
		writeError(c, err)
		return
	}
	d.Channel, d.Message = ledger.Channel(req.Channel), req.Message
	e := &ledger.BatchEntry{Donation: *d, EnteredBy: tokenName(c), IdempotencyKey: w.Key, Fingerprint: w.Fingerprint}
	rec, err := svc.AddBatchEntry(c.Request.Context(), c.Param("id"), e)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, newBatchEntryResponse(rec))
}

// handleBatchEntryRemove removes an entry from an open batch. Removing it
// again answers the same.
func (s *Server) handleBatchEntryRemove(c *gin.Context) {
	svc, err := s.batchService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req struct{}
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	err = svc.RemoveBatchEntry(c.Request.Context(), c.Param("id"), c.Param("entry"), tokenName(c), w.Key, w.Fingerprint)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// handleBatchClose closes a batch and posts its entries, when they match the
// control totals or with an override_reason.
func (s *Server) handleBatchClose(c *gin.Context) {
	svc, err := s.batchService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req batchCloseRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	who := tokenName(c)
	if who == "" {
		writeError(c, fmt.Errorf("close batch: no token in the request context"))
		return
	}
	b, err := svc.CloseBatch(c.Request.Context(), c.Param("id"), who,
		ledger.BatchClose{OverrideReason: req.OverrideReason, IdempotencyKey: w.Key, Fingerprint: w.Fingerprint})
	if err != nil {
		writeBatchError(c, err)
		return
	}
	c.JSON(http.StatusOK, newBatchResponse(b))
}
