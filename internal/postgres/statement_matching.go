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

// payoutWindow is how many days after a Stripe payout was paid it may
// arrive at the bank.
const payoutWindow = 3

// line is a stored statement line with what matching needs.
type line struct {
	id                              int64
	account, ref, currency          string
	date                            time.Time
	amount                          decimal.Decimal
	e2e, remittance, bankRef, party string
	status                          ledger.LineStatus
	locked                          bool
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

// candidatesSQL finds, for every line in $1 (all of account $2 and currency
// $3), the transactions that may book it: on the same bank account, for the
// same amount in the same currency, effective within the window, not
// matched yet, not reversed. For credits, also Stripe payouts still in
// transit for that amount, paid at most matchWindow days before the line
// and payoutWindow days after it.
//
// The amount a transaction moves on the account is the sum of its postings
// there, so the sums are taken once, over the days some line's window
// covers, and joined to the lines on the amount.
const candidatesSQL = `with l as (
	select id, booking_date, amount from statement_lines where id = any($1::bigint[])
), days as (
	select distinct l.day + d as day from (select distinct booking_date as day from l) l, generate_series(-$4::int, $4::int) d
)
select l.id, b.id::text, b.effective_date, b.description, b.metadata::text, false
from (select t.id, t.effective_date, t.description, t.metadata, sum(p.amount) as amount
	from postings p join transactions t on t.id = p.transaction_id
	where p.account = $2 and p.currency = $3 and t.effective_date in (select day from days) and t.reversal_of is null
	group by t.id) b
join l on l.amount = b.amount and b.effective_date between l.booking_date - $4::int and l.booking_date + $4::int
where not exists (select 1 from transactions r where r.reversal_of = b.id)
and not exists (select 1 from statement_lines sl where sl.transaction_id = b.id)
union all
select l.id, b.id::text, b.effective_date, b.description, b.metadata::text, true
from (select t.id, t.effective_date, t.description, t.metadata, sum(p.amount) as amount
	from postings p join transactions t on t.id = p.transaction_id
	where p.account = 'assets:bank_in_transit' and p.currency = $3 and t.metadata ? 'stripe_payout'
	and t.effective_date in (select day from days) and t.reversal_of is null
	group by t.id) b
join l on l.amount = b.amount and b.effective_date between l.booking_date - $4::int and l.booking_date + $5::int
where l.amount > 0 and not exists (select 1 from transactions r where r.reversal_of = b.id)
and not exists (select 1 from transactions x where x.metadata ? 'payout_transaction' and x.metadata->>'payout_transaction' = b.id::text)`

// candidatesOf returns the candidates of each of lines, which share one
// account and currency, best first: a reference of ours in the bank's
// remittance information, end-to-end id or reference raises the score.
func candidatesOf(ctx context.Context, tx pgx.Tx, lines []*line) (map[int64][]candidate, error) {
	out := map[int64][]candidate{}
	if len(lines) == 0 {
		return out, nil
	}
	byID := make(map[int64]*line, len(lines))
	ids := make([]int64, len(lines))
	for i, l := range lines {
		if l.account != lines[0].account || l.currency != lines[0].currency {
			return nil, fmt.Errorf("candidates of lines of %s %s and %s %s together", lines[0].account, lines[0].currency, l.account, l.currency)
		}
		byID[l.id], ids[i] = l, l.id
	}
	cur, err := ledger.LookupCurrency(lines[0].currency)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, candidatesSQL, ids, lines[0].account, lines[0].currency, matchWindow, payoutWindow)
	if err != nil {
		return nil, err
	}
	var (
		lineID int64
		c      candidate
		meta   string
	)
	_, err = pgx.ForEachRow(rows, []any{&lineID, &c.TransactionID, &c.Date, &c.Description, &meta, &c.payout}, func() error {
		l := byID[lineID]
		c.Amount = ledger.Money{Amount: l.amount, Currency: cur}
		c.Score, c.Reason = score(l, c.Date, meta, c.payout)
		out[lineID] = append(out[lineID], c)
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

// matched counts what matchLines did.
type matched struct{ auto, proposed int }

// matchLines settles lines, which are unmatched and share one account and
// currency, in their order, as if one after the other: with auto, a line
// with a single candidate (or with only one that quotes our reference) is
// matched to it at once, and the transaction is no longer a candidate for
// the lines after it; otherwise the candidates are kept for a person to
// choose from. The candidates of all lines are found together, and the
// lines are written with one statement per outcome.
func (s *ReconciliationService) matchLines(ctx context.Context, tx pgx.Tx, lines []*line, by string, auto bool) (matched, error) {
	var n matched
	all, err := candidatesOf(ctx, tx, lines)
	if err != nil {
		return n, err
	}
	var (
		taken               = map[string]bool{} // matched by an earlier line
		matchLine, propLine []int64
		matchTx             []string
		cLine               []int64
		cTx, cReason        []string
		cScore              []int32
	)
	for _, l := range lines {
		var cs []candidate
		for _, c := range all[l.id] {
			if !taken[c.TransactionID] {
				cs = append(cs, c)
			}
		}
		switch {
		case len(cs) == 0:
			continue
		case auto && (len(cs) == 1 || cs[0].Score >= 100 && cs[1].Score < 100):
			txID := cs[0].TransactionID
			taken[txID] = true
			if cs[0].payout {
				if txID, err = s.payoutTransfer(ctx, tx, l, txID); err != nil {
					return n, err
				}
			}
			matchLine, matchTx = append(matchLine, l.id), append(matchTx, txID)
			continue
		}
		propLine = append(propLine, l.id)
		for _, c := range cs {
			cLine, cTx, cScore, cReason = append(cLine, l.id), append(cTx, c.TransactionID), append(cScore, int32(c.Score)), append(cReason, c.Reason)
		}
	}
	if len(matchLine) > 0 {
		_, err := tx.Exec(ctx, `update statement_lines sl set status = 'matched', transaction_id = m.transaction_id, matched_by = $3, matched_at = $4
			from unnest($1::bigint[], $2::uuid[]) m(id, transaction_id) where sl.id = m.id`,
			matchLine, matchTx, by+" (automatic)", s.db.now())
		if isUnique(err, "statement_lines_transaction_id_key") {
			return n, ledger.Errorf(ledger.ECONFLICT, "a transaction these lines match was matched to another line at the same time; try again")
		}
		if err != nil {
			return n, err
		}
	}
	if len(propLine) > 0 {
		if _, err := tx.Exec(ctx, `insert into line_candidates (line_id, transaction_id, score, reason)
			select * from unnest($1::bigint[], $2::uuid[], $3::int[], $4::text[]) on conflict do nothing`,
			cLine, cTx, cScore, cReason); err != nil {
			return n, err
		}
		if _, err := tx.Exec(ctx, `update statement_lines set status = 'proposed' where id = any($1)`, propLine); err != nil {
			return n, err
		}
	}
	n.auto, n.proposed = len(matchLine), len(propLine)
	return n, nil
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
	for i, c := range all[l.id] {
		if c.TransactionID == txID {
			chosen = &all[l.id][i]
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
