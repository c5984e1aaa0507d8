package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// clientLimiter gives each client (by IP address) its own token bucket.
type clientLimiter struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	clients map[string]*clientBucket
	swept   time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(every time.Duration, burst int) *clientLimiter {
	return &clientLimiter{every: every, burst: burst, clients: map[string]*clientBucket{}}
}

// allow reports whether the client may go ahead now, and if not, how long
// it should wait.
func (l *clientLimiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // forget clients idle long enough to have a full bucket
		for k, b := range l.clients {
			if now.Sub(b.seen) > l.every*time.Duration(l.burst)+time.Minute {
				delete(l.clients, k)
			}
		}
		l.swept = now
	}
	b, ok := l.clients[client]
	if !ok {
		b = &clientBucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limit answers 429 to a client that calls more often than the limiter allows.
func (l *clientLimiter) limit() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := l.allow(c.ClientIP(), time.Now())
		if !ok {
			secs := int(wait/time.Second) + 1
			c.Header("Retry-After", strconv.Itoa(secs))
			writeError(c, &ledger.Error{Code: "rate_limited", Message: "too many requests from this address; try again in " + strconv.Itoa(secs) + " seconds"})
			return
		}
		c.Next()
	}
}

func init() { statuses["rate_limited"] = http.StatusTooManyRequests }
