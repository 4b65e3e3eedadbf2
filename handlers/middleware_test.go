package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
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
