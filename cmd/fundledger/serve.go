package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/fundledger/fundledger/internal/demo"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := newFlags("serve", stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address `HOST:PORT` (also FUNDLEDGER_ADDR)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed the demo fund into an empty database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	log.Info("starting fundledger", "config", cfg)

	db, embedded, closeDB, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if v, err := db.SchemaVersion(ctx); err == nil {
		log.Info("database schema is up to date", "version", v)
	}

	funds := postgres.NewFundService(db)
	txs := postgres.NewTransactionService(db)
	dons := postgres.NewDonationService(db)
	acks := postgres.NewAcknowledgementService(db)
	if embedded || cfg.Demo {
		sum, err := demo.Seed(ctx, demo.Services{Funds: funds, Transactions: txs, Donations: dons, Rates: funds,
			Moderation: acks})
		switch {
		case ledger.ErrorCode(err) == ledger.ECONFLICT && !cfg.Demo:
			// The private cluster's books hold funds of the user's own: leave them be.
			log.Info("demo data not loaded: " + ledger.ErrorMessage(err))
		case err != nil:
			return fmt.Errorf("seed demo data: %w", err)
		default:
			log.Info("demo data in place", "funds", sum.Funds, "donations", sum.Donations, "transactions", sum.Transactions)
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	url := "http://" + displayAddr(ln.Addr())
	if cfg.PublicURL == "" {
		cfg.PublicURL = url
	}
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: txs, Donations: dons,
		Balances: postgres.NewBalanceService(db), Tokens: postgres.NewTokenService(db),
		Cards: postgres.NewCardService(db, cfg.DefaultFund), PublicURL: cfg.PublicURL, TrustedProxies: cfg.proxies(),
		Acks: acks, Rates: funds, Reconciliation: postgres.NewReconciliationService(db), Batches: dons, Collections: dons,
		Ping: db.Ping, Logger: log,
		Reports: postgres.NewReportService(db),
	}

	if err := wireCommittee(srv, db, getenv, cfg.PublicURL, log); err != nil {
		return err
	}
	gw, err := newStripe(cfg, log)
	if err != nil {
		return err
	}
	if gw != nil {
		srv.Stripe = gw
		if cfg.StripeWebhookSecret != "" {
			srv.StripeWebhooks = gw
		}
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	fmt.Fprintf(stdout, "fundledger listening on %s\n", url)
	if embedded {
		fmt.Fprintf(stdout, "A demo fund is loaded. Public totals: %s/api/v1/funds\n", url)
		fmt.Fprintf(stdout, "Create a committee token with: go run ./cmd/fundledger token create --name you --role treasurer\n")
		fmt.Fprintf(stdout, "Add yourself to the committee's workspace (%s/committee) with: go run ./cmd/fundledger member add --email you@example.org --name You --role treasurer\n", url)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if err := startReceipts(ctx, cfg, acks, log); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// displayAddr turns ":8080" or "[::]:8080" into something a browser opens.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
