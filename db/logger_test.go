package db

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm/logger"
)

// TestSlogLoggerFormatsOnlyWhatItLogs: a statement that is neither failed
// (other than "not found") nor slow is not formatted at all; failures and
// slow statements are logged without their parameters; at the info level
// every statement is.
func TestSlogLoggerFormatsOnlyWhatItLogs(t *testing.T) {
	var out bytes.Buffer
	l := SlogLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		log       logger.Interface
		ago       time.Duration
		err       error
		formatted bool
	}{
		{"fast", l, time.Millisecond, nil, false},
		{"not found", l, time.Millisecond, logger.ErrRecordNotFound, false},
		{"failed", l, time.Millisecond, errors.New("boom"), true},
		{"slow", l, time.Second, nil, true},
		{"info level", l.LogMode(logger.Info), time.Millisecond, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out.Reset()
			formatted := false
			tt.log.Trace(ctx, time.Now().Add(-tt.ago), func() (string, int64) {
				formatted = true
				return "SELECT 1 WHERE secret = ?", 1
			}, tt.err)
			if formatted != tt.formatted || (out.Len() > 0) != tt.formatted {
				t.Fatalf("formatted %v, logged %q; want both %v", formatted, out.String(), tt.formatted)
			}
		})
	}
}

// TestSlogLoggerKeepsValuesOut: a failed statement is logged, through a
// real database, with its SQL and error but without the values bound to
// it (they may be secrets).
func TestSlogLoggerKeepsValuesOut(t *testing.T) {
	var out bytes.Buffer
	gdb, err := Open(Config{URL: "sqlite:" + t.TempDir() + "/kasse.db", Logger: SlogLogger(slog.New(slog.NewTextHandler(&out, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	for _, tt := range []struct {
		name string
		run  func() error
	}{
		{"gorm", func() error {
			var n int
			return Scan(gdb.Raw("SELECT COUNT(*) FROM no_such_table WHERE secret = ?", "s3cret-value"), &n)
		}},
		{"Rows", func() error {
			_, err := Rows(context.Background(), gdb, "SELECT * FROM no_such_table WHERE secret = ?", "s3cret-value")
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out.Reset()
			if err := tt.run(); err == nil {
				t.Fatal("a query on a missing table succeeded")
			}
			logged := out.String()
			if !strings.Contains(logged, "no_such_table") || strings.Contains(logged, "s3cret-value") {
				t.Errorf("logged %q: want the SQL without its value", logged)
			}
		})
	}
}
