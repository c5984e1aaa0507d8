package statement_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// hashRef stands for a content-derived key in expectations: "sha256:" and 64
// hexadecimal digits.
const hashRef = "<sha256>"

type wantLine struct {
	Ref                     string // hashRef for a content-derived key
	Booking, Value          string // YYYY-MM-DD; "" for zero
	Amount                  string
	Reversal                bool
	EndToEndID, Remittance  string
	Counterparty, CpAccount string
	BankRef                 string
	RawPrefix, RawContains  string
}

type wantStatement struct {
	ID, Account, Currency string
	From, To              string
	Opening, Closing      string
	Lines                 []wantLine
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustDec(tb testing.TB, s string) decimal.Decimal {
	tb.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		tb.Fatalf("bad decimal %q in test: %v", s, err)
	}
	return d
}

func mustCurrency(tb testing.TB, code string) ledger.Currency {
	tb.Helper()
	c, err := ledger.LookupCurrency(code)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func checkDate(t *testing.T, field string, got time.Time, want string) {
	t.Helper()
	if want == "" {
		if !got.IsZero() {
			t.Errorf("%s = %v, want zero", field, got)
		}
		return
	}
	if got.Location() != time.UTC || got.Format(time.DateOnly) != want || !got.Equal(ledger.Date(got)) {
		t.Errorf("%s = %v, want %s at UTC midnight", field, got, want)
	}
}

func isHashRef(s string) bool {
	if !strings.HasPrefix(s, "sha256:") || len(s) != len("sha256:")+64 {
		return false
	}
	for _, c := range s[len("sha256:"):] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// checkStatement compares every field of got with want.
func checkStatement(t *testing.T, got *statement.Statement, want wantStatement) {
	t.Helper()
	if want.ID == hashRef {
		if !isHashRef(got.ID) {
			t.Errorf("ID = %q, want a sha256 id", got.ID)
		}
	} else if got.ID != want.ID {
		t.Errorf("ID = %q, want %q", got.ID, want.ID)
	}
	if got.Account != want.Account {
		t.Errorf("Account = %q, want %q", got.Account, want.Account)
	}
	if got.Currency != mustCurrency(t, want.Currency) {
		t.Errorf("Currency = %v, want %s", got.Currency, want.Currency)
	}
	checkDate(t, "From", got.From, want.From)
	checkDate(t, "To", got.To, want.To)
	if !got.OpeningBalance.Equal(mustDec(t, want.Opening)) {
		t.Errorf("OpeningBalance = %s, want %s", got.OpeningBalance, want.Opening)
	}
	if !got.ClosingBalance.Equal(mustDec(t, want.Closing)) {
		t.Errorf("ClosingBalance = %s, want %s", got.ClosingBalance, want.Closing)
	}
	if len(got.Lines) != len(want.Lines) {
		t.Fatalf("%d lines, want %d: %+v", len(got.Lines), len(want.Lines), got.Lines)
	}
	for i, w := range want.Lines {
		g := got.Lines[i]
		t.Run(g.Ref, func(t *testing.T) {
			if w.Ref == hashRef {
				if !isHashRef(g.Ref) {
					t.Errorf("Ref = %q, want a sha256 key", g.Ref)
				}
			} else if g.Ref != w.Ref {
				t.Errorf("Ref = %q, want %q", g.Ref, w.Ref)
			}
			checkDate(t, "BookingDate", g.BookingDate, w.Booking)
			checkDate(t, "ValueDate", g.ValueDate, w.Value)
			if !g.Amount.Equal(mustDec(t, w.Amount)) {
				t.Errorf("Amount = %s, want %s", g.Amount, w.Amount)
			}
			if g.Reversal != w.Reversal {
				t.Errorf("Reversal = %v, want %v", g.Reversal, w.Reversal)
			}
			for _, f := range []struct{ name, got, want string }{
				{"EndToEndID", g.EndToEndID, w.EndToEndID},
				{"Remittance", g.Remittance, w.Remittance},
				{"Counterparty", g.Counterparty, w.Counterparty},
				{"CounterpartyAccount", g.CounterpartyAccount, w.CpAccount},
				{"BankRef", g.BankRef, w.BankRef},
			} {
				if f.got != f.want {
					t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
				}
			}
			if !strings.HasPrefix(g.Raw, w.RawPrefix) || !strings.Contains(g.Raw, w.RawContains) {
				t.Errorf("Raw = %q, want it to start with %q and contain %q", g.Raw, w.RawPrefix, w.RawContains)
			}
		})
	}
	checkInvariants(t, got)
}

// checkInvariants checks what holds for every statement a parser returns.
func checkInvariants(tb testing.TB, st *statement.Statement) {
	tb.Helper()
	sum := st.OpeningBalance
	seen := map[string]bool{}
	for i, l := range st.Lines {
		sum = sum.Add(l.Amount)
		if l.Ref == "" {
			tb.Errorf("line %d has no Ref", i+1)
		}
		if seen[l.Ref] {
			tb.Errorf("line %d: Ref %q is not unique in the statement", i+1, l.Ref)
		}
		seen[l.Ref] = true
		if err := ledger.CheckScale(l.Amount, st.Currency); err != nil {
			tb.Errorf("line %d: %v", i+1, err)
		}
		if l.BookingDate.IsZero() || !l.BookingDate.Equal(ledger.Date(l.BookingDate)) {
			tb.Errorf("line %d: booking date %v is not a calendar date", i+1, l.BookingDate)
		}
	}
	if !sum.Equal(st.ClosingBalance) {
		tb.Errorf("opening %s + lines = %s, but closing is %s", st.OpeningBalance, sum, st.ClosingBalance)
	}
	if st.ID == "" || st.Account == "" || st.Currency.Code == "" {
		tb.Errorf("statement lacks an id, account or currency: %+v", st)
	}
}

// checkInvalid asserts that err is a *ledger.Error with code invalid whose
// message contains every one of wants.
func checkInvalid(tb testing.TB, err error, wants ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want one containing %q", wants)
	}
	var le *ledger.Error
	if !errors.As(err, &le) || le.Code != ledger.EINVALID {
		tb.Fatalf("error %v (%T) is not a *ledger.Error with code %s", err, err, ledger.EINVALID)
	}
	for _, w := range wants {
		if !strings.Contains(le.Message, w) {
			tb.Errorf("error %q does not contain %q", le.Message, w)
		}
	}
}

func refs(st *statement.Statement) []string {
	out := make([]string, len(st.Lines))
	for i, l := range st.Lines {
		out[i] = l.Ref
	}
	return out
}
