package ledger

import (
	"net/mail"
	"strings"
	"time"
)

// Channel is how a donation reached the fund.
type Channel string

const (
	ChannelBankTransfer Channel = "bank_transfer"
	ChannelCash         Channel = "cash"
	ChannelCheque       Channel = "cheque"
	ChannelOrganisation Channel = "organisation"
	ChannelCard         Channel = "card"
)

// OfflineChannels are the channels a committee member records by hand.
var OfflineChannels = []Channel{ChannelBankTransfer, ChannelCash, ChannelCheque, ChannelOrganisation}

// AckDisplay is how a donor consented to be named in public.
type AckDisplay string

const (
	AckName         AckDisplay = "name"
	AckOrganisation AckDisplay = "organisation"
	AckAlias        AckDisplay = "alias"
	AckAnonymous    AckDisplay = "anonymous"
)

// Donor is the person or organisation who gave. Everything here is personal
// data: only what Acknowledgement allows may ever be shown in public.
type Donor struct {
	Name         string
	Email        string
	Organisation string
	Country      string // ISO 3166-1 alpha-2, upper case
}

// Acknowledgement is the donor's consent for the public list.
type Acknowledgement struct {
	Display    AckDisplay
	Alias      string
	ShowAmount bool
}

// Donation is money given to a fund, recorded as one balanced transaction.
type Donation struct {
	ID              string
	Fund            string // fund slug
	Amount          Money
	Channel         Channel
	ReceivedOn      time.Time
	Donor           Donor
	Acknowledgement Acknowledgement
	Message         string
	IdempotencyKey  string
	Fingerprint     string
	TransactionID   string
	RecordedAt      time.Time
	// Lang is the donor's language, for the receipt.
	Lang string
}

// Published reports whether the acknowledgement may appear in public
// without a committee member's approval: anonymous, and without a message.
func (d *Donation) Published() bool {
	return d.Acknowledgement.Display == AckAnonymous && d.Message == ""
}

// Validate checks the donation and normalises its text fields.
func (d *Donation) Validate() error {
	if err := ValidateSlug(d.Fund); err != nil {
		return Errorf(EINVALID, "fund: %s", ErrorMessage(err))
	}
	if d.Amount.Currency.Code == "" {
		return Errorf(EINVALID, "currency is required (an ISO 4217 code such as EUR)")
	}
	if !d.Amount.Amount.IsPositive() {
		return Errorf(EINVALID, "amount must be greater than zero")
	}
	if err := CheckScale(d.Amount.Amount, d.Amount.Currency); err != nil {
		return Errorf(EINVALID, "amount: %s", ErrorMessage(err))
	}
	switch d.Channel {
	case ChannelBankTransfer, ChannelCash, ChannelCheque, ChannelOrganisation, ChannelCard:
	case "":
		return Errorf(EINVALID, "channel is required: bank_transfer, cash, cheque or organisation")
	default:
		return Errorf(EINVALID, "channel %q is not one of bank_transfer, cash, cheque, organisation", d.Channel)
	}
	if d.ReceivedOn.IsZero() {
		return Errorf(EINVALID, "received_on is required (YYYY-MM-DD)")
	}
	d.ReceivedOn = Date(d.ReceivedOn)
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{
		{"donor.name", &d.Donor.Name, 200},
		{"donor.organisation", &d.Donor.Organisation, 200},
		{"donor.email", &d.Donor.Email, 254},
		{"acknowledgement.alias", &d.Acknowledgement.Alias, 100},
		{"message", &d.Message, 2000},
	} {
		*f.v = strings.TrimSpace(*f.v)
		if err := checkText(f.name, *f.v, f.max); err != nil {
			return err
		}
	}
	if d.Donor.Email != "" {
		if a, err := mail.ParseAddress(d.Donor.Email); err != nil || a.Address != d.Donor.Email {
			return Errorf(EINVALID, "donor.email is not an email address: give a plain address such as name@example.org")
		}
	}
	d.Donor.Country = strings.ToUpper(strings.TrimSpace(d.Donor.Country))
	if c := d.Donor.Country; c != "" && (len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
		return Errorf(EINVALID, "donor.country %q must be an ISO 3166-1 alpha-2 code such as DE", c)
	}
	if d.Channel == ChannelOrganisation && d.Donor.Organisation == "" {
		return Errorf(EINVALID, "donor.organisation is required for channel organisation")
	}
	switch d.Acknowledgement.Display {
	case "":
		d.Acknowledgement.Display = AckAnonymous
	case AckAnonymous:
	case AckName:
		if d.Donor.Name == "" && d.Donor.Organisation == "" {
			return Errorf(EINVALID, "acknowledgement.display is name but donor.name and donor.organisation are empty")
		}
	case AckOrganisation:
		if d.Donor.Organisation == "" {
			return Errorf(EINVALID, "acknowledgement.display is organisation but donor.organisation is empty")
		}
	case AckAlias:
		if d.Acknowledgement.Alias == "" {
			return Errorf(EINVALID, "acknowledgement.alias is required when acknowledgement.display is alias")
		}
	default:
		return Errorf(EINVALID, "acknowledgement.display %q is not one of name, organisation, alias, anonymous", d.Acknowledgement.Display)
	}
	return nil
}

// DebitAccount is the asset account that receives a donation on channel ch.
func DebitAccount(ch Channel, cur Currency) string {
	switch ch {
	case ChannelCash:
		return AccountCash
	case ChannelCheque:
		return AccountCheques
	case ChannelCard:
		return AccountStripeClear
	default:
		return BankAccountCode(cur)
	}
}

// IncomeAccount is the income account credited for a donation on channel ch.
func IncomeAccount(ch Channel) string {
	return AccountDonations + ":" + string(ch)
}

// Transaction returns the balanced entry that books the donation: the asset
// that received the money is debited and the channel's income credited, both
// in the donation's fund.
func (d *Donation) Transaction() *Transaction {
	desc := "Donation by " + strings.ReplaceAll(string(d.Channel), "_", " ")
	return &Transaction{
		IdempotencyKey: d.IdempotencyKey,
		Fingerprint:    d.Fingerprint,
		EffectiveDate:  d.ReceivedOn,
		Description:    desc,
		Metadata:       map[string]string{"donation_id": d.ID, "channel": string(d.Channel)},
		Postings: []Posting{
			{Account: DebitAccount(d.Channel, d.Amount.Currency), Fund: d.Fund, Amount: d.Amount.Amount, Currency: d.Amount.Currency},
			{Account: IncomeAccount(d.Channel), Fund: d.Fund, Amount: d.Amount.Amount.Neg(), Currency: d.Amount.Currency},
		},
	}
}
