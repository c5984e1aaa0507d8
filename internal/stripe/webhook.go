package stripe

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	"github.com/stripe/stripe-go/v76/webhook"
)

// ParseWebhook verifies a webhook delivery (its body and Stripe-Signature
// header) with the endpoint's signing secret and Stripe's default tolerance
// of five minutes, then decodes it with ParseEvent.
//
// Every refusal is an EINVALID *ledger.Error saying what to fix. Events
// rendered in an API version other than 2023-10-16 are refused: their
// objects may not have the shape fundledger reads. The endpoint must be
// created with that version; `fundledger stripe sync` recovers what was
// refused meanwhile. A missing STRIPE_WEBHOOK_SECRET is EUNAVAILABLE: the
// server, not the request, must be fixed, and Stripe retries.
func (c *Client) ParseWebhook(payload []byte, signatureHeader string) (*ledger.StripeEvent, error) {
	if c.webhookSecret == "" {
		return nil, ledger.Errorf(ledger.EUNAVAILABLE, "STRIPE_WEBHOOK_SECRET is not set, so Stripe's webhooks cannot be verified: set it to the signing secret (whsec_...) of this endpoint")
	}
	if strings.TrimSpace(signatureHeader) == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "the request has no Stripe-Signature header: only Stripe, signing with this endpoint's secret, may post events here")
	}
	_, err := webhook.ConstructEventWithOptions(payload, signatureHeader, c.webhookSecret, webhook.ConstructEventOptions{})
	switch {
	case err == nil:
	case errors.Is(err, webhook.ErrNotSigned):
		return nil, ledger.Errorf(ledger.EINVALID, "the request has no Stripe-Signature header: only Stripe, signing with this endpoint's secret, may post events here")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return nil, ledger.Errorf(ledger.EINVALID, "the Stripe-Signature header is malformed: it should read t=<unix time>,v1=<hex signature>")
	case errors.Is(err, webhook.ErrNoValidSignature):
		return nil, ledger.Errorf(ledger.EINVALID, "the Stripe-Signature does not match the body: check STRIPE_WEBHOOK_SECRET is the signing secret of this endpoint (Stripe Dashboard > Developers > Webhooks > the endpoint > Signing secret), and that nothing between Stripe and fundledger rewrites the body")
	case errors.Is(err, webhook.ErrTooOld):
		return nil, ledger.Errorf(ledger.EINVALID, "the Stripe-Signature timestamp is more than %s old, so the delivery is refused as a possible replay: check this server's clock; Stripe retries with a fresh signature", webhook.DefaultTolerance)
	default:
		// The signature is good: the body is not an event stripe-go can
		// read, or it is rendered in another API version.
		var env struct {
			ID         string  `json:"id"`
			APIVersion *string `json:"api_version"`
		}
		if jerr := json.Unmarshal(payload, &env); jerr != nil {
			return nil, ledger.Errorf(ledger.EINVALID, "the body is not a Stripe event: %s", jsonProblem(jerr))
		}
		if env.APIVersion == nil || *env.APIVersion != APIVersion {
			return nil, apiVersionError(env.ID, env.APIVersion)
		}
		return nil, ledger.Errorf(ledger.EINVALID, "Stripe event %s cannot be read", env.ID)
	}
	return ParseEvent(payload)
}

// apiVersionError refuses an event rendered in another API version.
func apiVersionError(id string, version *string) *ledger.Error {
	v := "no API version"
	if version != nil && *version != "" {
		v = "API version " + *version
	}
	if id == "" {
		id = "(without id)"
	}
	return ledger.Errorf(ledger.EINVALID, "Stripe event %s is rendered in %s, but fundledger speaks API version %s: "+
		"create the webhook endpoint with API version %s: Stripe Dashboard > Developers > Webhooks > Add endpoint > API version, "+
		"or `stripe webhook_endpoints create --api-version %s ...`; events refused meanwhile are recovered by `fundledger stripe sync`",
		id, v, APIVersion, APIVersion, APIVersion)
}
