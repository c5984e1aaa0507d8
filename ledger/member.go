package ledger

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// RoleMember approves grants and acknowledgements and reads everything; it
// does not record or reconcile. API tokens are only ever treasurer or
// observer (ParseRole); committee members may be any of the three
// (ParseMemberRole).
const RoleMember Role = "member"

// Rank orders the roles: observer < member < treasurer. An unknown role has
// rank 0 and is at least nothing.
func (r Role) Rank() int {
	switch r {
	case RoleObserver:
		return 1
	case RoleMember:
		return 2
	case RoleTreasurer:
		return 3
	}
	return 0
}

// AtLeast reports whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return r.Rank() > 0 && r.Rank() >= min.Rank() }

// ParseMemberRole validates the role of a committee member.
func ParseMemberRole(s string) (Role, error) {
	switch r := Role(strings.TrimSpace(s)); r {
	case RoleTreasurer, RoleMember, RoleObserver:
		return r, nil
	default:
		return "", Errorf(EINVALID, "role %q is not one of treasurer, member, observer", s)
	}
}

// Member is a person on the committee who signs in to the workspace.
type Member struct {
	ID         int64
	Email      string
	Name       string
	Role       Role
	TOTP       bool // a second factor is enrolled
	CreatedAt  time.Time
	DisabledAt *time.Time
}

// Active reports whether the member may sign in.
func (m *Member) Active() bool { return m.DisabledAt == nil }

// NormalizeEmail trims and lower-cases an address; emails are unique
// whatever their case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate normalizes the email and name of a member about to be added and
// checks them and the role.
func (m *Member) Validate() error {
	m.Email, m.Name = NormalizeEmail(m.Email), strings.TrimSpace(m.Name)
	if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email || len(m.Email) > 254 {
		return Errorf(EINVALID, "email %q is not an address like name@example.org", m.Email)
	}
	if m.Name == "" || utf8.RuneCountInString(m.Name) > 100 {
		return Errorf(EINVALID, "name is required (at most 100 characters)")
	}
	if _, err := ParseMemberRole(string(m.Role)); err != nil {
		return err
	}
	return nil
}

// Session lifetimes: a session ends after SessionIdle without a request, and
// SessionAbsolute after sign-in whatever happens. A sign-in waiting for its
// second factor lasts SecondFactorWait.
const (
	SessionIdle      = 2 * time.Hour
	SessionAbsolute  = 12 * time.Hour
	SecondFactorWait = 5 * time.Minute
)

// Session is a signed-in browser. Only a hash of its secret is stored.
type Session struct {
	ID         int64
	Member     Member
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // the earlier of the idle and the absolute expiry
	UserAgent  string
	// SecondFactorPending: the password was right and the TOTP code is
	// still to come. Such a session grants nothing but the code step.
	SecondFactorPending bool
}

// Actor is who does something the audit log records: a member, or the
// command line (ID 0).
type Actor struct {
	MemberID int64
	Name     string
}

// CommandLine is the actor of the fundledger command.
var CommandLine = Actor{Name: "command line"}

// ActorOf returns m as an actor.
func ActorOf(m *Member) Actor { return Actor{MemberID: m.ID, Name: m.Name} }

// TOTPEnrolment is a second factor being set up: the secret, in base32 and
// as an otpauth:// URL for an authenticator app.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// MemberService manages committee members and checks their credentials.
// Every change is written to the audit log in the same database transaction.
type MemberService interface {
	// AddMember validates m, hashes password and stores both, filling m's
	// ID and CreatedAt. An email already used (in any case) is ECONFLICT.
	AddMember(ctx context.Context, by Actor, m *Member, password string) error
	ListMembers(ctx context.Context) ([]*Member, error)
	FindMember(ctx context.Context, id int64) (*Member, error)
	// DisableMember stops the member signing in and ends their sessions.
	// The last active treasurer cannot be disabled.
	DisableMember(ctx context.Context, by Actor, email string) (*Member, error)
	// CheckPassword returns the active member with this email and password,
	// or EUNAUTHORIZED "email or password is wrong" for any failure (unknown
	// email, wrong password, disabled member), taking about as long in each
	// case. Failures are recorded as signin.fail.
	CheckPassword(ctx context.Context, email, password string) (*Member, error)
	// ChangePassword replaces the member's password after checking the current one.
	ChangePassword(ctx context.Context, memberID int64, current, next string) error

	// BeginTOTP returns the pending second factor of the member, creating
	// one when there is none or it is older than a quarter of an hour.
	BeginTOTP(ctx context.Context, memberID int64) (*TOTPEnrolment, error)
	// ConfirmTOTP enrols the pending second factor if code is its current code.
	ConfirmTOTP(ctx context.Context, memberID int64, code string) error
	// DisableTOTP removes the second factor if code is its current code.
	DisableTOTP(ctx context.Context, memberID int64, code string) error
	// CheckTOTP accepts a current code of the member's second factor, each
	// code only once; otherwise EUNAUTHORIZED, recorded as signin.fail.
	CheckTOTP(ctx context.Context, memberID int64, code string) error
}

// SessionService keeps the workspace's sessions.
type SessionService interface {
	// CreateSession starts a session for m and returns its secret, shown
	// only to the browser. A full session records signin.ok; a pending one
	// waits SecondFactorWait for CompleteSession.
	CreateSession(ctx context.Context, m *Member, userAgent string, pending bool) (secret string, s *Session, err error)
	// CompleteSession ends a pending session and starts a full one in its
	// place (a new secret), recording signin.ok.
	CompleteSession(ctx context.Context, pendingSecret string) (secret string, s *Session, err error)
	// FindSession returns the live session with this secret, marking it
	// seen, or EUNAUTHORIZED when there is none (expired, ended, or its
	// member disabled).
	FindSession(ctx context.Context, secret string) (*Session, error)
	// EndSession signs out (records signout); an unknown secret is no error.
	EndSession(ctx context.Context, secret string) error
	// ListSessions lists live sessions, newest first: of one member, or of
	// everyone when memberID is 0.
	ListSessions(ctx context.Context, memberID int64) ([]*Session, error)
	// RevokeSession ends session id. Unless anyMember, only a session of
	// by's own can be revoked; another is ENOTFOUND.
	RevokeSession(ctx context.Context, by Actor, id int64, anyMember bool) error
}
