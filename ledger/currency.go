package ledger

import (
	"sort"
	"strings"
)

// Currency is an ISO 4217 currency with its minor-unit exponent: the number of
// decimal places an amount in it may carry (2 for EUR, 0 for JPY, 3 for KWD).
type Currency struct {
	Code     string
	Exponent int32
}

func (c Currency) String() string { return c.Code }

// currencies lists the currencies the fund accepts. Exponents follow ISO 4217.
var currencies = map[string]Currency{}

func init() {
	for _, c := range []Currency{
		{"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"SEK", 2}, {"NOK", 2}, {"DKK", 2},
		{"CHF", 2}, {"PLN", 2}, {"CZK", 2}, {"HUF", 2}, {"RON", 2}, {"BGN", 2},
		{"RUB", 2}, {"KZT", 2}, {"UAH", 2}, {"BYN", 2}, {"GEL", 2}, {"AMD", 2},
		{"AZN", 2}, {"UZS", 2}, {"KGS", 2}, {"TRY", 2}, {"CAD", 2}, {"AUD", 2},
		{"NZD", 2}, {"CNY", 2}, {"INR", 2}, {"BRL", 2}, {"ZAR", 2}, {"ILS", 2},
		{"MXN", 2}, {"ISK", 0}, {"JPY", 0}, {"KRW", 0}, {"CLP", 0},
		{"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3},
	} {
		currencies[c.Code] = c
	}
}

// LookupCurrency returns the currency for an ISO 4217 code such as "EUR".
// Lower-case codes are accepted; unknown codes are an EINVALID error.
func LookupCurrency(code string) (Currency, error) {
	c, ok := currencies[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		if code == "" {
			return Currency{}, Errorf(EINVALID, "currency is required (an ISO 4217 code such as EUR)")
		}
		return Currency{}, Errorf(EINVALID, "currency %q is not a supported ISO 4217 code", code)
	}
	return c, nil
}

// Currencies returns every supported currency, sorted by code.
func Currencies() []Currency {
	out := make([]Currency, 0, len(currencies))
	for _, c := range currencies {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
