package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/fundledger/fundledger/ledger"
)

var keyShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

func TestKeys(t *testing.T) {
	keys := Keys()
	if !sort.StringsAreSorted(keys) {
		t.Error("Keys() is not sorted")
	}
	if len(keys) != len(enMessages)+len(enPlurals) {
		t.Error("Keys() does not list every key once")
	}
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			t.Errorf("key %q is both a message and a plural", k)
		}
		if !keyShape.MatchString(k) {
			t.Errorf("key %q is not a short dotted lower-case id", k)
		}
	}
}

func translations() []struct {
	l   Lang
	cat catalog
} {
	return []struct {
		l   Lang
		cat catalog
	}{{RU, RU.catalog()}, {KK, KK.catalog()}}
}

// TestCatalogsComplete fails on every missing, extra or empty translation.
func TestCatalogsComplete(t *testing.T) {
	for k, v := range enMessages {
		if strings.TrimSpace(v) == "" {
			t.Errorf("en: %q is empty", k)
		}
	}
	for _, tr := range translations() {
		for k := range enMessages {
			v, ok := tr.cat.messages[k]
			switch {
			case !ok:
				t.Errorf("%s: missing translation of %q (en: %q)", tr.l, k, enMessages[k])
			case strings.TrimSpace(v) == "":
				t.Errorf("%s: %q is empty", tr.l, k)
			}
		}
		for k := range tr.cat.messages {
			if _, ok := enMessages[k]; !ok {
				t.Errorf("%s: %q is not an English key (misspelt or stale)", tr.l, k)
			}
		}
		for k := range enPlurals {
			if _, ok := tr.cat.plurals[k]; !ok {
				t.Errorf("%s: missing plural %q", tr.l, k)
			}
		}
		for k := range tr.cat.plurals {
			if _, ok := enPlurals[k]; !ok {
				t.Errorf("%s: plural %q is not an English key", tr.l, k)
			}
		}
	}
}

// TestPluralForms checks each language fills exactly the forms it uses.
func TestPluralForms(t *testing.T) {
	need := map[Lang][]category{EN: {one, other}, RU: {one, few, many}, KK: {other}}
	names := map[category]string{one: "One", few: "Few", many: "Many", other: "Other"}
	for _, l := range Supported {
		for k, f := range l.catalog().plurals {
			for _, c := range []category{one, few, many, other} {
				needed := false
				for _, n := range need[l] {
					needed = needed || n == c
				}
				v := f.get(c)
				if needed && strings.TrimSpace(v) == "" {
					t.Errorf("%s: plural %q lacks its %s form", l, k, names[c])
				}
				if !needed && v != "" {
					t.Errorf("%s: plural %q has a %s form, which %s never uses", l, k, names[c], l.Name())
				}
				if v == "" {
					continue
				}
				vs, err := verbs(v)
				if err != nil {
					t.Errorf("%s: plural %q %s: %v", l, k, names[c], err)
				} else if !reflect.DeepEqual(vs, map[int]rune{1: 's'}) {
					t.Errorf("%s: plural %q %s form %q must hold exactly one %%s for the count", l, k, names[c], v)
				}
			}
		}
	}
}

// TestVerbsConsistent checks every translation takes the same arguments, with
// the same verbs, as the English message.
func TestVerbsConsistent(t *testing.T) {
	for _, l := range Supported {
		for k, v := range l.catalog().messages {
			if strings.Contains(v, "%%") {
				t.Errorf("%s: %q has %%%%, which T writes as is when there are no args", l, k)
			}
			got, err := verbs(v)
			if err != nil {
				t.Errorf("%s: %q: %v", l, k, err)
				continue
			}
			want, err := verbs(enMessages[k])
			if err != nil {
				continue // reported for en
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %q has verbs %s, English %s: %q", l, k, verbString(got), verbString(want), v)
			}
		}
	}
}

// TestTranslated catches English left in a translation, and Latin look-alike
// letters in Cyrillic words.
func TestTranslated(t *testing.T) {
	same := map[string]bool{"donate.bank.iban": true}
	latinWord := regexp.MustCompile(`[A-Za-z]+`)
	allowedLatin := map[string]bool{"IBAN": true, "BIC": true, "SWIFT": true, "CSV": true, "Atom": true, "JSON": true}
	for _, tr := range translations() {
		for k, v := range tr.cat.messages {
			if v == enMessages[k] && !same[k] {
				t.Errorf("%s: %q is the English text %q", tr.l, k, v)
			}
			for _, w := range latinWord.FindAllString(verbRE.ReplaceAllString(v, ""), -1) {
				if !allowedLatin[w] {
					t.Errorf("%s: %q has Latin letters %q: %q", tr.l, k, w, v)
				}
			}
			if tr.l == KK {
				continue
			}
			for _, r := range v {
				if strings.ContainsRune("әғқңөұүһіӘҒҚҢӨҰҮҺІ", r) {
					t.Errorf("ru: %q has the Kazakh letter %q: %q", k, r, v)
				}
			}
		}
	}
}

// TestLedgerNames checks the keys callers build from ledger values.
func TestLedgerNames(t *testing.T) {
	channels := append([]ledger.Channel{ledger.ChannelCard}, ledger.OfflineChannels...)
	for _, ch := range channels {
		if _, ok := enMessages["channel."+string(ch)]; !ok {
			t.Errorf("no message for channel %q", ch)
		}
	}
	for _, d := range []ledger.AckDisplay{ledger.AckName, ledger.AckOrganisation, ledger.AckAlias, ledger.AckAnonymous} {
		if _, ok := enMessages["donate.ack."+string(d)]; !ok {
			t.Errorf("no message for acknowledgement display %q", d)
		}
	}
}

var verbRE = regexp.MustCompile(`%[-+# 0]*(\[\d+\])?\d*(\.\d*)?[a-zA-Z]`)

// verbs returns the fmt verb each argument (numbered from 1) is formatted
// with, following fmt's rules for explicit argument indexes.
func verbs(s string) (map[int]rune, error) {
	out := map[int]rune{}
	arg := 1
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			continue
		}
		for i < len(s) && strings.IndexByte("+-# 0", s[i]) >= 0 {
			i++
		}
		if i < len(s) && s[i] == '[' {
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed argument index in %q", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad argument index in %q", s)
			}
			arg = n
			i += end + 1
		}
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i >= len(s) {
			return nil, fmt.Errorf("%q ends inside a verb", s)
		}
		r := rune(s[i])
		if !unicode.IsLetter(r) || r > unicode.MaxASCII {
			return nil, fmt.Errorf("bad verb %%%c in %q (write a literal percent sign as %%%%)", r, s)
		}
		if prev, ok := out[arg]; ok && prev != r {
			return nil, fmt.Errorf("argument %d is both %%%c and %%%c in %q", arg, prev, r, s)
		}
		out[arg] = r
		arg++
	}
	return out, nil
}

func verbString(m map[int]rune) string {
	var parts []string
	for i := 1; i <= len(m)+8; i++ {
		if r, ok := m[i]; ok {
			parts = append(parts, fmt.Sprintf("%d:%%%c", i, r))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestVerbs(t *testing.T) {
	for s, want := range map[string]map[int]rune{
		"plain":              {},
		"of target %s":       {1: 's'},
		"%d of %s":           {1: 'd', 2: 's'},
		"%[2]s, then %[1]d":  {1: 'd', 2: 's'},
		"%5.2f%% and %-3v":   {1: 'f', 2: 'v'},
		"%[1]s again %[1]s!": {1: 's'},
	} {
		got, err := verbs(s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("verbs(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"100%", "50%!", "%[1s", "%[1]s %[1]d"} {
		if _, err := verbs(s); err == nil {
			t.Errorf("verbs(%q): no error", s)
		}
	}
}

// usedKey is a message key found in the code or the templates.
type usedKey struct {
	key, where string
	plural     bool
}

var (
	// Inside a template action: {{t "key"}}, {{.Lang.T "key" x}}, {{T "key"}}.
	tmplT = regexp.MustCompile(`(?:^|[\s(|.])(?:t|T)\s+"((?:[^"\\]|\\.)*)"`)
	// {{plural .Count "key"}}, {{.Lang.Plural (len .List) "key"}}.
	tmplPlural = regexp.MustCompile(`(?:^|[\s(|.])(?:plural|Plural)\s+(?:\([^()]*\)|[^\s"()]+)\s+"((?:[^"\\]|\\.)*)"`)
	tmplAction = regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)
	tmplExts   = map[string]bool{".html": true, ".htm": true, ".tmpl": true, ".gohtml": true, ".tpl": true, ".txt": true, ".eml": true}
)

// scanKeys finds the keys used with a string literal under root: in Go,
// calls of a method T (first argument) or Plural (second argument); in
// templates, the calls above. Keys built at run time ("channel."+ch) are
// checked by TestLedgerNames instead.
func scanKeys(root string) ([]usedKey, error) {
	var used []usedKey
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "vendor" || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(name)
		if ext != ".go" && !tmplExts[ext] {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if ext != ".go" {
			for _, a := range tmplAction.FindAllSubmatchIndex(src, -1) {
				action := string(src[a[2]:a[3]])
				line := 1 + strings.Count(string(src[:a[0]]), "\n")
				where := fmt.Sprintf("%s:%d", rel, line)
				for _, m := range tmplT.FindAllStringSubmatch(action, -1) {
					if k, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
						used = append(used, usedKey{k, where, false})
					}
				}
				for _, m := range tmplPlural.FindAllStringSubmatch(action, -1) {
					if k, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
						used = append(used, usedKey{k, where, true})
					}
				}
			}
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil // not ours to report: the build does
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var arg ast.Expr
			plural := false
			switch {
			case sel.Sel.Name == "T" && len(call.Args) >= 1:
				arg = call.Args[0]
			case sel.Sel.Name == "Plural" && len(call.Args) == 2:
				arg, plural = call.Args[1], true
			default:
				return true
			}
			lit, ok := arg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			k, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			p := fset.Position(lit.Pos())
			used = append(used, usedKey{k, fmt.Sprintf("%s:%d", rel, p.Line), plural})
			return true
		})
		return nil
	})
	return used, err
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func checkUsed(used []usedKey) []string {
	var bad []string
	for _, u := range used {
		if u.plural {
			if _, ok := enPlurals[u.key]; !ok {
				bad = append(bad, fmt.Sprintf("%s: plural key %q is not in the English catalog", u.where, u.key))
			}
		} else if _, ok := enMessages[u.key]; !ok {
			bad = append(bad, fmt.Sprintf("%s: key %q is not in the English catalog", u.where, u.key))
		}
	}
	return bad
}

// TestUsedKeysExist fails on every key the module's code or templates use that
// the English catalog (and so, by TestCatalogsComplete, every catalog) lacks.
func TestUsedKeysExist(t *testing.T) {
	used, err := scanKeys(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range checkUsed(used) {
		t.Error(b)
	}
	t.Logf("%d uses of message keys checked", len(used))
}

func TestScanKeys(t *testing.T) {
	dir := t.TempDir()
	goSrc := `package p

func f(l interface{ T(string, ...any) string; Plural(int64, string) string }) {
	_ = l.T("nav.home")
	_ = l.T("fund.of_target", "x")
	_ = l.T("nav.hoem")
	_ = l.Plural(3, "fund.donations")
	_ = l.Plural(3, "fund.donation")
	k := "built." + "at.runtime"
	_ = l.T(k)
}
`
	html := `<h1>{{t "site.title"}}</h1>
<p>{{ .Lang.T "fund.raised" }} {{t "fund.of_target" (money .T .C)}}</p>
<p>{{plural .N "fund.donations"}} {{.Lang.Plural (len .List) "fund.donatoins"}}</p>
<a>{{- t "nav.fnuds" -}}</a> {{if .T}}"nav.not_a_call"{{end}}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(goSrc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "page.html"), []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	used, err := scanKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range used {
		got = append(got, fmt.Sprintf("%s %s %v", u.where, u.key, u.plural))
	}
	sort.Strings(got)
	want := []string{
		"p.go:4 nav.home false",
		"p.go:5 fund.of_target false",
		"p.go:6 nav.hoem false",
		"p.go:7 fund.donations true",
		"p.go:8 fund.donation true",
		"web/page.html:1 site.title false",
		"web/page.html:2 fund.of_target false",
		"web/page.html:2 fund.raised false",
		"web/page.html:3 fund.donations true",
		"web/page.html:3 fund.donatoins true",
		"web/page.html:4 nav.fnuds false",
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanKeys found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	bad := checkUsed(used)
	if len(bad) != 4 {
		t.Errorf("checkUsed reported %d problems, want 4 (nav.hoem, fund.donation, fund.donatoins, nav.fnuds):\n%s",
			len(bad), strings.Join(bad, "\n"))
	}
}
