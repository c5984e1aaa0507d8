package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/fundledger/fundledger/internal/embeddedpg"
	"github.com/fundledger/fundledger/internal/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// embeddedDatabase is the database the private cluster holds.
const embeddedDatabase = "fundledger"

// openDatabase connects to DATABASE_URL or, when it is unset, to a private
// PostgreSQL cluster in the data directory, started here or already running
// for another fundledger process. close releases what was opened.
func openDatabase(ctx context.Context, cfg Config, log *slog.Logger) (db *postgres.DB, embedded bool, close func(), err error) {
	url := cfg.DatabaseURL
	stop := func() {}
	if url == "" {
		embedded = true
		if _, err := embeddedpg.FindBinDir(); err != nil {
			return nil, true, nil, fmt.Errorf("DATABASE_URL is not set, so fundledger runs its own PostgreSQL, but %w", err)
		}
		dir, _ := filepath.Abs(filepath.Join(cfg.DataDir, "pgdata"))
		log.Info("DATABASE_URL is not set: running a private PostgreSQL cluster", "data_dir", dir)
		cluster, err := embeddedpg.Start(ctx, embeddedpg.Options{DataDir: dir, Logger: log, Attach: true})
		if err != nil {
			return nil, true, nil, fmt.Errorf("start private PostgreSQL: %w", err)
		}
		stop = func() {
			if err := cluster.Stop(context.Background()); err != nil {
				log.Error("stop private PostgreSQL", "error", err)
			}
		}
		if err := createDatabase(ctx, cluster.URL("postgres"), embeddedDatabase); err != nil {
			stop()
			return nil, true, nil, err
		}
		url = cluster.URL(embeddedDatabase)
	}
	db, err = postgres.Open(ctx, url)
	if err != nil {
		stop()
		return nil, embedded, nil, err
	}
	return db, embedded, func() { db.Close(); stop() }, nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to private PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `select exists(select 1 from pg_database where datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, `create database `+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another fundledger process
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
