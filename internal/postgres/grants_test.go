package postgres_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// grantBooks is a fresh database with a KZT fund "zhanaozen", a grant
// service needing two approvals, and a committee: a treasurer, three
// members and an observer.
type grantBooks struct {
	*books
	grants   *postgres.GrantService
	box      *secret.Box
	treas    ledger.Actor
	aigul    ledger.Actor // member
	bolat    ledger.Actor // member
	dana     ledger.Actor // member
	observer ledger.Actor
}

var grantSecret = bytes.Repeat([]byte{7}, secret.KeySize)

func mustGrantBooks(t *testing.T) *grantBooks {
	t.Helper()
	b := mustBooks(t)
	b.db.Now = func() time.Time { return time.Date(2011, 12, 20, 10, 0, 0, 0, time.UTC) }
	box, err := secret.New(grantSecret)
	if err != nil {
		t.Fatal(err)
	}
	// The books' first fund is in EUR; grants here are in tenge.
	b.fund = b.mustFund(t, "zhanaozen-kzt", "KZT")
	members := postgres.NewMemberService(b.db, box)
	members.Params = cheap
	add := func(email, name string, role ledger.Role) ledger.Actor {
		m := &ledger.Member{Email: email, Name: name, Role: role}
		if err := members.AddMember(ctx, ledger.CommandLine, m, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		return ledger.ActorOf(m)
	}
	return &grantBooks{
		books: b, box: box, grants: postgres.NewGrantService(b.db, box, ledger.DefaultGrantApprovals),
		treas:    add("tamara@example.org", "Tamara Treasurer", ledger.RoleTreasurer),
		aigul:    add("aigul@example.org", "Aigul Member", ledger.RoleMember),
		bolat:    add("bolat@example.org", "Bolat Member", ledger.RoleMember),
		dana:     add("dana@example.org", "Dana Member", ledger.RoleMember),
		observer: add("oleg@example.org", "Oleg Observer", ledger.RoleObserver),
	}
}

var grantFamily = ledger.GrantRecipient{Name: "Zhanar Sultanbekova", Town: "Zhanaozen", Phone: "+7 701 555 0101", BankAccount: "KZ86125KZT5004100100"}

func (b *grantBooks) open(t *testing.T, by ledger.Actor, key, amount string, r *ledger.GrantRecipient) *ledger.Grant {
	t.Helper()
	g, err := b.grants.OpenGrant(ctx, by, &ledger.Grant{
		Fund: b.fund.Slug, Amount: mustMoney(t, amount, "KZT"), Category: ledger.GrantFood,
		Justification: "Food for a family of five while the father is on strike", IdempotencyKey: key, Fingerprint: "fp-" + key,
	}, r)
	if err != nil {
		t.Fatalf("open grant: %v", err)
	}
	return g
}

func (b *grantBooks) approve(t *testing.T, by ledger.Actor, ref string) *ledger.Grant {
	t.Helper()
	g, err := b.grants.ApproveGrant(ctx, by, ref)
	if err != nil {
		t.Fatalf("approve %s by %s: %v", ref, by.Name, err)
	}
	return g
}

func (b *grantBooks) pay(by ledger.Actor, ref, key, amount, from string, paid *ledger.Money) (*ledger.GrantPayment, error) {
	m, err := ledger.ParseMoney(amount, "KZT")
	if err != nil {
		return nil, err
	}
	p := &ledger.GrantPayment{Amount: m, From: from, Date: date("2011-12-21"), IdempotencyKey: key, Fingerprint: "fp-" + key}
	if paid != nil {
		p.Paid = *paid
	}
	return b.grants.PayGrant(ctx, by, ref, p)
}

func wantGrantErr(t *testing.T, what string, err error, code string, subs ...string) {
	t.Helper()
	if ledger.ErrorCode(err) != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	for _, s := range subs {
		if !strings.Contains(ledger.ErrorMessage(err), s) {
			t.Fatalf("%s: %q does not mention %q", what, ledger.ErrorMessage(err), s)
		}
	}
}

func (b *grantBooks) auditActions(t *testing.T) []ledger.AuditEntry {
	t.Helper()
	p, err := postgres.NewAuditService(b.db).List(ctx, ledger.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Entries
}

func TestGrantApprovalRules(t *testing.T) {
	b := mustGrantBooks(t)
	g := b.open(t, b.aigul, "open-1", "150000.00", nil)
	if g.Ref != "G-2011-001" || g.Status() != ledger.GrantPending || g.ApprovalsRequired != 2 || g.OpenedBy.MemberID != b.aigul.MemberID {
		t.Fatalf("opened %+v", g)
	}
	if again := b.open(t, b.aigul, "open-1", "150000.00", nil); again.Ref != g.Ref {
		t.Fatalf("a retry opened %s", again.Ref)
	}
	if second := b.open(t, b.treas, "open-2", "1000", nil); second.Ref != "G-2011-002" {
		t.Fatalf("second case is %s", second.Ref)
	}

	_, err := b.grants.ApproveGrant(ctx, b.aigul, g.Ref)
	wantGrantErr(t, "the opener approves", err, ledger.EFORBIDDEN, "opened")
	_, err = b.grants.ApproveGrant(ctx, b.observer, g.Ref)
	wantGrantErr(t, "an observer approves", err, ledger.EFORBIDDEN, "observer")
	_, err = b.grants.ApproveGrant(ctx, ledger.Actor{Name: "API token"}, g.Ref)
	wantGrantErr(t, "a token approves", err, ledger.EFORBIDDEN)
	if _, err := b.grants.RecuseGrant(ctx, b.dana, g.Ref, "She is my cousin"); err != nil {
		t.Fatal(err)
	}
	_, err = b.grants.ApproveGrant(ctx, b.dana, g.Ref)
	wantGrantErr(t, "a recused member approves", err, ledger.EFORBIDDEN, "recused")

	g = b.approve(t, b.bolat, g.Ref)
	if g.Status() != ledger.GrantPending || len(g.RoundApprovals()) != 1 {
		t.Fatalf("one approval: %v, %d", g.Status(), len(g.RoundApprovals()))
	}
	_, err = b.grants.ApproveGrant(ctx, b.bolat, g.Ref)
	wantGrantErr(t, "the same member twice", err, ledger.ECONFLICT, "already approved")
	_, err = b.pay(b.treas, g.Ref, "pay-early", "1000", "assets:bank:kzt", nil)
	wantGrantErr(t, "pay before approval", err, ledger.ECONFLICT, "not approved")

	g = b.approve(t, b.treas, g.Ref)
	if g.Status() != ledger.GrantApproved || !g.ApprovedAmount.Equal(dec("150000")) || !g.Payable().Equal(dec("150000")) {
		t.Fatalf("approved: %v %s", g.Status(), g.ApprovedAmount)
	}
	_, err = b.grants.ApproveGrant(ctx, b.aigul, g.Ref)
	wantGrantErr(t, "the opener after approval", err, ledger.EFORBIDDEN)

	// The database refuses what Go refuses, whoever writes it.
	rawApprove := func(ref string, by ledger.Actor) error {
		_, err := b.db.Pool.Exec(ctx, `insert into grant_approvals (grant_id, round, member_id, member_name, at)
			select id, round, $2, 'x', now() from grants where ref = $1`, ref, by.MemberID)
		return err
	}
	wantSQLState(t, rawApprove("G-2011-002", b.observer), "23514", "treasurer or member")
	wantSQLState(t, rawApprove(g.Ref, b.aigul), "23514", "not waiting for approval")
	g2 := b.open(t, b.aigul, "open-3", "500", nil)
	wantSQLState(t, rawApprove(g2.Ref, b.aigul), "23514", "opened the case")
	if _, err := b.grants.RecuseGrant(ctx, b.dana, g2.Ref, ""); err != nil {
		t.Fatal(err)
	}
	wantSQLState(t, rawApprove(g2.Ref, b.dana), "23514", "recused")
	if err := rawApprove(g2.Ref, b.bolat); err != nil {
		t.Fatalf("a member's approval by hand: %v", err)
	}
	// Approving by hand with too few approvals is refused.
	_, err = b.db.Pool.Exec(ctx, `update grants set approved_round = round, approved_amount = amount where ref = $1`, g2.Ref)
	wantSQLState(t, err, "23514", "approvals")
	_, err = b.db.Pool.Exec(ctx, `delete from grants where ref = $1`, g2.Ref)
	wantSQLState(t, err, "23001", "DELETE")

	var saw []string
	for _, e := range b.auditActions(t) {
		saw = append(saw, e.Action+" "+e.Subject+" "+e.MemberName)
		if strings.Contains(e.Details["reason"], "cousin") {
			t.Error("the recusal reason is in the audit log")
		}
	}
	for _, s := range []string{"grant.open grant:G-2011-001 Aigul Member", "grant.recuse grant:G-2011-001 Dana Member",
		"grant.approve grant:G-2011-001 Bolat Member", "grant.approve grant:G-2011-001 Tamara Treasurer"} {
		if !strings.Contains(strings.Join(saw, "\n"), s) {
			t.Errorf("audit lacks %q:\n%s", s, strings.Join(saw, "\n"))
		}
	}
}

func TestGrantCaps(t *testing.T) {
	b := mustGrantBooks(t)
	err := b.grants.SetGrantCap(ctx, b.aigul, &ledger.GrantCap{Fund: b.fund.Slug, Max: mustMoney(t, "200000", "KZT")})
	wantGrantErr(t, "a member sets a cap", err, ledger.EFORBIDDEN)
	if err := b.grants.SetGrantCap(ctx, b.treas, &ledger.GrantCap{Fund: b.fund.Slug, Max: mustMoney(t, "200000", "KZT")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.grants.OpenGrant(ctx, b.aigul, &ledger.Grant{Fund: b.fund.Slug, Amount: mustMoney(t, "200000.01", "KZT"), Category: ledger.GrantRent,
		Justification: "Rent arrears", IdempotencyKey: "over"}, nil)
	wantGrantErr(t, "open above the cap", err, ledger.EINVALID, "cap of 200000.00 KZT")
	g := b.open(t, b.aigul, "at-cap", "150000", nil)
	_, err = b.grants.TopUpGrant(ctx, b.aigul, g.Ref, &ledger.GrantTopUp{Added: mustMoney(t, "50000.01", "KZT"), Reason: "Winter coal", IdempotencyKey: "top-over"})
	wantGrantErr(t, "top up above the cap", err, ledger.EINVALID, "cap")
	if _, err := b.grants.TopUpGrant(ctx, b.aigul, g.Ref, &ledger.GrantTopUp{Added: mustMoney(t, "50000", "KZT"), Reason: "Winter coal", IdempotencyKey: "top-ok"}); err != nil {
		t.Fatal(err)
	}
	// Another currency has no cap; the database enforces the cap too.
	if err := b.grants.SetGrantCap(ctx, b.treas, &ledger.GrantCap{Fund: b.fund.Slug, Max: mustMoney(t, "100000", "KZT")}); err != nil {
		t.Fatal(err)
	}
	caps, err := b.grants.ListGrantCaps(ctx)
	if err != nil || len(caps) != 1 || !caps[0].Max.Amount.Equal(dec("100000")) || caps[0].SetBy.Name != "Tamara Treasurer" {
		t.Fatalf("caps %+v %v", caps, err)
	}
	_, err = b.db.Pool.Exec(ctx, `insert into grants (ref, fund_id, currency, initial_amount, amount, category, justification, approvals_required, opened_by_name, opened_at, idempotency_key)
		values ('G-2011-900', $1, 'KZT', 100000.01, 100000.01, 'food', 'x', 2, 'psql', now(), 'raw-over')`, b.fundID(t))
	wantSQLState(t, err, "23514", "above the cap")
	// Raising an amount without a top-up is refused at commit.
	small := b.open(t, b.aigul, "small", "1000", nil)
	_, err = b.db.Pool.Exec(ctx, `update grants set amount = amount + 1, round = round + 1 where ref = $1`, small.Ref)
	wantSQLState(t, err, "23514", "do not follow")
	actions := map[string]int{}
	for _, e := range b.auditActions(t) {
		actions[e.Action]++
	}
	if actions["grant.cap"] != 2 || actions["grant.topup"] != 1 {
		t.Fatalf("audit %v", actions)
	}
}

func (b *grantBooks) fundID(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := b.db.Pool.QueryRow(ctx, `select id from funds where slug = $1`, b.fund.Slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestGrantPartialPaymentsAndOverpayment(t *testing.T) {
	b := mustGrantBooks(t)
	b.mustDonation(t, "don-1", "500000", "KZT", ledger.ChannelBankTransfer)
	g := b.open(t, b.aigul, "open", "150000.00", nil)
	b.approve(t, b.bolat, g.Ref)
	b.approve(t, b.dana, g.Ref)

	_, err := b.pay(b.aigul, g.Ref, "by-member", "1000", "assets:bank:kzt", nil)
	wantGrantErr(t, "a member pays", err, ledger.EFORBIDDEN)
	p1, err := b.pay(b.treas, g.Ref, "pay-1", "100000.00", "assets:bank:kzt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.pay(b.treas, g.Ref, "pay-1", "100000.00", "assets:bank:kzt", nil); err != nil || again.TransactionID != p1.TransactionID {
		t.Fatalf("a retried payment: %v %+v", err, again)
	}
	tx, err := b.txs.FindTransaction(ctx, p1.TransactionID)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Metadata["grant_ref"] != g.Ref || len(tx.Postings) != 2 || tx.Postings[0].Account != "expenses:grants" || !tx.Postings[0].Amount.Equal(dec("100000")) ||
		tx.Postings[1].Account != "assets:bank:kzt" || tx.Postings[1].Fund != b.fund.Slug || strings.Contains(tx.Description, "Zhanar") {
		t.Fatalf("payment booked as %+v", tx)
	}
	if _, err := b.pay(b.treas, g.Ref, "pay-2", "30000.00", "assets:cash", nil); err != nil {
		t.Fatal(err)
	}
	_, err = b.pay(b.treas, g.Ref, "pay-3", "20000.01", "assets:bank:kzt", nil)
	wantGrantErr(t, "over-payment", err, ledger.ECONFLICT, "at most 20000.00 KZT remains")
	_, err = b.pay(b.treas, g.Ref, "pay-eur-bank", "100", "assets:bank:eur", nil)
	wantGrantErr(t, "KZT from the EUR account", err, ledger.EINVALID, "holds EUR")
	_, err = b.pay(b.treas, g.Ref, "pay-income", "100", "income:other", nil)
	wantGrantErr(t, "from an income account", err, ledger.EINVALID, "not an asset account")

	got, err := b.grants.FindGrant(ctx, g.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Paid.Equal(dec("130000")) || len(got.Payments) != 2 || !got.Payable().Equal(dec("20000")) || got.Status() != ledger.GrantApproved {
		t.Fatalf("after two payments: paid %s, %d payments, %v", got.Paid, len(got.Payments), got.Status())
	}

	// By raw SQL: a correctly booked payment of 20000.01 is refused at commit.
	rawPay := func(amount string) error {
		return pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
			var id string
			err := tx.QueryRow(ctx, `insert into transactions (id, seq, idempotency_key, effective_date, description, metadata, recorded_at, prev_hash, hash)
				values (gen_random_uuid(), 1000 + (select count(*) from transactions), 'raw-'||$1::text, '2011-12-22', 'Hardship grant', jsonb_build_object('grant_ref', $2::text), now(), '\x'::bytea, sha256('x'::bytea))
				returning id::text`, amount, g.Ref).Scan(&id)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `insert into postings (transaction_id, idx, account, fund_id, currency, amount) values
				($1, 0, 'expenses:grants', $2, 'KZT', $3::numeric), ($1, 1, 'assets:bank:kzt', $2, 'KZT', -$3::numeric)`, id, b.fundID(t), amount); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `insert into grant_payments (grant_id, transaction_id, amount, currency, paid_from, paid_amount, paid_currency, by_name, at)
				select g.id, $1, $3::numeric, 'KZT', 'assets:bank:kzt', $3::numeric, 'KZT', 'psql', now() from grants g where g.ref = $2`, id, g.Ref, amount)
			return err
		})
	}
	wantSQLState(t, rawPay("20000.01"), "23514", "exceed the approved amount")
	// A payment whose transaction books another amount is refused too.
	err = pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into grant_payments (grant_id, transaction_id, amount, currency, paid_from, paid_amount, paid_currency, by_name, at)
			select g.id, (select transaction_id from donations limit 1), 1, 'KZT', 'assets:bank:kzt', 1, 'KZT', 'psql', now() from grants g where g.ref = $1`, g.Ref)
		return err
	})
	wantSQLState(t, err, "23514", "grant_ref")
	_, err = b.db.Pool.Exec(ctx, `update grant_payments set amount = 1`)
	wantSQLState(t, err, "23001", "append-only")

	// The last 20000.00 pays it in full.
	if _, err := b.pay(b.treas, g.Ref, "pay-3", "20000.00", "assets:bank:kzt", nil); err != nil {
		t.Fatal(err)
	}
	got, _ = b.grants.FindGrant(ctx, g.Ref)
	if got.Status() != ledger.GrantPaid {
		t.Fatalf("status %v", got.Status())
	}
	_, err = b.pay(b.treas, g.Ref, "pay-4", "1", "assets:bank:kzt", nil)
	wantGrantErr(t, "pay a paid grant", err, ledger.ECONFLICT, "paid in full")

	// A reversed payment no longer counts, so it can be paid again.
	if _, err := b.txs.ReverseTransaction(ctx, p1.TransactionID, &ledger.Transaction{IdempotencyKey: "rev-p1", EffectiveDate: date("2011-12-23"), Description: "Paid to the wrong account"}); err != nil {
		t.Fatal(err)
	}
	got, _ = b.grants.FindGrant(ctx, g.Ref)
	if !got.Paid.Equal(dec("50000")) || got.Status() != ledger.GrantApproved || !got.Payments[0].Reversed {
		t.Fatalf("after the reversal: paid %s, %v", got.Paid, got.Status())
	}
	b.mustZeroTrialBalance(t)
	b.mustVerify(t)
	var pays int
	for _, e := range b.auditActions(t) {
		if e.Action == "grant.pay" {
			pays++
			if e.Details["ref"] != g.Ref || e.Details["transaction_id"] == "" {
				t.Errorf("audit %+v", e)
			}
		}
	}
	if pays != 3 {
		t.Fatalf("%d grant.pay entries, want 3", pays)
	}
}

func TestGrantPaidFromAnotherCurrency(t *testing.T) {
	b := mustGrantBooks(t)
	g := b.open(t, b.aigul, "open", "196543.21", nil)
	b.approve(t, b.bolat, g.Ref)
	b.approve(t, b.dana, g.Ref)
	eur := mustMoney(t, "1000.00", "EUR")
	p, err := b.pay(b.treas, g.Ref, "pay-eur", "196543.21", "assets:bank:eur", &eur)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := b.txs.FindTransaction(ctx, p.TransactionID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"expenses:grants 196543.21 KZT", "equity:conversion -196543.21 KZT", "equity:conversion 1000 EUR", "assets:bank:eur -1000 EUR"}
	if len(tx.Postings) != 4 {
		t.Fatalf("postings %+v", tx.Postings)
	}
	for i, ps := range tx.Postings {
		if got := ps.Account + " " + ps.Amount.String() + " " + ps.Currency.Code; got != want[i] || ps.Fund != b.fund.Slug {
			t.Errorf("posting %d: %s in %s, want %s", i, got, ps.Fund, want[i])
		}
	}
	b.mustZeroTrialBalance(t)
	bals, err := b.bals.Balances(ctx, ledger.BalanceFilter{Fund: &b.fund.Slug})
	if err != nil {
		t.Fatal(err)
	}
	if got := balanceOf(bals, b.fund.Slug, "expenses:grants", "KZT"); !got.Equal(dec("196543.21")) {
		t.Fatalf("grants expense %s", got)
	}
	if got := balanceOf(bals, b.fund.Slug, "assets:bank:eur", "EUR"); !got.Equal(dec("-1000")) {
		t.Fatalf("EUR bank %s", got)
	}
	b.mustVerify(t)
	got, _ := b.grants.FindGrant(ctx, g.Ref)
	if got.Status() != ledger.GrantPaid || got.Payments[0].Paid.String() != "1000.00 EUR" {
		t.Fatalf("%v %+v", got.Status(), got.Payments)
	}
	// Paying in another currency needs its exact amount.
	g2 := b.open(t, b.aigul, "open-2", "1000", nil)
	b.approve(t, b.bolat, g2.Ref)
	b.approve(t, b.dana, g2.Ref)
	noAmount := ledger.Money{Currency: mustCurrency(t, "EUR")}
	_, err = b.pay(b.treas, g2.Ref, "pay-eur-2", "1000", "assets:bank:eur", &noAmount)
	wantGrantErr(t, "no EUR amount", err, ledger.EINVALID, "paid_amount")
}

func TestGrantTopUpNeedsFreshApprovals(t *testing.T) {
	b := mustGrantBooks(t)
	g := b.open(t, b.aigul, "open", "100000", nil)
	b.approve(t, b.bolat, g.Ref)
	b.approve(t, b.dana, g.Ref)
	if _, err := b.pay(b.treas, g.Ref, "pay-1", "100000", "assets:bank:kzt", nil); err != nil {
		t.Fatal(err)
	}
	g, err := b.grants.TopUpGrant(ctx, b.bolat, g.Ref, &ledger.GrantTopUp{Added: mustMoney(t, "40000", "KZT"), Reason: "The hospital asked for more", IdempotencyKey: "top-1", Fingerprint: "fp"})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.grants.TopUpGrant(ctx, b.bolat, g.Ref, &ledger.GrantTopUp{Added: mustMoney(t, "40000", "KZT"), Reason: "The hospital asked for more", IdempotencyKey: "top-1", Fingerprint: "fp"}); err != nil || !again.Amount.Amount.Equal(dec("140000")) {
		t.Fatalf("a retried top-up: %v %s", err, again.Amount)
	}
	if g.Status() != ledger.GrantPending || g.Round != 2 || !g.Amount.Amount.Equal(dec("140000")) || len(g.RoundApprovals()) != 0 ||
		len(g.TopUps) != 1 || !g.TopUps[0].NewAmount.Equal(dec("140000")) {
		t.Fatalf("after the top-up: %v round %d amount %s", g.Status(), g.Round, g.Amount)
	}
	_, err = b.pay(b.treas, g.Ref, "pay-2", "1", "assets:bank:kzt", nil)
	wantGrantErr(t, "pay the top-up before approval", err, ledger.ECONFLICT, "fresh approvals")
	// The old approvals do not count: the first round's approvers approve
	// again, and the member who asked for the top-up may not.
	_, err = b.grants.ApproveGrant(ctx, b.bolat, g.Ref)
	wantGrantErr(t, "the top-up's requester approves", err, ledger.EFORBIDDEN, "top-up")
	b.approve(t, b.dana, g.Ref)
	_, err = b.pay(b.treas, g.Ref, "pay-2", "1", "assets:bank:kzt", nil)
	wantGrantErr(t, "pay with one fresh approval", err, ledger.ECONFLICT)
	g = b.approve(t, b.treas, g.Ref)
	if g.Status() != ledger.GrantApproved || !g.Payable().Equal(dec("40000")) {
		t.Fatalf("re-approved: %v payable %s", g.Status(), g.Payable())
	}
	_, err = b.pay(b.treas, g.Ref, "pay-2", "40000.01", "assets:bank:kzt", nil)
	wantGrantErr(t, "beyond the topped-up amount", err, ledger.ECONFLICT)
	if _, err := b.pay(b.treas, g.Ref, "pay-2", "40000", "assets:bank:kzt", nil); err != nil {
		t.Fatal(err)
	}
	b.mustVerify(t)
}

func TestGrantRecipientSealed(t *testing.T) {
	b := mustGrantBooks(t)
	r := grantFamily
	g := b.open(t, b.aigul, "open", "50000", &r)
	if !g.HasRecipient {
		t.Fatal("no recipient on file")
	}
	var sealed []byte
	if err := b.db.Pool.QueryRow(ctx, `select sealed from grant_recipients`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Zhanar", "Sultanbekova", "KZ86125", "701 555"} {
		if bytes.Contains(sealed, []byte(s)) {
			t.Fatalf("the stored value holds %q", s)
		}
	}
	// Nothing outside the sealed column names the family.
	var leaks int
	if err := b.db.Pool.QueryRow(ctx, `select count(*) from (
			select ref || justification || opened_by_name as t from grants
			union all select description || metadata::text from transactions
			union all select action || subject || details::text from audit_log
			union all select row_to_json(r)::text from grant_register r) x where t like '%Zhanar%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Fatalf("%d rows name the recipient (%v)", leaks, err)
	}

	for _, who := range []ledger.Actor{b.aigul, b.observer, {Name: "API token"}} {
		_, err := b.grants.GrantRecipient(ctx, who, g.Ref)
		wantGrantErr(t, who.Name+" sees the recipient", err, ledger.EFORBIDDEN)
	}
	got, err := b.grants.GrantRecipient(ctx, b.treas, g.Ref)
	if err != nil || *got != grantFamily {
		t.Fatalf("treasurer sees %#v, %v", got, err)
	}
	if s := got.String() + " " + ledger.ErrorMessage(err); strings.Contains(s, "Zhanar") {
		t.Fatal("String prints the recipient")
	}
	b.grants.GrantRecipient(ctx, b.treas, g.Ref)
	var views int
	for _, e := range b.auditActions(t) {
		if e.Action == ledger.AuditGrantRecipientView {
			views++
			if e.MemberID != b.treas.MemberID || e.Subject != "grant:"+g.Ref {
				t.Errorf("view audited as %+v", e)
			}
		}
	}
	if views != 2 {
		t.Fatalf("%d views audited, want 2", views)
	}
	// Copied to another case, the sealed value does not open.
	g2 := b.open(t, b.aigul, "open-2", "1000", nil)
	if _, err := b.grants.GrantRecipient(ctx, b.treas, g2.Ref); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatalf("no recipient: %v", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `insert into grant_recipients (grant_id, sealed, updated_at) select id, $2, now() from grants where ref = $1`, g2.Ref, sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := b.grants.GrantRecipient(ctx, b.treas, g2.Ref); ledger.ErrorCode(err) != ledger.EINTERNAL {
		t.Fatalf("a moved sealed value opens: %v", err)
	}
	// A treasurer records details later; a member cannot.
	g3 := b.open(t, b.aigul, "open-3", "1000", nil)
	cash := ledger.GrantRecipient{Name: "Family of a miner", Town: "Shakhtinsk", CashViaCommittee: true}
	wantGrantErr(t, "a member sets details", b.grants.SetGrantRecipient(ctx, b.aigul, g3.Ref, &cash), ledger.EFORBIDDEN)
	if err := b.grants.SetGrantRecipient(ctx, b.treas, g3.Ref, &cash); err != nil {
		t.Fatal(err)
	}
	if got, err := b.grants.GrantRecipient(ctx, b.treas, g3.Ref); err != nil || *got != cash {
		t.Fatalf("%#v %v", got, err)
	}

	// Without a key, details are refused with a clear error; cases open.
	nokey := postgres.NewGrantService(b.db, nil, 2)
	_, err = nokey.OpenGrant(ctx, b.aigul, &ledger.Grant{Fund: b.fund.Slug, Amount: mustMoney(t, "1000", "KZT"), Category: ledger.GrantFood,
		Justification: "Food", IdempotencyKey: "nokey"}, &r)
	wantGrantErr(t, "no key", err, ledger.EINVALID, "FUNDLEDGER_SECRET_KEY")
	if _, err := nokey.OpenGrant(ctx, b.aigul, &ledger.Grant{Fund: b.fund.Slug, Amount: mustMoney(t, "1000", "KZT"), Category: ledger.GrantFood,
		Justification: "Food", IdempotencyKey: "nokey"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = nokey.GrantRecipient(ctx, b.treas, g.Ref)
	wantGrantErr(t, "show without a key", err, ledger.EINVALID, "FUNDLEDGER_SECRET_KEY")
}

func TestGrantListAndFilter(t *testing.T) {
	b := mustGrantBooks(t)
	r := grantFamily
	g1 := b.open(t, b.aigul, "g1", "1000", &r)
	g2 := b.open(t, b.aigul, "g2", "2000", nil)
	b.approve(t, b.bolat, g2.Ref)
	b.approve(t, b.dana, g2.Ref)
	all, err := b.grants.ListGrants(ctx, ledger.GrantFilter{})
	if err != nil || len(all) != 2 || all[0].Ref != g2.Ref || len(all[0].Approvals) != 2 || !all[1].HasRecipient {
		t.Fatalf("list %v %v", all, err)
	}
	pending := ledger.GrantPending
	list, err := b.grants.ListGrants(ctx, ledger.GrantFilter{Status: &pending})
	if err != nil || len(list) != 1 || list[0].Ref != g1.Ref {
		t.Fatalf("pending %v %v", list, err)
	}
	other := "zhanaozen"
	if list, _ := b.grants.ListGrants(ctx, ledger.GrantFilter{Fund: &other}); len(list) != 0 {
		t.Fatalf("other fund %v", list)
	}
	if _, err := b.grants.FindGrant(ctx, "G-2011-999"); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatal(err)
	}
	if _, err := b.grants.FindGrant(ctx, "'; drop table grants"); ledger.ErrorCode(err) != ledger.ENOTFOUND {
		t.Fatal(err)
	}
}

// Concurrent payments of one case never add up to more than approved.
func TestGrantConcurrentPayments(t *testing.T) {
	b := mustGrantBooks(t)
	g := b.open(t, b.aigul, "open", "100000", nil)
	b.approve(t, b.bolat, g.Ref)
	b.approve(t, b.dana, g.Ref)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.pay(b.treas, g.Ref, fmt.Sprintf("pay-%d", i), "30000", "assets:bank:kzt", nil)
			if err != nil && ledger.ErrorCode(err) != ledger.ECONFLICT {
				t.Errorf("payment %d: %v", i, err)
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := b.grants.FindGrant(ctx, g.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 3 || !got.Paid.Equal(dec("90000")) {
		t.Fatalf("%d payments went through, paid %s; want 3 and 90000", ok, got.Paid)
	}
	b.mustVerify(t)
}
