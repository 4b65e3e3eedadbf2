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
	path := filepath.Join(t.TempDir(), "kasse.db")
	return openMigrated(t, "sqlite:"+path)
}

// Postgres creates a fresh schema in the TEST_DATABASE_URL database,
// migrates it, and drops it when the test ends. Tests in parallel each get
// their own schema.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("TEST_DATABASE_URL is not set")
	}
	admin, err := db.Open(db.Config{URL: base})
	if err != nil {
		t.Fatalf("connect to PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	schema := "test_" + strings.ToLower(db.RandomString(12))
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close(admin)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return openMigrated(t, u.String())
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
