package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5/pgconn"
)

// totalsProblems runs verify and returns what it says about the report totals.
func totalsProblems(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	r, err := postgres.NewVerifier(db).Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range r.Problems {
		if strings.HasPrefix(p, "report totals") {
			out = append(out, p)
		}
	}
	return out
}

// asSuperuser runs sql with the triggers off, as someone with access to the
// database could.
func asSuperuser(t *testing.T, db *postgres.DB, sql string) {
	t.Helper()
	if _, err := db.Pool.Exec(ctx, `set session_replication_role = replica; `+sql+`; set session_replication_role = origin`); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyReportTotalsTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  string
		want string
	}{
		{"amount", `update report_totals set amount = amount + 1 where kind = 'account' and key = 'assets:bank:kzt' and effective_date = '2011-12-15'`,
			`report totals zhanaozen 2011-12-15 account "assets:bank:kzt" KZT: stored amount -99999, postings give amount -100000`},
		{"count", `update report_totals set signed = signed + 1 where kind = 'category' and key = 'food'`,
			`report totals zhanaozen 2011-12-15 category "food" KZT: stored amount 100000, count 2 of 1 moving (over all funds 1 of 1), postings give amount 100000, count 1 of 1 moving (over all funds 1 of 1)`},
		{"count over all funds", `update report_totals set moving_all = 0 where kind = 'channel' and key = 'cheque'`,
			`report totals zhanaozen 2011-12-08 channel "cheque" EUR: stored amount -300, count -1 of 1 moving (over all funds -1 of 0), postings give amount -300, count -1 of 1 moving (over all funds -1 of 1)`},
		{"country", `update report_totals set key = 'FR' where kind = 'country' and key = 'PL'`,
			`report totals zhanaozen 2011-12-08 country "PL" EUR: stored no row, postings give amount -300, count -1 of 1 moving (over all funds -1 of 1)`},
		{"deleted row", `delete from report_totals where kind = 'account' and key = 'equity:conversion'`,
			`report totals zhanaozen 2011-12-10 account "equity:conversion" EUR: stored no row, postings give amount 1000`},
		{"row without postings", `insert into report_totals values ('account', (select id from funds where slug = 'karaganda'), '2011-12-01', 'assets:cash', 'EUR', 0, 0, 0, 0, 0)`,
			`report totals karaganda 2011-12-01 account "assets:cash" EUR: stored amount 0, postings give no row`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustReportBooks(t) // verified sound
			asSuperuser(t, b.db, tc.sql)
			got := strings.Join(totalsProblems(t, b.db), "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("verify reported\n%s\nwant a problem with\n%s", got, tc.want)
			}
		})
	}
}

// rebuild_report_totals, which backfilled the table, writes what the
// triggers wrote, except rows a donation's country left at zero.
func TestRebuildReportTotals(t *testing.T) {
	b := mustReportBooks(t)
	mustInterfundEntries(t, b)
	const rows = `select coalesce(json_agg(r order by kind, fund_id, effective_date, key, currency), '[]') from report_totals r
		where kind = 'account' or (amount, signed, moving, signed_all, moving_all) <> (0, 0, 0, 0, 0)`
	var before, after json.RawMessage
	if err := b.db.Pool.QueryRow(ctx, rows).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool.Exec(ctx, `select rebuild_report_totals()`); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Pool.QueryRow(ctx, rows).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("the triggers wrote\n%s\nrebuild writes\n%s", before, after)
	}
	b.mustVerify(t)
}

// mustInterfundEntries adds transactions that post one key in two funds:
// income moved from one fund to the other (nothing over all funds), and a
// grant paid from one fund's bank for both.
func mustInterfundEntries(t *testing.T, b *reportBooks) {
	t.Helper()
	b.repEntry(t, "move-income", "2011-12-23", "Cash donation booked to the wrong fund", nil,
		posting(t, "income:donations:cash", "zhanaozen", "200.00", "EUR"),
		posting(t, "income:donations:cash", "karaganda", "-200.00", "EUR"),
		posting(t, "assets:bank:eur", "zhanaozen", "-200.00", "EUR"),
		posting(t, "assets:bank:eur", "karaganda", "200.00", "EUR"))
	b.repEntry(t, "grant-both", "2011-12-24", "Hardship grant G-004 from both funds", map[string]string{"grant_ref": "G-004", "grant_category": "medical"},
		posting(t, "expenses:grants", "zhanaozen", "3000.00", "KZT"),
		posting(t, "expenses:grants", "karaganda", "2000.00", "KZT"),
		posting(t, "assets:bank:kzt", "zhanaozen", "-5000.00", "KZT"))
	b.mustVerify(t)
}

// A transaction that posts a key in two funds counts once in each fund and,
// over all funds, by its net there.
func TestPeriodReportCountsAcrossFunds(t *testing.T) {
	b := mustReportBooks(t)
	mustInterfundEntries(t, b)
	for _, tc := range []struct {
		fund            string
		cash            ledger.ReportLine // EUR
		medical         ledger.ReportLine // KZT
		grants, country int64             // KZT grant count, EUR count of unknown country
	}{
		// zhanaozen: the cash donation of 6 December and the 200 moved out.
		{"zhanaozen", ledger.ReportLine{Amount: dec("0"), Count: 0}, ledger.ReportLine{Amount: dec("3000.00"), Count: 1}, 4, 1},
		{"karaganda", ledger.ReportLine{Amount: dec("200.00"), Count: 1}, ledger.ReportLine{Amount: dec("2000.00"), Count: 1}, 1, 1},
		{"", ledger.ReportLine{Amount: dec("200.00"), Count: 1}, ledger.ReportLine{Amount: dec("5000.00"), Count: 1}, 4, 2},
	} {
		t.Run("fund "+tc.fund, func(t *testing.T) {
			f := period(tc.fund, "2011-12-01", "2011-12-31")
			r, err := b.reports.PeriodReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			mustTie(t, r, b.independent(t, f))
			cash, medical := line(r.IncomeByChannel, "cash", "EUR"), line(r.GrantsByCategory, "medical", "KZT")
			if !cash.Amount.Equal(tc.cash.Amount) || cash.Count != tc.cash.Count {
				t.Errorf("cash: %s count %d, want %s count %d", cash.Amount, cash.Count, tc.cash.Amount, tc.cash.Count)
			}
			if !medical.Amount.Equal(tc.medical.Amount) || medical.Count != tc.medical.Count {
				t.Errorf("medical: %s count %d, want %s count %d", medical.Amount, medical.Count, tc.medical.Amount, tc.medical.Count)
			}
			if n := r.FiguresIn("KZT").GrantCount; n != tc.grants {
				t.Errorf("grant count %d, want %d", n, tc.grants)
			}
			if n := line(r.IncomeByCountry, "", "EUR").Count; n != tc.country {
				t.Errorf("unknown country count %d, want %d", n, tc.country)
			}
		})
	}
}

// Group commit writes the postings of many transactions in one statement and
// their donations in the next: a donation and the reversal of its transaction
// in the same statements count under the donor's country.
func TestReportTotalsOneStatementForMany(t *testing.T) {
	b := mustReportBooks(t)
	d1, d2, r1 := "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002", "aaaaaaaa-0000-4000-8000-000000000003"
	t1, t2 := "bbbbbbbb-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
	tx, err := b.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	hash := []byte(strings.Repeat("x", 32))
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`insert into transactions (id, seq, idempotency_key, effective_date, description, metadata, reversal_of, recorded_at, prev_hash, hash) values
			($1, 1001, 'group-1', '2011-12-26', 'Donation', jsonb_build_object('donation_id', $3::text), null, now(), '', $5),
			($2, 1002, 'group-2', '2011-12-26', 'Donation', jsonb_build_object('donation_id', $4::text), null, now(), '', $5),
			($6, 1003, 'group-3', '2011-12-27', 'Reversal', '{}', $1, now(), '', $5)`, []any{t1, t2, d1, d2, hash, r1}},
		{`insert into postings (transaction_id, idx, account, fund_id, currency, amount)
			select tx::uuid, idx, account, (select id from funds where slug = 'zhanaozen'), 'EUR', amount from (values
				($1, 0, 'assets:bank:eur', 40), ($1, 1, 'income:donations:bank_transfer', -40),
				($2, 0, 'assets:bank:eur', 60), ($2, 1, 'income:donations:bank_transfer', -60),
				($3, 0, 'assets:bank:eur', -40), ($3, 1, 'income:donations:bank_transfer', 40)) v(tx, idx, account, amount)`, []any{t1, t2, r1}},
		{`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on, donor_country, ack_display, recorded_at)
			select d::uuid, tx::uuid, (select id from funds where slug = 'zhanaozen'), amount, 'EUR', 'bank_transfer', '2011-12-26', country, 'anonymous', now()
			from (values ($1, $2, 40, 'SE'), ($3, $4, 60, 'NO')) v(d, tx, amount, country)`, []any{d1, t1, d2, t2}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if p := totalsProblems(t, b.db); len(p) > 0 {
		t.Fatalf("verify: %s", strings.Join(p, "\n"))
	}
	for _, fund := range []string{"zhanaozen", ""} {
		f := period(fund, "2011-12-01", "2011-12-31")
		r, err := b.reports.PeriodReport(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		mustTie(t, r, b.independent(t, f))
		se, no := line(r.IncomeByCountry, "SE", "EUR"), line(r.IncomeByCountry, "NO", "EUR")
		if !se.Amount.IsZero() || se.Count != 0 || !no.Amount.Equal(dec("60")) || no.Count != 1 {
			t.Errorf("fund %q: SE %s count %d (given and reversed), NO %s count %d", fund, se.Amount, se.Count, no.Amount, no.Count)
		}
		if un := line(r.IncomeByCountry, "", "EUR"); !un.Amount.Equal(dec("250.00")) || un.Count != 2 { // the card payment and the collection
			t.Errorf("fund %q: unknown country %s count %d", fund, un.Amount, un.Count)
		}
	}
}

// The totals read a donation's country once: it cannot change afterwards.
func TestDonationCountryIsFixed(t *testing.T) {
	b := mustBooks(t)
	d := b.mustDonation(t, "d1", "10", "EUR", ledger.ChannelCash)
	other := b.mustDonation(t, "d2", "20", "EUR", ledger.ChannelCash)
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`update donations set donor_country = 'FR' where id = $1`, []any{d.ID}},
		{`update donations set transaction_id = $2 where id = $1`, []any{d.ID, other.TransactionID}},
	} {
		_, err := b.db.Pool.Exec(ctx, st.sql, st.args...)
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "23001" {
			t.Errorf("%s: %v, want restrict_violation", st.sql, err)
		}
	}
	if _, err := b.db.Pool.Exec(ctx, `update donations set ack_status = 'hidden', donor_country = donor_country where id = $1`, d.ID); err != nil {
		t.Errorf("an update that keeps the country: %v", err)
	}
	b.mustVerify(t)
}

// The period report reads no posting, whatever the period and fund.
func TestPeriodReportReadsTotalsOnly(t *testing.T) {
	b := mustReportBooks(t)
	for _, sql := range postgres.PeriodReportSQL {
		for _, fund := range []any{nil, "zhanaozen"} {
			var plan json.RawMessage
			if err := b.db.Pool.QueryRow(ctx, `explain (format json) `+sql, fund, date("2011-01-01"), date("2011-12-31")).Scan(&plan); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"postings", "transactions", "donations"} {
				if strings.Contains(string(plan), fmt.Sprintf(`"Relation Name": %q`, table)) {
					t.Errorf("the plan of\n%s\nreads %s:\n%s", sql, table, plan)
				}
			}
		}
	}
}

// With a pool of one connection verify checks the totals on it, in line.
func TestVerifyReportTotalsOnOneConnection(t *testing.T) {
	b := mustReportBooks(t)
	asSuperuser(t, b.db, `update report_totals set amount = amount + 1 where kind = 'account' and key = 'assets:bank:kzt' and effective_date = '2011-12-15'`)
	url := b.db.Pool.Config().ConnString()
	switch {
	case strings.Contains(url, "?"):
		url += "&pool_max_conns=1"
	case strings.Contains(url, "://"):
		url += "?pool_max_conns=1"
	default:
		url += " pool_max_conns=1"
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := db.Pool.Config().MaxConns; n != 1 {
		t.Fatalf("pool of %d connections", n)
	}
	if got := strings.Join(totalsProblems(t, db), "\n"); !strings.Contains(got, `account "assets:bank:kzt" KZT: stored amount -99999`) {
		t.Errorf("verify on one connection reported %q", got)
	}
}

// A donation row written before its transaction's postings is found by the
// postings' trigger: its country counts at once, with nothing to move.
func TestReportTotalsDonationBeforePostings(t *testing.T) {
	b := mustReportBooks(t)
	txID, donID := "cccccccc-0000-4000-8000-000000000001", "cccccccc-0000-4000-8000-000000000002"
	tx, err := b.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`insert into transactions (id, seq, idempotency_key, effective_date, description, metadata, recorded_at, prev_hash, hash)
			values ($1, 1001, 'early-1', '2011-12-26', 'Donation', jsonb_build_object('donation_id', $2::text), now(), '', $3)`,
			[]any{txID, donID, []byte(strings.Repeat("x", 32))}},
		{`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on, donor_country, ack_display, recorded_at)
			values ($1, $2, (select id from funds where slug = 'zhanaozen'), 70, 'EUR', 'cash', '2011-12-26', 'IT', 'anonymous', now())`,
			[]any{donID, txID}},
		{`insert into postings (transaction_id, idx, account, fund_id, currency, amount)
			select $1, idx, account, (select id from funds where slug = 'zhanaozen'), 'EUR', amount
			from (values (0, 'assets:cash', 70), (1, 'income:donations:cash', -70)) v(idx, account, amount)`, []any{txID}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if p := totalsProblems(t, b.db); len(p) > 0 {
		t.Fatalf("verify: %s", strings.Join(p, "\n"))
	}
	f := period("zhanaozen", "2011-12-01", "2011-12-31")
	r, err := b.reports.PeriodReport(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	mustTie(t, r, b.independent(t, f))
	if it := line(r.IncomeByCountry, "IT", "EUR"); !it.Amount.Equal(dec("70")) || it.Count != 1 {
		t.Errorf("IT: %s count %d", it.Amount, it.Count)
	}
}
