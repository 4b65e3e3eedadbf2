package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/models"
)

func TestSandboxReplaysArePurged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		store := &models.SandboxStore{DB: gdb}
		for key, age := range map[string]time.Duration{"old": models.SandboxReplayAge + time.Hour, "recent": time.Hour} {
			if err := gdb.Create(&models.SandboxReplay{IdempotencyKey: key, Result: db.JSONObject{"outcome": "approved"}, CreatedAt: db.Now().Add(-age)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		purged, err := store.Purge(context.Background())
		if err != nil || purged != 1 {
			t.Fatalf("purged %d (%v), want the old one", purged, err)
		}
		var left []string
		if err := gdb.Model(&models.SandboxReplay{}).Pluck("idempotency_key", &left).Error; err != nil || len(left) != 1 || left[0] != "recent" {
			t.Fatalf("left %v (%v)", left, err)
		}
	})
}
