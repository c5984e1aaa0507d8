package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/fundledger/fundledger/internal/statement"
	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// maxStatementBody caps a statement upload; a month of a busy account is a
// few megabytes.
const maxStatementBody = 32 << 20

type statementRequest struct {
	Account  string          `json:"account"`
	Format   string          `json:"format"`
	Content  string          `json:"content"`
	CSV      json.RawMessage `json:"csv"`
	Currency string          `json:"currency"`
	Opening  string          `json:"opening"`
}

type importJSON struct {
	Statements  int `json:"statements"`
	Lines       int `json:"lines"`
	Duplicates  int `json:"duplicates"`
	AutoMatched int `json:"auto_matched"`
	Proposed    int `json:"proposed"`
}

func tokenName(c *gin.Context) string {
	if t, ok := c.Get("token"); ok {
		return t.(*ledger.Token).Name
	}
	return ""
}

// handleStatementImport imports bank statements and matches their lines.
func (s *Server) handleStatementImport(c *gin.Context) {
	var req statementRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	sts, err := statement.Parse(req.Format, req.Account, []byte(req.Content), req.CSV, req.Currency, req.Opening)
	if err != nil {
		writeError(c, err)
		return
	}
	var total importJSON
	for _, st := range sts {
		r, err := s.Reconciliation.ImportStatement(c.Request.Context(), req.Account, st, tokenName(c))
		if err != nil {
			writeError(c, err)
			return
		}
		total.Statements += r.Statements
		total.Lines += r.Lines
		total.Duplicates += r.Duplicates
		total.AutoMatched += r.AutoMatched
		total.Proposed += r.Proposed
	}
	c.JSON(http.StatusOK, total)
}

type candidateJSON struct {
	TransactionID string `json:"transaction_id"`
	Date          string `json:"date"`
	Description   string `json:"description"`
	Score         int    `json:"score"`
	Reason        string `json:"reason"`
}

type lineJSON struct {
	ID            int64           `json:"id"`
	Account       string          `json:"account"`
	Ref           string          `json:"ref"`
	BookingDate   string          `json:"booking_date"`
	Amount        string          `json:"amount"`
	Currency      string          `json:"currency"`
	Counterparty  string          `json:"counterparty"`
	Remittance    string          `json:"remittance"`
	EndToEndID    string          `json:"end_to_end_id,omitempty"`
	Status        string          `json:"status"`
	TransactionID string          `json:"transaction_id,omitempty"`
	Locked        bool            `json:"locked"`
	Candidates    []candidateJSON `json:"candidates,omitempty"`
}

func newLineJSON(l ledger.StoredLine) lineJSON {
	j := lineJSON{ID: l.ID, Account: l.Account, Ref: l.Ref, BookingDate: l.BookingDate.Format(time.DateOnly),
		Amount: amountString(l.Amount, l.Currency), Currency: l.Currency.Code, Counterparty: l.Counterparty, Remittance: l.Remittance,
		EndToEndID: l.EndToEndID, Status: string(l.Status), TransactionID: l.TransactionID, Locked: l.Locked}
	for _, c := range l.Candidates {
		j.Candidates = append(j.Candidates, candidateJSON{TransactionID: c.TransactionID, Date: c.Date.Format(time.DateOnly),
			Description: c.Description, Score: c.Score, Reason: c.Reason})
	}
	return j
}

func (s *Server) handleLineList(c *gin.Context) {
	f := ledger.LineFilter{Account: c.Query("account")}
	if f.Account == "" {
		writeError(c, ledger.Errorf(ledger.EINVALID, "account is required, such as ?account=assets:bank:eur"))
		return
	}
	if st := c.Query("status"); st != "" {
		ls := ledger.LineStatus(st)
		f.Status = &ls
	}
	var err error
	if f.From, err = parseOptionalDate("from", c.Query("from")); err != nil {
		writeError(c, err)
		return
	}
	if f.To, err = parseOptionalDate("to", c.Query("to")); err != nil {
		writeError(c, err)
		return
	}
	lines, err := s.Reconciliation.Lines(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]lineJSON, len(lines))
	for i, l := range lines {
		out[i] = newLineJSON(l)
	}
	c.JSON(http.StatusOK, gin.H{"lines": out})
}

func lineID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ledger.Errorf(ledger.ENOTFOUND, "statement line %q not found", c.Param("id"))
	}
	return id, nil
}

type matchRequest struct {
	TransactionID string `json:"transaction_id"`
}

func (s *Server) handleLineMatch(c *gin.Context) {
	id, err := lineID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var req matchRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	if err := s.Reconciliation.ConfirmMatch(c.Request.Context(), id, req.TransactionID, tokenName(c)); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"matched": true})
}

func (s *Server) handleLineUnmatch(c *gin.Context) {
	id, err := lineID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.Reconciliation.Unmatch(c.Request.Context(), id); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"matched": false})
}

type lineDonationRequest struct {
	Fund            string              `json:"fund"`
	Acknowledgement acknowledgementJSON `json:"acknowledgement"`
}

// handleLineDonation turns an unmatched credit into a bank-transfer donation.
func (s *Server) handleLineDonation(c *gin.Context) {
	id, err := lineID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var req lineDonationRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	a := ledger.Acknowledgement{Display: ledger.AckDisplay(req.Acknowledgement.Display), Alias: req.Acknowledgement.Alias, ShowAmount: req.Acknowledgement.ShowAmount}
	d, err := s.Reconciliation.LineToDonation(c.Request.Context(), id, req.Fund, a, tokenName(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, newDonationResponse(d))
}

type lineExpenseRequest struct {
	Fund        string `json:"fund"`
	Account     string `json:"account"`
	Description string `json:"description"`
}

// handleLineExpense turns an unmatched debit into an expense or a grant payment.
func (s *Server) handleLineExpense(c *gin.Context) {
	id, err := lineID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var req lineExpenseRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	t, err := s.Reconciliation.LineToExpense(c.Request.Context(), id, req.Fund, req.Account, req.Description, tokenName(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, newTransactionResponse(t))
}

type ledgerEntryJSON struct {
	TransactionID string `json:"transaction_id"`
	Date          string `json:"date"`
	Description   string `json:"description"`
	Amount        string `json:"amount"`
}

// handleReconciliation compares a bank account's statements with the books.
func (s *Server) handleReconciliation(c *gin.Context) {
	from, err := ledger.ParseDate("from", c.Query("from"))
	if err != nil {
		writeError(c, err)
		return
	}
	to, err := ledger.ParseDate("to", c.Query("to"))
	if err != nil {
		writeError(c, err)
		return
	}
	r, err := s.Reconciliation.Reconcile(c.Request.Context(), c.Query("account"), from, to)
	if err != nil {
		writeError(c, err)
		return
	}
	out := gin.H{"account": r.Account, "currency": r.Currency.Code, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly),
		"ledger_balance": amountString(r.LedgerBalance.Amount, r.Currency), "statement_closing": nil, "difference": nil,
		"reconciled_through": nil}
	if r.StatementClosing != nil {
		out["statement_closing"] = amountString(r.StatementClosing.Amount, r.Currency)
		out["difference"] = amountString(r.Difference.Amount, r.Currency)
	}
	if r.ReconciledThrough != nil {
		out["reconciled_through"] = r.ReconciledThrough.Format(time.DateOnly)
	}
	lines := make([]lineJSON, len(r.UnmatchedLines))
	for i, l := range r.UnmatchedLines {
		lines[i] = newLineJSON(l)
	}
	entries := make([]ledgerEntryJSON, len(r.UnmatchedLedger))
	for i, e := range r.UnmatchedLedger {
		entries[i] = ledgerEntryJSON{TransactionID: e.TransactionID, Date: e.Date.Format(time.DateOnly), Description: e.Description,
			Amount: amountString(e.Amount.Amount, e.Amount.Currency)}
	}
	out["unmatched_lines"], out["unmatched_ledger"] = lines, entries
	c.JSON(http.StatusOK, out)
}

type reconciledRequest struct {
	Account string `json:"account"`
	Through string `json:"through"`
}

// handleMarkReconciled locks a reconciled period.
func (s *Server) handleMarkReconciled(c *gin.Context) {
	var req reconciledRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	through, err := ledger.ParseDate("through", req.Through)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.Reconciliation.MarkReconciled(c.Request.Context(), req.Account, through, tokenName(c)); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"account": req.Account, "reconciled_through": through.Format(time.DateOnly)})
}
