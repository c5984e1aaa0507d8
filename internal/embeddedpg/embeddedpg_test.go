package embeddedpg

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testLog is an slog destination that forwards to t.Log and keeps a copy.
type testLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (w *testLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func newLogger(t *testing.T) (*slog.Logger, *testLog) {
	w := &testLog{t: t}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), w
}

func startCluster(t *testing.T, ctx context.Context, opts Options) *Cluster {
	t.Helper()
	began := time.Now()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v (port %d)", time.Since(began).Round(time.Millisecond), c.Port())
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return c
}

func stopCluster(t *testing.T, ctx context.Context, c *Cluster) {
	t.Helper()
	began := time.Now()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(began).Round(time.Millisecond))
}

func connect(t *testing.T, ctx context.Context, c *Cluster) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("connect to %s: %v", c.URL("postgres"), err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// t.TempDir is private to root (0700) when tests run as root: Start must
	// make it traversable for the postgres OS user.
	dataDir := filepath.Join(t.TempDir(), "pgdata")

	logger, logs := newLogger(t)
	c := startCluster(t, ctx, Options{DataDir: dataDir, Logger: logger})
	if !strings.Contains(logs.String(), "initializing PostgreSQL data directory") {
		t.Errorf("first Start did not run initdb; log:\n%s", logs)
	}
	wantURL := "postgres://postgres@127.0.0.1:" + strconv.Itoa(c.Port()) + "/postgres?sslmode=disable"
	if got := c.URL("postgres"); got != wantURL {
		t.Errorf("URL = %q, want %q", got, wantURL)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "server.log")); err != nil {
		t.Errorf("server log: %v", err)
	}

	conn := connect(t, ctx, c)
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
	if _, err := conn.Exec(ctx, "create table survivor (v text); insert into survivor values ('still here')"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	_ = conn.Close(ctx)
	versionFile, err := os.Stat(filepath.Join(dataDir, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}

	stopCluster(t, ctx, c)
	stopCluster(t, ctx, c) // idempotent
	if _, err := os.Stat(c.SocketDir()); !os.IsNotExist(err) {
		t.Errorf("socket dir %s still there after Stop: %v", c.SocketDir(), err)
	}

	// Second start on the same data directory: no initdb, data survives.
	logger2, logs2 := newLogger(t)
	c2 := startCluster(t, ctx, Options{DataDir: dataDir, Logger: logger2})
	if strings.Contains(logs2.String(), "initializing PostgreSQL data directory") {
		t.Errorf("second Start ran initdb again; log:\n%s", logs2)
	}
	if fi, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil || !fi.ModTime().Equal(versionFile.ModTime()) {
		t.Errorf("PG_VERSION changed by second Start: %v", err)
	}
	conn2 := connect(t, ctx, c2)
	var v string
	if err := conn2.QueryRow(ctx, "select v from survivor").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("select from survivor = %q, %v", v, err)
	}
	_ = conn2.Close(ctx)
	stopCluster(t, ctx, c2)
	stopCluster(t, ctx, c2)
}

func TestStartStopsLeftoverServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := filepath.Join(t.TempDir(), "pgdata")

	// Simulate a crashed run: the first cluster is never stopped before
	// the second Start on the same data directory.
	logger, _ := newLogger(t)
	leftover := startCluster(t, ctx, Options{DataDir: dataDir, Logger: logger})
	logger2, logs2 := newLogger(t)
	c := startCluster(t, ctx, Options{DataDir: dataDir, Logger: logger2})
	if !strings.Contains(logs2.String(), "still running") {
		t.Errorf("second Start did not report the leftover server; log:\n%s", logs2)
	}
	if leftover.Port() != c.Port() {
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(leftover.Port())), time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("leftover server still accepts connections on port %d", leftover.Port())
		}
	}
	conn := connect(t, ctx, c)
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
	_ = conn.Close(ctx)
	stopCluster(t, ctx, c)
	stopCluster(t, ctx, leftover) // its server is gone: nothing to do

	// A fixed port that is taken: Start fails and shows the server log.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	if c, err := Start(ctx, Options{DataDir: dataDir, Port: busy}); err == nil {
		_ = c.Stop(ctx)
		t.Fatalf("Start on busy port %d succeeded", busy)
	} else {
		t.Logf("Start on busy port: %v", err)
		for _, want := range []string{"already in use", "server.log"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not mention %q: %v", want, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid left behind after failed start: %v", err)
	}
}

func TestStartCanceled(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "pgdata")

	// initdb takes about a second: cancel in the middle of it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	logger, _ := newLogger(t)
	if c, err := Start(ctx, Options{DataDir: dataDir, Logger: logger}); err == nil {
		_ = c.Stop(context.Background())
		t.Fatal("Start with a 300ms deadline succeeded")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start error does not wrap context.DeadlineExceeded: %v", err)
	} else {
		t.Logf("canceled Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("server left running after canceled Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		// No cluster: the half-done initdb must have been cleaned up.
		if entries, _ := os.ReadDir(dataDir); len(entries) > 0 {
			t.Errorf("canceled initdb left %d entries in %s", len(entries), dataDir)
		}
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel2()
	c := startCluster(t, ctx2, Options{DataDir: dataDir, Logger: logger})
	conn := connect(t, ctx2, c)
	var one int
	if err := conn.QueryRow(ctx2, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
	_ = conn.Close(ctx2)
	stopCluster(t, ctx2, c)

	// Cancel while pg_ctl start waits for the server (it takes ~150ms):
	// whichever way it ends, no server may be left running.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel3()
	if c, err := Start(ctx3, Options{DataDir: dataDir, Logger: logger}); err == nil {
		t.Log("Start finished within 30ms")
		stopCluster(t, ctx2, c)
	} else {
		t.Logf("canceled Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("server left running after canceled Start: %v", err)
	}
}

func TestStartUnreachableDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		// Only root switches to the postgres OS user; as anyone else the
		// data directory's parents are the caller's own business.
		t.Log("not root: the postgres OS user is not used")
		return
	}
	// A parent owned by another user and closed to others: Start must not
	// change it and must say what is wrong.
	blocked := filepath.Join(t.TempDir(), "blocked")
	if err := os.Mkdir(blocked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(blocked, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{DataDir: filepath.Join(blocked, "pgdata")})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "chmod o+x "+blocked) {
		t.Fatalf("Start under an unreachable parent: %v", err)
	}
	t.Logf("Start under an unreachable parent: %v", err)
	if fi, err := os.Stat(blocked); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("blocked parent changed: %v, %v", fi.Mode(), err)
	}
}

func TestStartValidatesDataDir(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Options{}); err == nil || !strings.Contains(err.Error(), "DataDir") {
		t.Errorf("Start without DataDir: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stray"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ctx, Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Start on non-empty non-cluster dir: %v", err)
	}
}

func TestFindBinDirEmptyEnvDir(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(BinDirEnv, empty)
	dir, err := FindBinDir()
	if err == nil {
		t.Fatalf("FindBinDir = %q, want error", dir)
	}
	t.Logf("FindBinDir: %v", err)
	for _, want := range []string{empty, "apt-get install postgresql", "brew install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if _, err := Start(context.Background(), Options{DataDir: filepath.Join(t.TempDir(), "d")}); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("Start with unusable %s: %v", BinDirEnv, err)
	}
}

func TestFindBinDirAutodetect(t *testing.T) {
	t.Setenv(BinDirEnv, "")
	dir, err := FindBinDir()
	if err != nil {
		t.Fatalf("FindBinDir: %v", err)
	}
	t.Logf("FindBinDir = %s", dir)
	for _, name := range requiredBinaries {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVersionOf(t *testing.T) {
	for path, want := range map[string][]int{
		"/usr/lib/postgresql/9.6/bin":         {9, 6},
		"/usr/lib/postgresql/16/bin":          {16},
		"/opt/homebrew/opt/postgresql@15/bin": {15},
	} {
		if got := versionOf(path); !slices.Equal(got, want) {
			t.Errorf("versionOf(%s) = %v, want %v", path, got, want)
		}
	}
}
