package stripe

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/stripe/stripetest"
	"github.com/fundledger/fundledger/ledger"
	stripe "github.com/stripe/stripe-go/v76"
)

func pledge(t *testing.T, amount, currency string) *ledger.Pledge {
	return &ledger.Pledge{ID: "8c0b1f4e-6a2d-4f4e-9d55-2f9a3c1e7b10", Fund: "strike-2026", Amount: money(t, amount, currency),
		Donor: ledger.Donor{Name: "Ada", Email: "ada@example.org"}, Status: ledger.PledgePending}
}

var urls = ledger.CheckoutURLs{Success: "https://fund.example.org/donate/thanks?session_id={CHECKOUT_SESSION_ID}", Cancel: "https://fund.example.org/donate"}

func TestCheckoutParams(t *testing.T) {
	for _, tc := range []struct {
		amount, currency string
		unit             int64
	}{
		{"12.50", "EUR", 1250},
		{"1500", "JPY", 1500},
		{"1.500", "KWD", 1500},
		{"2500", "ISK", 250000},
	} {
		p := pledge(t, tc.amount, tc.currency)
		params, err := checkoutParams(p, "Strike Fund 2026", urls)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.amount, tc.currency, err)
		}
		if *params.Mode != "payment" || *params.SubmitType != "donate" {
			t.Errorf("mode %s, submit_type %s", *params.Mode, *params.SubmitType)
		}
		if len(params.LineItems) != 1 {
			t.Fatalf("%d line items", len(params.LineItems))
		}
		li := params.LineItems[0]
		if *li.Quantity != 1 || *li.PriceData.UnitAmount != tc.unit || *li.PriceData.Currency != strings.ToLower(tc.currency) ||
			*li.PriceData.ProductData.Name != "Donation to Strike Fund 2026" {
			t.Errorf("%s %s: line item %d x %d %s %q", tc.amount, tc.currency, *li.Quantity, *li.PriceData.UnitAmount,
				*li.PriceData.Currency, *li.PriceData.ProductData.Name)
		}
		want := map[string]string{"pledge_id": p.ID, "fund": "strike-2026"}
		for where, md := range map[string]map[string]string{"session": params.Metadata, "payment_intent_data": params.PaymentIntentData.Metadata} {
			if len(md) != len(want) || md["pledge_id"] != want["pledge_id"] || md["fund"] != want["fund"] {
				t.Errorf("%s metadata = %v, want %v", where, md, want)
			}
		}
		if *params.CustomerEmail != "ada@example.org" || *params.SuccessURL != urls.Success || *params.CancelURL != urls.Cancel {
			t.Errorf("email %s, success %s, cancel %s", *params.CustomerEmail, *params.SuccessURL, *params.CancelURL)
		}
		if params.IdempotencyKey == nil || *params.IdempotencyKey != "pledge:"+p.ID {
			t.Errorf("idempotency key = %v", params.IdempotencyKey)
		}
	}

	// Refusals before Stripe is asked.
	bad := func(name string, p *ledger.Pledge, u ledger.CheckoutURLs) {
		t.Helper()
		if _, err := checkoutParams(p, "Fund", u); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	p := pledge(t, "1.505", "KWD")
	bad("KWD not in tens of fils", p, urls)
	p = pledge(t, "10", "EUR")
	p.Amount.Amount = p.Amount.Amount.Add(money(t, "0.001", "KWD").Amount) // 10.001 EUR: cannot be cents
	bad("sub-cent EUR", p, urls)
	p = pledge(t, "10", "EUR")
	p.ID = ""
	bad("no id", p, urls)
	p = pledge(t, "10", "EUR")
	p.Donor.Email = ""
	bad("no email", p, urls)
	bad("no urls", pledge(t, "10", "EUR"), ledger.CheckoutURLs{})
	p = pledge(t, "10", "EUR")
	p.Amount.Amount = p.Amount.Amount.Neg()
	bad("negative", p, urls)
}

func TestCreateCheckoutAgainstStripeMock(t *testing.T) {
	t.Parallel()
	c, logs := newClient(t, stripetest.StartMock(t, nil))
	id, url, err := c.CreateCheckout(context.Background(), pledge(t, "12.50", "EUR"), "Strike Fund", urls)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "cs_") || !strings.HasPrefix(url, "https://") {
		t.Errorf("session %q, url %q", id, url)
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("the secret key is in the logs")
	}

	// stripe-mock validates the request against Stripe's OpenAPI spec and
	// reflects the scalar parameters it understood into its answer (not
	// metadata: TestCheckoutParams checks that).
	params, err := checkoutParams(pledge(t, "12.50", "EUR"), "Strike Fund", urls)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.api.CheckoutSessions.New(params)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != "payment" || s.SubmitType != "donate" || s.CustomerEmail != "ada@example.org" || s.SuccessURL != urls.Success {
		t.Errorf("stripe-mock understood mode %q, submit_type %q, email %q, success %q", s.Mode, s.SubmitType, s.CustomerEmail, s.SuccessURL)
	}
}

func TestCreateCheckoutErrors(t *testing.T) {
	t.Parallel()
	base := stripetest.StartMock(t, nil)

	// stripe-mock refuses live keys as Stripe refuses a revoked one: 401.
	logs := &logBuffer{}
	c, err := New(Config{SecretKey: "sk_live_123", APIBase: base, Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.CreateCheckout(context.Background(), pledge(t, "12.50", "EUR"), "Fund", urls)
	wantCode(t, err, ledger.EUNAVAILABLE)
	if msg := err.Error(); !strings.Contains(msg, "STRIPE_SECRET_KEY") || strings.Contains(msg, "sk_live_123") {
		t.Errorf("401: %q", msg)
	}
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 401 {
		t.Errorf("the stripe error is not kept as the cause: %#v", err)
	}
	if strings.Contains(logs.String(), "sk_live_123") {
		t.Errorf("the secret key is in the logs:\n%s", logs)
	}

	// Nothing listening: unavailable, after stripe-go's retries.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	c, _ = newClient(t, dead)
	start := time.Now()
	_, _, err = c.CreateCheckout(context.Background(), pledge(t, "12.50", "EUR"), "Fund", urls)
	wantCode(t, err, ledger.EUNAVAILABLE)
	if ledger.ErrorMessage(err) != "the payment processor is unavailable" {
		t.Errorf("network: %q", ledger.ErrorMessage(err))
	}
	t.Logf("unreachable Stripe reported in %s", time.Since(start).Round(time.Millisecond))

	// A cancelled request says so to errors.Is.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = c.CreateCheckout(ctx, pledge(t, "12.50", "EUR"), "Fund", urls)
	if !errors.Is(err, context.Canceled) || ledger.ErrorCode(err) != ledger.EUNAVAILABLE {
		t.Errorf("cancelled: %v", err)
	}
}

func TestAPIErrorMapping(t *testing.T) {
	c, logs := newClient(t, "")
	for _, tc := range []struct {
		err  error
		code string
		msg  string
	}{
		{&stripe.Error{HTTPStatusCode: 400, Type: stripe.ErrorTypeInvalidRequest, Msg: "Amount must be at least €0.50 eur"}, ledger.EINVALID,
			"Stripe refused to create a checkout session: Amount must be at least €0.50 eur"},
		{&stripe.Error{HTTPStatusCode: 400, Type: stripe.ErrorTypeIdempotency, Msg: "Keys for idempotent requests can only be used with the same parameters"}, ledger.EINVALID,
			"Stripe refused to create a checkout session: Keys for idempotent requests can only be used with the same parameters"},
		{&stripe.Error{HTTPStatusCode: 402, Type: stripe.ErrorTypeCard, Msg: "Your card was declined."}, ledger.EINVALID, "Stripe refused to create a checkout session: Your card was declined."},
		{&stripe.Error{HTTPStatusCode: 401, Msg: "Invalid API Key provided: " + testKey}, ledger.EUNAVAILABLE,
			"the payment processor is unavailable: Stripe refused fundledger's API key (check STRIPE_SECRET_KEY)"},
		{&stripe.Error{HTTPStatusCode: 404, Msg: "No such payment_intent: 'pi_x'; a similar object exists in live mode, but a test mode key (" + testKey + ") was used"}, ledger.EINVALID,
			"Stripe refused to create a checkout session: No such payment_intent: 'pi_x'; a similar object exists in live mode, but a test mode key ([STRIPE_SECRET_KEY]) was used"},
		{&stripe.Error{HTTPStatusCode: 409}, ledger.ECONFLICT, "Stripe is still processing an identical request; try again in a moment"},
		{&stripe.Error{HTTPStatusCode: 429, Msg: "Too many requests"}, ledger.EUNAVAILABLE, "the payment processor is unavailable: Stripe is rate-limiting fundledger; try again in a minute"},
		{&stripe.Error{HTTPStatusCode: 500, Type: stripe.ErrorTypeAPI, Msg: "An unknown error occurred"}, ledger.EUNAVAILABLE, "the payment processor is unavailable"},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), ledger.EUNAVAILABLE, "the payment processor is unavailable"},
	} {
		err := c.apiError("create a checkout session", tc.err)
		if ledger.ErrorCode(err) != tc.code || ledger.ErrorMessage(err) != tc.msg {
			t.Errorf("%v -> %s %q; want %s %q", tc.err, ledger.ErrorCode(err), ledger.ErrorMessage(err), tc.code, tc.msg)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("the key leaks: %s", err)
		}
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("the secret key is in the logs:\n%s", logs)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no key":          {},
		"publishable key": {SecretKey: "pk_test_123"},
		"webhook secret":  {SecretKey: "whsec_123"},
		"bad base":        {SecretKey: testKey, APIBase: "127.0.0.1:12111"},
	} {
		_, err := New(cfg)
		wantCode(t, err, ledger.EINVALID)
		if cfg.SecretKey != "" && strings.Contains(err.Error(), cfg.SecretKey) {
			t.Errorf("%s: the key is echoed: %v", name, err)
		}
	}
}

// Several clients with different bases in one process: no shared globals.
func TestClientsAreIndependent(t *testing.T) {
	t.Parallel()
	a, _ := newClient(t, stripetest.StartMock(t, nil))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	b, _ := newClient(t, dead)
	if _, _, err := a.CreateCheckout(context.Background(), pledge(t, "5", "EUR"), "Fund", urls); err != nil {
		t.Errorf("client a: %v", err)
	}
	if _, _, err := b.CreateCheckout(context.Background(), pledge(t, "5", "EUR"), "Fund", urls); ledger.ErrorCode(err) != ledger.EUNAVAILABLE {
		t.Errorf("client b reached a server: %v", err)
	}
	if stripe.Key != "" {
		t.Errorf("stripe.Key was set")
	}
}
