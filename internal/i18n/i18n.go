// Package i18n translates the public pages and the receipt email into English,
// Russian and Kazakh (Cyrillic), and formats money, numbers, dates and counted
// nouns the way readers of each language expect.
//
// # Messages
//
// Messages live in Go maps, one file per language (messages_en.go,
// messages_ru.go, messages_kk.go), under short dotted English keys such as
// "nav.home" or "donate.email". English is the source catalog: Keys lists its
// keys, and the tests fail when Russian or Kazakh lacks one of them, when a
// translation is empty, when the fmt verbs of a translation differ from the
// English ones, or when code or a template uses a key English does not have.
// At run time a key missing in Russian or Kazakh falls back to English, and a
// key missing in English is shown as the key itself.
//
// Messages that count something ("5 donations") are plural messages, used
// through Lang.Plural; the others through Lang.T. Channel keys follow the
// ledger's channel names ("channel." + string(ledger.ChannelBankTransfer)) and
// the acknowledgement choices its display names ("donate.ack." +
// string(ledger.AckAlias)), so callers can build those keys.
//
// # Spaces
//
// Russian and Kazakh group thousands with NO-BREAK SPACE (U+00A0), and put the
// same U+00A0 between an amount and its currency symbol or code: "1 500,00 €".
// English puts U+00A0 between an ISO code or a letter symbol and the amount
// ("SEK\u00a01,500.00", "KWD\u00a01.500", "zł\u00a025.00"), and no space after a
// sign-like symbol ("€1,500.00"). U+00A0 is what CLDR, and so browsers'
// Intl.NumberFormat, use for ru and kk, and every font has it; an amount never
// breaks across lines. The constant NBSP names it for callers and tests.
// Dates use ordinary spaces, as CLDR does ("3 сентября 2011 г."), and so do
// the plural messages between the count and the noun ("1 500 пожертвований",
// with U+00A0 only inside the number).
//
// All methods accept any Lang: one that is not supported behaves as English.
package i18n

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a supported language, by its ISO 639-1 code.
type Lang string

// The supported languages.
const (
	EN Lang = "en"
	RU Lang = "ru"
	KK Lang = "kk"
)

// Supported lists the supported languages, English first.
var Supported = []Lang{EN, RU, KK}

// NBSP is NO-BREAK SPACE (U+00A0), the thousands separator in Russian and
// Kazakh and the space between an amount and a currency symbol or code.
const NBSP = "\u00a0"

// norm returns l when it is supported, English otherwise.
func (l Lang) norm() Lang {
	switch l {
	case EN, RU, KK:
		return l
	}
	return EN
}

// Parse reads a language code such as "ru", "RU", "ru-RU", "ru_RU" or
// "kk-Cyrl-KZ" and reports whether its language is a supported one. Only the
// base language counts: regions and scripts are ignored.
func Parse(s string) (Lang, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", false
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	return fromTag(t)
}

// fromTag returns the supported language whose base is exactly t's base.
func fromTag(t language.Tag) (Lang, bool) {
	b, conf := t.Base()
	if conf != language.Exact {
		return "", false // "und", "mul" and the like guess a base; we want one stated
	}
	for _, l := range Supported {
		if b.String() == string(l) {
			return l, true
		}
	}
	return "", false
}

var (
	supportedTags = []language.Tag{language.English, language.Russian, language.Kazakh}
	matcher       = language.NewMatcher(supportedTags)
)

// maxAcceptLanguage bounds how much of an Accept-Language header is read, and
// maxAcceptTags how many of its entries.
const (
	maxAcceptLanguage = 4096
	maxAcceptTags     = 32
)

// Negotiate picks the language for an Accept-Language header (RFC 7231,
// section 5.3.5), honouring q-values: "ru-RU,ru;q=0.9,en;q=0.8" gives RU and
// "kk-KZ" gives KK. Only entries whose base language is exactly a supported one
// count: Ukrainian or Belarusian do not get Russian (the x/text matcher alone
// would give it), "*" gets the fallback, and scripts are ignored ("kk-Latn"
// gets Kazakh in Cyrillic). Malformed entries are skipped, not fatal. When
// nothing matches, the result is fallback (English when fallback is not
// supported either).
func Negotiate(acceptLanguage string, fallback Lang) Lang {
	fallback = fallback.norm()
	if len(acceptLanguage) > maxAcceptLanguage {
		acceptLanguage = acceptLanguage[:maxAcceptLanguage]
	}
	type entry struct {
		tag language.Tag
		q   float32 // a q-value: a weight, never money
	}
	var entries []entry
	for i, part := range strings.Split(acceptLanguage, ",") {
		if i >= maxAcceptTags {
			break
		}
		if strings.TrimSpace(part) == "" {
			continue
		}
		// One entry at a time, so that one malformed entry does not lose the rest.
		tags, qs, err := language.ParseAcceptLanguage(part)
		if err != nil || len(tags) != 1 {
			continue
		}
		if _, ok := fromTag(tags[0]); ok {
			// Keep base and region only: Kazakh is written here in Cyrillic
			// alone, and a reader who asks for kk-Latn or kk-Arab would rather
			// have it than a language further down the list.
			// A region only when stated: kk-Arab would imply CN.
			b, _ := tags[0].Base()
			parts := []any{b}
			if r, conf := tags[0].Region(); conf == language.Exact {
				parts = append(parts, r)
			}
			tag, err := language.Compose(parts...)
			if err != nil {
				continue
			}
			entries = append(entries, entry{tag, qs[0]})
		}
	}
	if len(entries) == 0 {
		return fallback
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].q > entries[j].q })
	desired := make([]language.Tag, len(entries))
	for i, e := range entries {
		desired[i] = e.tag
	}
	_, index, conf := matcher.Match(desired...)
	if conf == language.No {
		l, _ := fromTag(desired[0]) // cannot happen: every base is supported
		return l
	}
	return Supported[index]
}

// Name returns the language's name in itself: "English", "Русский", "Қазақша".
func (l Lang) Name() string {
	switch l {
	case EN:
		return "English"
	case RU:
		return "Русский"
	case KK:
		return "Қазақша"
	}
	return ""
}

// String returns the language code.
func (l Lang) String() string { return string(l) }

// forms are the plural forms of one message, by CLDR plural category. English
// uses One and Other, Russian One, Few and Many (Other only for fractions, which
// Plural never has), Kazakh only Other: a Kazakh noun after a numeral stays
// singular. Each form holds one %s for the formatted count.
type forms struct {
	One, Few, Many, Other string
}

type catalog struct {
	messages map[string]string
	plurals  map[string]forms
}

func (l Lang) catalog() catalog {
	switch l.norm() {
	case RU:
		return catalog{ruMessages, ruPlurals}
	case KK:
		return catalog{kkMessages, kkPlurals}
	}
	return catalog{enMessages, enPlurals}
}

// T returns the message for key in l, formatted with args by fmt.Sprintf when
// there are any. A key missing in Russian or Kazakh falls back to English; a
// key missing in English returns the key itself.
func (l Lang) T(key string, args ...any) string {
	msg, ok := l.catalog().messages[key]
	if !ok || msg == "" {
		msg, ok = enMessages[key]
	}
	if !ok || msg == "" {
		return key
	}
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg // no "%!(EXTRA …)" on a public page when a caller passes too much
	}
	return fmt.Sprintf(msg, args...)
}

// Keys returns every message key, plain and plural, sorted.
func Keys() []string {
	keys := make([]string, 0, len(enMessages)+len(enPlurals))
	for k := range enMessages {
		keys = append(keys, k)
	}
	for k := range enPlurals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Funcs returns template functions bound to l, for html/template and
// text/template alike (pass it to Template.Funcs):
//
//	{{t "nav.home"}}  {{t "fund.of_target" $target}}  {{plural .Count "fund.donations"}}
//	{{money .Amount .Currency}}  {{number .Percent 0}}  {{date .ReceivedOn}}  {{lang.Name}}
//
// The key tests look for these names in templates.
func (l Lang) Funcs() map[string]any {
	return map[string]any{
		"t":      l.T,
		"plural": func(n any, key string) (string, error) { return pluralAny(l, n, key) },
		"money":  l.Money,
		"number": l.Number,
		"date":   l.Date,
		"lang":   func() Lang { return l },
	}
}

func pluralAny(l Lang, n any, key string) (string, error) {
	switch v := n.(type) {
	case int:
		return l.Plural(int64(v), key), nil
	case int32:
		return l.Plural(int64(v), key), nil
	case int64:
		return l.Plural(v, key), nil
	case uint32:
		return l.Plural(int64(v), key), nil
	}
	return "", fmt.Errorf("i18n: plural %q: count %v is %T, not an int", key, n, n)
}
