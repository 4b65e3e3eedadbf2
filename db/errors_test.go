package db_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
)

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("deadlock detected"), false},
		{&pgconn.PgError{Code: "40P01"}, true},
		{&pgconn.PgError{Code: "40001"}, true},
		{fmt.Errorf("save: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
	} {
		if got := db.IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestIsRetryableOnARealDeadlock makes PostgreSQL detect a deadlock (two
// transactions locking two rows in opposite orders) and checks that the
// error gorm returns is classified as retryable. SQLite has no row locks:
// there the same two transactions take turns (Open makes every
// transaction an immediate write transaction, and the second waits for
// the first), so both commit and nothing needs a retry.
func TestIsRetryableOnARealDeadlock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if err := gdb.Exec("CREATE TABLE lock_probe (id int PRIMARY KEY)").Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("INSERT INTO lock_probe VALUES (1), (2)").Error; err != nil {
			t.Fatal(err)
		}
		if db.DialectOfDB(gdb) == db.SQLite {
			errs := takeTurns(gdb)
			if errs[0] != nil || errs[1] != nil || db.IsRetryable(errors.Join(errs[0], errs[1])) {
				t.Fatalf("want both transactions committed, got %v and %v", errs[0], errs[1])
			}
			return
		}
		errs := crossLocks(gdb)
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("want exactly one transaction aborted, got %v and %v", errs[0], errs[1])
		}
		err := errors.Join(errs[0], errs[1])
		if !db.IsRetryable(err) {
			t.Fatalf("IsRetryable(%v) = false, want true", err)
		}
	})
}

// crossLocks runs two transactions that each lock one row of lock_probe
// and then, once the other holds its row, the other's.
func crossLocks(gdb *gorm.DB) [2]error {
	var wg sync.WaitGroup
	firstLocked := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var errs [2]error
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = gdb.Transaction(func(tx *gorm.DB) error {
				var id int
				if err := db.ForUpdate(tx).Table("lock_probe").Where("id = ?", 1+i).Pluck("id", &id).Error; err != nil {
					return err
				}
				close(firstLocked[i])
				<-firstLocked[1-i]
				return db.ForUpdate(tx).Table("lock_probe").Where("id = ?", 2-i).Pluck("id", &id).Error
			})
		}()
	}
	wg.Wait()
	return errs
}

// takeTurns is crossLocks for SQLite, whose second transaction cannot
// start while the first runs: the first writes its two rows in one order
// while the second, started once the first holds its lock, writes them in
// the other.
func takeTurns(gdb *gorm.DB) [2]error {
	started := make(chan struct{})
	var errs [2]error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[0] = gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("UPDATE lock_probe SET id = id WHERE id = 1").Error; err != nil {
				return err
			}
			close(started)
			time.Sleep(50 * time.Millisecond) // the second transaction is waiting by now
			return tx.Exec("UPDATE lock_probe SET id = id WHERE id = 2").Error
		})
	}()
	<-started
	errs[1] = gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE lock_probe SET id = id WHERE id = 2").Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE lock_probe SET id = id WHERE id = 1").Error
	})
	wg.Wait()
	return errs
}
