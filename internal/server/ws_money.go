package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// The committee's pages for money that does not come by card: a donation
// recorded by hand, batches of them checked against control totals, and
// street collections. Every change is audited.

// audit records a committee action; a failure to record is logged, and the
// action stands (it is in the books already).
func (s *Server) audit(c *gin.Context, action, subject string, details map[string]string) {
	if s.Audit == nil {
		return
	}
	e := &ledger.AuditEntry{Action: action, Subject: subject, Details: details}
	if m := currentMember(c); m != nil {
		e.MemberID, e.MemberName = m.ID, m.Name
	}
	if err := s.Audit.Record(c.Request.Context(), e); err != nil {
		s.Logger.Error("audit", "action", action, "error", err)
	}
}

// formKey is the idempotency key of a committee form: a fresh one is put in
// the form when it is shown, so a double submit books once.
func formKey(c *gin.Context) string {
	if k := c.PostForm("key"); k != "" && ledger.ValidateIdempotencyKey(k) == nil {
		return "form:" + k
	}
	return "form:" + uuid.NewString()
}

// formMoney reads up to five currency/amount rows named currency_N, amount_N.
func formMoney(c *gin.Context) ([]ledger.Money, error) {
	var out []ledger.Money
	for i := 1; i <= 5; i++ {
		amt := strings.TrimSpace(strings.Replace(c.PostForm(fmt.Sprintf("amount_%d", i)), ",", ".", 1))
		if amt == "" {
			continue
		}
		m, err := ledger.ParseMoney(amt, c.PostForm(fmt.Sprintf("currency_%d", i)))
		if err != nil {
			return nil, ledger.Errorf(ledger.EINVALID, "row %d: %s", i, ledger.ErrorMessage(err))
		}
		out = append(out, m)
	}
	return out, nil
}

func formDate(c *gin.Context, field string) (time.Time, error) {
	v := strings.TrimSpace(c.PostForm(field))
	if v == "" {
		return ledger.Date(time.Now()), nil
	}
	return ledger.ParseDate(field, v)
}

func formDonation(c *gin.Context) (*ledger.Donation, error) {
	m, err := ledger.ParseMoney(strings.TrimSpace(strings.Replace(c.PostForm("amount"), ",", ".", 1)), c.PostForm("currency"))
	if err != nil {
		return nil, err
	}
	on, err := formDate(c, "received_on")
	if err != nil {
		return nil, err
	}
	return &ledger.Donation{
		Fund: c.PostForm("fund"), Amount: m, Channel: ledger.Channel(c.PostForm("channel")), ReceivedOn: on,
		Donor: ledger.Donor{Name: c.PostForm("name"), Email: strings.TrimSpace(c.PostForm("email")),
			Organisation: c.PostForm("organisation"), Country: c.PostForm("country")},
		Acknowledgement: ledger.Acknowledgement{Display: ledger.AckDisplay(c.PostForm("display")), Alias: c.PostForm("alias"),
			ShowAmount: c.PostForm("show_amount") == "true"},
		Message: c.PostForm("message"),
	}, nil
}

// moneyPage is the committee's page for money that came in offline.
func (s *Server) handleMoneyPage(c *gin.Context) {
	s.moneyPage(c, "", nil)
}

func (s *Server) moneyPage(c *gin.Context, notice string, formErr error) {
	l := lang(c)
	ctx := c.Request.Context()
	funds, err := s.Funds.ListFunds(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	batches, err := s.Batches.ListBatches(ctx, ledger.BatchOpen, 20)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	collections, err := s.Collections.ListCollections(ctx, 20)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	var codes []string
	for _, cur := range ledger.Currencies() {
		codes = append(codes, cur.Code)
	}
	status := http.StatusOK
	errMsg := ""
	if formErr != nil {
		status, errMsg = statusOf(formErr), ledger.ErrorMessage(formErr)
	}
	s.renderWS(c, status, "ws_money.html", struct {
		wsPage
		Funds       []*ledger.Fund
		Batches     []*ledger.Batch
		Collections []*ledger.Collection
		Currencies  []string
		Channels    []ledger.Channel
		Today       string
		Key         string
		Notice      string
		Error       string
		Rows        []int
	}{s.newWSPage(c, l, l.T("wsm.title"), "money"), funds, batches, collections, codes, ledger.OfflineChannels,
		time.Now().Format(time.DateOnly), uuid.NewString(), notice, errMsg, []int{1, 2, 3}})
}

func statusOf(err error) int {
	if st, ok := statuses[ledger.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// renderWS renders a workspace page: never cached, never framed.
func (s *Server) renderWS(c *gin.Context, status int, name string, data any) {
	c.Header("Cache-Control", "no-store")
	s.render(c, status, name, data)
}

func (s *Server) handleMoneyDonation(c *gin.Context) {
	d, err := formDonation(c)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	d.IdempotencyKey, d.Fingerprint = formKey(c), "committee-form"
	rec, err := s.Donations.RecordDonation(c.Request.Context(), d)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	s.audit(c, "donation.record", "donation:"+rec.ID, map[string]string{"fund": rec.Fund, "amount": rec.Amount.String(), "channel": string(rec.Channel)})
	s.moneyPage(c, lang(c).T("wsm.recorded", lang(c).Money(rec.Amount.Amount, rec.Amount.Currency)), nil)
}

func (s *Server) handleMoneyBatchOpen(c *gin.Context) {
	totals, err := formMoney(c)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	var count int
	if _, err := fmt.Sscan(c.PostForm("expected_count"), &count); err != nil {
		s.moneyPage(c, "", ledger.Errorf(ledger.EINVALID, "expected_count must be a number of entries"))
		return
	}
	b := &ledger.Batch{Fund: c.PostForm("fund"), Channel: ledger.Channel(c.PostForm("channel")), Description: c.PostForm("description"),
		Expected: ledger.ControlTotals{Count: count, Totals: totals}, OpenedBy: memberName(c), IdempotencyKey: formKey(c), Fingerprint: "committee-form"}
	opened, err := s.Batches.OpenBatch(c.Request.Context(), b)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	s.audit(c, "batch.open", "batch:"+opened.ID, map[string]string{"fund": opened.Fund, "description": opened.Description})
	c.Redirect(http.StatusSeeOther, "/committee/batches/"+opened.ID)
}

func memberName(c *gin.Context) string {
	if m := currentMember(c); m != nil {
		return m.Name
	}
	return ""
}

func (s *Server) handleBatchPage(c *gin.Context) {
	s.batchPage(c, "", nil)
}

func (s *Server) batchPage(c *gin.Context, notice string, formErr error) {
	l := lang(c)
	b, err := s.Batches.FindBatch(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	var codes []string
	for _, cur := range ledger.Currencies() {
		codes = append(codes, cur.Code)
	}
	status, errMsg := http.StatusOK, ""
	if formErr != nil {
		status, errMsg = statusOf(formErr), ledger.ErrorMessage(formErr)
	}
	matches, _ := b.CheckClose("")
	s.renderWS(c, status, "ws_batch.html", struct {
		wsPage
		Batch      *ledger.Batch
		Entered    ledger.ControlTotals
		Matches    bool
		Currencies []string
		Today      string
		Key        string
		Notice     string
		Error      string
	}{s.newWSPage(c, l, b.Description, "money"), b, b.Entered(), matches, codes, time.Now().Format(time.DateOnly),
		uuid.NewString(), notice, errMsg})
}

func (s *Server) handleBatchPageEntry(c *gin.Context) {
	d, err := formDonation(c)
	if err != nil {
		s.batchPage(c, "", err)
		return
	}
	e := &ledger.BatchEntry{Donation: *d, EnteredBy: memberName(c), IdempotencyKey: formKey(c), Fingerprint: "committee-form"}
	if _, err := s.Batches.AddBatchEntry(c.Request.Context(), c.Param("id"), e); err != nil {
		s.batchPage(c, "", err)
		return
	}
	s.audit(c, "batch.entry.add", "batch:"+c.Param("id"), map[string]string{"amount": d.Amount.String()})
	c.Redirect(http.StatusSeeOther, "/committee/batches/"+c.Param("id"))
}

func (s *Server) handleBatchPageRemove(c *gin.Context) {
	err := s.Batches.RemoveBatchEntry(c.Request.Context(), c.Param("id"), c.Param("entry"), memberName(c), formKey(c), "committee-form")
	if err != nil {
		s.batchPage(c, "", err)
		return
	}
	s.audit(c, "batch.entry.remove", "batch:"+c.Param("id"), map[string]string{"entry": c.Param("entry")})
	c.Redirect(http.StatusSeeOther, "/committee/batches/"+c.Param("id"))
}

func (s *Server) handleBatchPageClose(c *gin.Context) {
	b, err := s.Batches.CloseBatch(c.Request.Context(), c.Param("id"), memberName(c),
		ledger.BatchClose{OverrideReason: c.PostForm("override_reason"), IdempotencyKey: formKey(c), Fingerprint: "committee-form"})
	if err != nil {
		s.batchPage(c, "", err)
		return
	}
	s.audit(c, "batch.close", "batch:"+b.ID, map[string]string{"entries": fmt.Sprint(len(b.Entries)), "override_reason": b.OverrideReason})
	s.batchPage(c, lang(c).T("wsm.batch.closed"), nil)
}

func (s *Server) handleMoneyCollection(c *gin.Context) {
	counts, err := formMoney(c)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	on, err := formDate(c, "collected_on")
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	var collectors []string
	for _, line := range strings.Split(c.PostForm("collectors"), "\n") {
		if name := strings.TrimSpace(line); name != "" {
			collectors = append(collectors, name)
		}
	}
	col := &ledger.Collection{Fund: c.PostForm("fund"), Place: c.PostForm("place"), CollectedOn: on, Collectors: collectors, Counts: counts,
		CountedBy:      [2]string{strings.TrimSpace(c.PostForm("counted_by_1")), strings.TrimSpace(c.PostForm("counted_by_2"))},
		IdempotencyKey: formKey(c), Fingerprint: "committee-form"}
	rec, err := s.Collections.RecordCollection(c.Request.Context(), col)
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	s.audit(c, "collection.record", "collection:"+rec.ID, map[string]string{"fund": rec.Fund, "place": rec.Place, "amounts": ledger.JoinMoney(rec.Counts)})
	s.moneyPage(c, lang(c).T("wsm.recorded", ledger.JoinMoney(rec.Counts)), nil)
}

func (s *Server) handleCollectionPageBank(c *gin.Context) {
	on, err := formDate(c, "banked_on")
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	col, err := s.Collections.BankCollection(c.Request.Context(), c.Param("id"), on, formKey(c), "committee-form")
	if err != nil {
		s.moneyPage(c, "", err)
		return
	}
	s.audit(c, "collection.bank", "collection:"+col.ID, map[string]string{"amounts": ledger.JoinMoney(col.Counts)})
	s.moneyPage(c, lang(c).T("wsm.banked", ledger.JoinMoney(col.Counts)), nil)
}
