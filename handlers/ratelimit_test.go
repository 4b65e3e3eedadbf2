package handlers_test

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
)

// TestTokenEndpointLimits: password guesses for one username are cut off
// with 429 and Retry-After whatever the answers were, other usernames go
// on; the per-IP limit counts every token request.
func TestTokenEndpointLimits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		// One clock reading for the whole test: a minute boundary passing
		// between two guesses would start a new window.
		now := time.Now()
		store := &models.RateLimits{DB: gdb, Now: func() time.Time { return now }}
		e := newEnvWith(t, gdb, true, handlers.Config{RateLimits: handlers.RateLimits{Store: store, LoginPerUser: 5, TokenPerIP: 12}})
		app, secret, err := models.NewApplication(gdb, models.KindSalesChannel, "shop", "market:code:eu", false)
		if err != nil {
			t.Fatal(err)
		}
		guess := func(user string) (int, map[string]any) {
			form := url.Values{"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {secret}, "username": {user}, "password": {"guess"}, "scope": {"market:code:eu"}}
			return e.post(t, "application/x-www-form-urlencoded", form.Encode())
		}
		for i := range 5 {
			if status, doc := guess("victim@example.com"); status != 400 {
				t.Fatalf("guess %d: %d %v", i+1, status, doc)
			}
		}
		status, doc := guess("VICTIM@example.com ")
		if status != 429 || doc["error"] != "too_many_requests" {
			t.Fatalf("sixth guess: %d %v", status, doc)
		}
		errors, _ := doc["errors"].([]any)
		if len(errors) != 1 || errors[0].(map[string]any)["code"] != "TOO_MANY_REQUESTS" {
			t.Fatalf("errors %v", doc["errors"])
		}
		if status, _ := guess("someone-else@example.com"); status != 400 {
			t.Fatalf("another username: %d", status)
		}
		// 7 requests so far from this IP; the 13th is refused.
		for range 5 {
			guess("others@example.com")
		}
		rec := e.raw("POST", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {secret}})
		if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("X-Ratelimit-Remaining") != "0" || rec.Header().Get("X-Ratelimit-Limit") != "12" {
			t.Fatalf("per-IP limit: %d %v", rec.Code, rec.Header())
		}
	})
}

// TestAPILimitPerToken: one application's requests past its budget are
// 429 with Retry-After; each answer says what is left; another
// application is not affected.
func TestAPILimitPerToken(t *testing.T) {
	t.Parallel()
	// 12 a minute: a burst of 2, then one every 5 s.
	e := newEnvWith(t, dbtest.SQLite(t), true, handlers.Config{RateLimits: handlers.RateLimits{APIPerToken: 12}})
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/skus", nil)
		req.Header.Set("Accept", "application/vnd.api+json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.router.ServeHTTP(rec, req)
		return rec
	}
	for i, want := range []string{"1", "0"} {
		r := get(e.token)
		if r.Code != 200 || r.Header().Get("X-Ratelimit-Limit") != "12" || r.Header().Get("X-Ratelimit-Interval") != "60" || r.Header().Get("X-Ratelimit-Remaining") != want {
			t.Fatalf("request %d: %d %v", i+1, r.Code, r.Header())
		}
	}
	r := get(e.token)
	if r.Code != 429 || !strings.Contains(r.Body.String(), "TOO_MANY_REQUESTS") {
		t.Fatalf("past the budget: %d %s", r.Code, r.Body)
	}
	if s, _ := strconv.Atoi(r.Header().Get("Retry-After")); s < 1 || s > 5 {
		t.Fatalf("Retry-After %q", r.Header().Get("Retry-After"))
	}
	if r := get(e.tokenFor(models.KindIntegration, "", "", "")); r.Code != 200 {
		t.Fatalf("another application: %d", r.Code)
	}
}

// TestUnknownEmailTakesAsLongAsAWrongPassword: sign-in time does not tell
// whether an email has an account.
func TestUnknownEmailTakesAsLongAsAWrongPassword(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t), true)
	e.create(t, "customers", map[string]any{"email": "known@example.com", "password": "secret-password"}, nil)
	app, secret, err := models.NewApplication(e.db, models.KindSalesChannel, "shop", "market:code:eu", false)
	if err != nil {
		t.Fatal(err)
	}
	median := func(user string) time.Duration {
		var took []time.Duration
		for range 5 {
			start := time.Now()
			form := url.Values{"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {secret}, "username": {user}, "password": {"wrong"}, "scope": {"market:code:eu"}}
			if status, _ := e.post(t, "application/x-www-form-urlencoded", form.Encode()); status != 400 {
				t.Fatalf("%s: %d", user, status)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[2]
	}
	known, unknown := median("known@example.com"), median("unknown@example.com")
	if unknown*3 < known {
		t.Fatalf("a wrong password takes %v, an unknown email %v: the difference tells which emails exist", known, unknown)
	}
}
