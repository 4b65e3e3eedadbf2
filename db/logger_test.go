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
			if strings.Contains(out.String(), "'") {
				t.Errorf("a parameter was logged: %s", out.String())
			}
		})
	}
}
