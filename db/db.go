// Package db opens Kasse's database (embedded SQLite by default, PostgreSQL
// when asked), applies the versioned migrations of each dialect, and runs the
// type-agnostic queries the resource engine builds: filters, sorting, paging
// and batched loads. It imports nothing of Kasse's.
package db

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL engine behind a connection.
type Dialect string

// The dialects Kasse runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultURL is the embedded database `make run` uses.
const DefaultURL = "sqlite:data/kasse.db"

// Config says where the database is and how chatty gorm may be.
type Config struct {
	URL    string
	Logger logger.Interface
	// The PostgreSQL pool (SQLite keeps its own small pool: one writer at a
	// time is its rule). Zero values take the defaults below.
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

// Pool defaults, sized for a small machine (2 cores): more connections than
// cores keep the CPU busy while some wait on I/O, and stay well under
// PostgreSQL's default max_connections when several instances share it.
const (
	DefaultMaxOpenConns    = 10
	DefaultMaxIdleConns    = 10
	DefaultConnMaxLifetime = 30 * time.Minute
)

// SQLiteMaxConns is the SQLite pool's size, all of it kept open.
const SQLiteMaxConns = 8

// DialectOf tells which engine a database URL selects.
func DialectOf(url string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return SQLite, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"), nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	default:
		return "", "", fmt.Errorf("database url %q: want sqlite:<path> or postgres://…", url)
	}
}

// Open connects to the database named by cfg.URL. SQLite files get WAL, a busy
// timeout, foreign keys and immediate write transactions, so concurrent
// writers queue instead of failing on lock upgrades.
func Open(cfg Config) (*gorm.DB, error) {
	dialect, dsn, err := DialectOf(cfg.URL)
	if err != nil {
		return nil, err
	}
	gcfg := &gorm.Config{
		NowFunc:                func() time.Time { return Now() },
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 cfg.Logger,
	}
	if gcfg.Logger == nil {
		gcfg.Logger = logger.Discard
	}
	var gdb *gorm.DB
	switch dialect {
	case SQLite:
		if dsn == "" {
			return nil, errors.New("sqlite database url needs a path: sqlite:data/kasse.db")
		}
		if dsn != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(dsn), 0o755); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		// No prepared-statement cache (gorm's PrepareStmt): the driver
		// prepares the SQL again on every execution of a statement it
		// "prepared" (its statement keeps only the text), so the cache
		// saved no parse and cost a statement lookup under a lock on
		// every query.
		gdb, err = gorm.Open(sqlite.Open("file:"+dsn+sep+pragmas), gcfg)
	case Postgres:
		gdb, err = gorm.Open(postgres.Open(dsn), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if err := installObservers(gdb); err != nil {
		return nil, err
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's rule; a small pool keeps readers
		// concurrent under WAL without piling up lock waits. Every
		// connection stays open: a new one runs the pragmas and parses the
		// whole schema on its first statement, which with database/sql's
		// default of 2 idle connections cost more than half of a busy
		// read's CPU.
		sqlDB.SetMaxOpenConns(SQLiteMaxConns)
		sqlDB.SetMaxIdleConns(SQLiteMaxConns)
	} else {
		open, idle, lifetime := cfg.MaxOpenConns, cfg.MaxIdleConns, cfg.ConnMaxLifetime
		if open <= 0 {
			open = DefaultMaxOpenConns
		}
		if idle <= 0 {
			idle = DefaultMaxIdleConns
		}
		if idle > open {
			idle = open
		}
		if lifetime <= 0 {
			lifetime = DefaultConnMaxLifetime
		}
		sqlDB.SetMaxOpenConns(open)
		sqlDB.SetMaxIdleConns(idle)
		sqlDB.SetConnMaxLifetime(lifetime)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	return gdb, nil
}

// DialectOfDB tells which engine an open connection talks to.
func DialectOfDB(gdb *gorm.DB) Dialect {
	if gdb.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// Ping checks the database answers, for readiness probes.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Pinger is a database as a readiness probe sees it (handlers.Pinger).
type Pinger struct{ DB *gorm.DB }

// Ping checks the database answers.
func (p Pinger) Ping(ctx context.Context) error { return Ping(ctx, p.DB) }

// Close releases the connection pool.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Now is the clock every timestamp comes from: UTC, millisecond precision,
// so what is stored is exactly what the API shows.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewID returns an opaque random id in the reference's style ("XGZwpOSrWL").
func NewID() string { return RandomString(10) }

// RandomString returns n characters from a crypto-random alphanumeric stream.
func RandomString(n int) string {
	max := big.NewInt(int64(len(idAlphabet)))
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // the OS random source failing is not recoverable
		}
		b[i] = idAlphabet[v.Int64()]
	}
	return string(b)
}

// SlogLogger adapts gorm's logger to slog for slow-query and error logging;
// SQL parameters are never logged.
func SlogLogger(l *slog.Logger) logger.Interface {
	const slow = 500 * time.Millisecond
	return quietTrace{Interface: logger.NewSlogLogger(l, logger.Config{SlowThreshold: slow, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true}), slow: slow}
}

// quietTrace hands gorm's slog logger only the statements it would log
// (a failure other than "not found", or a slow one): it formats every
// statement it is handed, logged or not, a few percent of a read's CPU.
// At the info level (every statement) it hands over all of them.
type quietTrace struct {
	logger.Interface
	slow time.Duration
	all  bool
}

func (q quietTrace) LogMode(level logger.LogLevel) logger.Interface {
	return quietTrace{Interface: q.Interface.LogMode(level), slow: q.slow, all: level >= logger.Info}
}

// ParamsFilter is the wrapped logger's: gorm asks the logger it holds
// whether to leave the values out of the SQL it logs
// (ParameterizedQueries), and an embedded interface does not pass the
// question on by itself.
func (q quietTrace) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := q.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}

func (q quietTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if !q.all && (err == nil || errors.Is(err, logger.ErrRecordNotFound)) && time.Since(begin) <= q.slow {
		return
	}
	q.Interface.Trace(ctx, begin, fc, err)
}
