// Command fundbench measures fundledger beside raw PostgreSQL: it seeds a
// database with a year of donations (COPY, with a valid hash chain), starts
// the real HTTP server in-process and runs the workloads record, baseline,
// ack-list, report, reconcile and verify.
//
//	go run ./cmd/fundbench --donations 100000 --duration 5s
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/jackc/pgx/v5"
)

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var allWorkloads = []string{"record", "baseline", "ack-list", "report", "reconcile", "verify"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fundbench:", err)
		os.Exit(1)
	}
}

type options struct {
	donations   int
	duration    time.Duration
	concurrency int
	only        map[string]bool
	json        bool
	keep        bool
	cpuprofile  string
}

// Result is one workload's figures.
type Result struct {
	Throughput    float64        `json:"throughput_per_s"`
	P50           float64        `json:"p50_ms"`
	P99           float64        `json:"p99_ms"`
	Requests      int64          `json:"requests"`
	Errors        int64          `json:"errors"`
	Seconds       float64        `json:"seconds"`
	PeakMemoryMB  float64        `json:"peak_memory_mb"`
	BaselineRatio *float64       `json:"baseline_ratio,omitempty"`
	Detail        map[string]any `json:"detail,omitempty"`
}

// Report is the whole run.
type Report struct {
	Machine struct {
		CPUs       int    `json:"cpus"`
		GOOS       string `json:"goos"`
		GOARCH     string `json:"goarch"`
		PostgreSQL string `json:"postgresql"`
		PoolConns  int32  `json:"pool_max_conns"`
	} `json:"machine"`
	Donations    int                `json:"donations"`
	Grants       int                `json:"grants"`
	Concurrency  int                `json:"concurrency"`
	Duration     string             `json:"duration"`
	SeedSeconds  float64            `json:"seed_seconds"`
	SeedRate     float64            `json:"seed_entries_per_s"`
	Workloads    map[string]*Result `json:"workloads"`
	PeakMemoryMB float64            `json:"peak_memory_mb"`
	Database     string             `json:"database"`
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fundbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var only string
	fs.IntVar(&o.donations, "donations", 1_000_000, "donations to seed")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each timed workload runs")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent clients")
	fs.StringVar(&only, "only", strings.Join(allWorkloads, ","), "workloads to run, comma-separated")
	fs.BoolVar(&o.json, "json", false, "print one JSON object")
	fs.BoolVar(&o.keep, "keep", false, "keep the created database")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the timed workloads (server and load, in-process) to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.only = map[string]bool{}
	for _, w := range strings.Split(only, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if !slices.Contains(allWorkloads, w) {
			return fmt.Errorf("unknown workload %q (one of %s)", w, strings.Join(allWorkloads, ", "))
		}
		o.only[w] = true
	}
	if o.donations < 1 || o.concurrency < 1 || o.duration <= 0 {
		return fmt.Errorf("--donations, --concurrency and --duration must be positive")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "fundbench: "+format+"\n", a...) }

	mem := newMemSampler()
	defer mem.stop()

	url := getenv("DATABASE_URL")
	rep := &Report{Workloads: map[string]*Result{}, Donations: o.donations, Concurrency: o.concurrency, Duration: o.duration.String()}
	if url == "" {
		name, dbURL, drop, err := createDatabase(ctx)
		if err != nil {
			return err
		}
		url = dbURL
		rep.Database = name
		if o.keep {
			logf("database %s will be kept", name)
		} else {
			defer drop()
		}
		logf("created database %s", name)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	var used bool
	if err := db.Pool.QueryRow(ctx, `select exists(select 1 from transactions)`).Scan(&used); err != nil {
		return err
	}
	if used {
		return fmt.Errorf("the database at DATABASE_URL already holds books; fundbench seeds its own into an empty database: give it an empty one, or unset DATABASE_URL and it creates and drops one on the local server")
	}
	rep.Machine.CPUs, rep.Machine.GOOS, rep.Machine.GOARCH = runtime.NumCPU(), runtime.GOOS, runtime.GOARCH
	rep.Machine.PoolConns = db.Pool.Config().MaxConns
	if err := db.Pool.QueryRow(ctx, `select version()`).Scan(&rep.Machine.PostgreSQL); err != nil {
		return err
	}

	logf("seeding %d donations and %d grant payments...", o.donations, seedGrants)
	start := time.Now()
	seed, err := seedBooks(ctx, db, o.donations, seedGrants, func(done, total int) {
		el := time.Since(start).Seconds()
		logf("seeded %d/%d entries (%.0f/s)", done, total, float64(done)/el)
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	rep.Grants = seedGrants
	rep.SeedSeconds = time.Since(start).Seconds()
	rep.SeedRate = float64(o.donations+seedGrants) / rep.SeedSeconds
	logf("seeded in %.1fs (%.0f entries/s)", rep.SeedSeconds, rep.SeedRate)

	// The real server, in-process, built like serve.go builds it.
	funds := postgres.NewFundService(db)
	dons := postgres.NewDonationService(db)
	srv := &server.Server{
		Funds: funds, Accounts: funds, Transactions: postgres.NewTransactionService(db), Donations: dons,
		Balances: postgres.NewBalanceService(db), Tokens: postgres.NewTokenService(db),
		Acks: postgres.NewAcknowledgementService(db), Rates: funds,
		Reconciliation: postgres.NewReconciliationService(db), Batches: dons, Collections: dons,
		Reports: postgres.NewReportService(db), Audit: postgres.NewAuditService(db), Ping: db.Ping,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	b := &bench{
		o: o, db: db, dons: dons, seed: seed, base: "http://" + ln.Addr().String(), mem: mem, logf: logf,
		client: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
			MaxIdleConns: o.concurrency * 2, MaxIdleConnsPerHost: o.concurrency * 2, IdleConnTimeout: time.Minute}},
	}
	if b.treasurer, b.observer, err = createTokens(ctx, db); err != nil {
		return err
	}

	// verify runs before baseline: the baseline writes rows outside the hash
	// chain (as the plain-SQL benchmark does), which verify would report.
	order := []string{"record", "ack-list", "report", "reconcile", "verify", "baseline"}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, w := range order {
		if !o.only[w] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		logf("running %s...", w)
		mem.reset()
		var r *Result
		switch w {
		case "record":
			r, err = b.record(ctx)
		case "baseline":
			r, err = b.baseline(ctx)
		case "ack-list":
			r, err = b.ackList(ctx)
		case "report":
			r, err = b.report(ctx)
		case "reconcile":
			r, err = b.reconcile(ctx)
		case "verify":
			r, err = b.verify(ctx)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		r.PeakMemoryMB = mem.peakMB()
		rep.Workloads[w] = r
		logf("%s: %.1f/s p50 %.2fms p99 %.2fms peak %.0f MB", w, r.Throughput, r.P50, r.P99, r.PeakMemoryMB)
	}
	if rec, base := rep.Workloads["record"], rep.Workloads["baseline"]; rec != nil && base != nil && base.Throughput > 0 {
		ratio := rec.Throughput / base.Throughput
		rec.BaselineRatio = &ratio
	}
	rep.PeakMemoryMB = mem.overallMB()

	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printTable(stdout, rep)
	return nil
}

func printTable(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "machine: %d CPUs, %s/%s, Go %s, pgx pool %d conns\n", rep.Machine.CPUs, rep.Machine.GOOS, rep.Machine.GOARCH,
		runtime.Version(), rep.Machine.PoolConns)
	fmt.Fprintf(w, "database: %s\n", rep.Machine.PostgreSQL)
	fmt.Fprintf(w, "seeded %d donations + %d grant payments in %.1fs (%.0f entries/s, COPY in chunks of %d, triggers on)\n",
		rep.Donations, rep.Grants, rep.SeedSeconds, rep.SeedRate, seedChunk)
	fmt.Fprintf(w, "concurrency %d, duration %s per timed workload\n\n", rep.Concurrency, rep.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tops\terrors\tseconds\tthroughput/s\tp50 ms\tp99 ms\tpeak MB\tnote\t")
	for _, name := range allWorkloads {
		r := rep.Workloads[name]
		if r == nil {
			continue
		}
		note := ""
		if r.BaselineRatio != nil {
			note = fmt.Sprintf("record/baseline %.2f", *r.BaselineRatio)
		}
		if per, ok := r.Detail["donations_per_commit"].(float64); ok && name == "record" {
			note = strings.TrimSpace(fmt.Sprintf("%s %.1f donations/commit", note, per))
		}
		if name == "reconcile" {
			note = fmt.Sprintf("lines %v matched %v proposed %v", r.Detail["lines"], r.Detail["auto_matched"], r.Detail["proposed"])
		}
		if name == "verify" {
			note = fmt.Sprintf("txs %v problems %v", r.Detail["transactions"], r.Detail["problems"])
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.1f\t%.2f\t%.2f\t%.0f\t%s\t\n", name, r.Requests, r.Errors, r.Seconds, r.Throughput, r.P50, r.P99, r.PeakMemoryMB, note)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nprocess peak memory (server and client in-process): %.0f MB\n", rep.PeakMemoryMB)
}

// createDatabase makes fundbench_<random> on the local server.
func createDatabase(ctx context.Context) (name, url string, drop func(), err error) {
	conn, err := pgx.Connect(ctx, defaultAdminURL)
	if err != nil {
		return "", "", nil, fmt.Errorf("DATABASE_URL is not set and %s does not answer: %w", defaultAdminURL, err)
	}
	defer conn.Close(ctx)
	raw := make([]byte, 4)
	rand.Read(raw)
	name = "fundbench_" + hex.EncodeToString(raw)
	if _, err := conn.Exec(ctx, `create database `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		c, err := pgx.Connect(context.Background(), defaultAdminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), `drop database if exists `+pgx.Identifier{name}.Sanitize()+` with (force)`)
	}
	return name, "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable", drop, nil
}

// --- memory --------------------------------------------------------------

// memSampler samples the Go runtime's mapped memory (everything but heap
// released back to the OS) every 100ms: the process's memory, server and
// load generator together.
type memSampler struct {
	mu        sync.Mutex
	peak, all uint64
	done      chan struct{}
	stopOnce  sync.Once
	samples   []metrics.Sample
}

func newMemSampler() *memSampler {
	m := &memSampler{done: make(chan struct{}), samples: []metrics.Sample{
		{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}}
	m.sample()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	metrics.Read(m.samples)
	v := m.samples[0].Value.Uint64() - m.samples[1].Value.Uint64()
	m.peak, m.all = max(m.peak, v), max(m.all, v)
}

// reset starts a workload's measure, after returning to the OS what the
// seeding and earlier workloads left behind.
func (m *memSampler) reset() {
	debug.FreeOSMemory()
	m.mu.Lock()
	m.peak = 0
	m.mu.Unlock()
	m.sample()
}

func (m *memSampler) peakMB() float64 {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(m.peak) / (1 << 20)
}

func (m *memSampler) overallMB() float64 {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(m.all) / (1 << 20)
}

func (m *memSampler) stop() { m.stopOnce.Do(func() { close(m.done) }) }

// --- load ----------------------------------------------------------------

// load runs op from c clients for d and gathers latencies.
func load(ctx context.Context, c int, d time.Duration, op func(ctx context.Context, worker int, i int64) error) (*Result, error) {
	var n atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, c)
	// No new request starts after d; those in flight finish and count, so a
	// request slower than d is still measured.
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Since(start) < d {
				t0 := time.Now()
				err := op(ctx, w, n.Add(1))
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	r := summarize(all, el)
	r.Errors = errs.Load()
	if r.Requests == 0 {
		if e, ok := firstErr.Load().(error); ok {
			return nil, fmt.Errorf("no request succeeded: %w", e)
		}
		return nil, fmt.Errorf("no request completed in %s", d)
	}
	if e, ok := firstErr.Load().(error); ok {
		r.Detail = map[string]any{"first_error": e.Error()}
	}
	return r, nil
}

func summarize(all []time.Duration, el time.Duration) *Result {
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return float64(all[i]) / float64(time.Millisecond)
	}
	return &Result{Requests: int64(len(all)), Seconds: el.Seconds(), Throughput: float64(len(all)) / el.Seconds(),
		P50: pct(0.50), P99: pct(0.99)}
}
