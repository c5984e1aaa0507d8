package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

const (
	seedGrants = 5000
	seedChunk  = 50_000 // entries per database transaction
	maxLines   = 10_000 // statement lines for reconcile
)

var (
	seedYear       = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	seedCurrencies = []string{"EUR", "GBP", "SEK", "RUB", "KZT", "USD"}
	seedFunds      = []string{"strike-hardship", "legal-defence", "families"}
	grantCats      = []string{"rent", "food", "medical", "utilities", "legal"}
)

// seeded is what the workloads need from the seed.
type seeded struct {
	funds   map[string]int64
	lines   []stmtLine // bank_transfer EUR donations, for the statement
	entries int
}

type stmtLine struct {
	date   time.Time
	amount decimal.Decimal
}

type balanceKey struct {
	fund     int64
	account  string
	currency string
}

// seedBooks creates the funds and COPYs the donations and grant payments in
// chain order, each with its hash computed as the service would.
func seedBooks(ctx context.Context, db *postgres.DB, donations, grants int, progress func(done, total int)) (*seeded, error) {
	fsvc := postgres.NewFundService(db)
	s := &seeded{funds: map[string]int64{}}
	for i, slug := range seedFunds {
		eur, _ := ledger.LookupCurrency("EUR")
		f := &ledger.Fund{Slug: slug, Name: fmt.Sprintf("Fund %d", i+1), Currency: eur}
		if err := fsvc.CreateFund(ctx, f, "fundbench-fund-"+slug, ""); err != nil {
			return nil, fmt.Errorf("create fund %s: %w", slug, err)
		}
		if err := db.Pool.QueryRow(ctx, `select id from funds where slug = $1`, slug).Scan(&f.ID); err != nil {
			return nil, err
		}
		s.funds[slug] = f.ID
	}
	for _, code := range seedCurrencies {
		cur, _ := ledger.LookupCurrency(code)
		acct := ledger.BankAccountCode(cur)
		var exists bool
		if err := db.Pool.QueryRow(ctx, `select exists(select 1 from accounts where code = $1)`, acct).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			if err := fsvc.OpenAccount(ctx, ledger.Account{Code: acct, Name: "Bank account (" + code + ")", Type: ledger.Asset}); err != nil {
				return nil, fmt.Errorf("open %s: %w", acct, err)
			}
		}
	}
	var head []byte
	var seq int64
	if err := db.Pool.QueryRow(ctx, `select seq, hash from ledger_head`).Scan(&seq, &head); err != nil {
		return nil, err
	}

	total := donations + grants
	s.entries = total
	rng := rand.New(rand.NewPCG(1, 2))
	step := (365 * 24 * time.Hour / time.Duration(total)).Truncate(time.Microsecond)
	if step <= 0 {
		step = time.Microsecond
	}
	balances := map[balanceKey]decimal.Decimal{}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()

	var txRows, postRows, donRows [][]any
	flush := func(done int) error {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"transactions"}, []string{"id", "seq", "idempotency_key", "fingerprint",
				"effective_date", "description", "metadata", "recorded_at", "prev_hash", "hash"}, pgx.CopyFromRows(txRows)); err != nil {
				return fmt.Errorf("copy transactions: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"postings"}, []string{"transaction_id", "idx", "account", "fund_id", "currency", "amount"},
				pgx.CopyFromRows(postRows)); err != nil {
				return fmt.Errorf("copy postings: %w", err)
			}
			if len(donRows) > 0 {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"donations"}, []string{"id", "transaction_id", "fund_id", "amount", "currency",
					"channel", "received_on", "ack_display", "ack_show_amount", "ack_status", "recorded_at"}, pgx.CopyFromRows(donRows)); err != nil {
					return fmt.Errorf("copy donations: %w", err)
				}
			}
			return nil
		})
		txRows, postRows, donRows = txRows[:0], postRows[:0], donRows[:0]
		if err == nil && progress != nil {
			progress(done, total)
		}
		return err
	}

	eur, _ := ledger.LookupCurrency("EUR")
	g := 0
	for j := range total {
		isGrant := grants > 0 && (j*grants)/total != ((j+1)*grants)/total
		recorded := seedYear.Add(time.Duration(j) * step).Add(time.Hour)
		day := time.Date(recorded.Year(), recorded.Month(), recorded.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -rng.IntN(3))
		if day.Before(seedYear) {
			day = seedYear
		}
		var t *ledger.Transaction
		var don []any
		if isGrant {
			g++
			amt := decimal.New(int64(100_00+rng.IntN(1900_00)), -2)
			t = &ledger.Transaction{
				IdempotencyKey: fmt.Sprintf("seed-grant-%d", g),
				EffectiveDate:  day,
				Description:    "Hardship grant payment",
				Metadata:       map[string]string{"grant_category": grantCats[g%len(grantCats)]},
				Postings: []ledger.Posting{
					{Account: ledger.AccountGrants, Fund: seedFunds[0], Amount: amt, Currency: eur},
					{Account: ledger.BankAccountCode(eur), Fund: seedFunds[0], Amount: amt.Neg(), Currency: eur},
				},
			}
		} else {
			cur, _ := ledger.LookupCurrency(seedCurrencies[rng.IntN(len(seedCurrencies))])
			ch := ledger.OfflineChannels[rng.IntN(len(ledger.OfflineChannels))]
			d := &ledger.Donation{
				ID:             uuid.NewString(),
				Fund:           seedFunds[rng.IntN(len(seedFunds))],
				Amount:         ledger.Money{Amount: decimal.New(int64(5_00+rng.IntN(500_00)), -2), Currency: cur},
				Channel:        ch,
				ReceivedOn:     day,
				IdempotencyKey: fmt.Sprintf("seed-donation-%d", j),
			}
			t = d.Transaction()
			if ch == ledger.ChannelBankTransfer && cur.Code == "EUR" && len(s.lines) < maxLines {
				s.lines = append(s.lines, stmtLine{date: day, amount: d.Amount.Amount})
			}
			don = []any{d.ID, "", s.funds[d.Fund], d.Amount.Amount, cur.Code, string(ch), day, "anonymous", true, "approved", recorded}
		}
		seq++
		t.Seq = seq
		t.ID = uuid.NewString()
		t.RecordedAt = recorded
		t.PrevHash = head
		t.Hash = t.ComputeHash(head)
		head = t.Hash
		meta, _ := json.Marshal(t.Metadata)
		txRows = append(txRows, []any{t.ID, t.Seq, t.IdempotencyKey, "", t.EffectiveDate, t.Description, string(meta), t.RecordedAt, t.PrevHash, t.Hash})
		for i, p := range t.Postings {
			fid := s.funds[p.Fund]
			postRows = append(postRows, []any{t.ID, int16(i), p.Account, fid, p.Currency.Code, p.Amount})
			k := balanceKey{fid, p.Account, p.Currency.Code}
			balances[k] = balances[k].Add(p.Amount)
		}
		if don != nil {
			don[1] = t.ID
			donRows = append(donRows, don)
		}
		if len(txRows) >= seedChunk {
			if err := flush(j + 1); err != nil {
				return nil, err
			}
		}
	}
	if len(txRows) > 0 {
		if err := flush(total); err != nil {
			return nil, err
		}
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for k, amt := range balances {
			if _, err := tx.Exec(ctx, `insert into balances (fund_id, account, currency, amount) values ($1, $2, $3, $4)
				on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`,
				k.fund, k.account, k.currency, amt); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `update ledger_head set seq = $1, hash = $2`, seq, head)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("balances and chain head: %w", err)
	}
	_, err = conn.Exec(ctx, `analyze`)
	return s, err
}
