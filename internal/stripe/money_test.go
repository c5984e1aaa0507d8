package stripe

import (
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestMinorUnitsBothWays(t *testing.T) {
	for _, tc := range []struct {
		amount, currency string
		minor            int64
	}{
		{"12.50", "EUR", 1250},
		{"12.5", "EUR", 1250},
		{"0.01", "GBP", 1},
		{"86.12", "GBP", 8612},
		{"-86.12", "GBP", -8612},
		{"1500", "JPY", 1500},
		{"1.500", "KWD", 1500},
		{"0.001", "BHD", 1},
		{"1000", "ISK", 100000}, // Stripe keeps ISK two-decimal
		{"0", "USD", 0},
		{"92233720368547758.07", "EUR", 9223372036854775807},
	} {
		m := money(t, tc.amount, tc.currency)
		got, err := toMinor(m)
		if err != nil || got != tc.minor {
			t.Errorf("toMinor(%s) = %d, %v; want %d", m, got, err, tc.minor)
		}
		back, err := fromMinor(tc.minor, tc.currency)
		if err != nil || !sameMoney(back, m) {
			t.Errorf("fromMinor(%d, %s) = %s, %v; want %s", tc.minor, tc.currency, back, err, m)
		}
	}
	// Stripe's currencies arrive lower-case.
	if m, err := fromMinor(10000, "eur"); err != nil || m.String() != "100.00 EUR" {
		t.Errorf("fromMinor(10000, eur) = %s, %v", m, err)
	}
}

func TestMinorUnitsNeverRound(t *testing.T) {
	eur, _ := ledger.LookupCurrency("EUR")
	jpy, _ := ledger.LookupCurrency("JPY")
	for _, m := range []ledger.Money{
		{Amount: decimal.RequireFromString("12.505"), Currency: eur},
		{Amount: decimal.RequireFromString("0.001"), Currency: eur},
		{Amount: decimal.RequireFromString("1500.5"), Currency: jpy},
		{Amount: decimal.RequireFromString("92233720368547758.08"), Currency: eur}, // beyond int64
		{Amount: decimal.RequireFromString("1"), Currency: ledger.Currency{Code: "XXX", Exponent: 2}},
		{Amount: decimal.RequireFromString("1")}, // no currency
	} {
		if n, err := toMinor(m); err == nil {
			t.Errorf("toMinor(%s %s) = %d, want an error", m.Amount, m.Currency.Code, n)
		} else {
			wantCode(t, err, ledger.EINVALID)
		}
	}
	// 40.10 ISK (Stripe's 4010) cannot be krónur without rounding.
	if m, err := fromMinor(4010, "isk"); err == nil {
		t.Errorf("fromMinor(4010, isk) = %s, want an error", m)
	} else {
		wantCode(t, err, ledger.EINVALID)
	}
	if _, err := fromMinor(100, "thb"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Errorf("fromMinor in an unknown currency: %v", err)
	}
}
