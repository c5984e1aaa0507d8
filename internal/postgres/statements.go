package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// ReconciliationService implements ledger.ReconciliationService.
type ReconciliationService struct{ db *DB }

// NewReconciliationService returns the reconciliation service on db.
func NewReconciliationService(db *DB) *ReconciliationService { return &ReconciliationService{db: db} }

var _ ledger.ReconciliationService = (*ReconciliationService)(nil)

// bankAccount checks that code is an asset account in the chart.
func bankAccount(ctx context.Context, q querier, code string) error {
	var typ string
	err := q.QueryRow(ctx, `select type from accounts where code = $1`, code).Scan(&typ)
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.Errorf(ledger.EINVALID, "account %q does not exist", code)
	}
	if err != nil {
		return err
	}
	if typ != string(ledger.Asset) {
		return ledger.Errorf(ledger.EINVALID, "account %s is not an asset account; statements belong to a bank account such as assets:bank:eur", code)
	}
	return nil
}

func reconciledThrough(ctx context.Context, q querier, account string) (*time.Time, error) {
	var t *time.Time
	err := q.QueryRow(ctx, `select max(through) from reconciled_periods where account = $1`, account).Scan(&t)
	return t, err
}

// ImportStatement implements ledger.ReconciliationService.
func (s *ReconciliationService) ImportStatement(ctx context.Context, account string, st *ledger.BankStatement, by string) (*ledger.ImportResult, error) {
	if st.ID == "" {
		return nil, ledger.Errorf(ledger.EINVALID, "the statement has no id")
	}
	var res *ledger.ImportResult
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		res = &ledger.ImportResult{}
		if err := bankAccount(ctx, tx, account); err != nil {
			return err
		}
		through, err := reconciledThrough(ctx, tx, account)
		if err != nil {
			return err
		}
		periodTo := st.To
		for _, l := range st.Lines {
			if l.BookingDate.After(periodTo) {
				periodTo = l.BookingDate
			}
		}
		var from, to *time.Time
		if !st.From.IsZero() {
			from = &st.From
		}
		if !periodTo.IsZero() {
			to = &periodTo
		}
		var stmtID int64
		err = tx.QueryRow(ctx, `insert into bank_statements (account, bank_id, iban, currency, period_from, period_to, opening_balance, closing_balance, imported_at, imported_by)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (account, bank_id) do nothing returning id`,
			account, st.ID, st.Account, st.Currency.Code, from, to, st.OpeningBalance, st.ClosingBalance, s.db.now(), by).Scan(&stmtID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if err := tx.QueryRow(ctx, `select id from bank_statements where account = $1 and bank_id = $2`, account, st.ID).Scan(&stmtID); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			res.Statements++
		}
		lines, err := newLines(ctx, tx, account, st)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if through != nil && !l.date.After(*through) {
				return ledger.Errorf(ledger.ECONFLICT, "line %s is dated %s, inside the period reconciled through %s; a reconciled period takes no new lines",
					l.ref, l.date.Format(time.DateOnly), through.Format(time.DateOnly))
			}
		}
		outs, err := s.settle(ctx, tx, lines, true)
		if err != nil {
			return err
		}
		if err := s.insertLines(ctx, tx, stmtID, lines, outs, by+" (automatic)"); err != nil {
			return err
		}
		res.Lines, res.Duplicates = len(lines), len(st.Lines)-len(lines)
		for _, o := range outs {
			switch {
			case o.txID != "":
				res.AutoMatched++
			case len(o.candidates) > 0:
				res.Proposed++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import statement %s: %w", st.ID, translate(err))
	}
	return res, nil
}

// newLines returns the lines of st that are not stored yet, in the
// statement's order. A line whose key is stored already (imported before),
// or that repeats the key of a line before it in st, is left out.
func newLines(ctx context.Context, tx pgx.Tx, account string, st *ledger.BankStatement) ([]*line, error) {
	refs := make([]string, len(st.Lines))
	for i := range st.Lines {
		refs[i] = st.Lines[i].Ref
	}
	rows, err := tx.Query(ctx, `select ref from statement_lines where account = $1 and ref = any($2)`, account, refs)
	if err != nil {
		return nil, err
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(refs))
	for _, ref := range stored {
		seen[ref] = true
	}
	var out []*line
	for i := range st.Lines {
		sl := &st.Lines[i]
		if seen[sl.Ref] {
			continue
		}
		seen[sl.Ref] = true
		y, m, d := sl.BookingDate.Date()
		out = append(out, &line{
			account: account, ref: sl.Ref, currency: st.Currency.Code, date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), amount: sl.Amount,
			e2e: sl.EndToEndID, remittance: sl.Remittance, bankRef: sl.BankRef, party: sl.Counterparty, status: ledger.LineUnmatched, in: sl,
		})
	}
	return out, nil
}

// insertLines stores new lines, settled as outs says, with one statement,
// and then their candidates. by names who matched a line that is matched.
// If a line's key was stored by a concurrent import meanwhile, it asks for
// the whole import to run again, which then finds that line a duplicate.
func (s *ReconciliationService) insertLines(ctx context.Context, tx pgx.Tx, stmtID int64, lines []*line, outs []outcome, by string) error {
	if len(lines) == 0 {
		return nil
	}
	var (
		refs, e2e, remittance, party, partyAccount, bankRef, raw []string
		statuses, matchedBy                                      []string
		booking                                                  []time.Time
		valueDate, matchedAt                                     []*time.Time
		amounts                                                  []decimal.Decimal
		reversals                                                []bool
		txIDs                                                    []*string
		now                                                      = s.db.now()
	)
	for i, l := range lines {
		in, o := l.in, &outs[i]
		var valueDay *time.Time
		if !in.ValueDate.IsZero() {
			valueDay = &in.ValueDate
		}
		status, txID, who, at := ledger.LineUnmatched, (*string)(nil), "", (*time.Time)(nil)
		switch {
		case o.txID != "":
			status, txID, who, at = ledger.LineMatched, &o.txID, by, &now
		case len(o.candidates) > 0:
			status = ledger.LineProposed
		}
		refs, booking, valueDate, amounts, reversals = append(refs, l.ref), append(booking, l.date), append(valueDate, valueDay), append(amounts, l.amount), append(reversals, in.Reversal)
		e2e, remittance, party = append(e2e, in.EndToEndID), append(remittance, in.Remittance), append(party, in.Counterparty)
		partyAccount, bankRef, raw = append(partyAccount, in.CounterpartyAccount), append(bankRef, in.BankRef), append(raw, in.Raw)
		statuses, txIDs, matchedBy, matchedAt = append(statuses, string(status)), append(txIDs, txID), append(matchedBy, who), append(matchedAt, at)
	}
	rows, err := tx.Query(ctx, `insert into statement_lines (statement_id, account, currency, ref, booking_date, value_date, amount, reversal,
			end_to_end_id, remittance, counterparty, counterparty_account, bank_ref, raw, status, transaction_id, matched_by, matched_at)
		select $1, $2, $3, l.ref, l.booking_date, l.value_date, l.amount, l.reversal,
			l.end_to_end_id, l.remittance, l.counterparty, l.counterparty_account, l.bank_ref, l.raw, l.status, l.transaction_id, l.matched_by, l.matched_at
		from unnest($4::text[], $5::date[], $6::date[], $7::numeric[], $8::boolean[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
			$14::text[], $15::text[], $16::uuid[], $17::text[], $18::timestamptz[])
			with ordinality as l(ref, booking_date, value_date, amount, reversal, end_to_end_id, remittance, counterparty, counterparty_account, bank_ref,
			raw, status, transaction_id, matched_by, matched_at, n)
		order by l.n
		on conflict (account, ref) do nothing
		returning ref, id`,
		stmtID, lines[0].account, lines[0].currency, refs, booking, valueDate, amounts, reversals, e2e, remittance, party, partyAccount, bankRef,
		raw, statuses, txIDs, matchedBy, matchedAt)
	if err != nil {
		return err
	}
	ids := make(map[string]int64, len(lines))
	var (
		ref string
		id  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&ref, &id}, func() error {
		ids[ref] = id
		return nil
	})
	if isUnique(err, "statement_lines_transaction_id_key") {
		// A concurrent import matched the transaction first: the next
		// attempt sees its lines (duplicates, or the transaction taken).
		return errRetry
	}
	if err != nil {
		return err
	}
	if len(ids) != len(lines) {
		return errRetry
	}
	for _, l := range lines {
		l.id = ids[l.ref]
	}
	return insertCandidates(ctx, tx, lines, outs)
}

// ConfirmMatch implements ledger.ReconciliationService.
func (s *ReconciliationService) ConfirmMatch(ctx context.Context, lineID int64, txID, by string) error {
	if _, err := uuid.Parse(txID); err != nil {
		return ledger.Errorf(ledger.EINVALID, "transaction_id %q is not a transaction id", txID)
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		l, err := lockLine(ctx, tx, lineID)
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx, l, txID, by)
	})
	if err != nil {
		return fmt.Errorf("confirm match of line %d: %w", lineID, translate(err))
	}
	return nil
}

// Unmatch implements ledger.ReconciliationService.
func (s *ReconciliationService) Unmatch(ctx context.Context, lineID int64) error {
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		l, err := lockLine(ctx, tx, lineID)
		if err != nil {
			return err
		}
		if l.locked {
			return ledger.Errorf(ledger.ECONFLICT, "statement line %d is in a reconciled period", l.id)
		}
		if _, err := tx.Exec(ctx, `update statement_lines set status = 'unmatched', transaction_id = null, matched_by = '', matched_at = null where id = $1`, l.id); err != nil {
			return err
		}
		l.status = ledger.LineUnmatched
		// A person undid the match: offer the candidates again, confirm none.
		outs, err := s.settle(ctx, tx, []*line{l}, false)
		if err != nil || len(outs[0].candidates) == 0 {
			return err
		}
		if err := insertCandidates(ctx, tx, []*line{l}, outs); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `update statement_lines set status = 'proposed' where id = $1`, l.id)
		return err
	})
	if err != nil {
		return fmt.Errorf("unmatch line %d: %w", lineID, translate(err))
	}
	return nil
}

// openLine locks a line that is still to be matched.
func openLine(ctx context.Context, tx pgx.Tx, id int64) (*line, error) {
	l, err := lockLine(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if l.locked {
		return nil, ledger.Errorf(ledger.ECONFLICT, "statement line %d is in a reconciled period", l.id)
	}
	if l.status == ledger.LineMatched {
		return nil, ledger.Errorf(ledger.ECONFLICT, "statement line %d is matched already", l.id)
	}
	return l, nil
}

// LineToDonation implements ledger.ReconciliationService.
func (s *ReconciliationService) LineToDonation(ctx context.Context, lineID int64, fund string, ack ledger.Acknowledgement, by string) (*ledger.Donation, error) {
	var out *ledger.Donation
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		l, err := openLine(ctx, tx, lineID)
		if err != nil {
			return err
		}
		if !l.amount.IsPositive() {
			return ledger.Errorf(ledger.EINVALID, "statement line %d is a debit; only a credit can be a donation", l.id)
		}
		cur, err := ledger.LookupCurrency(l.currency)
		if err != nil {
			return err
		}
		d := &ledger.Donation{
			ID: uuid.NewString(), Fund: fund, Amount: ledger.Money{Amount: l.amount, Currency: cur}, Channel: ledger.ChannelBankTransfer,
			ReceivedOn: l.date, Donor: ledger.Donor{Name: l.party}, Acknowledgement: ack,
			Message: "", IdempotencyKey: "statement-line:" + strconv.FormatInt(l.id, 10), Fingerprint: "donation:" + fund,
		}
		if err := d.Validate(); err != nil {
			return err
		}
		t := d.Transaction()
		t.Postings[0].Account = l.account // the bank account the statement is of
		t.Metadata["statement_line"] = l.ref
		if l.e2e != "" {
			t.Metadata["end_to_end_id"] = l.e2e
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if err := bookDonation(ctx, tx, s.db.now(), d, t, nil); err != nil {
			return err
		}
		out = d
		return s.setMatched(ctx, tx, l.id, t.ID, by)
	})
	if err != nil {
		return nil, fmt.Errorf("donation from statement line %d: %w", lineID, translate(err))
	}
	return out, nil
}

func (s *ReconciliationService) setMatched(ctx context.Context, tx pgx.Tx, lineID int64, txID, by string) error {
	if _, err := tx.Exec(ctx, `delete from line_candidates where line_id = $1`, lineID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `update statement_lines set status = 'matched', transaction_id = $2, matched_by = $3, matched_at = $4 where id = $1`,
		lineID, txID, by, s.db.now())
	return err
}

// LineToExpense implements ledger.ReconciliationService.
func (s *ReconciliationService) LineToExpense(ctx context.Context, lineID int64, fund, account, description, by string) (*ledger.Transaction, error) {
	typ, err := ledger.AccountTypeOf(account)
	if err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "account: %s", ledger.ErrorMessage(err))
	}
	if typ != ledger.Expense {
		return nil, ledger.Errorf(ledger.EINVALID, "account %s is not an expense account (such as expenses:grants or expenses:fees:bank)", account)
	}
	var out *ledger.Transaction
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		l, err := openLine(ctx, tx, lineID)
		if err != nil {
			return err
		}
		if !l.amount.IsNegative() {
			return ledger.Errorf(ledger.EINVALID, "statement line %d is a credit; only a debit can be an expense", l.id)
		}
		cur, err := ledger.LookupCurrency(l.currency)
		if err != nil {
			return err
		}
		t := &ledger.Transaction{
			IdempotencyKey: "statement-line:" + strconv.FormatInt(l.id, 10), Fingerprint: "expense:" + fund + ":" + account,
			EffectiveDate: l.date, Description: description,
			Metadata: map[string]string{"statement_line": l.ref},
			Postings: []ledger.Posting{
				{Account: account, Fund: fund, Amount: l.amount.Neg(), Currency: cur},
				{Account: l.account, Fund: fund, Amount: l.amount, Currency: cur},
			},
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if err := appendTransaction(ctx, tx, s.db.now(), t); err != nil {
			return err
		}
		out = t
		return s.setMatched(ctx, tx, l.id, t.ID, by)
	})
	if err != nil {
		return nil, fmt.Errorf("expense from statement line %d: %w", lineID, translate(err))
	}
	return out, nil
}

const selectLines = `select sl.id, sl.account, sl.currency, sl.ref, sl.booking_date, coalesce(sl.value_date, '0001-01-01'), sl.amount, sl.reversal,
	sl.end_to_end_id, sl.remittance, sl.counterparty, sl.counterparty_account, sl.bank_ref, sl.status, coalesce(sl.transaction_id::text, ''), sl.locked
	from statement_lines sl`

func scanLine(r pgx.CollectableRow) (ledger.StoredLine, error) {
	var (
		l           ledger.StoredLine
		cur, status string
	)
	err := r.Scan(&l.ID, &l.Account, &cur, &l.Ref, &l.BookingDate, &l.ValueDate, &l.Amount, &l.Reversal, &l.EndToEndID, &l.Remittance,
		&l.Counterparty, &l.CounterpartyAccount, &l.BankRef, &status, &l.TransactionID, &l.Locked)
	if err != nil {
		return l, err
	}
	if l.ValueDate.Year() == 1 {
		l.ValueDate = time.Time{}
	}
	l.Status = ledger.LineStatus(status)
	l.Currency, err = ledger.LookupCurrency(cur)
	return l, err
}

// Lines implements ledger.ReconciliationService.
func (s *ReconciliationService) Lines(ctx context.Context, f ledger.LineFilter) ([]ledger.StoredLine, error) {
	lines, err := s.lines(ctx, s.db.Pool, f)
	if err != nil {
		return nil, fmt.Errorf("statement lines: %w", translate(err))
	}
	return lines, nil
}

func (s *ReconciliationService) lines(ctx context.Context, q querier, f ledger.LineFilter) ([]ledger.StoredLine, error) {
	where := []string{"sl.account = $1"}
	args := []any{f.Account}
	if f.Status != nil {
		args = append(args, string(*f.Status))
		where = append(where, fmt.Sprintf("sl.status = $%d", len(args)))
	}
	if f.From != nil {
		args = append(args, *f.From)
		where = append(where, fmt.Sprintf("sl.booking_date >= $%d", len(args)))
	}
	if f.To != nil {
		args = append(args, *f.To)
		where = append(where, fmt.Sprintf("sl.booking_date <= $%d", len(args)))
	}
	rows, err := q.Query(ctx, selectLines+` where `+strings.Join(where, " and ")+` order by sl.booking_date, sl.id`, args...)
	if err != nil {
		return nil, err
	}
	lines, err := pgx.CollectRows(rows, scanLine)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*ledger.StoredLine{}
	var ids []int64
	for i := range lines {
		if lines[i].Status == ledger.LineProposed {
			byID[lines[i].ID] = &lines[i]
			ids = append(ids, lines[i].ID)
		}
	}
	if len(ids) == 0 {
		return lines, nil
	}
	rows, err = q.Query(ctx, `select c.line_id, c.transaction_id::text, t.effective_date, t.description, c.score, c.reason
		from line_candidates c join transactions t on t.id = c.transaction_id where c.line_id = any($1) order by c.line_id, c.score desc`, ids)
	if err != nil {
		return nil, err
	}
	var (
		lineID int64
		c      ledger.MatchCandidate
	)
	_, err = pgx.ForEachRow(rows, []any{&lineID, &c.TransactionID, &c.Date, &c.Description, &c.Score, &c.Reason}, func() error {
		l := byID[lineID]
		c.Amount = ledger.Money{Amount: l.Amount, Currency: l.Currency}
		l.Candidates = append(l.Candidates, c)
		return nil
	})
	return lines, err
}

// Reconcile implements ledger.ReconciliationService.
func (s *ReconciliationService) Reconcile(ctx context.Context, account string, from, to time.Time) (*ledger.Reconciliation, error) {
	r, err := s.reconcile(ctx, s.db.Pool, account, from, to)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", account, translate(err))
	}
	return r, nil
}

func (s *ReconciliationService) reconcile(ctx context.Context, q querier, account string, from, to time.Time) (*ledger.Reconciliation, error) {
	if err := bankAccount(ctx, q, account); err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, ledger.Errorf(ledger.EINVALID, "the period ends (%s) before it starts (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	r := &ledger.Reconciliation{Account: account, From: from, To: to}
	var (
		cur          string
		closing      decimal.Decimal
		hasStatement = true
	)
	err := q.QueryRow(ctx, `select currency, closing_balance from bank_statements where account = $1 and period_to <= $2
		order by period_to desc, id desc limit 1`, account, to).Scan(&cur, &closing)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		hasStatement = false
		err = q.QueryRow(ctx, `select currency from bank_statements where account = $1 order by id limit 1`, account).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.Errorf(ledger.ENOTFOUND, "no statement of %s has been imported", account)
		}
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	c, err := ledger.LookupCurrency(cur)
	if err != nil {
		return nil, err
	}
	r.Currency = c
	var balance decimal.Decimal
	if err := q.QueryRow(ctx, `select coalesce(sum(p.amount), 0) from postings p join transactions t on t.id = p.transaction_id
		where p.account = $1 and p.currency = $2 and t.effective_date <= $3`, account, cur, to).Scan(&balance); err != nil {
		return nil, err
	}
	r.LedgerBalance = ledger.Money{Amount: balance, Currency: c}
	if hasStatement {
		r.StatementClosing = &ledger.Money{Amount: closing, Currency: c}
		r.Difference = &ledger.Money{Amount: closing.Sub(balance), Currency: c}
	}
	for _, st := range []ledger.LineStatus{ledger.LineUnmatched, ledger.LineProposed} {
		st := st
		ls, err := s.lines(ctx, q, ledger.LineFilter{Account: account, Status: &st, From: &from, To: &to})
		if err != nil {
			return nil, err
		}
		r.UnmatchedLines = append(r.UnmatchedLines, ls...)
	}
	sort.Slice(r.UnmatchedLines, func(i, j int) bool { return r.UnmatchedLines[i].BookingDate.Before(r.UnmatchedLines[j].BookingDate) })
	rows, err := q.Query(ctx, `select t.id::text, t.effective_date, t.description, sum(p.amount)
		from postings p join transactions t on t.id = p.transaction_id
		where p.account = $1 and p.currency = $2 and t.effective_date between $3 and $4
		and t.reversal_of is null and not exists (select 1 from transactions r where r.reversal_of = t.id)
		and not exists (select 1 from statement_lines sl where sl.transaction_id = t.id)
		group by t.id having sum(p.amount) <> 0 order by t.effective_date, t.seq`, account, cur, from, to)
	if err != nil {
		return nil, err
	}
	var (
		e   ledger.LedgerEntry
		amt decimal.Decimal
	)
	if _, err := pgx.ForEachRow(rows, []any{&e.TransactionID, &e.Date, &e.Description, &amt}, func() error {
		e.Amount = ledger.Money{Amount: amt, Currency: c}
		r.UnmatchedLedger = append(r.UnmatchedLedger, e)
		return nil
	}); err != nil {
		return nil, err
	}
	r.ReconciledThrough, err = reconciledThrough(ctx, q, account)
	return r, err
}

// MarkReconciled implements ledger.ReconciliationService.
func (s *ReconciliationService) MarkReconciled(ctx context.Context, account string, through time.Time, by string) error {
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `lock table reconciled_periods in share row exclusive mode`); err != nil {
			return err
		}
		r, err := s.reconcile(ctx, tx, account, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), through)
		if err != nil {
			return err
		}
		if r.StatementClosing == nil {
			return ledger.Errorf(ledger.EINVALID, "no statement of %s ends on or before %s", account, through.Format(time.DateOnly))
		}
		if !r.Difference.Amount.IsZero() || len(r.UnmatchedLines) > 0 {
			return ledger.Errorf(ledger.ECONFLICT, "%s does not reconcile through %s: statement %s, books %s, difference %s, %d statement line(s) unmatched",
				account, through.Format(time.DateOnly), r.StatementClosing, r.LedgerBalance, r.Difference, len(r.UnmatchedLines))
		}
		if _, err := tx.Exec(ctx, `update statement_lines set locked = true where account = $1 and booking_date <= $2 and not locked`, account, through); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `insert into reconciled_periods (account, through, closing, reconciled_by, reconciled_at) values ($1, $2, $3, $4, $5)
			on conflict do nothing`, account, through, r.StatementClosing.Amount, by, s.db.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %s reconciled through %s: %w", account, through.Format(time.DateOnly), translate(err))
	}
	return nil
}
