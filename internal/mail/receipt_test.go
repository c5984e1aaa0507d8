package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fundledger/fundledger/internal/mail"
	"github.com/fundledger/fundledger/internal/mail/mailtest"
	"github.com/fundledger/fundledger/ledger"
	"github.com/shopspring/decimal"
)

func TestReceiptInTheDonorsLanguage(t *testing.T) {
	eur, _ := ledger.LookupCurrency("EUR")
	r := &ledger.Receipt{DonationID: "0f7c8f0e-3a47-4a0e-9f60-4b5bd2f52b9a", Email: "ingrid@example.org", Lang: "ru",
		Donor: ledger.Donor{Name: "Ингрид"}, FundName: "Семьи нефтяников Жанаозена",
		Amount: ledger.Money{Amount: decimal.RequireFromString("1500"), Currency: eur}, ReceivedOn: time.Date(2011, 12, 20, 0, 0, 0, 0, time.UTC),
		Channel: ledger.ChannelCard, Acknowledgement: ledger.Acknowledgement{Display: ledger.AckAlias, Alias: "Дочь шахтёра"}, AckToken: "ack_secret"}
	srv := mailtest.Start(t)
	cfg, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := mail.NewSender(cfg, nil).Send(context.Background(), mail.Receipt(r, "https://fund.example.org")); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	for _, want := range []string{"Здравствуйте, Ингрид!", "1\u00a0500,00\u00a0€", "20 декабря 2011 г.", "Дочь шахтёра",
		"https://fund.example.org/my-donation/ack_secret", r.DonationID} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, got.Text)
		}
	}
	if !strings.Contains(got.Subject, "Семьи нефтяников Жанаозена") || got.Header.Get("Content-Language") != "ru" ||
		got.Header.Get("Message-Id") != "<receipt-"+r.DonationID+"@fund.example.org>" {
		t.Fatalf("headers: %q %v", got.Subject, got.Header)
	}
}
