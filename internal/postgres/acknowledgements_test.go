package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
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

	// A reversed donation leaves the list.
	if _, err := b.txs.ReverseTransaction(ctx, ds["org"].TransactionID, &ledger.Transaction{IdempotencyKey: "rev"}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 4 {
		t.Fatalf("%d acknowledgements after a reversal, want 4", len(got))
	}
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
