package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
	"strconv"
	"time"
)

// HashVersion names the canonical form hashed into the chain; a change to the
// canonical form must change it.
const HashVersion = "fundledger-tx-v1"

// ComputeHash returns the SHA-256 of the transaction's canonical content and
// prev, the previous transaction's hash. Every field that carries meaning is
// included; free text is length-prefixed so no two transactions share a form.
// Amounts are written with exactly their currency's decimals, so the hash does
// not depend on how the database happens to scale a numeric.
func (t *Transaction) ComputeHash(prev []byte) []byte {
	h := sha256.New()
	field := func(name, value string) {
		writeField(h, name, value)
	}
	field("v", HashVersion)
	field("seq", strconv.FormatInt(t.Seq, 10))
	field("id", t.ID)
	field("key", t.IdempotencyKey)
	field("date", t.EffectiveDate.Format(time.DateOnly))
	field("recorded", t.RecordedAt.UTC().Format(time.RFC3339Nano))
	field("description", t.Description)
	field("reversal_of", t.ReversalOf)
	keys := make([]string, 0, len(t.Metadata))
	for k := range t.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field("meta.key", k)
		field("meta.value", t.Metadata[k])
	}
	for _, p := range t.Postings {
		field("posting.account", p.Account)
		field("posting.fund", p.Fund)
		field("posting.currency", p.Currency.Code)
		field("posting.amount", p.Amount.StringFixed(p.Currency.Exponent))
	}
	field("prev", hex.EncodeToString(prev))
	return h.Sum(nil)
}

func writeField(h hash.Hash, name, value string) {
	h.Write([]byte(name))
	h.Write([]byte{'='})
	h.Write([]byte(strconv.Itoa(len(value))))
	h.Write([]byte{':'})
	h.Write([]byte(value))
	h.Write([]byte{'\n'})
}
