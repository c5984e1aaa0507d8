package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

type donorJSON struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Organisation string `json:"organisation"`
	Country      string `json:"country"`
}

type acknowledgementJSON struct {
	Display    string `json:"display"`
	Alias      string `json:"alias"`
	ShowAmount bool   `json:"show_amount"`
}

type donationRequest struct {
	Fund            string              `json:"fund"`
	Amount          string              `json:"amount"`
	Currency        string              `json:"currency"`
	Channel         string              `json:"channel"`
	ReceivedOn      string              `json:"received_on"`
	Donor           donorJSON           `json:"donor"`
	Acknowledgement acknowledgementJSON `json:"acknowledgement"`
	Message         string              `json:"message"`
}

// donationResponse is the donation as recorded: the request's fields, as
// the ledger normalised them, with the ids and the time it was recorded.
type donationResponse struct {
	ID            string `json:"id"`
	TransactionID string `json:"transaction_id"`
	donationRequest
	RecordedAt time.Time `json:"recorded_at"`
}

func newDonationResponse(d *ledger.Donation) donationResponse {
	return donationResponse{
		ID: d.ID, TransactionID: d.TransactionID, RecordedAt: d.RecordedAt.UTC(),
		donationRequest: donationRequest{
			Fund: d.Fund, Amount: amountString(d.Amount.Amount, d.Amount.Currency), Currency: d.Amount.Currency.Code,
			Channel: string(d.Channel), ReceivedOn: d.ReceivedOn.Format(time.DateOnly),
			Donor:           donorJSON{Name: d.Donor.Name, Email: d.Donor.Email, Organisation: d.Donor.Organisation, Country: d.Donor.Country},
			Acknowledgement: acknowledgementJSON{Display: string(d.Acknowledgement.Display), Alias: d.Acknowledgement.Alias, ShowAmount: d.Acknowledgement.ShowAmount},
			Message:         d.Message,
		},
	}
}

func (s *Server) handleDonationCreate(c *gin.Context) {
	var req donationRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	ch := ledger.Channel(req.Channel)
	offline := false
	for _, o := range ledger.OfflineChannels {
		offline = offline || ch == o
	}
	if !offline {
		writeError(c, ledger.Errorf(ledger.EINVALID, "channel %q is not one of bank_transfer, cash, cheque, organisation (card donations arrive through Stripe)", req.Channel))
		return
	}
	m, err := ledger.ParseMoney(req.Amount, req.Currency)
	if err != nil {
		writeError(c, err)
		return
	}
	if req.ReceivedOn == "" {
		writeError(c, ledger.Errorf(ledger.EINVALID, "received_on is required (YYYY-MM-DD)"))
		return
	}
	on, err := ledger.ParseDate("received_on", req.ReceivedOn)
	if err != nil {
		writeError(c, err)
		return
	}
	d := &ledger.Donation{
		Fund: req.Fund, Amount: m, Channel: ch, ReceivedOn: on,
		Donor:           ledger.Donor{Name: req.Donor.Name, Email: req.Donor.Email, Organisation: req.Donor.Organisation, Country: req.Donor.Country},
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckDisplay(req.Acknowledgement.Display), Alias: req.Acknowledgement.Alias, ShowAmount: req.Acknowledgement.ShowAmount},
		Message:         req.Message, IdempotencyKey: w.Key, Fingerprint: w.Fingerprint,
	}
	rec, err := s.Donations.RecordDonation(c.Request.Context(), d)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/donations/%s", rec.ID))
	c.JSON(http.StatusCreated, newDonationResponse(rec))
}

func (s *Server) handleDonationGet(c *gin.Context) {
	d, err := s.Donations.FindDonation(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newDonationResponse(d))
}
