// Package migrations holds the database schema as numbered SQL files, applied
// in order by jackc/tern. A migration that has shipped is never edited: a
// change is a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
