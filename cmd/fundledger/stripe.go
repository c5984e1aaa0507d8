package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/stripe"
	"github.com/fundledger/fundledger/ledger"
)

// newStripe returns the Stripe client, or nil with a plain warning when card
// donations are not configured: the service runs without them.
func newStripe(cfg Config, log *slog.Logger) (*stripe.Client, error) {
	if cfg.StripeSecretKey == "" {
		log.Warn("card donations are not configured: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET for webhooks) to take donations by card")
		return nil, nil
	}
	if cfg.StripeWebhookSecret == "" {
		log.Warn("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks are refused, so paid card donations reach the books only through 'fundledger stripe sync'")
	}
	return stripe.New(stripe.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, APIBase: cfg.StripeAPIBase, Logger: log})
}

func runStripe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "sync" {
		return errors.New("usage: fundledger stripe sync --since DURATION")
	}
	var since time.Duration
	return withDatabase(ctx, "stripe sync", args[1:], getenv, stderr, func(fs *flagSet) {
		fs.DurationVar(&since, "since", 72*time.Hour, "process events created within this `DURATION` (Stripe keeps 30 days)")
	}, func(db *postgres.DB) error {
		if since <= 0 {
			return errors.New("stripe sync: --since must be a positive duration such as 72h")
		}
		cfg := loadConfig(getenv)
		if cfg.StripeSecretKey == "" {
			return errors.New("stripe sync: STRIPE_SECRET_KEY is not set")
		}
		gw, err := stripe.New(stripe.Config{SecretKey: cfg.StripeSecretKey, APIBase: cfg.StripeAPIBase, Logger: cfg.logger(stderr)})
		if err != nil {
			return err
		}
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		cards := postgres.NewCardService(db, cfg.DefaultFund)
		counts := map[ledger.StripeOutcome]int{}
		failed := 0
		err = gw.ListEvents(ctx, time.Now().Add(-since), func(ev *ledger.StripeEvent) error {
			out, err := ledger.ProcessStripeEvent(ctx, gw, cards, ev)
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "FAILED %s %s: %s\n", ev.ID, ev.Type, errorText(err))
				if ledger.ErrorCode(err) == ledger.EUNAVAILABLE {
					return err // the database or Stripe is down: stop, run again later
				}
				return nil
			}
			counts[out]++
			return nil
		})
		var parts []string
		for out, n := range counts {
			parts = append(parts, fmt.Sprintf("%d %s", n, out))
		}
		sort.Strings(parts)
		fmt.Fprintf(stdout, "stripe sync: %v, %d failed\n", parts, failed)
		if err != nil {
			return fmt.Errorf("stripe sync: %w", err)
		}
		if failed > 0 {
			return fmt.Errorf("stripe sync: %d event(s) could not be booked", failed)
		}
		return nil
	})
}
