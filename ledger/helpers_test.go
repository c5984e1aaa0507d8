package ledger_test

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// seedFlag fixes the seed of the randomised property tests. When it is zero a
// new seed is drawn for the run; every test logs the seed it used so a failure
// can be replayed with
//
//	go test ./ledger/ -run TestName -ledger.seed=N
var seedFlag = flag.Uint64("ledger.seed", 0, "seed for the randomised property tests (0: draw one per run)")

// newRand returns a deterministic generator for one test and logs its seed.
func newRand(tb testing.TB) *rand.Rand {
	tb.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	tb.Logf("property seed: -ledger.seed=%d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// iterations scales a property test's iteration count down under -short.
func iterations(n int) int {
	if testing.Short() {
		return max(n/10, 10)
	}
	return n
}

func mustCurrency(tb testing.TB, code string) ledger.Currency {
	tb.Helper()
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		tb.Fatalf("LookupCurrency(%q): %v", code, err)
	}
	return c
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantInvalid fails unless err is an EINVALID *ledger.Error whose message
// contains every one of subs.
func wantInvalid(tb testing.TB, err error, subs ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want EINVALID containing %q", subs)
	}
	if code := ledger.ErrorCode(err); code != ledger.EINVALID {
		tb.Fatalf("error code = %q (%v), want %q", code, err, ledger.EINVALID)
	}
	msg := ledger.ErrorMessage(err)
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			tb.Fatalf("error message %q does not contain %q", msg, s)
		}
	}
}

// checkInvalid is wantInvalid for property loops: it reports and returns false
// instead of stopping the test.
func checkInvalid(tb testing.TB, err error, subs ...string) bool {
	tb.Helper()
	if err == nil {
		tb.Errorf("got no error, want EINVALID containing %q", subs)
		return false
	}
	if code := ledger.ErrorCode(err); code != ledger.EINVALID {
		tb.Errorf("error code = %q (%v), want %q", code, err, ledger.EINVALID)
		return false
	}
	msg := ledger.ErrorMessage(err)
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			tb.Errorf("error message %q does not contain %q", msg, s)
			return false
		}
	}
	return true
}

// minorUnit is one minor unit of cur: 0.01 EUR, 1 JPY, 0.001 KWD.
func minorUnit(cur ledger.Currency) decimal.Decimal { return decimal.New(1, -cur.Exponent) }

// validTx is a small balanced transaction that passes Validate.
func validTx() *ledger.Transaction {
	eur := ledger.Currency{Code: "EUR", Exponent: 2}
	return &ledger.Transaction{
		IdempotencyKey: "key-1",
		EffectiveDate:  day("2011-12-16"),
		Description:    "Solidarity transfer",
		Metadata:       map[string]string{"ref": "A-1"},
		Postings: []ledger.Posting{
			{Account: "assets:bank:eur", Fund: "zhanaozen", Amount: dec("1500.00"), Currency: eur},
			{Account: "income:donations:bank_transfer", Fund: "zhanaozen", Amount: dec("-1500.00"), Currency: eur},
		},
	}
}

// cloneTx is a deep copy of t.
func cloneTx(t *ledger.Transaction) *ledger.Transaction {
	c := *t
	if t.Metadata != nil {
		c.Metadata = make(map[string]string, len(t.Metadata))
		for k, v := range t.Metadata {
			c.Metadata[k] = v
		}
	}
	c.Postings = append([]ledger.Posting(nil), t.Postings...)
	c.PrevHash = append([]byte(nil), t.PrevHash...)
	c.Hash = append([]byte(nil), t.Hash...)
	return &c
}

// postingKey identifies where a posting lands.
type postingKey struct{ account, fund, currency string }
