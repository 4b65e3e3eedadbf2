package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gorm.io/gorm"

	"kasse/db"
)

// RateLimits counts requests in fixed windows in the database, so that a
// limit holds across every instance that shares it: the token endpoint's
// limits (per IP, per client and username), where brute force is the
// threat and any number of instances must not multiply the attempts.
type RateLimits struct {
	DB *gorm.DB
	// Now is the clock (nil: the real one); tests pin it to one window.
	Now func() time.Time
}

// RateDecision is the outcome of one counted request.
type RateDecision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // until the window ends, when refused
}

// Hit counts one request against key's limit per period and says whether
// it is allowed. The key is stored as a digest (it may hold an email).
func (r *RateLimits) Hit(ctx context.Context, key string, limit int, period time.Duration) (RateDecision, error) {
	now := db.Now()
	if r.Now != nil {
		now = r.Now().UTC().Truncate(time.Millisecond)
	}
	window := now.Truncate(period)
	sum := sha256.Sum256([]byte(key))
	var hits int
	err := db.Scan(r.DB.WithContext(ctx).Raw(
		"INSERT INTO rate_limit_counters (counter_key, window_start, hits) VALUES (?, ?, 1) "+
			"ON CONFLICT (counter_key) DO UPDATE SET hits = CASE WHEN rate_limit_counters.window_start = excluded.window_start THEN rate_limit_counters.hits + 1 ELSE 1 END, "+
			"window_start = excluded.window_start RETURNING hits",
		hex.EncodeToString(sum[:]), window), &hits)
	if err != nil {
		return RateDecision{}, err
	}
	d := RateDecision{Allowed: hits <= limit, Limit: limit, Remaining: max(limit-hits, 0)}
	if !d.Allowed {
		d.RetryAfter = window.Add(period).Sub(now)
	}
	return d, nil
}

// Purge deletes the counters of windows that ended before cutoff.
func (r *RateLimits) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	res := r.DB.WithContext(ctx).Where("window_start < ?", cutoff).Delete(&rateLimitCounter{})
	return res.RowsAffected, res.Error
}

type rateLimitCounter struct {
	CounterKey string `gorm:"primaryKey"`
}

func (rateLimitCounter) TableName() string { return "rate_limit_counters" }
