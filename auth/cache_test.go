package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db/dbtest"
	"kasse/models"
)

// TestApplicationCache: with ApplicationCacheTTL, Verify reads the calling
// application once per TTL instead of on every request, and a revocation
// reaches it once the entry expires; without, every Verify reads it and a
// revocation is refused at once.
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
			// statements per Verify (the revocation list, the application)
			// on the second and third calls, and whether Verify still
			// accepts a token just after its application was revoked.
			wantReads       int64
			wantAfterRevoke bool
		}{
			{"no cache", 0, 2, false},
			{"5s", 5 * time.Second, 1, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				svc, err := auth.New(ctx, &models.Identity{DB: gdb}, auth.Config{Issuer: issuer, Organization: org, Test: true, SigningKey: testKey(t), ApplicationCacheTTL: tt.ttl})
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				auth.SetApplicationCacheClock(svc, func() time.Time { return now })
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
				reads := countStatements(t, gdb)
				for range 2 {
					if _, err := svc.Verify(ctx, resp.AccessToken); err != nil {
						t.Fatal(err)
					}
				}
				if got := reads.Load(); got != 2*tt.wantReads {
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

// countStatements counts every statement gorm runs on gdb from now on.
func countStatements(t *testing.T, gdb *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	name := "test:statements:" + t.Name()
	for _, register := range []func() error{
		func() error {
			return gdb.Callback().Query().After("gorm:query").Register(name, func(*gorm.DB) { n.Add(1) })
		},
		func() error {
			return gdb.Callback().Row().After("gorm:row").Register(name, func(*gorm.DB) { n.Add(1) })
		},
	} {
		if err := register(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = gdb.Callback().Query().Remove(name)
		_ = gdb.Callback().Row().Remove(name)
	})
	return &n
}
