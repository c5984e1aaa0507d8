package statement

import (
	"bytes"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// Parse reads statement files: camt.053 (every statement in the
// file) or CSV in a layout given as JSON, with the account's currency and
// the opening balance the CSV cannot say.
func Parse(format, account string, content []byte, csvFormat []byte, currency, opening string) ([]*ledger.BankStatement, error) {
	switch strings.ToLower(format) {
	case "camt053", "camt.053", "":
		return ParseCamt053(bytes.NewReader(content))
	case "csv":
		if len(csvFormat) == 0 {
			return nil, ledger.Errorf(ledger.EINVALID, "csv: the layout is required (which columns hold the date, the amount, ...)")
		}
		f, err := CSVFormatFromJSON(csvFormat)
		if err != nil {
			return nil, err
		}
		cur, err := ledger.LookupCurrency(currency)
		if err != nil {
			return nil, err
		}
		open := decimal.Zero
		if opening != "" {
			if open, err = ledger.ParseAmount(opening, cur); err != nil {
				return nil, ledger.Errorf(ledger.EINVALID, "opening: %s", ledger.ErrorMessage(err))
			}
		}
		st, err := ParseCSV(bytes.NewReader(content), f, account, cur, open)
		if err != nil {
			return nil, err
		}
		return []*ledger.BankStatement{st}, nil
	}
	return nil, ledger.Errorf(ledger.EINVALID, "format %q is not one of camt053, csv", format)
}
