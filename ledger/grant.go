package ledger

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A hardship grant is a case under a pseudonymous reference (G-2011-027):
// the fund, the amount, a category and a short justification. The
// recipient's identity and payment details (GrantRecipient) are kept apart,
// sealed, and shown only to treasurers, each view audited; the books,
// reports and public pages only ever see the reference.
//
// A case needs approvals from several distinct committee members (see
// Grant.CheckApprove) before the treasurer may pay it, in one payment or
// several, never more in all than the approved amount. A top-up raises the
// amount and starts a new round of approvals: until the new round is
// complete, nothing more is paid.

// GrantCategory is what a grant is for.
type GrantCategory string

const (
	GrantRent    GrantCategory = "rent"
	GrantFood    GrantCategory = "food"
	GrantMedical GrantCategory = "medical"
	GrantSchool  GrantCategory = "school"
	GrantFuneral GrantCategory = "funeral"
	GrantHeating GrantCategory = "heating"
	GrantLegal   GrantCategory = "legal"
	GrantOther   GrantCategory = "other"
)

// GrantCategories lists every category, in the order forms show them.
var GrantCategories = []GrantCategory{GrantFood, GrantRent, GrantHeating, GrantMedical, GrantSchool, GrantFuneral, GrantLegal, GrantOther}

// ParseGrantCategory validates a category.
func ParseGrantCategory(s string) (GrantCategory, error) {
	for _, c := range GrantCategories {
		if string(c) == strings.TrimSpace(s) {
			return c, nil
		}
	}
	if strings.TrimSpace(s) == "" {
		return "", Errorf(EINVALID, "category is required (one of %s)", grantCategoryList())
	}
	return "", Errorf(EINVALID, "category %.40q is not one of %s", s, grantCategoryList())
}

func grantCategoryList() string {
	names := make([]string, len(GrantCategories))
	for i, c := range GrantCategories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// GrantStatus is where a case stands.
type GrantStatus string

const (
	// GrantPending waits for approvals: just opened, or topped up.
	GrantPending GrantStatus = "pending"
	// GrantApproved may be paid, up to the approved amount.
	GrantApproved GrantStatus = "approved"
	// GrantPaid is approved and paid in full.
	GrantPaid GrantStatus = "paid"
)

// GrantStatuses lists every status.
var GrantStatuses = []GrantStatus{GrantPending, GrantApproved, GrantPaid}

// ParseGrantStatus validates a status.
func ParseGrantStatus(s string) (GrantStatus, error) {
	for _, st := range GrantStatuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(EINVALID, "status %.40q is not one of pending, approved, paid", s)
}

// Approvals a round needs: DefaultGrantApprovals unless configured
// (FUNDLEDGER_GRANT_APPROVALS), between 1 and MaxGrantApprovals.
const (
	DefaultGrantApprovals = 2
	MaxGrantApprovals     = 20
)

// ParseGrantApprovals reads the configured number of approvals a grant
// needs: "" is DefaultGrantApprovals.
func ParseGrantApprovals(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultGrantApprovals, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxGrantApprovals {
		return 0, Errorf(EINVALID, "the number of approvals a grant needs must be a whole number from 1 to %d, not %.20q", MaxGrantApprovals, s)
	}
	return n, nil
}

// Limits of a grant case.
const (
	MaxJustificationLen  = 500
	MaxRecusalReasonLen  = 500
	MaxTopUpReasonLen    = 500
	maxRecipientFieldLen = 200
)

var grantRefRE = regexp.MustCompile(`^G-[0-9]{4}-[0-9]{3,6}$`)

// GrantRef formats the reference of the seq-th case opened in year:
// GrantRef(2011, 27) is "G-2011-027".
func GrantRef(year, seq int) string { return fmt.Sprintf("G-%04d-%03d", year, seq) }

// ValidateGrantRef checks a reference such as "G-2011-027".
func ValidateGrantRef(ref string) error {
	if !grantRefRE.MatchString(ref) {
		return Errorf(ENOTFOUND, "grant %.20q not found: a reference looks like G-2011-027", ref)
	}
	return nil
}

// Grant is a hardship grant case.
type Grant struct {
	Ref  string // G-<year>-<sequence>, assigned when opened
	Fund string // fund slug
	// Amount is what the case grants: the amount opened plus every top-up.
	Amount        Money
	Category      GrantCategory
	Justification string // short; never names the recipient
	// Round is 1 when the case opens; each top-up starts the next one.
	Round int
	// ApprovalsRequired is how many distinct members must approve a round.
	ApprovalsRequired int
	// ApprovedRound is the last round whose approvals are complete (0:
	// none yet) and ApprovedAmount the Amount it approved.
	ApprovedRound  int
	ApprovedAmount decimal.Decimal
	// Paid is what the payments not reversed add up to, in Amount's currency.
	Paid decimal.Decimal
	// HasRecipient is true when the recipient's details are on file
	// (sealed; see GrantService.GrantRecipient).
	HasRecipient bool
	OpenedBy     Actor // MemberID 0: opened with an API token
	OpenedAt     time.Time
	Approvals    []GrantApproval // every round's, oldest first
	Recusals     []GrantRecusal
	TopUps       []GrantTopUp
	Payments     []GrantPayment
	// IdempotencyKey and Fingerprint identify the request that opened it.
	IdempotencyKey string
	Fingerprint    string
}

// GrantApproval is one member's approval of one round of a case.
type GrantApproval struct {
	Round      int
	MemberID   int64
	MemberName string
	At         time.Time
}

// GrantRecusal records that a member stands aside from a case (a relative,
// a neighbour): they can no longer approve it.
type GrantRecusal struct {
	MemberID   int64
	MemberName string
	Reason     string
	At         time.Time
}

// GrantTopUp raises a case's amount and starts round Round.
type GrantTopUp struct {
	Round          int
	Added          Money
	NewAmount      decimal.Decimal
	Reason         string
	By             Actor
	At             time.Time
	IdempotencyKey string
	Fingerprint    string
}

// GrantPayment is one payment of a case, booked as one transaction:
// Dr expenses:grants / Cr From, in the grant's fund. Paid in another
// currency than the grant's, it goes through equity:conversion with both
// exact amounts as the treasurer gives them.
type GrantPayment struct {
	ID     int64
	Ref    string
	Amount Money  // what the grant receives, in its currency
	From   string // the asset account paid from: assets:bank:kzt, assets:cash
	// Paid is what left From: Amount itself, or the exact amount in
	// another currency.
	Paid          Money
	Date          time.Time
	TransactionID string
	Reversed      bool // its transaction was reversed: it no longer counts
	By            Actor
	At            time.Time
	// IdempotencyKey becomes the transaction's: the same key pays once.
	IdempotencyKey string
	Fingerprint    string
}

// GrantRecipient is who receives a grant and how: personal data, sealed at
// rest and shown only to treasurers. String never prints it.
type GrantRecipient struct {
	Name  string
	Town  string
	Phone string
	// BankAccount is an IBAN or an account number; empty when the money
	// goes in cash through the local committee.
	BankAccount      string
	CashViaCommittee bool
}

// String keeps the details out of logs and error messages.
func (r GrantRecipient) String() string { return "[grant recipient details]" }

// GoString keeps the details out of %#v.
func (r GrantRecipient) GoString() string { return r.String() }

// GrantCap is the most a single case may grant in one fund and currency.
type GrantCap struct {
	Fund  string
	Max   Money
	SetBy Actor
	SetAt time.Time
}

// GrantFilter selects cases; nil fields do not filter. Limit defaults to 100.
type GrantFilter struct {
	Fund   *string
	Status *GrantStatus
	Limit  int
}

// Audit actions of grant cases. Their details never carry recipient data.
const (
	AuditGrantOpen          = "grant.open"
	AuditGrantApprove       = "grant.approve"
	AuditGrantRecuse        = "grant.recuse"
	AuditGrantPay           = "grant.pay"
	AuditGrantTopUp         = "grant.topup"
	AuditGrantCap           = "grant.cap"
	AuditGrantRecipientView = "grant.recipient.view"
	AuditGrantRecipientSet  = "grant.recipient.set"
)

// Validate checks a case about to be opened and normalises its text.
func (g *Grant) Validate() error {
	if err := ValidateSlug(g.Fund); err != nil {
		return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
	}
	if err := validatePositive("amount", g.Amount); err != nil {
		return err
	}
	c, err := ParseGrantCategory(string(g.Category))
	if err != nil {
		return err
	}
	g.Category = c
	g.Justification = strings.TrimSpace(g.Justification)
	if g.Justification == "" {
		return Errorf(EINVALID, "justification is required: say in a sentence what the grant is for, without naming the family")
	}
	return checkText("justification", g.Justification, MaxJustificationLen)
}

// validatePositive checks m is more than zero in a supported currency,
// within its decimals.
func validatePositive(field string, m Money) error {
	if m.Currency.Code == "" {
		return Errorf(EINVALID, "%s: currency is required (an ISO 4217 code such as KZT)", field)
	}
	if c, ok := currencies[m.Currency.Code]; !ok || c != m.Currency {
		return Errorf(EINVALID, "%s: currency %q is not a supported ISO 4217 code", field, m.Currency.Code)
	}
	if !m.Amount.IsPositive() {
		return Errorf(EINVALID, "%s must be greater than zero", field)
	}
	if err := CheckScale(m.Amount, m.Currency); err != nil {
		return Errorf(EINVALID, "%s: %s", field, ErrorMessage(err))
	}
	return nil
}

// Status is where the case stands.
func (g *Grant) Status() GrantStatus {
	switch {
	case g.ApprovedRound < g.Round:
		return GrantPending
	case g.Paid.GreaterThanOrEqual(g.Amount.Amount):
		return GrantPaid
	default:
		return GrantApproved
	}
}

// Payable is what may still be paid: the approved amount less what was
// paid, while the current round is approved; zero otherwise.
func (g *Grant) Payable() decimal.Decimal {
	if g.Status() != GrantApproved {
		return decimal.Zero
	}
	return decimal.Max(decimal.Zero, g.ApprovedAmount.Sub(g.Paid))
}

// RoundApprovals returns the approvals of the current round.
func (g *Grant) RoundApprovals() []GrantApproval {
	var out []GrantApproval
	for _, a := range g.Approvals {
		if a.Round == g.Round {
			out = append(out, a)
		}
	}
	return out
}

// Recused reports whether member stood aside from the case.
func (g *Grant) Recused(member int64) bool {
	for _, r := range g.Recusals {
		if r.MemberID == member {
			return true
		}
	}
	return false
}

// approvedRound reports whether member approved the current round.
func (g *Grant) approvedRound(member int64) bool {
	for _, a := range g.RoundApprovals() {
		if a.MemberID == member {
			return true
		}
	}
	return false
}

// toppedUpBy reports whether member asked for the top-up that started the
// current round.
func (g *Grant) toppedUpBy(member int64) bool {
	for _, t := range g.TopUps {
		if t.Round == g.Round && t.By.MemberID != 0 && t.By.MemberID == member {
			return true
		}
	}
	return false
}

// CheckApprove decides whether by, whose role is role, may approve the
// current round: treasurers and members may, observers may not; the member
// who opened the case (or asked for the top-up being approved) may not; a
// member who recused may not; nobody approves a round twice.
func (g *Grant) CheckApprove(by Actor, role Role) error {
	if by.MemberID == 0 {
		return Errorf(EFORBIDDEN, "grants are approved by committee members, signed in to the workspace")
	}
	if !role.AtLeast(RoleMember) {
		return Errorf(EFORBIDDEN, "an observer cannot approve grants; treasurers and members can")
	}
	if g.OpenedBy.MemberID == by.MemberID {
		return Errorf(EFORBIDDEN, "you opened grant %s, so you cannot approve it: two other members must", g.Ref)
	}
	if g.toppedUpBy(by.MemberID) {
		return Errorf(EFORBIDDEN, "you asked for the top-up of grant %s, so you cannot approve it", g.Ref)
	}
	if g.Recused(by.MemberID) {
		return Errorf(EFORBIDDEN, "you recused yourself from grant %s, so you cannot approve it", g.Ref)
	}
	if g.approvedRound(by.MemberID) {
		return Errorf(ECONFLICT, "you have already approved grant %s; it needs another member's approval", g.Ref)
	}
	if g.Status() != GrantPending {
		return Errorf(ECONFLICT, "grant %s is already approved; nothing waits for approval", g.Ref)
	}
	return nil
}

// CheckRecuse decides whether by may recuse from the case. A member who
// approved the current round cannot take it back by recusing.
func (g *Grant) CheckRecuse(by Actor, role Role) error {
	if by.MemberID == 0 {
		return Errorf(EFORBIDDEN, "members recuse themselves in the workspace")
	}
	if !role.AtLeast(RoleMember) {
		return Errorf(EFORBIDDEN, "an observer does not approve grants, so there is nothing to recuse from")
	}
	if g.Recused(by.MemberID) {
		return Errorf(ECONFLICT, "you have already recused yourself from grant %s", g.Ref)
	}
	if g.approvedRound(by.MemberID) && g.Status() == GrantPending {
		return Errorf(ECONFLICT, "you have already approved this round of grant %s; an approval is not withdrawn", g.Ref)
	}
	return nil
}

// NormaliseRecusalReason trims a reason for recusing (optional).
func NormaliseRecusalReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	return reason, checkText("reason", reason, MaxRecusalReasonLen)
}

// CheckTopUp validates a top-up of the case and normalises it, filling
// Round and NewAmount. A top-up starts a new round of approvals.
func (g *Grant) CheckTopUp(t *GrantTopUp) error {
	if err := validatePositive("amount", t.Added); err != nil {
		return err
	}
	if t.Added.Currency != g.Amount.Currency {
		return Errorf(EINVALID, "a top-up of grant %s is in %s, the grant's currency, not %s", g.Ref, g.Amount.Currency.Code, t.Added.Currency.Code)
	}
	t.Reason = strings.TrimSpace(t.Reason)
	if t.Reason == "" {
		return Errorf(EINVALID, "reason is required: say why the grant needs more")
	}
	if err := checkText("reason", t.Reason, MaxTopUpReasonLen); err != nil {
		return err
	}
	t.Round = g.Round + 1
	t.NewAmount = g.Amount.Amount.Add(t.Added.Amount)
	return nil
}

// CheckCap refuses an amount above the fund's cap for a case (nil: no cap).
func CheckCap(amount Money, c *GrantCap) error {
	if c == nil || c.Max.Currency != amount.Currency || !amount.Amount.GreaterThan(c.Max.Amount) {
		return nil
	}
	return Errorf(EINVALID, "amount %s is above the cap of %s per case in fund %s", amount, c.Max, c.Fund)
}

// Validate checks a cap about to be set.
func (c *GrantCap) Validate() error {
	if err := ValidateSlug(c.Fund); err != nil {
		return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
	}
	return validatePositive("max_amount", c.Max)
}

// Validate checks the recipient's details and trims them: a name and a
// town, and either a bank account (IBAN) or cash through the local
// committee. Its messages never repeat what was typed.
func (r *GrantRecipient) Validate() error {
	r.Name, r.Town = strings.TrimSpace(r.Name), strings.TrimSpace(r.Town)
	r.Phone, r.BankAccount = strings.TrimSpace(r.Phone), strings.TrimSpace(r.BankAccount)
	for _, f := range []struct{ field, v string }{{"recipient.name", r.Name}, {"recipient.town", r.Town}, {"recipient.phone", r.Phone}, {"recipient.bank_account", r.BankAccount}} {
		if err := checkText(f.field, f.v, maxRecipientFieldLen); err != nil {
			return err
		}
	}
	if r.Name == "" {
		return Errorf(EINVALID, "recipient.name is required")
	}
	if r.Town == "" {
		return Errorf(EINVALID, "recipient.town is required")
	}
	if r.BankAccount == "" && !r.CashViaCommittee {
		return Errorf(EINVALID, "recipient: give a bank account (IBAN) or choose cash through the local committee")
	}
	if r.BankAccount != "" && r.CashViaCommittee {
		return Errorf(EINVALID, "recipient: give a bank account or choose cash through the local committee, not both")
	}
	return nil
}

// Validate checks a payment of g and normalises it: Paid defaults to
// Amount; From must be an asset account, and a bank account of a currency
// must be the one Paid is in.
func (p *GrantPayment) Validate(g *Grant) error {
	if p.Amount.Currency.Code == "" {
		p.Amount.Currency = g.Amount.Currency
	}
	if err := validatePositive("amount", p.Amount); err != nil {
		return err
	}
	if p.Amount.Currency != g.Amount.Currency {
		return Errorf(EINVALID, "amount is in %s; grant %s is in %s (give paid_amount and paid_currency to pay from another currency)", p.Amount.Currency.Code, g.Ref, g.Amount.Currency.Code)
	}
	p.From = strings.TrimSpace(p.From)
	if p.From == "" {
		return Errorf(EINVALID, "paid_from is required: the asset account the money leaves, such as %s or %s", BankAccountCode(g.Amount.Currency), AccountCash)
	}
	t, err := AccountTypeOf(p.From)
	if err != nil {
		return Errorf(EINVALID, "paid_from: %s", ErrorMessage(err))
	}
	if t != Asset {
		return Errorf(EINVALID, "paid_from %s is not an asset account: pay from a bank account or cash, such as %s", p.From, BankAccountCode(g.Amount.Currency))
	}
	if p.Paid.Currency.Code == "" {
		p.Paid.Currency = p.Amount.Currency
	}
	if p.Paid.Currency == p.Amount.Currency {
		if p.Paid.Amount.IsZero() {
			p.Paid.Amount = p.Amount.Amount
		}
		if !p.Paid.Amount.Equal(p.Amount.Amount) {
			return Errorf(EINVALID, "paid_amount %s differs from amount %s in the same currency; leave it out when paying in %s", p.Paid, p.Amount, p.Amount.Currency.Code)
		}
	} else if err := validatePositive("paid_amount", p.Paid); err != nil {
		return Errorf(EINVALID, "%s (paying grant %s in %s needs the exact amount that left %s)", ErrorMessage(err), g.Ref, p.Paid.Currency.Code, p.From)
	}
	if rest, ok := strings.CutPrefix(p.From, AccountBank+":"); ok {
		if cur, err := LookupCurrency(rest); err == nil && !strings.Contains(rest, ":") && cur != p.Paid.Currency {
			return Errorf(EINVALID, "paid_from %s holds %s, but the payment leaves it in %s", p.From, cur.Code, p.Paid.Currency.Code)
		}
	}
	if p.Date.IsZero() {
		return Errorf(EINVALID, "date is required (YYYY-MM-DD)")
	}
	p.Date = Date(p.Date)
	if y := p.Date.Year(); y < 1900 || y > 9999 {
		return Errorf(EINVALID, "date %s is out of range (years 1900 to 9999)", p.Date.Format(time.DateOnly))
	}
	return ValidateIdempotencyKey(p.IdempotencyKey)
}

// CheckPayment decides whether amount may be paid now: only an approved
// case is paid, and never beyond its approved amount.
func (g *Grant) CheckPayment(amount Money) error {
	switch g.Status() {
	case GrantPending:
		if g.ApprovedRound > 0 {
			return Errorf(ECONFLICT, "grant %s was topped up to %s and waits for %d fresh approvals (has %d); nothing more is paid until then",
				g.Ref, g.Amount, g.ApprovalsRequired, len(g.RoundApprovals()))
		}
		return Errorf(ECONFLICT, "grant %s is not approved yet: it needs %d approvals and has %d; only an approved grant is paid",
			g.Ref, g.ApprovalsRequired, len(g.RoundApprovals()))
	case GrantPaid:
		return Errorf(ECONFLICT, "grant %s is paid in full (%s)", g.Ref, g.Amount)
	}
	if amount.Amount.GreaterThan(g.Payable()) {
		cur := g.Amount.Currency
		return Errorf(ECONFLICT, "paying %s would exceed grant %s: approved %s, paid %s, at most %s remains",
			amount, g.Ref, Money{g.ApprovedAmount, cur}, Money{g.Paid, cur}, Money{g.Payable(), cur})
	}
	return nil
}

// Transaction builds the payment's journal entry, which names the case by
// its reference only (metadata grant_ref, with grant_category for reports).
func (p *GrantPayment) Transaction(g *Grant) *Transaction {
	t := &Transaction{
		IdempotencyKey: p.IdempotencyKey,
		Fingerprint:    p.Fingerprint,
		EffectiveDate:  p.Date,
		Description:    "Hardship grant " + g.Ref,
		Metadata:       map[string]string{"grant_ref": g.Ref, "grant_category": string(g.Category)},
		Postings: []Posting{
			{Account: AccountGrants, Fund: g.Fund, Amount: p.Amount.Amount, Currency: p.Amount.Currency},
		},
	}
	if p.Paid.Currency == p.Amount.Currency {
		t.Postings = append(t.Postings, Posting{Account: p.From, Fund: g.Fund, Amount: p.Amount.Amount.Neg(), Currency: p.Amount.Currency})
		return t
	}
	t.Description += ", paid in " + p.Paid.Currency.Code
	t.Postings = append(t.Postings,
		Posting{Account: AccountConversion, Fund: g.Fund, Amount: p.Amount.Amount.Neg(), Currency: p.Amount.Currency},
		Posting{Account: AccountConversion, Fund: g.Fund, Amount: p.Paid.Amount, Currency: p.Paid.Currency},
		Posting{Account: p.From, Fund: g.Fund, Amount: p.Paid.Amount.Neg(), Currency: p.Paid.Currency},
	)
	return t
}

// GrantService keeps grant cases. Every change, and every view of a
// recipient's details, is written to the audit log in the same database
// transaction, with details that never carry recipient data.
type GrantService interface {
	// OpenGrant validates g, checks the fund's cap, assigns the next
	// reference of the year and opens the case; r, when given, is sealed.
	// The same IdempotencyKey and Fingerprint return the case opened before.
	OpenGrant(ctx context.Context, by Actor, g *Grant, r *GrantRecipient) (*Grant, error)
	// FindGrant returns a case with its approvals, recusals, top-ups and
	// payments; never its recipient.
	FindGrant(ctx context.Context, ref string) (*Grant, error)
	// ListGrants returns the newest matching cases, with their approvals.
	ListGrants(ctx context.Context, f GrantFilter) ([]*Grant, error)
	// ApproveGrant records by's approval of the current round (see
	// Grant.CheckApprove); the last approval needed approves the case.
	ApproveGrant(ctx context.Context, by Actor, ref string) (*Grant, error)
	// RecuseGrant records that by stands aside from the case.
	RecuseGrant(ctx context.Context, by Actor, ref, reason string) (*Grant, error)
	// TopUpGrant raises the amount (within the cap) and starts a new round
	// of approvals. Idempotent by t's key.
	TopUpGrant(ctx context.Context, by Actor, ref string, t *GrantTopUp) (*Grant, error)
	// PayGrant books a payment of an approved case; idempotent by p's key.
	PayGrant(ctx context.Context, by Actor, ref string, p *GrantPayment) (*GrantPayment, error)
	// GrantRecipient opens the sealed details for a treasurer, recording
	// the view. ENOTFOUND when none are on file.
	GrantRecipient(ctx context.Context, by Actor, ref string) (*GrantRecipient, error)
	// SetGrantRecipient seals and stores (or replaces) the details; a
	// treasurer's task.
	SetGrantRecipient(ctx context.Context, by Actor, ref string, r *GrantRecipient) error
	// SetGrantCap sets the most a case may grant in a fund and currency.
	SetGrantCap(ctx context.Context, by Actor, c *GrantCap) error
	ListGrantCaps(ctx context.Context) ([]GrantCap, error)
}
