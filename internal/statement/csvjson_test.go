package statement_test

import (
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestCSVFormatFromJSON(t *testing.T) {
	f, err := statement.CSVFormatFromJSON([]byte(`{"delimiter": ";", "header": true, "date": "Buchungstag", "date_layout": "02.01.2006",
		"amount": 3, "decimal_sep": ",", "thousands_sep": ".", "counterparty": "Name", "remittance": ["Zweck"]}`))
	if err != nil {
		t.Fatal(err)
	}
	eur, _ := ledger.LookupCurrency("EUR")
	st, err := statement.ParseCSV(strings.NewReader("Buchungstag;Name;Betrag;Zweck\n06.12.2011;IG Metall;1.500,00;Solidarität\n"), f, "DE89", eur, decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Lines) != 1 || st.Lines[0].Amount.String() != "1500" || st.Lines[0].Counterparty != "IG Metall" {
		t.Fatalf("%+v", st.Lines)
	}
	for _, bad := range []string{`{"delimiter": ";;"}`, `{"date": true}`, `{"date": 0}`, `{"nonsense": 1}`, `{`} {
		if _, err := statement.CSVFormatFromJSON([]byte(bad)); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
