package ledger

import (
	"context"
	"regexp"
	"time"
)

// Audit actions recorded by the committee's workspace and the command line.
// Other areas add their own, named "area.verb".
const (
	AuditSignInOK       = "signin.ok"
	AuditSignInFail     = "signin.fail"
	AuditSignOut        = "signout"
	AuditTOTPEnrol      = "totp.enrol"
	AuditTOTPDisable    = "totp.disable"
	AuditMemberAdd      = "member.add"
	AuditMemberDisable  = "member.disable"
	AuditPasswordChange = "password.change"
	AuditSessionRevoke  = "session.revoke"
)

// AuditEntry is one line of the append-only audit log: who did what, when.
// Details never carry passwords, secrets, or personal data beyond names.
type AuditEntry struct {
	ID         int64
	At         time.Time
	MemberID   int64  // 0: not a member (the command line, an unknown email)
	MemberName string // the name at the time
	Action     string
	Subject    string // what was acted on, such as "member:3" or "session:12"
	Details    map[string]string
}

var auditAction = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z_]+)*$`)

// Validate checks an entry about to be recorded.
func (e *AuditEntry) Validate() error {
	if !auditAction.MatchString(e.Action) || len(e.Action) > 64 {
		return Errorf(EINVALID, "audit action %q is not like \"member.add\"", e.Action)
	}
	if len(e.Subject) > 200 || len(e.MemberName) > 200 {
		return Errorf(EINVALID, "audit subject or name too long")
	}
	return nil
}

// AuditFilter pages through the log, newest first: Before is the ID of the
// last entry seen (0 for the newest); Limit defaults to 50.
type AuditFilter struct {
	Limit  int
	Before int64
}

// AuditPage is one page of the log; Older is the Before of the next page,
// 0 when this is the last.
type AuditPage struct {
	Entries []AuditEntry
	Older   int64
}

// AuditService appends to and reads the audit log. Nothing in it is ever
// changed or deleted: the database refuses it.
type AuditService interface {
	// Record appends e, filling its ID and At.
	Record(ctx context.Context, e *AuditEntry) error
	List(ctx context.Context, f AuditFilter) (*AuditPage, error)
}

type auditKey struct{}

// WithAudit returns ctx carrying e, the audit entry of the request ctx
// belongs to, so that a service can write it in the same database
// transaction as the change it records. The service sets e.ID once the
// entry is written; an entry still without ID is the caller's to record.
func WithAudit(ctx context.Context, e *AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditFrom returns the audit entry ctx carries, or nil.
func AuditFrom(ctx context.Context) *AuditEntry {
	e, _ := ctx.Value(auditKey{}).(*AuditEntry)
	return e
}
