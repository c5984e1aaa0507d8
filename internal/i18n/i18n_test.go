package i18n

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"ru", RU, true}, {"RU", RU, true}, {"ru-RU", RU, true}, {"ru_RU", RU, true},
		{"ru-KZ", RU, true}, {" kk ", KK, true}, {"kk-KZ", KK, true}, {"kk-Cyrl-KZ", KK, true},
		{"KK", KK, true}, {"en", EN, true}, {"en-GB", EN, true}, {"EN-us", EN, true},
		{"", "", false}, {"de", "", false}, {"uk", "", false}, {"be", "", false},
		{"xx", "", false}, {"ru-!!", "", false}, {"und", "", false}, {"*", "", false},
		{"russian", "", false}, {strings.Repeat("ru-", 100), "", false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header   string
		fallback Lang
		want     Lang
	}{
		{"ru-RU,ru;q=0.9,en;q=0.8", EN, RU},
		{"de-DE,de;q=0.9", EN, EN},
		{"de-DE,de;q=0.9", KK, KK},
		{"kk-KZ", EN, KK},
		{"kk", RU, KK},
		{"en-GB", RU, EN},
		{"en-US,en;q=0.9", KK, EN},
		{"", RU, RU},
		{"", EN, EN},
		{"garbage!!", KK, KK},
		{";;;,,,q=1", RU, RU},
		{"*", KK, KK},
		{"xx", RU, RU},
		{"en;q=0.5,kk", EN, KK},                  // q-values, not order
		{"ru;q=0.8, kk;q=0.9, en;q=0.1", EN, KK}, // q-values, not order
		{"en;q=0.5,ru;q=0.5", KK, EN},            // ties keep the header's order
		{"ru;q=0,en", KK, EN},                    // q=0: not acceptable
		{"ru;q=0", KK, KK},
		{"uk", EN, EN},          // only exact bases: no Russian for Ukrainian
		{"be", KK, KK},          // nor for Belarusian
		{"uk,ru;q=0.5", EN, RU}, // but Russian when asked for
		{"ky,ru;q=0.5", EN, RU},
		{"kk-Latn,en", RU, KK}, // scripts are ignored
		{"kk-Arab,ru;q=0.5", EN, KK},
		{"ru-UA,en", EN, RU},
		{"ru-RU, !!!, en", EN, RU}, // a malformed entry is skipped
		{"!!!, en;q=0.2", RU, EN},
		{"de, fr;q=0.8, ru;q=0.1", EN, RU},
		{"ru-RU,ru;q=0.9,en;q=0.8", Lang("de"), RU},
		{"de", Lang("de"), EN}, // an unsupported fallback is English
		{"de", "", EN},
		{strings.Repeat("de,", 5000) + "ru", KK, KK}, // read only so far
	}
	for _, tt := range tests {
		if got := Negotiate(tt.header, tt.fallback); got != tt.want {
			t.Errorf("Negotiate(%.40q, %q) = %q, want %q", tt.header, tt.fallback, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	for l, want := range map[Lang]string{EN: "English", RU: "Русский", KK: "Қазақша", "de": ""} {
		if got := l.Name(); got != want {
			t.Errorf("%q.Name() = %q, want %q", l, got, want)
		}
	}
	if len(Supported) != 3 || Supported[0] != EN || Supported[1] != RU || Supported[2] != KK {
		t.Errorf("Supported = %v", Supported)
	}
}

func TestT(t *testing.T) {
	if got := EN.T("site.title"); got != "Solidarity fund" {
		t.Errorf("en site.title = %q", got)
	}
	if got := RU.T("nav.home"); got != "Главная" {
		t.Errorf("ru nav.home = %q", got)
	}
	if got := KK.T("nav.language"); got != "Тіл" {
		t.Errorf("kk nav.language = %q", got)
	}
	target := EN.Money(decimal.RequireFromString("10000"), ledger.Currency{Code: "EUR", Exponent: 2})
	if got := EN.T("fund.of_target", target); got != "of target €10,000.00" {
		t.Errorf("en fund.of_target = %q", got)
	}
	if got := RU.T("email.receipt.subject", "Забастовка в Жанаозене"); got != "Квитанция о пожертвовании: Забастовка в Жанаозене" {
		t.Errorf("ru subject = %q", got)
	}
	if got := KK.T("donate.bank.use_reference", "ZH-2011-42"); !strings.Contains(got, "ZH-2011-42 деп") {
		t.Errorf("kk use_reference = %q", got)
	}
	if got := Lang("de").T("nav.home"); got != "Home" {
		t.Errorf("unsupported language: %q", got)
	}

	// A key missing in English is shown as itself.
	missing := "no.such" + ".key"
	for _, l := range Supported {
		if got := l.T(missing); got != missing {
			t.Errorf("%s.T(missing) = %q", l, got)
		}
		if got := l.T(missing, 1); got != missing {
			t.Errorf("%s.T(missing, 1) = %q", l, got)
		}
	}

	// A key missing in Russian or Kazakh falls back to English.
	onlyEN := "test.only" + "_english"
	enMessages[onlyEN] = "Only in English, %s"
	defer delete(enMessages, onlyEN)
	for _, l := range Supported {
		if got := l.T(onlyEN, "yes"); got != "Only in English, yes" {
			t.Errorf("%s.T(english only) = %q", l, got)
		}
	}
}

func TestFuncs(t *testing.T) {
	tmpl := template.Must(template.New("x").Funcs(RU.Funcs()).Parse(
		`{{t "nav.home"}}|{{t "fund.of_target" (money .Target .Cur)}}|{{plural .N "fund.donations"}}|` +
			`{{number .Pct 1}}|{{date .D}}|{{lang.Name}}`))
	var b strings.Builder
	err := tmpl.Execute(&b, map[string]any{
		"Target": decimal.RequireFromString("10000"), "Cur": ledger.Currency{Code: "KZT", Exponent: 2},
		"N": 22, "Pct": decimal.RequireFromString("45.67"), "D": time.Date(2011, 12, 16, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Главная|из необходимых 10" + NBSP + "000,00" + NBSP + "₸|22 пожертвования|45,7|16 декабря 2011 г.|Русский"
	if got := b.String(); got != want {
		t.Errorf("template = %q\n      want %q", got, want)
	}
	if _, err := pluralAny(EN, "3", "fund.donations"); err == nil {
		t.Error("plural with a string count: no error")
	}
}

func TestTExtraArgs(t *testing.T) {
	if got := RU.T("nav.home", "extra"); got != "Главная" {
		t.Errorf("extra args: %q", got)
	}
}
