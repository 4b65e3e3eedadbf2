package models_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

func TestRequestFingerprint(t *testing.T) {
	base := models.RequestFingerprint("POST", "/api/orders", "include=market&fields[orders]=number",
		[]byte(`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`))
	tests := []struct {
		name                string
		method, path, query string
		body                string
		same                bool
	}{
		{"keys reordered and spaced", "POST", "/api/orders", "include=market&fields[orders]=number",
			"{ \"data\": {\"attributes\": {\"metadata\": {\"y\": [1, 2], \"x\": 1.50}, \"customer_email\": \"a@example.com\"}, \"type\": \"orders\"}}\n", true},
		{"query parameters reordered", "POST", "/api/orders", "fields[orders]=number&include=market",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`, true},
		{"another value", "POST", "/api/orders", "include=market&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"b@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`, false},
		{"a number written otherwise", "POST", "/api/orders", "include=market&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.5,"y":[1,2]}}}}`, false},
		{"array order matters", "POST", "/api/orders", "include=market&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[2,1]}}}}`, false},
		{"another path", "POST", "/api/orders/x", "include=market&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`, false},
		{"another method", "PATCH", "/api/orders", "include=market&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`, false},
		{"another query", "POST", "/api/orders", "include=customer&fields[orders]=number",
			`{"data":{"type":"orders","attributes":{"customer_email":"a@example.com","metadata":{"x":1.50,"y":[1,2]}}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.RequestFingerprint(tt.method, tt.path, tt.query, []byte(tt.body)) == base
			if got != tt.same {
				t.Errorf("same fingerprint = %v, want %v", got, tt.same)
			}
		})
	}
	if models.RequestFingerprint("DELETE", "/api/orders/x", "", nil) != models.RequestFingerprint("DELETE", "/api/orders/x", "", []byte("  ")) {
		t.Error("an empty body and a blank one differ")
	}
	if models.RequestFingerprint("POST", "/p", "", []byte("not json")) == models.RequestFingerprint("POST", "/p", "", []byte("not  json")) {
		t.Error("bodies that are not JSON must count byte for byte")
	}
}

func TestKeepsResponse(t *testing.T) {
	tests := []struct {
		status int
		kept   bool
	}{
		{200, true}, {201, true}, {204, true}, {400, true}, {403, true}, {404, true}, {413, true}, {422, true},
		{401, false}, {409, false}, {429, false}, {500, false}, {502, false}, {503, false},
	}
	for _, tt := range tests {
		if got := models.KeepsResponse(tt.status); got != tt.kept {
			t.Errorf("KeepsResponse(%d) = %v, want %v", tt.status, got, tt.kept)
		}
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	tests := []struct {
		key   string
		valid bool
	}{
		{"a", true}, {"0b9f3c2e-6a45-4c1b-9d3e-2f1a5b6c7d8e", true}, {"with space ~!", true}, {strings.Repeat("k", 255), true},
		{"", false}, {strings.Repeat("k", 256), false}, {"tab\there", false}, {"nul\x00", false}, {"é", false}, {"del\x7f", false},
	}
	for _, tt := range tests {
		if got := models.ValidIdempotencyKey(tt.key); got != tt.valid {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", tt.key, got, tt.valid)
		}
	}
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	list, ok := errs.As(err)
	if !ok || list[0].Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func TestIdempotencyClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		svc := &models.Idempotency{DB: gdb}
		scope := models.IdempotencyScope{OrganizationID: "org", ApplicationID: "app", OwnerID: "cus"}
		begin := func(svc *models.Idempotency, scope models.IdempotencyScope, key, fp string) (*models.IdempotencyClaim, *models.StoredResponse, error) {
			t.Helper()
			return svc.Begin(ctx, scope, key, fp)
		}

		claim, stored, err := begin(svc, scope, "k1", "fp1")
		if err != nil || claim == nil || stored != nil {
			t.Fatalf("first use: %v %v %v", claim, stored, err)
		}
		_, _, err = begin(svc, scope, "k1", "fp1")
		wantCode(t, err, errs.IdempotencyKeyInUse)
		_, _, err = begin(svc, scope, "k1", "fp2")
		wantCode(t, err, errs.IdempotencyKeyMismatch)

		// Another owner or application has keys of its own.
		for _, other := range []models.IdempotencyScope{{OrganizationID: "org", ApplicationID: "app", OwnerID: ""}, {OrganizationID: "org", ApplicationID: "app2", OwnerID: "cus"}} {
			c, _, err := begin(svc, other, "k1", "fp-other")
			if err != nil || c == nil {
				t.Fatalf("scope %+v: %v", other, err)
			}
		}

		want := models.StoredResponse{Status: 201, Body: []byte(`{"data":{}}`), Location: "http://x/api/orders/1", ContentType: "application/vnd.api+json"}
		if err := claim.Finish(ctx, want); err != nil {
			t.Fatal(err)
		}
		_, stored, err = begin(svc, scope, "k1", "fp1")
		if err != nil || stored == nil {
			t.Fatalf("replay: %v %v", stored, err)
		}
		if stored.Status != want.Status || string(stored.Body) != string(want.Body) || stored.Location != want.Location || stored.ContentType != want.ContentType {
			t.Fatalf("replayed %+v, want %+v", stored, want)
		}
		_, _, err = begin(svc, scope, "k1", "fp2")
		wantCode(t, err, errs.IdempotencyKeyMismatch)

		// A 5xx releases the key: the retry runs.
		claim, _, err = begin(svc, scope, "k2", "fp")
		if err != nil {
			t.Fatal(err)
		}
		if err := claim.Finish(ctx, models.StoredResponse{Status: 503}); err != nil {
			t.Fatal(err)
		}
		if claim, _, err = begin(svc, scope, "k2", "fp"); err != nil || claim == nil {
			t.Fatalf("retry after a 5xx: %v", err)
		}

		t.Run("a dead instance's lease is taken over", func(t *testing.T) {
			short := &models.Idempotency{DB: gdb, Lease: 40 * time.Millisecond}
			dead, _, err := begin(short, scope, "k3", "fp")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(80 * time.Millisecond)
			taker, _, err := begin(short, scope, "k3", "fp")
			if err != nil || taker == nil {
				t.Fatalf("takeover: %v", err)
			}
			if ok, err := dead.Renew(ctx); ok || err != nil {
				t.Fatalf("the dead claim renewed: %v %v", ok, err)
			}
			// The dead instance's late answer changes nothing.
			_ = dead.Finish(ctx, models.StoredResponse{Status: 200, Body: []byte("dead")})
			if err := taker.Finish(ctx, models.StoredResponse{Status: 200, Body: []byte("taker")}); err != nil {
				t.Fatal(err)
			}
			_, stored, err := begin(short, scope, "k3", "fp")
			if err != nil || stored == nil || string(stored.Body) != "taker" {
				t.Fatalf("after takeover: %+v %v", stored, err)
			}
		})

		t.Run("an expired answer frees its key, and is purged", func(t *testing.T) {
			brief := &models.Idempotency{DB: gdb, TTL: 40 * time.Millisecond}
			c, _, err := begin(brief, scope, "k4", "fp")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Finish(ctx, models.StoredResponse{Status: 200}); err != nil {
				t.Fatal(err)
			}
			c2, _, err := begin(brief, scope, "k5", "fp")
			if err != nil {
				t.Fatal(err)
			}
			if err := c2.Finish(ctx, models.StoredResponse{Status: 200}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(80 * time.Millisecond)
			if c, stored, err := begin(brief, scope, "k4", "another request"); err != nil || c == nil || stored != nil {
				t.Fatalf("expired key: %v %v %v", c, stored, err)
			}
			purged, err := brief.Purge(ctx)
			if err != nil || purged < 1 {
				t.Fatalf("purged %d: %v", purged, err)
			}
		})

		t.Run("concurrent first uses: one claim", func(t *testing.T) {
			const n = 20
			var wg sync.WaitGroup
			claims := make(chan *models.IdempotencyClaim, n)
			failures := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, _, err := svc.Begin(ctx, scope, "k-race", "fp")
					if err != nil {
						failures <- err
						return
					}
					claims <- c
				}()
			}
			wg.Wait()
			close(claims)
			close(failures)
			if len(claims) != 1 {
				t.Fatalf("%d claims, want 1", len(claims))
			}
			for err := range failures {
				wantCode(t, err, errs.IdempotencyKeyInUse)
			}
		})
	})
}
