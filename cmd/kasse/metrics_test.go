package main

import (
	"encoding/json"
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

// TestServeCompat: --compat (KASSE_COMPAT) mounts only the facades it
// names, and the served OpenAPI document lists only those; an unknown
// name stops serve.
func TestServeCompat(t *testing.T) {
	_, _, err := runCmd(t, noEnv, "serve", "--addr", "127.0.0.1:0", "--database-url", dbtest.SQLiteURL(t), "--compat", "links,bogus")
	if err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Fatalf("--compat with an unknown facade: %v", err)
	}
	s := startServe(t, envFrom(map[string]string{"KASSE_ADDR": "127.0.0.1:0", "DATABASE_URL": dbtest.SQLiteURL(t), "KASSE_COMPAT": "links"}))
	status := func(method, path string) int {
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{"/api/checkout": 401, "/v1/checkouts": 404, "/api/v1/sessions": 404, "/api/v1/checkout": 404} {
		if got := status("POST", path); got != want {
			t.Errorf("POST %s: %d, want %d", path, got, want)
		}
	}
	resp, err := http.Get(s.url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Paths["/api/checkout"] == nil || doc.Paths["/v1/checkouts"] != nil || doc.Paths["/api/v1/sessions"] != nil {
		t.Fatalf("the served document's facade paths: links only, got /api/checkout %v, /v1/checkouts %v", doc.Paths["/api/checkout"] != nil, doc.Paths["/v1/checkouts"] != nil)
	}
}
