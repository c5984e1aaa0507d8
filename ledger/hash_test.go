package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// hashedTx is a recorded-looking transaction with every hashed field set.
func hashedTx() *ledger.Transaction {
	tx := validTx()
	tx.ID = "0b8e2c3c-1d2e-4f50-8a6b-7c8d9e0f1a2b"
	tx.Seq = 42
	tx.ReversalOf = "11111111-2222-4333-8444-555555555555"
	tx.RecordedAt = time.Date(2011, 12, 17, 9, 30, 15, 123456000, time.UTC)
	tx.Metadata = map[string]string{"ref": "A-1", "channel": "bank_transfer", "note": ""}
	tx.Postings = append(tx.Postings, ledger.Posting{
		Account: "assets:bank:jpy", Fund: "other-fund", Amount: dec("100"), Currency: ledger.Currency{Code: "JPY"},
	}, ledger.Posting{
		Account: ledger.AccountConversion, Fund: "other-fund", Amount: dec("-100"), Currency: ledger.Currency{Code: "JPY"},
	})
	return tx
}

// canonicalHash is an independent implementation of the documented canonical
// form of HashVersion fundledger-tx-v1, so an accidental change to the form is
// caught. If the form changes on purpose, HashVersion must change too, and this
// test with it.
func canonicalHash(tx *ledger.Transaction, prev []byte) []byte {
	var b bytes.Buffer
	field := func(name, value string) { fmt.Fprintf(&b, "%s=%d:%s\n", name, len(value), value) }
	field("v", "fundledger-tx-v1")
	field("seq", fmt.Sprint(tx.Seq))
	field("id", tx.ID)
	field("key", tx.IdempotencyKey)
	field("date", tx.EffectiveDate.Format("2006-01-02"))
	field("recorded", tx.RecordedAt.UTC().Format(time.RFC3339Nano))
	field("description", tx.Description)
	field("reversal_of", tx.ReversalOf)
	var keys []string
	for k := range tx.Metadata {
		keys = append(keys, k)
	}
	for i := range keys { // insertion sort, independent of package sort
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	for _, k := range keys {
		field("meta.key", k)
		field("meta.value", tx.Metadata[k])
	}
	for _, p := range tx.Postings {
		field("posting.account", p.Account)
		field("posting.fund", p.Fund)
		field("posting.currency", p.Currency.Code)
		field("posting.amount", p.Amount.StringFixed(p.Currency.Exponent))
	}
	field("prev", hex.EncodeToString(prev))
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

func TestComputeHashCanonicalForm(t *testing.T) {
	if ledger.HashVersion != "fundledger-tx-v1" {
		t.Skipf("HashVersion is %q; update canonicalHash to the new canonical form", ledger.HashVersion)
	}
	prev := sha256.Sum256([]byte("previous"))
	for _, tx := range []*ledger.Transaction{validTx(), hashedTx()} {
		for _, p := range [][]byte{nil, prev[:]} {
			got, want := tx.ComputeHash(p), canonicalHash(tx, p)
			if !bytes.Equal(got, want) {
				t.Errorf("ComputeHash = %x, want %x (the canonical form changed without a new HashVersion?)", got, want)
			}
		}
	}
}

func TestComputeHashDeterministic(t *testing.T) {
	prev := []byte{0xde, 0xad, 0xbe, 0xef}
	a := hashedTx()
	h := a.ComputeHash(prev)
	if len(h) != sha256.Size {
		t.Fatalf("hash of %d bytes", len(h))
	}
	for range 100 { // map iteration order varies from call to call
		if !bytes.Equal(a.ComputeHash(prev), h) {
			t.Fatal("ComputeHash differs between calls")
		}
	}
	// The same content built in another order, with other storage.
	b := cloneTx(a)
	b.Metadata = map[string]string{}
	for _, k := range []string{"note", "channel", "ref"} {
		b.Metadata[k] = a.Metadata[k]
	}
	if !bytes.Equal(b.ComputeHash(bytes.Clone(prev)), h) {
		t.Error("ComputeHash depends on map insertion order or storage")
	}
	if bytes.Equal(a.ComputeHash(nil), h) {
		t.Error("ComputeHash does not depend on prev")
	}
	if bytes.Equal(a.ComputeHash([]byte{0xde, 0xad, 0xbe, 0xee}), h) {
		t.Error("ComputeHash does not depend on the last byte of prev")
	}
	if bytes.Equal(a.ComputeHash(append(bytes.Clone(prev), 0)), h) {
		t.Error("ComputeHash does not depend on the length of prev")
	}
	// The hash does not depend on fields that are not content.
	c := cloneTx(a)
	c.PrevHash, c.Hash, c.ReversedBy = []byte("x"), []byte("y"), "later-reversal"
	if !bytes.Equal(c.ComputeHash(prev), h) {
		t.Error("ComputeHash depends on PrevHash, Hash or ReversedBy (ReversedBy is set after recording)")
	}
	// The same instant in another zone hashes the same.
	d := cloneTx(a)
	d.RecordedAt = a.RecordedAt.In(time.FixedZone("UTC+3", 3*3600))
	if !bytes.Equal(d.ComputeHash(prev), h) {
		t.Error("ComputeHash depends on the zone RecordedAt is expressed in")
	}
}

// TestComputeHashEveryField changes one field at a time and expects a new hash.
func TestComputeHashEveryField(t *testing.T) {
	prev := []byte("prev")
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Transaction)
	}{
		{"seq", func(tx *ledger.Transaction) { tx.Seq++ }},
		{"seq sign", func(tx *ledger.Transaction) { tx.Seq = -tx.Seq }},
		{"id", func(tx *ledger.Transaction) { tx.ID = tx.ID[:len(tx.ID)-1] + "c" }},
		{"idempotency key", func(tx *ledger.Transaction) { tx.IdempotencyKey += "x" }},
		{"effective date", func(tx *ledger.Transaction) { tx.EffectiveDate = tx.EffectiveDate.AddDate(0, 0, 1) }},
		{"recorded at, by a microsecond", func(tx *ledger.Transaction) { tx.RecordedAt = tx.RecordedAt.Add(time.Microsecond) }},
		{"recorded at, by a nanosecond", func(tx *ledger.Transaction) { tx.RecordedAt = tx.RecordedAt.Add(time.Nanosecond) }},
		{"description", func(tx *ledger.Transaction) { tx.Description += "." }},
		{"description case", func(tx *ledger.Transaction) { tx.Description = strings.ToUpper(tx.Description) }},
		{"reversal of", func(tx *ledger.Transaction) { tx.ReversalOf = "" }},
		{"metadata value", func(tx *ledger.Transaction) { tx.Metadata["ref"] = "A-2" }},
		{"metadata empty value", func(tx *ledger.Transaction) { tx.Metadata["note"] = " " }},
		{"metadata key", func(tx *ledger.Transaction) { tx.Metadata["reff"] = tx.Metadata["ref"]; delete(tx.Metadata, "ref") }},
		{"metadata key added", func(tx *ledger.Transaction) { tx.Metadata["new"] = "" }},
		{"metadata key removed", func(tx *ledger.Transaction) { delete(tx.Metadata, "note") }},
		{"posting amount", func(tx *ledger.Transaction) { tx.Postings[0].Amount = dec("1500.01") }},
		{"posting amount sign", func(tx *ledger.Transaction) { tx.Postings[0].Amount = tx.Postings[0].Amount.Neg() }},
		{"last posting amount", func(tx *ledger.Transaction) { tx.Postings[3].Amount = dec("-101") }},
		{"posting fund", func(tx *ledger.Transaction) { tx.Postings[1].Fund = "other-fund" }},
		{"posting account", func(tx *ledger.Transaction) { tx.Postings[0].Account = "assets:cash" }},
		{"posting currency", func(tx *ledger.Transaction) { tx.Postings[0].Currency = ledger.Currency{Code: "USD", Exponent: 2} }},
		{"posting order", func(tx *ledger.Transaction) { tx.Postings[0], tx.Postings[1] = tx.Postings[1], tx.Postings[0] }},
		{"posting removed", func(tx *ledger.Transaction) { tx.Postings = tx.Postings[:3] }},
		{"posting duplicated", func(tx *ledger.Transaction) { tx.Postings = append(tx.Postings, tx.Postings[3]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := hashedTx()
			changed := cloneTx(base)
			tc.mut(changed)
			if bytes.Equal(base.ComputeHash(prev), changed.ComputeHash(prev)) {
				t.Errorf("changing the %s does not change the hash", tc.name)
			}
		})
	}
}

// TestComputeHashNoFieldConfusion moves text across field boundaries: the
// length prefixes and names must keep the forms apart.
func TestComputeHashNoFieldConfusion(t *testing.T) {
	pairs := []struct {
		name string
		a, b func(*ledger.Transaction)
	}{
		{"description/reversal_of",
			func(tx *ledger.Transaction) { tx.Description, tx.ReversalOf = "ab", "" },
			func(tx *ledger.Transaction) { tx.Description, tx.ReversalOf = "a", "b" }},
		{"id/key",
			func(tx *ledger.Transaction) { tx.ID, tx.IdempotencyKey = "x", "y" },
			func(tx *ledger.Transaction) { tx.ID, tx.IdempotencyKey = "", "xy" }},
		{"metadata key/value",
			func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"ab": "c"} },
			func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"a": "bc"} }},
		{"metadata injected field",
			func(tx *ledger.Transaction) {
				tx.Metadata = map[string]string{"a": "1:x\nmeta.key=1:b\nmeta.value=1:y"}
			},
			func(tx *ledger.Transaction) { tx.Metadata = map[string]string{"a": "x", "b": "y"} }},
		{"metadata vs postings",
			func(tx *ledger.Transaction) {
				tx.Metadata = map[string]string{"posting.account": "assets:cash"}
			},
			func(tx *ledger.Transaction) { tx.Metadata = nil }},
		{"account/fund",
			func(tx *ledger.Transaction) { tx.Postings[0].Account, tx.Postings[0].Fund = "assets:cash", "ab" },
			func(tx *ledger.Transaction) { tx.Postings[0].Account, tx.Postings[0].Fund = "assets:casha", "b" }},
	}
	for _, tc := range pairs {
		a, b := hashedTx(), hashedTx()
		tc.a(a)
		tc.b(b)
		if bytes.Equal(a.ComputeHash(nil), b.ComputeHash(nil)) {
			t.Errorf("%s: two different transactions hash the same", tc.name)
		}
	}
}

// TestComputeHashScaleIndependent: the database may return 10 as 10.00 or
// 10.0000; the hash of a valid transaction must not notice.
func TestComputeHashScaleIndependent(t *testing.T) {
	for _, tc := range []struct {
		cur  string
		a, b string
	}{
		{"EUR", "10", "10.00"},
		{"EUR", "10", "10.0000"},
		{"EUR", "10.5", "10.50"},
		{"EUR", "-0.1", "-0.100"},
		{"JPY", "1500", "1500.000"},
		{"KWD", "1.5", "1.500"},
		{"KWD", "2", "2.000000"},
	} {
		cur := mustCurrency(t, tc.cur)
		x, y := hashedTx(), hashedTx()
		x.Postings[0].Amount, x.Postings[0].Currency = dec(tc.a), cur
		y.Postings[0].Amount, y.Postings[0].Currency = dec(tc.b), cur
		if !bytes.Equal(x.ComputeHash(nil), y.ComputeHash(nil)) {
			t.Errorf("%s %s and %s hash differently", tc.cur, tc.a, tc.b)
		}
		// Scaled via decimal's own arithmetic, as a database driver would.
		z := hashedTx()
		z.Postings[0].Amount, z.Postings[0].Currency = decimal.New(dec(tc.a).Shift(6).IntPart(), -6), cur
		if !bytes.Equal(x.ComputeHash(nil), z.ComputeHash(nil)) {
			t.Errorf("%s %s and %s hash differently", tc.cur, tc.a, z.Postings[0].Amount)
		}
	}
}

// TestPropertyComputeHash checks random valid transactions: the hash is
// deterministic, survives a round trip through another scale and clone, and
// changes when one randomly chosen field changes.
func TestPropertyComputeHash(t *testing.T) {
	r := newRand(t)
	curs := testCurrencies(t)
	n := iterations(2000)
	seen := map[string]int{}
	for i := range n {
		tx := randomBalancedTx(r, curs, i)
		if err := tx.Validate(); err != nil {
			t.Fatal(err)
		}
		prev := make([]byte, 32)
		for j := range prev {
			prev[j] = byte(r.IntN(256))
		}
		h := tx.ComputeHash(prev)
		if j, dup := seen[string(h)]; dup {
			t.Fatalf("iterations %d and %d hash the same", j, i)
		}
		seen[string(h)] = i
		// Rescale every amount: same hash.
		re := cloneTx(tx)
		for j := range re.Postings {
			p := &re.Postings[j]
			p.Amount = decimal.RequireFromString(p.Amount.StringFixed(p.Currency.Exponent + int32(r.IntN(4))))
		}
		if !bytes.Equal(re.ComputeHash(prev), h) {
			t.Fatalf("iteration %d: rescaled amounts change the hash", i)
		}
		// Change one field: different hash.
		ch := cloneTx(tx)
		j := r.IntN(len(ch.Postings))
		p := &ch.Postings[j]
		what := ""
		switch r.IntN(12) {
		case 0:
			what, ch.Description = "description", ch.Description+"!"
		case 1:
			what, p.Amount = "amount", p.Amount.Add(minorUnit(p.Currency))
		case 2:
			what, p.Fund = "fund", p.Fund+"x"
		case 3:
			what, p.Account = "account", p.Account+":x"
		case 4:
			what = "currency"
			for _, c := range ledger.Currencies() {
				if c.Code != p.Currency.Code && c.Exponent == p.Currency.Exponent {
					p.Currency = c
					break
				}
			}
		case 5:
			what, ch.Metadata = "metadata key", map[string]string{"k": "v"}
			for k, v := range tx.Metadata {
				ch.Metadata[k+"_"] = v
			}
		case 6:
			what = "metadata value"
			ch.Metadata["k"] = "v"
			if _, ok := tx.Metadata["k"]; ok {
				ch.Metadata["k"] = "w"
			}
		case 7:
			what, ch.EffectiveDate = "date", ch.EffectiveDate.AddDate(0, 0, -1)
		case 8:
			what, ch.Seq = "seq", ch.Seq+1
		case 9:
			what, ch.ID = "id", ch.ID+"0"
		case 10:
			what, ch.IdempotencyKey = "idempotency key", ch.IdempotencyKey+"0"
		default:
			what, ch.RecordedAt = "recorded_at", ch.RecordedAt.Add(time.Microsecond)
		}
		if bytes.Equal(ch.ComputeHash(prev), h) {
			t.Fatalf("iteration %d: changing the %s does not change the hash", i, what)
		}
		ch = cloneTx(tx)
		ch.ReversalOf = "x"
		if bytes.Equal(ch.ComputeHash(prev), h) {
			t.Fatalf("iteration %d: changing reversal_of does not change the hash", i)
		}
	}
	t.Logf("%d transactions hashed, all hashes distinct", n)
}
