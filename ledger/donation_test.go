package ledger_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

// validDonation is an anonymous bank transfer that passes Validate.
func validDonation(t *testing.T) *ledger.Donation {
	t.Helper()
	m, err := ledger.ParseMoney("50.00", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return &ledger.Donation{
		ID:             "d-1",
		Fund:           "zhanaozen",
		Amount:         m,
		Channel:        ledger.ChannelBankTransfer,
		ReceivedOn:     day("2011-12-20"),
		IdempotencyKey: "don-1",
		Fingerprint:    "fp-1",
	}
}

func TestDonationValidateOK(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mut   func(*ledger.Donation)
		check func(*testing.T, *ledger.Donation)
	}{
		{"bank transfer", func(d *ledger.Donation) {}, nil},
		{"cash", func(d *ledger.Donation) { d.Channel = ledger.ChannelCash }, nil},
		{"cheque", func(d *ledger.Donation) { d.Channel = ledger.ChannelCheque }, nil},
		{"card", func(d *ledger.Donation) { d.Channel = ledger.ChannelCard }, nil},
		{"organisation", func(d *ledger.Donation) {
			d.Channel, d.Donor.Organisation = ledger.ChannelOrganisation, "Dockers' Union"
		}, nil},
		{"empty display becomes anonymous", func(d *ledger.Donation) { d.Acknowledgement.Display = "" }, func(t *testing.T, d *ledger.Donation) {
			if d.Acknowledgement.Display != ledger.AckAnonymous {
				t.Errorf("display = %q, want anonymous", d.Acknowledgement.Display)
			}
		}},
		{"anonymous with a name", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Donor.Name = ledger.AckAnonymous, "Ana"
		}, nil},
		{"name display with a name", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Donor.Name = ledger.AckName, "Ana"
		}, nil},
		{"name display with an organisation only", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Donor.Organisation = ledger.AckName, "Dockers' Union"
		}, nil},
		{"alias display with an alias", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Acknowledgement.Alias = ledger.AckAlias, "A friend in Aktau"
		}, nil},
		{"text is trimmed", func(d *ledger.Donation) {
			d.Donor = ledger.Donor{Name: "  Ana  ", Email: " ana@example.org\n", Organisation: "\tUnion ", Country: " kz "}
			d.Acknowledgement = ledger.Acknowledgement{Display: ledger.AckAlias, Alias: " Friend "}
			d.Message = "  Solidarity!  "
		}, func(t *testing.T, d *ledger.Donation) {
			want := ledger.Donor{Name: "Ana", Email: "ana@example.org", Organisation: "Union", Country: "KZ"}
			if d.Donor != want || d.Acknowledgement.Alias != "Friend" || d.Message != "Solidarity!" {
				t.Errorf("not normalised: %+v %+v %q", d.Donor, d.Acknowledgement, d.Message)
			}
		}},
		{"received on normalised to the date", func(d *ledger.Donation) {
			d.ReceivedOn = time.Date(2011, 12, 20, 18, 45, 0, 0, time.FixedZone("UTC+6", 6*3600))
		}, func(t *testing.T, d *ledger.Donation) {
			if !d.ReceivedOn.Equal(day("2011-12-20")) || d.ReceivedOn.Location() != time.UTC {
				t.Errorf("received on = %v, want 2011-12-20 UTC", d.ReceivedOn)
			}
		}},
		{"email", func(d *ledger.Donation) { d.Donor.Email = "ana.b+fund@mail.example.org" }, nil},
		{"email of 254 characters", func(d *ledger.Donation) {
			d.Donor.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".org"
		}, nil},
		{"country lower case", func(d *ledger.Donation) { d.Donor.Country = "de" }, func(t *testing.T, d *ledger.Donation) {
			if d.Donor.Country != "DE" {
				t.Errorf("country = %q, want DE", d.Donor.Country)
			}
		}},
		{"message of 2000 characters", func(d *ledger.Donation) { d.Message = strings.Repeat("ж", 2000) }, nil},
		{"name of 200 characters", func(d *ledger.Donation) { d.Donor.Name = strings.Repeat("é", 200) }, nil},
		{"alias of 100 characters", func(d *ledger.Donation) { d.Acknowledgement.Alias = strings.Repeat("x", 100) }, nil},
		{"JPY", func(d *ledger.Donation) {
			d.Amount = ledger.Money{Amount: dec("1500"), Currency: mustCurrency(t, "JPY")}
		}, nil},
		{"KWD", func(d *ledger.Donation) {
			d.Amount = ledger.Money{Amount: dec("0.001"), Currency: mustCurrency(t, "KWD")}
		}, nil},
		{"show amount", func(d *ledger.Donation) { d.Acknowledgement.ShowAmount = true }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDonation(t)
			tc.mut(d)
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
			if err := d.Transaction().Validate(); err != nil {
				t.Fatalf("the donation validates, its transaction does not: %v", err)
			}
		})
	}
}

func TestDonationValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*ledger.Donation)
		subs []string
	}{
		{"no fund", func(d *ledger.Donation) { d.Fund = "" }, []string{"fund: fund slug is required"}},
		{"bad fund", func(d *ledger.Donation) { d.Fund = "Zhanaozen Fund" }, []string{"fund:"}},
		{"no currency", func(d *ledger.Donation) { d.Amount.Currency = ledger.Currency{} }, []string{"currency is required"}},
		{"zero amount", func(d *ledger.Donation) { d.Amount.Amount = decimal.Zero }, []string{"greater than zero"}},
		{"negative amount", func(d *ledger.Donation) { d.Amount.Amount = dec("-5") }, []string{"greater than zero"}},
		{"too many decimals", func(d *ledger.Donation) { d.Amount.Amount = dec("5.001") }, []string{"amount:", "more decimal places than EUR"}},
		{"decimals in JPY", func(d *ledger.Donation) {
			d.Amount = ledger.Money{Amount: dec("1.5"), Currency: mustCurrency(t, "JPY")}
		}, []string{"amount:", "JPY"}},
		{"no channel", func(d *ledger.Donation) { d.Channel = "" }, []string{"channel is required"}},
		{"unknown channel", func(d *ledger.Donation) { d.Channel = "paypal" }, []string{`channel "paypal" is not one of`}},
		{"channel case", func(d *ledger.Donation) { d.Channel = "Cash" }, []string{"is not one of"}},
		{"channel with space", func(d *ledger.Donation) { d.Channel = "cash " }, []string{"is not one of"}},
		{"no date", func(d *ledger.Donation) { d.ReceivedOn = time.Time{} }, []string{"received_on is required"}},
		{"name too long", func(d *ledger.Donation) { d.Donor.Name = strings.Repeat("é", 201) }, []string{"donor.name", "at most 200"}},
		{"organisation too long", func(d *ledger.Donation) { d.Donor.Organisation = strings.Repeat("o", 201) }, []string{"donor.organisation", "at most 200"}},
		{"email too long", func(d *ledger.Donation) {
			d.Donor.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".org"
		}, []string{"donor.email", "at most 254"}},
		{"alias too long", func(d *ledger.Donation) { d.Acknowledgement.Alias = strings.Repeat("x", 101) }, []string{"acknowledgement.alias", "at most 100"}},
		{"message of 2001 characters", func(d *ledger.Donation) { d.Message = strings.Repeat("ж", 2001) }, []string{"message", "at most 2000"}},
		{"message of 10000 characters", func(d *ledger.Donation) { d.Message = strings.Repeat("x", 10000) }, []string{"message", "at most 2000"}},
		{"message invalid UTF-8", func(d *ledger.Donation) { d.Message = "merci \xe0 vous" }, []string{"message", "valid text"}},
		{"name invalid UTF-8", func(d *ledger.Donation) { d.Donor.Name = "\xff" }, []string{"donor.name", "valid text"}},
		{"email without @", func(d *ledger.Donation) { d.Donor.Email = "ana.example.org" }, []string{"donor.email", "not an email address"}},
		{"email without domain", func(d *ledger.Donation) { d.Donor.Email = "ana@" }, []string{"not an email address"}},
		{"email without local part", func(d *ledger.Donation) { d.Donor.Email = "@example.org" }, []string{"not an email address"}},
		{"email with two @", func(d *ledger.Donation) { d.Donor.Email = "a@b@example.org" }, []string{"not an email address"}},
		{"email with display name", func(d *ledger.Donation) { d.Donor.Email = "Ana <ana@example.org>" }, []string{"not an email address"}},
		{"email in angle brackets", func(d *ledger.Donation) { d.Donor.Email = "<ana@example.org>" }, []string{"not an email address"}},
		{"email with comment", func(d *ledger.Donation) { d.Donor.Email = "ana@example.org (Ana)" }, []string{"not an email address"}},
		{"email with space", func(d *ledger.Donation) { d.Donor.Email = "ana b@example.org" }, []string{"not an email address"}},
		{"two emails", func(d *ledger.Donation) { d.Donor.Email = "a@example.org, b@example.org" }, []string{"not an email address"}},
		{"country of three letters", func(d *ledger.Donation) { d.Donor.Country = "DEU" }, []string{"donor.country", "alpha-2"}},
		{"country of one letter", func(d *ledger.Donation) { d.Donor.Country = "D" }, []string{"donor.country"}},
		{"country with digit", func(d *ledger.Donation) { d.Donor.Country = "D1" }, []string{"donor.country"}},
		{"country name", func(d *ledger.Donation) { d.Donor.Country = "Germany" }, []string{"donor.country"}},
		{"country non-ASCII", func(d *ledger.Donation) { d.Donor.Country = "ÄB" }, []string{"donor.country"}},
		{"country with inner space", func(d *ledger.Donation) { d.Donor.Country = "D E" }, []string{"donor.country"}},
		{"organisation channel without organisation", func(d *ledger.Donation) { d.Channel = ledger.ChannelOrganisation }, []string{"donor.organisation is required"}},
		{"organisation channel with blank organisation", func(d *ledger.Donation) {
			d.Channel, d.Donor.Organisation = ledger.ChannelOrganisation, "   "
		}, []string{"donor.organisation is required"}},
		{"organisation channel with a person only", func(d *ledger.Donation) {
			d.Channel, d.Donor.Name = ledger.ChannelOrganisation, "Ana"
		}, []string{"donor.organisation is required"}},
		{"name display without name or organisation", func(d *ledger.Donation) { d.Acknowledgement.Display = ledger.AckName }, []string{"display is name"}},
		{"name display with blank name", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Donor.Name = ledger.AckName, " \t "
		}, []string{"display is name"}},
		{"name display with alias only", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Acknowledgement.Alias = ledger.AckName, "Friend"
		}, []string{"display is name"}},
		{"alias display without alias", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Donor.Name = ledger.AckAlias, "Ana"
		}, []string{"acknowledgement.alias is required"}},
		{"alias display with blank alias", func(d *ledger.Donation) {
			d.Acknowledgement.Display, d.Acknowledgement.Alias = ledger.AckAlias, "  "
		}, []string{"acknowledgement.alias is required"}},
		{"unknown display", func(d *ledger.Donation) { d.Acknowledgement.Display = "public" }, []string{`display "public" is not one of`}},
		{"display case", func(d *ledger.Donation) { d.Acknowledgement.Display = "Name" }, []string{"is not one of"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDonation(t)
			tc.mut(d)
			err := d.Validate()
			wantInvalid(t, err, tc.subs...)
			// Error messages never carry personal data.
			msg := ledger.ErrorMessage(err)
			for _, pii := range []string{d.Donor.Name, d.Donor.Organisation, d.Message, d.Acknowledgement.Alias} {
				if len(pii) > 3 && strings.Contains(msg, pii) {
					t.Errorf("error message %q repeats personal data %q", msg, pii)
				}
			}
		})
	}
}

func TestDonationTransaction(t *testing.T) {
	for _, tc := range []struct {
		channel  ledger.Channel
		currency string
		amount   string
		debit    string
	}{
		{ledger.ChannelBankTransfer, "EUR", "50.00", "assets:bank:eur"},
		{ledger.ChannelBankTransfer, "USD", "12.5", "assets:bank:usd"},
		{ledger.ChannelBankTransfer, "JPY", "1500", "assets:bank:jpy"},
		{ledger.ChannelCash, "EUR", "20", "assets:cash"},
		{ledger.ChannelCash, "KZT", "5000", "assets:cash"},
		{ledger.ChannelCheque, "EUR", "100.01", "assets:cheques_in_transit"},
		{ledger.ChannelCheque, "GBP", "0.01", "assets:cheques_in_transit"},
		{ledger.ChannelOrganisation, "EUR", "1000", "assets:bank:eur"},
		{ledger.ChannelOrganisation, "KWD", "1.500", "assets:bank:kwd"},
		{ledger.ChannelOrganisation, "JPY", "30000", "assets:bank:jpy"},
		{ledger.ChannelCard, "EUR", "25", "assets:stripe"},
	} {
		t.Run(string(tc.channel)+"/"+tc.currency, func(t *testing.T) {
			m, err := ledger.ParseMoney(tc.amount, tc.currency)
			if err != nil {
				t.Fatal(err)
			}
			d := validDonation(t)
			d.Amount, d.Channel, d.Fund = m, tc.channel, "strike-2024"
			d.Donor.Organisation = "Dockers' Union"
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			tx := d.Transaction()
			if err := tx.Validate(); err != nil {
				t.Fatalf("transaction does not validate: %v", err)
			}
			if len(tx.Postings) != 2 {
				t.Fatalf("%d postings, want 2", len(tx.Postings))
			}
			dr, cr := tx.Postings[0], tx.Postings[1]
			if dr.Account != tc.debit || dr.Account != ledger.DebitAccount(tc.channel, m.Currency) {
				t.Errorf("debit account %q, want %q", dr.Account, tc.debit)
			}
			if want := "income:donations:" + string(tc.channel); cr.Account != want || cr.Account != ledger.IncomeAccount(tc.channel) {
				t.Errorf("credit account %q, want %q", cr.Account, want)
			}
			if !dr.Amount.Equal(m.Amount) || !dr.Amount.IsPositive() {
				t.Errorf("debit %s, want %s", dr.Amount, m.Amount)
			}
			if !cr.Amount.Equal(m.Amount.Neg()) {
				t.Errorf("credit %s, want %s", cr.Amount, m.Amount.Neg())
			}
			for _, p := range tx.Postings {
				if p.Fund != "strike-2024" || p.Currency != m.Currency {
					t.Errorf("posting %+v: want fund strike-2024 and currency %s", p, m.Currency)
				}
			}
			if tx.IdempotencyKey != d.IdempotencyKey || tx.Fingerprint != d.Fingerprint || !tx.EffectiveDate.Equal(d.ReceivedOn) {
				t.Errorf("transaction key %q fingerprint %q date %v do not follow the donation", tx.IdempotencyKey, tx.Fingerprint, tx.EffectiveDate)
			}
			if tx.Metadata["donation_id"] != d.ID || tx.Metadata["channel"] != string(tc.channel) {
				t.Errorf("metadata %v", tx.Metadata)
			}
			if want := "Donation by " + strings.ReplaceAll(string(tc.channel), "_", " "); tx.Description != want {
				t.Errorf("description %q, want %q", tx.Description, want)
			}
			if tx.ReversalOf != "" || tx.ID != "" {
				t.Errorf("transaction has ID %q reversal_of %q", tx.ID, tx.ReversalOf)
			}
			// No personal data leaks into the public books.
			all := fmt.Sprint(tx)
			for _, pii := range []string{d.Donor.Organisation, "ana@"} {
				if strings.Contains(all, pii) {
					t.Errorf("transaction contains personal data %q", pii)
				}
			}
		})
	}
}

// TestPropertyDonations draws random valid donations: each validates, and so
// does its transaction, which moves exactly the donated amount.
func TestPropertyDonations(t *testing.T) {
	r := newRand(t)
	curs := testCurrencies(t)
	channels := []ledger.Channel{ledger.ChannelBankTransfer, ledger.ChannelCash, ledger.ChannelCheque, ledger.ChannelOrganisation, ledger.ChannelCard}
	displays := []ledger.AckDisplay{"", ledger.AckAnonymous, ledger.AckName, ledger.AckAlias}
	n := iterations(3000)
	for i := range n {
		cur := curs[r.IntN(len(curs))]
		d := &ledger.Donation{
			ID:             fmt.Sprintf("d-%d", i),
			Fund:           randomSlug(r),
			Amount:         ledger.Money{Amount: randomAmount(r, cur).Abs(), Currency: cur},
			Channel:        channels[r.IntN(len(channels))],
			ReceivedOn:     time.Date(1900+r.IntN(8100), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC),
			Donor:          ledger.Donor{Name: "Ana", Organisation: "Union", Email: "ana@example.org", Country: "kz"},
			IdempotencyKey: fmt.Sprintf("don-%d", i),
		}
		d.Acknowledgement = ledger.Acknowledgement{Display: displays[r.IntN(len(displays))], Alias: "Friend", ShowAmount: r.IntN(2) == 0}
		if err := d.Validate(); err != nil {
			t.Fatalf("iteration %d: %+v: %v", i, d, err)
		}
		tx := d.Transaction()
		if err := tx.Validate(); err != nil {
			t.Fatalf("iteration %d: transaction of %+v: %v", i, d, err)
		}
		if !tx.Postings[0].Amount.Equal(d.Amount.Amount) || !tx.Postings[1].Amount.Equal(d.Amount.Amount.Neg()) {
			t.Fatalf("iteration %d: postings %+v for %s", i, tx.Postings, d.Amount)
		}
	}
	t.Logf("%d donations validated", n)
}

// TestDonationEmailErrorOmitsAddress is a regression test for a bug: ledger.Error
// promises its Message "never carries secrets or personal data", but
// Donation.Validate puts the rejected donor email into the message
// (`donor.email "ana@example.org (Ana)" is not an email address`), so it ends
// up in API responses and logs. While the bug is unfixed the test reports
// SKIP; once fixed it passes, and the skip should become t.Errorf.
func TestDonationEmailErrorOmitsAddress(t *testing.T) {
	for _, email := range []string{"ana.kuznetsova@example.org (Ana)", "Ana Kuznetsova <ana.kuznetsova@example.org>", "ana.kuznetsova@@example.org"} {
		d := validDonation(t)
		d.Donor.Email = email
		err := d.Validate()
		wantInvalid(t, err, "donor.email")
		if msg := ledger.ErrorMessage(err); strings.Contains(msg, "ana.kuznetsova") {
			t.Errorf("the error message repeats the donor's email: %q", msg)
		}
	}
}

// FuzzDonationValidate fills a donation's text fields from fuzzed strings:
// Validate never panics, and what it accepts satisfies the database's checks
// on the donations table and the documented limits.
func FuzzDonationValidate(f *testing.F) {
	f.Add("Ana", "ana@example.org", "Union", "kz", "name", "Friend", "Solidarity", "bank_transfer")
	f.Add("", "", "", "", "", "", "", "organisation")
	f.Add(" ", "Ana <a@b.c>", " ", "ıt", "alias", " ", "\xff", "card")
	f.Add("x", "a@b", "y", "DEU", "Name", "z", strings.Repeat("ж", 2001), "cash")
	countryCheck := regexp.MustCompile(`^([A-Z]{2})?$`)
	f.Fuzz(func(t *testing.T, name, email, org, country, display, alias, message, channel string) {
		d := &ledger.Donation{
			Fund:            "zhanaozen",
			Amount:          ledger.Money{Amount: dec("5"), Currency: ledger.Currency{Code: "EUR", Exponent: 2}},
			Channel:         ledger.Channel(channel),
			ReceivedOn:      day("2011-12-20"),
			Donor:           ledger.Donor{Name: name, Email: email, Organisation: org, Country: country},
			Acknowledgement: ledger.Acknowledgement{Display: ledger.AckDisplay(display), Alias: alias},
			Message:         message,
			IdempotencyKey:  "k",
		}
		if err := d.Validate(); err != nil {
			if ledger.ErrorCode(err) != ledger.EINVALID {
				t.Fatalf("Validate: code %q: %v", ledger.ErrorCode(err), err)
			}
			return
		}
		if !countryCheck.MatchString(d.Donor.Country) {
			t.Fatalf("accepted country %q fails the database's check", d.Donor.Country)
		}
		switch d.Acknowledgement.Display {
		case ledger.AckName:
			if d.Donor.Name == "" && d.Donor.Organisation == "" {
				t.Fatal("display name without a name")
			}
		case ledger.AckAlias:
			if d.Acknowledgement.Alias == "" {
				t.Fatal("display alias without an alias")
			}
		case ledger.AckAnonymous:
		default:
			t.Fatalf("accepted display %q", d.Acknowledgement.Display)
		}
		if d.Channel == ledger.ChannelOrganisation && d.Donor.Organisation == "" {
			t.Fatal("organisation channel without an organisation")
		}
		for _, s := range []string{d.Donor.Name, d.Donor.Email, d.Donor.Organisation, d.Acknowledgement.Alias, d.Message} {
			if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
				t.Fatalf("accepted text %q is not valid, trimmed text", s)
			}
		}
		if utf8.RuneCountInString(d.Message) > 2000 {
			t.Fatal("accepted a message over 2000 characters")
		}
		if err := d.Transaction().Validate(); err != nil {
			t.Fatalf("valid donation, invalid transaction: %v", err)
		}
	})
}
