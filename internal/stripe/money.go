package stripe

import (
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// stripeExponent is the number of decimals of cur in Stripe's integer
// amounts. It is ISO 4217's, except for ISK: Stripe keeps the króna a
// two-decimal currency in its API (100 = 1 ISK) although the fund, like
// ISO 4217, counts it in whole krónur.
func stripeExponent(cur ledger.Currency) int32 {
	if cur.Code == "ISK" {
		return 2
	}
	return cur.Exponent
}

// fromMinor converts Stripe's integer amount in currency (any case) to
// Money: decimal.New(minor, -exponent). An unknown currency, or an amount
// the fund's currency cannot hold exactly (fractional ISK), is an error.
func fromMinor(minor int64, currency string) (ledger.Money, error) {
	cur, err := ledger.LookupCurrency(currency)
	if err != nil {
		return ledger.Money{}, err
	}
	d := decimal.New(minor, -stripeExponent(cur))
	if err := ledger.CheckScale(d, cur); err != nil {
		return ledger.Money{}, ledger.Errorf(ledger.EINVALID, "Stripe amount %d in %s is %s, more decimal places than %s allows (%d)",
			minor, cur.Code, d.String(), cur.Code, cur.Exponent)
	}
	return ledger.Money{Amount: d, Currency: cur}, nil
}

// toMinor converts m to Stripe's integer amount, exactly: an amount with
// more decimals than the currency has, or one too large for Stripe, is an
// error, never rounded.
func toMinor(m ledger.Money) (int64, error) {
	cur, err := ledger.LookupCurrency(m.Currency.Code)
	if err != nil {
		return 0, err
	}
	if err := ledger.CheckScale(m.Amount, cur); err != nil {
		return 0, err
	}
	shifted := m.Amount.Shift(stripeExponent(cur))
	if !shifted.IsInteger() {
		return 0, ledger.Errorf(ledger.EINVALID, "amount %s has more decimal places than %s allows (%d)", m.Amount.String(), cur.Code, cur.Exponent)
	}
	n := shifted.BigInt()
	if !n.IsInt64() {
		return 0, ledger.Errorf(ledger.EINVALID, "amount %s %s is too large for the payment processor", m.Amount.String(), cur.Code)
	}
	return n.Int64(), nil
}
