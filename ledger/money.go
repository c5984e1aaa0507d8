package ledger

import (
	"github.com/shopspring/decimal"
)

// Money is an exact amount in a currency. The amount never carries more decimal
// places than the currency's exponent.
type Money struct {
	Amount   decimal.Decimal
	Currency Currency
}

// String formats m as "1500.00 EUR", with exactly the currency's decimals.
func (m Money) String() string {
	return m.Amount.StringFixed(m.Currency.Exponent) + " " + m.Currency.Code
}

// ParseMoney parses an amount such as "1500", "1500.00", "12.5" or "-3" in the
// currency with the given code. Exponents, thousands separators, signs other
// than a leading minus, and more decimals than the currency allows are errors:
// nothing is ever rounded.
func ParseMoney(amount, currency string) (Money, error) {
	cur, err := LookupCurrency(currency)
	if err != nil {
		return Money{}, err
	}
	d, err := ParseAmount(amount, cur)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: d, Currency: cur}, nil
}

// maxAmountLen bounds an amount's text, as given and as written with its
// currency's decimals, so that every accepted amount can be read back.
const maxAmountLen = 40

// ParseAmount parses a plain decimal string for currency cur (see ParseMoney).
func ParseAmount(s string, cur Currency) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, Errorf(EINVALID, "amount is required (a decimal string such as \"1500.00\")")
	}
	if len(s) > maxAmountLen {
		return decimal.Decimal{}, Errorf(EINVALID, "amount %.12q... is too long", s)
	}
	digits, decimals, seenPoint := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' && i == 0:
		case c == '.' && !seenPoint && digits > 0:
			seenPoint = true
		case c >= '0' && c <= '9':
			digits++
			if seenPoint {
				decimals++
			}
		default:
			return decimal.Decimal{}, Errorf(EINVALID, "amount %q is not a decimal number: use digits with an optional \".\" and decimals, such as \"1500.00\"", s)
		}
	}
	if digits == 0 || (seenPoint && decimals == 0) {
		return decimal.Decimal{}, Errorf(EINVALID, "amount %q is not a decimal number: use digits with an optional \".\" and decimals, such as \"1500.00\"", s)
	}
	if int32(decimals) > cur.Exponent {
		return decimal.Decimal{}, Errorf(EINVALID, "amount %q has %d decimal places; %s allows at most %d", s, decimals, cur.Code, cur.Exponent)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, Errorf(EINVALID, "amount %q is not a decimal number", s)
	}
	if len(d.StringFixed(cur.Exponent)) > maxAmountLen {
		return decimal.Decimal{}, Errorf(EINVALID, "amount %.12q... is too large", s)
	}
	return d, nil
}

// CheckScale reports an EINVALID error when d has more decimal places than cur allows.
func CheckScale(d decimal.Decimal, cur Currency) error {
	if !d.Equal(d.Truncate(cur.Exponent)) {
		return Errorf(EINVALID, "amount %s has more decimal places than %s allows (%d)", d.String(), cur.Code, cur.Exponent)
	}
	return nil
}
