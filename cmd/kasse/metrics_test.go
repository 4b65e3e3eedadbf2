package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"kasse/db/dbtest"
)

// TestMetricsOnTheirOwnAddress: --metrics-addr serves GET /metrics in
// Prometheus's format on its own listener (requests per route and
// status, the database pool and its statements, the Go runtime); the API's own address has
// no /metrics.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	s := startServe(t, noEnv, "--addr", "127.0.0.1:0", "--database-url", dbURL, "--metrics-addr", "127.0.0.1:0")
	var metricsURL string
	for _, line := range s.stdout {
		if after, ok := strings.CutPrefix(line, "Metrics on "); ok {
			metricsURL = after
		}
	}
	if metricsURL == "" {
		t.Fatalf("serve did not say where its metrics are:\n%s", strings.Join(s.stdout, "\n"))
	}
	if r := send(t, "GET", s.url+"/api/skus", []string{"Accept: application/vnd.api+json"}, ""); r.status != 401 {
		t.Fatalf("GET /api/skus without a token: %d", r.status)
	}
	if r := send(t, "GET", s.url+"/metrics", nil, ""); r.status != http.StatusNotFound {
		t.Fatalf("GET /metrics on the API's address: %d, want 404", r.status)
	}
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", metricsURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`kasse_http_requests_total{method="GET",route="/api/skus",status="401"} 1`,
		`kasse_http_request_duration_seconds_bucket{method="GET",route="/api/skus",status="401"`,
		`go_sql_max_open_connections{db_name="kasse"}`,
		"kasse_db_statements_total ",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestServeRefusesBadCORSOrigins: a --cors-origins entry that is not an
// origin stops serve with a message saying which.
func TestServeRefusesBadCORSOrigins(t *testing.T) {
	for _, bad := range []string{"shop.example", "https://shop.example/path", "ftp://shop.example"} {
		_, _, err := runCmd(t, noEnv, "serve", "--addr", "127.0.0.1:0", "--database-url", dbtest.SQLiteURL(t), "--cors-origins", "https://ok.example,"+bad)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("--cors-origins with %q: %v", bad, err)
		}
	}
}
