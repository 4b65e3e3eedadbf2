package db_test

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

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
// error gorm returns is classified as retryable.
func TestIsRetryableOnARealDeadlock(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("PostgreSQL only (SQLite has no row locks): TEST_DATABASE_URL is not set")
	}
	gdb := dbtest.Postgres(t)
	if err := gdb.Exec("CREATE TABLE lock_probe (id int PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("INSERT INTO lock_probe VALUES (1), (2)").Error; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	firstLocked := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	errs := make([]error, 2)
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
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one transaction aborted, got %v and %v", errs[0], errs[1])
	}
	err := errors.Join(errs[0], errs[1])
	if !db.IsRetryable(err) {
		t.Fatalf("IsRetryable(%v) = false, want true", err)
	}
}
