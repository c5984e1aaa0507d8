package statement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
)

// csvFormatJSON is the CSV layout as a treasurer writes it once per bank,
// for the API and `fundledger import-statement --csv-format FILE`. A column
// is its header ("Buchungstag") or its position counting from 1 (3).
//
//	{"delimiter": ";", "header": true, "skip_lines": 4, "date": "Buchungstag",
//	 "date_layout": "02.01.2006", "amount": "Betrag", "decimal_sep": ",",
//	 "thousands_sep": ".", "counterparty": "Auftraggeber / Begünstigter",
//	 "remittance": ["Verwendungszweck"]}
type csvFormatJSON struct {
	Delimiter           string            `json:"delimiter"`
	Header              bool              `json:"header"`
	LazyQuotes          bool              `json:"lazy_quotes"`
	SkipLines           int               `json:"skip_lines"`
	Date                json.RawMessage   `json:"date"`
	ValueDate           json.RawMessage   `json:"value_date"`
	Amount              json.RawMessage   `json:"amount"`
	Debit               json.RawMessage   `json:"debit"`
	Credit              json.RawMessage   `json:"credit"`
	Currency            json.RawMessage   `json:"currency"`
	Reference           json.RawMessage   `json:"reference"`
	Counterparty        json.RawMessage   `json:"counterparty"`
	CounterpartyAccount json.RawMessage   `json:"counterparty_account"`
	EndToEndID          json.RawMessage   `json:"end_to_end_id"`
	Remittance          []json.RawMessage `json:"remittance"`
	DateLayout          string            `json:"date_layout"`
	DecimalSep          string            `json:"decimal_sep"`
	ThousandsSep        string            `json:"thousands_sep"`
}

// CSVFormatFromJSON reads a CSV layout written as JSON (see csvFormatJSON).
func CSVFormatFromJSON(b []byte) (CSVFormat, error) {
	var (
		j csvFormatJSON
		f CSVFormat
	)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return f, ledger.Errorf(ledger.EINVALID, "csv format: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	char := func(field, s string) (rune, error) {
		if s == "" {
			return 0, nil
		}
		r, n := utf8.DecodeRuneInString(s)
		if n != len(s) {
			return 0, ledger.Errorf(ledger.EINVALID, "csv format: %s must be a single character, not %q", field, s)
		}
		return r, nil
	}
	var err error
	if f.Delimiter, err = char("delimiter", j.Delimiter); err != nil {
		return f, err
	}
	if f.DecimalSep, err = char("decimal_sep", j.DecimalSep); err != nil {
		return f, err
	}
	if f.ThousandsSep, err = char("thousands_sep", j.ThousandsSep); err != nil {
		return f, err
	}
	f.Header, f.LazyQuotes, f.SkipLines, f.DateLayout = j.Header, j.LazyQuotes, j.SkipLines, j.DateLayout
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		dst  *Column
	}{
		{"date", j.Date, &f.Date}, {"value_date", j.ValueDate, &f.ValueDate}, {"amount", j.Amount, &f.Amount},
		{"debit", j.Debit, &f.Debit}, {"credit", j.Credit, &f.Credit}, {"currency", j.Currency, &f.Currency},
		{"reference", j.Reference, &f.Reference}, {"counterparty", j.Counterparty, &f.Counterparty},
		{"counterparty_account", j.CounterpartyAccount, &f.CounterpartyAccount}, {"end_to_end_id", j.EndToEndID, &f.EndToEndID},
	} {
		if *c.dst, err = column(c.name, c.raw); err != nil {
			return f, err
		}
	}
	for i, raw := range j.Remittance {
		col, err := column(fmt.Sprintf("remittance[%d]", i), raw)
		if err != nil {
			return f, err
		}
		f.Remittance = append(f.Remittance, col)
	}
	return f, nil
}

func column(field string, raw json.RawMessage) (Column, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Column{}, nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		return Col(name), nil
	}
	var index int
	if err := json.Unmarshal(raw, &index); err == nil && index > 0 {
		return ColAt(index), nil
	}
	return Column{}, ledger.Errorf(ledger.EINVALID, "csv format: %s must be a column header (a string) or a position from 1 (a number)", field)
}
