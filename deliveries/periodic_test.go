package deliveries_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/deliveries"
	"kasse/models"
)

// TestPeriodicOncePerInterval: two instances configured with the same
// periodic task run it once per interval between them (River's leader
// enqueues it, unique per period), not once each.
func TestPeriodicOncePerInterval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		sqlDB, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		const interval = time.Second
		var mu sync.Mutex
		var runs []time.Time
		task := deliveries.Periodic{Name: "tick", Interval: interval, Run: func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, time.Now())
			return nil
		}}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for range 2 {
			svc, err := deliveries.New(deliveries.Config{DB: sqlDB, Dialect: string(db.DialectOfDB(gdb)), Deliveries: &models.Deliveries{DB: gdb},
				Callbacks: &models.Callbacks{DB: gdb}, PollInterval: 100 * time.Millisecond, Periodic: []deliveries.Periodic{task}})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stop, done := context.WithTimeout(context.Background(), 10*time.Second)
				defer done()
				_ = svc.Stop(stop)
			})
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			n := len(runs)
			mu.Unlock()
			if n >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(runs) < 3 {
			t.Fatalf("%d runs in 20 s at a %s interval", len(runs), interval)
		}
		// Once per interval: no two runs in one period.
		for i := 1; i < len(runs); i++ {
			if gap := runs[i].Sub(runs[i-1]); gap < interval/2 {
				t.Fatalf("runs %d and %d came %s apart, within one %s interval: %v", i-1, i, gap, interval, runs)
			}
		}
	})
}
