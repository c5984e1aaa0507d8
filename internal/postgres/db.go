// Package postgres implements the ledger's services on PostgreSQL with pgx.
// The SQL lives here, beside the Go that runs it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/fundledger/fundledger/migrations"
	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// DB is a connection pool to the fund's database and the root of the
// services built on it.
type DB struct {
	Pool *pgxpool.Pool
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Open connects to the database at url. It does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, ledger.Errorf(ledger.EINVALID, "DATABASE_URL is not a valid PostgreSQL URL: %v", err)
	}
	// pgxpool's default, as many connections as CPUs (at least 4), leaves
	// too few for the readers when two group-commit writers each hold one.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns)
	}
	// The service runs short queries; just-in-time compilation, triggered
	// by cost estimates, can spend hundreds of milliseconds compiling one.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		pgxdecimal.Register(c.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s@%s:%d/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return &DB{Pool: pool, Now: time.Now}, nil
}

// defaultMaxConns is the pool's size unless DATABASE_URL sets
// pool_max_conns.
const defaultMaxConns = 12

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// Migrate applies the embedded migrations that have not run yet. tern holds a
// PostgreSQL advisory lock while it works, so concurrent starts are safe.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	return MigrateConn(ctx, conn.Conn())
}

// MigrateConn applies the embedded migrations over one connection.
func MigrateConn(ctx context.Context, conn *pgx.Conn) error {
	m, err := migrate.NewMigrator(ctx, conn, "schema_version")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return fmt.Errorf("migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the number of the last migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int32, error) {
	var v int32
	err := db.Pool.QueryRow(ctx, "select version from schema_version").Scan(&v)
	return v, err
}

// maxAttempts bounds the retries of a database transaction that failed on a
// serialization failure or a deadlock.
const maxAttempts = 8

// inTx runs fn in a database transaction and commits it, retrying the whole
// transaction a bounded number of times when PostgreSQL reports a
// serialization failure (40001) or a deadlock (40P01), or when fn asks for a
// retry by returning errRetry.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = pgx.BeginFunc(ctx, db.Pool, fn)
		if err == nil || !retryable(err) {
			return err
		}
		backoff := time.Duration(attempt*attempt) * time.Millisecond
		backoff += time.Duration(rand.Int64N(int64(backoff) + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

// errRetry asks inTx to run the transaction again, for example after losing an
// insert race on a unique key that the next attempt will find.
var errRetry = errors.New("retry transaction")

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// translate maps PostgreSQL errors to domain errors by SQLSTATE, so callers get
// a code and a message a person can act on. Other errors pass through.
func translate(err error) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.Errorf(ledger.ENOTFOUND, "not found")
		}
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
			return &ledger.Error{Code: ledger.EUNAVAILABLE, Message: "the database is unavailable; try again later"}
		}
		return err
	}
	switch pg.Code {
	case "23505":
		return ledger.Errorf(ledger.ECONFLICT, "conflicts with a record that already exists (%s)", pg.ConstraintName)
	case "23503", "23514", "23502", "23001":
		return ledger.Errorf(ledger.EINVALID, "rejected by the database: %s", pg.Message)
	case "22P02", "22003", "22007", "22008":
		return ledger.Errorf(ledger.EINVALID, "invalid value: %s", pg.Message)
	case "57P01", "57P02", "57P03", "53300":
		return &ledger.Error{Code: ledger.EUNAVAILABLE, Message: "the database is unavailable; try again later"}
	}
	return err
}

// isUnique reports whether err is a unique violation of the named constraint.
func isUnique(err error, constraint string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == constraint
}
