// Package dbtest gives tests fresh, migrated databases: SQLite always, and
// PostgreSQL when TEST_DATABASE_URL is set. Under CI=true a missing
// TEST_DATABASE_URL fails the test instead of skipping PostgreSQL.
package dbtest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db"
)

// Each runs fn once per database engine, as subtests named "sqlite" and
// "postgres", each with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, gdb *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if url := postgresURL(t); url != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// EachURL is Each for code that opens the database itself (the CLI): fn
// gets the URL of a fresh, empty database per engine, as subtests named
// "sqlite" and "postgres".
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	if url := postgresURL(t); url != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
	}
}

// SQLiteURL returns the URL of a SQLite database file, not yet created, in
// a temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "kasse.db")
}

// postgresURL returns TEST_DATABASE_URL; under CI it must be set.
func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" && os.Getenv("CI") == "true" {
		t.Fatal("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
	}
	return u
}

// SQLite opens a fresh migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return openMigrated(t, SQLiteURL(t))
}

// Postgres creates a fresh schema in the TEST_DATABASE_URL database,
// migrates it, and drops it when the test ends. Tests in parallel each get
// their own schema.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	return openMigrated(t, PostgresURL(t))
}

// PostgresURL creates a fresh, empty schema in the TEST_DATABASE_URL
// database and returns a URL that selects it (search_path), for tests that
// need a database URL rather than a connection, such as the CLI's. The
// schema is dropped when the test ends, so whatever uses the URL must have
// closed its connections by then.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("TEST_DATABASE_URL is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	admin, err := db.Open(db.Config{URL: base})
	if err != nil {
		t.Fatalf("connect to PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	schema := "test_" + strings.ToLower(db.RandomString(12))
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		db.Close(admin)
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close(admin)
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openMigrated(t testing.TB, url string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(db.Config{URL: url})
	if err != nil {
		t.Fatalf("open %s: %v", redact(url), err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	if _, err := db.Migrate(context.Background(), gdb); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return gdb
}

func redact(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		parsed.User = url.User(parsed.User.Username())
		return parsed.String()
	}
	return u
}
