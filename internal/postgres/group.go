package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A group commits concurrent writes together. A write that arrives while
// the group's writer is busy waits for it; the writer then takes every write
// waiting, up to max, and hands them to flush, which writes them in one
// database transaction: one commit, one flush of the write-ahead log, for
// all of them. Under load the writes of many requests share each commit;
// alone, a write is flushed at once. flush gives each write its own result
// and its own failure.
//
// No goroutine runs while nothing waits: the first write to find the group
// idle starts a writer, which stops when it finds nothing left to do.
type group[T any] struct {
	max     int
	flush   func(ctx context.Context, items []*T)
	timeout time.Duration // bounds one flush, whose writes belong to many requests

	mu      sync.Mutex
	pending []*groupCall[T]
	writing bool

	flushes, items atomic.Int64
}

type groupCall[T any] struct {
	item *T
	done chan struct{}
}

func newGroup[T any](max int, flush func(ctx context.Context, items []*T)) *group[T] {
	return &group[T]{max: max, flush: flush, timeout: time.Minute}
}

// do writes item with the next flush and returns once that flush is done.
// It does not return early when the caller's context ends: the write may
// already be committed, and the caller learns which from item.
func (g *group[T]) do(item *T) {
	c := &groupCall[T]{item: item, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if !g.writing {
		g.writing = true
		go g.write()
	}
	g.mu.Unlock()
	<-c.done
}

func (g *group[T]) write() {
	for {
		g.mu.Lock()
		n := min(len(g.pending), g.max)
		if n == 0 {
			g.writing = false
			g.mu.Unlock()
			return
		}
		calls := g.pending[:n:n]
		g.pending = append([]*groupCall[T](nil), g.pending[n:]...)
		g.mu.Unlock()

		items := make([]*T, n)
		for i, c := range calls {
			items[i] = c.item
		}
		g.flushes.Add(1)
		g.items.Add(int64(n))
		ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
		g.flush(ctx, items)
		cancel()
		for _, c := range calls {
			close(c.done)
		}
	}
}

// GroupStats counts a group's flushes and the writes they carried.
type GroupStats struct {
	Flushes, Writes int64
}

func (g *group[T]) stats() GroupStats {
	return GroupStats{Flushes: g.flushes.Load(), Writes: g.items.Load()}
}
