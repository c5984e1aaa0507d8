// Package secret seals small secrets (a committee member's TOTP key) with
// AES-256-GCM under a key from the configuration (FUNDLEDGER_SECRET_KEY), so
// a copy of the database alone does not give them away.
//
// A sealed value is a version byte, a random 96-bit nonce and the ciphertext
// with its tag. The caller's additional data (a member id, say) is
// authenticated but not stored: a sealed value copied to another row does
// not open there.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

const version = 1

// ErrOpen is returned for a sealed value that is not authentic under this
// key and additional data (tampered with, truncated, or sealed elsewhere).
var ErrOpen = errors.New("secret: cannot open sealed value (wrong key or tampered)")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: the key has %d bytes; it needs %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 key (standard or URL alphabet, padded or not),
// as FUNDLEDGER_SECRET_KEY holds it. Make one with `openssl rand -base64 32`.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.Strict().DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("the key decodes to %d bytes; it needs %d (make one with: openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("the key is not base64 (make one with: openssl rand -base64 32)")
}

// Seal encrypts plaintext, binding it to additional (which may be nil).
func (b *Box) Seal(plaintext, additional []byte) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:], plaintext, additional), nil
}

// Open decrypts a value from Seal with the same additional data.
func (b *Box) Open(sealed, additional []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additional)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
