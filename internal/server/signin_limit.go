package server

import (
	"sync"
	"time"
)

// failureLimiter counts failed sign-ins per key (a client address, an
// email) and refuses a key that failed max times within window, until the
// oldest of those failures leaves the window. Only failures count, so a
// member who types their password right is never slowed down.
type failureLimiter struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time // the recent failures of each key, oldest first
	swept time.Time
}

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// recent drops failures older than the window; the caller holds mu.
func (l *failureLimiter) recent(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	if i == len(f) {
		delete(l.fails, key)
		return nil
	}
	f = f[i:]
	l.fails[key] = f
	return f
}

// blocked returns how long the first blocked key must still wait, or 0.
func (l *failureLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if f := l.recent(k, now); len(f) >= l.max {
			wait = max(wait, f[len(f)-l.max].Add(l.window).Sub(now))
		}
	}
	return wait
}

// fail records a failure for each key.
func (l *failureLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k := range l.fails {
			l.recent(k, now)
		}
		l.swept = now
	}
	for _, k := range keys {
		f := append(l.recent(k, now), now)
		if len(f) > l.max {
			f = f[len(f)-l.max:]
		}
		l.fails[k] = f
	}
}

// reset forgets a key's failures, after it signed in.
func (l *failureLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
