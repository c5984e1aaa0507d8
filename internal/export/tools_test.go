package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tools the exports are checked with, and the Debian package of each.
// A missing tool fails the test: it never skips.
var tools = map[string]string{
	"hledger":    "hledger",
	"bean-check": "beancount",
	"bean-query": "beancount",
}

// requireTool returns the path of the named tool or fails the test saying
// which Debian package to install.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed; install the Debian package %s (apt-get install -y %s): %v",
			name, tools[name], strings.Fields(tools[name])[0], err)
	}
	return p
}

// run runs a tool with a time limit and returns its standard output and
// standard error, failing the test when it does not exit 0.
func run(t testing.TB, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := runErr(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout, stderr
}

func runErr(t testing.TB, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path := name
	if !filepath.IsAbs(name) {
		path = requireTool(t, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err = cmd.Run()
	t.Logf("%s %s: %v (%s)", name, strings.Join(args, " "), exitStatus(err), time.Since(start).Round(time.Millisecond))
	return o.String(), e.String(), err
}

func exitStatus(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// writeFile exports src in format f to a file in a temporary directory.
func writeFile(t testing.TB, src Source, f Format, fund *string) string {
	t.Helper()
	name := "books"
	if fund != nil {
		name = *fund
	}
	ext := map[Format]string{Hledger: ".journal", Beancount: ".beancount"}[f]
	path := filepath.Join(t.TempDir(), name+ext)
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, f, src, fund); err != nil {
		t.Fatalf("export %s: %v", f, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readCSV parses a tool's CSV output, checks its header and returns the rows
// with every field trimmed of the padding bean-query adds.
func readCSV(t testing.TB, out string, header ...string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = len(header)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, out)
	}
	if len(rows) == 0 {
		t.Fatalf("CSV without a header:\n%s", out)
	}
	for _, row := range rows {
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
		}
	}
	if strings.Join(rows[0], ",") != strings.Join(header, ",") {
		t.Fatalf("CSV header %q, want %q", rows[0], header)
	}
	return rows[1:]
}

// hledgerJournal is what `hledger print -O json` says of the transactions.
type hledgerJournal []struct {
	Date        string      `json:"tdate"`
	Status      string      `json:"tstatus"`
	Code        string      `json:"tcode"`
	Description string      `json:"tdescription"`
	Tags        [][2]string `json:"ttags"`
	Postings    []struct {
		Account string      `json:"paccount"`
		Tags    [][2]string `json:"ptags"`
		Amount  []struct {
			Commodity string `json:"acommodity"`
			Quantity  struct {
				Mantissa json.Number `json:"decimalMantissa"`
				Places   json.Number `json:"decimalPlaces"`
			} `json:"aquantity"`
		} `json:"pamount"`
	} `json:"tpostings"`
}

func hledgerPrint(t testing.TB, file string) hledgerJournal {
	t.Helper()
	out, _ := run(t, "hledger", "-f", file, "print", "-O", "json")
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var j hledgerJournal
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("hledger print -O json: %v", err)
	}
	return j
}

// beancountPython returns the Python interpreter bean-check runs with, the
// one that has the beancount library (another python3 may come first on PATH).
func beancountPython(t testing.TB) string {
	t.Helper()
	script, err := os.ReadFile(requireTool(t, "bean-check"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(script), "\n")
	f := strings.Fields(strings.TrimPrefix(first, "#!"))
	if !strings.HasPrefix(first, "#!") || len(f) == 0 {
		t.Fatalf("bean-check does not start with #!: %q; reinstall the Debian package beancount", first)
	}
	if filepath.Base(f[0]) == "env" && len(f) > 1 {
		p, err := exec.LookPath(f[1])
		if err != nil {
			t.Fatalf("bean-check runs %s, which is not installed: %v", f[1], err)
		}
		return p
	}
	return f[0]
}

// beancountLoad is what beancount's own loader reads from a file.
type beancountLoad struct {
	Errors            []string `json:"errors"`
	Title             string   `json:"title"`
	OperatingCurrency []string `json:"operating_currency"`
	Opens             []struct {
		Date    string `json:"date"`
		Account string `json:"account"`
		Code    string `json:"code"`
	} `json:"opens"`
	Transactions []struct {
		Date      string            `json:"date"`
		Flag      string            `json:"flag"`
		Payee     *string           `json:"payee"`
		Narration string            `json:"narration"`
		Meta      map[string]string `json:"meta"`
		Postings  []struct {
			Account  string            `json:"account"`
			Number   string            `json:"number"`
			Currency string            `json:"currency"`
			Meta     map[string]string `json:"meta"`
		} `json:"postings"`
	} `json:"transactions"`
}

// beancountLoader prints, as JSON, the entries beancount's loader (the library
// bean-check runs) reads from a file. Numbers are written as their exact
// decimal text.
const beancountLoader = `
import json, sys
from beancount import loader
from beancount.core import data

def meta(m):
    return {k: str(v) for k, v in (m or {}).items() if k not in ("filename", "lineno") and not k.startswith("__")}

entries, errors, options = loader.load_file(sys.argv[1])
out = {"errors": [str(e.message) for e in errors], "title": options["title"],
       "operating_currency": options["operating_currency"], "opens": [], "transactions": []}
for e in entries:
    if isinstance(e, data.Open):
        out["opens"].append({"date": str(e.date), "account": e.account, "code": e.meta.get("code", "")})
    elif isinstance(e, data.Transaction):
        out["transactions"].append({
            "date": str(e.date), "flag": e.flag, "payee": e.payee, "narration": e.narration, "meta": meta(e.meta),
            "postings": [{"account": p.account, "number": str(p.units.number), "currency": p.units.currency,
                          "meta": meta(p.meta)} for p in e.postings]})
json.dump(out, sys.stdout)
`

func beancountRead(t testing.TB, file string) beancountLoad {
	t.Helper()
	out, _ := run(t, beancountPython(t), "-c", beancountLoader, file)
	var l beancountLoad
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("beancount loader output: %v\n%s", err, out)
	}
	if len(l.Errors) > 0 {
		t.Fatalf("beancount loader errors: %q", l.Errors)
	}
	return l
}
