package statement_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/shopspring/decimal"
)

const fundIBAN = "DE89370400440532013000"

func TestParseCamt053Files(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []wantStatement
	}{
		{"camt053_001_02_two_days.xml", []wantStatement{{
			ID: "0532013000-2024-045", Account: fundIBAN, Currency: "EUR",
			From: "2024-03-04", To: "2024-03-04", Opening: "12500.00", Closing: "14287.10",
			Lines: []wantLine{{
				Ref: "2024030400123456", Booking: "2024-03-04", Value: "2024-03-04", Amount: "2500.00",
				EndToEndID: "OV-NORD-2024-03", Remittance: "Solidaritaetsbeitrag Maerz Streikkasse Ortsverband Nord",
				Counterparty: "Gewerkschaft Metall Ortsverband Nord", CpAccount: "DE02120300000000202051",
				BankRef: "2024030400123456", RawPrefix: "<Ntry>", RawContains: "<AcctSvcrRef>2024030400123456</AcctSvcrRef>",
			}, {
				Ref: "2024030400123457", Booking: "2024-03-04", Value: "2024-03-04", Amount: "-350.00",
				EndToEndID: "GRANT-2024-0117", Remittance: "Streikunterstuetzung KW10 Mitgl.-Nr. 48213",
				Counterparty: "Petra Beispiel", CpAccount: "DE44500105175407324931",
				BankRef: "2024030400123457", RawPrefix: "<Ntry>", RawContains: "GRANT-2024-0117",
			}, {
				// No TxDtls amount: a single transaction takes the entry's.
				Ref: "2024030400123458", Booking: "2024-03-04", Value: "2024-03-04", Amount: "-350.00",
				EndToEndID: "GRANT-2024-0118", Remittance: "Streikunterstuetzung KW10 Mitgl.-Nr. 51877",
				Counterparty: "Jonas Muster", CpAccount: "DE91100000000123456789",
				BankRef: "2024030400123458", RawPrefix: "<Ntry>", RawContains: "GRANT-2024-0118",
			}, {
				// A fee without details: NONREF is no reference, the entry text stands in for remittance.
				Ref: hashRef, Booking: "2024-03-04", Value: "2024-02-29", Amount: "-12.90",
				Remittance: "Kontofuehrungsentgelt Februar 2024",
				RawPrefix:  "<Ntry>", RawContains: "NCHG+805+9330",
			}},
		}, {
			ID: "0532013000-2024-046", Account: fundIBAN, Currency: "EUR",
			From: "2024-03-05", To: "2024-03-05", Opening: "14287.10", Closing: "13477.10",
			Lines: []wantLine{{
				Ref: "2024030500098765", Booking: "2024-03-05", Value: "2024-03-05", Amount: "150.00",
				Remittance: "Spende Streikfonds", Counterparty: "Erika Mustermann", CpAccount: "DE75512108001245126199",
				BankRef: "2024030500098765", RawPrefix: "<Ntry>", RawContains: "2024030500098765",
			}, {
				Ref: hashRef, Booking: "2024-03-05", Value: "2024-03-05", Amount: "20.00",
				Remittance: "Spende", Counterparty: "Max Mustermann", RawPrefix: "<Ntry>", RawContains: "NONREF",
			}, {
				Ref: hashRef, Booking: "2024-03-05", Value: "2024-03-05", Amount: "20.00",
				Remittance: "Spende", Counterparty: "Max Mustermann", RawPrefix: "<Ntry>", RawContains: "NONREF",
			}, {
				Ref: "2024030500098766", Booking: "2024-03-05", Value: "2024-03-05", Amount: "-1000.00",
				EndToEndID: "RE-2024-031", Remittance: "Rechnung 2024-031 Streikplakate",
				Counterparty: "Druckerei Rot GmbH", CpAccount: "DE12500105170648489890",
				BankRef: "2024030500098766", RawPrefix: "<Ntry>", RawContains: "RE-2024-031",
			}},
		}}},
		{"camt053_001_08_batch_reversal.xml", []wantStatement{{
			ID: "STMT-20240311-DE89370400440532013000", Account: fundIBAN, Currency: "EUR",
			From: "2024-03-11", To: "2024-03-11", Opening: "13477.10", Closing: "17718.95",
			Lines: []wantLine{{
				Ref: "BK20240311-0001/1", Booking: "2024-03-11", Value: "2024-03-11", Amount: "1500.00",
				EndToEndID: "IGD-SUED-STREIK-11", Remittance: "Solidaritaet Streikwoche 11",
				Counterparty: "IG Druck Bezirk Süd", CpAccount: "DE75512108001245126199",
				BankRef: "BK20240311-0001", RawPrefix: "<Ntry>", RawContains: "<NbOfTxs>3</NbOfTxs>",
			}, {
				Ref: "BK20240311-0001/2", Booking: "2024-03-11", Value: "2024-03-11", Amount: "1200.00",
				EndToEndID: "NGG-HAFEN-2024-11", Remittance: "Beschluss Mitgliederversammlung 07.03. Unterstuetzung Streikkasse",
				Counterparty: "Gewerkschaft Nahrung Ortsgruppe Hafen", CpAccount: "DE12500105170648489890",
				BankRef: "BK20240311-0001", RawPrefix: "<Ntry>", RawContains: "NGG-HAFEN-2024-11",
			}, {
				Ref: "BK20240311-0001/3", Booking: "2024-03-11", Value: "2024-03-11", Amount: "1500.00",
				Remittance: "Soli-Spende Kreis West", Counterparty: "Eisenbahner-Verband Kreis West",
				CpAccount: "DE27100777770209299700", BankRef: "BK20240311-0001", RawPrefix: "<Ntry>", RawContains: "Kreis West",
			}, {
				Ref: "BK20240311-0002", Booking: "2024-03-11", Value: "2024-03-11", Amount: "-400.00",
				EndToEndID: "GRANT-2024-0131", Remittance: "Streikunterstuetzung KW11 Mitgl.-Nr. 50312",
				Counterparty: "Ayşe Yılmaz", CpAccount: "DE02120300000000202051",
				BankRef: "BK20240311-0002", RawPrefix: "<Ntry>", RawContains: "GRANT-2024-0131",
			}, {
				// The returned grant: CRDT with RvslInd, so +350; the counterparty is
				// the original creditor, not the fund itself (the original debtor).
				Ref: "BK20240311-0003", Booking: "2024-03-11", Value: "2024-03-11", Amount: "350.00", Reversal: true,
				EndToEndID: "GRANT-2024-0117", Remittance: "Streikunterstuetzung KW10 Mitgl.-Nr. 48213",
				Counterparty: "Petra Beispiel", CpAccount: "DE44500105175407324931",
				BankRef: "BK20240311-0003", RawPrefix: "<Ntry>", RawContains: "<RvslInd>true</RvslInd>",
			}, {
				// Paid in GBP, booked in EUR: Amt is the EUR amount; InstdAmt stays in Raw only.
				Ref: "BK20240311-0004", Booking: "2024-03-11", Value: "2024-03-12", Amount: "91.85",
				EndToEndID: "UKSOL-88213", Remittance: "Solidarity with the strikers",
				Counterparty: "Bristol Trades Solidarity Group", CpAccount: "GB29NWBK60161331926819",
				BankRef: "BK20240311-0004", RawPrefix: "<Ntry>", RawContains: `<Amt Ccy="GBP">80.00</Amt>`,
			}},
		}}},
		{"camt053_001_05_dttm.xml", []wantStatement{{
			ID: "77", Account: fundIBAN, Currency: "EUR",
			From: "2024-03-12", To: "2024-03-12", Opening: "17718.95", Closing: "17468.95",
			Lines: []wantLine{{
				Ref: "77-0001", Booking: "2024-03-12", Value: "2024-03-12", Amount: "-300.00",
				EndToEndID: "GRANT-2024-0140", Remittance: "RF18539007547034",
				Counterparty: "Mehmet Demir", CpAccount: "0648489890",
				BankRef: "77-0001", RawPrefix: "<Ntry>", RawContains: "2024-03-12T09:41:27.000+01:00",
			}, {
				// 23:30 at UTC-5 is the next day in UTC; the date written counts.
				Ref: "77-0002", Booking: "2024-03-12", Amount: "50.00",
				Remittance: "Sammlung Lehrerzimmer", Counterparty: "Kollegium Grundschule am Park",
				BankRef: "77-0002", RawPrefix: "<Ntry>", RawContains: "77-0002",
			}}, // the pending entry 77-0003 is skipped
		}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sts, err := statement.ParseCamt053(bytes.NewReader(mustRead(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != len(tc.want) {
				t.Fatalf("%d statements, want %d", len(sts), len(tc.want))
			}
			for i := range sts {
				t.Run(sts[i].ID, func(t *testing.T) { checkStatement(t, sts[i], tc.want[i]) })
			}
		})
	}
}

// Identical lines without a reference get distinct keys, numbered by
// occurrence.
func TestParseCamt053IdenticalLines(t *testing.T) {
	sts, err := statement.ParseCamt053(bytes.NewReader(mustRead(t, "camt053_001_02_two_days.xml")))
	if err != nil {
		t.Fatal(err)
	}
	a, b := sts[1].Lines[1], sts[1].Lines[2]
	if a.Ref == b.Ref {
		t.Fatalf("identical lines share the key %s", a.Ref)
	}
	if !a.Amount.Equal(b.Amount) {
		t.Fatalf("amounts %s and %s differ", a.Amount, b.Amount)
	}
	a.Ref, b.Ref, a.Amount, b.Amount = "", "", decimal.Zero, decimal.Zero
	if a != b {
		t.Fatalf("the lines should be identical but for their keys:\n%+v\n%+v", a, b)
	}
}

// The keys of a statement are the same whenever it is read, and they are
// pinned: stored keys must keep matching after any change to this package.
func TestCamt053KeysStable(t *testing.T) {
	data := mustRead(t, "camt053_001_02_two_days.xml")
	first, err := statement.ParseCamt053(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	second, err := statement.ParseCamt053(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if !slices.Equal(refs(first[i]), refs(second[i])) {
			t.Errorf("statement %d: keys differ between two reads:\n%q\n%q", i, refs(first[i]), refs(second[i]))
		}
	}
	for _, tc := range []struct {
		stmt, line int
		want       string
	}{
		{0, 3, "sha256:ec8c4c218bbffd80d374f80934da51db6beb9d85a63784da2dc69158e928224d"},
		{1, 1, "sha256:3d8a096f5cc0b9d5babb11bf9abcd5e2adcc04645f0657fb4d383c163023d808"},
		{1, 2, "sha256:65bf71228494b47ed9289aafcd5f59d70f45402daf82bc54b5054dc810fa877f"},
	} {
		if got := first[tc.stmt].Lines[tc.line].Ref; got != tc.want {
			t.Errorf("statement %d line %d: key %s, want %s", tc.stmt, tc.line, got, tc.want)
		}
	}
}

// The content key is the one the package documentation describes.
func TestContentKeyDocumented(t *testing.T) {
	field := func(s string) string { return fmt.Sprintf("%d:%s;", len(s), s) }
	canonical := field("fundledger statement line v1") + field(fundIBAN) + field("2024-03-05") +
		field("20.00") + field("EUR") + field("Max Mustermann") + field("Spende") + field("2")
	sum := sha256.Sum256([]byte(canonical))
	want := "sha256:" + hex.EncodeToString(sum[:])
	if want != "sha256:65bf71228494b47ed9289aafcd5f59d70f45402daf82bc54b5054dc810fa877f" {
		t.Errorf("the documented key of the second \"Spende\" line is %s", want)
	}
}

func TestParseCamt053NotAddingUp(t *testing.T) {
	_, err := statement.ParseCamt053(bytes.NewReader(mustRead(t, "camt053_001_04_not_adding_up.xml")))
	checkInvalid(t, err,
		`statement "2024-04-01-STREIK"`, fundIBAN,
		"opening balance 1000.00 EUR", "the 2 entries 150.00 EUR", "= 1150.00 EUR",
		"closing balance is 1200.00 EUR", "difference 50.00 EUR")
	if strings.Contains(err.Error(), "RvslInd") {
		t.Errorf("error %q hints at reversals, but the statement has none", err)
	}
}

// camtDoc builds a camt.053 document around entries, with the given balances.
func camtDoc(version, opening, closing, entries string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.%s">
<BkToCstmrStmt><GrpHdr><MsgId>T</MsgId><CreDtTm>2024-03-12T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
%s%s%s
</Stmt></BkToCstmrStmt></Document>`, version, balance("OPBD", opening), balance("CLBD", closing), entries)
}

// balance writes a Bal element; amount is signed ("" for none).
func balance(code, amount string) string {
	if amount == "" {
		return ""
	}
	ind := "CRDT"
	if strings.HasPrefix(amount, "-") {
		ind, amount = "DBIT", amount[1:]
	}
	return fmt.Sprintf(`<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Dt><Dt>2024-03-11</Dt></Dt></Bal>`, code, amount, ind)
}

// entry writes an Ntry element with extra elements after the booking date.
func entry(ref, amount, ind, extra string) string {
	return fmt.Sprintf(`<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-11</Dt></BookgDt><AcctSvcrRef>%s</AcctSvcrRef>%s</Ntry>`, amount, ind, ref, extra)
}

// tx writes a TxDtls element.
func tx(ref, e2e, amount, ind, party string) string {
	s := "<TxDtls><Refs>"
	if ref != "" {
		s += "<AcctSvcrRef>" + ref + "</AcctSvcrRef>"
	}
	s += "<EndToEndId>" + e2e + "</EndToEndId></Refs>"
	if amount != "" {
		s += `<Amt Ccy="EUR">` + amount + "</Amt>"
	}
	if ind != "" {
		s += "<CdtDbtInd>" + ind + "</CdtDbtInd>"
	}
	return s + "<RltdPties><Dbtr><Pty><Nm>" + party + "</Nm></Pty></Dbtr><Cdtr><Pty><Nm>" + party + "</Nm></Pty></Cdtr></RltdPties><RmtInf><Ustrd>" + e2e + "</Ustrd></RmtInf></TxDtls>"
}

func parseOne(t *testing.T, doc string) *statement.Statement {
	t.Helper()
	sts, err := statement.ParseCamt053(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 {
		t.Fatalf("%d statements, want 1", len(sts))
	}
	checkInvariants(t, sts[0])
	return sts[0]
}

func TestParseCamt053Batches(t *testing.T) {
	t.Run("split by own references", func(t *testing.T) {
		st := parseOne(t, camtDoc("08", "0", "300.00", entry("E1", "300.00", "CRDT",
			"<NtryDtls>"+tx("T1", "A", "100.00", "", "Branch A")+tx("T2", "B", "200.00", "", "Branch B")+"</NtryDtls>")))
		if got := refs(st); !slices.Equal(got, []string{"T1", "T2"}) {
			t.Errorf("keys %q, want the transactions' own references", got)
		}
		if st.Lines[0].BankRef != "T1" || st.Lines[1].Counterparty != "Branch B" || st.Lines[1].EndToEndID != "B" {
			t.Errorf("lines %+v", st.Lines)
		}
	})
	t.Run("debit batch with a credit inside", func(t *testing.T) {
		// A collective transfer of two grants, with one returned inside the batch.
		st := parseOne(t, camtDoc("07", "1000.00", "700.00", entry("E2", "300.00", "DBIT",
			"<NtryDtls>"+tx("", "G1", "200.00", "", "Anna")+tx("", "G2", "150.00", "DBIT", "Bert")+tx("", "G3", "50.00", "CRDT", "Cem")+"</NtryDtls>")))
		want := []string{"-200", "-150", "50"}
		for i, l := range st.Lines {
			if !l.Amount.Equal(mustDec(t, want[i])) {
				t.Errorf("line %d: amount %s, want %s", i+1, l.Amount, want[i])
			}
		}
		if got := refs(st); !slices.Equal(got, []string{"E2/1", "E2/2", "E2/3"}) {
			t.Errorf("keys %q", got)
		}
		if st.Lines[0].Counterparty != "Anna" || st.Lines[2].Counterparty != "Cem" {
			t.Errorf("counterparties %q, %q", st.Lines[0].Counterparty, st.Lines[2].Counterparty)
		}
	})
	t.Run("amounts in AmtDtls", func(t *testing.T) {
		st := parseOne(t, camtDoc("02", "0", "30.00", entry("E3", "30.00", "CRDT",
			`<NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">10</Amt></TxAmt></AmtDtls></TxDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls></TxDtls></NtryDtls>`)))
		if len(st.Lines) != 2 || !st.Lines[1].Amount.Equal(mustDec(t, "20")) {
			t.Errorf("lines %+v", st.Lines)
		}
	})
	t.Run("no amounts: one line", func(t *testing.T) {
		st := parseOne(t, camtDoc("03", "0", "30.00", entry("E4", "30.00", "CRDT",
			"<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch><TxDtls><RmtInf><Ustrd>eins</Ustrd></RmtInf></TxDtls><TxDtls><RmtInf><Ustrd>zwei</Ustrd></RmtInf></TxDtls></NtryDtls>")))
		if len(st.Lines) != 1 || st.Lines[0].Ref != "E4" || st.Lines[0].Remittance != "eins zwei" || st.Lines[0].Counterparty != "" {
			t.Errorf("lines %+v", st.Lines)
		}
	})
}

func TestParseCamt053Keys(t *testing.T) {
	t.Run("shared bank reference falls back to content", func(t *testing.T) {
		st := parseOne(t, camtDoc("02", "0", "30.00", entry("SAME", "10.00", "CRDT", "")+entry("SAME", "20.00", "CRDT", "")))
		for _, l := range st.Lines {
			if !isHashRef(l.Ref) || l.BankRef != "SAME" {
				t.Errorf("line %+v: want a content key and BankRef SAME", l)
			}
		}
	})
	t.Run("transaction reference when the entry has none", func(t *testing.T) {
		st := parseOne(t, camtDoc("02", "0", "10.00", entry("NONREF", "10.00", "CRDT", "<NtryDtls>"+tx("TX9", "E", "", "", "P")+"</NtryDtls>")))
		if st.Lines[0].Ref != "TX9" || st.Lines[0].BankRef != "TX9" {
			t.Errorf("line %+v", st.Lines[0])
		}
	})
	t.Run("a batch without references", func(t *testing.T) {
		st := parseOne(t, camtDoc("08", "0", "30.00", entry("NONREF", "30.00", "CRDT",
			"<NtryDtls>"+tx("", "A", "15.00", "", "P")+tx("", "A", "15.00", "", "P")+"</NtryDtls>")))
		if !isHashRef(st.Lines[0].Ref) || !isHashRef(st.Lines[1].Ref) {
			t.Errorf("keys %q", refs(st))
		}
	})
}

func TestParseCamt053Shapes(t *testing.T) {
	t.Run("byte order mark and namespace prefix", func(t *testing.T) {
		doc := "\ufeff" + strings.NewReplacer("<Document xmlns=", "<c:Document xmlns:c=", "</Document>", "</c:Document>").
			Replace(camtDoc("06", "-50.00", "-40.00", entry("X", "10.00", "CRDT", "")))
		doc = strings.ReplaceAll(doc, "<BkToCstmrStmt>", "<c:BkToCstmrStmt>")
		doc = strings.ReplaceAll(doc, "</BkToCstmrStmt>", "</c:BkToCstmrStmt>")
		st := parseOne(t, doc)
		if !st.OpeningBalance.Equal(mustDec(t, "-50")) || !st.ClosingBalance.Equal(mustDec(t, "-40")) {
			t.Errorf("balances %s, %s: DBIT balances are negative", st.OpeningBalance, st.ClosingBalance)
		}
	})
	t.Run("currency from the balances", func(t *testing.T) {
		st := parseOne(t, strings.Replace(camtDoc("02", "0", "10", entry("X", "10", "CRDT", "")), "<Ccy>EUR</Ccy>", "", 1))
		if st.Currency.Code != "EUR" {
			t.Errorf("currency %v", st.Currency)
		}
	})
	t.Run("surplus zero decimals", func(t *testing.T) {
		st := parseOne(t, camtDoc("02", "0.00000", "10.50", entry("X", "10.50000", "CRDT", "")))
		if !st.Lines[0].Amount.Equal(mustDec(t, "10.5")) {
			t.Errorf("amount %s", st.Lines[0].Amount)
		}
	})
	t.Run("PRCD with OPBD", func(t *testing.T) {
		st := parseOne(t, strings.Replace(camtDoc("02", "5.00", "15.00", entry("X", "10", "CRDT", "")), "<Bal>", balance("PRCD", "99.00")+"<Bal>", 1))
		if !st.OpeningBalance.Equal(mustDec(t, "5")) {
			t.Errorf("opening %s: OPBD comes before PRCD", st.OpeningBalance)
		}
	})
	t.Run("statement without id", func(t *testing.T) {
		doc := strings.Replace(camtDoc("02", "0", "10", entry("X", "10", "CRDT", "")), "<Id>S1</Id>", "", 1)
		a, b := parseOne(t, doc), parseOne(t, doc)
		if !isHashRef(a.ID) || a.ID != b.ID {
			t.Errorf("ids %q, %q: want one stable sha256 id", a.ID, b.ID)
		}
	})
	t.Run("reversal of a credit", func(t *testing.T) {
		// A returned donation: the fund (creditor) pays it back, DBIT with RvslInd.
		st := parseOne(t, camtDoc("04", "100.00", "80.00", entry("R1", "20.00", "DBIT",
			`<RvslInd>true</RvslInd><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Spender</Nm></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct><Cdtr><Nm>Fonds</Nm></Cdtr><CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls>`)))
		if l := st.Lines[0]; !l.Amount.Equal(mustDec(t, "-20")) || l.Counterparty != "Spender" || l.CounterpartyAccount != "DE02120300000000202051" {
			t.Errorf("line %+v", l)
		}
	})
	t.Run("return booked as a plain credit", func(t *testing.T) {
		// Some banks book a returned transfer as a credit naming the fund as debtor.
		st := parseOne(t, camtDoc("04", "100.00", "120.00", entry("R3", "20.00", "CRDT",
			`<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Fonds</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct><Cdtr><Nm>Petra Beispiel</Nm></Cdtr><CdtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls>`)))
		if l := st.Lines[0]; l.Counterparty != "Petra Beispiel" || l.CounterpartyAccount != "DE44500105175407324931" {
			t.Errorf("counterparty %q %q", l.Counterparty, l.CounterpartyAccount)
		}
	})
	t.Run("credit naming only the fund", func(t *testing.T) {
		st := parseOne(t, camtDoc("04", "100.00", "120.00", entry("R4", "20.00", "CRDT",
			`<NtryDtls><TxDtls><RltdPties><Cdtr><Nm>Fonds</Nm></Cdtr></RltdPties></TxDtls></NtryDtls>`)))
		if l := st.Lines[0]; l.Counterparty != "" {
			t.Errorf("counterparty %q: the creditor of a credit is the fund itself", l.Counterparty)
		}
	})
	t.Run("reversal where only the own party is named", func(t *testing.T) {
		st := parseOne(t, camtDoc("04", "100.00", "120.00", entry("R2", "20.00", "CRDT",
			`<RvslInd>1</RvslInd><NtryDtls><TxDtls><RltdPties><Cdtr><Nm>Fonds</Nm></Cdtr><CdtrAcct><Id><IBAN>DE89 3704 0044 0532 0130 00</IBAN></Id></CdtrAcct><Dbtr><Nm>Kasse</Nm></Dbtr></RltdPties></TxDtls></NtryDtls>`)))
		if l := st.Lines[0]; l.Counterparty != "Kasse" {
			t.Errorf("counterparty %q: the fund's own account is passed over", l.Counterparty)
		}
	})
}

func TestParseCamt053Errors(t *testing.T) {
	ok := entry("E1", "10.00", "CRDT", "")
	for _, tc := range []struct {
		name, doc string
		wants     []string
	}{
		{"empty", "", []string{"empty"}},
		{"not xml", "Buchungstag;Betrag\n", []string{"text before the root element"}},
		{"html", "<html><body>Login</body></html>", []string{"not a camt.053 file", "<html>"}},
		{"camt.052", strings.Replace(camtDoc("02", "0", "10", ok), "camt.053", "camt.052", 1), []string{"not a camt.053 file", "camt.052.001.02"}},
		{"version 09", camtDoc("09", "0", "10", ok), []string{"not a camt.053 file", "camt.053.001.09"}},
		{"version 01", camtDoc("01", "0", "10", ok), []string{"not a camt.053 file"}},
		{"no namespace", strings.Replace(camtDoc("02", "0", "10", ok), ` xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"`, "", 1), []string{"not a camt.053 file"}},
		{"no statement", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>`, []string{"no statement"}},
		{"truncated", camtDoc("02", "0", "10", ok)[:300], []string{"XML"}},
		{"unclosed", strings.Replace(camtDoc("02", "0", "10", ok), "</Ntry>", "", 1), []string{"not well-formed XML", "line"}},
		{"latin-1", strings.Replace(camtDoc("02", "0", "10", ok), "UTF-8", "ISO-8859-1", 1), []string{`"ISO-8859-1" is not supported`}},
		{"two roots", camtDoc("02", "0", "10", ok) + "<Document/>", []string{"root"}},
		{"entity", strings.Replace(camtDoc("02", "0", "10", ok), "S1", "&nbsp;", 1), []string{"not well-formed XML"}},
		{"no account", strings.Replace(camtDoc("02", "0", "10", ok), "<IBAN>DE89370400440532013000</IBAN>", "", 1), []string{`statement "S1"`, "account (Acct/Id/IBAN"}},
		{"no currency", strings.NewReplacer("<Ccy>EUR</Ccy>", "", `Ccy="EUR"`, "").Replace(camtDoc("02", "0", "10", ok)), []string{"account currency (Acct/Ccy) is required"}},
		{"unknown currency", strings.Replace(camtDoc("02", "0", "10", ok), "<Ccy>EUR</Ccy>", "<Ccy>XEU</Ccy>", 1), []string{"Acct/Ccy", `"XEU"`}},
		{"no opening", camtDoc("02", "", "10", ok), []string{"opening balance (Bal with Tp/CdOrPrtry/Cd OPBD or PRCD) is required"}},
		{"no closing", camtDoc("02", "0", "", ok), []string{"closing balance (Bal with Tp/CdOrPrtry/Cd CLBD) is required"}},
		{"two closings", strings.Replace(camtDoc("02", "0", "10", ok), "<Ntry>", balance("CLBD", "11")+"<Ntry>", 1), []string{"two CLBD balances differ", "10.00 EUR", "11.00 EUR"}},
		{"balance indicator", strings.Replace(camtDoc("02", "0", "10", ok), "<CdtDbtInd>CRDT</CdtDbtInd><Dt>", "<CdtDbtInd>C</CdtDbtInd><Dt>", 1), []string{"balance 1 (OPBD): CdtDbtInd", `"C"`}},
		{"balance currency", strings.Replace(camtDoc("02", "0", "10", ok), `<Amt Ccy="EUR">10</Amt>`, `<Amt Ccy="USD">10</Amt>`, 1), []string{"balance 2 (CLBD)", `"USD"`, "account currency EUR"}},
		{"foreign-currency entry", camtDoc("02", "0", "10", strings.Replace(ok, `Ccy="EUR"`, `Ccy="USD"`, 1)),
			[]string{`statement "S1", entry 1 (AcctSvcrRef "E1")`, `amount is in "USD", not in the account currency EUR`}},
		{"entry without currency", camtDoc("02", "0", "10", strings.Replace(ok, ` Ccy="EUR"`, "", 1)), []string{"entry 1", "Amt Ccy) is required"}},
		{"entry without amount", camtDoc("02", "0", "10", strings.Replace(ok, `<Amt Ccy="EUR">10.00</Amt>`, "", 1)), []string{"entry 1", "amount (Amt) is required"}},
		{"negative entry", camtDoc("02", "0", "10", entry("E1", "-10.00", "CRDT", "")), []string{"entry 1", "negative"}},
		{"three decimals", camtDoc("02", "0", "10", entry("E1", "10.001", "CRDT", "")), []string{"entry 1", "10.001", "at most 2"}},
		{"exponent", camtDoc("02", "0", "10", entry("E1", "1E1", "CRDT", "")), []string{"entry 1", "not a decimal number"}},
		{"bare point", camtDoc("02", "0", "10", entry("E1", "10.", "CRDT", "")), []string{"entry 1", "not a decimal number"}},
		{"comma", camtDoc("02", "0", "10", entry("E1", "10,00", "CRDT", "")), []string{"entry 1", "not a decimal number"}},
		{"indicator", camtDoc("02", "0", "10", entry("E1", "10.00", "CREDIT", "")), []string{"entry 1", `CdtDbtInd "CREDIT" is neither CRDT nor DBIT`}},
		{"no indicator", camtDoc("02", "0", "10", entry("E1", "10.00", "", "")), []string{"entry 1", "CdtDbtInd is required"}},
		{"reversal flag", camtDoc("02", "0", "10", entry("E1", "10.00", "CRDT", "<RvslInd>yes</RvslInd>")), []string{"entry 1", `RvslInd "yes"`}},
		{"status", camtDoc("02", "0", "10", strings.Replace(ok, "<Cd>BOOK</Cd>", "<Cd>DONE</Cd>", 1)), []string{"entry 1", `status (Sts) "DONE"`}},
		{"no booking date", camtDoc("02", "0", "10", strings.Replace(ok, "<BookgDt><Dt>2024-03-11</Dt></BookgDt>", "", 1)), []string{"entry 1", "booking date (BookgDt) is required"}},
		{"empty booking date", camtDoc("02", "0", "10", strings.Replace(ok, "<Dt>2024-03-11</Dt></BookgDt>", "</BookgDt>", 1)), []string{"entry 1", "BookgDt holds neither Dt nor DtTm"}},
		{"bad booking date", camtDoc("02", "0", "10", strings.Replace(ok, "2024-03-11", "11.03.2024", 1)), []string{"entry 1", `BookgDt/Dt "11.03.2024" is not a date`}},
		{"old booking date", camtDoc("02", "0", "10", strings.Replace(ok, "2024-03-11", "1899-12-31", 1)), []string{"entry 1", "1899-12-31 is out of range"}},
		{"bad value date", camtDoc("02", "0", "10", entry("E1", "10.00", "CRDT", "<ValDt><DtTm>2024-13-01T00:00:00</DtTm></ValDt>")), []string{"entry 1", "ValDt/DtTm", "2024-13-01"}},
		{"bad period", strings.Replace(camtDoc("02", "0", "10", ok), "<Acct>", "<FrToDt><FrDtTm>2024-03-12T00:00:00</FrDtTm><ToDtTm>2024-03-11T00:00:00</ToDtTm></FrToDt><Acct>", 1), []string{"period (FrToDt) ends on 2024-03-11, before it starts on 2024-03-12"}},
		{"batch sum", camtDoc("08", "0", "300", entry("B1", "300.00", "CRDT", "<NtryDtls>"+tx("", "a", "100.00", "", "A")+tx("", "b", "150.00", "", "B")+"</NtryDtls>")),
			[]string{`entry 1 (AcctSvcrRef "B1")`, "2 transaction details (TxDtls) sum to 250.00 EUR", "entry amount is 300.00 EUR", "difference 50.00 EUR"}},
		{"batch sign", camtDoc("08", "0", "300", entry("B1", "300.00", "CRDT", "<NtryDtls>"+tx("", "a", "100.00", "", "A")+tx("", "b", "200.00", "DBIT", "B")+"</NtryDtls>")),
			[]string{"entry 1", "sum to -100.00 EUR"}},
		{"batch partly without amounts", camtDoc("08", "0", "300", entry("B1", "300.00", "CRDT", "<NtryDtls>"+tx("", "a", "300.00", "", "A")+tx("", "b", "", "", "B")+"</NtryDtls>")),
			[]string{"entry 1", "1 of its 2 transaction details (TxDtls) carry no amount"}},
		{"batch currency", camtDoc("08", "0", "300", entry("B1", "300.00", "CRDT", "<NtryDtls>"+tx("", "a", "100.00", "", "A")+strings.Replace(tx("", "b", "200.00", "", "B"), "EUR", "CHF", 1)+"</NtryDtls>")),
			[]string{"entry 1", "transaction details 2 of 2 (TxDtls)", `"CHF"`}},
		{"batch indicator", camtDoc("08", "0", "300", entry("B1", "300.00", "CRDT", "<NtryDtls>"+tx("", "a", "100.00", "X", "A")+tx("", "b", "200.00", "", "B")+"</NtryDtls>")),
			[]string{"transaction details 1 of 2 (TxDtls): CdtDbtInd"}},
		{"not adding up", camtDoc("02", "-10.00", "5.00", ok), []string{"opening balance -10.00 EUR + the 1 entry 10.00 EUR = 0.00 EUR, but the closing balance is 5.00 EUR (difference 5.00 EUR)"}},
		{"reversal hint", camtDoc("02", "100.00", "100.00", entry("E1", "10.00", "DBIT", "")+entry("E2", "10.00", "DBIT", "<RvslInd>true</RvslInd>")),
			[]string{"difference 20.00 EUR", "opposite sign on the reversal entries (RvslInd)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sts, err := statement.ParseCamt053(strings.NewReader(tc.doc))
			checkInvalid(t, err, tc.wants...)
			t.Log(err)
			if sts != nil {
				t.Errorf("statements returned with an error")
			}
		})
	}
}

func TestParseCamt053TooLarge(t *testing.T) {
	doc := camtDoc("02", "0", "0", strings.Repeat(" ", statement.MaxFileSize))
	_, err := statement.ParseCamt053(strings.NewReader(doc))
	checkInvalid(t, err, "larger than 64 MiB")
}

func TestParseCamt053ReadError(t *testing.T) {
	_, err := statement.ParseCamt053(iotestErrReader{})
	if err == nil || !strings.Contains(err.Error(), "read camt.053 file") || strings.Contains(err.Error(), "invalid") {
		t.Errorf("error %v, want the read failure wrapped as it is", err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }
