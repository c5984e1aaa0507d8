package postgres

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// MemberService implements ledger.MemberService: committee members, their
// argon2id password hashes and their TOTP second factors, whose secrets are
// sealed with box (nil: second factors cannot be enrolled or checked).
type MemberService struct {
	db  *DB
	box *secret.Box
	// Params are the cost of new password hashes; old hashes keep theirs.
	Params password.Params
	// Issuer names the fund in authenticator apps.
	Issuer string

	dummyOnce sync.Once
	dummy     string
}

// NewMemberService returns the member service on db. box seals TOTP secrets;
// without it the workspace works with passwords only.
func NewMemberService(db *DB, box *secret.Box) *MemberService {
	return &MemberService{db: db, box: box, Params: password.Default, Issuer: "fundledger"}
}

var _ ledger.MemberService = (*MemberService)(nil)

// errWrongPassword is the one answer to every failed sign-in, so that it
// tells nobody whether an email belongs to a member.
var errWrongPassword = ledger.Errorf(ledger.EUNAUTHORIZED, "email or password is wrong")

const memberColumns = `id, email, name, role, totp_secret is not null, created_at, disabled_at`

func scanMember(row pgx.Row, extra ...any) (*ledger.Member, error) {
	var m ledger.Member
	err := row.Scan(append([]any{&m.ID, &m.Email, &m.Name, &m.Role, &m.TOTP, &m.CreatedAt, &m.DisabledAt}, extra...)...)
	return &m, err
}

// AddMember implements ledger.MemberService.
func (s *MemberService) AddMember(ctx context.Context, by ledger.Actor, m *ledger.Member, pw string) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := password.Check(pw); err != nil {
		return ledger.Errorf(ledger.EINVALID, "%v", err)
	}
	hash, err := password.Hash(pw, s.Params)
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		now := s.db.now()
		err := tx.QueryRow(ctx, `insert into committee_members (email, name, role, password_hash, created_at)
			values ($1, $2, $3, $4, $5) returning id, created_at`,
			m.Email, m.Name, string(m.Role), hash, now).Scan(&m.ID, &m.CreatedAt)
		if isUnique(err, "committee_members_email_key") {
			return ledger.Errorf(ledger.ECONFLICT, "a member with the email %s already exists", m.Email)
		}
		if err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditMemberAdd,
			Subject: subject("member", m.ID), Details: map[string]string{"name": m.Name, "role": string(m.Role)},
		})
	})
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// ListMembers implements ledger.MemberService: active members first, by name.
func (s *MemberService) ListMembers(ctx context.Context) ([]*ledger.Member, error) {
	rows, err := s.db.Pool.Query(ctx, `select `+memberColumns+` from committee_members
		order by disabled_at is not null, lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", translate(err))
	}
	defer rows.Close()
	var out []*ledger.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members: %w", translate(err))
	}
	return out, nil
}

// FindMember implements ledger.MemberService.
func (s *MemberService) FindMember(ctx context.Context, id int64) (*ledger.Member, error) {
	m, err := scanMember(s.db.Pool.QueryRow(ctx, `select `+memberColumns+` from committee_members where id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.ENOTFOUND, "there is no member %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find member %d: %w", id, translate(err))
	}
	return m, nil
}

// DisableMember implements ledger.MemberService.
func (s *MemberService) DisableMember(ctx context.Context, by ledger.Actor, email string) (*ledger.Member, error) {
	email = ledger.NormalizeEmail(email)
	var m *ledger.Member
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		// Lock the active treasurers first, always in id order, so two
		// treasurers disabling each other cannot both succeed.
		rows, err := tx.Query(ctx, `select id from committee_members where role = 'treasurer' and disabled_at is null order by id for update`)
		if err != nil {
			return translate(err)
		}
		treasurers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return translate(err)
		}
		m, err = scanMember(tx.QueryRow(ctx, `select `+memberColumns+` from committee_members where email = $1 for update`, email))
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ENOTFOUND, "there is no member with the email %s", email)
		}
		if err != nil {
			return translate(err)
		}
		if !m.Active() {
			return nil // already disabled: nothing to do, nothing to record
		}
		if m.Role == ledger.RoleTreasurer && len(treasurers) <= 1 {
			return ledger.Errorf(ledger.ECONFLICT, "%s is the last active treasurer; add another treasurer first", m.Name)
		}
		now := s.db.now()
		if _, err := tx.Exec(ctx, `update committee_members set disabled_at = $2 where id = $1`, m.ID, now); err != nil {
			return translate(err)
		}
		m.DisabledAt = &now
		tag, err := tx.Exec(ctx, `delete from committee_sessions where member_id = $1`, m.ID)
		if err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{
			MemberID: by.MemberID, MemberName: by.Name, Action: ledger.AuditMemberDisable, Subject: subject("member", m.ID),
			Details: map[string]string{"name": m.Name, "sessions_ended": fmt.Sprint(tag.RowsAffected())},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("disable member: %w", err)
	}
	return m, nil
}

// dummyHash is checked against when the email is unknown, so an unknown
// email costs the same argon2id work as a known one.
func (s *MemberService) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = password.Hash("there is no such member", s.Params)
	})
	return s.dummy
}

// CheckPassword implements ledger.MemberService.
func (s *MemberService) CheckPassword(ctx context.Context, email, pw string) (*ledger.Member, error) {
	email = ledger.NormalizeEmail(email)
	var hash string
	m, err := scanMember(s.db.Pool.QueryRow(ctx, `select `+memberColumns+`, password_hash from committee_members where email = $1`, email), &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, _ = password.Verify(pw, s.dummyHash())
		// The email typed is not recorded: it may be a password typed in
		// the wrong field, or someone else's address.
		return nil, s.signInFailed(ctx, ledger.AuditEntry{Details: map[string]string{"reason": "unknown_email"}})
	case err != nil:
		return nil, fmt.Errorf("check password: %w", translate(err))
	}
	ok, err := password.Verify(pw, hash)
	if err != nil {
		return nil, fmt.Errorf("check password of member %d: %w", m.ID, err)
	}
	reason := ""
	switch {
	case !ok:
		reason = "wrong_password"
	case !m.Active():
		reason = "disabled"
	case len(pw) > password.MaxLength:
		reason = "wrong_password"
	}
	if reason != "" {
		return nil, s.signInFailed(ctx, ledger.AuditEntry{MemberID: m.ID, MemberName: m.Name, Subject: subject("member", m.ID),
			Details: map[string]string{"reason": reason}})
	}
	return m, nil
}

// signInFailed records a failed sign-in and returns the error to show.
func (s *MemberService) signInFailed(ctx context.Context, e ledger.AuditEntry) error {
	e.Action = ledger.AuditSignInFail
	if err := recordAudit(ctx, s.db.Pool, s.db.now(), &e); err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return errWrongPassword
}

// ChangePassword implements ledger.MemberService.
func (s *MemberService) ChangePassword(ctx context.Context, memberID int64, current, next string) error {
	var hash string
	m, err := scanMember(s.db.Pool.QueryRow(ctx, `select `+memberColumns+`, password_hash from committee_members where id = $1`, memberID), &hash)
	if err != nil {
		return fmt.Errorf("change password: %w", translate(err))
	}
	if ok, err := password.Verify(current, hash); err != nil || !ok {
		return ledger.Errorf(ledger.EUNAUTHORIZED, "the current password is wrong")
	}
	if err := password.Check(next); err != nil {
		return ledger.Errorf(ledger.EINVALID, "%v", err)
	}
	newHash, err := password.Hash(next, s.Params)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		now := s.db.now()
		if _, err := tx.Exec(ctx, `update committee_members set password_hash = $2 where id = $1`, memberID, newHash); err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{MemberID: m.ID, MemberName: m.Name,
			Action: ledger.AuditPasswordChange, Subject: subject("member", m.ID)})
	})
}

// TOTP follows RFC 6238 with the parameters every authenticator app knows:
// SHA-1, 6 digits, 30-second steps; a code of the step before or after is
// accepted too, for clocks a little off.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// pendingTOTPFor is how long an enrolment waits for its confirming code
// before a new secret replaces it.
const pendingTOTPFor = 15 * time.Minute

var errNoSecretKey = &ledger.Error{Code: ledger.EUNAVAILABLE,
	Message: "second factors are not available: the server has no FUNDLEDGER_SECRET_KEY; ask the operator to set one"}

// totpAD binds a sealed secret to its member, so it does not open in another row.
func totpAD(memberID int64) []byte { return []byte(subject("totp", memberID)) }

func (s *MemberService) seal(memberID int64, b32 string) ([]byte, error) {
	return s.box.Seal([]byte(b32), totpAD(memberID))
}

func (s *MemberService) open(memberID int64, sealed []byte) (string, error) {
	b, err := s.box.Open(sealed, totpAD(memberID))
	if err != nil {
		return "", fmt.Errorf("open the TOTP secret of member %d (was FUNDLEDGER_SECRET_KEY changed?): %w", memberID, err)
	}
	return string(b), nil
}

// enrolment rebuilds the otpauth:// URL of a base32 secret.
func (s *MemberService) enrolment(email, b32 string) (*ledger.TOTPEnrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: email, Secret: raw,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return nil, err
	}
	return &ledger.TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// BeginTOTP implements ledger.MemberService.
func (s *MemberService) BeginTOTP(ctx context.Context, memberID int64) (*ledger.TOTPEnrolment, error) {
	if s.box == nil {
		return nil, errNoSecretKey
	}
	var out *ledger.TOTPEnrolment
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var email string
		var enrolled bool
		var pending []byte
		var pendingAt *time.Time
		err := tx.QueryRow(ctx, `select email, totp_secret is not null, totp_pending, totp_pending_at
			from committee_members where id = $1 for update`, memberID).Scan(&email, &enrolled, &pending, &pendingAt)
		if err != nil {
			return translate(err)
		}
		if enrolled {
			return ledger.Errorf(ledger.ECONFLICT, "a second factor is already enrolled; disable it first to enrol another")
		}
		now := s.db.now()
		if pending != nil && pendingAt != nil && now.Sub(*pendingAt) < pendingTOTPFor {
			b32, err := s.open(memberID, pending)
			if err == nil {
				out, err = s.enrolment(email, b32)
				return err
			}
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: email,
			Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
		if err != nil {
			return err
		}
		sealed, err := s.seal(memberID, key.Secret())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update committee_members set totp_pending = $2, totp_pending_at = $3 where id = $1`,
			memberID, sealed, now); err != nil {
			return translate(err)
		}
		out = &ledger.TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("begin TOTP enrolment: %w", err)
	}
	return out, nil
}

// matchCode returns the time step whose code is code, trying the current
// step first, then the one before and the one after.
func matchCode(b32, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpOpts.Digits.Length() {
		return 0, false
	}
	step := now.Unix() / int64(totpOpts.Period)
	for _, d := range []int64{0, -1, 1} {
		want, err := totp.GenerateCodeCustom(b32, time.Unix((step+d)*int64(totpOpts.Period), 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

var errWrongCode = ledger.Errorf(ledger.EINVALID, "the code is not right: type the code your app shows now, and check that your phone's clock is right")

// ConfirmTOTP implements ledger.MemberService.
func (s *MemberService) ConfirmTOTP(ctx context.Context, memberID int64, code string) error {
	if s.box == nil {
		return errNoSecretKey
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		var pending []byte
		var pendingAt *time.Time
		var last int64
		err := tx.QueryRow(ctx, `select name, totp_pending, totp_pending_at, totp_last_step from committee_members
			where id = $1 and totp_secret is null for update`, memberID).Scan(&name, &pending, &pendingAt, &last)
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ECONFLICT, "a second factor is already enrolled")
		}
		if err != nil {
			return translate(err)
		}
		now := s.db.now()
		if pending == nil || pendingAt == nil || now.Sub(*pendingAt) >= pendingTOTPFor {
			return ledger.Errorf(ledger.EINVALID, "this enrolment has expired; open the two-factor page again for a new secret")
		}
		b32, err := s.open(memberID, pending)
		if err != nil {
			return err
		}
		step, ok := matchCode(b32, code, now)
		if !ok || step <= last {
			return errWrongCode
		}
		if _, err := tx.Exec(ctx, `update committee_members set totp_secret = totp_pending, totp_pending = null,
			totp_pending_at = null, totp_last_step = $2 where id = $1`, memberID, step); err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{MemberID: memberID, MemberName: name,
			Action: ledger.AuditTOTPEnrol, Subject: subject("member", memberID)})
	})
}

// DisableTOTP implements ledger.MemberService.
func (s *MemberService) DisableTOTP(ctx context.Context, memberID int64, code string) error {
	if s.box == nil {
		return errNoSecretKey
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		var sealed []byte
		var last int64
		err := tx.QueryRow(ctx, `select name, totp_secret, totp_last_step from committee_members
			where id = $1 and totp_secret is not null for update`, memberID).Scan(&name, &sealed, &last)
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ECONFLICT, "no second factor is enrolled")
		}
		if err != nil {
			return translate(err)
		}
		b32, err := s.open(memberID, sealed)
		if err != nil {
			return err
		}
		now := s.db.now()
		step, ok := matchCode(b32, code, now)
		if !ok || step <= last {
			return errWrongCode
		}
		if _, err := tx.Exec(ctx, `update committee_members set totp_secret = null, totp_last_step = $2 where id = $1`,
			memberID, step); err != nil {
			return translate(err)
		}
		return recordAudit(ctx, tx, now, &ledger.AuditEntry{MemberID: memberID, MemberName: name,
			Action: ledger.AuditTOTPDisable, Subject: subject("member", memberID)})
	})
}

// CheckTOTP implements ledger.MemberService.
func (s *MemberService) CheckTOTP(ctx context.Context, memberID int64, code string) error {
	failed := false
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		failed = false
		var name string
		var sealed []byte
		var last int64
		// The row lock makes two sign-ins with one code take turns; the
		// second finds the step used.
		err := tx.QueryRow(ctx, `select name, totp_secret, totp_last_step from committee_members
			where id = $1 and disabled_at is null for update`, memberID).Scan(&name, &sealed, &last)
		if err != nil {
			return translate(err)
		}
		if sealed == nil {
			return ledger.Errorf(ledger.ECONFLICT, "no second factor is enrolled")
		}
		if s.box == nil {
			return errNoSecretKey
		}
		b32, err := s.open(memberID, sealed)
		if err != nil {
			return err
		}
		now := s.db.now()
		step, ok := matchCode(b32, code, now)
		if !ok || step <= last {
			failed = true
			reason := "wrong_code"
			if ok {
				reason = "code_reused"
			}
			return recordAudit(ctx, tx, now, &ledger.AuditEntry{MemberID: memberID, MemberName: name, Action: ledger.AuditSignInFail,
				Subject: subject("member", memberID), Details: map[string]string{"reason": reason}})
		}
		_, err = tx.Exec(ctx, `update committee_members set totp_last_step = $2 where id = $1`, memberID, step)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("check TOTP code: %w", err)
	}
	if failed {
		return ledger.Errorf(ledger.EUNAUTHORIZED, "the code is wrong")
	}
	return nil
}
