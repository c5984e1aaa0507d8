// Package pgtest gives each test its own PostgreSQL database, cloned from a
// template that holds the migrated schema, so tests are isolated and fast.
//
// The server is FUNDLEDGER_TEST_DATABASE_URL, or PostgreSQL on
// 127.0.0.1:5432 as user postgres. When no server answers there, a private
// cluster is started from the local PostgreSQL binaries (see embeddedpg) and
// shared by every test process; when that is impossible the test fails
// saying what is missing. Tests never skip for want of a database.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/embeddedpg"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/migrations"
	"github.com/jackc/pgx/v5"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	serverOnce sync.Once
	serverURL  string // admin URL of the server, database "postgres"
	serverErr  error

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// server returns the admin URL of a reachable PostgreSQL server.
func server() (string, error) {
	serverOnce.Do(func() {
		url := os.Getenv("FUNDLEDGER_TEST_DATABASE_URL")
		if url == "" {
			url = defaultURL
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Close(ctx)
			serverURL = url
			return
		}
		if os.Getenv("FUNDLEDGER_TEST_DATABASE_URL") != "" {
			serverErr = fmt.Errorf("FUNDLEDGER_TEST_DATABASE_URL=%s does not answer: %w", url, err)
			return
		}
		serverURL, serverErr = startPrivate()
		if serverErr != nil {
			serverErr = fmt.Errorf("no PostgreSQL at %s (%v), and a private cluster could not be started: %w", url, err, serverErr)
		}
	})
	return serverURL, serverErr
}

// startPrivate starts (or joins) a private cluster shared by all test
// processes of this user. A file lock serialises the start.
func startPrivate() (string, error) {
	dir := filepath.Join(os.TempDir(), "fundledger-test-pg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	portFile := filepath.Join(dir, "port")
	if b, err := os.ReadFile(portFile); err == nil {
		url := fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable", string(b))
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		conn, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return url, nil
		}
	}
	c, err := embeddedpg.Start(context.Background(), embeddedpg.Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(portFile, []byte(fmt.Sprint(c.Port())), 0o644); err != nil {
		return "", err
	}
	return c.URL("postgres"), nil
}

// migrationsHash names the template after the schema it holds, so a changed
// migration builds a new template instead of reusing a stale one.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

// template returns the name of the migrated template database, building it
// once per schema under an advisory lock shared by all test processes.
func template(admin string) (string, error) {
	templateOnce.Do(func() {
		templateName, templateErr = buildTemplate(admin)
	})
	return templateName, templateErr
}

func buildTemplate(admin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "fundledger_tmpl_" + sum
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `select pg_advisory_lock(7263541)`); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `select pg_advisory_unlock(7263541)`)
	var ready bool
	err = conn.QueryRow(ctx, `select datistemplate from pg_database where datname = $1`, name).Scan(&ready)
	if err == nil && ready {
		return name, nil
	}
	if err == nil { // a build that did not finish
		if _, err := conn.Exec(ctx, `drop database `+pgx.Identifier{name}.Sanitize()+` with (force)`); err != nil {
			return "", err
		}
	}
	if _, err := conn.Exec(ctx, `create database `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	tconn, err := pgx.Connect(ctx, withDatabase(admin, name))
	if err != nil {
		return "", err
	}
	err = postgres.MigrateConn(ctx, tconn)
	tconn.Close(ctx)
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `alter database `+pgx.Identifier{name}.Sanitize()+` is_template true`); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(url, db string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db)
}

// NewURL creates a fresh database cloned from the migrated template and
// returns its URL. The database is dropped when the test ends.
func NewURL(tb testing.TB) string {
	tb.Helper()
	admin, err := server()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tmpl, err := template(admin)
	if err != nil {
		tb.Fatalf("pgtest: build template database: %v", err)
	}
	raw := make([]byte, 6)
	rand.Read(raw)
	name := "fundledger_test_" + hex.EncodeToString(raw)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	q := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, `create database `+q+` template `+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `drop database if exists `+q+` with (force)`); err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// NewDB returns an open *postgres.DB on a fresh database, closed when the test ends.
func NewDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), NewURL(tb))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}
