package stripe

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

const (
	testKey           = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
	testWebhookSecret = "whsec_test_fundledger"
)

// logBuffer collects a client's log lines, to check what they never say.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newClient(t *testing.T, base string) (*Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	c, err := New(Config{SecretKey: testKey, WebhookSecret: testWebhookSecret, APIBase: base, Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

func money(t *testing.T, amount, currency string) ledger.Money {
	t.Helper()
	m, err := ledger.ParseMoney(amount, currency)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameMoney compares exactly: same currency, same decimal value.
func sameMoney(got, want ledger.Money) bool {
	return got.Currency == want.Currency && got.Amount.Equal(want.Amount)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ledger.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func newLogger(logs *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
