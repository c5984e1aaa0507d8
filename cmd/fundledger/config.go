package main

import (
	"flag"

	"fmt"
	"github.com/fundledger/fundledger/internal/mail"
	"github.com/fundledger/fundledger/internal/secret"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// Config is everything the program reads from its environment and flags.
type Config struct {
	DatabaseURL string // DATABASE_URL; "" runs a private cluster
	Addr        string // FUNDLEDGER_ADDR, --addr
	DataDir     string // FUNDLEDGER_DATA_DIR
	Demo        bool   // FUNDLEDGER_DEMO, --demo
	LogFormat   string // FUNDLEDGER_LOG_FORMAT
	LogLevel    string // FUNDLEDGER_LOG_LEVEL
	PublicURL   string // FUNDLEDGER_PUBLIC_URL: where donors reach the service
	DefaultFund string // FUNDLEDGER_DEFAULT_FUND: receives card payments naming no known fund

	SMTPURL string // FUNDLEDGER_SMTP_URL; "" keeps receipts waiting in the outbox
	// SecretKey is FUNDLEDGER_SECRET_KEY: 32 bytes in base64 that seal the
	// committee's TOTP secrets and grant recipients' details.
	SecretKey string
	// TrustedProxies is FUNDLEDGER_TRUSTED_PROXIES: comma-separated
	// addresses or CIDR ranges of the reverse proxies in front of the service.
	TrustedProxies string

	StripeSecretKey     string // STRIPE_SECRET_KEY; "" disables card donations
	StripeWebhookSecret string // STRIPE_WEBHOOK_SECRET
	StripeAPIBase       string // STRIPE_API_BASE; "" is Stripe itself
}

// loadConfig reads defaults, then the environment; flags registered by the
// caller override both.
func loadConfig(getenv func(string) string) Config {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        ":8080",
		DataDir:     ".fundledger",
		LogFormat:   "text",
		LogLevel:    "info",
		Demo:        getenv("FUNDLEDGER_DEMO") == "true" || getenv("FUNDLEDGER_DEMO") == "1",
	}
	for env, dst := range map[string]*string{
		"FUNDLEDGER_ADDR": &c.Addr, "FUNDLEDGER_DATA_DIR": &c.DataDir,
		"FUNDLEDGER_LOG_FORMAT": &c.LogFormat, "FUNDLEDGER_LOG_LEVEL": &c.LogLevel,
		"FUNDLEDGER_PUBLIC_URL": &c.PublicURL, "FUNDLEDGER_DEFAULT_FUND": &c.DefaultFund,
		"STRIPE_SECRET_KEY": &c.StripeSecretKey, "STRIPE_WEBHOOK_SECRET": &c.StripeWebhookSecret,
		"STRIPE_API_BASE": &c.StripeAPIBase, "FUNDLEDGER_SMTP_URL": &c.SMTPURL, "FUNDLEDGER_TRUSTED_PROXIES": &c.TrustedProxies,
		"FUNDLEDGER_SECRET_KEY": &c.SecretKey,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	return c
}

func (c Config) validate() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("FUNDLEDGER_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("FUNDLEDGER_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.DatabaseURL != "" {
		if _, err := url.Parse(c.DatabaseURL); err != nil && !strings.Contains(c.DatabaseURL, "=") {
			return fmt.Errorf("DATABASE_URL is not a URL")
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("FUNDLEDGER_PUBLIC_URL must be an http(s) URL such as https://fund.example.org, not %q", c.PublicURL)
		}
	}
	if c.StripeAPIBase != "" {
		if u, err := url.Parse(c.StripeAPIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("STRIPE_API_BASE must be an http(s) URL such as http://localhost:12111, not %q", c.StripeAPIBase)
		}
	}
	for _, p := range c.proxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("FUNDLEDGER_TRUSTED_PROXIES: %q is not an IP address or a CIDR range", p)
			}
		}
	}
	if c.SecretKey != "" {
		if _, err := secret.ParseKey(c.SecretKey); err != nil {
			return fmt.Errorf("FUNDLEDGER_SECRET_KEY: %w (make one with: openssl rand -base64 32)", err)
		}
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			return fmt.Errorf("FUNDLEDGER_SMTP_URL: %w", err)
		}
	}
	if _, err := filepath.Abs(c.DataDir); err != nil {
		return fmt.Errorf("FUNDLEDGER_DATA_DIR: %w", err)
	}
	return nil
}

// LogValue prints the configuration with the database password masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", maskURL(c.DatabaseURL)),
		slog.String("addr", c.Addr),
		slog.String("data_dir", c.DataDir),
		slog.Bool("demo", c.Demo),
		slog.String("log_format", c.LogFormat),
		slog.String("log_level", c.LogLevel),
		slog.String("public_url", c.PublicURL),
		slog.String("default_fund", c.DefaultFund),
		slog.String("smtp_url", maskSMTP(c.SMTPURL)),
		slog.Bool("secret_key_set", c.SecretKey != ""),
		slog.Bool("stripe_secret_key_set", c.StripeSecretKey != ""),
		slog.Bool("stripe_webhook_secret_set", c.StripeWebhookSecret != ""),
		slog.String("stripe_api_base", c.StripeAPIBase),
	)
}

func maskURL(s string) string {
	if s == "" {
		return "(private cluster)"
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if strings.Contains(s, "password") {
			return "(set; not a URL, hidden)"
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func (c Config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newFlags returns a flag set that reports errors instead of exiting.
type flagSet = flag.FlagSet

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fundledger "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func maskSMTP(s string) string {
	if s == "" {
		return "(not set: receipts wait in the outbox)"
	}
	c, err := mail.ParseURL(s)
	if err != nil {
		return "(invalid)"
	}
	return c.String()
}

// proxies lists the trusted proxies.
func (c Config) proxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
