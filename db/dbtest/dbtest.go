// Package dbtest gives tests fresh, migrated databases: SQLite always, and
// PostgreSQL when TEST_DATABASE_URL is set. Under CI=true a missing
// TEST_DATABASE_URL fails the test instead of skipping PostgreSQL.
package dbtest

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"kasse/db"
)

// Each runs fn once per database engine, as parallel subtests named
// "sqlite" and "postgres", each with a fresh migrated database. They run
// after the calling test function returns (its cleanups wait for them),
// so fn must not share unsynchronised state with the caller.
func Each(t *testing.T, fn func(t *testing.T, gdb *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, SQLite(t)) })
	if url := postgresURL(t); url != "" {
		t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, Postgres(t)) })
	}
}

// EachB is Each for a benchmark: sub-benchmarks "sqlite" and, when
// TEST_DATABASE_URL is set (as CI must), "postgres", one after the other.
func EachB(b *testing.B, fn func(b *testing.B, gdb *gorm.DB)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, SQLite(b)) })
	if postgresURL(b) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, Postgres(b)) })
	}
}

// EachURL is Each for code that opens the database itself (the CLI): fn
// gets the URL of a fresh, empty database per engine, as parallel
// subtests named "sqlite" and "postgres".
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, SQLiteURL(t)) })
	if url := postgresURL(t); url != "" {
		t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, PostgresURL(t)) })
	}
}

// SQLiteURL returns the URL of a SQLite database file, not yet created, in
// a temporary directory of its own. Not t.TempDir(): its name comes from
// the test's, and a second subtest's "#01" would end the file name in the
// driver's URL, so tests of every process would share /tmp/TestXsqlite.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kasse-sqlite-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "sqlite:" + filepath.Join(dir, "kasse.db")
}

// postgresURL returns TEST_DATABASE_URL; under CI it must be set.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" && os.Getenv("CI") == "true" {
		t.Fatal("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
	}
	return u
}

// SQLite opens a fresh migrated SQLite database in a temporary directory.
// The first call of a test process migrates a database and keeps its file;
// every call writes a copy of it (goose parsing the migrations again for
// each test was most of a database's setup under -race).
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	image, err := migratedSQLite()
	if err != nil {
		t.Fatalf("migrate a SQLite database: %v", err)
	}
	url := SQLiteURL(t)
	if err := os.WriteFile(strings.TrimPrefix(url, "sqlite:"), image, 0o644); err != nil {
		t.Fatal(err)
	}
	gdb, err := db.Open(db.Config{URL: url})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	return gdb
}

// migratedSQLite is the file of a freshly migrated SQLite database, made
// once per process.
var migratedSQLite = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kasse-dbtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kasse.db")
	gdb, err := db.Open(db.Config{URL: "sqlite:" + path})
	if err != nil {
		return nil, err
	}
	_, err = db.Migrate(context.Background(), gdb)
	if err == nil {
		// Everything into the main file, so that it alone is the database.
		err = gdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	}
	if closeErr := db.Close(gdb); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(path + "-wal"); err == nil && info.Size() > 0 {
		return nil, errors.New("the migrated database's WAL was not checkpointed")
	}
	return os.ReadFile(path)
})

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
	// The admin connection is not held during the test: tests in
	// parallel, and other checkouts' tests, share the server's
	// max_connections.
	schema := "test_" + strings.ToLower(db.RandomString(12))
	if err := adminExec(base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema in the PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// adminExec runs one statement on a connection of its own to url.
func adminExec(url, statement string) error {
	admin, err := db.Open(db.Config{URL: url})
	if err != nil {
		return err
	}
	defer db.Close(admin)
	return admin.Exec(statement).Error
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

// Statements records the statements run on a database (db.ObserveStatements)
// from its creation to the end of the test.
type Statements struct {
	mu   sync.Mutex
	list []db.Statement
	n    atomic.Int64
}

// RecordStatements starts recording the statements run on gdb.
func RecordStatements(t testing.TB, gdb *gorm.DB) *Statements {
	t.Helper()
	s := &Statements{}
	t.Cleanup(db.ObserveStatements(gdb, func(st db.Statement) {
		s.n.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.list = append(s.list, db.Statement{SQL: st.SQL, Vars: append([]any(nil), st.Vars...)})
	}))
	return s
}

// Count is how many statements ran since recording started.
func (s *Statements) Count() int64 { return s.n.Load() }

// Take returns the statements recorded since the last Take and forgets them.
func (s *Statements) Take() []db.Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.list
	s.list = nil
	return out
}

// TakeSQL is Take's statements' SQL.
func (s *Statements) TakeSQL() []string {
	var out []string
	for _, st := range s.Take() {
		out = append(out, st.SQL)
	}
	return out
}
