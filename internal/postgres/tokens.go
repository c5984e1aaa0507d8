package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
)

// TokenService implements ledger.TokenService. Tokens carry 256 random bits,
// so a SHA-256 of the secret is a safe lookup key; the secret is never stored.
type TokenService struct{ db *DB }

// NewTokenService returns the token service on db.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

var _ ledger.TokenService = (*TokenService)(nil)

const tokenPrefix = "flt_"

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken implements ledger.TokenService.
func (s *TokenService) CreateToken(ctx context.Context, name string, role ledger.Role) (string, *ledger.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, ledger.Errorf(ledger.EINVALID, "name is required (at most 100 characters)")
	}
	if _, err := ledger.ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := &ledger.Token{Name: name, Role: role}
	err := s.db.Pool.QueryRow(ctx, `insert into api_tokens (name, role, token_hash, created_at) values ($1, $2, $3, $4) returning id, created_at`,
		name, string(role), hashToken(secret), s.db.now()).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return "", nil, fmt.Errorf("create token %s: %w", name, translate(err))
	}
	return secret, t, nil
}

// Authenticate implements ledger.TokenService.
func (s *TokenService) Authenticate(ctx context.Context, secret string) (*ledger.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return nil, ledger.Errorf(ledger.EUNAUTHORIZED, "the bearer token is not valid")
	}
	var t ledger.Token
	err := s.db.Pool.QueryRow(ctx, `select id, name, role, created_at from api_tokens where token_hash = $1 and revoked_at is null`,
		hashToken(secret)).Scan(&t.ID, &t.Name, &t.Role, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.Errorf(ledger.EUNAUTHORIZED, "the bearer token is not valid or was revoked")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", translate(err))
	}
	return &t, nil
}
