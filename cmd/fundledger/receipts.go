package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/fundledger/fundledger/internal/mail"
	"github.com/fundledger/fundledger/ledger"
)

// receiptInterval is how often the outbox is looked at.
var receiptInterval = 3 * time.Second

// startReceipts sends the receipts waiting in the outbox, now and every few
// seconds, until ctx ends. Without FUNDLEDGER_SMTP_URL they keep waiting:
// nothing is lost, they go out once mail is configured.
func startReceipts(ctx context.Context, cfg Config, outbox ledger.ReceiptService, log *slog.Logger) error {
	if cfg.SMTPURL == "" {
		log.Warn("receipts are not sent: set FUNDLEDGER_SMTP_URL; they wait in the outbox until then")
		return nil
	}
	mc, err := mail.ParseURL(cfg.SMTPURL)
	if err != nil {
		return err
	}
	sender := mail.NewSender(mc, log)
	send := func(ctx context.Context, r *ledger.Receipt) error {
		return sender.Send(ctx, mail.Receipt(r, cfg.PublicURL))
	}
	go func() {
		t := time.NewTicker(receiptInterval)
		defer t.Stop()
		for {
			n, err := ledger.SendReceipts(ctx, outbox, send, mail.Temporary, time.Now)
			if err != nil && ctx.Err() == nil {
				log.Error("send receipts", "error", err)
			}
			if n > 0 {
				log.Info("receipts sent", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}
