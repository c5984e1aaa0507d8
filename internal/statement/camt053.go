package statement

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// camtNamespace matches the namespaces of the camt.053 versions read here:
// BankToCustomerStatement V02 to V08. The elements read are the same in all of
// them but two, which changed shape in the later versions; both shapes are
// read: the entry status (<Sts>BOOK</Sts>, later <Sts><Cd>BOOK</Cd></Sts>)
// and the related parties' names (Dbtr/Nm, later Dbtr/Pty/Nm).
var camtNamespace = regexp.MustCompile(`^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0[2-8]$`)

// ParseCamt053 reads an ISO 20022 camt.053 file (versions 001.02 to 001.08)
// and returns its statements in file order. The file must be UTF-8.
//
// How the entries (Ntry) become lines:
//
//   - Only booked entries are read. Entries with status PDNG, INFO or FUTR are
//     skipped: they are not part of the booked balances.
//   - Amt is the booked amount in the account currency, signed by CdtDbtInd
//     (CRDT +, DBIT -). An entry whose Amt Ccy is not the account currency is
//     an error. For a foreign-currency payment the bank books the converted
//     amount in Amt; the original (AmtDtls/InstdAmt) is not copied into any
//     field but stays in Raw.
//   - A reversal (RvslInd true) is signed by its CdtDbtInd like any entry, as
//     ISO 20022 defines it: CRDT with RvslInd true reverses a debit (money
//     comes back), DBIT with RvslInd true reverses a credit. The statement's
//     balances confirm it; a bank that instead repeats the original entry's
//     CdtDbtInd ("negative booking") makes the statement not add up, and the
//     error says so.
//   - An entry with one transaction details element (TxDtls) is one line with
//     the entry's amount, and the references, parties and remittance
//     information of that TxDtls.
//   - An entry with several transaction details (TxDtls, a batch) is split
//     into one line per TxDtls, each with its own amount (TxDtls/Amt or
//     AmtDtls/TxAmt/Amt) and, when given, its own CdtDbtInd. The signed
//     amounts must sum to the entry's amount, or the file is rejected. When
//     no TxDtls carries an amount the entry stays one line with the
//     remittance information of all of them.
//   - Balances: OPBD (or, without it, PRCD) is the opening balance and CLBD the
//     closing balance; both are required, and the opening balance plus the
//     lines must equal the closing balance exactly.
//   - Dates given as DtTm count by the calendar date written in the file,
//     whatever its time zone.
//
// Counterparty is the debtor (RltdPties/Dbtr) of a credit and the creditor of
// a debit. A reversal reports the parties of the payment it reverses, so for
// a reversal the roles are swapped. A party whose account is the statement's
// own account is passed over for the other one.
func ParseCamt053(r io.Reader) ([]*Statement, error) {
	data, err := readAll(r, "camt.053 file")
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, ledger.Errorf(ledger.EINVALID, "camt.053 file: encoding %.40q is not supported; camt.053 files are UTF-8", label)
	}
	root, err := firstElement(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "Document" || !camtNamespace.MatchString(root.Name.Space) {
		return nil, ledger.Errorf(ledger.EINVALID,
			"not a camt.053 file: the root element is <%.40s> in namespace %.80q; expected <Document> in urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 to .08",
			root.Name.Local, root.Name.Space)
	}
	var out []*Statement
	err = children(d, func(se xml.StartElement, _ int64) error {
		if se.Name.Local != "BkToCstmrStmt" {
			return d.Skip()
		}
		return children(d, func(se xml.StartElement, _ int64) error {
			if se.Name.Local != "Stmt" {
				return d.Skip()
			}
			x, err := decodeStmt(d, data)
			if err != nil {
				return err
			}
			st, err := x.statement(len(out) + 1)
			if err != nil {
				return err
			}
			out = append(out, st)
			return nil
		})
	})
	if err != nil {
		return nil, xmlError(err)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlError(err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			return nil, ledger.Errorf(ledger.EINVALID, "camt.053 file: more than one root element")
		}
	}
	if len(out) == 0 {
		return nil, ledger.Errorf(ledger.EINVALID, "camt.053 file holds no statement (BkToCstmrStmt/Stmt)")
	}
	return out, nil
}

// firstElement returns the root element's start.
func firstElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, ledger.Errorf(ledger.EINVALID, "camt.053 file is empty: no XML element")
		}
		if err != nil {
			return xml.StartElement{}, xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, ledger.Errorf(ledger.EINVALID, "camt.053 file: text before the root element; is this an XML file?")
			}
		}
	}
}

// children calls f for each child element of the element just opened, with
// the byte offset where the child starts, until that element ends. f must
// consume the child (DecodeElement, Skip, or a nested children).
func children(d *xml.Decoder, f func(se xml.StartElement, start int64) error) error {
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			return ledger.Errorf(ledger.EINVALID, "camt.053 file ends in the middle of an element")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := f(t, start); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// xmlError makes an XML decoding error a ledger error; ledger errors pass.
func xmlError(err error) error {
	var le *ledger.Error
	if errors.As(err, &le) {
		return le
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return ledger.Errorf(ledger.EINVALID, "camt.053 file is not well-formed XML: line %d: %.200s", se.Line, strings.ToValidUTF8(se.Msg, "\uFFFD"))
	}
	return ledger.Errorf(ledger.EINVALID, "camt.053 file cannot be read as XML: %.200s", strings.ToValidUTF8(err.Error(), "\uFFFD"))
}

// The XML shapes, reduced to the elements read. encoding/xml matches them by
// local name, in any namespace.

type xAmt struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type xAcct struct {
	ID struct {
		IBAN string `xml:"IBAN"`
		Othr struct {
			ID string `xml:"Id"`
		} `xml:"Othr"`
	} `xml:"Id"`
	Ccy string `xml:"Ccy"`
}

func (a *xAcct) id() string {
	if iban := strings.TrimSpace(a.ID.IBAN); iban != "" {
		return iban
	}
	return strings.TrimSpace(a.ID.Othr.ID)
}

type xBal struct {
	Tp struct {
		CdOrPrtry struct {
			Cd string `xml:"Cd"`
		} `xml:"CdOrPrtry"`
	} `xml:"Tp"`
	Amt       xAmt   `xml:"Amt"`
	CdtDbtInd string `xml:"CdtDbtInd"`
}

type xDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type xParty struct {
	Nm  string `xml:"Nm"`
	Pty struct {
		Nm string `xml:"Nm"`
	} `xml:"Pty"`
}

type xTxDtls struct {
	Refs struct {
		AcctSvcrRef string `xml:"AcctSvcrRef"`
		EndToEndID  string `xml:"EndToEndId"`
	} `xml:"Refs"`
	Amt       *xAmt  `xml:"Amt"`
	CdtDbtInd string `xml:"CdtDbtInd"`
	AmtDtls   struct {
		TxAmt struct {
			Amt *xAmt `xml:"Amt"`
		} `xml:"TxAmt"`
	} `xml:"AmtDtls"`
	RltdPties struct {
		Dbtr     xParty `xml:"Dbtr"`
		DbtrAcct xAcct  `xml:"DbtrAcct"`
		Cdtr     xParty `xml:"Cdtr"`
		CdtrAcct xAcct  `xml:"CdtrAcct"`
	} `xml:"RltdPties"`
	RmtInf struct {
		Ustrd []string `xml:"Ustrd"`
		Strd  []struct {
			CdtrRefInf struct {
				Ref string `xml:"Ref"`
			} `xml:"CdtrRefInf"`
		} `xml:"Strd"`
	} `xml:"RmtInf"`
	AddtlTxInf string `xml:"AddtlTxInf"`
}

type xNtry struct {
	Amt       *xAmt  `xml:"Amt"`
	CdtDbtInd string `xml:"CdtDbtInd"`
	RvslInd   string `xml:"RvslInd"`
	Sts       struct {
		Text  string `xml:",chardata"`
		Cd    string `xml:"Cd"`
		Prtry string `xml:"Prtry"`
	} `xml:"Sts"`
	BookgDt     *xDate `xml:"BookgDt"`
	ValDt       *xDate `xml:"ValDt"`
	AcctSvcrRef string `xml:"AcctSvcrRef"`
	NtryDtls    []struct {
		TxDtls []xTxDtls `xml:"TxDtls"`
	} `xml:"NtryDtls"`
	AddtlNtryInf string `xml:"AddtlNtryInf"`

	raw string // the element as it is in the file
}

// xStmt is one Stmt element as read.
type xStmt struct {
	ID     string
	FrToDt struct {
		FrDtTm string `xml:"FrDtTm"`
		ToDtTm string `xml:"ToDtTm"`
	}
	Acct    xAcct
	Bal     []xBal
	Entries []xNtry
}

// decodeStmt reads the Stmt element just opened. It walks the children one by
// one so that each entry's raw bytes can be kept.
func decodeStmt(d *xml.Decoder, data []byte) (*xStmt, error) {
	x := &xStmt{}
	err := children(d, func(se xml.StartElement, start int64) error {
		switch se.Name.Local {
		case "Id":
			return d.DecodeElement(&x.ID, &se)
		case "FrToDt":
			return d.DecodeElement(&x.FrToDt, &se)
		case "Acct":
			return d.DecodeElement(&x.Acct, &se)
		case "Bal":
			var b xBal
			if err := d.DecodeElement(&b, &se); err != nil {
				return err
			}
			x.Bal = append(x.Bal, b)
		case "Ntry":
			var n xNtry
			if err := d.DecodeElement(&n, &se); err != nil {
				return err
			}
			if end := d.InputOffset(); start >= 0 && start <= end && end <= int64(len(data)) {
				n.raw = string(bytes.TrimSpace(data[start:end]))
			}
			x.Entries = append(x.Entries, n)
		default:
			return d.Skip()
		}
		return nil
	})
	return x, err
}

// statement checks x and turns it into a Statement; n numbers it in the file.
func (x *xStmt) statement(n int) (*Statement, error) {
	id := strings.TrimSpace(x.ID)
	name := fmt.Sprintf("statement %d", n)
	if id != "" {
		name = fmt.Sprintf("statement %.60q", id)
	}
	st := &Statement{ID: id, Account: x.Acct.id()}
	if st.Account == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "%s: the account (Acct/Id/IBAN or Acct/Id/Othr/Id) is required", name)
	}
	var err error
	if st.Currency, err = x.currency(name); err != nil {
		return nil, err
	}
	if err := x.balances(name, st); err != nil {
		return nil, err
	}
	if s := strings.TrimSpace(x.FrToDt.FrDtTm); s != "" {
		if st.From, err = parseXMLDate(name+": period start (FrToDt/FrDtTm)", s); err != nil {
			return nil, err
		}
	}
	if s := strings.TrimSpace(x.FrToDt.ToDtTm); s != "" {
		if st.To, err = parseXMLDate(name+": period end (FrToDt/ToDtTm)", s); err != nil {
			return nil, err
		}
	}
	if !st.From.IsZero() && !st.To.IsZero() && st.To.Before(st.From) {
		return nil, ledger.Errorf(ledger.EINVALID, "%s: the period (FrToDt) ends on %s, before it starts on %s",
			name, st.To.Format(time.DateOnly), st.From.Format(time.DateOnly))
	}

	var keys []string
	booked, reversals := 0, decimal.Zero
	sum := decimal.Zero
	for i := range x.Entries {
		lines, lineKeys, err := x.Entries[i].lines(st, fmt.Sprintf("%s, entry %d", name, i+1))
		if err != nil {
			return nil, err
		}
		if lines == nil {
			continue
		}
		booked++
		for _, l := range lines {
			sum = sum.Add(l.Amount)
			if l.Reversal {
				reversals = reversals.Add(l.Amount)
			}
		}
		st.Lines = append(st.Lines, lines...)
		keys = append(keys, lineKeys...)
	}
	if want := st.OpeningBalance.Add(sum); !want.Equal(st.ClosingBalance) {
		entries := fmt.Sprintf("%d entries", booked)
		if booked == 1 {
			entries = "1 entry"
		}
		msg := fmt.Sprintf("%s (account %s) does not add up: opening balance %s + the %s %s = %s, but the closing balance is %s (difference %s)",
			name, st.Account, money(st.OpeningBalance, st.Currency), entries, money(sum, st.Currency),
			money(want, st.Currency), money(st.ClosingBalance, st.Currency), money(st.ClosingBalance.Sub(want), st.Currency))
		if !reversals.IsZero() && want.Sub(reversals.Mul(decimal.NewFromInt(2))).Equal(st.ClosingBalance) {
			msg += "; it would add up with the opposite sign on the reversal entries (RvslInd), so the bank may mark a reversal with the CdtDbtInd of the entry it reverses, which is not read here"
		}
		return nil, ledger.Errorf(ledger.EINVALID, "%s", msg)
	}
	assignRefs(st, keys)
	if st.ID == "" {
		st.ID = contentID(st)
	}
	return st, nil
}

// currency returns the account currency: Acct/Ccy, or else the currency of
// the balances.
func (x *xStmt) currency(name string) (ledger.Currency, error) {
	code := strings.TrimSpace(x.Acct.Ccy)
	field := "account currency (Acct/Ccy)"
	if code == "" {
		for _, b := range x.Bal {
			if c := strings.TrimSpace(b.Amt.Ccy); c != "" {
				code, field = c, "balance currency (Bal/Amt Ccy)"
				break
			}
		}
	}
	if code == "" {
		return ledger.Currency{}, ledger.Errorf(ledger.EINVALID, "%s: the account currency (Acct/Ccy) is required", name)
	}
	cur, err := ledger.LookupCurrency(code)
	if err != nil {
		return ledger.Currency{}, ledger.Errorf(ledger.EINVALID, "%s: %s: %s", name, field, ledger.ErrorMessage(err))
	}
	return cur, nil
}

// balances sets the opening and closing balances of st.
func (x *xStmt) balances(name string, st *Statement) error {
	found := map[string]decimal.Decimal{}
	for i, b := range x.Bal {
		code := strings.ToUpper(strings.TrimSpace(b.Tp.CdOrPrtry.Cd))
		switch code {
		case "OPBD", "PRCD", "CLBD":
		default:
			continue // available, interim and forward balances are not needed
		}
		field := fmt.Sprintf("%s: balance %d (%s)", name, i+1, code)
		v, err := signedAmount(field, &b.Amt, b.CdtDbtInd, st.Currency)
		if err != nil {
			return err
		}
		if prev, ok := found[code]; ok && !prev.Equal(v) {
			return ledger.Errorf(ledger.EINVALID, "%s: two %s balances differ: %s and %s", name, code, money(prev, st.Currency), money(v, st.Currency))
		}
		found[code] = v
	}
	opening, ok := found["OPBD"]
	if !ok {
		if opening, ok = found["PRCD"]; !ok {
			return ledger.Errorf(ledger.EINVALID, "%s: the opening balance (Bal with Tp/CdOrPrtry/Cd OPBD or PRCD) is required", name)
		}
	}
	closing, ok := found["CLBD"]
	if !ok {
		return ledger.Errorf(ledger.EINVALID, "%s: the closing balance (Bal with Tp/CdOrPrtry/Cd CLBD) is required", name)
	}
	st.OpeningBalance, st.ClosingBalance = opening, closing
	return nil
}

// signedAmount reads an unsigned camt amount in cur, signed by its
// credit/debit indicator.
func signedAmount(field string, a *xAmt, ind string, cur ledger.Currency) (decimal.Decimal, error) {
	credit, err := creditDebit(field+": CdtDbtInd", ind)
	if err != nil {
		return decimal.Decimal{}, err
	}
	v, err := unsignedAmount(field, a, cur)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !credit {
		v = v.Neg()
	}
	return v, nil
}

// unsignedAmount reads a camt amount, which must be in cur and carries no sign.
func unsignedAmount(field string, a *xAmt, cur ledger.Currency) (decimal.Decimal, error) {
	if a == nil || strings.TrimSpace(a.Value) == "" {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: the amount (Amt) is required", field)
	}
	code := strings.TrimSpace(a.Ccy)
	if code == "" {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: the amount's currency (Amt Ccy) is required", field)
	}
	if !strings.EqualFold(code, cur.Code) {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: the amount is in %.10q, not in the account currency %s", field, code, cur.Code)
	}
	s := strings.TrimSpace(a.Value)
	if strings.HasPrefix(s, "-") {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: amount %.40q is negative; camt amounts carry no sign (CdtDbtInd gives it)", field, s)
	}
	s = strings.TrimPrefix(s, "+")
	return parseAmount(field, s, cur)
}

// creditDebit reads a CdtDbtInd: true for CRDT, false for DBIT.
func creditDebit(field, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "CRDT":
		return true, nil
	case "DBIT":
		return false, nil
	case "":
		return false, ledger.Errorf(ledger.EINVALID, "%s is required (CRDT or DBIT)", field)
	}
	return false, ledger.Errorf(ledger.EINVALID, "%s %.20q is neither CRDT nor DBIT", field, s)
}

// parseXMLDate reads an ISO 8601 date or date-time (xs:date, xs:dateTime) as
// the calendar date written.
func parseXMLDate(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "2006-01-02Z07:00", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return calendarDate(field, t)
		}
	}
	return time.Time{}, ledger.Errorf(ledger.EINVALID, "%s %.40q is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ss)", field, s)
}

// date reads a BookgDt or ValDt: a Dt or a DtTm.
func (x *xDate) date(field string) (time.Time, error) {
	if s := strings.TrimSpace(x.Dt); s != "" {
		return parseXMLDate(field+"/Dt", s)
	}
	if s := strings.TrimSpace(x.DtTm); s != "" {
		return parseXMLDate(field+"/DtTm", s)
	}
	return time.Time{}, ledger.Errorf(ledger.EINVALID, "%s holds neither Dt nor DtTm", field)
}

// lines turns a booked entry into its lines and their candidate bank keys; it
// returns no lines for an entry that is not booked.
func (n *xNtry) lines(st *Statement, name string) ([]Line, []string, error) {
	entryRef := strings.TrimSpace(n.AcctSvcrRef)
	if placeholder(entryRef) {
		entryRef = ""
	} else {
		name += fmt.Sprintf(" (AcctSvcrRef %.60q)", entryRef)
	}
	status := strings.TrimSpace(n.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(n.Sts.Prtry)
	}
	if status == "" {
		status = strings.TrimSpace(n.Sts.Text)
	}
	switch strings.ToUpper(status) {
	case "", "BOOK":
	case "PDNG", "INFO", "FUTR":
		return nil, nil, nil
	default:
		return nil, nil, ledger.Errorf(ledger.EINVALID, "%s: status (Sts) %.20q is not BOOK, PDNG, INFO or FUTR", name, status)
	}

	credit, err := creditDebit(name+": CdtDbtInd", n.CdtDbtInd)
	if err != nil {
		return nil, nil, err
	}
	amount, err := unsignedAmount(name, n.Amt, st.Currency)
	if err != nil {
		return nil, nil, err
	}
	if !credit {
		amount = amount.Neg()
	}
	base := Line{Amount: amount, BankRef: entryRef, Raw: n.raw, Remittance: cleanText(n.AddtlNtryInf)}
	switch strings.TrimSpace(n.RvslInd) {
	case "", "false", "0":
	case "true", "1":
		base.Reversal = true
	default:
		return nil, nil, ledger.Errorf(ledger.EINVALID, "%s: RvslInd %.20q is neither true nor false", name, n.RvslInd)
	}
	if n.BookgDt == nil {
		return nil, nil, ledger.Errorf(ledger.EINVALID, "%s: the booking date (BookgDt) is required", name)
	}
	if base.BookingDate, err = n.BookgDt.date(name + ": booking date BookgDt"); err != nil {
		return nil, nil, err
	}
	if n.ValDt != nil {
		if base.ValueDate, err = n.ValDt.date(name + ": value date ValDt"); err != nil {
			return nil, nil, err
		}
	}

	var txs []*xTxDtls
	for i := range n.NtryDtls {
		for j := range n.NtryDtls[i].TxDtls {
			txs = append(txs, &n.NtryDtls[i].TxDtls[j])
		}
	}
	switch len(txs) {
	case 0:
		return []Line{base}, []string{entryRef}, nil
	case 1:
		l := base
		txRef := details(&l, st, txs[0], credit)
		key := entryRef
		if key == "" {
			key = txRef
		}
		return []Line{l}, []string{key}, nil
	}
	return n.split(st, name, base, credit, entryRef, txs)
}

// split makes one line of each of the entry's several transaction details.
func (n *xNtry) split(st *Statement, name string, base Line, credit bool, entryRef string, txs []*xTxDtls) ([]Line, []string, error) {
	amounts := make([]decimal.Decimal, len(txs))
	credits := make([]bool, len(txs))
	missing := 0
	sum := decimal.Zero
	for i, tx := range txs {
		a := tx.Amt
		if a == nil || strings.TrimSpace(a.Value) == "" {
			a = tx.AmtDtls.TxAmt.Amt
		}
		if a == nil || strings.TrimSpace(a.Value) == "" {
			missing++
			continue
		}
		field := fmt.Sprintf("%s, transaction details %d of %d (TxDtls)", name, i+1, len(txs))
		credits[i] = credit
		if strings.TrimSpace(tx.CdtDbtInd) != "" {
			var err error
			if credits[i], err = creditDebit(field+": CdtDbtInd", tx.CdtDbtInd); err != nil {
				return nil, nil, err
			}
		}
		v, err := unsignedAmount(field, a, st.Currency)
		if err != nil {
			return nil, nil, err
		}
		if !credits[i] {
			v = v.Neg()
		}
		amounts[i] = v
		sum = sum.Add(v)
	}
	switch {
	case missing == len(txs):
		// A batch reported without amounts per transaction: one line.
		l := base
		var texts []string
		for _, tx := range txs {
			if t := remittance(tx); t != "" {
				texts = append(texts, t)
			}
		}
		if len(texts) > 0 {
			l.Remittance = strings.Join(texts, " ")
		}
		return []Line{l}, []string{entryRef}, nil
	case missing > 0:
		return nil, nil, ledger.Errorf(ledger.EINVALID, "%s: %d of its %d transaction details (TxDtls) carry no amount (Amt or AmtDtls/TxAmt/Amt), so the batch cannot be split",
			name, missing, len(txs))
	case !sum.Equal(base.Amount):
		return nil, nil, ledger.Errorf(ledger.EINVALID, "%s: its %d transaction details (TxDtls) sum to %s, but the entry amount is %s (difference %s), so the batch cannot be split",
			name, len(txs), money(sum, st.Currency), money(base.Amount, st.Currency), money(base.Amount.Sub(sum), st.Currency))
	}
	lines := make([]Line, len(txs))
	keys := make([]string, len(txs))
	for i, tx := range txs {
		l := base
		l.Amount = amounts[i]
		txRef := details(&l, st, tx, credits[i])
		switch {
		case txRef != "" && txRef != entryRef:
			keys[i] = txRef
		case entryRef != "":
			keys[i] = fmt.Sprintf("%s/%d", entryRef, i+1)
		}
		lines[i] = l
	}
	return lines, keys, nil
}

// details fills l from a transaction's details and returns the bank's
// reference for the transaction ("" when none).
func details(l *Line, st *Statement, tx *xTxDtls, credit bool) string {
	txRef := strings.TrimSpace(tx.Refs.AcctSvcrRef)
	if placeholder(txRef) {
		txRef = ""
	}
	if txRef != "" {
		l.BankRef = txRef
	}
	if e2e := strings.TrimSpace(tx.Refs.EndToEndID); !placeholder(e2e) {
		l.EndToEndID = e2e
	}
	if t := remittance(tx); t != "" {
		l.Remittance = t
	}
	p := &tx.RltdPties
	dbtr := party{name: p.Dbtr.name(), account: p.DbtrAcct.id()}
	cdtr := party{name: p.Cdtr.name(), account: p.CdtrAcct.id()}
	// The other party is the debtor of a credit and the creditor of a debit;
	// a reversal names the parties of the payment it reverses, so there the
	// roles swap. When the preferred party is the account itself, or absent
	// from a reversal, the other role is taken.
	first, second := cdtr, dbtr
	if credit != l.Reversal {
		first, second = dbtr, cdtr
	}
	own := normAccount(st.Account)
	isOwn := func(p party) bool { return p.account != "" && normAccount(p.account) == own }
	switch {
	case !first.empty() && !isOwn(first):
		l.Counterparty, l.CounterpartyAccount = first.name, first.account
	case (isOwn(first) || l.Reversal) && !second.empty() && !isOwn(second):
		l.Counterparty, l.CounterpartyAccount = second.name, second.account
	}
	return txRef
}

type party struct{ name, account string }

func (p party) empty() bool { return p.name == "" && p.account == "" }

func (p *xParty) name() string {
	if n := cleanText(p.Nm); n != "" {
		return n
	}
	return cleanText(p.Pty.Nm)
}

// remittance returns a transaction's remittance information: the
// unstructured lines, else the structured creditor references, else the
// additional transaction information.
func remittance(tx *xTxDtls) string {
	var parts []string
	for _, u := range tx.RmtInf.Ustrd {
		if u = cleanText(u); u != "" {
			parts = append(parts, u)
		}
	}
	if len(parts) == 0 {
		for _, s := range tx.RmtInf.Strd {
			if r := cleanText(s.CdtrRefInf.Ref); r != "" {
				parts = append(parts, r)
			}
		}
	}
	if len(parts) == 0 {
		return cleanText(tx.AddtlTxInf)
	}
	return strings.Join(parts, " ")
}
