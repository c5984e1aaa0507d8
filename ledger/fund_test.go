package ledger_test

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// slugGrammar is the database's check on fund slugs (migrations/001_ledger.sql).
var slugGrammar = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,63}$`)

func TestValidateSlug(t *testing.T) {
	for _, s := range []string{"ab", "zhanaozen", "strike-2024", "2024-strike", "a-", "a--b", strings.Repeat("a", 64), "00"} {
		if err := ledger.ValidateSlug(s); err != nil {
			t.Errorf("ValidateSlug(%q): %v", s, err)
		}
	}
	for _, s := range []string{"a", "-ab", "Ab", "a_b", "a b", "a.b", "ab ", " ab", "äb", "ab\x00", strings.Repeat("a", 65)} {
		wantInvalid(t, ledger.ValidateSlug(s), "2 to 64 lower-case letters")
	}
	wantInvalid(t, ledger.ValidateSlug(""), "fund slug is required")
}

func FuzzValidateSlug(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "-ab", "a-", "Ab", strings.Repeat("a", 64), strings.Repeat("a", 65), "ä", "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ledger.ValidateSlug(s)
		if ok := slugGrammar.MatchString(s); ok != (err == nil) {
			t.Fatalf("ValidateSlug(%q) = %v, but the database's check says %v", s, err, ok)
		}
		if err != nil && ledger.ErrorCode(err) != ledger.EINVALID {
			t.Fatalf("ValidateSlug(%q): code %q", s, ledger.ErrorCode(err))
		}
	})
}

func TestFundValidate(t *testing.T) {
	eur, jpy := mustCurrency(t, "EUR"), mustCurrency(t, "JPY")
	target := func(s string) *decimal.Decimal { d := dec(s); return &d }
	ok := func() *ledger.Fund {
		return &ledger.Fund{Slug: "zhanaozen", Name: "  Zhanaozen strike fund ", Currency: eur, Target: target("10000.00")}
	}
	f := ok()
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if f.Name != "Zhanaozen strike fund" {
		t.Errorf("name %q not trimmed", f.Name)
	}
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Fund)
	}{
		{"no target", func(f *ledger.Fund) { f.Target = nil }},
		{"name of 200 characters", func(f *ledger.Fund) { f.Name = strings.Repeat("ж", 200) }},
		{"description of 10000 characters", func(f *ledger.Fund) { f.Description = strings.Repeat("ж", 10000) }},
		{"JPY target", func(f *ledger.Fund) { f.Currency, f.Target = jpy, target("1500000") }},
		{"target scaled beyond the currency", func(f *ledger.Fund) { f.Target = target("10.000") }},
		{"restricted", func(f *ledger.Fund) { f.Restricted = true }},
	} {
		f := ok()
		tc.mut(f)
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Fund)
		sub  string
	}{
		{"no slug", func(f *ledger.Fund) { f.Slug = "" }, "fund slug is required"},
		{"bad slug", func(f *ledger.Fund) { f.Slug = "Zhanaozen" }, "fund slug"},
		{"no name", func(f *ledger.Fund) { f.Name = "" }, "name is required"},
		{"blank name", func(f *ledger.Fund) { f.Name = " \n\t" }, "name is required"},
		{"name of 201 characters", func(f *ledger.Fund) { f.Name = strings.Repeat("ж", 201) }, "at most 200"},
		{"description of 10001 characters", func(f *ledger.Fund) { f.Description = strings.Repeat("x", 10001) }, "at most 10000"},
		{"no currency", func(f *ledger.Fund) { f.Currency = ledger.Currency{} }, "currency is required"},
		{"zero target", func(f *ledger.Fund) { f.Target = target("0") }, "target must be greater than zero"},
		{"negative target", func(f *ledger.Fund) { f.Target = target("-1") }, "target must be greater than zero"},
		{"target with too many decimals", func(f *ledger.Fund) { f.Target = target("10.005") }, "target:"},
		{"JPY target with decimals", func(f *ledger.Fund) { f.Currency, f.Target = jpy, target("10.5") }, "target:"},
	} {
		f := ok()
		tc.mut(f)
		if !checkInvalid(t, f.Validate(), tc.sub) {
			t.Errorf("... for %s", tc.name)
		}
	}
}

func TestErrors(t *testing.T) {
	e := ledger.Errorf(ledger.ENOTFOUND, "fund %q not found", "x")
	if e.Code != ledger.ENOTFOUND || e.Message != `fund "x" not found` {
		t.Errorf("Errorf = %+v", e)
	}
	if e.Error() != `not_found: fund "x" not found` {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("find fund: %w", e)
	twice := fmt.Errorf("request: %w", wrapped)
	joined := errors.Join(io.EOF, e)
	for _, tc := range []struct {
		err       error
		code, msg string
	}{
		{nil, "", ""},
		{e, ledger.ENOTFOUND, `fund "x" not found`},
		{wrapped, ledger.ENOTFOUND, `fund "x" not found`},
		{twice, ledger.ENOTFOUND, `fund "x" not found`},
		{joined, ledger.ENOTFOUND, `fund "x" not found`},
		{io.EOF, ledger.EINTERNAL, "internal error"},
		{fmt.Errorf("db: password=hunter2: %w", io.EOF), ledger.EINTERNAL, "internal error"},
		{&ledger.Error{Code: ledger.EUNAVAILABLE, Message: "down"}, ledger.EUNAVAILABLE, "down"},
	} {
		if got := ledger.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := ledger.ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
	}
	// Messages with verbs in arguments are not re-interpreted.
	if got := ledger.Errorf(ledger.EINVALID, "%s", "100%d").Message; got != "100%d" {
		t.Errorf("Errorf message %q", got)
	}
}

func TestParseRole(t *testing.T) {
	for s, want := range map[string]ledger.Role{"treasurer": ledger.RoleTreasurer, "observer": ledger.RoleObserver, " observer\n": ledger.RoleObserver} {
		if got, err := ledger.ParseRole(s); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{"", "Treasurer", "admin", "treasurer,observer"} {
		r, err := ledger.ParseRole(s)
		if r != "" {
			t.Errorf("ParseRole(%q) = %q with its error", s, r)
		}
		wantInvalid(t, err, "not one of treasurer, observer")
	}
	if !ledger.RoleTreasurer.CanWrite() || ledger.RoleObserver.CanWrite() || ledger.Role("").CanWrite() {
		t.Error("only treasurers may write")
	}
}

func TestVerifyReportOK(t *testing.T) {
	if !(&ledger.VerifyReport{}).OK() || (&ledger.VerifyReport{Problems: []string{"x"}}).OK() {
		t.Error("OK must report an empty problem list")
	}
}
