package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// The committee's pages for hardship grants: the register with a form to
// open a case (members), the caps per fund (treasurers), and each case with
// its approvals, recusals, top-ups and payments. The recipient's details
// appear only on a treasurer's page, after they ask to see them; the
// service records each view. Every change is audited by the service.

// wsActor is the signed-in member as the audit log names them.
func wsActor(c *gin.Context) (ledger.Actor, ledger.Role) {
	if m := currentMember(c); m != nil {
		return ledger.ActorOf(m), m.Role
	}
	return ledger.Actor{}, ""
}

// formAmount reads an amount typed in a form, where "1500,00" is common.
func formAmount(c *gin.Context, field string) string {
	return strings.TrimSpace(strings.Replace(c.PostForm(field), ",", ".", 1))
}

func currencyCodes() []string {
	var codes []string
	for _, cur := range ledger.Currencies() {
		codes = append(codes, cur.Code)
	}
	return codes
}

func (s *Server) handleGrantsPage(c *gin.Context) {
	s.grantsPage(c, "", nil)
}

// grantsPage is the register: every case by its reference, newest first,
// filtered by ?status= and ?fund=; never a recipient.
func (s *Server) grantsPage(c *gin.Context, notice string, formErr error) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	l := lang(c)
	ctx := c.Request.Context()
	f, err := grantFilter(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	grants, err := svc.ListGrants(ctx, f)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	caps, err := svc.ListGrantCaps(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	funds, err := s.Funds.ListFunds(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	status, errMsg := http.StatusOK, ""
	if formErr != nil {
		status, errMsg = statusOf(formErr), ledger.ErrorMessage(formErr)
	}
	form := url.Values{}
	if formErr != nil {
		form = c.Request.PostForm
	}
	current := ""
	if f.Status != nil {
		current = string(*f.Status)
	}
	s.renderWS(c, status, "ws_grants.html", struct {
		wsPage
		Grants     []*ledger.Grant
		Caps       []ledger.GrantCap
		Funds      []*ledger.Fund
		Categories []ledger.GrantCategory
		Statuses   []ledger.GrantStatus
		Status     string
		Currencies []string
		Form       url.Values
		Key        string
		Notice     string
		Error      string
	}{s.newWSPage(c, l, l.T("wsg.title"), "grants"), grants, caps, funds, ledger.GrantCategories, ledger.GrantStatuses, current,
		currencyCodes(), form, uuid.NewString(), notice, errMsg})
}

// formRecipient reads the recipient's fields; nil when none was filled in.
func formRecipient(c *gin.Context) *ledger.GrantRecipient {
	r := &ledger.GrantRecipient{
		Name: c.PostForm("recipient_name"), Town: c.PostForm("recipient_town"), Phone: c.PostForm("recipient_phone"),
		BankAccount: c.PostForm("recipient_bank_account"), CashViaCommittee: c.PostForm("recipient_cash") == "true",
	}
	if strings.TrimSpace(r.Name+r.Town+r.Phone+r.BankAccount) == "" && !r.CashViaCommittee {
		return nil
	}
	return r
}

func (s *Server) handleGrantsOpen(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	m, err := ledger.ParseMoney(formAmount(c, "amount"), c.PostForm("currency"))
	if err != nil {
		s.grantsPage(c, "", err)
		return
	}
	g := &ledger.Grant{Fund: c.PostForm("fund"), Amount: m, Category: ledger.GrantCategory(c.PostForm("category")),
		Justification: c.PostForm("justification"), IdempotencyKey: formKey(c), Fingerprint: "committee-form"}
	by, _ := wsActor(c)
	opened, err := svc.OpenGrant(c.Request.Context(), by, g, formRecipient(c))
	if err != nil {
		s.grantsPage(c, "", err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/committee/grants/"+opened.Ref)
}

func (s *Server) handleGrantsCap(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	m, err := ledger.ParseMoney(formAmount(c, "max_amount"), c.PostForm("currency"))
	if err != nil {
		s.grantsPage(c, "", err)
		return
	}
	cp := &ledger.GrantCap{Fund: c.PostForm("fund"), Max: m}
	by, _ := wsActor(c)
	if err := svc.SetGrantCap(c.Request.Context(), by, cp); err != nil {
		s.grantsPage(c, "", err)
		return
	}
	l := lang(c)
	s.grantsPage(c, l.T("wsg.caps.saved", cp.Fund, l.Money(m.Amount, m.Currency)), nil)
}

func (s *Server) handleGrantPage(c *gin.Context) {
	s.grantPage(c, nil, "", nil)
}

// grantPage shows one case. recipient is shown only when a treasurer
// asked for it (handleGrantPageRecipient), which the service audited.
func (s *Server) grantPage(c *gin.Context, recipient *ledger.GrantRecipient, notice string, formErr error) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	l := lang(c)
	g, err := svc.FindGrant(c.Request.Context(), c.Param("ref"))
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	by, role := wsActor(c)
	canApprove := role.AtLeast(ledger.RoleMember) && g.CheckApprove(by, role) == nil
	canRecuse := role.AtLeast(ledger.RoleMember) && g.CheckRecuse(by, role) == nil
	status, errMsg := http.StatusOK, ""
	if formErr != nil {
		status, errMsg = statusOf(formErr), ledger.ErrorMessage(formErr)
	}
	var approvers []string
	for _, a := range g.RoundApprovals() {
		approvers = append(approvers, a.MemberName)
	}
	s.renderWS(c, status, "ws_grant.html", struct {
		wsPage
		Grant      *ledger.Grant
		Recipient  *ledger.GrantRecipient
		CanApprove bool
		CanRecuse  bool
		Why        string // a message key: why this member cannot approve
		Approvers  string
		PayFrom    []string
		Currencies []string
		Form       url.Values // the recipient form starts empty
		Today      string
		Key        string
		Notice     string
		Error      string
	}{s.newWSPage(c, l, g.Ref, "grants"), g, recipient, canApprove, canRecuse, whyNotApprove(g, by, role),
		strings.Join(approvers, ", "), s.payFrom(c, g), currencyCodes(), nil, time.Now().UTC().Format(time.DateOnly),
		uuid.NewString(), notice, errMsg})
}

// whyNotApprove names, as a message key, why by cannot approve a case that
// waits for approvals; "" when they can, or when it does not wait.
func whyNotApprove(g *ledger.Grant, by ledger.Actor, role ledger.Role) string {
	if g.Status() != ledger.GrantPending || by.MemberID == 0 {
		return ""
	}
	if !role.AtLeast(ledger.RoleMember) {
		return "wsg.why.observer"
	}
	if g.OpenedBy.MemberID == by.MemberID {
		return "wsg.why.opener"
	}
	for _, t := range g.TopUps {
		if t.Round == g.Round && t.By.MemberID == by.MemberID {
			return "wsg.why.topup"
		}
	}
	if g.Recused(by.MemberID) {
		return "wsg.why.recused"
	}
	for _, a := range g.RoundApprovals() {
		if a.MemberID == by.MemberID {
			return "wsg.why.approved"
		}
	}
	return ""
}

// payFrom lists the accounts a grant is usually paid from: the bank
// account in its currency first (opened on first use), the other bank
// accounts, and cash in hand.
func (s *Server) payFrom(c *gin.Context, g *ledger.Grant) []string {
	first := ledger.BankAccountCode(g.Amount.Currency)
	out := []string{first}
	if s.Accounts != nil {
		if accounts, err := s.Accounts.ListAccounts(c.Request.Context()); err == nil {
			for _, a := range accounts {
				if strings.HasPrefix(a.Code, ledger.AccountBank+":") && a.Code != first {
					out = append(out, a.Code)
				}
			}
		}
	}
	return append(out, ledger.AccountCash)
}

// grantAction runs a change to the case and goes back to its page, or shows
// the page with the error.
func (s *Server) grantAction(c *gin.Context, do func(svc ledger.GrantService, by ledger.Actor, ref string) error) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	by, _ := wsActor(c)
	ref := c.Param("ref")
	if err := do(svc, by, ref); err != nil {
		s.grantPage(c, nil, "", err) // an unknown case shows as not found
		return
	}
	c.Redirect(http.StatusSeeOther, "/committee/grants/"+ref)
}

func (s *Server) handleGrantPageApprove(c *gin.Context) {
	s.grantAction(c, func(svc ledger.GrantService, by ledger.Actor, ref string) error {
		_, err := svc.ApproveGrant(c.Request.Context(), by, ref)
		return err
	})
}

func (s *Server) handleGrantPageRecuse(c *gin.Context) {
	s.grantAction(c, func(svc ledger.GrantService, by ledger.Actor, ref string) error {
		_, err := svc.RecuseGrant(c.Request.Context(), by, ref, c.PostForm("reason"))
		return err
	})
}

func (s *Server) handleGrantPageTopUp(c *gin.Context) {
	s.grantAction(c, func(svc ledger.GrantService, by ledger.Actor, ref string) error {
		g, err := svc.FindGrant(c.Request.Context(), ref)
		if err != nil {
			return err
		}
		amt, err := ledger.ParseAmount(formAmount(c, "amount"), g.Amount.Currency)
		if err != nil {
			return err
		}
		_, err = svc.TopUpGrant(c.Request.Context(), by, ref, &ledger.GrantTopUp{
			Added: ledger.Money{Amount: amt, Currency: g.Amount.Currency}, Reason: c.PostForm("reason"),
			IdempotencyKey: formKey(c), Fingerprint: "committee-form",
		})
		return err
	})
}

func (s *Server) handleGrantPagePay(c *gin.Context) {
	s.grantAction(c, func(svc ledger.GrantService, by ledger.Actor, ref string) error {
		g, err := svc.FindGrant(c.Request.Context(), ref)
		if err != nil {
			return err
		}
		on, err := formDate(c, "date")
		if err != nil {
			return err
		}
		paidAmount, paidCurrency := formAmount(c, "paid_amount"), ""
		if paidAmount != "" {
			paidCurrency = c.PostForm("paid_currency")
		}
		p, err := grantPayment(g, formAmount(c, "amount"), "", c.PostForm("paid_from"), paidAmount, paidCurrency, on)
		if err != nil {
			return err
		}
		p.IdempotencyKey, p.Fingerprint = formKey(c), "committee-form"
		_, err = svc.PayGrant(c.Request.Context(), by, ref, p)
		return err
	})
}

// handleGrantPageRecipient shows a treasurer the recipient's details, once,
// on this answer only (never cached); the service records the view.
func (s *Server) handleGrantPageRecipient(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	by, _ := wsActor(c)
	r, err := svc.GrantRecipient(c.Request.Context(), by, c.Param("ref"))
	if err != nil {
		s.grantPage(c, nil, "", err)
		return
	}
	s.grantPage(c, r, "", nil)
}

func (s *Server) handleGrantPageRecipientSet(c *gin.Context) {
	s.grantAction(c, func(svc ledger.GrantService, by ledger.Actor, ref string) error {
		r := formRecipient(c)
		if r == nil {
			return ledger.Errorf(ledger.EINVALID, "recipient: give a name, a town, and a bank account or cash through the local committee")
		}
		return svc.SetGrantRecipient(c.Request.Context(), by, ref, r)
	})
}
