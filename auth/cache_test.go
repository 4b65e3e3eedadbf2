package auth_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db/dbtest"
	"kasse/models"
)

// TestApplicationCache: with ApplicationCacheTTL, Verify checks a token
// and reads its application once per TTL instead of on every request, and
// an application's revocation reaches it once the entry expires; without,
// every Verify reads both and a revocation is refused at once.
func TestApplicationCache(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		setup(t, gdb)
		org, err := models.EnsureOrganization(gdb)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			ttl  time.Duration
			// statements per Verify (the revocation list, the application;
			// none for a token accepted within the TTL) on the second and
			// third calls, and whether Verify still
			// accepts a token just after its application was revoked.
			wantReads       int64
			wantAfterRevoke bool
		}{
			{"no cache", 0, 2, false},
			{"5s", 5 * time.Second, 0, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				now := time.Now()
				svc := cachedService(t, gdb, org, tt.ttl, &now)
				app, secret, err := models.NewApplication(gdb, models.KindIntegration, "cached "+tt.name, "", false)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := svc.Verify(ctx, resp.AccessToken); err != nil {
					t.Fatal(err)
				}
				reads := dbtest.RecordStatements(t, gdb)
				for range 2 {
					if _, err := svc.Verify(ctx, resp.AccessToken); err != nil {
						t.Fatal(err)
					}
				}
				if got := reads.Count(); got != 2*tt.wantReads {
					t.Errorf("two Verify calls ran %d statements, want %d", got, 2*tt.wantReads)
				}
				if err := models.RevokeApplication(gdb, app.ClientID); err != nil {
					t.Fatal(err)
				}
				_, err = svc.Verify(ctx, resp.AccessToken)
				if got := err == nil; got != tt.wantAfterRevoke {
					t.Fatalf("Verify just after the revocation: %v", err)
				}
				now = now.Add(tt.ttl + time.Millisecond)
				if _, err := svc.Verify(ctx, resp.AccessToken); !isInvalidToken(err) {
					t.Fatalf("Verify once the TTL has passed: %v, want INVALID_TOKEN", err)
				}
				if _, err := svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret}); err == nil {
					t.Fatal("a revoked application got a new token")
				}
			})
		}
	})
}

// TestTokenRevocationWithCache: with the cache on, a token revoked at
// POST /oauth/revoke is refused at once by the instance that revoked it,
// and by another instance once its entry's TTL has passed (never later);
// an entry never outlives its token.
func TestTokenRevocationWithCache(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		setup(t, gdb)
		org, err := models.EnsureOrganization(gdb)
		if err != nil {
			t.Fatal(err)
		}
		const ttl = 5 * time.Second
		now := time.Now()
		revoking, other := cachedService(t, gdb, org, ttl, &now), cachedService(t, gdb, org, ttl, &now)
		app, secret, err := models.NewApplication(gdb, models.KindIntegration, "revoked with a cache", "", false)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := revoking.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []*auth.Service{revoking, other} {
			if _, err := svc.Verify(ctx, resp.AccessToken); err != nil {
				t.Fatal(err)
			}
		}
		if err := revoking.Revoke(ctx, auth.RevokeRequest{ClientID: app.ClientID, ClientSecret: secret, Token: resp.AccessToken}); err != nil {
			t.Fatal(err)
		}
		if _, err := revoking.Verify(ctx, resp.AccessToken); !isInvalidToken(err) {
			t.Fatalf("the revoking instance: %v, want INVALID_TOKEN at once", err)
		}
		if _, err := other.Verify(ctx, resp.AccessToken); err != nil {
			t.Fatalf("another instance within the TTL: %v, want its cached acceptance", err)
		}
		now = now.Add(ttl)
		if _, err := other.Verify(ctx, resp.AccessToken); !isInvalidToken(err) {
			t.Fatalf("another instance once the TTL has passed: %v, want INVALID_TOKEN", err)
		}

		// With a TTL longer than a token's life, the entry ends with the
		// token: checked in full (statements run) once it has expired.
		clock := time.Now()
		long := cachedService(t, gdb, org, 24*time.Hour, &clock)
		fresh, err := long.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := long.Verify(ctx, fresh.AccessToken); err != nil {
			t.Fatal(err)
		}
		expiry := time.Unix(fresh.CreatedAt, 0).Add(time.Duration(fresh.ExpiresIn) * time.Second)
		reads := dbtest.RecordStatements(t, gdb)
		clock = expiry.Add(-time.Second)
		if _, err := long.Verify(ctx, fresh.AccessToken); err != nil || reads.Count() != 0 {
			t.Fatalf("just before the expiry: %v after %d statements, want the cached acceptance", err, reads.Count())
		}
		clock = expiry.Add(time.Second)
		_, _ = long.Verify(ctx, fresh.AccessToken) // the JWT check runs on the real clock: still valid
		if reads.Count() == 0 {
			t.Fatal("an expired token was accepted from the cache")
		}
	})
}

// cachedService is an instance with the cache TTL ttl, its cache reading
// the time from clock.
func cachedService(t *testing.T, gdb *gorm.DB, org *models.Organization, ttl time.Duration, clock *time.Time) *auth.Service {
	t.Helper()
	svc, err := auth.New(context.Background(), &models.Identity{DB: gdb}, auth.Config{Issuer: issuer, Organization: org, Test: true, SigningKey: testKey(t), ApplicationCacheTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	auth.SetApplicationCacheClock(svc, func() time.Time { return *clock })
	return svc
}
