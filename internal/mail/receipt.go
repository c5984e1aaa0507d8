package mail

import (
	"net/url"
	"strings"

	"github.com/fundledger/fundledger/internal/i18n"
	"github.com/fundledger/fundledger/ledger"
)

// Receipt composes the receipt for a booked donation in the donor's
// language, with the private link where the donor can change how they are
// acknowledged. publicURL is where donors reach the service.
func Receipt(r *ledger.Receipt, publicURL string) Message {
	l, ok := i18n.Parse(r.Lang)
	if !ok {
		l = i18n.EN
	}
	greeting := l.T("email.receipt.greeting_anonymous")
	if r.Donor.Name != "" {
		greeting = l.T("email.receipt.greeting", r.Donor.Name)
	}
	shown := l.T("ack.anonymous")
	switch r.Acknowledgement.Display {
	case ledger.AckName:
		shown = r.Donor.Name
		if shown == "" {
			shown = r.Donor.Organisation
		}
	case ledger.AckOrganisation:
		shown = r.Donor.Organisation
	case ledger.AckAlias:
		shown = r.Acknowledgement.Alias
	}
	link := strings.TrimRight(publicURL, "/") + "/my-donation/" + r.AckToken
	lines := []string{
		greeting,
		"",
		l.T("email.receipt.intro"),
		"",
		l.T("email.receipt.amount", l.Money(r.Amount.Amount, r.Amount.Currency)),
		l.T("email.receipt.fund", r.FundName),
		l.T("email.receipt.date", l.Date(r.ReceivedOn)),
		l.T("email.receipt.reference", r.DonationID),
		"",
		l.T("email.receipt.acknowledged", shown),
		l.T("email.receipt.change_link", link),
		"",
		l.T("email.receipt.thanks"),
		"",
		"-- ",
		l.T("email.receipt.signature"),
	}
	return Message{
		To:        r.Email,
		Subject:   l.T("email.receipt.subject", r.FundName),
		Text:      strings.Join(lines, "\n") + "\n",
		Lang:      string(l),
		MessageID: "receipt-" + r.DonationID + "@" + host(publicURL),
	}
}

// host is the host name of publicURL, for stable Message-IDs: a retried
// receipt keeps its id, so a mail client shows it once.
func host(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "fundledger.invalid"
}
