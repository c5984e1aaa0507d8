package statement_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// The formats of the CSV samples in testdata.
var (
	// germanBank is a German online bank's export: a preamble, quoted
	// fields, ';', decimal comma, one signed amount column.
	germanBank = statement.CSVFormat{
		Delimiter: ';', Header: true, SkipLines: 5,
		Date: statement.Col("Buchungstag"), ValueDate: statement.Col("Wertstellung"),
		Amount:              statement.Col("Betrag (EUR)"),
		Counterparty:        statement.Col("Auftraggeber / Begünstigter"),
		CounterpartyAccount: statement.Col("Kontonummer"),
		EndToEndID:          statement.Col("Kundenreferenz"),
		Remittance:          []statement.Column{statement.Col("Verwendungszweck")},
		DateLayout:          "02.01.2006", DecimalSep: ',', ThousandsSep: '.',
	}
	// debitCredit has separate Soll (debit) and Haben (credit) columns, a
	// unique booking reference, a currency column and CRLF line ends.
	debitCredit = statement.CSVFormat{
		Delimiter: ';', Header: true,
		Date: statement.Col("buchungsdatum"), ValueDate: statement.Col("Valutadatum"),
		Debit: statement.Col("Soll"), Credit: statement.Col("Haben"), Currency: statement.Col("Währung"),
		Reference: statement.Col("Buchungsreferenz"), Counterparty: statement.Col("Name"),
		CounterpartyAccount: statement.Col("IBAN"),
		Remittance:          []statement.Column{statement.Col("Verwendungszweck")},
		DecimalSep:          ',', ThousandsSep: '.',
	}
	// englishSigned is a British bank's export: ',', decimal point, thousands
	// commas in quoted amounts, day/month/year dates.
	englishSigned = statement.CSVFormat{
		Header: true,
		Date:   statement.Col("Date"), Amount: statement.Col("Amount"), Currency: statement.Col("Currency"),
		Reference: statement.Col("Transaction Reference"), Counterparty: statement.Col("Counterparty"),
		Remittance: []statement.Column{statement.Col("Description")},
		DateLayout: "02/01/2006", ThousandsSep: ',',
	}
)

func TestParseCSVFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		format  statement.CSVFormat
		cur     string
		opening string
		want    wantStatement
	}{
		{"german_bank.csv", germanBank, "EUR", "1512.05", wantStatement{
			ID: hashRef, Account: fundIBAN, Currency: "EUR", From: "2024-04-02", To: "2024-04-05",
			Opening: "1512.05", Closing: "14632.10",
			Lines: []wantLine{{
				Ref: hashRef, Booking: "2024-04-02", Value: "2024-04-02", Amount: "1500.00",
				EndToEndID: "IGD-SUED-0402", Remittance: "Solidaritätsbeitrag April",
				Counterparty: "IG Druck Bezirk Süd", CpAccount: "DE75512108001245126199",
				RawPrefix: `"02.04.2024";"02.04.2024";"Gutschrift";`, RawContains: `"1.500,00";"";"";"IGD-SUED-0402";`,
			}, {
				Ref: hashRef, Booking: "2024-04-03", Value: "2024-04-03", Amount: "-350.00",
				EndToEndID: "GRANT-2024-0150", Remittance: "Streikunterstützung KW14 Mitgl.-Nr. 48213",
				Counterparty: "Petra Beispiel", CpAccount: "DE44500105175407324931",
				RawPrefix: `"03.04.2024"`, RawContains: `"-350,00"`,
			}, {
				Ref: hashRef, Booking: "2024-04-03", Value: "2024-04-03", Amount: "5.00",
				Remittance: "Spende", Counterparty: "Max Mustermann", CpAccount: "DE91100000000123456789",
				RawPrefix: `"03.04.2024"`, RawContains: `"5,00"`,
			}, {
				Ref: hashRef, Booking: "2024-04-03", Value: "2024-04-03", Amount: "5.00",
				Remittance: "Spende", Counterparty: "Max Mustermann", CpAccount: "DE91100000000123456789",
				RawPrefix: `"03.04.2024"`, RawContains: `"5,00"`,
			}, {
				Ref: hashRef, Booking: "2024-04-04", Value: "2024-04-02", Amount: "-39.95",
				Remittance: "Rechnung 03/2024 Streiktelefon", Counterparty: "Telekom Deutschland GmbH",
				CpAccount: "DE61200400600000123456", RawPrefix: `"04.04.2024"`, RawContains: `"TK-88812345"`,
			}, {
				Ref: hashRef, Booking: "2024-04-05", Value: "2024-04-05", Amount: "12000.00",
				Remittance: "Unterstuetzung Streikkasse", Counterparty: "Gewerkschaft Nahrung Ortsgruppe Hafen",
				CpAccount: "DE12500105170648489890", RawPrefix: `"05.04.2024"`, RawContains: `"12.000,00"`,
			}},
		}},
		{"debit_credit.csv", debitCredit, "EUR", "0", wantStatement{
			ID: hashRef, Account: fundIBAN, Currency: "EUR", From: "2024-04-08", To: "2024-04-09",
			Opening: "0", Closing: "1763.60",
			Lines: []wantLine{{
				Ref: "VB24040800017", Booking: "2024-04-08", Value: "2024-04-08", Amount: "2250.00",
				Remittance: "Soli-Spende April", Counterparty: "Eisenbahner-Verband Kreis West",
				CpAccount: "DE27100777770209299700", BankRef: "VB24040800017",
				RawPrefix: "2024-04-08;2024-04-08;VB24040800017;", RawContains: ";;2.250,00;EUR",
			}, {
				// The remittance spans two lines inside quotes; Raw keeps them as written.
				Ref: "VB24040800018", Booking: "2024-04-08", Value: "2024-04-08", Amount: "-400.00",
				Remittance: "Streikunterstützung KW15 Mitgl.-Nr. 50312", Counterparty: "Ayşe Yılmaz",
				CpAccount: "DE02120300000000202051", BankRef: "VB24040800018",
				RawPrefix: "2024-04-08;2024-04-08;VB24040800018;", RawContains: "KW15\r\nMitgl.-Nr. 50312\";400,00;;EUR",
			}, {
				// A debit written with its minus sign is a debit all the same.
				Ref: "VB24040900003", Booking: "2024-04-09", Value: "2024-04-09", Amount: "-86.40",
				Remittance: "Verpflegung Streikposten", Counterparty: "Bäckerei Korn",
				CpAccount: "DE61200400600000123456", BankRef: "VB24040900003",
				RawPrefix: "2024-04-09;", RawContains: ";-86,40;;EUR",
			}}, // the empty record at the end is skipped
		}},
		{"english_signed.csv", englishSigned, "GBP", "2250.00", wantStatement{
			ID: hashRef, Account: "GB29NWBK60161331926819", Currency: "GBP", From: "2024-04-02", To: "2024-04-04",
			Opening: "2250.00", Closing: "15495.00",
			Lines: []wantLine{{
				Ref: "TRN-240402-0001", Booking: "2024-04-02", Amount: "1500.00",
				Remittance: "Solidarity with the strikers", Counterparty: "Bristol Trades Solidarity Group",
				BankRef: "TRN-240402-0001", RawPrefix: "02/04/2024,TRN-240402-0001,", RawContains: `"1,500.00",GBP,"3,750.00"`,
			}, {
				Ref: "TRN-240403-0007", Booking: "2024-04-03", Amount: "12000.00",
				Remittance: "Strike fund transfer, April", Counterparty: "Northern Rail Union Branch 12",
				BankRef: "TRN-240403-0007", RawPrefix: "03/04/2024,", RawContains: "12000.00",
			}, {
				Ref: "TRN-240404-0002", Booking: "2024-04-04", Amount: "-250.00",
				Remittance: "Hardship grant week 14", Counterparty: "Sam Taylor",
				BankRef: "TRN-240404-0002", RawPrefix: "04/04/2024,", RawContains: "-250.00",
			}, {
				Ref: "TRN-240404-0003", Booking: "2024-04-04", Amount: "-5",
				Remittance: "Monthly account fee", BankRef: "TRN-240404-0003",
				RawPrefix: "04/04/2024,TRN-240404-0003,,Monthly account fee,-5,GBP,", RawContains: "15,495.00",
			}},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			st, err := statement.ParseCSV(bytes.NewReader(mustRead(t, tc.file)), tc.format, tc.want.Account,
				mustCurrency(t, tc.cur), mustDec(t, tc.opening))
			if err != nil {
				t.Fatal(err)
			}
			checkStatement(t, st, tc.want)
		})
	}
}

// Columns can be picked by position, without a header.
func TestParseCSVPositions(t *testing.T) {
	f := statement.CSVFormat{
		Delimiter: '\t', Date: statement.ColAt(1), Amount: statement.ColAt(3),
		Remittance: []statement.Column{statement.ColAt(2), statement.ColAt(4)}, DateLayout: "2.1.06",
	}
	data := "5.4.24\tSpende\t10.50\tDanke\n6.4.24\tGebühr\t-0.5\n"
	st, err := statement.ParseCSV(strings.NewReader(data), f, "DE89 3704 0044 0532 0130 00", mustCurrency(t, "EUR"), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	checkStatement(t, st, wantStatement{
		ID: hashRef, Account: "DE89 3704 0044 0532 0130 00", Currency: "EUR", From: "2024-04-05", To: "2024-04-06",
		Opening: "0", Closing: "10.00",
		Lines: []wantLine{
			{Ref: hashRef, Booking: "2024-04-05", Amount: "10.5", Remittance: "Spende Danke", RawPrefix: "5.4.24\tSpende\t10.50\tDanke"},
			{Ref: hashRef, Booking: "2024-04-06", Amount: "-0.5", Remittance: "Gebühr", RawPrefix: "6.4.24\tGebühr\t-0.5"},
		},
	})
	// The account is compared without spaces for the keys.
	st2, err := statement.ParseCSV(strings.NewReader(data), f, fundIBAN, mustCurrency(t, "EUR"), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs(st), refs(st2)) {
		t.Errorf("keys depend on spaces in the IBAN: %q, %q", refs(st), refs(st2))
	}
}

// csvAmount reads s as the amount of a one-line CSV in the given notation.
func csvAmount(s string, dec, thou rune, cur ledger.Currency) (decimal.Decimal, error) {
	f := statement.CSVFormat{Delimiter: ';', Date: statement.ColAt(1), Amount: statement.ColAt(2), DecimalSep: dec, ThousandsSep: thou}
	st, err := statement.ParseCSV(strings.NewReader(`2024-04-02;"`+s+`"`), f, fundIBAN, cur, decimal.Zero)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return st.Lines[0].Amount, nil
}

func TestCSVAmounts(t *testing.T) {
	for _, tc := range []struct {
		s         string
		dec, thou rune
		cur       string
		want      string // "" for an error
	}{
		{"1.500,00", ',', '.', "EUR", "1500"},
		{"-1.500,00", ',', '.', "EUR", "-1500"},
		{"12.345.678,90", ',', '.', "EUR", "12345678.9"},
		{"1500,00", ',', '.', "EUR", "1500"},
		{"1500", ',', '.', "EUR", "1500"},
		{"1.500", ',', '.', "EUR", "1500"},
		{"0,5", ',', '.', "EUR", "0.5"},
		{"+12,50", ',', '.', "EUR", "12.5"},
		{"12,50-", ',', '.', "EUR", "-12.5"},
		{"\u22123,00", ',', '.', "EUR", "-3"},
		{"- 3,00", ',', '.', "EUR", "-3"},
		{"1.500,000", ',', '.', "EUR", "1500"},
		{"0,00", ',', '.', "EUR", "0"},
		{"1.50,00", ',', '.', "EUR", ""},
		{"1.5000,00", ',', '.', "EUR", ""},
		{"1,500.00", ',', '.', "EUR", ""},
		{"1.500.00", ',', '.', "EUR", ""},
		{"1,", ',', '.', "EUR", ""},
		{",5", ',', '.', "EUR", ""},
		{".500,00", ',', '.', "EUR", ""},
		{"12,345", ',', '.', "EUR", ""},
		{"1 500,00", ',', '.', "EUR", ""},
		{"--1", ',', '.', "EUR", ""},
		{"-", ',', '.', "EUR", ""},
		{"abc", ',', '.', "EUR", ""},
		{"1e3", ',', '.', "EUR", ""},
		{"1,500.00", '.', ',', "USD", "1500"},
		{"-1,234,567.89", '.', ',', "USD", "-1234567.89"},
		{"1500.25", '.', ',', "USD", "1500.25"},
		{"1.500,00", '.', ',', "USD", ""},
		{"1 500,00", ',', ' ', "EUR", "1500"},
		{"1\u00a0500,00", ',', ' ', "EUR", "1500"},
		{"1\u202f500,00", ',', ' ', "EUR", "1500"},
		{"12 345 678,90", ',', ' ', "EUR", "12345678.9"},
		{"1  500,00", ',', ' ', "EUR", ""},
		{"1 50,00", ',', ' ', "EUR", ""},
		{"1'500.00", '.', '\'', "CHF", "1500"},
		{"1500.00", 0, 0, "EUR", "1500"},
		{"1,500.00", 0, 0, "EUR", ""},
		{"1500,00", 0, 0, "EUR", ""},
		{"1500,00", ',', 0, "EUR", "1500"},
		{"1.500", ',', '.', "JPY", "1500"},
		{"1500,5", ',', '.', "JPY", ""},
		{"1500,00", ',', '.', "JPY", "1500"},
		{"1500,", ',', '.', "JPY", ""},
		{"1,234", '.', ',', "KWD", "1234"},
		{"1.234", '.', ',', "KWD", "1.234"},
		{"99999999999999999999999999999999999999999999,00", ',', 0, "EUR", ""},
	} {
		t.Run(tc.s, func(t *testing.T) {
			got, err := csvAmount(tc.s, tc.dec, tc.thou, mustCurrency(t, tc.cur))
			if tc.want == "" {
				checkInvalid(t, err, "csv line 1: amount column #2")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(mustDec(t, tc.want)) {
				t.Errorf("%q = %s, want %s", tc.s, got, tc.want)
			}
		})
	}
}

func TestCSVKeysStable(t *testing.T) {
	data := mustRead(t, "german_bank.csv")
	eur := mustCurrency(t, "EUR")
	first, err := statement.ParseCSV(bytes.NewReader(data), germanBank, fundIBAN, eur, mustDec(t, "1512.05"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := statement.ParseCSV(bytes.NewReader(data), germanBank, fundIBAN, eur, mustDec(t, "1512.05"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs(first), refs(second)) || first.ID != second.ID {
		t.Errorf("keys differ between two reads:\n%q\n%q", refs(first), refs(second))
	}
	// Newest first, as many banks export: the same keys.
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	head, records := slices.Clone(lines[:6]), slices.Clone(lines[6:])
	slices.Reverse(records)
	reversed := strings.Join(append(head, records...), "\n") + "\n"
	third, err := statement.ParseCSV(strings.NewReader(reversed), germanBank, fundIBAN, eur, mustDec(t, "1512.05"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := refs(first), refs(third)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("keys depend on the order of the lines:\n%q\n%q", a, b)
	}
	// A shorter export of the same days keeps the keys of the days it covers.
	short := strings.Join(append(slices.Clone(head), lines[6:10]...), "\n") + "\n" // 2 and 3 April
	fourth, err := statement.ParseCSV(strings.NewReader(short), germanBank, fundIBAN, eur, decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs(fourth), refs(first)[:4]) {
		t.Errorf("keys of 2-3 April differ between exports:\n%q\n%q", refs(fourth), refs(first)[:4])
	}
	if fourth.ID == first.ID {
		t.Errorf("different statements share the id %s", first.ID)
	}
}

func TestCSVSharedReference(t *testing.T) {
	f := englishSigned
	data := "Date,Transaction Reference,Amount\n02/04/2024,TRANSFER,10.00\n02/04/2024,TRANSFER,20.00\n03/04/2024,T-3,5.00\n03/04/2024,NONREF,5.00\n"
	f.Currency, f.Counterparty, f.Remittance = statement.Column{}, statement.Column{}, nil
	st, err := statement.ParseCSV(strings.NewReader(data), f, fundIBAN, mustCurrency(t, "EUR"), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, st)
	if !isHashRef(st.Lines[0].Ref) || !isHashRef(st.Lines[1].Ref) || st.Lines[0].BankRef != "TRANSFER" {
		t.Errorf("a reference two lines share is no key: %q", refs(st))
	}
	if st.Lines[2].Ref != "T-3" || !isHashRef(st.Lines[3].Ref) || st.Lines[3].BankRef != "" {
		t.Errorf("lines %+v", st.Lines[2:])
	}
}

func TestParseCSVErrors(t *testing.T) {
	eur := mustCurrency(t, "EUR")
	simple := statement.CSVFormat{Delimiter: ';', Header: true, Date: statement.Col("Datum"), Amount: statement.Col("Betrag"), DecimalSep: ','}
	dc := statement.CSVFormat{Delimiter: ';', Header: true, Date: statement.Col("Datum"), Debit: statement.Col("Soll"), Credit: statement.Col("Haben"), DecimalSep: ','}
	with := func(f statement.CSVFormat, change func(*statement.CSVFormat)) statement.CSVFormat {
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name    string
		format  statement.CSVFormat
		data    string
		account string
		cur     ledger.Currency
		opening string
		wants   []string
	}{
		{name: "no date column", format: with(simple, func(f *statement.CSVFormat) { f.Date = statement.Column{} }), wants: []string{"csv format: the booking date column (Date) is required"}},
		{name: "amount and debit", format: with(simple, func(f *statement.CSVFormat) { f.Debit = statement.Col("Soll") }), wants: []string{"csv format: give either one signed Amount column or Debit and Credit columns"}},
		{name: "debit alone", format: with(dc, func(f *statement.CSVFormat) { f.Credit = statement.Column{} }), wants: []string{"csv format: an Amount column, or both Debit and Credit columns, are required"}},
		{name: "decimal separator", format: with(simple, func(f *statement.CSVFormat) { f.DecimalSep = ';' }), wants: []string{"csv format: decimal separator ';'"}},
		{name: "thousands separator", format: with(simple, func(f *statement.CSVFormat) { f.ThousandsSep = '_' }), wants: []string{"csv format: thousands separator '_'"}},
		{name: "same separators", format: with(simple, func(f *statement.CSVFormat) { f.ThousandsSep = ',' }), wants: []string{"csv format: the thousands separator and the decimal separator are both ','"}},
		{name: "name without header", format: with(simple, func(f *statement.CSVFormat) { f.Header = false }), wants: []string{`csv format: the date column "Datum" is picked by name, which needs a header row`}},
		{name: "negative position", format: with(simple, func(f *statement.CSVFormat) { f.ValueDate = statement.ColAt(-1) }), wants: []string{"csv format: the value date column #-1: positions count from 1"}},
		{name: "quote delimiter", format: with(simple, func(f *statement.CSVFormat) { f.Delimiter = '"' }), wants: []string{"csv format: delimiter '\"'"}},
		{name: "negative skip", format: with(simple, func(f *statement.CSVFormat) { f.SkipLines = -1 }), wants: []string{"SkipLines must not be negative"}},
		{name: "no account", format: simple, account: " ", data: "Datum;Betrag\n2024-04-02;1\n", wants: []string{"the account is required"}},
		{name: "no currency", format: simple, cur: ledger.Currency{}, data: "Datum;Betrag\n2024-04-02;1\n", wants: []string{`currency "" with 0 decimals is not a supported`}},
		{name: "made-up currency", format: simple, cur: ledger.Currency{Code: "EUR", Exponent: 5}, data: "Datum;Betrag\n2024-04-02;1\n", wants: []string{`currency "EUR" with 5 decimals is not a supported`}},
		{name: "opening decimals", format: simple, opening: "1.234", data: "Datum;Betrag\n2024-04-02;1\n", wants: []string{"opening balance: amount 1.234 has more decimal places than EUR allows"}},
		{name: "empty file", format: simple, data: "", wants: []string{"csv file holds no header row"}},
		{name: "header only", format: simple, data: "Datum;Betrag\n", wants: []string{"csv file holds no lines"}},
		{name: "no lines without header", format: with(simple, func(f *statement.CSVFormat) {
			f.Header, f.Date, f.Amount = false, statement.ColAt(1), statement.ColAt(2)
		}), data: "\n;;\n", wants: []string{"csv file holds no lines"}},
		{name: "missing column", format: simple, data: "Datum;Umsatz\n2024-04-02;1\n", wants: []string{`csv header (line 1): the amount column "Betrag" is missing`}},
		{name: "duplicate column", format: simple, data: "Datum;Betrag;betrag \n2024-04-02;1;2\n", wants: []string{`csv header (line 1): the amount column "Betrag" appears more than once`}},
		{name: "bad date", format: simple, data: "Datum;Betrag\n2024-04-02;1\n02.04.2024;1\n", wants: []string{`csv line 3: date column "Datum": "02.04.2024" does not match the date layout "2006-01-02"`}},
		{name: "old date", format: simple, data: "Datum;Betrag\n1899-04-02;1\n", wants: []string{`csv line 2: date column "Datum":`, "1899-04-02 is out of range"}},
		{name: "empty date", format: simple, data: "Datum;Betrag\n;1\n", wants: []string{`csv line 2: date column "Datum" is empty`}},
		{name: "bad value date", format: with(simple, func(f *statement.CSVFormat) { f.ValueDate = statement.ColAt(3) }), data: "Datum;Betrag;Valuta\n2024-04-02;1;gestern\n", wants: []string{`csv line 2: value date column #3: "gestern" does not match`}},
		{name: "bad amount", format: simple, data: "Datum;Betrag\n2024-04-02;1.5\n", wants: []string{`csv line 2: amount column "Betrag": "1.5" is not an amount written like "1234,56"`}},
		{name: "bad grouped amount", format: with(simple, func(f *statement.CSVFormat) { f.ThousandsSep = '.' }), data: "Datum;Betrag\n2024-04-02;1.50,00\n", wants: []string{`"1.50,00" is not an amount written like "1.234,56"`}},
		{name: "too many decimals", format: simple, data: "Datum;Betrag\n2024-04-02;1,555\n", wants: []string{`csv line 2: amount column "Betrag": "1,555" has 3 decimal places; EUR allows at most 2`}},
		{name: "empty amount", format: simple, data: "Datum;Betrag\n2024-04-02; \n", wants: []string{`csv line 2: amount column "Betrag" is empty`}},
		{name: "short record", format: simple, data: "Datum;Betrag\n2024-04-02\n", wants: []string{`csv line 2: amount column "Betrag": the record has only 1 field(s)`}},
		{name: "debit and credit", format: dc, data: "Datum;Soll;Haben\n2024-04-02;1,00;2,00\n", wants: []string{`csv line 2: both the debit column "Soll" and the credit column "Haben" hold an amount`}},
		{name: "neither debit nor credit", format: dc, data: "Datum;Soll;Haben\n2024-04-02;;\n", wants: []string{`csv line 2: both the debit column "Soll" and the credit column "Haben" are empty`}},
		{name: "negative credit", format: dc, data: "Datum;Soll;Haben\n2024-04-02;;-2,00\n", wants: []string{`csv line 2: credit column "Haben" holds a negative amount "-2,00"`}},
		{name: "debit and credit missing", format: dc, data: "Datum;Soll;Haben\n2024-04-02\n", wants: []string{`csv line 2: debit column "Soll" and credit column "Haben": the record has only 1 field(s)`}},
		{name: "currency", format: with(simple, func(f *statement.CSVFormat) { f.Currency = statement.ColAt(3) }), data: "Datum;Betrag;W\n2024-04-02;1;EUR\n2024-04-03;1;USD\n", wants: []string{`csv line 3: currency column #3: "USD" is not the statement currency EUR`}},
		{name: "latin-1", format: simple, data: "Datum;Betrag\n2024-04-02;1\n2024-04-03;1;M\xfcller\n", wants: []string{"csv line 3 is not valid UTF-8"}},
		{name: "nul", format: simple, data: "Datum;Betrag\n2024-04-02;1\x00\n", wants: []string{"csv line 2 holds a NUL character"}},
		{name: "bare quote", format: simple, data: "Datum;Betrag;Text\n2024-04-02;1;Spende \"Streik\"\n", wants: []string{`csv line 2: bare " in non-quoted-field`}},
		{name: "bare quote after preamble", format: with(simple, func(f *statement.CSVFormat) { f.SkipLines = 2 }), data: "Konto;1\n\nDatum;Betrag;Text\n2024-04-02;1;Spende \"Streik\"\n", wants: []string{`csv line 4: bare "`}},
		{name: "unclosed quote", format: simple, data: "Datum;Betrag\n2024-04-02;\"1\n", wants: []string{`csv line 2`, "extraneous or missing \""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			account := tc.account
			if account == "" {
				account = fundIBAN
			}
			cur := tc.cur
			if cur == (ledger.Currency{}) && tc.name != "no currency" {
				cur = eur
			}
			opening := decimal.Zero
			if tc.opening != "" {
				opening = mustDec(t, tc.opening)
			}
			st, err := statement.ParseCSV(strings.NewReader(tc.data), tc.format, account, cur, opening)
			checkInvalid(t, err, tc.wants...)
			t.Log(err)
			if st != nil {
				t.Errorf("a statement returned with an error")
			}
		})
	}
}

func TestParseCSVLazyQuotes(t *testing.T) {
	f := statement.CSVFormat{Delimiter: ';', Header: true, LazyQuotes: true, Date: statement.Col("Datum"), Amount: statement.Col("Betrag"),
		Remittance: []statement.Column{statement.Col("Text")}, DecimalSep: ','}
	st, err := statement.ParseCSV(strings.NewReader("Datum;Betrag;Text\n2024-04-02;1;Spende \"Streik\"\n"), f, fundIBAN, mustCurrency(t, "EUR"), decimal.Zero)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines[0].Remittance != `Spende "Streik"` {
		t.Errorf("remittance %q", st.Lines[0].Remittance)
	}
}

func TestParseCSVTooLarge(t *testing.T) {
	simple := statement.CSVFormat{Date: statement.ColAt(1), Amount: statement.ColAt(2)}
	_, err := statement.ParseCSV(strings.NewReader(strings.Repeat("\n", statement.MaxFileSize+1)), simple, fundIBAN, mustCurrency(t, "EUR"), decimal.Zero)
	checkInvalid(t, err, "larger than 64 MiB")
}
