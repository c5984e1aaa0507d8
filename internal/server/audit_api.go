package server

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// auditAPI writes every successful committee write through the JSON API to
// the audit log, as the workspace's pages do for what members do there. It
// goes after authenticate on the routes that change something:
//
//	write := api.Group("", s.authenticate(ledger.RoleTreasurer), s.auditAPI())
//
// The entry names the token ("token: Treasurer laptop"), the route (its
// pattern, never the path, which may carry a donor's private link), the
// route's parameters as its subject, and the status. Bodies are never
// recorded: they carry donors' names and messages. Refused and failed
// requests changed nothing and are not recorded.
//
// Audit actions are dotted lower-case words (the database checks it), so
// POST /api/v1/transactions/:id/reverse is "api.post.transactions.reverse"
// with details route="POST /api/v1/transactions/:id/reverse".
func (s *Server) auditAPI() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if !safeMethod(c.Request.Method) {
			s.recordAPI(c)
		}
	}
}

// auditAPIExports audits what leaves the books through the API: a report or
// the books downloaded as a file, and the donation register in any form,
// since it holds personal data.
func (s *Server) auditAPIExports() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		switch f := c.Query("format"); {
		case f != "" && f != "json", strings.HasSuffix(c.FullPath(), "/reports/donations"), strings.HasSuffix(c.FullPath(), "/reports/export"):
			s.recordAPI(c)
		}
	}
}

// auditedKey marks a request whose audit entry the service wrote with the
// change itself (see withAPIAudit).
const auditedKey = "audited"

// recordAPI writes a successful API call to the audit log.
func (s *Server) recordAPI(c *gin.Context) {
	status := c.Writer.Status()
	if s.Audit == nil || status < 200 || status > 299 || c.GetBool(auditedKey) {
		return
	}
	e := apiAuditEntry(c, status)
	// The change is committed, or the file sent: record it even if the
	// client has gone.
	if err := s.Audit.Record(context.WithoutCancel(c.Request.Context()), e); err != nil {
		s.Logger.Error("audit", "action", e.Action, "route", c.FullPath(), "error", err)
	}
}

// withAPIAudit returns the request's context carrying its audit entry as it
// will read if the handler answers status, for a service that writes it in
// the same database transaction as the change (one commit instead of two),
// and done, to call after the service: it tells recordAPI whether the entry
// is written.
func (s *Server) withAPIAudit(c *gin.Context, status int) (ctx context.Context, done func()) {
	ctx = c.Request.Context()
	if s.Audit == nil {
		return ctx, func() {}
	}
	e := apiAuditEntry(c, status)
	return ledger.WithAudit(ctx, e), func() {
		if e.ID != 0 {
			c.Set(auditedKey, true)
		}
	}
}

// apiAuditEntry is the audit entry of the API call c answered with status.
func apiAuditEntry(c *gin.Context, status int) *ledger.AuditEntry {
	route := c.FullPath()
	e := &ledger.AuditEntry{
		Action:  apiAuditAction(c.Request.Method, route),
		Subject: auditClip(apiAuditSubject(c.Params), 200),
		Details: map[string]string{"status": strconv.Itoa(status), "route": c.Request.Method + " " + route},
	}
	if f := c.Query("format"); f != "" {
		e.Details["format"] = auditClip(f, 20)
	}
	if v, ok := c.Get("token"); ok {
		tok := v.(*ledger.Token)
		e.MemberName = auditClip("token: "+tok.Name, 200)
		e.Details["token_id"] = strconv.FormatInt(tok.ID, 10)
	}
	return e
}

// apiAuditAction names an API write in the audit log: "api.", the method,
// then the route's fixed segments after /api/v1 ("exchange-rates" becomes
// "exchange_rates"; parameters are left out). A route that cannot be named
// so is "api.write", its route still in the details.
func apiAuditAction(method, route string) string {
	parts := []string{"api", strings.ToLower(method)}
	for _, seg := range strings.Split(strings.TrimPrefix(route, "/api/v1"), "/") {
		if seg == "" || seg[0] == ':' || seg[0] == '*' {
			continue
		}
		seg = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r == '_':
				return r
			case r >= 'A' && r <= 'Z':
				return r + ('a' - 'A')
			}
			return '_'
		}, seg)
		parts = append(parts, seg)
	}
	action := strings.Join(parts, ".")
	if e := (ledger.AuditEntry{Action: action}); e.Validate() != nil {
		return "api.write"
	}
	return action
}

// apiAuditSubject joins the route's parameters: "id:3f2a… entry:9c1e…".
func apiAuditSubject(params gin.Params) string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = p.Key + ":" + p.Value
	}
	return strings.Join(out, " ")
}

// auditClip shortens s to at most n bytes, on a character boundary.
func auditClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
