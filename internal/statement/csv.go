package statement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// Column picks a column of a CSV export: by its header name, or by its
// position. The zero Column is "no such column".
type Column struct {
	// Name is the header of the column, matched without surrounding spaces
	// and ignoring case. It needs CSVFormat.Header.
	Name string
	// Index is the position of the column, counting from 1; it is used when
	// Name is empty.
	Index int
}

// Col picks a column by its header name.
func Col(name string) Column { return Column{Name: name} }

// ColAt picks a column by its position, counting from 1.
func ColAt(index int) Column { return Column{Index: index} }

func (c Column) set() bool { return c.Name != "" || c.Index != 0 }

func (c Column) String() string {
	if c.Name != "" {
		return fmt.Sprintf("%.40q", c.Name)
	}
	return fmt.Sprintf("#%d", c.Index)
}

// CSVFormat describes one bank's CSV export. A German bank export typically
// is:
//
//	CSVFormat{
//		Delimiter: ';', Header: true, SkipLines: 4,
//		Date: Col("Buchungstag"), ValueDate: Col("Valuta"), Amount: Col("Betrag"),
//		Counterparty: Col("Auftraggeber/Empfänger"), Remittance: []Column{Col("Verwendungszweck")},
//		DateLayout: "02.01.2006", DecimalSep: ',', ThousandsSep: '.',
//	}
//
// The file must be UTF-8; a leading byte order mark is skipped.
type CSVFormat struct {
	// Delimiter separates the fields: ',' when zero, ';' in German exports,
	// '\t' for tab-separated files.
	Delimiter rune
	// Header says that the first record (after SkipLines) names the columns.
	Header bool
	// LazyQuotes accepts a quote inside an unquoted field (Spende "Streik"),
	// as some exports write them.
	LazyQuotes bool
	// SkipLines is the number of lines before the header or the first record,
	// such as the account and period lines some banks write first.
	SkipLines int

	Date      Column // booking date; required
	ValueDate Column // optional
	// Amount is one column with a signed amount (credit positive). Instead of
	// it, Debit and Credit are two columns of which each line fills one; the
	// debit column holds the amount leaving the account, with or without a
	// minus sign.
	Amount, Debit, Credit Column
	// Currency, when set, is a column whose code must be the statement
	// currency on every line (an empty cell is accepted).
	Currency            Column
	Reference           Column   // the bank's unique reference for the line
	Counterparty        Column   // the other party's name
	CounterpartyAccount Column   // the other party's IBAN or account number
	EndToEndID          Column   // the payer's end-to-end reference
	Remittance          []Column // remittance text; several columns are joined with spaces

	// DateLayout is the Go time layout of the date columns, such as
	// "02.01.2006" or "01/02/2006"; "2006-01-02" when empty.
	DateLayout string
	// DecimalSep is the decimal separator: '.' (when zero) or ','.
	DecimalSep rune
	// ThousandsSep is the digit-group separator: none when zero, or '.', ',',
	// '\'' or ' ' (which also accepts the no-break spaces U+00A0 and U+202F).
	// Groups are checked: "1.500,00" and "12.345.678,00", not "1.50,00".
	ThousandsSep rune
}

// check reports a mistake in the format itself.
func (f *CSVFormat) check() error {
	bad := func(format string, args ...any) error {
		return ledger.Errorf(ledger.EINVALID, "csv format: "+format, args...)
	}
	if d := f.Delimiter; d != 0 && (d == '"' || d == '\r' || d == '\n' || !utf8.ValidRune(d) || d == utf8.RuneError) {
		return bad("delimiter %q cannot separate fields", d)
	}
	if f.SkipLines < 0 {
		return bad("SkipLines must not be negative")
	}
	switch f.DecimalSep {
	case 0, '.', ',':
	default:
		return bad("decimal separator %q: use '.' or ','", f.DecimalSep)
	}
	switch f.ThousandsSep {
	case 0, '.', ',', ' ', '\'':
	default:
		return bad("thousands separator %q: use '.', ',', ' ', '\\'' or none", f.ThousandsSep)
	}
	if f.ThousandsSep != 0 && f.ThousandsSep == f.decimalSep() {
		return bad("the thousands separator and the decimal separator are both %q", f.ThousandsSep)
	}
	if !f.Date.set() {
		return bad("the booking date column (Date) is required")
	}
	switch {
	case f.Amount.set() && (f.Debit.set() || f.Credit.set()):
		return bad("give either one signed Amount column or Debit and Credit columns, not both")
	case !f.Amount.set() && !(f.Debit.set() && f.Credit.set()):
		return bad("an Amount column, or both Debit and Credit columns, are required")
	}
	for _, c := range f.columns() {
		if c.col.Index < 0 {
			return bad("the %s column %s: positions count from 1", c.name, c.col)
		}
		if c.col.Name != "" && !f.Header {
			return bad("the %s column %s is picked by name, which needs a header row (Header)", c.name, c.col)
		}
	}
	return nil
}

func (f *CSVFormat) decimalSep() rune {
	if f.DecimalSep == 0 {
		return '.'
	}
	return f.DecimalSep
}

type namedColumn struct {
	name string // the field's name, for errors
	col  Column
}

// columns lists every column the format sets.
func (f *CSVFormat) columns() []namedColumn {
	all := []namedColumn{
		{"date", f.Date}, {"value date", f.ValueDate}, {"amount", f.Amount}, {"debit", f.Debit},
		{"credit", f.Credit}, {"currency", f.Currency}, {"reference", f.Reference},
		{"counterparty", f.Counterparty}, {"counterparty account", f.CounterpartyAccount},
		{"end-to-end id", f.EndToEndID},
	}
	for _, c := range f.Remittance {
		all = append(all, namedColumn{"remittance", c})
	}
	out := all[:0]
	for _, c := range all {
		if c.col.set() {
			out = append(out, c)
		}
	}
	return out
}

// ParseCSV reads a bank's CSV export of account, in currency cur, as one
// statement that starts at the opening balance. CSV exports carry no
// balances: the closing balance is the opening balance plus the lines, and
// the period (From, To) is that of the lines' booking dates. Every amount is
// checked against the currency's decimals. Records whose cells are all empty
// are skipped. Lines are keyed by the Reference column when it is set and
// unique, else by their content (see the package documentation).
func ParseCSV(r io.Reader, f CSVFormat, account string, cur ledger.Currency, opening decimal.Decimal) (*Statement, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	account = strings.TrimSpace(account)
	if account == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "csv statement: the account is required")
	}
	if c, err := ledger.LookupCurrency(cur.Code); err != nil || c != cur {
		return nil, ledger.Errorf(ledger.EINVALID, "csv statement: currency %.10q with %d decimals is not a supported ISO 4217 currency", cur.Code, cur.Exponent)
	}
	if err := ledger.CheckScale(opening, cur); err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "csv statement: opening balance: %s", ledger.ErrorMessage(err))
	}
	data, err := readAll(r, "csv file")
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte{'\n'})
		return nil, ledger.Errorf(ledger.EINVALID, "csv line %d is not valid UTF-8: save the export as UTF-8", line)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, ledger.Errorf(ledger.EINVALID, "csv line %d holds a NUL character", 1+bytes.Count(data[:i], []byte{'\n'}))
	}
	skipped := 0
	for skipped < f.SkipLines && len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			data = nil
		} else {
			data = data[i+1:]
		}
		skipped++
	}

	p := csvParser{f: &f, cur: cur, skipped: skipped}
	p.r = csv.NewReader(bytes.NewReader(data))
	p.r.Comma = f.Delimiter
	if p.r.Comma == 0 {
		p.r.Comma = ','
	}
	p.r.FieldsPerRecord = -1
	p.r.LazyQuotes = f.LazyQuotes
	st := &Statement{Account: account, Currency: cur, OpeningBalance: opening, ClosingBalance: opening}
	if err := p.header(); err != nil {
		return nil, err
	}
	var keys []string
	for {
		start := p.r.InputOffset()
		rec, err := p.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.csvError(err)
		}
		if blank(rec) {
			continue
		}
		l, key, err := p.line(rec)
		if err != nil {
			return nil, err
		}
		end := p.r.InputOffset()
		l.Raw = strings.Trim(string(data[start:end]), "\r\n")
		st.Lines = append(st.Lines, l)
		keys = append(keys, key)
		st.ClosingBalance = st.ClosingBalance.Add(l.Amount)
		if st.From.IsZero() || l.BookingDate.Before(st.From) {
			st.From = l.BookingDate
		}
		if l.BookingDate.After(st.To) {
			st.To = l.BookingDate
		}
	}
	if len(st.Lines) == 0 {
		return nil, ledger.Errorf(ledger.EINVALID, "csv file holds no lines")
	}
	assignRefs(st, keys)
	st.ID = contentID(st)
	return st, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

type csvParser struct {
	f       *CSVFormat
	cur     ledger.Currency
	r       *csv.Reader
	skipped int            // lines skipped before the CSV data
	index   map[string]int // column name (folded) -> 0-based position
}

// lineNo returns the file's line number of the record just read.
func (p *csvParser) lineNo() int {
	line, _ := p.r.FieldPos(0)
	return p.skipped + line
}

func (p *csvParser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return ledger.Errorf(ledger.EINVALID, "csv line %d: %s", p.skipped+pe.Line, pe.Err)
	}
	return ledger.Errorf(ledger.EINVALID, "csv file: %.200s", err.Error())
}

// header reads the header record when the format has one and maps the
// named columns to their positions.
func (p *csvParser) header() error {
	if !p.f.Header {
		return nil
	}
	var rec []string
	for {
		var err error
		rec, err = p.r.Read()
		if err == io.EOF {
			return ledger.Errorf(ledger.EINVALID, "csv file holds no header row")
		}
		if err != nil {
			return p.csvError(err)
		}
		if !blank(rec) {
			break
		}
	}
	names := map[string]int{}
	dup := map[string]bool{}
	for i, h := range rec {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, ok := names[k]; ok {
			dup[k] = true
		}
		names[k] = i
	}
	p.index = map[string]int{}
	for _, c := range p.f.columns() {
		if c.col.Name == "" {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(c.col.Name))
		i, ok := names[k]
		if !ok {
			return ledger.Errorf(ledger.EINVALID, "csv header (line %d): the %s column %s is missing", p.lineNo(), c.name, c.col)
		}
		if dup[k] {
			return ledger.Errorf(ledger.EINVALID, "csv header (line %d): the %s column %s appears more than once; pick it by position", p.lineNo(), c.name, c.col)
		}
		p.index[k] = i
	}
	return nil
}

// cell returns the trimmed cell of column c in rec; ok is false when the
// record is too short to have it.
func (p *csvParser) cell(rec []string, c Column) (string, bool) {
	if !c.set() {
		return "", true
	}
	i := c.Index - 1
	if c.Name != "" {
		i = p.index[strings.ToLower(strings.TrimSpace(c.Name))]
	}
	if i < 0 || i >= len(rec) {
		return "", false
	}
	return strings.TrimSpace(rec[i]), true
}

// required returns the cell of a column the line must fill.
func (p *csvParser) required(rec []string, field string, c Column) (string, error) {
	s, ok := p.cell(rec, c)
	if !ok {
		return "", ledger.Errorf(ledger.EINVALID, "csv line %d: %s column %s: the record has only %d field(s)", p.lineNo(), field, c, len(rec))
	}
	if s == "" {
		return "", ledger.Errorf(ledger.EINVALID, "csv line %d: %s column %s is empty", p.lineNo(), field, c)
	}
	return s, nil
}

// line reads one record; key is its candidate bank reference.
func (p *csvParser) line(rec []string) (l Line, key string, err error) {
	f := p.f
	n := p.lineNo()
	s, err := p.required(rec, "date", f.Date)
	if err != nil {
		return l, "", err
	}
	if l.BookingDate, err = p.date(s, "date", f.Date); err != nil {
		return l, "", err
	}
	if s, _ := p.cell(rec, f.ValueDate); s != "" {
		if l.ValueDate, err = p.date(s, "value date", f.ValueDate); err != nil {
			return l, "", err
		}
	}
	if l.Amount, err = p.amount(rec); err != nil {
		return l, "", err
	}
	if code, _ := p.cell(rec, f.Currency); code != "" && !strings.EqualFold(code, p.cur.Code) {
		return l, "", ledger.Errorf(ledger.EINVALID, "csv line %d: currency column %s: %.10q is not the statement currency %s", n, f.Currency, code, p.cur.Code)
	}
	ref, _ := p.cell(rec, f.Reference)
	if !placeholder(ref) {
		l.BankRef, key = ref, ref
	}
	name, _ := p.cell(rec, f.Counterparty)
	l.Counterparty = cleanText(name)
	acct, _ := p.cell(rec, f.CounterpartyAccount)
	l.CounterpartyAccount = cleanText(acct)
	if e2e, _ := p.cell(rec, f.EndToEndID); !placeholder(e2e) {
		l.EndToEndID = e2e
	}
	var parts []string
	for _, c := range f.Remittance {
		if t, _ := p.cell(rec, c); cleanText(t) != "" {
			parts = append(parts, cleanText(t))
		}
	}
	l.Remittance = strings.Join(parts, " ")
	return l, key, nil
}

func (p *csvParser) date(s, field string, c Column) (time.Time, error) {
	layout := p.f.DateLayout
	if layout == "" {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, ledger.Errorf(ledger.EINVALID, "csv line %d: %s column %s: %.40q does not match the date layout %q", p.lineNo(), field, c, s, layout)
	}
	return calendarDate(fmt.Sprintf("csv line %d: %s column %s:", p.lineNo(), field, c), t)
}

// amount reads the line's signed amount from one column or from the debit
// and credit columns.
func (p *csvParser) amount(rec []string) (decimal.Decimal, error) {
	f := p.f
	n := p.lineNo()
	if f.Amount.set() {
		s, err := p.required(rec, "amount", f.Amount)
		if err != nil {
			return decimal.Decimal{}, err
		}
		return p.number(s, fmt.Sprintf("csv line %d: amount column %s", n, f.Amount))
	}
	ds, dok := p.cell(rec, f.Debit)
	cs, cok := p.cell(rec, f.Credit)
	if !dok && !cok {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "csv line %d: debit column %s and credit column %s: the record has only %d field(s)", n, f.Debit, f.Credit, len(rec))
	}
	var debit, credit decimal.Decimal
	var err error
	if ds != "" {
		if debit, err = p.number(ds, fmt.Sprintf("csv line %d: debit column %s", n, f.Debit)); err != nil {
			return decimal.Decimal{}, err
		}
	}
	if cs != "" {
		if credit, err = p.number(cs, fmt.Sprintf("csv line %d: credit column %s", n, f.Credit)); err != nil {
			return decimal.Decimal{}, err
		}
		if credit.IsNegative() {
			return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "csv line %d: credit column %s holds a negative amount %.40q", n, f.Credit, cs)
		}
	}
	switch {
	case ds == "" && cs == "":
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "csv line %d: both the debit column %s and the credit column %s are empty", n, f.Debit, f.Credit)
	case !debit.IsZero() && !credit.IsZero():
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "csv line %d: both the debit column %s and the credit column %s hold an amount", n, f.Debit, f.Credit)
	}
	return credit.Sub(debit.Abs()), nil
}

// number reads an amount written with the format's separators, such as
// "-1.500,00", "1 500,00", "1,500.00", "+12,5" or "12,50-".
func (p *csvParser) number(s, field string) (decimal.Decimal, error) {
	dec, thou := p.f.decimalSep(), p.f.ThousandsSep
	example := "1234.56"
	switch {
	case thou != 0:
		example = strings.NewReplacer(",", string(thou), ".", string(dec)).Replace("1,234.56")
	case dec == ',':
		example = "1234,56"
	}
	bad := func() (decimal.Decimal, error) {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: %.40q is not an amount written like %q", field, s, example)
	}
	t := s
	neg := false
	switch {
	case strings.HasPrefix(t, "-"), strings.HasPrefix(t, "\u2212"):
		neg = true
		_, size := utf8.DecodeRuneInString(t)
		t = t[size:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	case strings.HasSuffix(t, "-"):
		neg = true
		t = t[:len(t)-1]
	}
	t = strings.TrimSpace(t)
	intPart, frac, hasFrac := strings.Cut(t, string(dec))
	if hasFrac && (frac == "" || !digits(frac)) {
		return bad()
	}
	var groups []string
	switch thou {
	case 0:
		groups = []string{intPart}
	case ' ':
		groups = strings.FieldsFunc(intPart, func(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' })
		if len(groups) == 0 || strings.Count(intPart, " ")+strings.Count(intPart, "\u00a0")+strings.Count(intPart, "\u202f") != len(groups)-1 {
			return bad()
		}
	default:
		groups = strings.Split(intPart, string(thou))
	}
	for i, g := range groups {
		if !digits(g) || (len(groups) > 1 && (i == 0 && len(g) > 3 || i > 0 && len(g) != 3)) {
			return bad()
		}
	}
	for len(frac) > int(p.cur.Exponent) && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > int(p.cur.Exponent) {
		return decimal.Decimal{}, ledger.Errorf(ledger.EINVALID, "%s: %.40q has %d decimal places; %s allows at most %d", field, s, len(frac), p.cur.Code, p.cur.Exponent)
	}
	plain := strings.Join(groups, "")
	if frac != "" {
		plain += "." + frac
	}
	if neg {
		plain = "-" + plain
	}
	return parseAmount(field, plain, p.cur)
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
