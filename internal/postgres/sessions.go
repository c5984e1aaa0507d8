package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// SessionService implements ledger.SessionService. A session's secret is 32
// random bytes; only its SHA-256 is stored, so a copy of the database does
// not let anyone in.
type SessionService struct{ db *DB }

// NewSessionService returns the session service on db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

var _ ledger.SessionService = (*SessionService)(nil)

var errNoSession = ledger.Errorf(ledger.EUNAUTHORIZED, "not signed in, or the session has ended")

// maxUserAgent bounds the user agent kept with a session, in bytes.
const maxUserAgent = 300

func trimUserAgent(ua string) string {
	ua = strings.ToValidUTF8(strings.TrimSpace(ua), "?")
	for len(ua) > maxUserAgent {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return ua
}

// createSession inserts a session through tx and returns its secret.
func (s *SessionService) createSession(ctx context.Context, tx pgx.Tx, m *ledger.Member, ua string, pending bool, details map[string]string) (string, *ledger.Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	now := s.db.now()
	life := ledger.SessionAbsolute
	if pending {
		life = ledger.SecondFactorWait
	}
	// Sweep sessions that have ended, so the table holds only live ones.
	if _, err := tx.Exec(ctx, `delete from committee_sessions where expires_at <= $1 or (not second_factor_pending and last_seen_at <= $2)`,
		now, now.Add(-ledger.SessionIdle)); err != nil {
		return "", nil, translate(err)
	}
	sess := &ledger.Session{Member: *m, CreatedAt: now, LastSeenAt: now, UserAgent: trimUserAgent(ua), SecondFactorPending: pending}
	var abs time.Time
	err := tx.QueryRow(ctx, `insert into committee_sessions (token_hash, member_id, created_at, last_seen_at, expires_at, second_factor_pending, user_agent)
		values ($1, $2, $3, $3, $4, $5, $6) returning id, expires_at`,
		hashToken(secret), m.ID, now, now.Add(life), pending, sess.UserAgent).Scan(&sess.ID, &abs)
	if err != nil {
		return "", nil, translate(err)
	}
	sess.ExpiresAt = expiry(sess.LastSeenAt, abs, pending)
	if !pending {
		err = recordAudit(ctx, tx, now, &ledger.AuditEntry{MemberID: m.ID, MemberName: m.Name, Action: ledger.AuditSignInOK,
			Subject: subject("session", sess.ID), Details: details})
		if err != nil {
			return "", nil, err
		}
	}
	return secret, sess, nil
}

// expiry is when a session ends if nothing happens: idle or absolute.
func expiry(lastSeen, absolute time.Time, pending bool) time.Time {
	if idle := lastSeen.Add(ledger.SessionIdle); !pending && idle.Before(absolute) {
		return idle
	}
	return absolute
}

// CreateSession implements ledger.SessionService.
func (s *SessionService) CreateSession(ctx context.Context, m *ledger.Member, ua string, pending bool) (string, *ledger.Session, error) {
	var secret string
	var sess *ledger.Session
	err := s.db.inTx(ctx, func(tx pgx.Tx) (err error) {
		secret, sess, err = s.createSession(ctx, tx, m, ua, pending, map[string]string{"second_factor": "none"})
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session for member %d: %w", m.ID, err)
	}
	return secret, sess, nil
}

// CompleteSession implements ledger.SessionService.
func (s *SessionService) CompleteSession(ctx context.Context, pendingSecret string) (string, *ledger.Session, error) {
	var secret string
	var sess *ledger.Session
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var memberID int64
		var ua string
		err := tx.QueryRow(ctx, `delete from committee_sessions where token_hash = $1 and second_factor_pending and expires_at > $2
			returning member_id, user_agent`, hashToken(pendingSecret), s.db.now()).Scan(&memberID, &ua)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoSession
		}
		if err != nil {
			return translate(err)
		}
		m, err := scanMember(tx.QueryRow(ctx, `select `+memberColumns+` from committee_members where id = $1 and disabled_at is null`, memberID))
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoSession
		}
		if err != nil {
			return translate(err)
		}
		secret, sess, err = s.createSession(ctx, tx, m, ua, false, map[string]string{"second_factor": "totp"})
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("complete sign-in: %w", err)
	}
	return secret, sess, nil
}

// FindSession implements ledger.SessionService.
func (s *SessionService) FindSession(ctx context.Context, secret string) (*ledger.Session, error) {
	if len(secret) != 43 { // 32 bytes in unpadded base64
		return nil, errNoSession
	}
	now := s.db.now()
	var sess ledger.Session
	var abs time.Time
	m := &sess.Member
	err := s.db.Pool.QueryRow(ctx, `
		update committee_sessions s
		set last_seen_at = case when s.second_factor_pending then s.last_seen_at else $2 end
		from committee_members m
		where s.token_hash = $1 and m.id = s.member_id and m.disabled_at is null
		  and s.expires_at > $2 and (s.second_factor_pending or s.last_seen_at > $3)
		returning s.id, s.created_at, s.last_seen_at, s.expires_at, s.second_factor_pending, s.user_agent,
		          m.id, m.email, m.name, m.role, m.totp_secret is not null, m.created_at`,
		hashToken(secret), now, now.Add(-ledger.SessionIdle)).Scan(
		&sess.ID, &sess.CreatedAt, &sess.LastSeenAt, &abs, &sess.SecondFactorPending, &sess.UserAgent,
		&m.ID, &m.Email, &m.Name, &m.Role, &m.TOTP, &m.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", translate(err))
	}
	sess.ExpiresAt = expiry(sess.LastSeenAt, abs, sess.SecondFactorPending)
	return &sess, nil
}

// EndSession implements ledger.SessionService.
func (s *SessionService) EndSession(ctx context.Context, secret string) error {
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var id, memberID int64
		var name string
		err := tx.QueryRow(ctx, `delete from committee_sessions s using committee_members m
			where s.token_hash = $1 and m.id = s.member_id returning s.id, m.id, m.name`, hashToken(secret)).Scan(&id, &memberID, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, s.db.now(), &ledger.AuditEntry{MemberID: memberID, MemberName: name,
			Action: ledger.AuditSignOut, Subject: subject("session", id)})
	})
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// ListSessions implements ledger.SessionService.
func (s *SessionService) ListSessions(ctx context.Context, memberID int64) ([]*ledger.Session, error) {
	now := s.db.now()
	rows, err := s.db.Pool.Query(ctx, `
		select s.id, s.created_at, s.last_seen_at, s.expires_at, s.user_agent,
		       m.id, m.email, m.name, m.role, m.totp_secret is not null, m.created_at
		from committee_sessions s join committee_members m on m.id = s.member_id
		where not s.second_factor_pending and m.disabled_at is null
		  and s.expires_at > $2 and s.last_seen_at > $3 and ($1 = 0 or s.member_id = $1)
		order by s.last_seen_at desc, s.id desc`, memberID, now, now.Add(-ledger.SessionIdle))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", translate(err))
	}
	defer rows.Close()
	var out []*ledger.Session
	for rows.Next() {
		var sess ledger.Session
		var abs time.Time
		m := &sess.Member
		if err := rows.Scan(&sess.ID, &sess.CreatedAt, &sess.LastSeenAt, &abs, &sess.UserAgent,
			&m.ID, &m.Email, &m.Name, &m.Role, &m.TOTP, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		sess.ExpiresAt = expiry(sess.LastSeenAt, abs, false)
		out = append(out, &sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", translate(err))
	}
	return out, nil
}

// RevokeSession implements ledger.SessionService.
func (s *SessionService) RevokeSession(ctx context.Context, by ledger.Actor, id int64, anyMember bool) error {
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var memberID int64
		var name string
		err := tx.QueryRow(ctx, `delete from committee_sessions s using committee_members m
			where s.id = $1 and m.id = s.member_id and ($2 or s.member_id = $3) returning m.id, m.name`,
			id, anyMember, by.MemberID).Scan(&memberID, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ENOTFOUND, "there is no session %d to end", id)
		}
		if err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, s.db.now(), &ledger.AuditEntry{MemberID: by.MemberID, MemberName: by.Name,
			Action: ledger.AuditSessionRevoke, Subject: subject("session", id),
			Details: map[string]string{"member": name, "member_id": fmt.Sprint(memberID)}})
	})
	if err != nil {
		return fmt.Errorf("revoke session %d: %w", id, err)
	}
	return nil
}
