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
	d, err := donationFields(req.Amount, req.Currency, req.ReceivedOn, req.Donor, req.Acknowledgement)
	if err != nil {
		writeError(c, err)
		return
	}
	d.Fund, d.Channel, d.Message, d.IdempotencyKey, d.Fingerprint = req.Fund, ch, req.Message, w.Key, w.Fingerprint
	ctx, audited := s.withAPIAudit(c, http.StatusCreated)
	rec, err := s.Donations.RecordDonation(ctx, d)
	if err != nil {
		writeError(c, err)
		return
	}
	audited()
	c.Header("Location", fmt.Sprintf("/api/v1/donations/%s", rec.ID))
	c.JSON(http.StatusCreated, newDonationResponse(rec))
}

// donationFields reads the fields every donation request shares: the
// amount in its currency, the date received, the donor and their consent.
func donationFields(amount, currency, receivedOn string, donor donorJSON, ack acknowledgementJSON) (*ledger.Donation, error) {
	m, err := ledger.ParseMoney(amount, currency)
	if err != nil {
		return nil, err
	}
	if receivedOn == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "received_on is required (YYYY-MM-DD)")
	}
	on, err := ledger.ParseDate("received_on", receivedOn)
	if err != nil {
		return nil, err
	}
	return &ledger.Donation{
		Amount: m, ReceivedOn: on,
		Donor:           ledger.Donor{Name: donor.Name, Email: donor.Email, Organisation: donor.Organisation, Country: donor.Country},
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckDisplay(ack.Display), Alias: ack.Alias, ShowAmount: ack.ShowAmount},
	}, nil
}

func (s *Server) handleDonationGet(c *gin.Context) {
	d, err := s.Donations.FindDonation(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newDonationResponse(d))
}
