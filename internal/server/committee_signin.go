package server

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// Sign-in: a password, then, for a member with a second factor, a TOTP code.
// Failures count per client address and per email: after
// signInMaxFailures within signInWindow, both are refused with 429 until the
// window moves on.
const (
	signInMaxFailures = 5
	signInWindow      = 15 * time.Minute
)

type signInForm struct {
	wsPage
	Email   string
	Next    string
	Message string
}

func (s *Server) renderSignIn(c *gin.Context, status int, l i18n.Lang, email, next, msg string) {
	s.render(c, status, "ws_signin.html", signInForm{s.newWSPage(c, l, l.T("ws.signin.title"), ""), email, safeNext(next), msg})
}

func (s *Server) renderCode(c *gin.Context, status int, l i18n.Lang, next, msg string) {
	s.render(c, status, "ws_code.html", signInForm{s.newWSPage(c, l, l.T("ws.code.title"), ""), "", safeNext(next), msg})
}

// tooManyFailures answers 429 with Retry-After, or returns false.
func (s *Server) tooManyFailures(c *gin.Context, l i18n.Lang, render func(msg string), keys ...string) bool {
	wait := s.signinLimit.blocked(time.Now(), keys...)
	if wait <= 0 {
		return false
	}
	mins := int((wait + time.Minute - 1) / time.Minute)
	c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	render(l.T("ws.signin.too_many", mins))
	return true
}

func (s *Server) handleSignInPage(c *gin.Context) {
	sess, err := s.loadSession(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	if sess != nil && !sess.SecondFactorPending {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	s.renderSignIn(c, http.StatusOK, lang(c), "", c.Query("next"), "")
}

func (s *Server) handleSignIn(c *gin.Context) {
	l := lang(c)
	email, pw, next := ledger.NormalizeEmail(c.PostForm("email")), c.PostForm("password"), c.PostForm("next")
	keys := []string{"ip:" + c.ClientIP(), "email:" + email}
	if s.tooManyFailures(c, l, func(msg string) { s.renderSignIn(c, http.StatusTooManyRequests, l, email, next, msg) }, keys...) {
		return
	}
	m, err := s.Members.CheckPassword(c.Request.Context(), email, pw)
	if ledger.ErrorCode(err) == ledger.EUNAUTHORIZED {
		s.signinLimit.fail(time.Now(), keys...)
		s.renderSignIn(c, http.StatusUnauthorized, l, email, next, l.T("ws.signin.wrong"))
		return
	}
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.signinLimit.reset("email:" + email)
	secret, _, err := s.Sessions.CreateSession(c.Request.Context(), m, c.Request.UserAgent(), m.TOTP)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	if m.TOTP {
		s.setSessionCookie(c, secret, ledger.SecondFactorWait)
		c.Redirect(http.StatusSeeOther, "/committee/signin/code?next="+url.QueryEscape(safeNext(next)))
		return
	}
	s.setSessionCookie(c, secret, ledger.SessionAbsolute)
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// pendingSession is the session waiting for its second factor, or nil.
func (s *Server) pendingSession(c *gin.Context) (*ledger.Session, error) {
	sess, err := s.loadSession(c)
	if err != nil || sess == nil || !sess.SecondFactorPending {
		return nil, err
	}
	return sess, nil
}

func (s *Server) handleCodePage(c *gin.Context) {
	sess, err := s.pendingSession(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	if sess == nil {
		c.Redirect(http.StatusSeeOther, "/committee/signin")
		return
	}
	s.renderCode(c, http.StatusOK, lang(c), c.Query("next"), "")
}

func (s *Server) handleCode(c *gin.Context) {
	l := lang(c)
	sess, err := s.pendingSession(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	if sess == nil {
		s.renderSignIn(c, http.StatusUnauthorized, l, "", c.PostForm("next"), l.T("ws.code.expired"))
		return
	}
	if !s.csrfOK(c) {
		s.renderWSError(c, ledger.Errorf(ledger.EFORBIDDEN, "%s", l.T("ws.error.csrf")))
		return
	}
	next := c.PostForm("next")
	keys := []string{"ip:" + c.ClientIP(), "email:" + sess.Member.Email}
	if s.tooManyFailures(c, l, func(msg string) { s.renderCode(c, http.StatusTooManyRequests, l, next, msg) }, keys...) {
		return
	}
	err = s.Members.CheckTOTP(c.Request.Context(), sess.Member.ID, c.PostForm("code"))
	if ledger.ErrorCode(err) == ledger.EUNAUTHORIZED {
		s.signinLimit.fail(time.Now(), keys...)
		s.renderCode(c, http.StatusUnauthorized, l, next, l.T("ws.code.wrong"))
		return
	}
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.signinLimit.reset("email:" + sess.Member.Email)
	secret, _, err := s.Sessions.CompleteSession(c.Request.Context(), c.GetString(ctxSessionSecret))
	if ledger.ErrorCode(err) == ledger.EUNAUTHORIZED {
		s.renderSignIn(c, http.StatusUnauthorized, l, "", next, l.T("ws.code.expired"))
		return
	}
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.setSessionCookie(c, secret, ledger.SessionAbsolute)
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

func (s *Server) handleSignOut(c *gin.Context) {
	if err := s.Sessions.EndSession(c.Request.Context(), c.GetString(ctxSessionSecret)); err != nil {
		s.renderWSError(c, err)
		return
	}
	s.clearSessionCookie(c)
	c.Redirect(http.StatusSeeOther, "/committee/signin")
}
