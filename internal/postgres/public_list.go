package postgres

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"golang.org/x/sync/singleflight"
)

// publicListChannel is where the triggers of migration 011 notify every
// committed change that can change the public acknowledgement list.
const publicListChannel = "fundledger_public_list"

// listenerName is the listener's application_name, as pg_stat_activity shows it.
const listenerName = "fundledger public list"

const (
	// publicListBytes bounds the memory the cached pages hold, by estimate
	// (pageSize): about a thousand pages of 50 lines.
	publicListBytes = 16 << 20
	// sharedQueryTimeout bounds a query whose page many requests wait for.
	sharedQueryTimeout = 30 * time.Second
)

// publicList caches pages of the public acknowledgement list in memory, so
// that reading the list costs no database round trip, and keeps it exact: a
// listener on its own connection LISTENs to publicListChannel, and every
// notification forgets every page. Whatever happens to the listener, the
// cache errs on the side of the database:
//
//   - Until the listener listens, and whenever its connection is down, no
//     page is served from the cache nor stored in it: each request reads the
//     database. Once it listens again, it starts from an empty cache, since
//     what changed while it was down was not notified to it.
//   - A page read from the database is stored only if nothing was forgotten
//     since the request began (gen), so a query that raced a change never
//     outlives it in the cache.
//   - Changes made through this service (moderation, a donor's new choice)
//     forget at once, without waiting for their notification; changes made
//     elsewhere (other services, other servers) show once it arrives,
//     normally within a millisecond of their commit.
//
// Concurrent requests for the same page while it is not cached share one
// query (singleflight). Pages are shared: callers must not modify them.
//
// The listener starts with the first request and stops once the pool is
// closed, so nothing needs to start or stop it.
type publicList struct {
	db       *DB
	maxBytes int
	wake     time.Duration    // how often the idle listener checks its connection and the pool
	retry    [2]time.Duration // the first and the longest wait before connecting again

	start  sync.Once
	flight singleflight.Group

	mu    sync.Mutex
	gen   uint64 // advances whenever the cache is emptied
	live  bool   // the listener listens: pages may be cached and served
	order list.List
	pages map[pageKey]*list.Element
	bytes int
}

// pageKey names a page of the list. A cached page is found only by the very
// filter that produced it.
type pageKey struct {
	allFunds      bool
	fund          string
	after, before string
	limit         int
}

type cachedPage struct {
	key   pageKey
	page  *ledger.AckPage
	bytes int
}

func newPublicList(db *DB) *publicList {
	return &publicList{db: db, maxBytes: publicListBytes, wake: 5 * time.Second,
		retry: [2]time.Duration{50 * time.Millisecond, 2 * time.Second}, pages: map[pageKey]*list.Element{}}
}

func newPageKey(f ledger.AckFilter) pageKey {
	k := pageKey{allFunds: f.Fund == nil, after: f.After, before: f.Before, limit: f.Limit}
	if f.Fund != nil {
		k.fund = *f.Fund
	}
	return k
}

// page returns the page named by key: from the cache if it may, else from
// fetch, which reads the database.
func (p *publicList) page(ctx context.Context, key pageKey, fetch func(context.Context) (*ledger.AckPage, error)) (*ledger.AckPage, error) {
	p.start.Do(func() { go p.listen() })
	pg, gen, live := p.get(key)
	if pg != nil {
		return pg, nil
	}
	if !live {
		// Without notifications, even a query already running may be
		// older than a change this request must see: read alone.
		return fetch(ctx)
	}
	// gen is in the flight's name: a request that began after a change
	// never waits for a query that began before it.
	ch := p.flight.DoChan(fmt.Sprintf("%d %t %q %q %q %d", gen, key.allFunds, key.fund, key.after, key.before, key.limit),
		func() (any, error) {
			// A flight that just ended may have cached the page.
			if pg, _, _ := p.get(key); pg != nil {
				return pg, nil
			}
			// Shared by every request that waits for it: no one request's
			// end cancels it.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedQueryTimeout)
			defer cancel()
			pg, err := fetch(ctx)
			if err != nil {
				return nil, err
			}
			p.put(key, gen, pg)
			return pg, nil
		})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*ledger.AckPage), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// get returns the cached page for key if there is one and the cache may
// serve it, with the current generation and whether the listener listens.
func (p *publicList) get(key pageKey) (*ledger.AckPage, uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.live {
		return nil, p.gen, false
	}
	if e, ok := p.pages[key]; ok {
		p.order.MoveToFront(e)
		return e.Value.(*cachedPage).page, p.gen, true
	}
	return nil, p.gen, true
}

// put caches pg, read from the database by a request that began at gen,
// unless the cache was emptied since; the least recently used pages make
// room for it.
func (p *publicList) put(key pageKey, gen uint64, pg *ledger.AckPage) {
	n := pageSize(pg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.live || gen != p.gen || n > p.maxBytes {
		return
	}
	if e, ok := p.pages[key]; ok {
		p.remove(e)
	}
	p.pages[key] = p.order.PushFront(&cachedPage{key: key, page: pg, bytes: n})
	p.bytes += n
	for p.bytes > p.maxBytes {
		p.remove(p.order.Back())
	}
}

func (p *publicList) remove(e *list.Element) {
	c := p.order.Remove(e).(*cachedPage)
	delete(p.pages, c.key)
	p.bytes -= c.bytes
}

// reset empties the cache and sets whether the listener listens.
func (p *publicList) reset(live bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.live = live
	p.order.Init()
	clear(p.pages)
	p.bytes = 0
}

// forget empties the cache after a change.
func (p *publicList) forget() {
	p.mu.Lock()
	live := p.live
	p.mu.Unlock()
	p.reset(live)
}

// stats returns the number of cached pages and their estimated size.
func (p *publicList) stats() (pages, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pages), p.bytes
}

// pageSize estimates the memory a page holds: its structs, strings and amounts.
func pageSize(pg *ledger.AckPage) int {
	const page, line, amount = 64, 200, 64
	n := page + len(pg.Older) + len(pg.Newer)
	for _, e := range pg.Entries {
		n += line + len(e.Cursor) + len(e.Fund) + len(e.FundName) + len(e.From) + len(e.Message) + len(e.Place) + amount*len(e.Amounts)
	}
	return n
}

// errPoolClosed ends the listener.
var errPoolClosed = errors.New("pool closed")

// listen keeps a connection listening until the pool is closed.
func (p *publicList) listen() {
	delay := p.retry[0]
	for {
		began := time.Now()
		err := p.session()
		p.reset(false)
		if errors.Is(err, errPoolClosed) || p.poolClosed() {
			return
		}
		if time.Since(began) > time.Minute {
			delay = p.retry[0]
		}
		time.Sleep(delay)
		delay = min(2*delay, p.retry[1])
	}
}

// session connects, listens and forgets the cache on every notification,
// until the connection fails or the pool is closed.
func (p *publicList) session() error {
	cfg := p.db.Pool.Config().ConnConfig
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenerName
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	if _, err := conn.Exec(ctx, "listen "+publicListChannel); err != nil {
		return err
	}
	p.reset(true)

	// The pool is watched beside, so that a busy pool never holds up a
	// notification.
	open, closed := context.WithCancel(context.Background())
	defer closed()
	go func() {
		t := time.NewTicker(p.wake)
		defer t.Stop()
		for {
			select {
			case <-open.Done():
				return
			case <-t.C:
				if p.poolClosed() {
					closed()
					return
				}
			}
		}
	}()
	for {
		ctx, cancel := context.WithTimeout(open, p.wake)
		_, err := conn.WaitForNotification(ctx)
		cancel()
		switch {
		case err == nil:
			p.forget()
		case open.Err() != nil:
			return errPoolClosed
		case pgconn.Timeout(err) && !conn.IsClosed():
			// Nothing changed for a while. A silently broken connection
			// would keep the cache forever: check that it answers.
			ctx, cancel := context.WithTimeout(open, p.wake)
			err := conn.Ping(ctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// poolClosed reports whether the service's pool was closed.
func (p *publicList) poolClosed() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := p.db.Pool.Acquire(ctx)
	if err != nil {
		return errors.Is(err, puddle.ErrClosedPool)
	}
	c.Release()
	return false
}
