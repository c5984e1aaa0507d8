package ledger

import (
	"strings"
	"unicode/utf8"
)

// checkText reports an EINVALID error naming field when s is not text the
// books can keep: valid UTF-8, no NUL character (PostgreSQL text cannot hold
// one), at most max characters.
func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return Errorf(EINVALID, "%s must be valid text (UTF-8, without NUL characters)", field)
	}
	if utf8.RuneCountInString(s) > max {
		return Errorf(EINVALID, "%s must be at most %d characters", field, max)
	}
	return nil
}
