package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"kasse/handlers"
)

// TestSecurityHeaders: every response says nosniff and no-referrer; HSTS
// only on an https origin.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		for _, path := range []string{"/api/skus", "/healthz", "/api/nothing", "/openapi.json"} {
			r := e.raw("GET", path, nil)
			if r.Header().Get("X-Content-Type-Options") != "nosniff" || r.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("GET %s headers %v", path, r.Header())
			}
			if r.Header().Get("Strict-Transport-Security") != "" {
				t.Errorf("GET %s: HSTS on a plain-http origin", path)
			}
		}
	})
	tests := []struct {
		baseURL string
		hsts    bool
	}{{"https://api.example.com", true}, {"http://127.0.0.1:8080", false}}
	for _, tt := range tests {
		r := gin.New()
		r.Use(handlers.SecurityHeaders(tt.baseURL))
		r.GET("/", func(c *gin.Context) { c.Status(http.StatusNoContent) })
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tt.hsts {
			t.Errorf("%s: HSTS %v, want %v", tt.baseURL, got, tt.hsts)
		}
	}
}

// TestMarketSecretIsForIntegrations: a market's shared_secret is shown to
// integrations only; a storefront reading its market gets null.
func TestMarketSecretIsForIntegrations(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		market := e.one(t, "markets", "code_eq", "eu")
		if s, _ := attrs(market)["shared_secret"].(string); len(s) < 16 {
			t.Fatalf("integration sees shared_secret %v", attrs(market)["shared_secret"])
		}
		guest := e.guest(t)
		r := guest.do(t, "GET", "/api/markets/"+id(market), nil).want(t, 200)
		if v, ok := attrs(r.data())["shared_secret"]; !ok || v != nil {
			t.Fatalf("a guest sees shared_secret %v", v)
		}
		customer, _ := e.customer(t, "secretive@example.com")
		if v := attrs(customer.do(t, "GET", "/api/markets/"+id(market), nil).want(t, 200).data())["shared_secret"]; v != nil {
			t.Fatalf("a customer sees shared_secret %v", v)
		}
	})
}
