package postgres_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// BenchmarkRecordDonation measures recording one offline donation through the
// service (validation, idempotency check, sorted balance locks, hash chain,
// donation row), serially and with parallel clients on the same hot fund and
// accounts. BenchmarkRecordDonationBaseline writes the same rows with plain
// SQL in one database transaction per donation, on the same server in the
// same run, so the two figures can be compared.
//
//	go test -run '^$' -bench RecordDonation -benchtime 3s ./internal/postgres/
func BenchmarkRecordDonation(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			bk := mustBooks(b)
			m, _ := ledger.ParseMoney("25.00", "EUR")
			var n atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, err := bk.dons.RecordDonation(ctx, &ledger.Donation{Fund: "zhanaozen", Amount: m, Channel: ledger.ChannelBankTransfer,
						ReceivedOn: date("2011-12-20"), IdempotencyKey: fmt.Sprint("bench-", n.Add(1))})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "donations/s")
		})
	}
}

func BenchmarkRecordDonationBaseline(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			bk := mustBooks(b)
			var fundID int64
			if err := bk.db.Pool.QueryRow(ctx, `select id from funds where slug = 'zhanaozen'`).Scan(&fundID); err != nil {
				b.Fatal(err)
			}
			if _, err := bk.db.Pool.Exec(ctx, `create sequence bench_seq start 1000000000`); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			hash := make([]byte, 32)
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					txID, donID := uuid.NewString(), uuid.NewString()
					err := pgx.BeginFunc(ctx, bk.db.Pool, func(tx pgx.Tx) error {
						batch := &pgx.Batch{}
						batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, 'assets:bank:eur', 'EUR', 25)
							on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`, fundID)
						batch.Queue(`insert into balances (fund_id, account, currency, amount) values ($1, 'income:donations:bank_transfer', 'EUR', -25)
							on conflict (fund_id, account, currency) do update set amount = balances.amount + excluded.amount`, fundID)
						batch.Queue(`insert into transactions (id, seq, idempotency_key, effective_date, description, recorded_at, prev_hash, hash)
							values ($1, nextval('bench_seq'), $2, '2011-12-20', 'Donation by bank transfer', now(), '', $3)`, txID, fmt.Sprint("base-", n.Add(1)), hash)
						batch.Queue(`insert into postings values ($1, 0, 'assets:bank:eur', $2, 'EUR', 25), ($1, 1, 'income:donations:bank_transfer', $2, 'EUR', -25)`, txID, fundID)
						batch.Queue(`insert into donations (id, transaction_id, fund_id, amount, currency, channel, received_on, ack_display, recorded_at)
							values ($1, $2, $3, 25, 'EUR', 'bank_transfer', '2011-12-20', 'anonymous', now())`, donID, txID, fundID)
						return tx.SendBatch(ctx, batch).Close()
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "donations/s")
		})
	}
}
