package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// GrantService implements ledger.GrantService. Recipients' details are
// sealed with box (nil: they cannot be stored or shown); a round of
// approvals needs approvals distinct members.
type GrantService struct {
	db        *DB
	box       *secret.Box
	approvals int
}

// NewGrantService returns the grant service on db. box seals recipients'
// details (nil refuses to store them); approvals is how many distinct
// members approve a case, 1 to ledger.MaxGrantApprovals (see
// ledger.ParseGrantApprovals).
func NewGrantService(db *DB, box *secret.Box, approvals int) *GrantService {
	return &GrantService{db: db, box: box, approvals: approvals}
}

var _ ledger.GrantService = (*GrantService)(nil)

// errNoGrantKey refuses to store or show a recipient without a key.
var errNoGrantKey = ledger.Errorf(ledger.EINVALID,
	"recipient details are sealed with FUNDLEDGER_SECRET_KEY, which is not set on this server, so they cannot be stored or shown: "+
		"open the case without them, and ask the administrator to set the key (32 random bytes in base64: openssl rand -base64 32)")

func grantSubject(ref string) string { return "grant:" + ref }

// grantActorRole checks that by may act as min on grants: a member must be
// active with at least that role; an API token (MemberID 0) was checked by
// the server. It returns the member's role, or "" for a token.
func grantActorRole(ctx context.Context, q querier, by ledger.Actor, min ledger.Role) (ledger.Role, error) {
	if by.Name == "" {
		return "", ledger.Errorf(ledger.EINVALID, "grants need the name of who acts")
	}
	if by.MemberID == 0 {
		return "", nil
	}
	var (
		role     string
		disabled *time.Time
	)
	err := q.QueryRow(ctx, `select role, disabled_at from committee_members where id = $1`, by.MemberID).Scan(&role, &disabled)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && disabled != nil) {
		return "", ledger.Errorf(ledger.EFORBIDDEN, "member %d is not an active committee member", by.MemberID)
	}
	if err != nil {
		return "", err
	}
	r := ledger.Role(role)
	if !r.AtLeast(min) {
		return r, ledger.Errorf(ledger.EFORBIDDEN, "this needs the role %s or above; %s is %s", min, by.Name, r)
	}
	return r, nil
}

func nullMember(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// OpenGrant implements ledger.GrantService.
func (s *GrantService) OpenGrant(ctx context.Context, by ledger.Actor, g *ledger.Grant, r *ledger.GrantRecipient) (*ledger.Grant, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(g.IdempotencyKey); err != nil {
		return nil, err
	}
	if s.approvals < 1 || s.approvals > ledger.MaxGrantApprovals {
		return nil, ledger.Errorf(ledger.EINTERNAL, "the number of approvals a grant needs is %d; configure 1 to %d (FUNDLEDGER_GRANT_APPROVALS)", s.approvals, ledger.MaxGrantApprovals)
	}
	if r != nil {
		if s.box == nil {
			return nil, errNoGrantKey
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	var out *ledger.Grant
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var ref, fp string
		err := tx.QueryRow(ctx, `select ref, fingerprint from grants where idempotency_key = $1`, g.IdempotencyKey).Scan(&ref, &fp)
		switch {
		case err == nil:
			if fp != g.Fingerprint {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", g.IdempotencyKey)
			}
			out, err = findGrant(ctx, tx, ref, false)
			return err
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleMember); err != nil {
			return err
		}
		funds, err := fundIDs(ctx, tx, []string{g.Fund})
		if err != nil {
			return err
		}
		fundID := funds[g.Fund]
		limit, err := findGrantCap(ctx, tx, fundID, g.Fund, g.Amount.Currency)
		if err != nil {
			return err
		}
		if err := ledger.CheckCap(g.Amount, limit); err != nil {
			return err
		}
		now := s.db.now()
		var seq int
		err = tx.QueryRow(ctx, `insert into grant_ref_counters (year, last) values ($1, 1)
			on conflict (year) do update set last = grant_ref_counters.last + 1 returning last`, now.Year()).Scan(&seq)
		if err != nil {
			return err
		}
		ref = ledger.GrantRef(now.Year(), seq)
		var id int64
		err = tx.QueryRow(ctx, `insert into grants (ref, fund_id, currency, initial_amount, amount, category, justification,
			approvals_required, opened_by, opened_by_name, opened_at, idempotency_key, fingerprint)
			values ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id`,
			ref, fundID, g.Amount.Currency.Code, g.Amount.Amount, string(g.Category), g.Justification,
			s.approvals, nullMember(by.MemberID), by.Name, now, g.IdempotencyKey, g.Fingerprint).Scan(&id)
		if isUnique(err, "grants_idempotency_key_key") {
			return errRetry // a concurrent request with the same key won; the next attempt returns its case
		}
		if err != nil {
			return err
		}
		if r != nil {
			if err := s.storeRecipient(ctx, tx, id, ref, r, now); err != nil {
				return err
			}
		}
		recipient := "none"
		if r != nil {
			recipient = "sealed"
		}
		if err := recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantOpen, Subject: grantSubject(ref),
			Details: map[string]string{"ref": ref, "fund": g.Fund, "amount": g.Amount.String(), "category": string(g.Category), "recipient": recipient},
		}); err != nil {
			return err
		}
		out, err = findGrant(ctx, tx, ref, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open grant: %w", translate(err))
	}
	return out, nil
}

// recipientAAD binds a sealed recipient to its case: copied to another
// case's row, it does not open.
func recipientAAD(ref string) []byte { return []byte("fundledger grant recipient " + ref) }

// sealedRecipient is the plaintext sealed in grant_recipients.
type sealedRecipient struct {
	Name             string `json:"n"`
	Town             string `json:"t"`
	Phone            string `json:"p,omitempty"`
	BankAccount      string `json:"b,omitempty"`
	CashViaCommittee bool   `json:"c,omitempty"`
}

func (s *GrantService) storeRecipient(ctx context.Context, tx pgx.Tx, id int64, ref string, r *ledger.GrantRecipient, now time.Time) error {
	plain, err := json.Marshal(sealedRecipient{r.Name, r.Town, r.Phone, r.BankAccount, r.CashViaCommittee})
	if err != nil {
		return err
	}
	sealed, err := s.box.Seal(plain, recipientAAD(ref))
	clear(plain)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `insert into grant_recipients (grant_id, sealed, updated_at) values ($1, $2, $3)
		on conflict (grant_id) do update set sealed = excluded.sealed, updated_at = excluded.updated_at`, id, sealed, now)
	return err
}

// GrantRecipient implements ledger.GrantService: only an active treasurer
// sees the details, and the view is recorded before they are returned.
func (s *GrantService) GrantRecipient(ctx context.Context, by ledger.Actor, ref string) (*ledger.GrantRecipient, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	if by.MemberID == 0 {
		return nil, ledger.Errorf(ledger.EFORBIDDEN, "recipient details are shown only to a treasurer signed in to the workspace")
	}
	if s.box == nil {
		return nil, errNoGrantKey
	}
	var out *ledger.GrantRecipient
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleTreasurer); err != nil {
			return err
		}
		var sealed []byte
		err := tx.QueryRow(ctx, `select r.sealed from grant_recipients r join grants g on g.id = r.grant_id where g.ref = $1`, ref).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := findGrant(ctx, tx, ref, false); err != nil {
				return err
			}
			return ledger.Errorf(ledger.ENOTFOUND, "no recipient details are on file for grant %s", ref)
		}
		if err != nil {
			return err
		}
		plain, err := s.box.Open(sealed, recipientAAD(ref))
		if err != nil {
			return ledger.Errorf(ledger.EINTERNAL, "the recipient details of grant %s do not open with the configured FUNDLEDGER_SECRET_KEY", ref)
		}
		var sr sealedRecipient
		err = json.Unmarshal(plain, &sr)
		clear(plain)
		if err != nil {
			return fmt.Errorf("recipient of %s: %w", ref, err)
		}
		out = &ledger.GrantRecipient{Name: sr.Name, Town: sr.Town, Phone: sr.Phone, BankAccount: sr.BankAccount, CashViaCommittee: sr.CashViaCommittee}
		return recordAudit(ctx, tx, s.db.now(), &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantRecipientView, Subject: grantSubject(ref),
			Details: map[string]string{"ref": ref},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("show recipient of grant %s: %w", ref, translate(err))
	}
	return out, nil
}

// SetGrantRecipient implements ledger.GrantService.
func (s *GrantService) SetGrantRecipient(ctx context.Context, by ledger.Actor, ref string, r *ledger.GrantRecipient) error {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return err
	}
	if s.box == nil {
		return errNoGrantKey
	}
	if err := r.Validate(); err != nil {
		return err
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleTreasurer); err != nil {
			return err
		}
		g, err := lockGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		now := s.db.now()
		if err := s.storeRecipient(ctx, tx, g.id, ref, r, now); err != nil {
			return err
		}
		replaced := "false"
		if g.HasRecipient {
			replaced = "true"
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantRecipientSet, Subject: grantSubject(ref),
			Details: map[string]string{"ref": ref, "replaced": replaced},
		})
	})
	if err != nil {
		return fmt.Errorf("set recipient of grant %s: %w", ref, translate(err))
	}
	return nil
}

// FindGrant implements ledger.GrantService.
func (s *GrantService) FindGrant(ctx context.Context, ref string) (*ledger.Grant, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	g, err := findGrant(ctx, s.db.Pool, ref, true)
	if err != nil {
		return nil, fmt.Errorf("find grant %s: %w", ref, translate(err))
	}
	return g, nil
}

// ListGrants implements ledger.GrantService.
func (s *GrantService) ListGrants(ctx context.Context, f ledger.GrantFilter) ([]*ledger.Grant, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 500 {
		return nil, ledger.Errorf(ledger.EINVALID, "limit must be at most 500")
	}
	var (
		where []string
		args  []any
	)
	if f.Fund != nil {
		args = append(args, *f.Fund)
		where = append(where, fmt.Sprintf("r.fund = $%d", len(args)))
	}
	if f.Status != nil {
		args = append(args, string(*f.Status))
		where = append(where, fmt.Sprintf("r.status = $%d", len(args)))
	}
	sql := `select ` + registerColumns + ` from grant_register r`
	if len(where) > 0 {
		sql += ` where ` + strings.Join(where, " and ")
	}
	args = append(args, f.Limit)
	sql += fmt.Sprintf(` order by r.opened_at desc, r.id desc limit $%d`, len(args))
	var out []*ledger.Grant
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		rs, err := pgx.CollectRows(rows, scanGrantRow)
		if err != nil {
			return err
		}
		ids := make([]int64, len(rs))
		byID := map[int64]*ledger.Grant{}
		for i, r := range rs {
			ids[i], byID[r.id] = r.id, r.Grant
			out = append(out, r.Grant)
		}
		return loadApprovals(ctx, tx, ids, byID)
	})
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", translate(err))
	}
	return out, nil
}

// ApproveGrant implements ledger.GrantService.
func (s *GrantService) ApproveGrant(ctx context.Context, by ledger.Actor, ref string) (*ledger.Grant, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	var out *ledger.Grant
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		role, err := grantActorRole(ctx, tx, by, ledger.RoleObserver)
		if err != nil {
			return err
		}
		g, err := lockGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := g.CheckApprove(by, role); err != nil {
			return err
		}
		now := s.db.now()
		if _, err := tx.Exec(ctx, `insert into grant_approvals (grant_id, round, member_id, member_name, at) values ($1, $2, $3, $4, $5)`,
			g.id, g.Round, by.MemberID, by.Name, now); err != nil {
			return err
		}
		n := len(g.RoundApprovals()) + 1
		details := map[string]string{"ref": ref, "round": fmt.Sprint(g.Round), "approvals": fmt.Sprintf("%d/%d", n, g.ApprovalsRequired)}
		if n >= g.ApprovalsRequired {
			if _, err := tx.Exec(ctx, `update grants set approved_round = round, approved_amount = amount where id = $1`, g.id); err != nil {
				return err
			}
			details["approved"] = g.Amount.String()
		}
		if err := recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantApprove, Subject: grantSubject(ref), Details: details,
		}); err != nil {
			return err
		}
		out, err = findGrant(ctx, tx, ref, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approve grant %s: %w", ref, translate(err))
	}
	return out, nil
}

// RecuseGrant implements ledger.GrantService.
func (s *GrantService) RecuseGrant(ctx context.Context, by ledger.Actor, ref, reason string) (*ledger.Grant, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	reason, err := ledger.NormaliseRecusalReason(reason)
	if err != nil {
		return nil, err
	}
	var out *ledger.Grant
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		role, err := grantActorRole(ctx, tx, by, ledger.RoleObserver)
		if err != nil {
			return err
		}
		g, err := lockGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := g.CheckRecuse(by, role); err != nil {
			return err
		}
		now := s.db.now()
		if _, err := tx.Exec(ctx, `insert into grant_recusals (grant_id, member_id, member_name, reason, at) values ($1, $2, $3, $4, $5)`,
			g.id, by.MemberID, by.Name, reason, now); err != nil {
			return err
		}
		// The reason may name people: it stays with the case, not in the log.
		if err := recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantRecuse, Subject: grantSubject(ref),
			Details: map[string]string{"ref": ref},
		}); err != nil {
			return err
		}
		out, err = findGrant(ctx, tx, ref, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recuse from grant %s: %w", ref, translate(err))
	}
	return out, nil
}

// TopUpGrant implements ledger.GrantService.
func (s *GrantService) TopUpGrant(ctx context.Context, by ledger.Actor, ref string, t *ledger.GrantTopUp) (*ledger.Grant, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	if err := ledger.ValidateIdempotencyKey(t.IdempotencyKey); err != nil {
		return nil, err
	}
	if s.approvals < 1 || s.approvals > ledger.MaxGrantApprovals {
		return nil, ledger.Errorf(ledger.EINTERNAL, "the number of approvals a grant needs is %d; configure 1 to %d (FUNDLEDGER_GRANT_APPROVALS)", s.approvals, ledger.MaxGrantApprovals)
	}
	var out *ledger.Grant
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var prior, fp string
		err := tx.QueryRow(ctx, `select g.ref, t.fingerprint from grant_topups t join grants g on g.id = t.grant_id where t.idempotency_key = $1`,
			t.IdempotencyKey).Scan(&prior, &fp)
		switch {
		case err == nil:
			if fp != t.Fingerprint || prior != ref {
				return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", t.IdempotencyKey)
			}
			out, err = findGrant(ctx, tx, ref, false)
			return err
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleMember); err != nil {
			return err
		}
		g, err := lockGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		rec := *t
		if err := g.CheckTopUp(&rec); err != nil {
			return err
		}
		limit, err := findGrantCap(ctx, tx, g.fundID, g.Fund, g.Amount.Currency)
		if err != nil {
			return err
		}
		if err := ledger.CheckCap(ledger.Money{Amount: rec.NewAmount, Currency: g.Amount.Currency}, limit); err != nil {
			return err
		}
		now := s.db.now()
		_, err = tx.Exec(ctx, `insert into grant_topups (grant_id, round, amount, currency, reason, by_member, by_name, at, idempotency_key, fingerprint)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			g.id, rec.Round, rec.Added.Amount, rec.Added.Currency.Code, rec.Reason, nullMember(by.MemberID), by.Name, now, rec.IdempotencyKey, rec.Fingerprint)
		if isUnique(err, "grant_topups_idempotency_key_key") {
			return errRetry
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update grants set amount = $2, round = $3, approvals_required = $4 where id = $1`,
			g.id, rec.NewAmount, rec.Round, s.approvals); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantTopUp, Subject: grantSubject(ref),
			Details: map[string]string{"ref": ref, "added": rec.Added.String(), "amount": ledger.Money{Amount: rec.NewAmount, Currency: g.Amount.Currency}.String(),
				"round": fmt.Sprint(rec.Round)},
		}); err != nil {
			return err
		}
		out, err = findGrant(ctx, tx, ref, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("top up grant %s: %w", ref, translate(err))
	}
	return out, nil
}

// PayGrant implements ledger.GrantService. In one database transaction it
// locks the case, checks it is approved and that the payment stays within
// the approved amount, books the payment's transaction and records the
// payment; the database checks the same again at commit.
func (s *GrantService) PayGrant(ctx context.Context, by ledger.Actor, ref string, p *ledger.GrantPayment) (*ledger.GrantPayment, error) {
	if err := ledger.ValidateGrantRef(ref); err != nil {
		return nil, err
	}
	var out *ledger.GrantPayment
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleTreasurer); err != nil {
			return err
		}
		g, err := lockGrant(ctx, tx, ref)
		if err != nil {
			return err
		}
		rec := *p
		if rec.Date.IsZero() {
			rec.Date = ledger.Date(s.db.now())
		}
		if err := rec.Validate(g.Grant); err != nil {
			return err
		}
		t := rec.Transaction(g.Grant)
		if err := t.Validate(); err != nil {
			return err
		}
		prior, err := findByKey(ctx, tx, t.IdempotencyKey, t.Fingerprint)
		if err != nil {
			return err
		}
		if prior != nil {
			for i := range g.Payments {
				if g.Payments[i].TransactionID == prior.ID {
					out = &g.Payments[i]
					return nil
				}
			}
			return ledger.Errorf(ledger.ECONFLICT, "idempotency key %q was already used for a different request", t.IdempotencyKey)
		}
		if err := g.CheckPayment(rec.Amount); err != nil {
			return err
		}
		if rec.From == ledger.BankAccountCode(rec.Paid.Currency) {
			if err := ensureBankAccount(ctx, tx, rec.Paid.Currency); err != nil {
				return err
			}
		}
		if err := checkAccounts(ctx, tx, t.Postings); err != nil {
			return err
		}
		now := s.db.now()
		if err := appendTransaction(ctx, tx, now, t); err != nil {
			return err
		}
		rec.Ref, rec.TransactionID, rec.By, rec.At = ref, t.ID, by, now
		err = tx.QueryRow(ctx, `insert into grant_payments (grant_id, transaction_id, amount, currency, paid_from, paid_amount, paid_currency, by_member, by_name, at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
			g.id, t.ID, rec.Amount.Amount, rec.Amount.Currency.Code, rec.From, rec.Paid.Amount, rec.Paid.Currency.Code,
			nullMember(by.MemberID), by.Name, now).Scan(&rec.ID)
		if err != nil {
			return err
		}
		details := map[string]string{"ref": ref, "amount": rec.Amount.String(), "paid_from": rec.From, "transaction_id": t.ID}
		if rec.Paid.Currency != rec.Amount.Currency {
			details["paid"] = rec.Paid.String()
		}
		if err := recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantPay, Subject: grantSubject(ref), Details: details,
		}); err != nil {
			return err
		}
		out = &rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pay grant %s: %w", ref, translate(err))
	}
	return out, nil
}

// SetGrantCap implements ledger.GrantService.
func (s *GrantService) SetGrantCap(ctx context.Context, by ledger.Actor, c *ledger.GrantCap) error {
	if err := c.Validate(); err != nil {
		return err
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := grantActorRole(ctx, tx, by, ledger.RoleTreasurer); err != nil {
			return err
		}
		funds, err := fundIDs(ctx, tx, []string{c.Fund})
		if err != nil {
			return err
		}
		now := s.db.now()
		if _, err := tx.Exec(ctx, `insert into grant_caps (fund_id, currency, max_amount, set_by, set_at) values ($1, $2, $3, $4, $5)
			on conflict (fund_id, currency) do update set max_amount = excluded.max_amount, set_by = excluded.set_by, set_at = excluded.set_at`,
			funds[c.Fund], c.Max.Currency.Code, c.Max.Amount, by.Name, now); err != nil {
			return err
		}
		c.SetBy, c.SetAt = by, now
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditGrantCap, Subject: "fund:" + c.Fund,
			Details: map[string]string{"fund": c.Fund, "max": c.Max.String()},
		})
	})
	if err != nil {
		return fmt.Errorf("set grant cap for %s: %w", c.Fund, translate(err))
	}
	return nil
}

// ListGrantCaps implements ledger.GrantService.
func (s *GrantService) ListGrantCaps(ctx context.Context) ([]ledger.GrantCap, error) {
	rows, err := s.db.Pool.Query(ctx, `select f.slug, c.currency, c.max_amount, c.set_by, c.set_at
		from grant_caps c join funds f on f.id = c.fund_id order by f.slug, c.currency`)
	if err != nil {
		return nil, fmt.Errorf("list grant caps: %w", translate(err))
	}
	caps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledger.GrantCap, error) {
		var (
			c   ledger.GrantCap
			cur string
		)
		if err := r.Scan(&c.Fund, &cur, &c.Max.Amount, &c.SetBy.Name, &c.SetAt); err != nil {
			return c, err
		}
		c.SetAt = c.SetAt.UTC()
		var err error
		c.Max.Currency, err = ledger.LookupCurrency(cur)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list grant caps: %w", translate(err))
	}
	return caps, nil
}

func findGrantCap(ctx context.Context, q querier, fundID int64, fund string, cur ledger.Currency) (*ledger.GrantCap, error) {
	c := &ledger.GrantCap{Fund: fund, Max: ledger.Money{Currency: cur}}
	err := q.QueryRow(ctx, `select max_amount, set_by, set_at from grant_caps where fund_id = $1 and currency = $2`, fundID, cur.Code).
		Scan(&c.Max.Amount, &c.SetBy.Name, &c.SetAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// grantRow is a case as stored, with what the service needs besides.
type grantRow struct {
	*ledger.Grant
	id     int64
	fundID int64
}

const registerColumns = `r.id, r.ref, r.fund, r.fund_id, r.currency, r.amount, r.category, r.justification, r.round,
	r.approvals_required, r.approved_round, r.approved_amount, r.paid, r.has_recipient, r.opened_by, r.opened_by_name,
	r.opened_at, r.idempotency_key, r.fingerprint`

func scanGrantRow(row pgx.CollectableRow) (*grantRow, error) {
	var (
		r        = &grantRow{Grant: &ledger.Grant{}}
		g        = r.Grant
		cur, cat string
	)
	err := row.Scan(&r.id, &g.Ref, &g.Fund, &r.fundID, &cur, &g.Amount.Amount, &cat, &g.Justification, &g.Round,
		&g.ApprovalsRequired, &g.ApprovedRound, &g.ApprovedAmount, &g.Paid, &g.HasRecipient, &g.OpenedBy.MemberID, &g.OpenedBy.Name,
		&g.OpenedAt, &g.IdempotencyKey, &g.Fingerprint)
	if err != nil {
		return nil, err
	}
	g.Category, g.OpenedAt = ledger.GrantCategory(cat), g.OpenedAt.UTC()
	g.Amount.Currency, err = ledger.LookupCurrency(cur)
	return r, err
}

// lockGrant locks the case's row and reads it with its history.
func lockGrant(ctx context.Context, tx pgx.Tx, ref string) (*grantRow, error) {
	var id int64
	err := tx.QueryRow(ctx, `select id from grants where ref = $1 for update`, ref).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "grant %s not found", ref)
	}
	if err != nil {
		return nil, err
	}
	return readGrant(ctx, tx, ref)
}

// findGrant reads a case with its history. Outside a transaction
// (snapshot), the reads share one repeatable-read snapshot.
func findGrant(ctx context.Context, q querier, ref string, snapshot bool) (*ledger.Grant, error) {
	if snapshot {
		if pool, ok := q.(interface {
			BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
		}); ok {
			var out *ledger.Grant
			err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
				r, err := readGrant(ctx, tx, ref)
				if err == nil {
					out = r.Grant
				}
				return err
			})
			return out, err
		}
	}
	r, err := readGrant(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	return r.Grant, nil
}

func readGrant(ctx context.Context, q querier, ref string) (*grantRow, error) {
	rows, err := q.Query(ctx, `select `+registerColumns+` from grant_register r where r.ref = $1`, ref)
	if err != nil {
		return nil, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanGrantRow)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "grant %s not found", ref)
	}
	if err != nil {
		return nil, err
	}
	g := r.Grant
	if err := loadApprovals(ctx, q, []int64{r.id}, map[int64]*ledger.Grant{r.id: g}); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `select member_id, member_name, reason, at from grant_recusals where grant_id = $1 order by at, member_id`, r.id)
	if err != nil {
		return nil, err
	}
	if g.Recusals, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.GrantRecusal, error) {
		var x ledger.GrantRecusal
		err := row.Scan(&x.MemberID, &x.MemberName, &x.Reason, &x.At)
		x.At = x.At.UTC()
		return x, err
	}); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `select round, amount, reason, coalesce(by_member, 0), by_name, at, idempotency_key, fingerprint
		from grant_topups where grant_id = $1 order by round`, r.id)
	if err != nil {
		return nil, err
	}
	if g.TopUps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.GrantTopUp, error) {
		x := ledger.GrantTopUp{Added: ledger.Money{Currency: g.Amount.Currency}}
		err := row.Scan(&x.Round, &x.Added.Amount, &x.Reason, &x.By.MemberID, &x.By.Name, &x.At, &x.IdempotencyKey, &x.Fingerprint)
		x.At = x.At.UTC()
		return x, err
	}); err != nil {
		return nil, err
	}
	amount := g.Amount.Amount
	for i := len(g.TopUps) - 1; i >= 0; i-- {
		g.TopUps[i].NewAmount = amount
		amount = amount.Sub(g.TopUps[i].Added.Amount)
	}
	rows, err = q.Query(ctx, `select p.id, p.transaction_id::text, p.amount, p.paid_from, p.paid_amount, p.paid_currency,
		coalesce(p.by_member, 0), p.by_name, p.at, t.effective_date, t.idempotency_key, t.fingerprint,
		exists (select 1 from transactions rv where rv.reversal_of = p.transaction_id)
		from grant_payments p join transactions t on t.id = p.transaction_id where p.grant_id = $1 order by p.id`, r.id)
	if err != nil {
		return nil, err
	}
	if g.Payments, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.GrantPayment, error) {
		var (
			x       = ledger.GrantPayment{Ref: g.Ref, Amount: ledger.Money{Currency: g.Amount.Currency}}
			paidCur string
		)
		if err := row.Scan(&x.ID, &x.TransactionID, &x.Amount.Amount, &x.From, &x.Paid.Amount, &paidCur,
			&x.By.MemberID, &x.By.Name, &x.At, &x.Date, &x.IdempotencyKey, &x.Fingerprint, &x.Reversed); err != nil {
			return x, err
		}
		x.At = x.At.UTC()
		var err error
		x.Paid.Currency, err = ledger.LookupCurrency(paidCur)
		return x, err
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// loadApprovals fills the approvals of the cases with the given ids.
func loadApprovals(ctx context.Context, q querier, ids []int64, byID map[int64]*ledger.Grant) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `select grant_id, round, member_id, member_name, at from grant_approvals
		where grant_id = any($1) order by grant_id, round, at, member_id`, ids)
	if err != nil {
		return err
	}
	var (
		gid int64
		a   ledger.GrantApproval
	)
	_, err = pgx.ForEachRow(rows, []any{&gid, &a.Round, &a.MemberID, &a.MemberName, &a.At}, func() error {
		a.At = a.At.UTC()
		byID[gid].Approvals = append(byID[gid].Approvals, a)
		return nil
	})
	return err
}
