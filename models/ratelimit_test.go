package models_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/models"
)

func TestRateLimitsShared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		// Two stores on one database are two instances.
		one, two := &models.RateLimits{DB: gdb}, &models.RateLimits{DB: gdb}
		for i, store := range []*models.RateLimits{one, two, one} {
			d, err := store.Hit(ctx, "login:app:ada@example.com", 3, time.Minute)
			if err != nil || !d.Allowed || d.Remaining != 2-i {
				t.Fatalf("hit %d: %+v %v", i+1, d, err)
			}
		}
		d, err := two.Hit(ctx, "login:app:ada@example.com", 3, time.Minute)
		if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("fourth hit: %+v %v", d, err)
		}
		if d, err := one.Hit(ctx, "login:app:bob@example.com", 3, time.Minute); err != nil || !d.Allowed {
			t.Fatalf("another key: %+v %v", d, err)
		}
		// A new window starts afresh.
		if d, err := one.Hit(ctx, "short", 1, 50*time.Millisecond); err != nil || !d.Allowed {
			t.Fatalf("short window: %+v %v", d, err)
		}
		time.Sleep(60 * time.Millisecond)
		if d, err := one.Hit(ctx, "short", 1, 50*time.Millisecond); err != nil || !d.Allowed {
			t.Fatalf("next short window: %+v %v", d, err)
		}
		if _, err := one.Purge(ctx, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		const tries, limit = 20, 10
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := one.Hit(ctx, "race", limit, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		if allowed.Load() != limit {
			t.Fatalf("%d of %d concurrent hits allowed, want %d", allowed.Load(), tries, limit)
		}
	})
}
