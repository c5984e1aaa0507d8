package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

func TestAckBodiesFollowThePageAndStayBounded(t *testing.T) {
	m := &pageBodies{max: 10, maxBytes: 4000, bodies: map[*ledger.AckPage][]byte{}}
	page := func(from string) *ledger.AckPage {
		return &ledger.AckPage{Older: "20120101.x", Entries: []ledger.PublicAck{{Fund: "zhanaozen", From: from, Channel: ledger.ChannelCash}}}
	}
	a := page("Maria Schmidt")
	first, err := m.body(a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.body(a)
	if &first[0] != &again[0] {
		t.Fatal("the same page was encoded twice")
	}
	var got ackListJSON
	if err := json.Unmarshal(first, &got); err != nil || *got.Acknowledgements[0].From != "Maria Schmidt" || got.Older != "20120101.x" {
		t.Fatalf("%s: %v", first, err)
	}
	// A new page (the list changed) is a new body, even with the same filter.
	hidden, _ := m.body(page(""))
	if bytes.Contains(hidden, []byte("Maria")) {
		t.Fatalf("the body of a new page is the old one's: %s", hidden)
	}
	for i := range 100 {
		if _, err := m.body(page(fmt.Sprint("donor ", i))); err != nil {
			t.Fatal(err)
		}
		if len(m.bodies) > m.max || m.bytes > m.maxBytes {
			t.Fatalf("%d bodies, %d bytes", len(m.bodies), m.bytes)
		}
	}
}
