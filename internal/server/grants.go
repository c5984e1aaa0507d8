package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// Hardship grants over the API. Tokens are treasurer or observer, so the
// API opens cases, reads them (the reference data only: never the
// recipient), pays them and sets caps; approvals happen in the workspace
// (ws_grants.go), where members sign in.

// grantRoutes registers the grant routes: api is the public /api/v1 group
// (no grant route is public), read and write its observer and treasurer
// groups, ws the committee's workspace.
func (s *Server) grantRoutes(api, read, write *gin.RouterGroup, ws *gin.RouterGroup) {
	_ = api
	read.GET("/grants", s.handleGrantList)
	read.GET("/grants/:ref", s.handleGrantGet)
	write.POST("/grants", s.handleGrantCreate)
	write.POST("/grants/:ref/payments", s.handleGrantPay)
	write.PUT("/grant-caps", s.handleGrantCapSet)

	ws.GET("/grants", s.committee(ledger.RoleObserver), s.handleGrantsPage)
	ws.POST("/grants", s.committee(ledger.RoleMember), s.handleGrantsOpen)
	ws.POST("/grant-caps", s.committee(ledger.RoleTreasurer), s.handleGrantsCap)
	ws.GET("/grants/:ref", s.committee(ledger.RoleObserver), s.handleGrantPage)
	ws.POST("/grants/:ref/approve", s.committee(ledger.RoleMember), s.handleGrantPageApprove)
	ws.POST("/grants/:ref/recuse", s.committee(ledger.RoleMember), s.handleGrantPageRecuse)
	ws.POST("/grants/:ref/topup", s.committee(ledger.RoleMember), s.handleGrantPageTopUp)
	ws.POST("/grants/:ref/payments", s.committee(ledger.RoleTreasurer), s.handleGrantPagePay)
	// Showing the recipient is an action (audited), so it is a POST.
	ws.POST("/grants/:ref/recipient", s.committee(ledger.RoleTreasurer), s.handleGrantPageRecipient)
	ws.POST("/grants/:ref/recipient/set", s.committee(ledger.RoleTreasurer), s.handleGrantPageRecipientSet)
}

// grantService is the service behind the grant routes.
func (s *Server) grantService() (ledger.GrantService, error) {
	if s.Grants == nil {
		return nil, ledger.Errorf(ledger.EINTERNAL, "grants are not configured on this server")
	}
	return s.Grants, nil
}

// tokenActor is who acts with the request's API token, named in the audit
// log as auditAPI names it ("token: Treasurer laptop").
func tokenActor(c *gin.Context) ledger.Actor {
	if v, ok := c.Get("token"); ok {
		return ledger.Actor{Name: auditClip("token: "+v.(*ledger.Token).Name, 200)}
	}
	return ledger.Actor{Name: "token"}
}

type grantRecipientJSON struct {
	Name             string `json:"name"`
	Town             string `json:"town"`
	Phone            string `json:"phone"`
	BankAccount      string `json:"bank_account"`
	CashViaCommittee bool   `json:"cash_via_committee"`
}

type grantRequest struct {
	Fund          string `json:"fund"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	Category      string `json:"category"`
	Justification string `json:"justification"`
	// Recipient is sealed at once and never returned by the API.
	Recipient *grantRecipientJSON `json:"recipient"`
}

type grantPaymentRequest struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"` // optional; the grant's currency
	PaidFrom string `json:"paid_from"`
	// PaidAmount and PaidCurrency give the exact amount that left paid_from
	// when it is in another currency than the grant's.
	PaidAmount   string `json:"paid_amount"`
	PaidCurrency string `json:"paid_currency"`
	Date         string `json:"date"`
}

type grantCapRequest struct {
	Fund      string `json:"fund"`
	Currency  string `json:"currency"`
	MaxAmount string `json:"max_amount"`
}

type grantApprovalJSON struct {
	Round  int       `json:"round"`
	Member string    `json:"member"`
	At     time.Time `json:"at"`
}

type grantRecusalJSON struct {
	Member string    `json:"member"`
	At     time.Time `json:"at"`
}

type grantTopUpJSON struct {
	Round       int       `json:"round"`
	Amount      string    `json:"amount"`
	AmountAfter string    `json:"amount_after"`
	Reason      string    `json:"reason"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

type grantPaymentJSON struct {
	ID            int64     `json:"id"`
	Ref           string    `json:"ref"`
	Amount        string    `json:"amount"`
	Currency      string    `json:"currency"`
	PaidFrom      string    `json:"paid_from"`
	PaidAmount    string    `json:"paid_amount"`
	PaidCurrency  string    `json:"paid_currency"`
	Date          string    `json:"date"`
	TransactionID string    `json:"transaction_id"`
	Reversed      bool      `json:"reversed"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// grantResponse is a case as the register shows it: the reference data,
// never the recipient (recipient_on_file says only whether there is one).
type grantResponse struct {
	Ref               string              `json:"ref"`
	Fund              string              `json:"fund"`
	Amount            string              `json:"amount"`
	Currency          string              `json:"currency"`
	Category          string              `json:"category"`
	Justification     string              `json:"justification"`
	Status            string              `json:"status"`
	Round             int                 `json:"round"`
	ApprovalsRequired int                 `json:"approvals_required"`
	Approvals         []grantApprovalJSON `json:"approvals"`
	ApprovedAmount    string              `json:"approved_amount"`
	Paid              string              `json:"paid"`
	Payable           string              `json:"payable"`
	RecipientOnFile   bool                `json:"recipient_on_file"`
	OpenedBy          string              `json:"opened_by"`
	OpenedAt          time.Time           `json:"opened_at"`
	Recusals          []grantRecusalJSON  `json:"recusals"`
	TopUps            []grantTopUpJSON    `json:"top_ups"`
	Payments          []grantPaymentJSON  `json:"payments"`
}

func newGrantPaymentJSON(p *ledger.GrantPayment) grantPaymentJSON {
	return grantPaymentJSON{
		ID: p.ID, Ref: p.Ref, Amount: amountString(p.Amount.Amount, p.Amount.Currency), Currency: p.Amount.Currency.Code,
		PaidFrom: p.From, PaidAmount: amountString(p.Paid.Amount, p.Paid.Currency), PaidCurrency: p.Paid.Currency.Code,
		Date: p.Date.Format(time.DateOnly), TransactionID: p.TransactionID, Reversed: p.Reversed, By: p.By.Name, At: p.At.UTC(),
	}
}

func newGrantResponse(g *ledger.Grant) grantResponse {
	cur := g.Amount.Currency
	r := grantResponse{
		Ref: g.Ref, Fund: g.Fund, Amount: amountString(g.Amount.Amount, cur), Currency: cur.Code,
		Category: string(g.Category), Justification: g.Justification, Status: string(g.Status()),
		Round: g.Round, ApprovalsRequired: g.ApprovalsRequired, Approvals: []grantApprovalJSON{},
		ApprovedAmount: amountString(g.ApprovedAmount, cur), Paid: amountString(g.Paid, cur), Payable: amountString(g.Payable(), cur),
		RecipientOnFile: g.HasRecipient, OpenedBy: g.OpenedBy.Name, OpenedAt: g.OpenedAt.UTC(),
		Recusals: []grantRecusalJSON{}, TopUps: []grantTopUpJSON{}, Payments: []grantPaymentJSON{},
	}
	for _, a := range g.Approvals {
		r.Approvals = append(r.Approvals, grantApprovalJSON{Round: a.Round, Member: a.MemberName, At: a.At.UTC()})
	}
	// A recusal's reason may name people: it stays in the workspace.
	for _, x := range g.Recusals {
		r.Recusals = append(r.Recusals, grantRecusalJSON{Member: x.MemberName, At: x.At.UTC()})
	}
	for _, t := range g.TopUps {
		r.TopUps = append(r.TopUps, grantTopUpJSON{Round: t.Round, Amount: amountString(t.Added.Amount, cur),
			AmountAfter: amountString(t.NewAmount, cur), Reason: t.Reason, By: t.By.Name, At: t.At.UTC()})
	}
	for i := range g.Payments {
		r.Payments = append(r.Payments, newGrantPaymentJSON(&g.Payments[i]))
	}
	return r
}

func (j *grantRecipientJSON) recipient() *ledger.GrantRecipient {
	if j == nil {
		return nil
	}
	return &ledger.GrantRecipient{Name: j.Name, Town: j.Town, Phone: j.Phone, BankAccount: j.BankAccount, CashViaCommittee: j.CashViaCommittee}
}

// handleGrantCreate opens a case, sealing the recipient's details.
func (s *Server) handleGrantCreate(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req grantRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	m, err := ledger.ParseMoney(req.Amount, req.Currency)
	if err != nil {
		writeError(c, err)
		return
	}
	g := &ledger.Grant{Fund: req.Fund, Amount: m, Category: ledger.GrantCategory(req.Category), Justification: req.Justification,
		IdempotencyKey: w.Key, Fingerprint: w.Fingerprint}
	opened, err := svc.OpenGrant(c.Request.Context(), tokenActor(c), g, req.Recipient.recipient())
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/grants/"+opened.Ref)
	c.JSON(http.StatusCreated, newGrantResponse(opened))
}

func (s *Server) handleGrantGet(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		writeError(c, err)
		return
	}
	g, err := svc.FindGrant(c.Request.Context(), c.Param("ref"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newGrantResponse(g))
}

// grantFilter reads ?fund=, ?status= and ?limit=.
func grantFilter(c *gin.Context) (ledger.GrantFilter, error) {
	var f ledger.GrantFilter
	if fund := c.Query("fund"); fund != "" {
		if err := ledger.ValidateSlug(fund); err != nil {
			return f, ledger.Errorf(ledger.EINVALID, "fund: %s", ledger.ErrorMessage(err))
		}
		f.Fund = &fund
	}
	if st := c.Query("status"); st != "" {
		status, err := ledger.ParseGrantStatus(st)
		if err != nil {
			return f, err
		}
		f.Status = &status
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return f, ledger.Errorf(ledger.EINVALID, "limit must be a number from 1 to 500")
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) handleGrantList(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		writeError(c, err)
		return
	}
	f, err := grantFilter(c)
	if err != nil {
		writeError(c, err)
		return
	}
	gs, err := svc.ListGrants(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]grantResponse, len(gs))
	for i, g := range gs {
		out[i] = newGrantResponse(g)
	}
	c.JSON(http.StatusOK, gin.H{"grants": out})
}

// grantPayment reads a payment of g from the API or a form.
func grantPayment(g *ledger.Grant, amount, currency, from, paidAmount, paidCurrency string, date time.Time) (*ledger.GrantPayment, error) {
	if currency != "" {
		cur, err := ledger.LookupCurrency(currency)
		if err != nil {
			return nil, err
		}
		if cur != g.Amount.Currency {
			return nil, ledger.Errorf(ledger.EINVALID, "currency: grant %s is in %s; give amount in %s, and paid_amount and paid_currency to pay from %s",
				g.Ref, g.Amount.Currency.Code, g.Amount.Currency.Code, cur.Code)
		}
	}
	amt, err := ledger.ParseAmount(amount, g.Amount.Currency)
	if err != nil {
		return nil, err
	}
	p := &ledger.GrantPayment{Amount: ledger.Money{Amount: amt, Currency: g.Amount.Currency}, From: from, Date: date}
	if paidAmount != "" || paidCurrency != "" {
		if paidCurrency == "" {
			return nil, ledger.Errorf(ledger.EINVALID, "paid_currency is required with paid_amount")
		}
		if paidAmount == "" {
			return nil, ledger.Errorf(ledger.EINVALID, "paid_amount is required with paid_currency: the exact amount that left %s", from)
		}
		paid, err := ledger.ParseMoney(paidAmount, paidCurrency)
		if err != nil {
			return nil, ledger.Errorf(ledger.EINVALID, "paid_amount: %s", ledger.ErrorMessage(err))
		}
		p.Paid = paid
	}
	return p, nil
}

// handleGrantPay books a payment of an approved case.
func (s *Server) handleGrantPay(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req grantPaymentRequest
	w, err := bindWrite(c, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	g, err := svc.FindGrant(c.Request.Context(), c.Param("ref"))
	if err != nil {
		writeError(c, err)
		return
	}
	var on time.Time
	if req.Date != "" {
		if on, err = ledger.ParseDate("date", req.Date); err != nil {
			writeError(c, err)
			return
		}
	}
	p, err := grantPayment(g, req.Amount, req.Currency, req.PaidFrom, req.PaidAmount, req.PaidCurrency, on)
	if err != nil {
		writeError(c, err)
		return
	}
	p.IdempotencyKey, p.Fingerprint = w.Key, w.Fingerprint
	paid, err := svc.PayGrant(c.Request.Context(), tokenActor(c), g.Ref, p)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/grants/"+g.Ref)
	c.JSON(http.StatusCreated, newGrantPaymentJSON(paid))
}

// handleGrantCapSet sets the most a case may grant in a fund and currency.
func (s *Server) handleGrantCapSet(c *gin.Context) {
	svc, err := s.grantService()
	if err != nil {
		writeError(c, err)
		return
	}
	var req grantCapRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	m, err := ledger.ParseMoney(strings.TrimSpace(req.MaxAmount), req.Currency)
	if err != nil {
		writeError(c, ledger.Errorf(ledger.EINVALID, "max_amount: %s", ledger.ErrorMessage(err)))
		return
	}
	cp := &ledger.GrantCap{Fund: req.Fund, Max: m}
	if err := svc.SetGrantCap(c.Request.Context(), tokenActor(c), cp); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"fund": cp.Fund, "currency": m.Currency.Code, "max_amount": amountString(m.Amount, m.Currency),
		"set_by": cp.SetBy.Name, "set_at": cp.SetAt.UTC()})
}
