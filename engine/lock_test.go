package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
)

// TestTransactRetriesOnce: a deadlock or serialization failure runs the
// transaction again once; a second one is a 503, never a 500.
func TestTransactRetriesOnce(t *testing.T) {
	e := &Engine{DB: dbtest.SQLite(t)}
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	other := errors.New("boom")
	for _, tc := range []struct {
		name      string
		failures  []error // what each attempt returns
		wantCalls int
		wantCode  errs.Code // "" for no client error
		wantErr   error
	}{
		{"success", []error{nil}, 1, "", nil},
		{"deadlock then success", []error{deadlock, nil}, 2, "", nil},
		{"serialization failure then success", []error{&pgconn.PgError{Code: "40001"}, nil}, 2, "", nil},
		{"deadlock twice", []error{deadlock, deadlock}, 2, errs.Unavailable, nil},
		{"deadlock then another error", []error{deadlock, other}, 2, "", other},
		{"another error", []error{other}, 1, "", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := e.transact(context.Background(), func(tx *gorm.DB) error {
				calls++
				return tc.failures[calls-1]
			})
			if calls != tc.wantCalls {
				t.Errorf("fn ran %d times, want %d", calls, tc.wantCalls)
			}
			list, isClient := errs.As(err)
			switch {
			case tc.wantCode != "":
				if !isClient || list[0].Code != tc.wantCode || list[0].Code.Status() != 503 {
					t.Errorf("got %v, want %s (503)", err, tc.wantCode)
				}
			case !errors.Is(err, tc.wantErr):
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}
