package server

import (
	"github.com/fundledger/fundledger/internal/password"
	"net/http"
	"strconv"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// The workspace's own pages: members (treasurer), sessions, the audit log,
// the second factor and the password.

type membersPage struct {
	wsPage
	Members []*ledger.Member
	Roles   []ledger.Role
	// The add form, refilled after an error.
	Email, Name, Role string
	// Created is the member just added, with the one-time password shown
	// this once.
	Created  *ledger.Member
	Password string
	Notice   string
	Error    string
}

func (s *Server) renderMembers(c *gin.Context, status int, p membersPage) {
	l := lang(c)
	list, err := s.Members.ListMembers(c.Request.Context())
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	p.wsPage, p.Members = s.newWSPage(c, l, l.T("ws.members.title"), "members"), list
	p.Roles = []ledger.Role{ledger.RoleTreasurer, ledger.RoleMember, ledger.RoleObserver}
	if p.Role == "" {
		p.Role = string(ledger.RoleMember)
	}
	s.render(c, status, "ws_members.html", p)
}

func (s *Server) handleMembersPage(c *gin.Context) {
	s.renderMembers(c, http.StatusOK, membersPage{})
}

// handleMembersPost adds a member with a generated password, shown once, or
// disables one.
func (s *Server) handleMembersPost(c *gin.Context) {
	l := lang(c)
	by := ledger.ActorOf(currentMember(c))
	switch c.PostForm("action") {
	case "add":
		m := &ledger.Member{Email: c.PostForm("email"), Name: c.PostForm("name"), Role: ledger.Role(c.PostForm("role"))}
		pw := password.Generate()
		if err := s.Members.AddMember(c.Request.Context(), by, m, pw); err != nil {
			if code := ledger.ErrorCode(err); code == ledger.EINVALID || code == ledger.ECONFLICT {
				s.renderMembers(c, statuses[code], membersPage{Email: c.PostForm("email"), Name: c.PostForm("name"),
					Role: c.PostForm("role"), Error: ledger.ErrorMessage(err)})
				return
			}
			s.renderWSError(c, err)
			return
		}
		s.renderMembers(c, http.StatusCreated, membersPage{Created: m, Password: pw})
	case "disable":
		m, err := s.Members.DisableMember(c.Request.Context(), by, c.PostForm("email"))
		if err != nil {
			if code := ledger.ErrorCode(err); code == ledger.ENOTFOUND || code == ledger.ECONFLICT {
				s.renderMembers(c, statuses[code], membersPage{Error: ledger.ErrorMessage(err)})
				return
			}
			s.renderWSError(c, err)
			return
		}
		s.renderMembers(c, http.StatusOK, membersPage{Notice: l.T("ws.members.disabled", m.Name)})
	default:
		s.renderWSError(c, ledger.Errorf(ledger.EINVALID, "action must be add or disable"))
	}
}

// handleSessionsPage lists live sessions: everyone's for a treasurer, one's
// own for others.
func (s *Server) handleSessionsPage(c *gin.Context) {
	l := lang(c)
	me := currentMember(c)
	of := me.ID
	if me.Role.AtLeast(ledger.RoleTreasurer) {
		of = 0
	}
	list, err := s.Sessions.ListSessions(c.Request.Context(), of)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	s.render(c, http.StatusOK, "ws_sessions.html", struct {
		wsPage
		Sessions []*ledger.Session
		Current  int64
		All      bool
	}{s.newWSPage(c, l, l.T("ws.sessions.title"), "sessions"), list, currentSession(c).ID, of == 0})
}

// handleSessionRevoke ends a session: any for a treasurer, one's own for others.
func (s *Server) handleSessionRevoke(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.renderWSError(c, ledger.Errorf(ledger.ENOTFOUND, "there is no session %q", c.Param("id")))
		return
	}
	me := currentMember(c)
	if err := s.Sessions.RevokeSession(c.Request.Context(), ledger.ActorOf(me), id, me.Role.AtLeast(ledger.RoleTreasurer)); err != nil {
		s.renderWSError(c, err)
		return
	}
	if id == currentSession(c).ID {
		s.clearSessionCookie(c)
		c.Redirect(http.StatusSeeOther, "/committee/signin")
		return
	}
	c.Redirect(http.StatusSeeOther, "/committee/sessions")
}

// handleAuditPage shows the audit log, newest first, a page at a time.
func (s *Server) handleAuditPage(c *gin.Context) {
	l := lang(c)
	f := ledger.AuditFilter{Limit: 50}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			s.renderWSError(c, ledger.Errorf(ledger.EINVALID, "before must be an entry number"))
			return
		}
		f.Before = n
	}
	p, err := s.Audit.List(c.Request.Context(), f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	older := ""
	if p.Older != 0 {
		older = "/committee/audit?before=" + strconv.FormatInt(p.Older, 10)
	}
	s.render(c, http.StatusOK, "ws_audit.html", struct {
		wsPage
		Entries []ledger.AuditEntry
		Older   string
		First   bool
	}{s.newWSPage(c, l, l.T("ws.audit.title"), "audit"), p.Entries, older, f.Before == 0})
}

type totpPage struct {
	wsPage
	Enrolled    bool
	Enrolment   *ledger.TOTPEnrolment
	Unavailable string
	Error       string
}

func (s *Server) renderTOTP(c *gin.Context, status int, errMsg string) {
	l := lang(c)
	me := currentMember(c)
	m, err := s.Members.FindMember(c.Request.Context(), me.ID)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	p := totpPage{wsPage: s.newWSPage(c, l, l.T("ws.totp.title"), "totp"), Enrolled: m.TOTP, Error: errMsg}
	if !m.TOTP {
		p.Enrolment, err = s.Members.BeginTOTP(c.Request.Context(), m.ID)
		if ledger.ErrorCode(err) == ledger.EUNAVAILABLE {
			p.Unavailable, err = ledger.ErrorMessage(err), nil
		}
		if err != nil {
			s.renderWSError(c, err)
			return
		}
	}
	s.render(c, status, "ws_totp.html", p)
}

func (s *Server) handleTOTPPage(c *gin.Context) { s.renderTOTP(c, http.StatusOK, "") }

// handleTOTPPost confirms an enrolment or removes the second factor, each
// with a current code. Wrong codes count like failed sign-ins.
func (s *Server) handleTOTPPost(c *gin.Context) {
	l := lang(c)
	me := currentMember(c)
	keys := []string{"totp:" + strconv.FormatInt(me.ID, 10)}
	if s.tooManyFailures(c, l, func(msg string) { s.renderTOTP(c, http.StatusTooManyRequests, msg) }, keys...) {
		return
	}
	var err error
	switch c.PostForm("action") {
	case "confirm":
		err = s.Members.ConfirmTOTP(c.Request.Context(), me.ID, c.PostForm("code"))
	case "disable":
		err = s.Members.DisableTOTP(c.Request.Context(), me.ID, c.PostForm("code"))
	default:
		err = ledger.Errorf(ledger.EINVALID, "action must be confirm or disable")
	}
	switch code := ledger.ErrorCode(err); code {
	case "":
		c.Redirect(http.StatusSeeOther, "/committee/totp")
	case ledger.EINVALID, ledger.ECONFLICT:
		s.signinLimit.fail(time.Now(), keys...)
		s.renderTOTP(c, statuses[code], ledger.ErrorMessage(err))
	default:
		s.renderWSError(c, err)
	}
}

type passwordPage struct {
	wsPage
	Done  bool
	Error string
}

func (s *Server) handlePasswordPage(c *gin.Context) {
	l := lang(c)
	s.render(c, http.StatusOK, "ws_password.html", passwordPage{wsPage: s.newWSPage(c, l, l.T("ws.password.title"), "password")})
}

func (s *Server) handlePasswordPost(c *gin.Context) {
	l := lang(c)
	me := currentMember(c)
	p := passwordPage{wsPage: s.newWSPage(c, l, l.T("ws.password.title"), "password")}
	keys := []string{"email:" + me.Email}
	if s.tooManyFailures(c, l, func(msg string) { p.Error = msg; s.render(c, http.StatusTooManyRequests, "ws_password.html", p) }, keys...) {
		return
	}
	if c.PostForm("new") != c.PostForm("repeat") {
		p.Error = l.T("ws.password.mismatch")
		s.render(c, http.StatusBadRequest, "ws_password.html", p)
		return
	}
	err := s.Members.ChangePassword(c.Request.Context(), me.ID, c.PostForm("current"), c.PostForm("new"))
	switch code := ledger.ErrorCode(err); code {
	case "":
		p.Done = true
		s.render(c, http.StatusOK, "ws_password.html", p)
	case ledger.EUNAUTHORIZED:
		s.signinLimit.fail(time.Now(), keys...)
		p.Error = l.T("ws.password.wrong")
		s.render(c, http.StatusUnauthorized, "ws_password.html", p)
	case ledger.EINVALID:
		p.Error = l.T("ws.password.rule", password.MinLength)
		s.render(c, http.StatusBadRequest, "ws_password.html", p)
	default:
		s.renderWSError(c, err)
	}
}
