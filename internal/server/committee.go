package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// The committee's workspace lives under /committee: server-rendered pages
// behind a session cookie. To protect a page, register it in routes() with
// the least role it needs:
//
//	ws.GET("/grants", s.committee(ledger.RoleMember), s.handleGrants)
//	ws.POST("/grants", s.committee(ledger.RoleMember), s.handleGrantApprove)
//
// committee redirects a visitor who is not signed in to the sign-in page,
// shows 403 to a member whose role is too low, and checks the CSRF token of
// every POST. The handler then has currentMember(c), and its template gets
// the member, the CSRF field and the navigation from newWSPage:
//
//	s.render(c, http.StatusOK, "ws_grants.html", struct {
//		wsPage
//		Grants []ledger.Grant
//	}{s.newWSPage(c, l, l.T("ws.grants.title"), "grants"), grants})
//
// and the template starts with {{template "wstop" .}}, ends with
// {{template "bottom" .}}, and puts {{.CSRFField}} in every form that posts.
// Requests that change something also pass crossOriginProtection, which the
// /committee group applies.

// sessionCookie holds the session secret; it is sent only to /committee.
const sessionCookie = "fl_session"

// Context keys set by the session middleware.
const (
	ctxSession       = "committee_session"
	ctxSessionSecret = "committee_session_secret"
)

// csrfFieldName is the hidden form field carrying the CSRF token.
const csrfFieldName = "csrf"

// loadSession reads the session cookie once per request. It returns nil and
// no error when there is no live session; the error is for a database that
// does not answer.
func (s *Server) loadSession(c *gin.Context) (*ledger.Session, error) {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*ledger.Session), nil
	}
	secret, err := c.Cookie(sessionCookie)
	if err != nil || secret == "" {
		return nil, nil
	}
	sess, err := s.Sessions.FindSession(c.Request.Context(), secret)
	if ledger.ErrorCode(err) == ledger.EUNAUTHORIZED {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Set(ctxSession, sess)
	c.Set(ctxSessionSecret, secret)
	return sess, nil
}

// committee lets a request through only with a live, fully signed-in
// session whose member's role is at least min. Anonymous requests are
// redirected (303) to the sign-in page, which comes back here afterwards; a
// member with too low a role gets a 403 page; a POST without the session's
// CSRF token gets a 403 page.
func (s *Server) committee(min ledger.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, err := s.loadSession(c)
		if err != nil {
			s.renderWSError(c, err)
			c.Abort()
			return
		}
		if sess == nil || sess.SecondFactorPending {
			target := "/committee/signin"
			if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/committee" {
				target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
			}
			c.Redirect(http.StatusSeeOther, target)
			c.Abort()
			return
		}
		if !sess.Member.Role.AtLeast(min) {
			l := lang(c)
			s.renderWSError(c, ledger.Errorf(ledger.EFORBIDDEN, "%s", l.T("ws.error.role", l.T("ws.role."+string(min)))))
			c.Abort()
			return
		}
		if !safeMethod(c.Request.Method) && !s.csrfOK(c) {
			s.renderWSError(c, ledger.Errorf(ledger.EFORBIDDEN, "%s", lang(c).T("ws.error.csrf")))
			c.Abort()
			return
		}
		c.Next()
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// currentMember is the signed-in member, or nil outside committee().
func currentMember(c *gin.Context) *ledger.Member {
	v, ok := c.Get(ctxSession)
	if !ok {
		return nil
	}
	if sess := v.(*ledger.Session); !sess.SecondFactorPending {
		return &sess.Member
	}
	return nil
}

// currentSession is the signed-in session, or nil.
func currentSession(c *gin.Context) *ledger.Session {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*ledger.Session)
	}
	return nil
}

// csrfToken is the CSRF token of a session: an HMAC keyed with the session's
// secret, which only this browser's cookie and this request carry. A site
// that cannot read the cookie cannot forge it, and nothing is stored.
func csrfToken(sessionSecret string) string {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte("fundledger committee csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) csrfOK(c *gin.Context) bool {
	secret := c.GetString(ctxSessionSecret)
	got := c.PostForm(csrfFieldName)
	return secret != "" && got != "" && hmac.Equal([]byte(got), []byte(csrfToken(secret)))
}

// csrfField is the hidden input every committee form that posts carries;
// empty without a session.
func csrfField(c *gin.Context) template.HTML {
	secret := c.GetString(ctxSessionSecret)
	if secret == "" {
		return ""
	}
	return template.HTML(`<input type="hidden" name="` + csrfFieldName + `" value="` + template.HTMLEscapeString(csrfToken(secret)) + `">`)
}

// setSessionCookie gives the browser its session secret: HttpOnly, sent only
// to /committee and only from this site, Secure over TLS.
func (s *Server) setSessionCookie(c *gin.Context, secret string, life time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/committee", MaxAge: int(life / time.Second),
		HttpOnly: true, Secure: s.SecureCookies || c.Request.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/committee", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies || c.Request.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// wsPage is what every workspace template gets.
type wsPage struct {
	page
	Member    *ledger.Member // nil on the sign-in pages
	CSRFField template.HTML
	Nav       string // the current section, for the navigation
}

func (s *Server) newWSPage(c *gin.Context, l i18n.Lang, title, nav string) wsPage {
	return wsPage{page: newPage(c, l, title), Member: currentMember(c), CSRFField: csrfField(c), Nav: nav}
}

// Can reports whether the signed-in member's role is at least role, for
// templates: {{if .Can "treasurer"}}.
func (p wsPage) Can(role string) bool {
	return p.Member != nil && p.Member.Role.AtLeast(ledger.Role(role))
}

// When formats a moment as the language's date and the UTC time.
func (p wsPage) When(t time.Time) string {
	return p.L.Date(t) + " " + t.UTC().Format("15:04") + " UTC"
}

// Pairs lists a map's entries sorted by key, for templates.
func (p wsPage) Pairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// renderWSError shows an error as a workspace page.
func (s *Server) renderWSError(c *gin.Context, err error) {
	status := statuses[ledger.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	l := lang(c)
	msg := ledger.ErrorMessage(err)
	title := l.T("error.try_again")
	switch status {
	case http.StatusForbidden:
		title = l.T("ws.error.forbidden")
	case http.StatusNotFound:
		title = l.T("error.not_found")
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		s.Logger.Error("committee page failed", "route", c.FullPath(), "error", err)
		if status == http.StatusInternalServerError {
			title, msg = l.T("error.internal"), l.T("error.try_again")
		}
	}
	s.render(c, status, "ws_error.html", struct {
		wsPage
		Message string
	}{s.newWSPage(c, l, title, ""), msg})
}

// safeNext keeps a post-sign-in destination inside the workspace.
func safeNext(next string) string {
	if len(next) > 500 || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return "/committee"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || path.Clean(u.Path) != u.Path ||
		(u.Path != "/committee" && !strings.HasPrefix(u.Path, "/committee/")) || strings.HasPrefix(u.Path, "/committee/signin") {
		return "/committee"
	}
	return u.RequestURI()
}

func (s *Server) handleWorkspaceHome(c *gin.Context) {
	l := lang(c)
	s.render(c, http.StatusOK, "ws_home.html", struct {
		wsPage
		Session *ledger.Session
	}{s.newWSPage(c, l, l.T("ws.home.title"), "home"), currentSession(c)})
}
