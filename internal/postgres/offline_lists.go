package postgres

import (
	"context"
	"fmt"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// ListBatches implements ledger.BatchService: the newest batches with the
// given status, with their entries.
func (s *DonationService) ListBatches(ctx context.Context, status ledger.BatchStatus, limit int) ([]*ledger.Batch, error) {
	rows, err := s.db.Pool.Query(ctx, `select id::text from batches where status = $1 order by opened_at desc limit $2`, string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", translate(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", translate(err))
	}
	out := make([]*ledger.Batch, 0, len(ids))
	for _, id := range ids {
		b, err := s.FindBatch(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// ListCollections implements ledger.CollectionService: the latest street
// collections.
func (s *DonationService) ListCollections(ctx context.Context, limit int) ([]*ledger.Collection, error) {
	rows, err := s.db.Pool.Query(ctx, `select id::text from collections order by collected_on desc, recorded_at desc limit $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", translate(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", translate(err))
	}
	out := make([]*ledger.Collection, 0, len(ids))
	for _, id := range ids {
		c, err := s.FindCollection(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
