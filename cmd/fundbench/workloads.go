package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

type bench struct {
	o                   options
	db                  *postgres.DB
	dons                *postgres.DonationService
	seed                *seeded
	base                string
	client              *http.Client
	mem                 *memSampler
	logf                func(string, ...any)
	treasurer, observer string
	run                 string // distinguishes this run's idempotency keys
}

func createTokens(ctx context.Context, db *postgres.DB) (treasurer, observer string, err error) {
	ts := postgres.NewTokenService(db)
	if treasurer, _, err = ts.CreateToken(ctx, "fundbench treasurer", ledger.RoleTreasurer); err != nil {
		return "", "", err
	}
	observer, _, err = ts.CreateToken(ctx, "fundbench observer", ledger.RoleObserver)
	return treasurer, observer, err
}

// do sends one request and fails on a status other than want.
func (b *bench) do(ctx context.Context, method, path, token string, hdr map[string]string, body []byte, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, msg)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw, err = io.ReadAll(resp.Body)
		return err
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

const hotFund = "strike-hardship"

// record: POST /api/v1/donations, unique keys, one hot fund and account.
func (b *bench) record(ctx context.Context) (*Result, error) {
	body := []byte(`{"fund":"` + hotFund + `","amount":"25.00","currency":"EUR","channel":"bank_transfer","received_on":"2025-12-20","acknowledgement":{"display":"anonymous"}}`)
	run := uuid.NewString()[:8]
	before := b.dons.GroupStats()
	r, err := load(ctx, b.o.concurrency, b.o.duration, func(ctx context.Context, _ int, i int64) error {
		return b.do(ctx, http.MethodPost, "/api/v1/donations", b.treasurer,
			map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%s-%d", run, i)}, body, http.StatusCreated, nil)
	})
	if r != nil {
		after := b.dons.GroupStats()
		if commits := after.Flushes - before.Flushes; commits > 0 {
			if r.Detail == nil {
				r.Detail = map[string]any{}
			}
			r.Detail["commits"] = commits
			r.Detail["donations_per_commit"] = float64(after.Writes-before.Writes) / float64(commits)
		}
	}
	return r, err
}

// baseline: the same rows by plain SQL, one database transaction per
// donation (internal/postgres/bench_test.go's baseline).
func (b *bench) baseline(ctx context.Context) (*Result, error) {
	fundID := b.seed.funds[hotFund]
	if _, err := b.db.Pool.Exec(ctx, `create sequence if not exists fundbench_seq start 1000000000`); err != nil {
		return nil, err
	}
	run := uuid.NewString()[:8]
	hash := make([]byte, 32)
	return load(ctx, b.o.concurrency, b.o.duration, func(ctx context.Context, _ int, i int64) error {
		txID, donID := uuid.NewString(), uuid.NewString()
		return pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
			batch := &pgx.Batch{}
			batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, 'assets:bank:eur', 'EUR', 25)
				on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`, fundID)
			batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, 'income:donations:bank_transfer', 'EUR', -25)
				on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`, fundID)
			batch.Queue(`insert into transactions (id, seq, idempotency_key, effective_date, description, recorded_at, prev_hash, hash)
				values ($1, nextval('fundbench_seq'), $2, '2025-12-20', 'Donation by bank transfer', now(), '', $3)`, txID, fmt.Sprintf("base-%s-%d", run, i), hash)
			batch.Queue(`insert into postings values ($1, 0, 'assets:bank:eur', $2, 'EUR', 25), ($1, 1, 'income:donations:bank_transfer', $2, 'EUR', -25)`, txID, fundID)
			batch.Queue(`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on, ack_display, recorded_at)
				values ($1, $2, $3, 25, 'EUR', 'bank_transfer', '2025-12-20', 'anonymous', now())`, donID, txID, fundID)
			return tx.SendBatch(ctx, batch).Close()
		})
	})
}

type ackPage struct {
	Acknowledgements []json.RawMessage `json:"acknowledgements"`
	Older            string            `json:"older"`
}

// ackList: the public list's first page and deep pages.
func (b *bench) ackList(ctx context.Context) (*Result, error) {
	cursors := []string{""}
	cur := ""
	for page := 1; page < 100; page++ {
		var p ackPage
		if err := b.do(ctx, http.MethodGet, "/api/v1/acknowledgements?after="+url.QueryEscape(cur), "", nil, nil, http.StatusOK, &p); err != nil {
			return nil, err
		}
		if p.Older == "" {
			break
		}
		cur = p.Older
		cursors = append(cursors, cur)
	}
	r, err := load(ctx, b.o.concurrency, b.o.duration, func(ctx context.Context, _ int, i int64) error {
		c := ""
		if i%4 != 0 { // a quarter first pages, the rest deep pages at random
			c = cursors[rand.IntN(len(cursors))]
		}
		// The page is read whole but not decoded: decoding cost the load
		// generator three times what the server spends on a page.
		var page []byte
		if err := b.do(ctx, http.MethodGet, "/api/v1/acknowledgements?after="+url.QueryEscape(c), "", nil, nil, http.StatusOK, &page); err != nil {
			return err
		}
		if !bytes.Contains(page, []byte(`"acknowledgements":[{`)) {
			return fmt.Errorf("empty page: %.200s", page)
		}
		return nil
	})
	if r != nil {
		if r.Detail == nil {
			r.Detail = map[string]any{}
		}
		r.Detail["deepest_page"] = len(cursors)
	}
	return r, err
}

// report: the period report for the whole year, every fund.
func (b *bench) report(ctx context.Context) (*Result, error) {
	return load(ctx, b.o.concurrency, b.o.duration, func(ctx context.Context, _ int, _ int64) error {
		return b.do(ctx, http.MethodGet, "/api/v1/reports/period?from=2025-01-01&to=2025-12-31", b.observer, nil, nil, http.StatusOK, nil)
	})
}

// reconcile: one camt.053.001.08 statement of up to 10,000 lines matching
// seeded bank-transfer EUR donations, imported and matched in one request.
func (b *bench) reconcile(ctx context.Context) (*Result, error) {
	lines := b.seed.lines
	if len(lines) == 0 {
		return nil, fmt.Errorf("no bank_transfer EUR donations were seeded")
	}
	xml := camt053(lines)
	body, err := json.Marshal(map[string]string{"account": "assets:bank:eur", "format": "camt053", "content": xml})
	if err != nil {
		return nil, err
	}
	var out struct {
		Statements  int `json:"statements"`
		Lines       int `json:"lines"`
		Duplicates  int `json:"duplicates"`
		AutoMatched int `json:"auto_matched"`
		Proposed    int `json:"proposed"`
	}
	start := time.Now()
	err = b.do(ctx, http.MethodPost, "/api/v1/statements", b.treasurer,
		map[string]string{"Idempotency-Key": "fundbench-statement-" + uuid.NewString()}, body, http.StatusOK, &out)
	if err != nil {
		return nil, err
	}
	el := time.Since(start)
	r := summarize([]time.Duration{el}, el)
	r.Detail = map[string]any{"lines": out.Lines, "auto_matched": out.AutoMatched, "proposed": out.Proposed,
		"duplicates": out.Duplicates, "body_bytes": len(body), "lines_per_s": float64(out.Lines) / el.Seconds()}
	return r, nil
}

func camt053(lines []stmtLine) string {
	var sb strings.Builder
	sum := decimal.Zero
	for _, l := range lines {
		sum = sum.Add(l.amount)
	}
	from, to := lines[0].date, lines[0].date
	for _, l := range lines {
		if l.date.Before(from) {
			from = l.date
		}
		if l.date.After(to) {
			to = l.date
		}
	}
	fmt.Fprintf(&sb, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt>
<GrpHdr><MsgId>FUNDBENCH-%[1]s</MsgId><CreDtTm>2026-01-02T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt>
<Id>FUNDBENCH-STMT-%[1]s</Id>
<CreDtTm>2026-01-02T06:00:00+01:00</CreDtTm>
<FrToDt><FrDtTm>%[2]sT00:00:00+00:00</FrDtTm><ToDtTm>%[3]sT23:59:59+00:00</ToDtTm></FrToDt>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%[2]s</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%[4]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%[3]s</Dt></Dt></Bal>
`, uuid.NewString()[:8], from.Format(time.DateOnly), to.Format(time.DateOnly), sum.StringFixed(2))
	for i, l := range lines {
		d := l.date.Format(time.DateOnly)
		fmt.Fprintf(&sb, `<Ntry><NtryRef>%[1]d</NtryRef><Amt Ccy="EUR">%[2]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>`+
			`<BookgDt><Dt>%[3]s</Dt></BookgDt><ValDt><Dt>%[3]s</Dt></ValDt><AcctSvcrRef>FB%[1]08d</AcctSvcrRef>`+
			`<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Donor %[1]d</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Strike fund donation</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
`, i+1, l.amount.StringFixed(2), d)
	}
	sb.WriteString("</Stmt>\n</BkToCstmrStmt>\n</Document>\n")
	return sb.String()
}

// verify: the whole chain and every balance, once.
func (b *bench) verify(ctx context.Context) (*Result, error) {
	start := time.Now()
	rep, err := postgres.NewVerifier(b.db).Verify(ctx)
	if err != nil {
		return nil, err
	}
	el := time.Since(start)
	r := summarize([]time.Duration{el}, el)
	r.Throughput = float64(rep.Transactions) / el.Seconds() // transactions verified per second
	problems := rep.Problems
	if len(problems) > 5 {
		problems = problems[:5]
	}
	r.Detail = map[string]any{"transactions": rep.Transactions, "postings": rep.Postings, "balances": rep.Balances,
		"problems": len(rep.Problems), "first_problems": problems}
	return r, nil
}
