package postgres_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func stLine(ref, day, amount, party, remittance string) ledger.StatementLine {
	return ledger.StatementLine{Ref: ref, BookingDate: date(day), Amount: dec(amount), Counterparty: party, Remittance: remittance, BankRef: ref}
}

// december is the bank's statement of assets:bank:eur for December 2011.
func december(t *testing.T) *ledger.BankStatement {
	return &ledger.BankStatement{
		ID: "STMT-2011-12", Account: "DE89370400440532013000", Currency: mustCurrency(t, "EUR"),
		From: date("2011-12-01"), To: date("2011-12-31"), OpeningBalance: dec("1000.00"), ClosingBalance: dec("2935.85"),
		Lines: []ledger.StatementLine{
			stLine("L1", "2011-12-06", "1500.00", "IG Metall Hamburg", "Solidaritaet Zhanaozen"),
			stLine("L2", "2011-12-08", "250.00", "Ingrid Svensson", "DON-ZHANAOZEN"),
			stLine("L3", "2011-12-12", "98.35", "STRIPE", "STRIPE PAYOUT po_dec"),
			stLine("L4", "2011-12-15", "50.00", "A. Donor", ""),
			stLine("L5", "2011-12-16", "50.00", "B. Donor", ""),
			stLine("L6", "2011-12-30", "-12.50", "", "Kontofuehrungsentgelt"),
		},
	}
}

func TestReconcileAMonthToZero(t *testing.T) {
	b := mustBooks(t)
	rs := postgres.NewReconciliationService(b.db)
	cards := postgres.NewCardService(b.db, "")
	eur := mustCurrency(t, "EUR")

	// The books before the statement arrives.
	if _, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: "opening", EffectiveDate: date("2011-11-30"), Description: "Opening balance",
		Postings: []ledger.Posting{posting(t, "assets:bank:eur", "zhanaozen", "1000.00", "EUR"), posting(t, "equity:opening_balances", "zhanaozen", "-1000.00", "EUR")}}); err != nil {
		t.Fatal(err)
	}
	record := func(key, day, amount string) {
		m, _ := ledger.ParseMoney(amount, "EUR")
		if _, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: ledger.ChannelBankTransfer, ReceivedOn: date(day), IdempotencyKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	record("union", "2011-12-05", "1500.00")
	record("a", "2011-12-15", "50.00")
	record("b", "2011-12-16", "50.00")
	paid := &ledger.StripeEvent{ID: "evt_pay", Type: ledger.EventSessionCompleted, Created: date("2011-12-09"), Payload: []byte(`{}`),
		Session: &ledger.CheckoutSession{ID: "cs_1", PaymentStatus: "paid", PaymentIntent: "pi_1", Amount: ledger.Money{Amount: dec("100.00"), Currency: eur},
			ChargeID: "ch_1", Settlement: &ledger.BalanceTransaction{ID: "txn_1", Amount: ledger.Money{Amount: dec("100.00"), Currency: eur}, Fee: ledger.Money{Amount: dec("1.65"), Currency: eur}}}}
	payout := &ledger.StripeEvent{ID: "evt_po", Type: ledger.EventPayoutPaid, Created: date("2011-12-10"), Payload: []byte(`{}`),
		Payout: &ledger.Payout{ID: "po_dec", Status: "paid", Amount: ledger.Money{Amount: dec("98.35"), Currency: eur}}}
	for _, ev := range []*ledger.StripeEvent{paid, payout} {
		if _, err := cards.ApplyStripeEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}

	// Import: the union transfer and the payout match at once; the two 50.00
	// donations each have two candidates, for a person to choose.
	res, err := rs.ImportStatement(ctx, "assets:bank:eur", december(t), "treasurer")
	if err != nil {
		t.Fatal(err)
	}
	if res.Statements != 1 || res.Lines != 6 || res.AutoMatched != 2 || res.Proposed != 2 {
		t.Fatalf("import: %+v", res)
	}
	again, err := rs.ImportStatement(ctx, "assets:bank:eur", december(t), "treasurer")
	if err != nil || again.Lines != 0 || again.Duplicates != 6 || again.Statements != 0 {
		t.Fatalf("re-import added something: %+v %v", again, err)
	}
	lines, err := rs.Lines(ctx, ledger.LineFilter{Account: "assets:bank:eur"})
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]ledger.StoredLine{}
	for _, l := range lines {
		byRef[l.Ref] = l
	}
	if byRef["L3"].Status != ledger.LineMatched || byRef["L4"].Status != ledger.LineProposed || len(byRef["L4"].Candidates) != 2 {
		t.Fatalf("lines after import: %+v", lines)
	}
	// The payout moved from the bank in transit to the bank.
	bals, _ := b.bals.TrialBalance(ctx, ledger.BalanceFilter{})
	if v := balanceOf(bals, "", "assets:bank_in_transit", "EUR"); !v.IsZero() {
		t.Fatalf("payout still in transit: %s", v)
	}

	// The person picks the nearest candidate for each 50.00 line.
	for _, ref := range []string{"L4", "L5"} {
		l := byRef[ref]
		var pick string
		for _, c := range l.Candidates {
			if c.Date.Equal(l.BookingDate) {
				pick = c.TransactionID
			}
		}
		if err := rs.ConfirmMatch(ctx, l.ID, pick, "treasurer"); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.ConfirmMatch(ctx, byRef["L2"].ID, byRef["L1"].TransactionID, "treasurer"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("confirming a transaction that does not book the line: %v", err)
	}
	// Unknown credit: a bank-transfer donation in one action, anonymous by default.
	d, err := rs.LineToDonation(ctx, byRef["L2"].ID, "zhanaozen", ledger.Acknowledgement{}, "treasurer")
	if err != nil || d.Donor.Name != "Ingrid Svensson" || d.Acknowledgement.Display != ledger.AckAnonymous {
		t.Fatalf("line to donation: %+v %v", d, err)
	}
	if _, err := rs.LineToDonation(ctx, byRef["L6"].ID, "zhanaozen", ledger.Acknowledgement{}, "treasurer"); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("a debit as a donation: %v", err)
	}
	// The bank's fee: an expense in one action.
	if _, err := rs.LineToExpense(ctx, byRef["L6"].ID, "zhanaozen", "expenses:fees:bank", "Bank account fee, December", "treasurer"); err != nil {
		t.Fatal(err)
	}

	r, err := rs.Reconcile(ctx, "assets:bank:eur", date("2011-12-01"), date("2011-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	if r.StatementClosing == nil || r.StatementClosing.String() != "2935.85 EUR" || r.LedgerBalance.String() != "2935.85 EUR" ||
		!r.Difference.Amount.IsZero() || len(r.UnmatchedLines) != 0 || len(r.UnmatchedLedger) != 0 {
		t.Fatalf("reconciliation: closing %v books %v difference %v, %d lines and %d entries unmatched",
			r.StatementClosing, r.LedgerBalance, r.Difference, len(r.UnmatchedLines), len(r.UnmatchedLedger))
	}
	if err := rs.MarkReconciled(ctx, "assets:bank:eur", date("2011-12-31"), "treasurer"); err != nil {
		t.Fatal(err)
	}
	// Locked: no unmatching, no new lines in the period, even by hand in SQL.
	if err := rs.Unmatch(ctx, byRef["L1"].ID); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("unmatch a reconciled line: %v", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `update statement_lines set status = 'unmatched', transaction_id = null where ref = 'L1'`); err == nil {
		t.Fatal("the database let a reconciled line change")
	}
	late := december(t)
	late.ID = "STMT-2011-12-CORRECTED"
	late.Lines = append(late.Lines, stLine("L7", "2011-12-20", "5.00", "Late", ""))
	if _, err := rs.ImportStatement(ctx, "assets:bank:eur", late, "treasurer"); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("a new line inside the reconciled period: %v", err)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}

func TestReconcileShowsWhatDoesNotMatch(t *testing.T) {
	b := mustBooks(t)
	rs := postgres.NewReconciliationService(b.db)
	m, _ := ledger.ParseMoney("75.00", "EUR")
	if _, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: ledger.ChannelBankTransfer, ReceivedOn: date("2012-01-03"), IdempotencyKey: "x"}); err != nil {
		t.Fatal(err)
	}
	st := &ledger.BankStatement{ID: "JAN", Currency: mustCurrency(t, "EUR"), To: date("2012-01-31"), OpeningBalance: decimal.Zero, ClosingBalance: dec("20.00"),
		Lines: []ledger.StatementLine{stLine("J1", "2012-01-05", "20.00", "Someone", "")}}
	if _, err := rs.ImportStatement(ctx, "assets:bank:eur", st, "t"); err != nil {
		t.Fatal(err)
	}
	r, err := rs.Reconcile(ctx, "assets:bank:eur", date("2012-01-01"), date("2012-01-31"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Difference.String() != "-55.00 EUR" || len(r.UnmatchedLines) != 1 || len(r.UnmatchedLedger) != 1 || r.UnmatchedLedger[0].Amount.String() != "75.00 EUR" {
		t.Fatalf("reconciliation: %+v", r)
	}
	if err := rs.MarkReconciled(ctx, "assets:bank:eur", date("2012-01-31"), "t"); ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("marking an unreconciled period: %v", err)
	}
	for _, acct := range []string{"income:donations:cash", "assets:nowhere"} {
		if _, err := rs.ImportStatement(ctx, acct, st, "t"); ledger.ErrorCode(err) != ledger.EINVALID {
			t.Fatalf("import into %s: %v", acct, err)
		}
	}
}

// Of two identical candidates, the one whose reference the bank quotes is
// confirmed at once.
func TestReconcileMatchesOnReference(t *testing.T) {
	b := mustBooks(t)
	rs := postgres.NewReconciliationService(b.db)
	for i, ref := range []string{"DON-4711-ABC", "DON-4712-XYZ"} {
		if _, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: fmt.Sprint("t", i), EffectiveDate: date("2012-01-10"),
			Description: "Transfer", Metadata: map[string]string{"reference": ref},
			Postings: []ledger.Posting{posting(t, "assets:bank:eur", "zhanaozen", "30.00", "EUR"), posting(t, "income:donations:bank_transfer", "zhanaozen", "-30.00", "EUR")}}); err != nil {
			t.Fatal(err)
		}
	}
	st := &ledger.BankStatement{ID: "REF", Currency: mustCurrency(t, "EUR"), To: date("2012-01-31"), ClosingBalance: dec("30.00"),
		Lines: []ledger.StatementLine{stLine("R1", "2012-01-11", "30.00", "Donor", "Spende dom-x / DON-4712-XYZ")}}
	res, err := rs.ImportStatement(ctx, "assets:bank:eur", st, "t")
	if err != nil || res.AutoMatched != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	lines, _ := rs.Lines(ctx, ledger.LineFilter{Account: "assets:bank:eur"})
	tx, err := b.txs.FindTransaction(ctx, lines[0].TransactionID)
	if err != nil || tx.Metadata["reference"] != "DON-4712-XYZ" {
		t.Fatalf("matched to %+v %v", tx, err)
	}
}

// A statement of thousands of lines, matched against thousands of
// transactions in one import: every rule of matching at once, each line's
// outcome known beforehand.
func TestReconcileThousandsOfLines(t *testing.T) {
	b := mustBooks(t)
	rs := postgres.NewReconciliationService(b.db)

	// A kind of group: transactions on its days (donations, or payments for
	// a debit), and statement lines with what becomes of them. Every group
	// has its own amount, so groups cannot match each other's transactions.
	type lineSpec struct {
		day    int   // days after the group's first transaction
		quotes []int // transactions whose reference the remittance quotes
		status ledger.LineStatus
		match  int   // matched: the transaction it is matched to
		offers []int // proposed: the transactions offered
	}
	type kind struct {
		name     string
		days     []int // the group's transactions, by day
		debit    bool  // payments from the bank instead of donations
		reversed bool  // the transactions are reversed
		earlier  bool  // an earlier statement matched the first transaction
		lines    []lineSpec
	}
	matched, proposed, unmatched := ledger.LineMatched, ledger.LineProposed, ledger.LineUnmatched
	kinds := []kind{
		{name: "one transaction", days: []int{0}, lines: []lineSpec{{day: 3, status: matched, match: 0}}},
		{name: "one transaction, the bank a day early", days: []int{1}, lines: []lineSpec{{day: 0, status: matched, match: 0}}},
		{name: "at the window's edge", days: []int{0}, lines: []lineSpec{{day: 10, status: matched, match: 0}}},
		{name: "outside the window", days: []int{0}, lines: []lineSpec{{day: 11, status: unmatched}}},
		{name: "a debit", days: []int{0}, debit: true, lines: []lineSpec{{day: 2, status: matched, match: 0}}},
		{name: "nothing in the books", lines: []lineSpec{{day: 0, status: unmatched}}},
		{name: "reversed", days: []int{0}, reversed: true, lines: []lineSpec{{day: 0, status: unmatched}}},
		{name: "matched by an earlier statement", days: []int{0}, earlier: true, lines: []lineSpec{{day: 1, status: unmatched}}},
		{name: "two alike", days: []int{0, 1}, lines: []lineSpec{{day: 0, status: proposed, offers: []int{0, 1}}}},
		{name: "two alike, one quoted", days: []int{0, 1}, lines: []lineSpec{{day: 0, quotes: []int{1}, status: matched, match: 1}}},
		{name: "two alike, both quoted", days: []int{0, 1}, lines: []lineSpec{{day: 0, quotes: []int{0, 1}, status: proposed, offers: []int{0, 1}}}},
		{name: "two lines, one transaction", days: []int{0}, lines: []lineSpec{{day: 0, status: matched, match: 0}, {day: 1, status: unmatched}}},
		{name: "two lines, two alike, the quoting line first", days: []int{0, 0},
			lines: []lineSpec{{day: 0, quotes: []int{0}, status: matched, match: 0}, {day: 0, status: matched, match: 1}}},
		{name: "two lines, two alike, the quoting line second", days: []int{0, 0},
			lines: []lineSpec{{day: 0, status: proposed, offers: []int{0, 1}}, {day: 0, quotes: []int{1}, status: matched, match: 1}}},
	}
	const groups = 2000 // about 2,600 lines and as many transactions
	start := date("2012-01-01")
	type group struct {
		kind   *kind
		day    time.Time
		amount decimal.Decimal
		txs    []*ledger.Transaction
	}
	gs := make([]*group, groups)
	var work []func() error
	for g := range gs {
		k := &kinds[g%len(kinds)]
		gr := &group{kind: k, day: start.AddDate(0, 0, g%300), amount: decimal.New(int64(1000+g), -2), txs: make([]*ledger.Transaction, len(k.days))}
		gs[g] = gr
		for i, day := range k.days {
			i, on, key := i, gr.day.AddDate(0, 0, day), fmt.Sprintf("g%d-%d", g, i)
			work = append(work, func() error {
				if k.debit {
					tx, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{IdempotencyKey: key, EffectiveDate: on, Description: "Bank fee",
						Metadata: map[string]string{"reference": "FEE-" + key},
						Postings: []ledger.Posting{posting(t, "expenses:fees:bank", "zhanaozen", gr.amount.String(), "EUR"),
							posting(t, "assets:bank:eur", "zhanaozen", gr.amount.Neg().String(), "EUR")}})
					gr.txs[i] = tx
					return err
				}
				d, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: ledger.Money{Amount: gr.amount, Currency: mustCurrency(t, "EUR")},
					Channel: ledger.ChannelBankTransfer, ReceivedOn: on, IdempotencyKey: key})
				if err != nil {
					return err
				}
				if gr.txs[i], err = b.txs.FindTransaction(ctx, d.TransactionID); err != nil || !k.reversed {
					return err
				}
				_, err = b.txs.ReverseTransaction(ctx, d.TransactionID, &ledger.Transaction{IdempotencyKey: "reverse-" + key})
				return err
			})
		}
	}
	mustRunAll(t, 8, work)

	// The lines, group after group; each remembers what should become of it.
	type expected struct {
		lineSpec
		gr *group
	}
	eur := mustCurrency(t, "EUR")
	earlier := &ledger.BankStatement{ID: "EARLIER", Currency: eur, To: date("2011-12-31")}
	big := &ledger.BankStatement{ID: "BIG", Currency: eur, From: start, To: date("2012-12-31")}
	want := map[string]expected{}
	for g, gr := range gs {
		sign := decimal.NewFromInt(1)
		if gr.kind.debit {
			sign = sign.Neg()
		}
		if gr.kind.earlier {
			ref := fmt.Sprintf("E%d", g)
			earlier.Lines = append(earlier.Lines, stLine(ref, gr.day.Format(time.DateOnly), gr.amount.String(), "", ""))
			want[ref] = expected{lineSpec{status: matched}, gr}
		}
		for i, ls := range gr.kind.lines {
			ref := fmt.Sprintf("L%d-%d", g, i)
			var quoted []string
			for _, q := range ls.quotes {
				quoted = append(quoted, gr.txs[q].Metadata["donation_id"])
			}
			l := stLine(ref, gr.day.AddDate(0, 0, ls.day).Format(time.DateOnly), gr.amount.Mul(sign).String(), "Donor",
				"Spende "+strings.Join(quoted, " "))
			big.Lines = append(big.Lines, l)
			want[ref] = expected{ls, gr}
		}
	}
	for _, st := range []*ledger.BankStatement{earlier, big} {
		for _, l := range st.Lines {
			st.ClosingBalance = st.ClosingBalance.Add(l.Amount)
		}
	}
	res, err := rs.ImportStatement(ctx, "assets:bank:eur", earlier, "treasurer")
	if err != nil || res.AutoMatched != len(earlier.Lines) {
		t.Fatalf("earlier statement: %+v %v", res, err)
	}
	// The bank sends one line twice: the second is a duplicate.
	big.Lines = append(big.Lines, big.Lines[0])
	res, err = rs.ImportStatement(ctx, "assets:bank:eur", big, "treasurer")
	if err != nil {
		t.Fatal(err)
	}
	count := map[ledger.LineStatus]int{}
	for _, w := range want {
		count[w.status]++
	}
	wantRes := ledger.ImportResult{Statements: 1, Lines: len(big.Lines) - 1, Duplicates: 1,
		AutoMatched: count[matched] - len(earlier.Lines), Proposed: count[proposed]}
	if *res != wantRes {
		t.Fatalf("import: %+v, want %+v", *res, wantRes)
	}
	if count[matched] < 500 || count[proposed] < 200 || count[unmatched] < 500 {
		t.Fatalf("the statement tries too little of each: %v", count)
	}
	t.Logf("%d lines: %v", len(want), count)

	lines, err := rs.Lines(ctx, ledger.LineFilter{Account: "assets:bank:eur"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines stored, want %d", len(lines), len(want))
	}
	for _, l := range lines {
		w, ok := want[l.Ref]
		if !ok {
			t.Fatalf("line %s was not in a statement", l.Ref)
		}
		var got []string
		for _, c := range l.Candidates {
			got = append(got, c.TransactionID)
		}
		var offers []string
		for _, i := range w.offers {
			offers = append(offers, w.gr.txs[i].ID)
		}
		sort.Strings(got)
		sort.Strings(offers)
		switch {
		case l.Status != w.status:
			t.Errorf("%s (%s): %s, want %s", l.Ref, w.gr.kind.name, l.Status, w.status)
		case w.status == matched && l.TransactionID != w.gr.txs[w.match].ID:
			t.Errorf("%s (%s): matched to %s, want %s", l.Ref, w.gr.kind.name, l.TransactionID, w.gr.txs[w.match].ID)
		case w.status != matched && l.TransactionID != "":
			t.Errorf("%s (%s): %s but tied to %s", l.Ref, w.gr.kind.name, l.Status, l.TransactionID)
		case !slices.Equal(got, offers):
			t.Errorf("%s (%s): candidates %v, want %v", l.Ref, w.gr.kind.name, got, offers)
		}
	}

	again, err := rs.ImportStatement(ctx, "assets:bank:eur", big, "treasurer")
	if err != nil || again.Lines != 0 || again.Duplicates != len(big.Lines) || again.Statements != 0 {
		t.Fatalf("re-import added something: %+v %v", again, err)
	}
	b.mustVerify(t)
}

// mustRunAll runs work on n goroutines and fails on the first error.
func mustRunAll(tb testing.TB, n int, work []func() error) {
	tb.Helper()
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make(chan error, n)
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(work); i = int(next.Add(1)) - 1 {
				if err := work[i](); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
}

// Two statements that share their lines (a bank's corrected statement sent
// while the first is being imported), imported at the same time: each line
// is stored and matched once, and the two results add up.
func TestReconcileConcurrentImports(t *testing.T) {
	b := mustBooks(t)
	rs := postgres.NewReconciliationService(b.db)
	eur := mustCurrency(t, "EUR")
	for round := range 5 {
		want := map[string]string{} // line ref: transaction id
		var lines []ledger.StatementLine
		for i := range 20 {
			amount := fmt.Sprintf("%d.%02d", 100+round, i)
			d, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: ledger.Money{Amount: dec(amount), Currency: eur},
				Channel: ledger.ChannelBankTransfer, ReceivedOn: date("2012-02-10"), IdempotencyKey: fmt.Sprintf("c%d-%d", round, i)})
			if err != nil {
				t.Fatal(err)
			}
			ref := fmt.Sprintf("C%d-%d", round, i)
			want[ref] = d.TransactionID
			lines = append(lines, stLine(ref, "2012-02-11", amount, "Donor", ""))
		}
		results := make([]*ledger.ImportResult, 2)
		var work []func() error
		for k := range results {
			st := &ledger.BankStatement{ID: fmt.Sprintf("FEB-%d-%d", round, k), Currency: eur, To: date("2012-02-29"), Lines: lines}
			work = append(work, func() (err error) {
				results[k], err = rs.ImportStatement(ctx, "assets:bank:eur", st, "treasurer")
				return err
			})
		}
		mustRunAll(t, 2, work)
		if r, s := results[0], results[1]; r.Lines+s.Lines != 20 || r.Duplicates+s.Duplicates != 20 || r.AutoMatched+s.AutoMatched != 20 {
			t.Fatalf("round %d: %+v and %+v", round, *r, *s)
		}
		stored, err := rs.Lines(ctx, ledger.LineFilter{Account: "assets:bank:eur"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range stored {
			if tx, ok := want[l.Ref]; ok {
				n++
				if l.TransactionID != tx {
					t.Fatalf("round %d: %s matched to %q, want %s", round, l.Ref, l.TransactionID, tx)
				}
			}
		}
		if n != 20 {
			t.Fatalf("round %d: %d lines stored, want 20", round, n)
		}
	}
}
