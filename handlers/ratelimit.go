package handlers

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"kasse/auth"
	"kasse/errs"
	"kasse/models"
)

// RateLimits are the request limits (0: that limit is off).
//
// The token endpoint's limits are counted in the database, so they hold
// across every instance: per client IP, and per client and username for
// the password grant, where guessing passwords is the threat. The API's
// limit per token is counted by each instance in memory: it protects that
// instance's capacity from one client, and a token cannot be guessed, so
// the limit need not be global (N instances allow a token N times the
// rate; divide the limit by N for a global budget).
type RateLimits struct {
	Store *models.RateLimits
	// TokenPerIP is POST /oauth/token requests per minute per client IP.
	TokenPerIP int
	// LoginPerUser is password-grant requests per minute per client and
	// username, whatever the IP.
	LoginPerUser int
	// APIPerToken is /api requests per minute per token's application and
	// owner, on each instance; bursts of a sixth of it (10 s) are allowed.
	APIPerToken int
}

// Rate-limit headers, as the reference names them.
const (
	headerRateLimit     = "X-Ratelimit-Limit"
	headerRateInterval  = "X-Ratelimit-Interval"
	headerRateRemaining = "X-Ratelimit-Remaining"
)

// tooMany answers 429 with how long to wait.
func tooMany(c *gin.Context, retry time.Duration) error {
	c.Header("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(retry.Seconds())))))
	return errs.New(errs.TooManyRequests, "too many requests: retry after %s", c.Writer.Header().Get("Retry-After")+" s")
}

// setRateHeaders writes the X-Ratelimit-* headers of one decision.
func setRateHeaders(c *gin.Context, limit, remaining int, interval time.Duration) {
	c.Header(headerRateLimit, strconv.Itoa(limit))
	c.Header(headerRateInterval, strconv.Itoa(int(interval.Seconds())))
	c.Header(headerRateRemaining, strconv.Itoa(remaining))
}

// limitShared counts one request against a database-backed limit; it
// reports whether the request may go on (false: the 429 is written).
func (a *api) limitShared(c *gin.Context, key string, limit int, oauth bool) bool {
	if limit <= 0 || a.cfg.RateLimits.Store == nil {
		return true
	}
	d, err := a.cfg.RateLimits.Store.Hit(c.Request.Context(), key, limit, time.Minute)
	if err != nil {
		a.fail(c, err)
		return false
	}
	setRateHeaders(c, d.Limit, d.Remaining, time.Minute)
	if d.Allowed {
		return true
	}
	err = tooMany(c, d.RetryAfter)
	if oauth {
		a.oauthFail(c, &auth.OAuthError{Status: 429, Code: "too_many_requests", Description: err.(*errs.Error).Detail})
	} else {
		a.fail(c, err)
	}
	return false
}

// apiLimiter is the per-instance token bucket of each token's application
// and owner.
type apiLimiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*bucket
	swept     time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAPILimiter(perMinute int) *apiLimiter {
	return &apiLimiter{perMinute: perMinute, buckets: map[string]*bucket{}, swept: time.Now()}
}

// take spends one request of key's budget.
func (l *apiLimiter) take(key string, now time.Time) (ok bool, remaining int, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// A bucket idle for a minute is full again: forget it.
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), max(l.perMinute/6, 1))}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, 0, delay
	}
	return true, int(b.lim.TokensAt(now)), 0
}

// LimitAPI limits each token's requests on this instance (after
// Authenticate: the budget is the application's and owner's, not the raw
// token's, so a fresh token does not reset it).
func (a *api) LimitAPI() gin.HandlerFunc {
	if a.cfg.RateLimits.APIPerToken <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	l := newAPILimiter(a.cfg.RateLimits.APIPerToken)
	return func(c *gin.Context) {
		p := principal(c)
		ok, remaining, retry := l.take(p.ApplicationID+"/"+p.CustomerID, time.Now())
		setRateHeaders(c, l.perMinute, remaining, time.Minute)
		if !ok {
			a.fail(c, tooMany(c, retry))
			return
		}
		c.Next()
	}
}

// limitToken applies the token endpoint's limits: per IP first, then, for
// the password grant, per client and username.
func (a *api) limitToken(c *gin.Context, req *auth.TokenRequest) bool {
	if req == nil {
		return a.limitShared(c, "token-ip:"+c.ClientIP(), a.cfg.RateLimits.TokenPerIP, true)
	}
	if req.GrantType != auth.GrantPassword || req.Username == "" {
		return true
	}
	return a.limitShared(c, "login:"+req.ClientID+":"+strings.ToLower(strings.TrimSpace(req.Username)), a.cfg.RateLimits.LoginPerUser, true)
}
