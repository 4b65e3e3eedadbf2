package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"kasse/handlers"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		r := e.do("GET", "/api/skus", nil, "X-Request-Id", "client-id_1.2:3")
		if got := r.header.Get("X-Request-Id"); got != "client-id_1.2:3" {
			t.Fatalf("sent id not echoed: %q", got)
		}
		// Errors, 404s and probes carry it too.
		for _, path := range []string{"/api/skus/nope", "/nope", "/healthz"} {
			if got := e.do("GET", path, nil, "X-Request-Id", "abc").header.Get("X-Request-Id"); got != "abc" {
				t.Fatalf("GET %s: X-Request-Id %q", path, got)
			}
		}
		seen := map[string]bool{}
		for _, sent := range []string{"", "has spaces", "bad\"quote", strings.Repeat("a", 129)} {
			var headers []string
			if sent != "" {
				headers = []string{"X-Request-Id", sent}
			}
			got := e.do("GET", "/api/skus", nil, headers...).header.Get("X-Request-Id")
			if got == "" || got == sent || len(got) < 16 || seen[got] {
				t.Fatalf("sent %q, got generated id %q", sent, got)
			}
			seen[got] = true
		}
	})
}

func TestProbes(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		for path, want := range map[string]map[string]any{
			"/healthz": {"status": "ok"},
			"/readyz":  {"status": "ok", "database": "ok"},
		} {
			r := e.do("GET", path, nil, "Accept", "").want(t, 200)
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("GET %s: %s", path, r.body)
				}
			}
		}
	})
}

// downDB is a database that does not answer.
type downDB struct{}

func (downDB) Ping(context.Context) error { return errors.New("connection refused") }

// TestReadyzDatabaseDown: /readyz is 503 while the database does not answer.
func TestReadyzDatabaseDown(t *testing.T) {
	eachDBWith(t, handlers.Config{Database: downDB{}}, func(t *testing.T, e *env) {
		r := e.do("GET", "/readyz", nil, "Accept", "").want(t, 503)
		if !strings.Contains(string(r.body), `"database":"unreachable"`) {
			t.Fatalf("GET /readyz: %s", r.body)
		}
		e.do("GET", "/healthz", nil, "Accept", "").want(t, 200)
	})
}
