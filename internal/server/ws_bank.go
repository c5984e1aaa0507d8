package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// The committee's pages for the bank: import a statement, see what does not
// match, settle each line in one action, mark a period reconciled.

// bankQuery is the account and period the bank page shows, from the query
// or the form, with the current month as the default.
func bankQuery(c *gin.Context) (account string, from, to time.Time, err error) {
	get := func(k string) string {
		if v := c.Query(k); v != "" {
			return v
		}
		return c.PostForm(k)
	}
	account = get("account")
	if account == "" {
		account = "assets:bank:eur"
	}
	now := time.Now().UTC()
	from, to = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), ledger.Date(now)
	if v := get("from"); v != "" {
		if from, err = ledger.ParseDate("from", v); err != nil {
			return
		}
	}
	if v := get("to"); v != "" {
		to, err = ledger.ParseDate("to", v)
	}
	return
}

func bankURL(account string, from, to time.Time) string {
	q := url.Values{"account": {account}, "from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	return "/committee/bank?" + q.Encode()
}

func (s *Server) handleBankPage(c *gin.Context) {
	s.bankPage(c, c.Query("notice"), nil)
}

func (s *Server) bankPage(c *gin.Context, notice string, formErr error) {
	l := lang(c)
	ctx := c.Request.Context()
	account, from, to, err := bankQuery(c)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	accts, err := s.Accounts.ListAccounts(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	var banks []string
	for _, a := range accts {
		if strings.HasPrefix(a.Code, ledger.AccountBank+":") {
			banks = append(banks, a.Code)
		}
	}
	funds, err := s.Funds.ListFunds(ctx)
	if err != nil {
		s.renderWSError(c, err)
		return
	}
	var expenses []string
	for _, a := range accts {
		if a.Type == ledger.Expense {
			expenses = append(expenses, a.Code)
		}
	}
	r, err := s.Reconciliation.Reconcile(ctx, account, from, to)
	if err != nil && ledger.ErrorCode(err) != ledger.ENOTFOUND {
		s.renderWSError(c, err)
		return
	}
	status, errMsg := http.StatusOK, ""
	if formErr != nil {
		status, errMsg = statusOf(formErr), ledger.ErrorMessage(formErr)
	}
	s.renderWS(c, status, "ws_bank.html", struct {
		wsPage
		Account       string
		From, To      string
		Banks         []string
		Funds         []*ledger.Fund
		Expenses      []string
		Report        *ledger.Reconciliation
		Query         string
		Notice, Error string
	}{s.newWSPage(c, l, l.T("wsb.title"), "bank"), account, from.Format(time.DateOnly), to.Format(time.DateOnly), banks, funds, expenses,
		r, strings.TrimPrefix(bankURL(account, from, to), "/committee/bank?"), notice, errMsg})
}

// handleBankImport takes a statement file from the upload form.
func (s *Server) handleBankImport(c *gin.Context) {
	account, from, to, err := bankQuery(c)
	if err != nil {
		s.bankPage(c, "", err)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		s.bankPage(c, "", ledger.Errorf(ledger.EINVALID, "choose the statement file to import"))
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.bankPage(c, "", err)
		return
	}
	content, err := io.ReadAll(io.LimitReader(f, maxStatementBody))
	f.Close()
	if err != nil {
		s.bankPage(c, "", err)
		return
	}
	sts, err := statement.Parse(c.PostForm("format"), account, content, []byte(c.PostForm("csv")), c.PostForm("currency"), c.PostForm("opening"))
	if err != nil {
		s.bankPage(c, "", err)
		return
	}
	var total ledger.ImportResult
	for _, st := range sts {
		r, err := s.Reconciliation.ImportStatement(c.Request.Context(), account, st, memberName(c))
		if err != nil {
			s.bankPage(c, "", err)
			return
		}
		total.Statements += r.Statements
		total.Lines += r.Lines
		total.Duplicates += r.Duplicates
		total.AutoMatched += r.AutoMatched
		total.Proposed += r.Proposed
	}
	s.audit(c, "statement.import", "account:"+account, map[string]string{"file": fh.Filename, "lines": strconv.Itoa(total.Lines),
		"duplicates": strconv.Itoa(total.Duplicates), "matched": strconv.Itoa(total.AutoMatched)})
	notice := lang(c).T("wsb.imported", total.Lines, total.Duplicates, total.AutoMatched, total.Proposed)
	c.Redirect(http.StatusSeeOther, bankURL(account, from, to)+"&notice="+url.QueryEscape(notice))
}

// lineAction runs one of the line actions and comes back to the page.
func (s *Server) lineAction(c *gin.Context, action string, do func(id int64) (string, error)) {
	id, err := lineID(c)
	if err == nil {
		var subject string
		if subject, err = do(id); err == nil {
			s.audit(c, action, fmt.Sprintf("statement_line:%d", id), map[string]string{"result": subject})
			account, from, to, _ := bankQuery(c)
			c.Redirect(http.StatusSeeOther, bankURL(account, from, to))
			return
		}
	}
	s.bankPage(c, "", err)
}

func (s *Server) handleBankLineMatch(c *gin.Context) {
	s.lineAction(c, "statement_line.match", func(id int64) (string, error) {
		tx := c.PostForm("transaction_id")
		return "transaction:" + tx, s.Reconciliation.ConfirmMatch(c.Request.Context(), id, tx, memberName(c))
	})
}

func (s *Server) handleBankLineUnmatch(c *gin.Context) {
	s.lineAction(c, "statement_line.unmatch", func(id int64) (string, error) {
		return "", s.Reconciliation.Unmatch(c.Request.Context(), id)
	})
}

func (s *Server) handleBankLineDonation(c *gin.Context) {
	s.lineAction(c, "statement_line.donation", func(id int64) (string, error) {
		d, err := s.Reconciliation.LineToDonation(c.Request.Context(), id, c.PostForm("fund"), ledger.Acknowledgement{}, memberName(c))
		if err != nil {
			return "", err
		}
		return "donation:" + d.ID, nil
	})
}

func (s *Server) handleBankLineExpense(c *gin.Context) {
	s.lineAction(c, "statement_line.expense", func(id int64) (string, error) {
		t, err := s.Reconciliation.LineToExpense(c.Request.Context(), id, c.PostForm("fund"), c.PostForm("expense_account"), c.PostForm("description"), memberName(c))
		if err != nil {
			return "", err
		}
		return "transaction:" + t.ID, nil
	})
}

func (s *Server) handleBankReconciled(c *gin.Context) {
	account, from, to, err := bankQuery(c)
	if err == nil {
		if err = s.Reconciliation.MarkReconciled(c.Request.Context(), account, to, memberName(c)); err == nil {
			s.audit(c, "reconciliation.mark", "account:"+account, map[string]string{"through": to.Format(time.DateOnly)})
			c.Redirect(http.StatusSeeOther, bankURL(account, from, to))
			return
		}
	}
	s.bankPage(c, "", err)
}
