// Package password hashes committee members' passwords with argon2id and
// stores the result as a PHC string:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
//
// (salt and hash in unpadded standard base64), so the parameters travel with
// each hash and can be raised later without invalidating old ones.
//
// It uses golang.org/x/crypto/argon2, maintained by the Go team and already in
// the module graph, rather than a wrapper such as alexedwards/argon2id: the
// wrapper adds nothing but the encoding below, and owning the parser lets it
// refuse parameters that would make a single verification cost unbounded
// memory or time.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default follows RFC 9106's second recommended option (64 MiB, 3 passes,
// 4 lanes), about 0.1–0.2 s on a small server. Sign-ins are rare, and they are
// rate-limited, so the cost is the attacker's, not ours.
var Default = Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// Limits for a hash being parsed: a stored hash may raise the cost, but not
// to a point where one sign-in exhausts the server.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	minSaltLen = 8
	minKeyLen  = 16
	maxLen     = 64
)

// MinLength and MaxLength bound a password, in bytes.
const (
	MinLength = 12
	MaxLength = 1024
)

// ErrMalformed is returned for a string that is not an argon2id PHC hash
// this package can check.
var ErrMalformed = errors.New("password: not an argon2id PHC hash")

// slots bounds concurrent hash computations, each of which holds
// Params.Memory, so a burst of sign-ins cannot run the server out of memory.
var slots = make(chan struct{}, 4)

func key(pw string, salt []byte, p Params) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Hash returns the PHC string of pw with a fresh random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	return Encode(p, salt, key(pw, salt, p)), nil
}

// Encode writes a PHC string.
func Encode(p Params, salt, hash []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(hash))
}

// Parse reads a PHC string written by Encode, returning its parameters, salt
// and hash. It refuses other algorithms and versions, missing or repeated
// parameters, and costs beyond this package's limits.
func Parse(phc string) (p Params, salt, hash []byte, err error) {
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version %q is not v=%d", ErrMalformed, parts[2], argon2.Version)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return p, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformed, parts[3])
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || (len(v) > 1 && v[0] == '0') {
			return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("%w: unknown parameter %q", ErrMalformed, k)
		}
	}
	if len(seen) != 3 {
		return p, nil, nil, fmt.Errorf("%w: parameters %q need m, t and p", ErrMalformed, parts[3])
	}
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return p, nil, nil, fmt.Errorf("%w: parameters %q out of range", ErrMalformed, parts[3])
	}
	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxLen {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrMalformed)
	}
	if hash, err = b64.DecodeString(parts[5]); err != nil || len(hash) < minKeyLen || len(hash) > maxLen {
		return p, nil, nil, fmt.Errorf("%w: hash", ErrMalformed)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(hash))
	return p, salt, hash, nil
}

// Verify reports whether pw matches the PHC string, comparing in constant
// time. A malformed hash is an error, never a match.
func Verify(pw, phc string) (bool, error) {
	p, salt, want, err := Parse(phc)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key(pw, salt, p), want) == 1, nil
}

// Check validates a new password's length.
func Check(pw string) error {
	switch {
	case len(pw) < MinLength:
		return fmt.Errorf("a password needs at least %d characters", MinLength)
	case len(pw) > MaxLength:
		return fmt.Errorf("a password has at most %d bytes", MaxLength)
	}
	return nil
}

// Generate returns a strong random password: 26 base32 characters, 130 bits.
func Generate() string { return rand.Text() }
