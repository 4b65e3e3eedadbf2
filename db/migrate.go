package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
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
	return len(results), nil
}
