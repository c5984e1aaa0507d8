package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/fundledger/fundledger/internal/password"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/internal/secret"
	"github.com/fundledger/fundledger/internal/server"
	"github.com/fundledger/fundledger/ledger"
)

// stdin is where "member add" reads a password from; tests replace it.
var stdin io.Reader = os.Stdin

const memberUsage = `usage:
  fundledger member add --email EMAIL --name NAME --role treasurer|member|observer
      reads the password from the first line of standard input; when standard input
      is a terminal or empty, generates a strong password and prints it once
  fundledger member list
  fundledger member disable --email EMAIL`

// runMember manages the committee members who sign in to /committee.
func runMember(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(memberUsage)
	}
	switch args[0] {
	case "add":
		return runMemberAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return withDatabase(ctx, "member list", args[1:], getenv, stderr, nil, func(db *postgres.DB) error {
			if err := db.Migrate(ctx); err != nil {
				return err
			}
			list, err := postgres.NewMemberService(db, nil).ListMembers(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tTWO-STEP\tSTATUS")
			for _, m := range list {
				status := "active"
				if m.DisabledAt != nil {
					status = "disabled " + m.DisabledAt.Format("2006-01-02")
				}
				twoStep := "off"
				if m.TOTP {
					twoStep = "on"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Name, m.Role, twoStep, status)
			}
			return tw.Flush()
		})
	case "disable":
		var email string
		return withDatabase(ctx, "member disable", args[1:], getenv, stderr, func(fs *flagSet) {
			fs.StringVar(&email, "email", "", "the member's email")
		}, func(db *postgres.DB) error {
			if email == "" {
				return errors.New("member disable: --email is required")
			}
			if err := db.Migrate(ctx); err != nil {
				return err
			}
			m, err := postgres.NewMemberService(db, nil).DisableMember(ctx, ledger.CommandLine, email)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Disabled %s <%s>: they can no longer sign in, and their sessions have ended.\n", m.Name, m.Email)
			return nil
		})
	default:
		return fmt.Errorf("unknown member command %q\n%s", args[0], memberUsage)
	}
}

func runMemberAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var email, name, role string
	return withDatabase(ctx, "member add", args, getenv, stderr, func(fs *flagSet) {
		fs.StringVar(&email, "email", "", "the member's email, which they sign in with")
		fs.StringVar(&name, "name", "", "the member's name, as the committee knows them")
		fs.StringVar(&role, "role", "", "treasurer (records, reconciles, manages members), member (approves, reads) or observer (reads)")
	}, func(db *postgres.DB) error {
		if email == "" || name == "" {
			return errors.New("member add: --email and --name are required")
		}
		r, err := ledger.ParseMemberRole(role)
		if err != nil {
			return fmt.Errorf("member add: --role: %w", err)
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return fmt.Errorf("member add: read the password from standard input: %w", err)
		}
		generated := pw == ""
		if generated {
			pw = password.Generate()
		}
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		m := &ledger.Member{Email: email, Name: name, Role: r}
		if err := postgres.NewMemberService(db, nil).AddMember(ctx, ledger.CommandLine, m, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Added %s %s <%s> (member %d). They sign in at /committee/signin.\n", m.Role, m.Name, m.Email, m.ID)
		if generated {
			fmt.Fprintln(stdout, "Their password is shown only this once; give it to them in person or over a safe channel:")
			fmt.Fprintln(stdout, pw)
		}
		return nil
	})
}

// readPassword reads one line from r. A terminal is not read from (the
// password would echo): it, like empty input, gives "" for a generated one.
func readPassword(r io.Reader) (string, error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// wireCommittee gives the server the committee's workspace. The TOTP secrets
// of two-step sign-in are sealed with FUNDLEDGER_SECRET_KEY (32 bytes in
// base64); without it the workspace works with passwords alone.
func wireCommittee(srv *server.Server, db *postgres.DB, getenv func(string) string, publicURL string, log *slog.Logger) error {
	var box *secret.Box
	if k := getenv("FUNDLEDGER_SECRET_KEY"); k != "" {
		key, err := secret.ParseKey(k)
		if err != nil {
			return fmt.Errorf("FUNDLEDGER_SECRET_KEY: %w", err)
		}
		if box, err = secret.New(key); err != nil {
			return fmt.Errorf("FUNDLEDGER_SECRET_KEY: %w", err)
		}
	} else {
		log.Warn("FUNDLEDGER_SECRET_KEY is not set: committee members cannot turn on two-step sign-in (make a key with: openssl rand -base64 32)")
	}
	srv.Members = postgres.NewMemberService(db, box)
	srv.Sessions = postgres.NewSessionService(db)
	srv.Audit = postgres.NewAuditService(db)
	approvals, err := ledger.ParseGrantApprovals(getenv("FUNDLEDGER_GRANT_APPROVALS"))
	if err != nil {
		return fmt.Errorf("FUNDLEDGER_GRANT_APPROVALS: %w", err)
	}
	srv.Grants = postgres.NewGrantService(db, box, approvals)
	srv.SecureCookies = strings.HasPrefix(publicURL, "https://")
	return nil
}
