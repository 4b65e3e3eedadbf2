package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// migrations holds one directory of versioned SQL files per dialect.
//
//go:embed migrations
var migrations embed.FS

// Migrate applies every pending migration of the connection's dialect and
// returns how many it applied.
func Migrate(ctx context.Context, gdb *gorm.DB) (int, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return 0, err
	}
	dialect := DialectOfDB(gdb)
	dir, err := fs.Sub(migrations, "migrations/"+string(dialect))
	if err != nil {
		return 0, err
	}
	gooseDialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		// Instances starting at once on an empty database take turns: an
		// advisory lock held for the migration's session.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return 0, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(gooseDialect, sqlDB, dir, opts...)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate %s: %w", dialect, err)
	}
	if err := migrateRiver(ctx, dialect, sqlDB); err != nil {
		return 0, fmt.Errorf("migrate %s job queue: %w", dialect, err)
	}
	return len(results), nil
}

// migrateRiver applies the job queue's own migrations (River's tables:
// webhook deliveries are its jobs). On PostgreSQL an advisory lock held on
// one connection makes instances starting at once take turns (River's
// migrations each run in their own transaction: one adds an enum value a
// later one uses); SQLite serializes writers anyway.
func migrateRiver(ctx context.Context, dialect Dialect, sqlDB *sql.DB) error {
	if dialect == SQLite {
		m, err := rivermigrate.New(riversqlite.New(sqlDB), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	m, err := rivermigrate.New(riverdatabasesql.New(sqlDB), nil)
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7405202611)"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7405202611)") //nolint:errcheck // closing the session releases it too
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
