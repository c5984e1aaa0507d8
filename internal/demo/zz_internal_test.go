package demo

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
	"github.com/fundledger/fundledger/internal/postgres"
)

func TestZZConcurrentAfterFunds(t *testing.T) {
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		db := pgtest.NewDB(t)
		s := Services{postgres.NewFundService(db), postgres.NewTransactionService(db), postgres.NewDonationService(db)}
		for _, spec := range demoFunds() {
			f, _ := spec.fund()
			if err := s.Funds.CreateFund(ctx, f, KeyPrefix+"fund-"+spec.slug, fingerprint(spec.slug, f.Name, f.Description, f.Currency.Code, spec.target, fmt.Sprint(f.Restricted))); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) { defer wg.Done(); _, errs[g] = Seed(ctx, s) }(g)
		}
		wg.Wait()
		for g, err := range errs {
			if err != nil {
				t.Errorf("round %d seeder %d: %v", i, g, err)
			}
		}
		var n int
		db.Pool.QueryRow(ctx, `select count(*) from transactions`).Scan(&n)
		r, _ := postgres.NewVerifier(db).Verify(ctx)
		t.Logf("round %d: %d transactions, problems %v", i, n, r.Problems)
	}
}
