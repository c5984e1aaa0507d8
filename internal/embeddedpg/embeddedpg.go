// Package embeddedpg runs a private PostgreSQL cluster from the locally
// installed PostgreSQL server binaries (initdb, pg_ctl, postgres).
//
// It is used when the service runs without a DATABASE_URL (demo mode) and by
// tests when no database server is reachable. The cluster listens only on
// 127.0.0.1, trusts every local connection and keeps its data in
// Options.DataDir, so data survives restarts.
//
// PostgreSQL refuses to run as root. When the current process is root, every
// PostgreSQL binary is run as the "postgres" OS user, the data directory and
// the socket directory are owned by that user, and any ancestor directory of
// the data directory that is owned by root and not traversable by that user
// gets the o+x bit (traverse only, not list); an ancestor owned by someone
// else that blocks the way is reported as an error.
//
// The package supports Unix-like systems only.
package embeddedpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BinDirEnv is the environment variable that, when set, names the directory
// holding the PostgreSQL server binaries. It takes precedence over every
// other way FindBinDir looks for them.
const BinDirEnv = "FUNDLEDGER_PG_BINDIR"

const (
	// superuser is the database superuser created by initdb.
	superuser = "postgres"
	// osUser is the OS account PostgreSQL runs as when we are root.
	osUser = "postgres"
	// logFileName is the server log, kept inside the data directory.
	logFileName = "server.log"
	// startTimeout bounds how long Start waits for the server to accept
	// connections (unless ctx has an earlier deadline).
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long Stop waits for the server to shut down.
	stopTimeout = 30 * time.Second
	// portAttempts is how many free ports Start tries when Options.Port is 0
	// and another process grabs the chosen port first.
	portAttempts = 5
)

// installHint tells the user how to get PostgreSQL binaries or avoid needing
// them.
const installHint = "install them (Debian/Ubuntu: apt-get install postgresql; " +
	"macOS: brew install postgresql@15) or set " + BinDirEnv +
	" to the directory holding initdb, pg_ctl and postgres, " +
	"or set DATABASE_URL to an existing database"

// requiredBinaries must all be present in a usable bin directory.
var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// Options configures Start.
type Options struct {
	// DataDir is the cluster's data directory. Required. It is created if
	// missing and initialized with initdb if it holds no cluster (no
	// PG_VERSION file); otherwise the existing cluster is started.
	DataDir string
	// Port is the TCP port to listen on at 127.0.0.1. 0 picks a free port.
	Port int
	// BinDir is the directory holding initdb, pg_ctl and postgres.
	// "" autodetects it with FindBinDir.
	BinDir string
	// Logger receives progress messages. nil discards them.
	Logger *slog.Logger
	// Attach makes Start use a server that is already running on DataDir
	// (started by another process, such as "fundledger serve") instead of
	// stopping it. Stop then leaves that server running.
	Attach bool
}

// Cluster is a running private PostgreSQL server started by Start.
// Its methods are safe for concurrent use.
type Cluster struct {
	binDir  string
	dataDir string
	logFile string
	sockDir string
	port    int
	run     runner
	log     *slog.Logger

	mu       sync.Mutex
	stopped  bool
	attached bool // the server belongs to another process; Stop leaves it
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// DataDir returns the absolute path of the cluster's data directory.
func (c *Cluster) DataDir() string { return c.dataDir }

// LogFile returns the path of the server log file.
func (c *Cluster) LogFile() string { return c.logFile }

// SocketDir returns the directory holding the server's Unix socket
// (usable as psql -h SocketDir -p Port).
func (c *Cluster) SocketDir() string { return c.sockDir }

// URL returns a connection URL for database dbname as the superuser
// "postgres", e.g. "postgres://postgres@127.0.0.1:5432/app?sslmode=disable".
// The cluster trusts local connections, so no password is needed.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// FindBinDir returns the directory holding the PostgreSQL server binaries
// (initdb, pg_ctl, postgres). It looks, in order, at $FUNDLEDGER_PG_BINDIR
// (which, when set, must be valid), `pg_config --bindir` if pg_config is on
// PATH, the newest /usr/lib/postgresql/*/bin (Debian/Ubuntu),
// /usr/local/pgsql/bin, Homebrew's postgresql@* kegs, and finally the
// directory of initdb on PATH.
func FindBinDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if err := checkBinDir(dir); err != nil {
			return "", fmt.Errorf("%s=%s holds no usable PostgreSQL server binaries (%v): %s",
				BinDirEnv, dir, err, installHint)
		}
		return dir, nil
	}

	var looked []string // for the error message
	var tried []string
	try := func(dir string) bool {
		if dir == "" || slices.Contains(tried, dir) {
			return false
		}
		tried = append(tried, dir)
		return checkBinDir(dir) == nil
	}

	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, pgConfig, "--bindir").Output()
		cancel()
		dir := strings.TrimSpace(string(out))
		if err == nil && try(dir) {
			return dir, nil
		}
		looked = append(looked, "`pg_config --bindir` ("+dir+")")
	} else {
		looked = append(looked, "pg_config (not on PATH)")
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",
		"/usr/local/pgsql/bin",
		"/opt/homebrew/opt/postgresql@*/bin",
		"/usr/local/opt/postgresql@*/bin",
	} {
		looked = append(looked, pattern)
		for _, dir := range globNewestFirst(pattern) {
			if try(dir) {
				return dir, nil
			}
		}
	}
	looked = append(looked, "initdb on $PATH")
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(initdb); try(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries found (looked in %s): %s",
		strings.Join(looked, ", "), installHint)
}

// globNewestFirst expands pattern and sorts the matches by the version
// number in their path, newest first ("16" before "15" before "9.6").
func globNewestFirst(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	slices.SortStableFunc(matches, func(a, b string) int {
		return slices.Compare(versionOf(b), versionOf(a))
	})
	return matches
}

// versionOf extracts the numbers of the first path element that contains a
// digit, e.g. "/usr/lib/postgresql/9.6/bin" -> [9 6].
func versionOf(path string) []int {
	for _, elem := range strings.Split(path, string(filepath.Separator)) {
		start := strings.IndexAny(elem, "0123456789")
		if start < 0 {
			continue
		}
		var v []int
		for _, part := range strings.Split(elem[start:], ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				break
			}
			v = append(v, n)
		}
		return v
	}
	return nil
}

// checkBinDir reports whether dir holds all required executables.
func checkBinDir(dir string) error {
	var missing []string
	for _, name := range requiredBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// Start starts a private PostgreSQL server on opts.DataDir, running initdb
// first if the directory holds no cluster, and returns once the server
// accepts connections on 127.0.0.1:Port. Start is bounded by ctx; the wait
// for the server, by 30 seconds as well. If a server left over from an earlier run is still running on
// the data directory, it is stopped first. The server log is written to
// <DataDir>/server.log; its tail is included in the error when the server
// fails to start. Call Stop to shut the server down.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("embeddedpg: Options.DataDir is required")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("embeddedpg: invalid port %d", opts.Port)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data directory %s: %w", opts.DataDir, err)
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	} else if err := checkBinDir(binDir); err != nil {
		return nil, fmt.Errorf("PostgreSQL bin directory %s: %v: %s", binDir, err, installHint)
	}
	run, err := newRunner()
	if err != nil {
		return nil, err
	}

	c := &Cluster{
		binDir:  binDir,
		dataDir: dataDir,
		logFile: filepath.Join(dataDir, logFileName),
		run:     run,
		log:     logger.With("data_dir", dataDir),
	}
	hasCluster, err := c.prepareDataDir()
	if err != nil {
		return nil, err
	}
	if hasCluster && opts.Attach {
		if port, ok := c.runningPort(ctx); ok {
			c.port, c.attached = port, true
			if err := c.waitReady(ctx, port); err != nil {
				return nil, err
			}
			c.log.Info("using the PostgreSQL server already running on the data directory", "port", port)
			return c, nil
		}
	}
	if hasCluster {
		if err := c.stopLeftoverServer(ctx); err != nil {
			return nil, err
		}
	} else if err := c.initdb(ctx); err != nil {
		return nil, err
	}
	if err := c.makeSocketDir(); err != nil {
		return nil, err
	}
	if err := c.startServer(ctx, opts.Port); err != nil {
		_ = os.RemoveAll(c.sockDir)
		return nil, err
	}
	return c, nil
}

// Stop shuts the server down ("pg_ctl stop -m fast") and waits until it has
// exited, bounded by ctx and by 30 seconds. Calling Stop again, or on a
// server that is no longer running, returns nil.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped || c.attached {
		c.stopped = true
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stopTimeout+5*time.Second)
	defer cancel()
	out, err := c.pgctl(ctx, "stop", "-D", c.dataDir, "-m", "fast", "-w",
		"-t", timeoutSeconds(ctx, stopTimeout))
	if err != nil && c.pidFileExists() {
		return fmt.Errorf("stop PostgreSQL in %s: %w: %s", c.dataDir, err, out)
	}
	c.stopped = true
	if err := os.RemoveAll(c.sockDir); err != nil {
		c.log.Warn("remove PostgreSQL socket directory", "dir", c.sockDir, "err", err)
	}
	c.log.Info("stopped PostgreSQL", "port", c.port)
	return nil
}

// prepareDataDir creates the data directory if needed, makes it usable by
// the OS user PostgreSQL runs as, and reports whether it already holds a
// cluster.
func (c *Cluster) prepareDataDir() (hasCluster bool, err error) {
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return false, fmt.Errorf("create data directory %s: %w", c.dataDir, err)
	}
	_, err = os.Stat(filepath.Join(c.dataDir, "PG_VERSION"))
	switch {
	case err == nil:
		hasCluster = true
	case errors.Is(err, fs.ErrNotExist):
		entries, err := os.ReadDir(c.dataDir)
		if err != nil {
			return false, fmt.Errorf("read data directory %s: %w", c.dataDir, err)
		}
		if len(entries) > 0 {
			return false, fmt.Errorf("data directory %s is not empty but holds no PostgreSQL cluster (PG_VERSION missing): empty it or choose another directory", c.dataDir)
		}
	default:
		return false, fmt.Errorf("check data directory %s: %w", c.dataDir, err)
	}
	if c.run.cred == nil {
		return hasCluster, nil
	}

	// Running as root: the cluster belongs to the postgres OS user.
	fi, err := os.Stat(c.dataDir)
	if err != nil {
		return false, fmt.Errorf("check data directory %s: %w", c.dataDir, err)
	}
	if owner := fileOwner(fi); owner != c.run.cred.Uid {
		if hasCluster {
			return false, fmt.Errorf("data directory %s is owned by uid %d, not by OS user %s (uid %d) that PostgreSQL runs as when started by root: run chown -R %s %s",
				c.dataDir, owner, osUser, c.run.cred.Uid, osUser, c.dataDir)
		}
		if err := os.Chown(c.dataDir, int(c.run.cred.Uid), int(c.run.cred.Gid)); err != nil {
			return false, fmt.Errorf("chown data directory %s to %s: %w", c.dataDir, osUser, err)
		}
	}
	if err := c.makeReachable(c.dataDir); err != nil {
		return false, err
	}
	return hasCluster, nil
}

// makeReachable ensures that the postgres OS user can traverse every
// ancestor of dir. Ancestors owned by the current user get the o+x bit;
// any other blocking ancestor is an error.
func (c *Cluster) makeReachable(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", dir, err)
	}
	euid := uint32(os.Geteuid())
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check %s: %w", p, err)
		}
		if !c.run.canTraverse(fi) {
			if fileOwner(fi) != euid {
				return fmt.Errorf("OS user %s cannot reach %s: %s (mode %v, owner uid %d) is not traversable by it: run chmod o+x %s or choose a directory %s can reach",
					osUser, dir, p, fi.Mode().Perm(), fileOwner(fi), p, osUser)
			}
			mode := fi.Mode().Perm() | 0o001
			if err := os.Chmod(p, mode); err != nil {
				return fmt.Errorf("make %s traversable for OS user %s: %w", p, osUser, err)
			}
			c.log.Warn("made directory traversable for the postgres OS user", "dir", p, "mode", mode)
			if fi, err = os.Stat(p); err != nil || !c.run.canTraverse(fi) {
				return fmt.Errorf("OS user %s cannot reach %s: %s is not traversable by it even after chmod o+x", osUser, dir, p)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// initdb creates a new cluster in the (empty) data directory.
func (c *Cluster) initdb(ctx context.Context) error {
	c.log.Info("initializing PostgreSQL data directory")
	start := time.Now()
	out, err := c.run.output(ctx, filepath.Join(c.binDir, "initdb"),
		"-D", c.dataDir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C")
	if err != nil {
		// The directory was empty before: remove what the interrupted or
		// failed initdb left, so the next Start does not take it for a
		// cluster.
		if rmErr := removeContents(c.dataDir); rmErr != nil {
			c.log.Warn("clean up after failed initdb", "dir", c.dataDir, "err", rmErr)
		}
		return fmt.Errorf("initdb %s: %w\n%s", c.dataDir, err, tail(out, 4096))
	}
	c.log.Info("initialized PostgreSQL data directory", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// removeContents removes everything inside dir, but not dir itself.
func removeContents(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// stopLeftoverServer stops a server still running on the data directory,
// e.g. one left behind by a process that crashed without calling Stop.
// A postmaster.pid whose process is gone needs nothing: the server removes
// it on start.
func (c *Cluster) stopLeftoverServer(ctx context.Context) error {
	if !c.pidFileExists() {
		return nil
	}
	// pg_ctl status exits 0 if the server is running, 3 if it is not.
	if _, err := c.pgctl(ctx, "status", "-D", c.dataDir); err != nil {
		return nil
	}
	c.log.Warn("a PostgreSQL server from an earlier run is still running on the data directory; stopping it")
	stopCtx, cancel := context.WithTimeout(ctx, stopTimeout+5*time.Second)
	defer cancel()
	out, err := c.pgctl(stopCtx, "stop", "-D", c.dataDir, "-m", "fast", "-w",
		"-t", timeoutSeconds(stopCtx, stopTimeout))
	if err != nil && c.pidFileExists() {
		return fmt.Errorf("data directory %s is in use by a running PostgreSQL server that could not be stopped (stop it, or choose another data directory): pg_ctl stop: %w: %s",
			c.dataDir, err, out)
	}
	return nil
}

// runningPort reports the port of a server running on the data directory,
// read from the fourth line of its postmaster.pid.
func (c *Cluster) runningPort(ctx context.Context) (int, bool) {
	if !c.pidFileExists() {
		return 0, false
	}
	if _, err := c.pgctl(ctx, "status", "-D", c.dataDir); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil && port > 0
}

// makeSocketDir creates a short private directory for the Unix socket:
// socket paths are limited to about 107 bytes.
func (c *Cluster) makeSocketDir() error {
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "fundledger-pg-")
	if err != nil {
		return fmt.Errorf("create PostgreSQL socket directory: %w", err)
	}
	c.sockDir = dir
	if c.run.cred != nil {
		if err := os.Chown(dir, int(c.run.cred.Uid), int(c.run.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("chown socket directory %s to %s: %w", dir, osUser, err)
		}
		if err := c.makeReachable(dir); err != nil {
			_ = os.RemoveAll(dir)
			return err
		}
	}
	return nil
}

// errAddrInUse marks a start failure caused by the port being taken.
var errAddrInUse = errors.New("port already in use")

// startServer starts the server, retrying with another free port when
// port is 0 and the chosen one gets taken in the meantime.
func (c *Cluster) startServer(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	attempts := 1
	if port == 0 {
		attempts = portAttempts
	}
	var err error
	for i := 0; i < attempts; i++ {
		p := port
		if p == 0 {
			if p, err = freePort(); err != nil {
				return err
			}
		}
		err = c.startOnce(ctx, p)
		if err == nil {
			c.port = p
			return nil
		}
		if !errors.Is(err, errAddrInUse) || ctx.Err() != nil {
			return err
		}
		c.log.Info("port taken before the server could bind it; retrying with another", "port", p)
	}
	return err
}

// startOnce runs pg_ctl start on port p and waits until the server accepts
// connections.
func (c *Cluster) startOnce(ctx context.Context, p int) error {
	var logOffset int64
	if fi, err := os.Stat(c.logFile); err == nil {
		logOffset = fi.Size()
	}
	serverOpts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on", p, shellQuote(c.sockDir))
	c.log.Info("starting PostgreSQL", "port", p, "bin_dir", c.binDir, "log", c.logFile)
	start := time.Now()
	out, err := c.pgctl(ctx, "start", "-D", c.dataDir, "-l", c.logFile, "-o", serverOpts,
		"-w", "-t", timeoutSeconds(ctx, startTimeout))
	if err == nil {
		err = c.waitReady(ctx, p)
	}
	if err != nil {
		logTail := readTail(c.logFile, logOffset, 4096)
		c.stopFailedStart(ctx.Err() != nil)
		if strings.Contains(strings.ToLower(logTail), "address already in use") {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return fmt.Errorf("start PostgreSQL in %s on 127.0.0.1:%d: %w\n%s\n--- tail of %s ---\n%s",
			c.dataDir, p, err, strings.TrimSpace(string(out)), c.logFile, logTail)
	}
	c.log.Info("PostgreSQL is ready", "port", p, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// stopFailedStart makes sure no server is left running after a failed
// start: the server may be up, or still coming up, although we gave up on
// it. When pg_ctl was interrupted, the postmaster may not have written
// postmaster.pid yet, so wait a little for it to appear.
func (c *Cluster) stopFailedStart(interrupted bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deadline := time.Now()
	if interrupted {
		deadline = deadline.Add(2 * time.Second)
	}
	for !c.pidFileExists() {
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.log.Warn("stopping the server that failed to start properly")
	if out, err := c.pgctl(ctx, "stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "5"); err != nil && c.pidFileExists() {
		c.log.Error("stop the server that failed to start", "err", err, "output", string(out))
	}
}

// waitReady polls until the server accepts connections on 127.0.0.1:p,
// using pg_isready when available and a TCP dial otherwise.
func (c *Cluster) waitReady(ctx context.Context, p int) error {
	isready := filepath.Join(c.binDir, "pg_isready")
	if _, err := os.Stat(isready); err != nil {
		isready = ""
	}
	for {
		var err error
		if isready != "" {
			_, err = c.run.output(ctx, isready, "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p),
				"-U", superuser, "-d", "postgres", "-t", "2")
		} else {
			var conn net.Conn
			d := net.Dialer{Timeout: 2 * time.Second}
			if conn, err = d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
				_ = conn.Close()
			}
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for server to accept connections: %w (last check: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) ([]byte, error) {
	return c.run.output(ctx, filepath.Join(c.binDir, "pg_ctl"), args...)
}

func (c *Cluster) pidFileExists() bool {
	_, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid"))
	return err == nil
}

// runner runs PostgreSQL binaries, as the postgres OS user when the current
// process is root.
type runner struct {
	cred *syscall.Credential // nil: run as the current user
}

func newRunner() (runner, error) {
	if os.Geteuid() != 0 {
		return runner{}, nil
	}
	u, err := user.Lookup(osUser)
	if err != nil {
		return runner{}, fmt.Errorf("running as root, and PostgreSQL refuses to run as root, but OS user %q was not found (%v): create it (e.g. install the postgresql package, or useradd --system %s) or run as a non-root user",
			osUser, err, osUser)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("parse uid %q of OS user %s: %w", u.Uid, osUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("parse gid %q of OS user %s: %w", u.Gid, osUser, err)
	}
	if uid == 0 {
		return runner{}, fmt.Errorf("OS user %s has uid 0; PostgreSQL refuses to run as root", osUser)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return runner{cred: cred}, nil
}

// output runs bin with args and returns its combined output.
func (r runner) output(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	// A directory every user can enter: PostgreSQL tools call getcwd, which
	// fails for the postgres user inside, e.g., /root.
	cmd.Dir = "/"
	cmd.Env = cleanEnv()
	// On cancellation ask politely first, so that initdb can remove what it
	// created; Wait kills the process if it has not exited after WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return buf.Bytes(), err
}

// canTraverse reports whether the runner's user may search directory fi.
func (r runner) canTraverse(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || r.cred == nil {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == r.cred.Uid:
		return perm&0o100 != 0
	case st.Gid == r.cred.Gid || slices.Contains(r.cred.Groups, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// fileOwner returns the uid owning fi (or the current euid if unknown).
func fileOwner(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return uint32(os.Geteuid())
}

// cleanEnv returns the environment without PG* variables, which would
// otherwise change what the PostgreSQL tools do (PGDATA, PGPORT, PGHOST...).
func cleanEnv() []string {
	env := os.Environ()
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// timeoutSeconds returns pg_ctl's -t value: limit, or less if ctx ends sooner.
func timeoutSeconds(ctx context.Context, limit time.Duration) string {
	d := limit
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	return strconv.Itoa(max(1, int(d.Seconds())))
}

// shellQuote quotes s for /bin/sh, which pg_ctl uses to run the server.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readTail returns at most n bytes from the end of file path, starting no
// earlier than offset, beginning at a line boundary when cut.
func readTail(path string, offset int64, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if offset > fi.Size() {
		offset = 0 // truncated or replaced meanwhile
	}
	from := max(offset, fi.Size()-n)
	b, err := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if from > offset {
		// Cut inside the new output: drop the partial first line.
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "(empty)"
	}
	return string(bytes.TrimSpace(b))
}

// tail returns at most the last n bytes of b, trimmed to whole lines.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return bytes.TrimSpace(b)
}
