package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// The committee's moderation page: the acknowledgements waiting for a
// member, shown as the public list would show them once approved, approved
// or hidden one at a time or several at once. An observer sees the queue and
// decides nothing. Every decision is audited with the donation ids, never
// the names or messages.

const (
	// moderationShown is how many waiting acknowledgements the page lists,
	// oldest first; moderationChecked how many a decision is checked
	// against (the most ModerationQueue gives).
	moderationShown   = 200
	moderationChecked = 500
)

// moderationRow is one waiting acknowledgement on the page.
type moderationRow struct {
	ledger.ModerationItem
	FundName string
	Shown    string // how the donor chose to be named, in words
	Seen     string // moderationSeen of what the page shows
}

// moderationSeen fingerprints what a member is shown of an acknowledgement.
// The form sends it back, so that a decision applies only to what the member
// saw: a donor who changes how they are thanked puts the acknowledgement
// back in the queue with new words, which a decision taken on the old page
// must not publish.
func moderationSeen(it ledger.ModerationItem) string {
	h := sha256.Sum256([]byte(string(it.Display) + "\x00" + it.From + "\x00" + it.Message))
	return hex.EncodeToString(h[:8])
}

// moderationShownAs says how the donor chose to be named.
func moderationShownAs(l i18n.Lang, d ledger.AckDisplay) string {
	switch d {
	case ledger.AckName:
		return l.T("wsmod.display.name")
	case ledger.AckOrganisation:
		return l.T("wsmod.display.organisation")
	case ledger.AckAlias:
		return l.T("wsmod.display.alias")
	}
	return l.T("wsmod.display.anonymous")
}

func (s *Server) handleModerationPage(c *gin.Context) {
	s.moderationPage(c, http.StatusOK, "", "")
}

func (s *Server) moderationPage(c *gin.Context, status int, notice, errMsg string) {
	l := lang(c)
	ctx := c.Request.Context()
	items, err := s.Acks.ModerationQueue(ctx, moderationShown+1)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	funds, err := s.Funds.ListFunds(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	names := make(map[string]string, len(funds))
	for _, f := range funds {
		names[f.Slug] = f.Name
	}
	more := len(items) > moderationShown
	if more {
		items = items[:moderationShown]
	}
	rows := make([]moderationRow, len(items))
	for i, it := range items {
		name := names[it.Fund]
		if name == "" {
			name = it.Fund
		}
		rows[i] = moderationRow{ModerationItem: it, FundName: name, Shown: moderationShownAs(l, it.Display), Seen: moderationSeen(it)}
	}
	s.renderWS(c, status, "ws_moderation.html", struct {
		wsPage
		Items  []moderationRow
		More   bool
		Shown  int
		Notice string
		Error  string
	}{s.newWSPage(c, l, l.T("wsmod.title"), "moderation"), rows, more, moderationShown, notice, errMsg})
}

// handleModerationDecide approves or hides acknowledgements. The form sends
// either approve=<id> or hide=<id> (a row's own button), or status and the
// ticked ids (the buttons under the list); and, for every row, seen=<id>:<fingerprint>.
// Only the acknowledgements still waiting and unchanged since the page was
// shown are decided; the others are counted and shown again.
func (s *Server) handleModerationDecide(c *gin.Context) {
	l := lang(c)
	ctx := c.Request.Context()
	var (
		status ledger.ModerationStatus
		ids    []string
	)
	switch {
	case c.PostForm("approve") != "":
		status, ids = ledger.ModerationApproved, []string{c.PostForm("approve")}
	case c.PostForm("hide") != "":
		status, ids = ledger.ModerationHidden, []string{c.PostForm("hide")}
	default:
		status, ids = ledger.ModerationStatus(c.PostForm("status")), c.PostFormArray("id")
	}
	if status != ledger.ModerationApproved && status != ledger.ModerationHidden {
		s.renderWSError(c, ledger.Errorf(ledger.EINVALID, "status must be approved or hidden, not %q", status))
		return
	}
	ids = moderationIDs(ids)
	if len(ids) == 0 {
		s.moderationPage(c, http.StatusBadRequest, "", l.T("wsmod.select_one"))
		return
	}
	if len(ids) > moderationChecked {
		s.moderationPage(c, http.StatusBadRequest, "", l.T("wsmod.too_many", moderationChecked))
		return
	}

	seen := map[string]string{}
	for _, v := range c.PostFormArray("seen") {
		if id, fp, ok := strings.Cut(v, ":"); ok {
			seen[id] = fp
		}
	}
	queue, err := s.Acks.ModerationQueue(ctx, moderationChecked)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	waiting := make(map[string]string, len(queue))
	for _, it := range queue {
		waiting[it.DonationID] = moderationSeen(it)
	}
	var decide []string
	for _, id := range ids {
		if fp, ok := waiting[id]; ok && fp == seen[id] {
			decide = append(decide, id)
		}
	}
	skipped := len(ids) - len(decide)

	n := 0
	if len(decide) > 0 {
		n, err = s.Acks.Moderate(ctx, decide, status)
		// Moderate may have changed some before it failed: what changed is audited.
		if n > 0 {
			action, subject := "acknowledgement.approve", "donations"
			if status == ledger.ModerationHidden {
				action = "acknowledgement.hide"
			}
			if len(decide) == 1 {
				subject = "donation:" + decide[0]
			}
			details := map[string]string{"count": strconv.Itoa(n), "donation_ids": strings.Join(decide, ",")}
			if skipped > 0 {
				details["skipped"] = strconv.Itoa(skipped)
			}
			s.audit(c, action, subject, details)
		}
		if err != nil {
			if code := ledger.ErrorCode(err); code == ledger.EINVALID || code == ledger.ENOTFOUND {
				s.moderationPage(c, statuses[code], "", ledger.ErrorMessage(err))
				return
			}
			s.renderWSError(c, err)
			return
		}
	}

	var notice []string
	if n > 0 {
		key := "wsmod.approved"
		if status == ledger.ModerationHidden {
			key = "wsmod.hidden"
		}
		notice = append(notice, l.T(key, l.Plural(int64(n), "wsmod.count")))
	}
	if skipped > 0 {
		notice = append(notice, l.T("wsmod.skipped", l.Plural(int64(skipped), "wsmod.count")))
	}
	s.moderationPage(c, http.StatusOK, strings.Join(notice, " "), "")
}

// moderationIDs trims ids and drops empty and repeated ones, keeping the order.
func moderationIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}
