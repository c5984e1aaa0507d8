package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/statement"
)

// runImportStatement imports a bank statement file and matches its lines:
//
//	fundledger import-statement --account assets:bank:eur december.xml
//	fundledger import-statement --account assets:bank:eur --format csv --csv-format bank.json --currency EUR --opening 1000.00 export.csv
func runImportStatement(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var account, format, csvFormat, currency, opening string
	var files []string
	fs := newFlags("import-statement", stderr)
	fs.StringVar(&account, "account", "", "the ledger's bank account, such as assets:bank:eur")
	fs.StringVar(&format, "format", "camt053", "camt053 or csv")
	fs.StringVar(&csvFormat, "csv-format", "", "for csv: a JSON `FILE` naming the columns (see README)")
	fs.StringVar(&currency, "currency", "", "for csv: the account's currency")
	fs.StringVar(&opening, "opening", "", "for csv: the opening balance")
	// The file may come before or after the flags.
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if account == "" || len(files) != 1 {
		return errors.New("usage: fundledger import-statement --account CODE [--format camt053|csv] [--csv-format FILE --currency CUR --opening AMOUNT] FILE")
	}
	content, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	var layout []byte
	if csvFormat != "" {
		if layout, err = os.ReadFile(csvFormat); err != nil {
			return err
		}
	}
	sts, err := statement.Parse(format, account, content, layout, currency, opening)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	return withDatabase(ctx, "import-statement", nil, getenv, stderr, nil, func(db *postgres.DB) error {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		rs := postgres.NewReconciliationService(db)
		for _, st := range sts {
			r, err := rs.ImportStatement(ctx, account, st, "command line")
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "statement %s: %d new line(s), %d already imported, %d matched, %d to confirm\n",
				st.ID, r.Lines, r.Duplicates, r.AutoMatched, r.Proposed)
		}
		return nil
	})
}
