package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fundledger/fundledger/internal/export"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/fundledger/fundledger/ledger"
)

// withDatabase parses flags, opens the database and runs fn.
func withDatabase(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer,
	register func(*flagSet), fn func(*postgres.DB) error) error {
	cfg := loadConfig(getenv)
	fs := newFlags(name, stderr)
	if register != nil {
		register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	cfg.LogLevel = "warn" // tools print results, not progress
	db, _, closeDB, err := openDatabase(ctx, cfg, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(db)
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return withDatabase(ctx, "migrate", args, getenv, stderr, nil, func(db *postgres.DB) error {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database schema is at version %d\n", v)
		return nil
	})
}

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: fundledger token create --name NAME --role treasurer|observer")
	}
	var name, role string
	return withDatabase(ctx, "token create", args[1:], getenv, stderr, func(fs *flagSet) {
		fs.StringVar(&name, "name", "", "who or what the token is for")
		fs.StringVar(&role, "role", "", "treasurer (reads and writes) or observer (reads)")
	}, func(db *postgres.DB) error {
		if name == "" {
			return errors.New("token create: --name is required")
		}
		r, err := ledger.ParseRole(role)
		if err != nil {
			return fmt.Errorf("token create: --role: %w", err)
		}
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		secret, t, err := postgres.NewTokenService(db).CreateToken(ctx, name, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created %s token %q (id %d). It is shown only this once; send it as \"Authorization: Bearer <token>\".\n", t.Role, t.Name, t.ID)
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return withDatabase(ctx, "verify", args, getenv, stderr, nil, func(db *postgres.DB) error {
		r, err := postgres.NewVerifier(db).Verify(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "checked %d transactions, %d postings, %d cached balances, and the hash chain\n", r.Transactions, r.Postings, r.Balances)
		if r.OK() {
			fmt.Fprintln(stdout, "OK: every transaction balances, every cached balance equals its postings, the hash chain is intact")
			return nil
		}
		for _, p := range r.Problems {
			fmt.Fprintln(stdout, "PROBLEM:", p)
		}
		return fmt.Errorf("verify found %d problem(s); the books are not sound", len(r.Problems))
	})
}

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var format, fund, output string
	return withDatabase(ctx, "export", args, getenv, stderr, func(fs *flagSet) {
		fs.StringVar(&format, "format", "", "hledger or beancount")
		fs.StringVar(&fund, "fund", "", "export only this fund (slug)")
		fs.StringVar(&output, "output", "", "write to this file instead of standard output")
	}, func(db *postgres.DB) error {
		f, err := export.ParseFormat(format)
		if err != nil {
			return err
		}
		var fundp *string
		if fund != "" {
			if _, err := postgres.NewFundService(db).FindFund(ctx, fund); err != nil {
				return err
			}
			fundp = &fund
		}
		w := stdout
		if output != "" {
			file, err := os.Create(output)
			if err != nil {
				return err
			}
			defer file.Close()
			w = file
		}
		funds := postgres.NewFundService(db)
		src := export.Books{Chart: funds, Funds: funds, Transactions: postgres.NewTransactionService(db)}
		if err := export.Write(ctx, w, f, src, fundp); err != nil {
			return err
		}
		if file, ok := w.(*os.File); ok && output != "" {
			return file.Sync()
		}
		return nil
	})
}
