// Package stripetest runs a real stripe-mock for tests and builds realistic
// Stripe events (API version 2023-10-16) and webhook signatures.
//
// stripe-mock is the version go.mod pins as a tool. It is built once per
// machine and version into os.TempDir()/fundledger-stripe-mock-<version>
// (under a file lock, so parallel test processes build it once), then each
// StartMock runs a private instance on a free port of 127.0.0.1 with its own
// fixtures. stripe-mock is stateless: every request for a resource type
// answers that type's fixture, with the requested id reflected for the
// primary object; expansions come from the fixtures of the expanded types.
// Tests never skip for want of it: building or starting it fails the test,
// saying what is missing.
package stripetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-mock/embedded"
)

const mockModule = "github.com/stripe/stripe-mock"

var (
	buildOnce    sync.Once
	buildPath    string
	buildVersion string
	buildErr     error
)

// goCommand finds the go command: on PATH, else in the GOROOT this test
// binary was built from.
func goCommand() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err == nil {
		return goCmd, nil
	}
	goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, serr := os.Stat(goCmd); serr == nil {
		return goCmd, nil
	}
	return "", fmt.Errorf("stripe-mock is built with the go command, which is not on PATH (%v)", err)
}

// mockVersion is the stripe-mock version fundledger's go.mod pins, as the go
// command reports it from the current directory (test binaries carry no
// module list of their own).
func mockVersion(goCmd string) (string, error) {
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Version}}", mockModule).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go list -m %s (from %s, inside fundledger's module?): %v\n%s", mockModule, mustGetwd(), err, out)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("go.mod does not pin %s (it should be a tool: go get -tool %s@v0.203.0)", mockModule, mockModule)
	}
	return strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(v), nil
}

// Binary returns the path of the stripe-mock executable, building it on
// first use.
func Binary() (string, error) {
	buildOnce.Do(func() { buildPath, buildVersion, buildErr = build() })
	return buildPath, buildErr
}

func build() (string, string, error) {
	goCmd, err := goCommand()
	if err != nil {
		return "", "", err
	}
	version, err := mockVersion(goCmd)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(os.TempDir(), "fundledger-stripe-mock-"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create the stripe-mock cache %s: %w", dir, err)
	}
	exe := "stripe-mock"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	bin := filepath.Join(dir, exe)
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", "", fmt.Errorf("open the stripe-mock build lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", "", fmt.Errorf("lock the stripe-mock cache %s: %w", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return bin, version, nil
	}
	// Built to a temporary name and renamed: a binary at bin is complete.
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	defer os.Remove(tmp)
	// Run from the current directory, inside fundledger's module, so the
	// version go.mod pins (the tool directive) is the one built.
	cmd := exec.Command(goCmd, "build", "-o", tmp, "-ldflags", "-X main.version="+version, mockModule)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build %s (as pinned by fundledger's go.mod, from %s): %v\n%s", mockModule, mustGetwd(), err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", "", fmt.Errorf("install stripe-mock in %s: %w", dir, err)
	}
	fmt.Fprintf(os.Stderr, "stripetest: built stripe-mock %s in %s into %s\n", version, time.Since(start).Round(100*time.Millisecond), bin)
	return bin, version, nil
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	return wd
}

// Fixtures returns a fresh copy of stripe-mock's bundled fixtures: the
// "resources" map, keyed by resource type ("payment_intent", "charge",
// "balance_transaction", "checkout.session", ...). Numbers are json.Number.
func Fixtures() (map[string]any, error) {
	var f struct {
		Resources map[string]any `json:"resources"`
	}
	dec := json.NewDecoder(bytes.NewReader(embedded.OpenAPIFixtures))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode stripe-mock's bundled fixtures: %w", err)
	}
	if len(f.Resources) == 0 {
		return nil, errors.New("stripe-mock's bundled fixtures have no resources")
	}
	return f.Resources, nil
}

var listening = regexp.MustCompile(`Listening for HTTP at address: (\S+)`)

// StartMock starts a private stripe-mock serving the bundled fixtures as
// changed by patch (nil: unchanged), stops it when the test ends, and
// returns its base URL, such as http://127.0.0.1:41234, for
// Config.APIBase. It fails the test when stripe-mock cannot be built or
// started; it never skips.
func StartMock(tb testing.TB, patch func(resources map[string]any)) string {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatalf("stripetest: cannot build stripe-mock: %v", err)
	}
	resources, err := Fixtures()
	if err != nil {
		tb.Fatalf("stripetest: %v", err)
	}
	if patch != nil {
		patch(resources)
	}
	fixtures, err := json.Marshal(map[string]any{"resources": resources})
	if err != nil {
		tb.Fatalf("stripetest: encode the patched fixtures: %v", err)
	}
	dir := tb.TempDir()
	fixturesPath := filepath.Join(dir, "fixtures.json")
	if err := os.WriteFile(fixturesPath, fixtures, 0o644); err != nil {
		tb.Fatalf("stripetest: %v", err)
	}
	logPath := filepath.Join(dir, "stripe-mock.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatalf("stripetest: %v", err)
	}
	defer logFile.Close()
	// HTTPS too gets a free port: left alone it takes :12112, and a second
	// stripe-mock would then fail.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:", "-fixtures", fixturesPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("stripetest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	logTail := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		return string(b)
	}
	deadline := time.Now().Add(60 * time.Second)
	var addr string
	for addr == "" {
		b, _ := os.ReadFile(logPath)
		if m := listening.FindSubmatch(b); m != nil {
			addr = string(m[1])
			break
		}
		select {
		case <-exited:
			tb.Fatalf("stripetest: stripe-mock exited before listening (%v):\n%s", cmd.ProcessState, logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("stripetest: stripe-mock did not listen within 60s:\n%s", logTail())
		}
	}
	base := "http://" + addr
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		// Any answer will do, even 401 for want of a key.
		resp, err := hc.Get(base + "/v1/balance")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			tb.Fatalf("stripetest: stripe-mock exited (%v):\n%s", cmd.ProcessState, logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("stripetest: stripe-mock at %s does not answer: %v\n%s", base, err, logTail())
		}
	}
	tb.Logf("stripetest: stripe-mock %s at %s, ready in %s", buildVersion, base, time.Since(start).Round(10*time.Millisecond))
	return base
}
