package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// StripeWebhooks verifies and decodes a webhook delivery.
type StripeWebhooks interface {
	ParseWebhook(payload []byte, signatureHeader string) (*ledger.StripeEvent, error)
}

// maxWebhookBody caps a webhook delivery; Stripe's events are far smaller.
const maxWebhookBody = 512 << 10

// handleStripeWebhook verifies a delivery's signature, then stores and
// books the event once. Stripe retries anything but a 2xx, so: a bad or
// stale signature is a 400 with nothing stored; a duplicate or an event of
// a type we do not book is a 200; only what may succeed later (the database
// unreachable, Stripe's API unreachable) is a 5xx.
func (s *Server) handleStripeWebhook(c *gin.Context) {
	if s.StripeWebhooks == nil || s.Stripe == nil {
		writeError(c, &ledger.Error{Code: ledger.EUNAVAILABLE, Message: "Stripe webhooks are not configured on this server: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxWebhookBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(c, &ledger.Error{Code: "too_large", Message: "webhook body is larger than 512 KiB"})
			return
		}
		writeError(c, ledger.Errorf(ledger.EINVALID, "webhook body could not be read"))
		return
	}
	ev, err := s.StripeWebhooks.ParseWebhook(body, c.GetHeader("Stripe-Signature"))
	if err != nil {
		s.Logger.Warn("stripe webhook refused", "error", ledger.ErrorMessage(err))
		writeError(c, err)
		return
	}
	outcome, err := ledger.ProcessStripeEvent(c.Request.Context(), s.Stripe, s.Cards, ev)
	if err != nil {
		s.Logger.Error("stripe event not booked", "stripe_event_id", ev.ID, "type", ev.Type, "error", err)
		writeError(c, err)
		return
	}
	s.Logger.Info("stripe event", "stripe_event_id", ev.ID, "type", ev.Type, "outcome", string(outcome))
	c.JSON(http.StatusOK, gin.H{"received": true, "outcome": outcome})
}
