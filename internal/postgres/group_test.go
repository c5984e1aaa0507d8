package postgres_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

// groupCase is one concurrent RecordDonation call and what it must get.
type groupCase struct {
	d     *ledger.Donation
	want  string // "" for a donation, else the error code
	got   *ledger.Donation
	err   error
	audit *ledger.AuditEntry // the request's, written with its donation
}

func (b *books) donationFor(tb testing.TB, key, fp, fund, name string) *ledger.Donation {
	tb.Helper()
	m, err := ledger.ParseMoney("10.00", "EUR")
	if err != nil {
		tb.Fatal(err)
	}
	return &ledger.Donation{
		Fund: fund, Amount: m, Channel: ledger.ChannelBankTransfer, ReceivedOn: date("2011-12-20"),
		Donor:          ledger.Donor{Name: name, Email: "donor@example.org"},
		IdempotencyKey: key, Fingerprint: fp,
	}
}

// Concurrent donations share commits, and each caller still gets its own
// donation or its own error: replays, conflicting reuse of a key, the same
// key twice in one group, an unknown fund.
func TestGroupCommitGivesEachCallItsOwnResult(t *testing.T) {
	b := mustBooks(t)
	prior := b.mustDonation(t, "prior", "5.00", "EUR", ledger.ChannelCash)
	if _, err := b.txs.RecordTransaction(ctx, &ledger.Transaction{
		IdempotencyKey: "not-a-donation", EffectiveDate: date("2011-12-20"), Description: "Opening cash",
		Postings: []ledger.Posting{posting(t, "assets:cash", "zhanaozen", "1.00", "EUR"), posting(t, "income:donations:cash", "zhanaozen", "-1.00", "EUR")},
	}); err != nil {
		t.Fatal(err)
	}

	var cases []*groupCase
	for i := range 300 {
		cases = append(cases, &groupCase{d: b.donationFor(t, fmt.Sprintf("g-%d", i), fmt.Sprintf("fp-%d", i), "zhanaozen", "Donor")})
	}
	replay := *prior
	replay.ID, replay.TransactionID = "", ""
	cases = append(cases,
		&groupCase{d: &replay},
		&groupCase{d: b.donationFor(t, "prior", "another-request", "zhanaozen", "Donor"), want: ledger.ECONFLICT},
		&groupCase{d: b.donationFor(t, "not-a-donation", "x", "zhanaozen", "Donor"), want: ledger.ECONFLICT},
		&groupCase{d: b.donationFor(t, "no-fund", "x", "no-such-fund", "Donor"), want: ledger.EINVALID},
		&groupCase{d: b.donationFor(t, "twice", "same", "zhanaozen", "Donor")},
		&groupCase{d: b.donationFor(t, "twice", "same", "zhanaozen", "Donor")},
	)
	var wg sync.WaitGroup
	for _, c := range cases {
		c.audit = &ledger.AuditEntry{Action: "api.post.donations", MemberName: "token: test", Subject: c.d.IdempotencyKey}
		wg.Go(func() { c.got, c.err = b.dons.RecordDonation(ledger.WithAudit(ctx, c.audit), c.d) })
	}
	wg.Wait()

	// Each request that succeeded has its audit entry, written with its
	// donation; those that failed have none.
	audited := 0
	for _, c := range cases {
		if (c.err == nil) != (c.audit.ID != 0) {
			t.Errorf("key %s: err %v, audit entry %d", c.d.IdempotencyKey, c.err, c.audit.ID)
		}
		if c.err == nil {
			audited++
		}
	}
	var entries int
	if err := b.db.Pool.QueryRow(ctx, `select count(*) from audit_log where action = 'api.post.donations'`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != audited {
		t.Errorf("%d audit entries, want %d", entries, audited)
	}

	ids := map[string]string{}
	for _, c := range cases {
		if c.want != "" {
			if ledger.ErrorCode(c.err) != c.want {
				t.Errorf("key %s: got %v, want %s", c.d.IdempotencyKey, c.err, c.want)
			}
			continue
		}
		if c.err != nil {
			t.Errorf("key %s: %v", c.d.IdempotencyKey, c.err)
			continue
		}
		if c.got.IdempotencyKey != c.d.IdempotencyKey || c.got.TransactionID == "" {
			t.Errorf("key %s: got donation %+v", c.d.IdempotencyKey, c.got)
		}
		if id, ok := ids[c.d.IdempotencyKey]; ok && id != c.got.ID {
			t.Errorf("key %s: two donations %s and %s", c.d.IdempotencyKey, id, c.got.ID)
		}
		ids[c.d.IdempotencyKey] = c.got.ID
	}
	if ids["prior"] != prior.ID {
		t.Errorf("replay of prior: got %s, want %s", ids["prior"], prior.ID)
	}

	var donations, receipts, commits int
	if err := b.db.Pool.QueryRow(ctx, `select (select count(*) from donations), (select count(*) from receipts),
		(select count(distinct recorded_at) from transactions where idempotency_key like 'g-%')`).Scan(&donations, &receipts, &commits); err != nil {
		t.Fatal(err)
	}
	if donations != 302 || receipts != 301 {
		t.Errorf("%d donations and %d receipts, want 302 and 301", donations, receipts)
	}
	// Each group is written at one instant: fewer instants than donations
	// shows they shared commits.
	if commits >= 300 {
		t.Errorf("300 concurrent donations took %d commits; group commit did not group", commits)
	}
	t.Logf("300 concurrent donations in %d groups", commits)
	bals := b.mustZeroTrialBalance(t)
	if got := balanceOf(bals, "", "assets:bank:eur", "EUR"); !got.Equal(dec("3010.00")) {
		t.Errorf("bank balance %s, want 3010.00", got)
	}
	b.mustVerify(t)
}

// When the group's database transaction fails, each donation is written on
// its own: only the one the database refuses fails.
func TestGroupCommitFailureFallsBackToEachAlone(t *testing.T) {
	b := mustBooks(t)
	// A rule only the database knows, so the group's transaction fails.
	if _, err := b.db.Pool.Exec(ctx, `alter table donations add constraint test_refuse check (donor_name <> 'Refused')`); err != nil {
		t.Fatal(err)
	}
	var cases []*groupCase
	for i := range 200 {
		name := "Donor"
		if i%50 == 7 {
			name = "Refused"
		}
		cases = append(cases, &groupCase{d: b.donationFor(t, fmt.Sprintf("f-%d", i), "fp", "zhanaozen", name)})
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() { c.got, c.err = b.dons.RecordDonation(ctx, c.d) })
	}
	wg.Wait()
	failed := 0
	for _, c := range cases {
		refused := c.d.Donor.Name == "Refused"
		if refused != (c.err != nil) {
			t.Errorf("key %s (%s): err %v", c.d.IdempotencyKey, c.d.Donor.Name, c.err)
		}
		if c.err != nil {
			failed++
		}
	}
	if failed != 4 {
		t.Errorf("%d failed, want 4", failed)
	}
	var n int
	if err := b.db.Pool.QueryRow(ctx, `select count(*) from donations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 196 {
		t.Errorf("%d donations written, want 196", n)
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
}
