package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fundledger/fundledger/ledger"
)

// listening is a cache whose listener is taken to listen, with no
// database behind it: fetch functions stand for the queries.
func listening(maxBytes int) *publicList {
	p := newPublicList(nil)
	p.maxBytes = maxBytes
	p.start.Do(func() {}) // no listener goroutine
	p.reset(true)
	return p
}

func testPage(n int, tag string) *ledger.AckPage {
	pg := &ledger.AckPage{Older: "20120101." + tag}
	for i := range n {
		pg.Entries = append(pg.Entries, ledger.PublicAck{Cursor: fmt.Sprintf("20120101.%s-%d", tag, i), Fund: "zhanaozen",
			FundName: "Zhanaozen families", From: strings.Repeat("x", 40), Channel: ledger.ChannelCash})
	}
	return pg
}

func TestPublicListMemoryIsBounded(t *testing.T) {
	const max = 200_000
	p := listening(max)
	keep := pageKey{allFunds: true, limit: 50}
	fetches := 0
	for i := range 1000 {
		// One page is read between every other: the least recently used go first.
		for _, k := range []pageKey{keep, {allFunds: true, after: fmt.Sprint(i), limit: 50}} {
			if _, err := p.page(context.Background(), k, func(context.Context) (*ledger.AckPage, error) {
				fetches++
				return testPage(50, fmt.Sprint(i)), nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if pages, bytes := p.stats(); bytes > max || pages > 1+max/pageSize(testPage(50, "0")) {
			t.Fatalf("after %d pages the cache holds %d pages, %d bytes, more than %d", i+1, pages, bytes, max)
		}
	}
	if fetches != 1001 {
		t.Fatalf("%d queries, want 1001: the page read between every other one should stay cached", fetches)
	}
	if pages, bytes := p.stats(); pages < 10 || bytes < max/2 {
		t.Fatalf("the cache holds only %d pages (%d bytes)", pages, bytes)
	}
	// A page larger than the whole cache is served, not kept.
	huge := pageKey{allFunds: true, limit: 200}
	if _, err := p.page(context.Background(), huge, func(context.Context) (*ledger.AckPage, error) { return testPage(5000, "h"), nil }); err != nil {
		t.Fatal(err)
	}
	if pg, _, _ := p.get(huge); pg != nil {
		t.Fatal("a page larger than the cache was kept")
	}
	p.forget()
	if pages, bytes := p.stats(); pages != 0 || bytes != 0 {
		t.Fatalf("after a change the cache still holds %d pages, %d bytes", pages, bytes)
	}
}

func TestPublicListBurstOfMissesRunsOneQuery(t *testing.T) {
	p := listening(publicListBytes)
	key := pageKey{allFunds: true, limit: 50}
	var queries atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (*ledger.AckPage, error) {
		queries.Add(1)
		<-release
		return testPage(3, "a"), nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		pages = map[*ledger.AckPage]int{}
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pg, err := p.page(context.Background(), key, fetch)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			pages[pg]++
			mu.Unlock()
		}()
	}
	for queries.Load() == 0 { // the first miss is querying; the others wait for it or find its page
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := queries.Load(); n != 1 || len(pages) != 1 {
		t.Fatalf("32 requests for one page ran %d queries and got %d different pages", n, len(pages))
	}
}

func TestPublicListForgetsWhatRacedAChange(t *testing.T) {
	p := listening(publicListBytes)
	key := pageKey{allFunds: true, limit: 50}
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan *ledger.AckPage)
	go func() {
		pg, _ := p.page(context.Background(), key, func(context.Context) (*ledger.AckPage, error) {
			close(started)
			<-release
			return testPage(1, "before"), nil // read before the change committed
		})
		done <- pg
	}()
	<-started
	p.forget() // the change is notified while the query runs
	// A request that begins after the change does not wait for the older query.
	fresh, err := p.page(context.Background(), key, func(context.Context) (*ledger.AckPage, error) { return testPage(1, "after"), nil })
	if err != nil || fresh.Older != "20120101.after" {
		t.Fatalf("after the change: %+v %v", fresh, err)
	}
	close(release)
	if old := <-done; old.Older != "20120101.before" {
		t.Fatalf("the older request got %+v", old)
	}
	if pg, _, _ := p.get(key); pg == nil || pg.Older != "20120101.after" {
		t.Fatalf("the query that raced the change replaced the fresh page: %+v", pg)
	}
}

func TestPublicListWithoutListenerReadsTheDatabase(t *testing.T) {
	p := listening(publicListBytes)
	p.reset(false) // the listener's connection is down
	key := pageKey{allFunds: true, limit: 50}
	queries := 0
	for range 3 {
		if _, err := p.page(context.Background(), key, func(context.Context) (*ledger.AckPage, error) {
			queries++
			return testPage(1, "a"), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if pages, _ := p.stats(); queries != 3 || pages != 0 {
		t.Fatalf("without a listener: %d queries for 3 requests, %d pages cached", queries, pages)
	}
}
