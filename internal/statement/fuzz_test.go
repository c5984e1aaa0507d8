package statement_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// checkFuzzError asserts that a parser's error is an invalid-input error.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var le *ledger.Error
	if !errors.As(err, &le) || le.Code != ledger.EINVALID {
		t.Fatalf("error %v (%T) is not a *ledger.Error with code %s", err, err, ledger.EINVALID)
	}
	if !utf8.ValidString(le.Message) {
		t.Fatalf("error message %q is not valid UTF-8", le.Message)
	}
}

func seedFiles(f *testing.F, pattern string) [][]byte {
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParseCamt053(f *testing.F) {
	for _, b := range seedFiles(f, "*.xml") {
		f.Add(b)
	}
	f.Add([]byte(camtDoc("08", "0", "300.00", entry("E1", "300.00", "CRDT",
		"<NtryDtls>"+tx("T1", "A", "100.00", "", "Branch A")+tx("", "B", "200.00", "", "Branch B")+"</NtryDtls>"))))
	f.Add([]byte(camtDoc("04", "100.00", "80.00", entry("R1", "20.00", "DBIT", "<RvslInd>true</RvslInd>"))))
	f.Add([]byte(camtDoc("02", "-1.5", "-1.5", "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		sts, err := statement.ParseCamt053(bytes.NewReader(data))
		if err != nil {
			checkFuzzError(t, err)
			if sts != nil {
				t.Fatal("statements returned with an error")
			}
			return
		}
		if len(sts) == 0 {
			t.Fatal("no statements and no error")
		}
		for _, st := range sts {
			checkInvariants(t, st)
			if !st.From.IsZero() && !st.To.IsZero() && st.To.Before(st.From) {
				t.Errorf("period %v to %v", st.From, st.To)
			}
		}
		again, err := statement.ParseCamt053(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("second read fails: %v", err)
		}
		for i := range sts {
			if sts[i].ID != again[i].ID || !slices.Equal(refs(sts[i]), refs(again[i])) {
				t.Fatalf("statement %d: keys differ between two reads", i)
			}
		}
	})
}

// fuzzFormats are the CSV formats FuzzParseCSV reads with, and their currencies.
var fuzzFormats = []struct {
	format statement.CSVFormat
	cur    string
}{
	{germanBank, "EUR"},
	{debitCredit, "EUR"},
	{englishSigned, "GBP"},
	{statement.CSVFormat{Delimiter: '\t', Date: statement.ColAt(1), ValueDate: statement.ColAt(2), Amount: statement.ColAt(3),
		Reference: statement.ColAt(4), Remittance: []statement.Column{statement.ColAt(5), statement.ColAt(6)},
		DateLayout: "2.1.06", DecimalSep: ',', ThousandsSep: ' '}, "JPY"},
}

func FuzzParseCSV(f *testing.F) {
	files := map[string]uint8{"german_bank.csv": 0, "debit_credit.csv": 1, "english_signed.csv": 2}
	for name, variant := range files {
		f.Add(mustRead(f, name), variant)
	}
	f.Add([]byte("5.4.24\t\t1 500\tREF\tSpende\tDanke\n6.4.24\t6.4.24\t-3\t\t\"a\nb\"\n"), uint8(3))
	f.Add([]byte("Date,Transaction Reference,Amount,Currency\n02/04/2024,X,\"1,000.50\",GBP\n02/04/2024,X,-0.50,gbp\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, variant uint8) {
		ff := fuzzFormats[int(variant)%len(fuzzFormats)]
		format := ff.format
		if variant >= 128 { // the same columns in other notations
			format.DecimalSep, format.ThousandsSep = '.', '\''
		}
		cur := mustCurrency(t, ff.cur)
		opening := decimal.New(int64(variant)-100, -cur.Exponent)
		st, err := statement.ParseCSV(bytes.NewReader(data), format, fundIBAN, cur, opening)
		if err != nil {
			checkFuzzError(t, err)
			if st != nil {
				t.Fatal("statement returned with an error")
			}
			return
		}
		checkInvariants(t, st)
		if !st.OpeningBalance.Equal(opening) || st.From.After(st.To) {
			t.Errorf("opening %s, period %v to %v", st.OpeningBalance, st.From, st.To)
		}
		again, err := statement.ParseCSV(bytes.NewReader(data), format, fundIBAN, cur, opening)
		if err != nil {
			t.Fatalf("second read fails: %v", err)
		}
		if st.ID != again.ID || !slices.Equal(refs(st), refs(again)) {
			t.Fatal("keys differ between two reads")
		}
	})
}
