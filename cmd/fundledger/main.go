// Command fundledger runs the books of a strike hardship fund: the web
// service and the committee's command-line tools. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fundledger/fundledger/ledger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fundledger:", errorText(err))
		os.Exit(1)
	}
}

// errorText shows a domain error's safe message, and anything else in full:
// this is the operator's own terminal.
func errorText(err error) string {
	if ledger.ErrorCode(err) != ledger.EINTERNAL {
		return ledger.ErrorMessage(err)
	}
	return err.Error()
}

const usage = `fundledger: the books of a strike hardship fund

Usage:
  fundledger [serve] [--addr HOST:PORT] [--demo]   run the web service (default)
  fundledger migrate                              apply database migrations
  fundledger token create --name NAME --role treasurer|observer
                                                  create an API token (printed once, on the last line)
  fundledger member add --email EMAIL --name NAME --role treasurer|member|observer
                                                  add a committee member who signs in at /committee; the password
                                                  is the first line of standard input, or generated and printed once
  fundledger member list                          list the committee members
  fundledger member disable --email EMAIL         stop a member signing in and end their sessions
  fundledger verify                               recompute the books from postings and check the hash chain
  fundledger export --format hledger|beancount [--fund SLUG] [--output FILE]
                                                  write the books for hledger or beancount
  fundledger stripe sync [--since 72h]            book Stripe events missed while webhooks were failing
  fundledger import-statement --account CODE [--format camt053|csv] [--csv-format FILE --currency CUR --opening AMOUNT] FILE
                                                  import a bank statement and match its lines

Environment:
  DATABASE_URL           PostgreSQL URL; when unset, a private PostgreSQL cluster runs in FUNDLEDGER_DATA_DIR
  FUNDLEDGER_ADDR        listen address (default :8080)
  FUNDLEDGER_DATA_DIR    where the private cluster keeps its data (default ./.fundledger)
  FUNDLEDGER_DEMO        "true" seeds the demo fund into an empty database (always on with the private cluster)
  FUNDLEDGER_LOG_FORMAT  json or text (default text)
  FUNDLEDGER_LOG_LEVEL   debug, info, warn or error (default info)
  FUNDLEDGER_PUBLIC_URL  where donors reach the service, for Stripe's redirects (default http://localhost:PORT)
  FUNDLEDGER_DEFAULT_FUND receives card payments that name no known fund (default: the oldest fund)
  FUNDLEDGER_SECRET_KEY  32 bytes in base64 (openssl rand -base64 32): seals the committee's two-step sign-in secrets
  STRIPE_SECRET_KEY      Stripe secret key; unset, card donations are off
  STRIPE_WEBHOOK_SECRET  signing secret of the Stripe webhook endpoint
  STRIPE_API_BASE        Stripe API URL, e.g. http://localhost:12111 for stripe-mock
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (len(args[0]) == 0 || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args, getenv, stdout, stderr)
	case "member":
		return runMember(ctx, args, getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, args, getenv, stdout, stderr)
	case "export":
		return runExport(ctx, args, getenv, stdout, stderr)
	case "import-statement":
		return runImportStatement(ctx, args, getenv, stdout, stderr)
	case "stripe":
		return runStripe(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
