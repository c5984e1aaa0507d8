package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// logRequests logs one line per request: never bodies, query strings or
// credentials, which may carry personal data or secrets.
func (s *Server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Header("X-Request-Id", id)
		c.Next()
		// The route, not the path: a path may carry a donor's private link.
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		attrs := []any{
			"request_id", id, "method", c.Request.Method, "route", route,
			"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds(),
		}
		if tok, ok := c.Get("token"); ok {
			attrs = append(attrs, "token_id", tok.(*ledger.Token).ID)
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "error", c.Errors.String())
			s.Logger.Error("request failed", attrs...)
			return
		}
		s.Logger.Info("request", attrs...)
	}
}

// recovery turns a panic into a logged 500 with a JSON error.
func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				s.Logger.Error("panic", "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(c, fmt.Errorf("panic: %v", v))
			}
		}()
		c.Next()
	}
}

func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Next()
	}
}

// limitBody caps request bodies.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// authenticate requires a bearer token whose role is at least min: an
// observer reads, a treasurer reads and writes.
func (s *Server) authenticate(min ledger.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, secret, _ := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			writeError(c, ledger.Errorf(ledger.EUNAUTHORIZED, "this call needs a committee token: send Authorization: Bearer <token> (create one with fundledger token create)"))
			return
		}
		tok, err := s.Tokens.Authenticate(c.Request.Context(), strings.TrimSpace(secret))
		if err != nil {
			writeError(c, err)
			return
		}
		if min == ledger.RoleTreasurer && !tok.Role.CanWrite() {
			writeError(c, ledger.Errorf(ledger.EFORBIDDEN, "token %q has role %s, which can only read; this call needs a treasurer token", tok.Name, tok.Role))
			return
		}
		c.Set("token", tok)
		c.Next()
	}
}

// crossOriginProtection refuses state-changing requests that a browser
// sends from another site (CSRF), using the browser's Sec-Fetch-Site and
// Origin headers (net/http's CrossOriginProtection).
func crossOriginProtection() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			writeError(c, ledger.Errorf(ledger.EFORBIDDEN, "this form can only be sent from this site's own pages"))
			return
		}
		c.Next()
	}
}
