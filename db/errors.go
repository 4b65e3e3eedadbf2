package db

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func IsUniqueViolation(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey) || (err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed"))
}

// IsForeignKeyViolation reports whether err is a foreign-key failure on
// either engine.
func IsForeignKeyViolation(err error) bool {
	return errors.Is(err, gorm.ErrForeignKeyViolated) || (err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed"))
}

// IsRetryable reports whether err is PostgreSQL aborting a transaction
// because of a concurrent one: a deadlock (SQLSTATE 40P01) or a
// serialization failure (40001). Running the whole transaction again may
// succeed; nothing of the failed attempt was kept.
func IsRetryable(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	return pg.Code == "40P01" || pg.Code == "40001"
}

// ForUpdate locks the selected rows until the transaction ends
// (SELECT … FOR UPDATE on PostgreSQL). SQLite has no row locks: there the
// transaction itself is the lock, as Open makes every transaction an
// immediate write transaction.
func ForUpdate(tx *gorm.DB) *gorm.DB {
	return tx.Clauses(clause.Locking{Strength: "UPDATE"})
}

// LockKey holds an advisory lock on key until the transaction ends, for a
// rule that spans rows no single row lock covers (one purchase per
// customer email, where the customer may not exist yet). On SQLite the
// immediate write transaction is already the lock.
func LockKey(tx *gorm.DB, key string) error {
	if DialectOfDB(tx) != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key).Error
}

// WithoutFlush runs fn in a transaction whose commit does not wait for
// PostgreSQL to flush it to disk (synchronous_commit off): for bookkeeping
// rows whose loss in a database crash is harmless, such as an idempotency
// key's lease and kept answer (a retry after the lease runs the request
// again, and resumes what it created). A later ordinary commit flushes it
// along with its own, WAL being sequential. On SQLite it is an ordinary
// transaction (WAL with synchronous=NORMAL does not flush on commit).
func WithoutFlush(gdb *gorm.DB, fn func(tx *gorm.DB) error) error {
	return gdb.Transaction(func(tx *gorm.DB) error {
		if DialectOfDB(tx) == Postgres {
			if err := tx.Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
				return err
			}
		}
		return fn(tx)
	})
}
