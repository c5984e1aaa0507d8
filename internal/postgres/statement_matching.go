package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// matchWindow is how far apart the bank's booking date and the books'
// effective date may be for a candidate.
const matchWindow = 10

// payoutWindow is how many days before a Stripe payout's own date the bank
// may book its arrival (after it, matchWindow applies).
const payoutWindow = 3

// line is a statement line with what matching needs: a stored one, or a new
// one (id 0, in set) that is stored once it is settled.
type line struct {
	id                              int64
	account, ref, currency          string
	date                            time.Time
	amount                          decimal.Decimal
	e2e, remittance, bankRef, party string
	status                          ledger.LineStatus
	locked                          bool
	in                              *ledger.StatementLine // a new line as the bank sent it, until it is stored
}

// lineColumns are the columns of statement_lines scanMatchLine reads, in order.
const lineColumns = `id, account, ref, currency, booking_date, amount, end_to_end_id, remittance, bank_ref, counterparty, status, locked`

func scanMatchLine(row pgx.Row) (*line, error) {
	var (
		l      line
		status string
	)
	err := row.Scan(&l.id, &l.account, &l.ref, &l.currency, &l.date, &l.amount, &l.e2e, &l.remittance, &l.bankRef, &l.party, &status, &l.locked)
	l.status = ledger.LineStatus(status)
	return &l, err
}

func lockLine(ctx context.Context, tx pgx.Tx, id int64) (*line, error) {
	l, err := scanMatchLine(tx.QueryRow(ctx, `select `+lineColumns+` from statement_lines where id = $1 for update`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "statement line %d not found", id)
	}
	return l, err
}

// candidate is a transaction that may book a line; payout marks a Stripe
// payout waiting in assets:bank_in_transit.
type candidate struct {
	ledger.MatchCandidate
	payout bool
}

// candidatesSQL finds, for each line n (booked on $1[n] for $2[n]; all
// lines of account $3 and currency $4), the transactions that may book it:
// on the same bank account, for the same amount in the same currency,
// effective within $5 days, not matched yet, not reversed. For credits,
// also Stripe payouts still in transit for that amount, paid at most $5
// days before the line and $6 days after it.
//
// The amount a transaction moves on the account is the sum of its postings
// there: the sums are taken once, over the days some line's window covers,
// and joined to the lines on the amount.
const candidatesSQL = `with l as (
	select n, booking_date, amount from unnest($1::date[], $2::numeric[]) with ordinality as l(booking_date, amount, n)
), days as (
	select distinct l.day + d as day from (select distinct booking_date as day from l) l, generate_series(-$5::int, $5::int) d
)
select l.n, b.id::text, b.effective_date, b.description, b.metadata::text, false
from (select t.id, t.effective_date, t.description, t.metadata, sum(p.amount) as amount
	from postings p join transactions t on t.id = p.transaction_id
	where p.account = $3 and p.currency = $4 and t.effective_date in (select day from days) and t.reversal_of is null
	group by t.id) b
join l on l.amount = b.amount and b.effective_date between l.booking_date - $5::int and l.booking_date + $5::int
where not exists (select 1 from transactions r where r.reversal_of = b.id)
and not exists (select 1 from statement_lines sl where sl.transaction_id = b.id)
union all
select l.n, b.id::text, b.effective_date, b.description, b.metadata::text, true
from (select t.id, t.effective_date, t.description, t.metadata, sum(p.amount) as amount
	from postings p join transactions t on t.id = p.transaction_id
	where p.account = 'assets:bank_in_transit' and p.currency = $4 and t.metadata ? 'stripe_payout'
	and t.effective_date in (select day from days) and t.reversal_of is null
	group by t.id) b
join l on l.amount = b.amount and b.effective_date between l.booking_date - $5::int and l.booking_date + $6::int
where l.amount > 0 and not exists (select 1 from transactions r where r.reversal_of = b.id)
and not exists (select 1 from transactions x where x.metadata ? 'payout_transaction' and x.metadata->>'payout_transaction' = b.id::text)`

// candidatesOf returns the candidates of each of lines, which share one
// account and currency, best first: a reference of ours in the bank's
// remittance information, end-to-end id or reference raises the score.
func candidatesOf(ctx context.Context, tx pgx.Tx, lines []*line) ([][]candidate, error) {
	out := make([][]candidate, len(lines))
	if len(lines) == 0 {
		return out, nil
	}
	dates := make([]time.Time, len(lines))
	amounts := make([]decimal.Decimal, len(lines))
	for i, l := range lines {
		if l.account != lines[0].account || l.currency != lines[0].currency {
			return nil, fmt.Errorf("candidates of lines of %s %s and %s %s together", lines[0].account, lines[0].currency, l.account, l.currency)
		}
		dates[i], amounts[i] = l.date, l.amount
	}
	cur, err := ledger.LookupCurrency(lines[0].currency)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, candidatesSQL, dates, amounts, lines[0].account, lines[0].currency, matchWindow, payoutWindow)
	if err != nil {
		return nil, err
	}
	var (
		n    int
		c    candidate
		meta string
	)
	_, err = pgx.ForEachRow(rows, []any{&n, &c.TransactionID, &c.Date, &c.Description, &meta, &c.payout}, func() error {
		l := lines[n-1]
		c.Amount = ledger.Money{Amount: l.amount, Currency: cur}
		c.Score, c.Reason = score(l, c.Date, meta, c.payout)
		out[n-1] = append(out[n-1], c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, cs := range out {
		// Best first; among equals, the order is the transactions' ids, so
		// that it does not depend on the query plan.
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].Score != cs[j].Score {
				return cs[i].Score > cs[j].Score
			}
			return cs[i].TransactionID < cs[j].TransactionID
		})
	}
	return out, nil
}

// score rates a transaction effective on day, with metadata meta, as the
// booking of l: 50 less a point a day apart, 100 more when the bank quotes
// one of our references.
func score(l *line, day time.Time, meta string, payout bool) (int, string) {
	days := int(day.Sub(l.date).Hours() / 24)
	if days < 0 {
		days = -days
	}
	score, reason := 50-days, "amount and date"
	if payout {
		reason = "Stripe payout in transit"
	}
	haystack := strings.ToLower(l.remittance + " " + l.e2e + " " + l.bankRef)
	for _, ref := range references(meta) {
		if strings.Contains(haystack, strings.ToLower(ref)) {
			return score + 100, "reference " + ref
		}
	}
	return score, reason
}

// references are the values in a transaction's metadata a bank may quote:
// payout ids, end-to-end ids, our references. Short values are left out,
// so they cannot match by accident.
func references(metaJSON string) []string {
	var meta map[string]string
	if err := json.Unmarshal([]byte(metaJSON), &meta); err != nil {
		return nil
	}
	var out []string
	for _, key := range []string{"stripe_payout", "end_to_end_id", "reference", "bank_ref", "donation_id"} {
		if v := meta[key]; len(v) >= 6 {
			out = append(out, v)
		}
	}
	return out
}

// outcome is what matching decided for a line: the transaction it is
// matched to, or else the candidates a person chooses from, if any.
type outcome struct {
	txID       string
	candidates []candidate
}

// settle decides the outcome of each of lines, which are unmatched and share
// one account and currency, in their order, as if one after the other: with
// auto, a line with a single candidate (or with only one that quotes our
// reference) is matched to it at once, and that transaction is no longer a
// candidate for the lines after it; otherwise the candidates are kept for a
// person to choose from. The candidates of all lines are found together. A
// Stripe payout matched at once has its arrival at the bank booked here, and
// the line is matched to the arrival.
func (s *ReconciliationService) settle(ctx context.Context, tx pgx.Tx, lines []*line, auto bool) ([]outcome, error) {
	all, err := candidatesOf(ctx, tx, lines)
	if err != nil {
		return nil, err
	}
	outs := make([]outcome, len(lines))
	taken := map[string]bool{} // matched to an earlier line
	for i, l := range lines {
		var cs []candidate
		for _, c := range all[i] {
			if !taken[c.TransactionID] {
				cs = append(cs, c)
			}
		}
		if auto && len(cs) > 0 && (len(cs) == 1 || cs[0].Score >= 100 && cs[1].Score < 100) {
			txID := cs[0].TransactionID
			taken[txID] = true
			if cs[0].payout {
				if txID, err = s.payoutTransfer(ctx, tx, l, txID); err != nil {
					return nil, err
				}
			}
			outs[i].txID = txID
			continue
		}
		outs[i].candidates = cs
	}
	return outs, nil
}

// insertCandidates stores the candidates of the stored lines that outs
// leaves for a person to choose from.
func insertCandidates(ctx context.Context, tx pgx.Tx, lines []*line, outs []outcome) error {
	var (
		lineIDs        []int64
		txIDs, reasons []string
		scores         []int32
	)
	for i, l := range lines {
		if outs[i].txID != "" {
			continue
		}
		for _, c := range outs[i].candidates {
			lineIDs, txIDs, scores, reasons = append(lineIDs, l.id), append(txIDs, c.TransactionID), append(scores, int32(c.Score)), append(reasons, c.Reason)
		}
	}
	if len(lineIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `insert into line_candidates (line_id, transaction_id, score, reason)
		select * from unnest($1::bigint[], $2::uuid[], $3::int[], $4::text[]) on conflict do nothing`,
		lineIDs, txIDs, scores, reasons)
	return err
}

// confirm ties line l to transaction txID, which must be one of its
// candidates. A payout in transit is first moved to the bank.
func (s *ReconciliationService) confirm(ctx context.Context, tx pgx.Tx, l *line, txID, by string) error {
	if l.locked {
		return ledger.Errorf(ledger.ECONFLICT, "statement line %d is in a reconciled period", l.id)
	}
	if l.status == ledger.LineMatched {
		return ledger.Errorf(ledger.ECONFLICT, "statement line %d is matched already; unmatch it first", l.id)
	}
	all, err := candidatesOf(ctx, tx, []*line{l})
	if err != nil {
		return err
	}
	var chosen *candidate
	for i, c := range all[0] {
		if c.TransactionID == txID {
			chosen = &all[0][i]
		}
	}
	if chosen == nil {
		return ledger.Errorf(ledger.EINVALID, "transaction %s does not book statement line %d: it must move %s %s on %s within %d days of %s and not be matched yet",
			txID, l.id, l.amount, l.currency, l.account, matchWindow, l.date.Format(time.DateOnly))
	}
	if chosen.payout {
		transfer, err := s.payoutTransfer(ctx, tx, l, txID)
		if err != nil {
			return err
		}
		txID = transfer
	}
	if _, err := tx.Exec(ctx, `delete from line_candidates where line_id = $1`, l.id); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `update statement_lines set status = 'matched', transaction_id = $2, matched_by = $3, matched_at = $4 where id = $1`,
		l.id, txID, by, s.db.now())
	if isUnique(err, "statement_lines_transaction_id_key") {
		return ledger.Errorf(ledger.ECONFLICT, "transaction %s is matched to another line already", txID)
	}
	return err
}

// payoutTransfer books the arrival of a Stripe payout at the bank: in each
// fund, what the payout put in transit moves to the bank account.
func (s *ReconciliationService) payoutTransfer(ctx context.Context, tx pgx.Tx, l *line, payoutTx string) (string, error) {
	payout, err := findTransaction(ctx, tx, payoutTx)
	if err != nil {
		return "", err
	}
	t := &ledger.Transaction{
		IdempotencyKey: "reconcile:payout:" + payoutTx, EffectiveDate: l.date,
		Description: "Stripe payout arrived at the bank",
		Metadata:    map[string]string{"payout_transaction": payoutTx, "statement_line": l.ref, "stripe_payout": payout.Metadata["stripe_payout"]},
	}
	for _, p := range payout.Postings {
		if p.Account == ledger.AccountBankTransit && p.Amount.IsPositive() {
			t.Postings = append(t.Postings,
				ledger.Posting{Account: l.account, Fund: p.Fund, Amount: p.Amount, Currency: p.Currency},
				ledger.Posting{Account: ledger.AccountBankTransit, Fund: p.Fund, Amount: p.Amount.Neg(), Currency: p.Currency})
		}
	}
	if err := t.Validate(); err != nil {
		return "", err
	}
	if err := appendTransaction(ctx, tx, s.db.now(), t); err != nil {
		return "", err
	}
	return t.ID, nil
}
