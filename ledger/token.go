package ledger

import (
	"strings"
	"time"
)

// Role is what a committee credential may do.
type Role string

const (
	RoleTreasurer Role = "treasurer" // reads and writes the books
	RoleObserver  Role = "observer"  // reads everything, changes nothing
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.TrimSpace(s)); r {
	case RoleTreasurer, RoleObserver:
		return r, nil
	default:
		return "", Errorf(EINVALID, "role %q is not one of treasurer, observer", s)
	}
}

// CanWrite reports whether the role may change the books.
func (r Role) CanWrite() bool { return r == RoleTreasurer }

// Token is an API credential. Only a hash of its secret is stored.
type Token struct {
	ID        int64
	Name      string
	Role      Role
	CreatedAt time.Time
}
