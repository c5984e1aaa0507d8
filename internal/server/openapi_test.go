package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"
)

// The OpenAPI document is checked against the code, so a route, a role or an
// error code added without documentation fails here.

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses openapi.yaml as a generic tree.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// field walks doc along keys, failing the test when a step is missing.
func field(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not a mapping", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s is missing", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

// resolveRef returns the node a local reference such as
// "#/components/schemas/Fund" points to.
func resolveRef(doc map[string]any, ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a reference within the document", ref)
	}
	var v any = doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside a mapping", ref, tok)
		}
		if v, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve: no %q", ref, tok)
		}
	}
	return v, nil
}

// deref follows $ref until it reaches a node that is not a reference.
func deref(t *testing.T, doc map[string]any, v any) any {
	t.Helper()
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		var err error
		if v, err = resolveRef(doc, ref); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("$ref chain too long at %v", v)
	return nil
}

type operation struct {
	method, path string // method upper case, path with {param}
	op           map[string]any
}

func (o operation) String() string { return o.method + " " + o.path }

func operations(t *testing.T, doc map[string]any) []operation {
	t.Helper()
	var ops []operation
	for path, item := range field(t, doc, "paths").(map[string]any) {
		m, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("paths.%s is not a mapping", path)
		}
		for _, method := range httpMethods {
			if op, ok := m[method]; ok {
				opm, ok := op.(map[string]any)
				if !ok {
					t.Fatalf("paths.%s.%s is not a mapping", path, method)
				}
				ops = append(ops, operation{strings.ToUpper(method), path, opm})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// parameters returns an operation's parameters, path-level ones included,
// with references resolved.
func parameters(t *testing.T, doc map[string]any, o operation) []map[string]any {
	t.Helper()
	var raw []any
	if ps, ok := doc["paths"].(map[string]any)[o.path].(map[string]any)["parameters"].([]any); ok {
		raw = append(raw, ps...)
	}
	if ps, ok := o.op["parameters"].([]any); ok {
		raw = append(raw, ps...)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, p := range raw {
		m, ok := deref(t, doc, p).(map[string]any)
		if !ok {
			t.Fatalf("%s: a parameter is not a mapping", o)
		}
		out = append(out, m)
	}
	return out
}

// ginPath turns gin's /transactions/:id into OpenAPI's /transactions/{id}.
var ginParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

func ginRoutes() map[string]bool {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	(&Server{}).routes(r)
	out := map[string]bool{}
	for _, rt := range r.Routes() {
		out[rt.Method+" "+ginParam.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	return out
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi is %v, want 3.0.x", doc["openapi"])
	}
	if v, _ := field(t, doc, "info", "title").(string); v != "fundledger" {
		t.Errorf("info.title is %q", v)
	}
	if v, _ := field(t, doc, "info", "version").(string); v == "" {
		t.Error("info.version is empty")
	}
	scheme := field(t, doc, "components", "securitySchemes", "bearerAuth").(map[string]any)
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
		t.Errorf("bearerAuth is %v, want an HTTP bearer scheme", scheme)
	}
}

func TestOpenAPIRoutesMatchGin(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]bool{}
	for _, o := range operations(t, doc) {
		documented[o.String()] = true
	}
	registered := ginRoutes()
	for r := range registered {
		// The API, the webhooks and the health checks must be documented;
		// HTML pages and static files may be.
		_, path, _ := strings.Cut(r, " ")
		api := strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/") || path == "/livez" || path == "/readyz"
		if api && !documented[r] {
			t.Errorf("route %s is registered but not in openapi.yaml", r)
		}
	}
	for r := range documented {
		if !registered[r] {
			t.Errorf("openapi.yaml documents %s, which no route serves", r)
		}
	}
}

func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for _, o := range operations(t, doc) {
		if rs, _ := o.op["responses"].(map[string]any); len(rs) == 0 {
			t.Errorf("%s declares no response", o)
		}
		params := parameters(t, doc, o)
		inPath := map[string]bool{}
		hasKey := false
		for _, p := range params {
			switch p["in"] {
			case "path":
				inPath[fmt.Sprint(p["name"])] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v is not required", o, p["name"])
				}
			case "header":
				hasKey = hasKey || strings.EqualFold(fmt.Sprint(p["name"]), "Idempotency-Key")
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			if !inPath[m[1]] {
				t.Errorf("%s: path parameter %s is not declared", o, m[1])
			}
		}
		// Webhooks are deduplicated by the sender's event id, not by an
		// Idempotency-Key; every other write honours one.
		if o.method == http.MethodPost && !hasKey && !strings.HasPrefix(o.path, "/webhooks/") {
			t.Errorf("%s does not declare the Idempotency-Key header", o)
		}
	}
}

// TestOpenAPIRefsResolve checks every $ref points inside the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if k == "$ref" {
					n++
					ref, ok := c.(string)
					if !ok {
						t.Errorf("%s.$ref is not a string", path)
						continue
					}
					if _, err := resolveRef(doc, ref); err != nil {
						t.Errorf("%s: %v", path, err)
					}
					continue
				}
				walk(path+"."+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), c)
			}
		}
	}
	walk("", doc)
	if n == 0 {
		t.Error("no $ref found; is the document parsed?")
	}
}

// TestOpenAPIEnumsMatchCode keeps the document's enums in step with the code.
func TestOpenAPIEnumsMatchCode(t *testing.T) {
	doc := loadOpenAPI(t)
	enum := func(keys ...string) []string {
		t.Helper()
		var out []string
		for _, v := range field(t, doc, keys...).([]any) {
			out = append(out, fmt.Sprint(v))
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string { sort.Strings(s); return s }
	check := func(name string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, sorted(want)) {
			t.Errorf("%s enum is %v, the code has %v", name, got, want)
		}
	}

	var codes []string
	for c := range statuses {
		codes = append(codes, c)
	}
	check("Error.code", enum("components", "schemas", "Error", "properties", "error", "properties", "code", "enum"), codes)

	var curs []string
	for _, c := range ledger.Currencies() {
		curs = append(curs, c.Code)
	}
	check("CurrencyCode", enum("components", "schemas", "CurrencyCode", "enum"), curs)

	var channels []string
	for _, c := range ledger.OfflineChannels {
		channels = append(channels, string(c))
	}
	check("DonationRequest.channel", enum("components", "schemas", "DonationRequest", "properties", "channel", "enum"), channels)

	check("AccountType", enum("components", "schemas", "AccountType", "enum"),
		[]string{string(ledger.Asset), string(ledger.Liability), string(ledger.Equity), string(ledger.Income), string(ledger.Expense)})
	check("Acknowledgement.display", enum("components", "schemas", "Acknowledgement", "properties", "display", "enum"),
		[]string{string(ledger.AckName), string(ledger.AckAlias), string(ledger.AckAnonymous)})
}

// observerTokens authenticates every secret as an observer.
type observerTokens struct{ ledger.TokenService }

func (observerTokens) Authenticate(context.Context, string) (*ledger.Token, error) {
	return &ledger.Token{ID: 1, Name: "auditor", Role: ledger.RoleObserver}, nil
}

// TestOpenAPISecurityMatchesMiddleware sends every documented call without a
// token and with an observer token: the public calls are the ones gin lets
// through without a token, the treasurer-only ones those it refuses an
// observer, and each operation declares the 401 and 403 it can answer. The
// services are nil, so a call that gets past authentication fails with 500.
func TestOpenAPISecurityMatchesMiddleware(t *testing.T) {
	doc := loadOpenAPI(t)
	_, globalSecured := doc["security"].([]any)
	h := (&Server{Tokens: observerTokens{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	call := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, o := range operations(t, doc) {
		path := strings.NewReplacer("{slug}", "zhanaozen", "{id}", "e0c85e66-de4a-482d-a6b1-73185e069294").Replace(o.path)
		secured := globalSecured
		if s, ok := o.op["security"].([]any); ok {
			secured = len(s) > 0
		}
		responses, _ := o.op["responses"].(map[string]any)

		anon := call(o.method, path, "")
		if got := anon.Code == http.StatusUnauthorized; got != secured {
			t.Errorf("%s without a token answers %d, but openapi.yaml says secured=%v", o, anon.Code, secured)
		}
		if _, ok := responses["401"]; ok != secured {
			t.Errorf("%s: secured=%v but 401 declared=%v", o, secured, ok)
		}
		if !secured {
			continue
		}
		obs := call(o.method, path, "flt_observer")
		forbidden := obs.Code == http.StatusForbidden
		if _, ok := responses["403"]; ok != forbidden {
			t.Errorf("%s with an observer token answers %d, but 403 declared=%v", o, obs.Code, ok)
		}
		if forbidden != (o.method != http.MethodGet) {
			t.Errorf("%s with an observer token answers %d: observers should read and only read", o, obs.Code)
		}
	}

	spec, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := call(http.MethodGet, "/api/v1/openapi.yaml", "")
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), spec) {
		t.Errorf("GET /api/v1/openapi.yaml answers %d and not the document", w.Code)
	}
}
