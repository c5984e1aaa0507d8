package stripe

import (
	"context"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	stripe "github.com/stripe/stripe-go/v76"
)

// CreateCheckout creates a hosted Checkout Session for the pledge: one line
// item of the pledged amount, a "Donate" button, the pledge and fund in the
// metadata of both the session and its payment. The idempotency key is
// pledge:<id>, so retrying for the same pledge within Stripe's 24 hours
// returns the same session.
func (c *Client) CreateCheckout(ctx context.Context, p *ledger.Pledge, fundName string, urls ledger.CheckoutURLs) (sessionID, checkoutURL string, err error) {
	params, err := checkoutParams(p, fundName, urls)
	if err != nil {
		return "", "", err
	}
	params.Context = withContext(ctx)
	s, err := c.api.CheckoutSessions.New(params)
	if err != nil {
		return "", "", c.apiError("create a checkout session", err)
	}
	if s.ID == "" || s.URL == "" {
		c.log.Error("stripe: checkout session without id or url", "pledge", p.ID, "session", s.ID)
		return "", "", ledger.Errorf(ledger.EUNAVAILABLE, "%s: it returned a checkout session without a URL", unavailableMessage)
	}
	return s.ID, s.URL, nil
}

// checkoutParams builds the Checkout Session request for p.
func checkoutParams(p *ledger.Pledge, fundName string, urls ledger.CheckoutURLs) (*stripe.CheckoutSessionParams, error) {
	switch {
	case p == nil:
		return nil, ledger.Errorf(ledger.EINVALID, "no pledge to check out")
	case p.ID == "":
		return nil, ledger.Errorf(ledger.EINVALID, "the pledge has no id: store it before creating its checkout")
	case p.Fund == "":
		return nil, ledger.Errorf(ledger.EINVALID, "the pledge has no fund")
	case p.Donor.Email == "":
		return nil, ledger.Errorf(ledger.EINVALID, "donor.email is required: the receipt is sent there")
	case urls.Success == "" || urls.Cancel == "":
		return nil, ledger.Errorf(ledger.EINVALID, "the checkout needs both a success and a cancel URL")
	case !p.Amount.Amount.IsPositive():
		return nil, ledger.Errorf(ledger.EINVALID, "amount must be greater than zero")
	}
	amount, err := toMinor(p.Amount)
	if err != nil {
		return nil, err
	}
	cur := p.Amount.Currency
	if cur.Exponent == 3 && amount%10 != 0 {
		// Stripe's partners take three-decimal currencies only in whole
		// tens of the minor unit.
		return nil, ledger.Errorf(ledger.EINVALID, "card payments in %s must be a multiple of 0.010 %s; %s is not", cur.Code, cur.Code, p.Amount)
	}
	name := strings.TrimSpace(fundName)
	if name == "" {
		name = p.Fund
	}
	metadata := func() map[string]string { return map[string]string{"pledge_id": p.ID, "fund": p.Fund} }
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		SubmitType:        stripe.String(string(stripe.CheckoutSessionSubmitTypeDonate)),
		CustomerEmail:     stripe.String(p.Donor.Email),
		ClientReferenceID: stripe.String(p.ID),
		SuccessURL:        stripe.String(urls.Success),
		CancelURL:         stripe.String(urls.Cancel),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:   stripe.String(strings.ToLower(cur.Code)),
				UnitAmount: stripe.Int64(amount),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name: stripe.String("Donation to " + name),
				},
			},
			Quantity: stripe.Int64(1),
		}},
		Metadata: metadata(),
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{
			Description: stripe.String("Donation to " + name),
			Metadata:    metadata(),
		},
	}
	params.SetIdempotencyKey("pledge:" + p.ID)
	return params, nil
}
