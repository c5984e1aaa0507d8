package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// AuditService implements ledger.AuditService on the append-only audit_log
// table, whose triggers refuse UPDATE, DELETE and TRUNCATE.
type AuditService struct {
	db    *DB
	group *group[auditWrite]
}

// NewAuditService returns the audit log on db.
func NewAuditService(db *DB) *AuditService {
	s := &AuditService{db: db}
	s.group = newGroup(500, s.flush)
	return s
}

var _ ledger.AuditService = (*AuditService)(nil)

type auditWrite struct {
	e   *ledger.AuditEntry
	err error
}

// Record implements ledger.AuditService. Entries recorded at the same time
// share one commit (group commit); each returns once its entry is committed.
func (s *AuditService) Record(ctx context.Context, e *ledger.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("record audit %s: %w", e.Action, err)
	}
	w := &auditWrite{e: e}
	s.group.do(w)
	if w.err != nil {
		return fmt.Errorf("record audit %s: %w", e.Action, w.err)
	}
	return nil
}

// flush appends a group of entries in one database transaction, or, if that
// fails, each in its own.
func (s *AuditService) flush(ctx context.Context, ws []*auditWrite) {
	at := s.db.now()
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, w := range ws {
			w.err = nil
			queueAudit(batch, at, w.e)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err == nil {
		return
	}
	for _, w := range ws {
		w.err = recordAudit(ctx, s.db.Pool, at, w.e)
	}
}

// recordAudit appends e through q (a pool or a transaction), so a change and
// its audit entry commit together.
func recordAudit(ctx context.Context, q querier, at time.Time, e *ledger.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.At = at
	err := q.QueryRow(ctx, insertAudit, at, e.MemberID, e.MemberName, e.Action, e.Subject, e.Details).Scan(&e.ID)
	if err != nil {
		return translate(err)
	}
	return nil
}

const insertAudit = `insert into audit_log (at, member_id, member_name, action, subject, details)
	values ($1, nullif($2, 0), $3, $4, $5, $6) returning id`

// queueAudit queues the insert of e, valid, into batch.
func queueAudit(batch *pgx.Batch, at time.Time, e *ledger.AuditEntry) {
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.At = at
	batch.Queue(insertAudit, at, e.MemberID, e.MemberName, e.Action, e.Subject, e.Details).QueryRow(func(r pgx.Row) error { return r.Scan(&e.ID) })
}

// List implements ledger.AuditService.
func (s *AuditService) List(ctx context.Context, f ledger.AuditFilter) (*ledger.AuditPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		return nil, ledger.Errorf(ledger.EINVALID, "limit must be at most 500")
	}
	if f.Before < 0 {
		return nil, ledger.Errorf(ledger.EINVALID, "before must be an entry id")
	}
	rows, err := s.db.Pool.Query(ctx, `
		select id, at, coalesce(member_id, 0), member_name, action, subject, details
		from audit_log
		where $1 = 0 or id < $1
		order by id desc
		limit $2`, f.Before, f.Limit+1)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", translate(err))
	}
	defer rows.Close()
	page := &ledger.AuditPage{}
	for rows.Next() {
		var e ledger.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.MemberID, &e.MemberName, &e.Action, &e.Subject, &e.Details); err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit log: %w", translate(err))
	}
	if len(page.Entries) > f.Limit {
		page.Entries = page.Entries[:f.Limit]
		page.Older = page.Entries[f.Limit-1].ID
	}
	return page, nil
}

// subject names a thing in the audit log: "member:3".
func subject(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }
