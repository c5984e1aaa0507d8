package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fundledger/fundledger/internal/server"
)

// get fetches a public URL as a browser in the given language would.
func (a *api) get(path, acceptLanguage string) (int, string, http.Header) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.url+path, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), res.Header
}

// record books a donation through the API and returns its id.
func (a *api) record(key, body string) string {
	a.t.Helper()
	code, out, _ := a.do("POST", "/api/v1/donations", a.treasurer, key, body)
	if code != 201 {
		a.t.Fatalf("record %s: %d %v", key, code, out)
	}
	return out["id"].(string)
}

// Donors of every consent kind; the personal data below must never reach a
// public page, feed, API or CSV unless consented and approved.
func consentBooks(t *testing.T) (*api, map[string]string) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	ids := map[string]string{
		"named": a.record("named", `{"fund":"zhanaozen","amount":"1500.00","currency":"EUR","channel":"bank_transfer","received_on":"2011-12-20",
			"donor":{"name":"Maria Schmidt","email":"maria.schmidt@example.org","country":"DE"},"acknowledgement":{"display":"name","show_amount":true},
			"message":"<script>alert('x')</script><b>Kieler Gruss</b>"}`),
		"alias": a.record("alias", `{"fund":"zhanaozen","amount":"25.00","currency":"EUR","channel":"cash","received_on":"2011-12-21",
			"donor":{"name":"Sergei Secretov","email":"sergei@example.org"},"acknowledgement":{"display":"alias","alias":"=HYPERLINK(\"http://evil\")","show_amount":false}}`),
		"org": a.record("org", `{"fund":"zhanaozen","amount":"300.00","currency":"GBP","channel":"organisation","received_on":"2011-12-22",
			"donor":{"name":"Private Treasurer","organisation":"Tyneside miners' support group","email":"tyneside@example.org"},"acknowledgement":{"display":"organisation","show_amount":true}}`),
		"anon": a.record("anon", `{"fund":"zhanaozen","amount":"77.77","currency":"EUR","channel":"bank_transfer","received_on":"2011-12-23",
			"donor":{"name":"Anna Anonymova","email":"anna@example.org","country":"RU"},"acknowledgement":{"display":"anonymous","show_amount":true}}`),
		"hidden": a.record("hidden", `{"fund":"zhanaozen","amount":"10.00","currency":"EUR","channel":"cheque","received_on":"2011-12-24",
			"donor":{"name":"Hidden Harald"},"acknowledgement":{"display":"name"},"message":"Unapproved words"}`),
	}
	return a, ids
}

var neverPublic = []string{"maria.schmidt@", "sergei", "Secretov", "Private Treasurer", "tyneside@", "Anna Anonymova", "anna@", "Hidden Harald", "Unapproved words"}

func (a *api) publicOutputs() map[string]string {
	a.t.Helper()
	out := map[string]string{}
	for _, p := range []string{"/", "/funds/zhanaozen", "/acknowledgements", "/funds/zhanaozen/acknowledgements", "/acknowledgements.csv",
		"/acknowledgements.atom", "/funds/zhanaozen/acknowledgements.atom", "/api/v1/acknowledgements", "/api/v1/funds", "/donate/zhanaozen",
		"/?lang=ru", "/acknowledgements?lang=kk"} {
		code, body, _ := a.get(p, "")
		if code != 200 {
			a.t.Fatalf("GET %s: %d %.300s", p, code, body)
		}
		out[p] = body
	}
	return out
}

func TestPublicOutputsShowOnlyWhatWasConsented(t *testing.T) {
	a, ids := consentBooks(t)
	check := func(allowed ...string) {
		t.Helper()
		for p, body := range a.publicOutputs() {
			for _, s := range neverPublic {
				if strings.Contains(body, s) {
					t.Fatalf("%s shows %q", p, s)
				}
			}
			// Markup written by a donor is text everywhere but in the CSV,
			// which is data for a spreadsheet, not a page.
			if !strings.HasSuffix(p, ".csv") && strings.Contains(body, "<script>") {
				t.Fatalf("%s carries a donor's <script> unescaped", p)
			}
			for _, s := range []string{"Maria Schmidt", "Kieler Gruss", "Tyneside miners", "HYPERLINK"} {
				ok := false
				for _, al := range allowed {
					ok = ok || al == s
				}
				if !ok && strings.Contains(body, s) {
					t.Fatalf("%s shows %q before a committee member approved it", p, s)
				}
			}
		}
	}
	check() // before moderation: every donation acknowledged, all anonymous

	code, body, _ := a.get("/api/v1/acknowledgements", "")
	var list struct {
		Acknowledgements []map[string]any `json:"acknowledgements"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || len(list.Acknowledgements) != 5 {
		t.Fatalf("all five donations must be acknowledged: %d %s", code, body)
	}

	// A committee member approves all but the cheque donor, whose name and message are hidden.
	for status, keys := range map[string][]string{"approved": {"named", "alias", "org", "anon"}, "hidden": {"hidden"}} {
		var idl []string
		for _, k := range keys {
			idl = append(idl, `"`+ids[k]+`"`)
		}
		if code, out, _ := a.do("POST", "/api/v1/moderation", a.treasurer, "", `{"donation_ids":[`+strings.Join(idl, ",")+`],"status":"`+status+`"}`); code != 200 {
			t.Fatalf("moderate: %d %v", code, out)
		}
	}
	check("Maria Schmidt", "Kieler Gruss", "Tyneside miners", "HYPERLINK")
	outs := a.publicOutputs()
	// Names and messages are text, never markup.
	if !strings.Contains(outs["/acknowledgements"], "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;Kieler Gruss&lt;/b&gt;") {
		t.Fatalf("the message is not escaped as text:\n%s", outs["/acknowledgements"])
	}
	// The alias donor did not consent to show the amount.
	if strings.Contains(outs["/acknowledgements.csv"], "25.00") || !strings.Contains(outs["/acknowledgements.csv"], "1500.00,EUR") {
		t.Fatalf("csv amounts:\n%s", outs["/acknowledgements.csv"])
	}
	// A value a spreadsheet would run as a formula is defused.
	if !strings.Contains(outs["/acknowledgements.csv"], `"'=HYPERLINK(""http://evil"")"`) {
		t.Fatalf("csv formula not defused:\n%s", outs["/acknowledgements.csv"])
	}
	if !strings.Contains(outs["/acknowledgements.atom"], "<feed xmlns=\"http://www.w3.org/2005/Atom\">") ||
		!strings.Contains(outs["/acknowledgements.atom"], "Maria Schmidt: 1500.00 EUR") {
		t.Fatalf("atom:\n%s", outs["/acknowledgements.atom"])
	}
}

func TestPagesInTheVisitorsLanguage(t *testing.T) {
	a, _ := consentBooks(t)
	_, en, _ := a.get("/funds/zhanaozen", "en-GB,en;q=0.9")
	_, ru, hdr := a.get("/funds/zhanaozen", "ru-RU,ru;q=0.9,en;q=0.5")
	if !strings.Contains(en, "€1,500.00") || !strings.Contains(ru, "1\u00a0500,00\u00a0€") || !strings.Contains(ru, `<html lang="ru">`) {
		t.Fatalf("amounts are not formatted for the language:\nen: %.2000s\nru: %.2000s", en, ru)
	}
	if !strings.Contains(ru, "пожертвовани") {
		t.Fatalf("the Russian page is not in Russian:\n%.2000s", ru)
	}
	if !strings.Contains(hdr.Get("Vary"), "Accept-Language") {
		t.Fatal("a page that depends on Accept-Language must say so in Vary")
	}
	// The switch overrides the browser and is remembered.
	req, _ := http.NewRequest("GET", a.url+"/acknowledgements?lang=kk", nil)
	req.Header.Set("Accept-Language", "en")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "lang" {
			cookie = c
		}
	}
	if !strings.Contains(string(raw), `<html lang="kk">`) || cookie == nil || cookie.Value != "kk" || !cookie.HttpOnly {
		t.Fatalf("language switch: cookie %+v\n%.500s", cookie, raw)
	}
	req, _ = http.NewRequest("GET", a.url+"/", nil)
	req.Header.Set("Accept-Language", "en")
	req.AddCookie(cookie)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(raw), `<html lang="kk">`) {
		t.Fatal("the chosen language was not remembered")
	}
}

func TestPagesSecurityHeadersAndCSRF(t *testing.T) {
	a, _ := consentBooks(t)
	for _, p := range []string{"/", "/acknowledgements", "/donate/zhanaozen", "/funds/zhanaozen", "/nowhere"} {
		_, _, h := a.get(p, "")
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		for _, name := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Strict-Transport-Security", "Permissions-Policy"} {
			if h.Get(name) == "" {
				t.Errorf("%s: no %s", p, name)
			}
		}
	}
	// A form posted from another site is refused.
	req, _ := http.NewRequest("POST", a.url+"/donate/zhanaozen", strings.NewReader(url.Values{"preset": {"25"}, "currency": {"EUR"}, "email": {"x@example.org"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("cross-site form post: %d, want 403", res.StatusCode)
	}
	// A missing page is a page, in the visitor's language.
	code, body, _ := a.get("/funds/nowhere", "ru")
	if code != 404 || !strings.Contains(body, `<html lang="ru">`) {
		t.Fatalf("missing fund page: %d %.300s", code, body)
	}
	code, body, _ = a.get("/static/style.css", "")
	if code != 200 || !strings.Contains(body, "font-family") {
		t.Fatalf("stylesheet: %d", code)
	}
}

func TestAcknowledgementPagination(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	for i := 0; i < 7; i++ {
		a.record("p"+string(rune('a'+i)), `{"fund":"zhanaozen","amount":"5","currency":"EUR","channel":"cash","received_on":"2012-01-0`+string(rune('1'+i))+`"}`)
	}
	seen := map[string]bool{}
	next := "/api/v1/acknowledgements?limit=3"
	pages := 0
	for next != "" {
		_, body, _ := a.get(next, "")
		var pg struct {
			Acknowledgements []struct {
				Date string `json:"date"`
			} `json:"acknowledgements"`
			Older string `json:"older"`
		}
		if err := json.Unmarshal([]byte(body), &pg); err != nil {
			t.Fatal(err)
		}
		for _, e := range pg.Acknowledgements {
			seen[e.Date] = true
		}
		pages++
		next = ""
		if pg.Older != "" {
			next = "/api/v1/acknowledgements?limit=3&after=" + url.QueryEscape(pg.Older)
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d dates on %d pages, want 7 on 3", len(seen), pages)
	}
	_, html, _ := a.get("/acknowledgements?limit=3", "")
	if !strings.Contains(html, `rel="next"`) || strings.Contains(html, `rel="prev"`) {
		t.Fatalf("first page links:\n%s", html)
	}
	if code, _, _ := a.get("/api/v1/acknowledgements?after=bogus", ""); code != 400 {
		t.Fatalf("bad cursor: %d", code)
	}
	if code, _, _ := a.get("/api/v1/acknowledgements?limit=100000", ""); code != 400 {
		t.Fatalf("huge limit: %d", code)
	}
}

// A street collection is one line on the public list, whatever the number
// of currencies counted, and never names a collector or a counter.
func TestStreetCollectionIsOneLine(t *testing.T) {
	a := newAPI(t)
	a.mustFund("zhanaozen", "EUR")
	code, out, _ := a.do("POST", "/api/v1/collections", a.treasurer, "", `{"fund":"zhanaozen","place":"Hamburg, Spitalerstraße","collected_on":"2011-09-03",
		"collectors":["Klaus Kollektor","Petra Sammler"],"counted_by":["Anna Zählerin","Bernd Prüfer"],
		"counts":[{"currency":"EUR","amount":"200.00"},{"currency":"GBP","amount":"35.50"}]}`)
	if code != 201 {
		t.Fatalf("record collection: %d %v", code, out)
	}
	outs := a.publicOutputs()
	for p, body := range outs {
		for _, name := range []string{"Klaus", "Petra", "Anna Zählerin", "Bernd"} {
			if strings.Contains(body, name) {
				t.Fatalf("%s names a collector or counter: %q", p, name)
			}
		}
	}
	if n := strings.Count(outs["/acknowledgements"], "Hamburg, Spitalerstraße"); n != 1 || !strings.Contains(outs["/acknowledgements"], "€200.00 + £35.50") {
		t.Fatalf("the collection is on %d lines:\n%s", n, outs["/acknowledgements"])
	}
	if !strings.Contains(outs["/api/v1/acknowledgements"], `"from":"Street collection, Hamburg, Spitalerstraße, 2011-09-03: 200.00 EUR + 35.50 GBP"`) ||
		!strings.Contains(outs["/api/v1/acknowledgements"], `"channel":"collection"`) {
		t.Fatalf("json:\n%s", outs["/api/v1/acknowledgements"])
	}
	if !strings.Contains(outs["/?lang=ru"], "Уличный сбор, Hamburg, Spitalerstraße") {
		t.Fatalf("Russian page:\n%s", outs["/?lang=ru"])
	}
}

// Behind a configured reverse proxy, each client has its own rate limit; a
// client cannot escape the limit by claiming another address itself.
func TestRateLimitBehindAProxy(t *testing.T) {
	limited := func(proxies []string) int {
		srv := &server.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TrustedProxies: proxies}
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		n := 0
		for i := 0; i < 15; i++ {
			req, _ := http.NewRequest("POST", hs.URL+"/api/v1/checkout", strings.NewReader(`{}`))
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == 429 {
				n++
			}
		}
		return n
	}
	if n := limited([]string{"127.0.0.1"}); n != 0 {
		t.Fatalf("15 clients behind the proxy: %d limited, want 0", n)
	}
	if n := limited(nil); n == 0 {
		t.Fatal("without a trusted proxy, forged X-Forwarded-For escaped the limit")
	}
}
