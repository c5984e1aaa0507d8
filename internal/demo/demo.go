// Package demo fills empty books with a realistic demonstration: three funds
// of the strike hardship appeal, about a hundred donations from December 2011
// to February 2012, and the journal entries a treasurer makes around them
// (paying in a street collection, a bank charge, converting euros to tenge,
// hardship grants, clearing cheques, and a mistake corrected by a reversal).
//
// The background is the strike of the oil workers of Zhanaozen and Aktau
// (Mangistau region, west Kazakhstan) that began in May 2011, the families of
// the Karaganda coal miners, and the arrested union activists. Organisations
// and people in the data are invented or generic; grant recipients appear
// only as pseudonymous references such as G-2012-001, never by name.
//
// Every write carries a fixed idempotency key starting with "demo-" and a
// fingerprint of its content, so seeding twice adds nothing, and a changed
// demo seeded over an old one fails with a conflict instead of mixing the two.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// Services are what seeding needs; the postgres services satisfy them.
type Services struct {
	Funds        ledger.FundService
	Transactions ledger.TransactionService
	Donations    ledger.DonationService
	// Rates, when set, receives the committee's exchange rates for totals.
	Rates Rates
	// Moderation, when set, approves the demo's acknowledgements as a
	// committee member would, leaving the two newest waiting.
	Moderation Moderation
}

// Moderation is the committee's moderation of acknowledgements.
type Moderation interface {
	ModerationQueue(ctx context.Context, limit int) ([]ledger.ModerationItem, error)
	Moderate(ctx context.Context, donationIDs []string, status ledger.ModerationStatus) (int, error)
}

// approve approves every waiting acknowledgement of the demo but the two
// newest, so the moderation queue has something in it.
func approve(ctx context.Context, m Moderation) error {
	items, err := m.ModerationQueue(ctx, 500)
	if err != nil || len(items) <= 2 {
		return err
	}
	var ids []string
	for _, it := range items[:len(items)-2] {
		ids = append(ids, it.DonationID)
	}
	_, err = m.Moderate(ctx, ids, ledger.ModerationApproved)
	return err
}

// Rates records the committee's exchange rates.
type Rates interface {
	SetExchangeRate(ctx context.Context, r ledger.ExchangeRate) error
}

// Summary counts what the demo consists of. Each donation is booked as a
// transaction of its own; Transactions counts the other journal entries
// (including the reversal), so the books hold Donations + Transactions
// transactions once seeded. The counts are the same on every run: they
// describe the demo, not what one run added.
type Summary struct {
	Funds, Donations, Transactions int
}

// KeyPrefix starts the idempotency key of every write the demo makes.
const KeyPrefix = "demo-"

// Seed fills empty books with the demo. It is idempotent: every write uses a
// fixed idempotency key starting with "demo-", so running it again adds
// nothing and does not fail. Books that hold funds other than the demo's are
// refused with ECONFLICT, so a real ledger is never mixed with demo data.
func Seed(ctx context.Context, s Services) (*Summary, error) {
	if s.Funds == nil || s.Transactions == nil || s.Donations == nil {
		return nil, ledger.Errorf(ledger.EINVALID, "demo: Funds, Transactions and Donations services are all required")
	}
	fs := demoFunds()
	ours := map[string]bool{}
	for _, f := range fs {
		ours[f.slug] = true
	}
	existing, err := s.Funds.ListFunds(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, f := range existing {
		if !ours[f.Slug] {
			return nil, ledger.Errorf(ledger.ECONFLICT, "demo: the books already hold fund %q; the demo only seeds empty books", f.Slug)
		}
	}
	seededBefore := len(existing) > 0 // moderation is the committee's from then on

	// Funds first: the first opens the default chart (EUR), the Karaganda
	// fund opens assets:bank:kzt and the legal defence fund assets:bank:gbp,
	// which the conversion, the grants and the cheque clearing post to.
	for _, spec := range fs {
		f, err := spec.fund()
		if err != nil {
			return nil, fmt.Errorf("demo: fund %s: %w", spec.slug, err)
		}
		key := KeyPrefix + "fund-" + spec.slug
		fp := fingerprint(spec.slug, f.Name, f.Description, f.Currency.Code, spec.target, fmt.Sprint(f.Restricted))
		if err := s.Funds.CreateFund(ctx, f, key, fp); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}

	// Donations and journal entries are written in date order, as a
	// treasurer would; on the same day donations come first.
	var steps []step
	for _, d := range demoDonations() {
		steps = append(steps, step{on: d.on, key: d.key, run: func(ctx context.Context, _ map[string]string) error {
			don, err := d.donation()
			if err != nil {
				return err
			}
			_, err = s.Donations.RecordDonation(ctx, don)
			return err
		}})
	}
	entries := demoEntries()
	for _, e := range entries {
		steps = append(steps, step{on: e.on, key: e.key, run: func(ctx context.Context, ids map[string]string) error {
			return e.record(ctx, s.Transactions, ids)
		}})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].on < steps[j].on })
	ids := map[string]string{} // entry key -> transaction ID, for reversals
	ndonations := 0
	for _, st := range steps {
		if err := st.run(ctx, ids); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", st.key, err)
		}
		if strings.HasPrefix(st.key, KeyPrefix+"don-") {
			ndonations++
		}
	}
	if s.Moderation != nil && !seededBefore {
		if err := approve(ctx, s.Moderation); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	if s.Rates != nil {
		if err := seedRates(ctx, s.Rates); err != nil {
			return nil, err
		}
	}
	return &Summary{Funds: len(fs), Donations: ndonations, Transactions: len(entries)}, nil
}

// step is one write of the seed, ordered by its date (YYYY-MM-DD sorts as text).
type step struct {
	on  string
	key string
	run func(ctx context.Context, ids map[string]string) error
}

// fingerprint identifies the content of a write, so replaying the same demo
// matches and a changed demo over an old one is reported as a conflict.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return "demo:" + hex.EncodeToString(h.Sum(nil))[:32]
}

func parseDate(s string) (time.Time, error) { return ledger.ParseDate("date", s) }

// fundSpec is one demo fund.
type fundSpec struct {
	slug, name, description string
	currency, target        string
	restricted              bool
}

func (f fundSpec) fund() (*ledger.Fund, error) {
	cur, err := ledger.LookupCurrency(f.currency)
	if err != nil {
		return nil, err
	}
	target, err := ledger.ParseAmount(f.target, cur)
	if err != nil {
		return nil, err
	}
	return &ledger.Fund{Slug: f.slug, Name: f.name, Description: f.description, Currency: cur, Target: &target, Restricted: f.restricted,
		BankDetails: demoBank}, nil
}

// demoBank is the (invented) account the demo funds take transfers on.
const demoBank = `Account holder: Kazakhstan Strike Solidarity Fund e.V.
IBAN: DE89 3704 0044 0532 0130 00
BIC: COBADEFFXXX
Bank: Commerzbank, Köln`

// demoRates are the committee's rates, of 29 February 2012, for showing
// each fund's total in its own currency: 1 unit of the first currency in
// the second.
var demoRates = []struct{ from, to, rate string }{
	{"GBP", "EUR", "1.1893"}, {"SEK", "EUR", "0.1126"}, {"RUB", "EUR", "0.02563"}, {"KZT", "EUR", "0.005071"}, {"CHF", "EUR", "0.8291"},
	{"EUR", "KZT", "197.21"}, {"GBP", "KZT", "234.55"}, {"SEK", "KZT", "22.21"}, {"RUB", "KZT", "5.055"}, {"CHF", "KZT", "163.51"},
	{"EUR", "GBP", "0.8408"}, {"SEK", "GBP", "0.09467"}, {"RUB", "GBP", "0.02155"}, {"KZT", "GBP", "0.004264"}, {"CHF", "GBP", "0.6971"},
}

func seedRates(ctx context.Context, r Rates) error {
	asOf, err := parseDate("2012-02-29")
	if err != nil {
		return err
	}
	for _, x := range demoRates {
		from, err := ledger.LookupCurrency(x.from)
		if err != nil {
			return err
		}
		to, err := ledger.LookupCurrency(x.to)
		if err != nil {
			return err
		}
		rate, err := decimal.NewFromString(x.rate)
		if err != nil {
			return err
		}
		if err := r.SetExchangeRate(ctx, ledger.ExchangeRate{Currency: from, Quote: to, Rate: rate, AsOf: asOf}); err != nil {
			return fmt.Errorf("demo: rate %s/%s: %w", x.from, x.to, err)
		}
	}
	return nil
}

// gift is one demo donation; the helpers in data.go build them.
type gift struct {
	key      string
	fund     string
	on       string
	amount   string
	currency string
	channel  ledger.Channel
	donor    ledger.Donor
	ack      ledger.Acknowledgement
	message  string
}

func (g gift) donation() (*ledger.Donation, error) {
	m, err := ledger.ParseMoney(g.amount, g.currency)
	if err != nil {
		return nil, err
	}
	on, err := parseDate(g.on)
	if err != nil {
		return nil, err
	}
	return &ledger.Donation{
		Fund: g.fund, Amount: m, Channel: g.channel, ReceivedOn: on,
		Donor: g.donor, Acknowledgement: g.ack, Message: g.message,
		IdempotencyKey: g.key,
		Fingerprint: fingerprint(g.fund, g.on, m.String(), string(g.channel), g.donor.Name, g.donor.Email, g.donor.Organisation,
			g.donor.Country, string(g.ack.Display), g.ack.Alias, fmt.Sprint(g.ack.ShowAmount), g.message),
	}, nil
}

// leg is one posting of a demo journal entry; amounts are decimal strings.
type leg struct {
	account, fund, amount, currency string
}

// entry is one demo journal entry, or the reversal of an earlier one.
type entry struct {
	key      string
	on       string
	desc     string
	meta     map[string]string
	legs     []leg
	reverses string // key of the entry this one reverses; legs are then unused
}

func (e entry) transaction() (*ledger.Transaction, error) {
	on, err := parseDate(e.on)
	if err != nil {
		return nil, err
	}
	t := &ledger.Transaction{IdempotencyKey: e.key, EffectiveDate: on, Description: e.desc, Metadata: map[string]string{"source": "demo"}}
	for k, v := range e.meta {
		t.Metadata[k] = v
	}
	parts := []string{e.on, e.desc, e.reverses}
	keys := make([]string, 0, len(t.Metadata))
	for k := range t.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k, t.Metadata[k])
	}
	for _, l := range e.legs {
		m, err := ledger.ParseMoney(l.amount, l.currency)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", l.account, l.fund, err)
		}
		t.Postings = append(t.Postings, ledger.Posting{Account: l.account, Fund: l.fund, Amount: m.Amount, Currency: m.Currency})
		parts = append(parts, l.account, l.fund, m.String())
	}
	t.Fingerprint = fingerprint(parts...)
	return t, nil
}

func (e entry) record(ctx context.Context, ts ledger.TransactionService, ids map[string]string) error {
	t, err := e.transaction()
	if err != nil {
		return err
	}
	if e.reverses != "" {
		orig, ok := ids[e.reverses]
		if !ok {
			return ledger.Errorf(ledger.EINTERNAL, "reverses %s, which the demo has not recorded yet", e.reverses)
		}
		r, err := ts.ReverseTransaction(ctx, orig, t)
		if err != nil {
			return err
		}
		ids[e.key] = r.ID
		return nil
	}
	r, err := ts.RecordTransaction(ctx, t)
	if err != nil {
		return err
	}
	ids[e.key] = r.ID
	return nil
}
