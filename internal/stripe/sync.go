package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/fundledger/fundledger/ledger"
	stripe "github.com/stripe/stripe-go/v76"
)

// ListEvents calls fn for every event Stripe created since the given time
// (the zero time: every event Stripe still lists, which is 30 days),
// oldest first, decoded by ParseEvent from the event's JSON as Stripe listed
// it. It stops at the first error from Stripe or from fn. An event that
// cannot be decoded does not hold the others back: it is skipped and, once
// every other event went to fn, reported in an EINVALID error naming it.
//
// /v1/events renders each event in the API version that was the account's
// default when the event happened, whatever version fundledger asks for.
// Unlike webhooks, such events are not refused, since nothing else can
// recover them: ParseEvent reads only fields that are the same from
// 2023-10-16 to 2024-06-20 and refuses an object it cannot read; a warning
// names the version.
func (c *Client) ListEvents(ctx context.Context, since time.Time, fn func(*ledger.StripeEvent) error) error {
	params := &stripe.EventListParams{}
	params.Context = withContext(ctx)
	params.Limit = stripe.Int64(100)
	if !since.IsZero() {
		params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
	}
	it := c.api.Events.List(params)
	var (
		events     []*ledger.StripeEvent
		unreadable []error
	)
	warned := map[string]bool{}
	err := eachRaw(it.Iter, func() *stripe.APIResponse { return it.EventList().LastResponse },
		func() string { return it.Event().ID },
		func(raw json.RawMessage) error {
			ev, err := ParseEvent(raw)
			if err != nil {
				c.log.Error("stripe: listed event cannot be read", "error", ledger.ErrorMessage(err))
				unreadable = append(unreadable, err)
				return nil
			}
			if ev.APIVersion != APIVersion && ev.Handled() && !warned[ev.APIVersion] {
				warned[ev.APIVersion] = true
				c.log.Warn("stripe: listed events are rendered in another API version than fundledger's; set the account's default API version to fundledger's",
					"event", ev.ID, "api_version", ev.APIVersion, "fundledger_api_version", APIVersion)
			}
			events = append(events, ev)
			return nil
		})
	if err != nil {
		var le *ledger.Error
		if errors.As(err, &le) {
			return err
		}
		return c.apiError("list events", err)
	}
	for _, ev := range oldestFirst(events) {
		if err := fn(ev); err != nil {
			return err
		}
	}
	switch len(unreadable) {
	case 0:
		return nil
	case 1:
		return unreadable[0]
	}
	return ledger.Errorf(ledger.EINVALID, "%d Stripe events could not be read; the first: %s", len(unreadable), ledger.ErrorMessage(unreadable[0]))
}

// oldestFirst orders events as Stripe lists them (newest first) the other
// way round: by creation time, and within one second in reverse list order.
func oldestFirst(events []*ledger.StripeEvent) []*ledger.StripeEvent {
	out := slices.Clone(events)
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b *ledger.StripeEvent) int { return a.Created.Compare(b.Created) })
	return out
}
