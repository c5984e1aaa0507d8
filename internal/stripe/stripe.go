// Package stripe is fundledger's card gateway: it creates Stripe Checkout
// sessions for pledges, verifies and decodes Stripe's webhook events, fetches
// what an event's payload lacks (the settlement of a payment or of its
// refunds) and lists past events for a sync.
//
// Stripe speaks integer minor units; the books speak exact decimals. The
// conversion happens here and nowhere else, exactly, never rounding.
//
// fundledger speaks Stripe API version 2023-10-16, the version stripe-go v76
// pins (stripe.APIVersion): every request says so, and webhook events
// rendered in another version are refused.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// APIVersion is the Stripe API version fundledger speaks.
const APIVersion = stripe.APIVersion

// Config configures a Client.
type Config struct {
	SecretKey     string       // STRIPE_SECRET_KEY: sk_... or a restricted rk_...
	WebhookSecret string       // STRIPE_WEBHOOK_SECRET: the endpoint's signing secret, whsec_...
	APIBase       string       // STRIPE_API_BASE, "" = Stripe's real API
	HTTPClient    *http.Client // nil = a client with sane timeouts
	Logger        *slog.Logger // nil = slog.Default()
}

// Client talks to one Stripe account. Clients are independent: each has its
// own backend, key and base URL, and none touches stripe-go's globals.
type Client struct {
	api           *client.API
	key           string
	webhookSecret string
	log           *slog.Logger
}

var _ ledger.CardGateway = (*Client)(nil)

// requestTimeout bounds one HTTP exchange with Stripe when Config.HTTPClient
// is nil. stripe-go retries network failures and 5xx twice on top of it.
const requestTimeout = 30 * time.Second

// New returns a client for the account of cfg.SecretKey.
func New(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.SecretKey)
	switch {
	case key == "":
		return nil, ledger.Errorf(ledger.EINVALID, "STRIPE_SECRET_KEY is required: the secret key (sk_...) of the Stripe account")
	case !strings.HasPrefix(key, "sk_") && !strings.HasPrefix(key, "rk_"):
		// Never echo the key: it may be a real secret pasted in the wrong place.
		return nil, ledger.Errorf(ledger.EINVALID, "STRIPE_SECRET_KEY must be a secret key (sk_...) or a restricted key (rk_...), not a publishable key or a webhook secret")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSHandshakeTimeout = 10 * time.Second
		t.ResponseHeaderTimeout = 25 * time.Second
		httpClient = &http.Client{Transport: t, Timeout: requestTimeout}
	}
	var base *string
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, ledger.Errorf(ledger.EINVALID, "STRIPE_API_BASE %q is not a base URL such as https://api.stripe.com or http://127.0.0.1:12111", cfg.APIBase)
		}
		base = stripe.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	ll := &leveledLogger{log: logger, key: key}
	backend := func(typ stripe.SupportedBackend) stripe.Backend {
		return stripe.GetBackendWithConfig(typ, &stripe.BackendConfig{
			HTTPClient:        httpClient,
			LeveledLogger:     ll,
			MaxNetworkRetries: stripe.Int64(2),
			EnableTelemetry:   stripe.Bool(false),
			URL:               base, // nil: the backend type's default URL
		})
	}
	api := client.New(key, &stripe.Backends{
		API:     backend(stripe.APIBackend),
		Connect: backend(stripe.ConnectBackend),
		Uploads: backend(stripe.UploadsBackend),
	})
	return &Client{api: api, key: key, webhookSecret: strings.TrimSpace(cfg.WebhookSecret), log: logger}, nil
}

// leveledLogger sends stripe-go's log lines to slog. stripe-go logs every
// request at info level (debug here) and response bodies at debug level;
// bodies carry donors' emails, so they are dropped.
type leveledLogger struct {
	log *slog.Logger
	key string
}

func (l *leveledLogger) msg(format string, v ...any) string {
	return redact(fmt.Sprintf(format, v...), l.key)
}

func (l *leveledLogger) Debugf(string, ...any) {}
func (l *leveledLogger) Infof(format string, v ...any) {
	l.log.Debug(l.msg(format, v...), "component", "stripe-go")
}
func (l *leveledLogger) Warnf(format string, v ...any) {
	l.log.Warn(l.msg(format, v...), "component", "stripe-go")
}

// Errorf is logged as a warning: every error stripe-go logs is also returned
// to fundledger, which decides how bad it is.
func (l *leveledLogger) Errorf(format string, v ...any) {
	l.log.Warn(l.msg(format, v...), "component", "stripe-go")
}

// redact removes the secret key from s, should anything ever echo it.
func redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "[STRIPE_SECRET_KEY]")
}

// unavailableMessage is what a person sees when Stripe cannot be reached.
const unavailableMessage = "the payment processor is unavailable"

// gatewayError is a *ledger.Error that keeps its cause for errors.Is/As
// (context.Canceled, *stripe.Error) while printing only the safe message.
type gatewayError struct {
	err   *ledger.Error
	cause error
}

func (e *gatewayError) Error() string   { return e.err.Error() }
func (e *gatewayError) Unwrap() []error { return []error{e.err, e.cause} }

// apiError maps an error from stripe-go to a *ledger.Error: Stripe refusing
// the request (4xx) is invalid, with Stripe's message; Stripe down, slow or
// unreachable (network, 5xx, 429) is unavailable; Stripe refusing
// fundledger's own key (401, 403) is unavailable too, since retrying after
// the operator fixes STRIPE_SECRET_KEY will work. The secret key never
// appears in the result.
func (c *Client) apiError(doing string, err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		c.log.Warn("stripe: request failed", "doing", doing, "error", redact(err.Error(), c.key))
		return &gatewayError{err: ledger.Errorf(ledger.EUNAVAILABLE, unavailableMessage), cause: err}
	}
	stripeMsg := redact(se.Msg, c.key)
	c.log.Warn("stripe: request refused", "doing", doing, "status", se.HTTPStatusCode, "type", string(se.Type),
		"code", string(se.Code), "param", se.Param, "request_id", se.RequestID, "message", stripeMsg)
	var le *ledger.Error
	switch status := se.HTTPStatusCode; {
	case status == http.StatusUnauthorized:
		le = ledger.Errorf(ledger.EUNAVAILABLE, "%s: Stripe refused fundledger's API key (check STRIPE_SECRET_KEY)", unavailableMessage)
	case status == http.StatusForbidden:
		le = ledger.Errorf(ledger.EUNAVAILABLE, "%s: fundledger's API key may not %s (check the permissions of the restricted key in STRIPE_SECRET_KEY)", unavailableMessage, doing)
	case status == http.StatusTooManyRequests:
		le = ledger.Errorf(ledger.EUNAVAILABLE, "%s: Stripe is rate-limiting fundledger; try again in a minute", unavailableMessage)
	case status == http.StatusConflict:
		le = ledger.Errorf(ledger.ECONFLICT, "Stripe is still processing an identical request; try again in a moment")
	case status >= 400 && status < 500:
		if stripeMsg == "" {
			stripeMsg = fmt.Sprintf("HTTP %d", status)
		}
		le = ledger.Errorf(ledger.EINVALID, "Stripe refused to %s: %s", doing, stripeMsg)
	default: // 5xx, or an error without a status
		le = ledger.Errorf(ledger.EUNAVAILABLE, unavailableMessage)
	}
	return &gatewayError{err: le, cause: err}
}

// withContext is the context of a request: the caller's, or Background.
func withContext(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
