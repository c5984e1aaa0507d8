package postgres_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// donors of every consent kind, with personal data that must never reach
// the public list unless consented and approved.
func consentDonations(t *testing.T, b *books) map[string]*ledger.Donation {
	t.Helper()
	out := map[string]*ledger.Donation{}
	for i, tc := range []struct {
		key     string
		donor   ledger.Donor
		ack     ledger.Acknowledgement
		message string
		ch      ledger.Channel
	}{
		{"named", ledger.Donor{Name: "Maria Schmidt", Email: "maria@example.org", Country: "DE"}, ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: true}, "Solidarität!", ledger.ChannelBankTransfer},
		{"alias", ledger.Donor{Name: "Secret Person", Email: "secret@example.org"}, ledger.Acknowledgement{Display: ledger.AckAlias, Alias: "A miner's daughter"}, "", ledger.ChannelCash},
		{"org", ledger.Donor{Name: "Jan Kowalski", Organisation: "Metalworkers, Gdańsk branch"}, ledger.Acknowledgement{Display: ledger.AckOrganisation, ShowAmount: true}, "", ledger.ChannelOrganisation},
		{"anon", ledger.Donor{Name: "Hidden Donor", Email: "hidden@example.org"}, ledger.Acknowledgement{Display: ledger.AckAnonymous, ShowAmount: true}, "", ledger.ChannelBankTransfer},
		{"anon-msg", ledger.Donor{Name: "Quiet Donor"}, ledger.Acknowledgement{Display: ledger.AckAnonymous}, "<script>alert(1)</script>", ledger.ChannelCheque},
	} {
		m, _ := ledger.ParseMoney(fmt.Sprint(10*(i+1)), "EUR")
		d, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: tc.ch, ReceivedOn: date("2011-12-20").AddDate(0, 0, i),
			Donor: tc.donor, Acknowledgement: tc.ack, Message: tc.message, IdempotencyKey: tc.key})
		if err != nil {
			t.Fatal(err)
		}
		out[tc.key] = d
	}
	return out
}

func TestAcknowledgementsShowOnlyWhatWasConsentedAndApproved(t *testing.T) {
	b := mustBooks(t)
	acks := postgres.NewAcknowledgementService(b.db)
	ds := consentDonations(t, b)
	list := func() map[string]ledger.PublicAck {
		page, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]ledger.PublicAck{}
		for _, e := range page.Entries {
			out[e.Date.Format("02")] = e
		}
		return out
	}
	secrets := []string{"Maria", "Schmidt", "maria@", "Secret Person", "Jan Kowalski", "Hidden Donor", "Quiet Donor", "hidden@", "Solidarität", "script", "A miner's daughter", "Gdańsk"}
	check := func(entries map[string]ledger.PublicAck, allowed ...string) {
		t.Helper()
		all := fmt.Sprintf("%+v", entries)
		for _, s := range secrets {
			ok := false
			for _, a := range allowed {
				ok = ok || strings.Contains(a, s) || strings.Contains(s, a)
			}
			if !ok && strings.Contains(all, s) {
				t.Fatalf("public list shows %q before it may: %s", s, all)
			}
		}
	}
	// Before moderation: all five acknowledged, all anonymous, no message.
	before := list()
	if len(before) != 5 {
		t.Fatalf("%d acknowledgements, want 5", len(before))
	}
	check(before)
	if e := before["20"]; e.From != "" || e.Amount == nil || e.Amount.String() != "10.00 EUR" {
		t.Fatalf("named donor before approval: %+v", e)
	}
	if e := before["21"]; e.Amount != nil {
		t.Fatalf("alias donor who did not consent to show the amount: %+v", e)
	}

	queue, err := acks.ModerationQueue(ctx, 0)
	if err != nil || len(queue) != 4 { // all but the anonymous one without a message
		t.Fatalf("moderation queue: %d %v", len(queue), err)
	}
	var ids []string
	for _, it := range queue {
		if it.DonationID != ds["anon-msg"].ID {
			ids = append(ids, it.DonationID)
		}
	}
	if n, err := acks.Moderate(ctx, ids, ledger.ModerationApproved); err != nil || n != 3 {
		t.Fatalf("approve: %d %v", n, err)
	}
	if _, err := acks.Moderate(ctx, []string{ds["anon-msg"].ID}, ledger.ModerationHidden); err != nil {
		t.Fatal(err)
	}
	after := list()
	check(after, "Maria Schmidt", "Solidarität!", "A miner's daughter", "Metalworkers, Gdańsk branch")
	if after["20"].From != "Maria Schmidt" || after["20"].Message != "Solidarität!" || after["20"].Channel != ledger.ChannelBankTransfer {
		t.Fatalf("approved named donor: %+v", after["20"])
	}
	if after["21"].From != "A miner's daughter" || after["22"].From != "Metalworkers, Gdańsk branch" || after["23"].From != "" || after["24"].Message != "" {
		t.Fatalf("approved list: %+v", after)
	}

	// A reversed donation leaves the list, once the reversal is notified.
	if _, err := b.txs.ReverseTransaction(ctx, ds["org"].TransactionID, &ledger.Transaction{IdempotencyKey: "rev"}); err != nil {
		t.Fatal(err)
	}
	waitList(t, acks, ledger.AckFilter{}, "4 acknowledgements after a reversal", func(p *ledger.AckPage) bool { return len(p.Entries) == 4 })
	if _, err := acks.Moderate(ctx, []string{"00000000-0000-0000-0000-000000000000"}, ledger.ModerationApproved); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("moderate a missing donation: %v", err)
	}
}

func TestAcknowledgementPages(t *testing.T) {
	b := mustBooks(t)
	acks := postgres.NewAcknowledgementService(b.db)
	m, _ := ledger.ParseMoney("5", "EUR")
	for i := 0; i < 23; i++ { // several per day, so the order within a day matters
		if _, err := b.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: ledger.ChannelCash,
			ReceivedOn: date("2012-01-01").AddDate(0, 0, i/3), IdempotencyKey: fmt.Sprint("p", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	var pages []*ledger.AckPage
	for {
		p, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{After: cursor, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		for _, e := range p.Entries {
			seen = append(seen, e.Cursor)
		}
		if p.Older == "" {
			break
		}
		cursor = p.Older
	}
	if len(seen) != 23 || len(pages) != 5 {
		t.Fatalf("walked %d entries on %d pages, want 23 on 5", len(seen), len(pages))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] && seen[i][:8] != seen[i-1][:8] {
			t.Fatalf("entries out of order at %d", i)
		}
	}
	uniq := map[string]bool{}
	for _, c := range seen {
		uniq[c] = true
	}
	if len(uniq) != 23 {
		t.Fatalf("%d distinct entries, want 23", len(uniq))
	}
	// Back from the third page to the second: the same entries.
	back, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{Before: pages[2].Newer, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Entries) != fmt.Sprint(pages[1].Entries) {
		t.Fatalf("newer page differs:\n%v\n%v", back.Entries, pages[1].Entries)
	}
	if _, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{After: "garbage"}); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("bad cursor: %v", err)
	}
	slug := "zhanaozen"
	if p, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{Fund: &slug, Limit: 100}); err != nil || len(p.Entries) != 23 {
		t.Fatalf("per fund: %v", err)
	}
}

func TestAcknowledgementChangeAndReceipts(t *testing.T) {
	b := mustBooks(t)
	acks := postgres.NewAcknowledgementService(b.db)
	ds := consentDonations(t, b)
	rs, err := acks.ClaimReceipts(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 { // the donors who gave an email
		t.Fatalf("%d receipts due, want 3", len(rs))
	}
	again, _ := acks.ClaimReceipts(ctx, 10, time.Minute)
	if len(again) != 0 {
		t.Fatalf("claimed receipts were handed out twice: %d", len(again))
	}
	var named *ledger.Receipt
	for _, r := range rs {
		if r.DonationID == ds["named"].ID {
			named = r
		}
	}
	if named == nil || named.Email != "maria@example.org" || named.Amount.String() != "10.00 EUR" || !strings.HasPrefix(named.AckToken, "ack_") {
		t.Fatalf("receipt %+v", named)
	}
	d, err := acks.AckByToken(ctx, named.AckToken)
	if err != nil || d.ID != ds["named"].ID {
		t.Fatalf("link: %v %v", d, err)
	}
	// The donor chooses anonymity: published at once. Then an alias: back to moderation.
	if err := acks.ChangeAcknowledgement(ctx, named.AckToken, ledger.Acknowledgement{Display: ledger.AckAnonymous}); err != nil {
		t.Fatal(err)
	}
	if err := acks.ChangeAcknowledgement(ctx, named.AckToken, ledger.Acknowledgement{Display: ledger.AckAlias}); ledger.ErrorCode(err) != ledger.EINVALID {
		t.Fatalf("alias without alias: %v", err)
	}
	if _, err := acks.AckByToken(ctx, "ack_forged"); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("forged link: %v", err)
	}
	if err := acks.ReceiptSent(ctx, named.DonationID); err != nil {
		t.Fatal(err)
	}
	retry := time.Now().Add(-time.Second)
	if err := acks.ReceiptFailed(ctx, rs[1].DonationID, "451 try later", &retry); err != nil {
		t.Fatal(err)
	}
	due, _ := acks.ClaimReceipts(ctx, 10, time.Minute)
	if len(due) != 1 || due[0].DonationID != rs[1].DonationID || due[0].Attempts != 1 {
		t.Fatalf("retry: %+v", due)
	}
	if err := acks.ReceiptFailed(ctx, due[0].DonationID, "550 no such user", nil); err != nil {
		t.Fatal(err)
	}
	var sent, failed int
	b.db.Pool.QueryRow(ctx, `select count(*) filter (where status = 'sent'), count(*) filter (where status = 'failed') from receipts`).Scan(&sent, &failed)
	if sent != 1 || failed != 1 {
		t.Fatalf("receipts: %d sent, %d failed", sent, failed)
	}
}

// notified bounds the wait for a change made elsewhere (another service,
// another server, plain SQL) to reach the cache through its notification.
const notified = 10 * time.Second

func mustList(tb testing.TB, acks *postgres.AcknowledgementService, f ledger.AckFilter) *ledger.AckPage {
	tb.Helper()
	p, err := acks.ListAcknowledgements(ctx, f)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// waitList reads the list until ok holds of the page, for as long as a
// notification may take.
func waitList(tb testing.TB, acks *postgres.AcknowledgementService, f ledger.AckFilter, what string, ok func(*ledger.AckPage) bool) *ledger.AckPage {
	tb.Helper()
	deadline := time.Now().Add(notified)
	for {
		p := mustList(tb, acks, f)
		if ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s the list still lacks %s: %+v", notified, what, p.Entries)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitCached reads the list until the same page comes back twice: the
// listener listens and the page is served from memory.
func waitCached(tb testing.TB, acks *postgres.AcknowledgementService, f ledger.AckFilter) *ledger.AckPage {
	tb.Helper()
	prev := mustList(tb, acks, f)
	deadline := time.Now().Add(notified)
	for {
		p := mustList(tb, acks, f)
		if p == prev {
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s the list is still read from the database on every request", notified)
		}
		prev = p
		time.Sleep(2 * time.Millisecond)
	}
}

func shows(p *ledger.AckPage, s string) bool {
	for _, e := range p.Entries {
		if strings.Contains(e.From, s) || strings.Contains(e.Message, s) || strings.Contains(e.FundName, s) {
			return true
		}
	}
	return false
}

// The cached list follows every kind of change: made through this service,
// it shows on the very next request; made elsewhere (another server, another
// service, SQL), as soon as its notification arrives. Each step starts with
// the page before the change cached.
func TestCachedListFollowsEveryChange(t *testing.T) {
	b := mustBooks(t)
	here := postgres.NewAcknowledgementService(b.db)
	elsewhere := postgres.NewAcknowledgementService(b.db) // another server on the same database
	ds := consentDonations(t, b)
	rs, err := here.ClaimReceipts(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, r := range rs {
		tokens[r.DonationID] = r.AckToken
	}
	maria := ds["named"]
	slug := "zhanaozen"
	all, fund, second := ledger.AckFilter{}, ledger.AckFilter{Fund: &slug}, ledger.AckFilter{Limit: 2}
	second.After = mustList(t, here, second).Older                                                                  // a deeper page: the third newest and the fourth
	mariaPage := ledger.AckFilter{Limit: 1, After: mustList(t, here, ledger.AckFilter{Limit: 5}).Entries[3].Cursor} // the oldest: a deep page

	for _, step := range []struct {
		name   string
		change func(t *testing.T)
		here   bool // made through the service that lists: no wait
		f      ledger.AckFilter
		want   func(p *ledger.AckPage) bool
	}{
		{"approved here", func(t *testing.T) { mustModerate(t, here, maria.ID, ledger.ModerationApproved) }, true, all,
			func(p *ledger.AckPage) bool { return shows(p, "Maria Schmidt") && shows(p, "Solidarität!") }},
		{"hidden here", func(t *testing.T) { mustModerate(t, here, maria.ID, ledger.ModerationHidden) }, true, all,
			func(p *ledger.AckPage) bool { return !shows(p, "Maria") && !shows(p, "Solidarität") }},
		{"approved elsewhere", func(t *testing.T) { mustModerate(t, elsewhere, maria.ID, ledger.ModerationApproved) }, false, fund,
			func(p *ledger.AckPage) bool { return shows(p, "Maria Schmidt") }},
		{"hidden elsewhere", func(t *testing.T) { mustModerate(t, elsewhere, maria.ID, ledger.ModerationHidden) }, false, fund,
			func(p *ledger.AckPage) bool { return !shows(p, "Maria") }},
		{"approved in SQL", func(t *testing.T) {
			mustExec(t, b, `update donations set ack_status = 'approved' where id = $1`, maria.ID)
		}, false, mariaPage,
			func(p *ledger.AckPage) bool { return shows(p, "Maria Schmidt") }},
		{"the donor turns anonymous here", func(t *testing.T) {
			if err := here.ChangeAcknowledgement(ctx, tokens[maria.ID], ledger.Acknowledgement{Display: ledger.AckAnonymous}); err != nil {
				t.Fatal(err)
			}
		}, true, mariaPage, func(p *ledger.AckPage) bool { return len(p.Entries) == 1 && p.Entries[0].From == "" }},
		{"the donor asks for an alias elsewhere, approved in SQL", func(t *testing.T) {
			if err := elsewhere.ChangeAcknowledgement(ctx, tokens[maria.ID], ledger.Acknowledgement{Display: ledger.AckAlias, Alias: "M. from Kiel"}); err != nil {
				t.Fatal(err)
			}
			mustExec(t, b, `update donations set ack_status = 'approved' where id = $1`, maria.ID)
		}, false, mariaPage, func(p *ledger.AckPage) bool { return shows(p, "M. from Kiel") }},
		{"the donor turns anonymous elsewhere", func(t *testing.T) {
			if err := elsewhere.ChangeAcknowledgement(ctx, tokens[maria.ID], ledger.Acknowledgement{Display: ledger.AckAnonymous}); err != nil {
				t.Fatal(err)
			}
		}, false, mariaPage, func(p *ledger.AckPage) bool { return !shows(p, "Kiel") }},
		{"a new donation", func(t *testing.T) { b.mustDonation(t, "new", "77", "EUR", ledger.ChannelCash) }, false, all,
			func(p *ledger.AckPage) bool { return len(p.Entries) == 6 }},
		{"a street collection", func(t *testing.T) { b.mustCollection(t, "street") }, false, fund,
			func(p *ledger.AckPage) bool { return shows(p, "Street collection, Hamburg") }},
		{"a reversal", func(t *testing.T) {
			if _, err := b.txs.ReverseTransaction(ctx, ds["alias"].TransactionID, &ledger.Transaction{IdempotencyKey: "rev-alias"}); err != nil {
				t.Fatal(err)
			}
		}, false, second, func(p *ledger.AckPage) bool {
			for _, e := range p.Entries {
				if e.Date.Equal(ds["alias"].ReceivedOn) {
					return false
				}
			}
			return true
		}},
		{"a fund renamed in SQL", func(t *testing.T) {
			mustExec(t, b, `update funds set name = 'Families of Zhanaozen' where slug = 'zhanaozen'`)
		}, false, all,
			func(p *ledger.AckPage) bool { return shows(p, "Families of Zhanaozen") }},
	} {
		t.Run(step.name, func(t *testing.T) {
			before := waitCached(t, here, step.f)
			if step.want(before) {
				t.Fatalf("the page shows the change before it was made: %+v", before.Entries)
			}
			step.change(t)
			if step.here {
				if p := mustList(t, here, step.f); !step.want(p) {
					t.Fatalf("the next request after the change does not show it: %+v", p.Entries)
				}
				return
			}
			waitList(t, here, step.f, step.name, step.want)
		})
	}
}

func mustModerate(tb testing.TB, acks *postgres.AcknowledgementService, id string, status ledger.ModerationStatus) {
	tb.Helper()
	if _, err := acks.Moderate(ctx, []string{id}, status); err != nil {
		tb.Fatalf("moderate %s: %v", status, err)
	}
}

func mustExec(tb testing.TB, b *books, sql string, args ...any) {
	tb.Helper()
	if _, err := b.db.Pool.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// Once a name is hidden, no request that begins afterwards shows it, however
// many requests were reading the list, from memory or from the database,
// while it was hidden. Hidden here: from the next request on; hidden
// elsewhere: from the first request that shows it hidden on.
func TestCachedListNeverShowsAHiddenName(t *testing.T) {
	for _, where := range []string{"here", "elsewhere"} {
		t.Run(where, func(t *testing.T) {
			b := mustBooks(t)
			acks := postgres.NewAcknowledgementService(b.db)
			moderator := acks
			if where == "elsewhere" {
				moderator = postgres.NewAcknowledgementService(b.db)
			}
			maria := consentDonations(t, b)["named"]
			mustModerate(t, acks, maria.ID, ledger.ModerationApproved)
			if p := waitCached(t, acks, ledger.AckFilter{}); !shows(p, "Maria Schmidt") {
				t.Fatalf("approved, not shown: %+v", p.Entries)
			}
			var hidden atomic.Bool // set once a request may no longer show the name
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var reads, stale atomic.Int64
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						mustHide := hidden.Load()
						p, err := acks.ListAcknowledgements(ctx, ledger.AckFilter{})
						if err != nil {
							t.Error(err)
							return
						}
						reads.Add(1)
						if shows(p, "Maria") {
							if mustHide {
								stale.Add(1)
							}
						} else if where == "elsewhere" {
							hidden.Store(true) // the notification arrived: never again
						}
					}
				}()
			}
			for reads.Load() < 50 {
				runtime.Gosched()
			}
			mustModerate(t, moderator, maria.ID, ledger.ModerationHidden)
			if where == "here" {
				hidden.Store(true)
			}
			deadline := time.Now().Add(notified)
			for !hidden.Load() && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			at := reads.Load()
			for reads.Load() < at+200 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
			if !hidden.Load() {
				t.Fatalf("after %s the hidden name is still shown", notified)
			}
			if n := stale.Load(); n > 0 {
				t.Fatalf("%d of %d requests that began after the name was hidden showed it", n, reads.Load())
			}
		})
	}
}

// A change made while the listener's connection is down is not notified to
// it: the cache serves nothing until it listens again, and then starts empty.
func TestCachedListAfterTheListenerLostItsConnection(t *testing.T) {
	b := mustBooks(t)
	acks := postgres.NewAcknowledgementService(b.db)
	maria := consentDonations(t, b)["named"]
	if p := waitCached(t, acks, ledger.AckFilter{}); shows(p, "Maria") {
		t.Fatalf("shown before approval: %+v", p.Entries)
	}
	var killed bool
	if err := b.db.Pool.QueryRow(ctx, `select bool_or(pg_terminate_backend(pid)) from pg_stat_activity
		where datname = current_database() and application_name = $1`, postgres.PublicListener).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listener: %v %v", killed, err)
	}
	mustExec(t, b, `update donations set ack_status = 'approved' where id = $1`, maria.ID)
	waitList(t, acks, ledger.AckFilter{}, "the name approved while the listener was down", func(p *ledger.AckPage) bool { return shows(p, "Maria Schmidt") })
	waitCached(t, acks, ledger.AckFilter{}) // it listens again
	mustExec(t, b, `update donations set ack_status = 'hidden' where id = $1`, maria.ID)
	waitList(t, acks, ledger.AckFilter{}, "the name hidden after the listener came back", func(p *ledger.AckPage) bool { return !shows(p, "Maria") })
}

// The listener needs no one to stop it: it ends with the pool.
func TestPublicListenerEndsWithThePool(t *testing.T) {
	db := pgtest.NewDB(t)
	conn, err := pgx.Connect(ctx, db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	listeners := func() (n int) {
		if err := conn.QueryRow(ctx, `select count(*) from pg_stat_activity where datname = current_database() and application_name = $1`,
			postgres.PublicListener).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	acks := postgres.NewAcknowledgementService(db)
	acks.SetPublicListWake(10 * time.Millisecond)
	waitCached(t, acks, ledger.AckFilter{})
	if n := listeners(); n != 1 {
		t.Fatalf("%d listeners, want 1", n)
	}
	// It still hears a change after checking its connection many times.
	time.Sleep(50 * time.Millisecond)
	// The cached page is taken before the notification, which may arrive
	// before the next call returns.
	first := mustList(t, acks, ledger.AckFilter{})
	if _, err := db.Pool.Exec(ctx, `select pg_notify('fundledger_public_list', '')`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(notified)
	for mustList(t, acks, ledger.AckFilter{}) == first {
		if time.Now().After(deadline) {
			t.Fatal("the listener no longer hears notifications")
		}
		time.Sleep(2 * time.Millisecond)
	}
	db.Close()
	for listeners() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listener outlived its pool")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
