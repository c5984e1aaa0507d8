package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5/pgconn"
)

func mustMoney(tb testing.TB, amount, cur string) ledger.Money {
	tb.Helper()
	m, err := ledger.ParseMoney(amount, cur)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// mustBatch opens a batch in the books' fund expecting count entries with
// the given totals ("1480.00 EUR").
func (b *books) mustBatch(tb testing.TB, key string, count int, totals ...string) *ledger.Batch {
	tb.Helper()
	var ms []ledger.Money
	for _, s := range totals {
		amt, cur, _ := strings.Cut(s, " ")
		ms = append(ms, mustMoney(tb, amt, cur))
	}
	bat, err := b.dons.OpenBatch(ctx, &ledger.Batch{
		Fund: b.fund.Slug, Description: "Cheques from the Hamburg meeting",
		Expected: ledger.ControlTotals{Count: count, Totals: ms}, OpenedBy: "treasurer laptop",
		IdempotencyKey: key, Fingerprint: "fp-" + key,
	})
	if err != nil {
		tb.Fatalf("open batch: %v", err)
	}
	return bat
}

// mustEntry adds an anonymous entry of amount ("50.00 EUR") on ch ("" for
// the batch's channel).
func (b *books) mustEntry(tb testing.TB, batchID, key, amount string, ch ledger.Channel) *ledger.BatchEntry {
	tb.Helper()
	amt, cur, _ := strings.Cut(amount, " ")
	e, err := b.dons.AddBatchEntry(ctx, batchID, &ledger.BatchEntry{
		Donation: ledger.Donation{Amount: mustMoney(tb, amt, cur), Channel: ch, ReceivedOn: date("2011-12-20"),
			Donor: ledger.Donor{Name: "Karl Meier", Country: "DE"}},
		EnteredBy: "treasurer laptop", IdempotencyKey: key, Fingerprint: "fp-" + key,
	})
	if err != nil {
		tb.Fatalf("add entry %s: %v", key, err)
	}
	return e
}

// count returns the number of rows in table.
func (b *books) count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := b.db.Pool.QueryRow(ctx, `select count(*) from `+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func closeReq(key, reason string) ledger.BatchClose {
	return ledger.BatchClose{OverrideReason: reason, IdempotencyKey: key, Fingerprint: "fp-" + key + reason}
}

func TestBatchCloseMatchingPostsEveryEntry(t *testing.T) {
	b := mustBooks(t)
	closedAt := time.Date(2011, 12, 21, 9, 30, 0, 0, time.UTC)
	bat := b.mustBatch(t, "batch-1", 4, "1480.00 EUR", "200.00 GBP")
	b.mustEntry(t, bat.ID, "e1", "1000 EUR", "")
	b.mustEntry(t, bat.ID, "e2", "400.00 EUR", "")
	b.mustEntry(t, bat.ID, "e3", "80 EUR", ledger.ChannelCheque)
	b.mustEntry(t, bat.ID, "e4", "200 GBP", "")
	b.mustDonation(t, "before", "10", "EUR", ledger.ChannelCash)
	txBefore, donBefore := b.count(t, "transactions"), b.count(t, "donations")

	b.db.Now = func() time.Time { return closedAt }
	got, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("close-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ledger.BatchClosed || !got.ControlsMatched || got.OverrideReason != "" ||
		got.ClosedBy != "treasurer laptop" || !got.ClosedAt.Equal(closedAt) {
		t.Fatalf("closed batch %+v", got)
	}
	if n := b.count(t, "transactions") - txBefore; n != 4 {
		t.Fatalf("closing posted %d transactions, want 4", n)
	}
	if n := b.count(t, "donations") - donBefore; n != 4 {
		t.Fatalf("closing recorded %d donations, want 4", n)
	}
	// Each entry became a donation booked exactly as RecordDonation books one.
	for i, e := range got.Entries {
		if e.Donation.ID == "" || e.Donation.TransactionID == "" {
			t.Fatalf("entry %d not posted: %+v", i, e)
		}
		d, err := b.dons.FindDonation(ctx, e.Donation.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Amount.Amount.Equal(e.Donation.Amount.Amount) || d.Channel != e.Donation.Channel || d.Fund != "zhanaozen" ||
			d.Acknowledgement.Display != ledger.AckAnonymous || d.Donor.Name != "Karl Meier" {
			t.Errorf("donation %d = %+v, want the entry %+v, anonymous", i, d, e.Donation)
		}
		tx, err := b.txs.FindTransaction(ctx, d.TransactionID)
		if err != nil {
			t.Fatal(err)
		}
		want := d.Transaction()
		if len(tx.Postings) != 2 || tx.Postings[0].Account != want.Postings[0].Account || tx.Postings[1].Account != want.Postings[1].Account ||
			!tx.Postings[0].Amount.Equal(d.Amount.Amount) || tx.Description != want.Description || tx.Metadata["donation_id"] != d.ID {
			t.Errorf("entry %d booked as %+v, want %+v", i, tx, want)
		}
		if !tx.RecordedAt.Equal(closedAt) {
			t.Errorf("entry %d recorded at %v, want the closing time", i, tx.RecordedAt)
		}
	}
	bals := b.mustZeroTrialBalance(t)
	for _, want := range []struct{ account, cur, amount string }{
		{"assets:bank:eur", "EUR", "1400"},
		{"assets:bank:gbp", "GBP", "200"},
		{"assets:cheques_in_transit", "EUR", "80"},
		{"income:donations:bank_transfer", "EUR", "-1400"},
		{"income:donations:bank_transfer", "GBP", "-200"},
		{"income:donations:cheque", "EUR", "-80"},
	} {
		if v := balanceOf(bals, "", want.account, want.cur); !v.Equal(dec(want.amount)) {
			t.Errorf("%s %s = %s, want %s", want.account, want.cur, v, want.amount)
		}
	}
	r := b.mustVerify(t)
	if r.Transactions != int64(txBefore+4) {
		t.Errorf("verify saw %d transactions", r.Transactions)
	}
	found, err := b.dons.FindBatch(ctx, bat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if found.Status != ledger.BatchClosed || len(found.Entries) != 4 || found.Entries[3].Donation.TransactionID != got.Entries[3].Donation.TransactionID {
		t.Fatalf("batch read back %+v", found)
	}
}

func TestBatchCloseRefusesMismatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []string
		want    []string
	}{
		{"count", []string{"1000 EUR", "480 EUR"}, []string{"expected 3 entries, 1480.00 EUR + 200.00 GBP", "entered 2 entries, 1480.00 EUR", "count 2 instead of 3", "GBP 0.00 instead of 200.00"}},
		{"one cent", []string{"1000 EUR", "479.99 EUR", "200 GBP"}, []string{"entered 3 entries, 1479.99 EUR + 200.00 GBP", "EUR 1479.99 instead of 1480.00"}},
		{"missing currency", []string{"1000 EUR", "400 EUR", "80 EUR"}, []string{"entered 3 entries, 1480.00 EUR", "GBP 0.00 instead of 200.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBooks(t)
			bat := b.mustBatch(t, "batch", 3, "1480.00 EUR", "200.00 GBP")
			for i, e := range tc.entries {
				b.mustEntry(t, bat.ID, fmt.Sprint("e", i), e, "")
			}
			_, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("close", ""))
			var mm *ledger.ControlMismatchError
			if !errors.As(err, &mm) || ledger.ErrorCode(err) != ledger.ECONFLICT {
				t.Fatalf("close = %v, want a control total mismatch", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(ledger.ErrorMessage(err), w) {
					t.Errorf("message %q does not contain %q", ledger.ErrorMessage(err), w)
				}
			}
			if n := b.count(t, "transactions"); n != 0 {
				t.Fatalf("%d transactions posted by a refused close", n)
			}
			found, err := b.dons.FindBatch(ctx, bat.ID)
			if err != nil || found.Status != ledger.BatchOpen {
				t.Fatalf("batch after a refused close: %+v %v", found, err)
			}
		})
	}
}

func TestBatchCloseWithOverride(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 3, "1480.00 EUR")
	b.mustEntry(t, bat.ID, "e1", "1000 EUR", "")
	b.mustEntry(t, bat.ID, "e2", "479.99 EUR", "")

	_, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c0", "lost"))
	if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), "override_reason must be at least 10 characters") {
		t.Fatalf("short reason: %v", err)
	}
	at := time.Date(2011, 12, 22, 16, 0, 0, 0, time.UTC)
	b.db.Now = func() time.Time { return at }
	reason := "  One cheque was lost in the post; the donor sends another.  "
	got, err := b.dons.CloseBatch(ctx, bat.ID, "committee laptop", closeReq("c1", reason))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ledger.BatchClosed || got.ControlsMatched || got.OverrideReason != strings.TrimSpace(reason) ||
		got.ClosedBy != "committee laptop" || !got.ClosedAt.Equal(at) {
		t.Fatalf("closed with override: %+v", got)
	}
	if n := b.count(t, "transactions"); n != 2 {
		t.Fatalf("%d transactions, want the 2 entries posted", n)
	}
	var reasonDB, by string
	var matched bool
	if err := b.db.Pool.QueryRow(ctx, `select override_reason, closed_by, controls_matched from batches where id = $1`, bat.ID).Scan(&reasonDB, &by, &matched); err != nil {
		t.Fatal(err)
	}
	if reasonDB != strings.TrimSpace(reason) || by != "committee laptop" || matched {
		t.Fatalf("override recorded as %q by %q, matched %v", reasonDB, by, matched)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}

func TestBatchCloseTwice(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 2, "150 EUR")
	b.mustEntry(t, bat.ID, "e1", "100 EUR", "")
	b.mustEntry(t, bat.ID, "e2", "50 EUR", "")
	first, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c1", ""))
	if err != nil {
		t.Fatal(err)
	}
	b.db.Now = func() time.Time { return time.Now().Add(time.Hour) }
	for _, req := range []ledger.BatchClose{
		closeReq("c1", ""),                         // a retry
		closeReq("c2", ""),                         // a second close
		closeReq("c3", "closing it once more now"), // with a reason
	} {
		again, err := b.dons.CloseBatch(ctx, bat.ID, "someone else", req)
		if err != nil {
			t.Fatalf("close again with %s: %v", req.IdempotencyKey, err)
		}
		if again.ClosedBy != first.ClosedBy || !again.ClosedAt.Equal(first.ClosedAt) || again.OverrideReason != "" ||
			again.Entries[0].Donation.TransactionID != first.Entries[0].Donation.TransactionID {
			t.Fatalf("closing again changed the batch: %+v, first %+v", again, first)
		}
	}
	_, err = b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c1", "a different body this time"))
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("the first close's key with a different request: %v, want conflict", err)
	}
	if n := b.count(t, "transactions"); n != 2 {
		t.Fatalf("%d transactions, want 2", n)
	}
	other := b.mustBatch(t, "other", 1, "5 EUR")
	b.mustEntry(t, other.ID, "o1", "5 EUR", "")
	_, err = b.dons.CloseBatch(ctx, other.ID, "treasurer laptop", closeReq("c1", ""))
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("another batch's close key: %v, want conflict", err)
	}
	b.mustVerify(t)
}

// TestBatchCloseAtomic makes one entry fail in several ways: nothing of the
// batch is posted, and it closes once the cause is gone.
func TestBatchCloseAtomic(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 3, "113.13 EUR")
	b.mustEntry(t, bat.ID, "e1", "50 EUR", "")
	b.mustEntry(t, bat.ID, "e2", "50 EUR", "")
	e3 := b.mustEntry(t, bat.ID, "e3", "13.13 EUR", ledger.ChannelCheque)
	b.mustDonation(t, "before", "10", "EUR", ledger.ChannelCash)
	var headBefore int64
	if err := b.db.Pool.QueryRow(ctx, `select seq from ledger_head`).Scan(&headBefore); err != nil {
		t.Fatal(err)
	}
	nothingPosted := func(t *testing.T) {
		t.Helper()
		var head int64
		if err := b.db.Pool.QueryRow(ctx, `select seq from ledger_head`).Scan(&head); err != nil {
			t.Fatal(err)
		}
		if head != headBefore || b.count(t, "transactions") != 1 || b.count(t, "donations") != 1 {
			t.Fatalf("a failed close left something posted: head %d (was %d), %d transactions", head, headBefore, b.count(t, "transactions"))
		}
		var unposted int
		if err := b.db.Pool.QueryRow(ctx, `select count(*) from batch_entries where batch_id = $1 and donation_id is null`, bat.ID).Scan(&unposted); err != nil || unposted != 3 {
			t.Fatalf("%d entries unposted (%v), want 3", unposted, err)
		}
		found, err := b.dons.FindBatch(ctx, bat.ID)
		if err != nil || found.Status != ledger.BatchOpen {
			t.Fatalf("batch after a failed close: %v %v", found.Status, err)
		}
		bals := b.mustZeroTrialBalance(t)
		if v := balanceOf(bals, "", "income:donations:bank_transfer", "EUR"); !v.IsZero() {
			t.Fatalf("bank transfer income %s after a failed close", v)
		}
		b.mustVerify(t)
	}

	t.Run("a missing account", func(t *testing.T) {
		if _, err := b.db.Pool.Exec(ctx, `delete from accounts where code = 'assets:cheques_in_transit'`); err != nil {
			t.Fatal(err)
		}
		_, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c1", ""))
		if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), "entries[2] (entry "+e3.ID+"): account assets:cheques_in_transit does not exist") {
			t.Fatalf("close = %v", err)
		}
		nothingPosted(t)
		if _, err := b.db.Pool.Exec(ctx, `insert into accounts (code, name, type, parent) values ('assets:cheques_in_transit', 'Cheques', 'asset', 'assets')`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an error after two entries were posted", func(t *testing.T) {
		_, err := b.db.Pool.Exec(ctx, `create function fail_donation() returns trigger language plpgsql as $$
			begin
				if new.amount = 13.13 then raise exception 'forced failure' using errcode = 'P0001'; end if;
				return new;
			end $$;
			create trigger fail_donation before insert on donations for each row execute function fail_donation();`)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c2", ""))
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Message != "forced failure" || !strings.Contains(err.Error(), "entries[2]") {
			t.Fatalf("close = %v, want the forced failure of entries[2]", err)
		}
		nothingPosted(t)
		if _, err := b.db.Pool.Exec(ctx, `drop trigger fail_donation on donations`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an entry's key already used", func(t *testing.T) {
		_, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: mustMoney(t, "1", "EUR"),
			Channel: ledger.ChannelCash, ReceivedOn: date("2011-12-20"), IdempotencyKey: "batch:" + bat.ID + ":" + e3.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c3", ""))
		if ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "entries[2]") {
			t.Fatalf("close = %v, want a conflict naming entries[2]", err)
		}
		var n int
		if err := b.db.Pool.QueryRow(ctx, `select count(*) from batch_entries where batch_id = $1 and donation_id is null`, bat.ID).Scan(&n); err != nil || n != 3 {
			t.Fatalf("%d entries unposted (%v), want 3", n, err)
		}
		if _, err := b.db.Pool.Exec(ctx, `delete from batch_entries where id = $1`, e3.ID); err != nil {
			t.Fatal(err)
		}
	})

	// Without the failing entry, the batch closes (with an override: it
	// now holds two entries of three).
	got, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("c4", "the third cheque bounced"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 2 || got.Entries[1].Donation.TransactionID == "" {
		t.Fatalf("closed %+v", got)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}

func TestBatchConcurrentClose(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 5, "500 EUR")
	for i := range 5 {
		b.mustEntry(t, bat.ID, fmt.Sprint("e", i), "100 EUR", "")
	}
	// Other donations land on the same balance rows meanwhile.
	const closers = 8
	var (
		wg      sync.WaitGroup
		results = make([]*ledger.Batch, closers)
		errs    = make([]error, closers+4)
	)
	for i := range closers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = b.dons.CloseBatch(ctx, bat.ID, fmt.Sprint("closer ", i), closeReq(fmt.Sprint("close-", i), ""))
		}()
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[closers+i] = b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: mustMoney(t, "7", "EUR"),
				Channel: ledger.ChannelBankTransfer, ReceivedOn: date("2011-12-20"), IdempotencyKey: fmt.Sprint("single-", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	for i, r := range results {
		if r.ClosedBy != results[0].ClosedBy || !r.ClosedAt.Equal(results[0].ClosedAt) || r.Entries[4].Donation.ID != results[0].Entries[4].Donation.ID {
			t.Fatalf("close %d saw %+v, close 0 saw %+v", i, r, results[0])
		}
	}
	if n := b.count(t, "transactions"); n != 5+4 {
		t.Fatalf("%d transactions, want the 5 entries posted once and 4 single donations", n)
	}
	bals := b.mustZeroTrialBalance(t)
	if v := balanceOf(bals, "", "assets:bank:eur", "EUR"); !v.Equal(dec("528")) {
		t.Fatalf("bank %s, want 528", v)
	}
	b.mustVerify(t)
}

func TestBatchEntries(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 2, "150 EUR")
	again := b.mustBatch(t, "batch", 2, "150 EUR")
	if again.ID != bat.ID {
		t.Fatalf("opening with the same key made batch %s, then %s", bat.ID, again.ID)
	}
	_, err := b.dons.OpenBatch(ctx, &ledger.Batch{Fund: "zhanaozen", Description: "x", Expected: ledger.ControlTotals{Count: 1, Totals: []ledger.Money{mustMoney(t, "1", "EUR")}},
		IdempotencyKey: "batch", Fingerprint: "another"})
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("same key, another request: %v", err)
	}
	_, err = b.dons.OpenBatch(ctx, &ledger.Batch{Fund: "nofund", Description: "x", Expected: ledger.ControlTotals{Count: 1, Totals: []ledger.Money{mustMoney(t, "1", "EUR")}},
		IdempotencyKey: "b2"})
	if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), `fund "nofund" does not exist`) {
		t.Fatalf("unknown fund: %v", err)
	}

	e1 := b.mustEntry(t, bat.ID, "e1", "100 EUR", "")
	if e1.Donation.Channel != ledger.ChannelBankTransfer || e1.Donation.Acknowledgement.Display != ledger.AckAnonymous || e1.EnteredBy != "treasurer laptop" {
		t.Fatalf("entry %+v", e1)
	}
	if replay := b.mustEntry(t, bat.ID, "e1", "100 EUR", ""); replay.ID != e1.ID {
		t.Fatalf("replayed entry got id %s, first %s", replay.ID, e1.ID)
	}
	_, err = b.dons.AddBatchEntry(ctx, bat.ID, &ledger.BatchEntry{Donation: ledger.Donation{Amount: mustMoney(t, "5", "EUR"), ReceivedOn: date("2011-12-20")},
		IdempotencyKey: "e1", Fingerprint: "another"})
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("entry key reused: %v", err)
	}
	_, err = b.dons.AddBatchEntry(ctx, bat.ID, &ledger.BatchEntry{Donation: ledger.Donation{Amount: mustMoney(t, "5", "EUR"), ReceivedOn: date("2011-12-20"),
		Channel: ledger.ChannelOrganisation}, IdempotencyKey: "bad"})
	if ledger.ErrorCode(err) != ledger.EINVALID || !strings.Contains(ledger.ErrorMessage(err), "donor.organisation is required") {
		t.Fatalf("invalid entry: %v", err)
	}
	wrong := b.mustEntry(t, bat.ID, "e2", "500 EUR", "")
	b.mustEntry(t, bat.ID, "e3", "50 EUR", "")

	if err := b.dons.RemoveBatchEntry(ctx, bat.ID, wrong.ID, "treasurer laptop", "rm1", "fp-rm1"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"rm1", "rm2"} { // a retry, and a second removal
		if err := b.dons.RemoveBatchEntry(ctx, bat.ID, wrong.ID, "treasurer laptop", key, "fp-"+key); err != nil {
			t.Fatalf("removing again with %s: %v", key, err)
		}
	}
	err = b.dons.RemoveBatchEntry(ctx, bat.ID, e1.ID, "treasurer laptop", "rm1", "fp-other")
	if ledger.ErrorCode(err) != ledger.ECONFLICT {
		t.Fatalf("removal key reused: %v", err)
	}
	err = b.dons.RemoveBatchEntry(ctx, bat.ID, "7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60", "treasurer laptop", "rm3", "fp-rm3")
	if ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("removing an unknown entry: %v", err)
	}
	if _, err := b.dons.FindBatch(ctx, "7c4e0f1e-8d2a-4d6e-9f0a-2b1c3d4e5f60"); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("unknown batch: %v", err)
	}
	found, err := b.dons.FindBatch(ctx, bat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if entered := found.Entered(); entered.Count != 2 || !entered.Total("EUR").Equal(dec("150")) {
		t.Fatalf("entered %v after the removal", entered)
	}

	if _, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("close", "")); err != nil {
		t.Fatal(err)
	}
	_, err = b.dons.AddBatchEntry(ctx, bat.ID, &ledger.BatchEntry{Donation: ledger.Donation{Amount: mustMoney(t, "5", "EUR"), ReceivedOn: date("2011-12-20")}, IdempotencyKey: "late"})
	if ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "is closed") {
		t.Fatalf("adding to a closed batch: %v", err)
	}
	if replay := b.mustEntry(t, bat.ID, "e1", "100 EUR", ""); replay.ID != e1.ID || replay.Donation.TransactionID == "" {
		t.Fatalf("a retry after the close gets %+v", replay)
	}
	err = b.dons.RemoveBatchEntry(ctx, bat.ID, e1.ID, "treasurer laptop", "rm4", "fp-rm4")
	if ledger.ErrorCode(err) != ledger.ECONFLICT || !strings.Contains(ledger.ErrorMessage(err), "is closed") {
		t.Fatalf("removing from a closed batch: %v", err)
	}
}

// TestBatchClosedInSQL writes around the service: the database itself
// keeps a closed batch as it was, and closes a batch only when its entries
// are posted and its control totals honoured.
func TestBatchClosedInSQL(t *testing.T) {
	b := mustBooks(t)
	bat := b.mustBatch(t, "batch", 1, "100 EUR")
	e := b.mustEntry(t, bat.ID, "e1", "100 EUR", "")

	// An open batch cannot be marked closed with its entries unposted.
	_, err := b.db.Pool.Exec(ctx, `update batches set status = 'closed', closed_at = now(), closed_by = 'psql', close_key = 'k',
		close_fingerprint = '', controls_matched = true where id = $1`, bat.ID)
	wantSQLState(t, err, "23514", "not posted")

	if _, err := b.dons.CloseBatch(ctx, bat.ID, "treasurer laptop", closeReq("close", "")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sql string
		args      []any
	}{
		{"update the batch", `update batches set description = 'changed' where id = $1`, []any{bat.ID}},
		{"delete the batch", `delete from batches where id = $1`, []any{bat.ID}},
		{"update an entry", `update batch_entries set amount = 1 where id = $1`, []any{e.ID}},
		{"delete an entry", `delete from batch_entries where id = $1`, []any{e.ID}},
		{"insert an entry", `insert into batch_entries (id, batch_id, amount, currency, channel, received_on, ack_display, idempotency_key, entered_at)
			values (gen_random_uuid(), $1, 5, 'EUR', 'cash', '2011-12-20', 'anonymous', 'sneaked', now())`, []any{bat.ID}},
		{"change the control totals", `update batch_expected_totals set amount = 1 where batch_id = $1`, []any{bat.ID}},
		{"add a control total", `insert into batch_expected_totals (batch_id, currency, amount) values ($1, 'GBP', 5)`, []any{bat.ID}},
		{"record a removal", `insert into batch_removals (entry_id, batch_id, idempotency_key, removed_at) values (gen_random_uuid(), $1, 'x', now())`, []any{bat.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.db.Pool.Exec(ctx, tc.sql, tc.args...)
			wantSQLState(t, err, "23001", "is closed")
		})
	}

	// A batch closed by hand against its control totals needs a reason, and
	// controls_matched must tell the truth.
	other := b.mustBatch(t, "other", 2, "100 EUR")
	b.mustEntry(t, other.ID, "o1", "100 EUR", "")
	_, err = b.db.Pool.Exec(ctx, `update batches set status = 'closed', closed_at = now(), closed_by = 'psql', close_key = 'k2',
		close_fingerprint = '', controls_matched = false where id = $1`, other.ID)
	wantSQLState(t, err, "23514", "batches_check")
	_, err = b.db.Pool.Exec(ctx, `insert into batch_entries (id, batch_id, amount, currency, channel, received_on, ack_display, idempotency_key, entered_at)
		values (gen_random_uuid(), $1, 5.001, 'EUR', 'cash', '2011-12-20', 'anonymous', 'scale', now())`, other.ID)
	wantSQLState(t, err, "23514", "decimal places")
}

// wantSQLState fails unless err is a PostgreSQL error with the given
// SQLSTATE whose message or constraint mentions sub.
func wantSQLState(tb testing.TB, err error, code, sub string) {
	tb.Helper()
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		tb.Fatalf("got %v, want SQLSTATE %s", err, code)
	}
	if pg.Code != code || !strings.Contains(pg.Message+" "+pg.ConstraintName, sub) {
		tb.Fatalf("got SQLSTATE %s %q (constraint %q), want %s mentioning %q", pg.Code, pg.Message, pg.ConstraintName, code, sub)
	}
}
