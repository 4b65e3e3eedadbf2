package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db"
	"kasse/db/dbtest"
	"kasse/engine"
	"kasse/handlers"
	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

// BenchmarkIdempotentWrite compares one write through the real router (POST
// /api/addresses) sent without an Idempotency-Key, with a new key each time
// (claim, run, store the answer) and as a replay of a kept answer (nothing
// runs), on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL. Run
// with `make bench`.
func BenchmarkIdempotentWrite(b *testing.B) {
	dbtest.EachB(b, benchIdempotentWrite)
}

// benchRouter is the real router over gdb for benchmarks (cfg's Payments
// and Checkout, if set, are kept) and an integration access token, with
// the application cache of kasse serve's default.
func benchRouter(b *testing.B, gdb *gorm.DB, cfg handlers.Config) (http.Handler, string) {
	return benchRouterAs(b, gdb, cfg, models.KindIntegration, "")
}

// benchRouterAs is benchRouter with the token of an application of kind
// (a sales channel's with scope, say market:code:eu).
func benchRouterAs(b *testing.B, gdb *gorm.DB, cfg handlers.Config, kind, scope string) (http.Handler, string) {
	org, err := models.EnsureOrganization(gdb)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.New(context.Background(), &models.Identity{DB: gdb}, auth.Config{Issuer: testBaseURL, Organization: org, Test: true, ApplicationCacheTTL: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	app, secret, err := models.NewApplication(gdb, kind, "bench", scope, kind == models.KindIntegration)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := svc.Token(context.Background(), auth.TokenRequest{GrantType: auth.GrantClientCredentials, ClientID: app.ClientID, ClientSecret: secret, Scope: scope})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Registry = resources.Default()
	cfg.Engine = engine.New(gdb, cfg.Registry)
	cfg.Engine.BaseURL, cfg.Engine.Payments = testBaseURL, cfg.Payments
	cfg.Auth, cfg.BaseURL, cfg.Database = svc, testBaseURL, db.Pinger{DB: gdb}
	cfg.ResourceMeta, cfg.Idempotency = map[string]any{"mode": "test", "organization_id": org.ID}, &models.Idempotency{DB: gdb}
	return handlers.NewRouter(cfg), tok.AccessToken
}

func benchIdempotentWrite(b *testing.B, gdb *gorm.DB) {
	router, token := benchRouter(b, gdb, handlers.Config{})
	const body = `{"data":{"type":"addresses","attributes":{"first_name":"Ada","last_name":"Lovelace","line_1":"1 Rue de Rivoli","city":"Paris","country_code":"FR","phone":"+33 1 00 00 00 00"}}}`
	post := func(b *testing.B, key string, want int) {
		req := httptest.NewRequest(http.MethodPost, "/api/addresses", strings.NewReader(body))
		req.Header.Set("Accept", serializers.MediaType)
		req.Header.Set("Content-Type", serializers.MediaType)
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set(handlers.IdempotencyKeyHeader, key)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("POST /api/addresses: %d %s", rec.Code, rec.Body)
		}
	}
	b.Run("without key", func(b *testing.B) {
		for b.Loop() {
			post(b, "", http.StatusCreated)
		}
	})
	b.Run("with key", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			post(b, fmt.Sprintf("bench-%s-%d", b.Name(), i), http.StatusCreated)
		}
	})
	b.Run("replay", func(b *testing.B) {
		post(b, "bench-replay", http.StatusCreated)
		for b.Loop() {
			post(b, "bench-replay", http.StatusCreated)
		}
	})
}
