package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/errs"
	"kasse/models"
)

// IdempotencyKeyHeader is the request header that makes a write safe to
// retry, and IdempotentReplayedHeader marks a replayed answer.
const (
	IdempotencyKeyHeader     = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// Idempotent keeps the first answer to a write that carries an
// Idempotency-Key and replays it to every retry (models.Idempotency has
// the rules). It runs after Authenticate: keys are scoped to the token's
// application and owner.
func (a *api) Idempotent(svc *models.Idempotency, organizationID string) gin.HandlerFunc {
	// Creates of these collections must carry a key (checkout_sessions):
	// a merchant retrying after a timeout must never open a second page.
	required := map[string]bool{}
	for _, def := range a.cfg.Registry.All() {
		if def.RequireIdempotencyKey {
			required["/api/"+def.Type] = true
		}
	}
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodPost, http.MethodPatch, http.MethodDelete:
		default:
			c.Next()
			return
		}
		values, sent := c.Request.Header[http.CanonicalHeaderKey(IdempotencyKeyHeader)]
		rule, facade := compatKeyOf(c)
		if !sent {
			if c.Request.Method == http.MethodPost && (required[c.Request.URL.Path] || rule.required) {
				e := errs.New(errs.IdempotencyKeyMissing, "%s requires an Idempotency-Key header: send a unique key per intended request and the same key when you retry it", c.Request.URL.Path)
				e.Header = IdempotencyKeyHeader
				a.fail(c, e)
				return
			}
			c.Next()
			return
		}
		key := ""
		if len(values) == 1 {
			key = values[0]
		}
		maxLen := models.MaxIdempotencyKeyLength
		if facade && rule.maxLen > maxLen {
			// A facade whose API allows longer keys: a long key is kept as
			// its digest, which is as unique.
			maxLen = rule.maxLen
			if len(key) > models.MaxIdempotencyKeyLength && len(key) <= maxLen && printableASCII(key) {
				sum := sha256.Sum256([]byte(key))
				key = "sha256:" + hex.EncodeToString(sum[:])
			}
		}
		if !models.ValidIdempotencyKey(key) {
			e := errs.New(errs.IdempotencyKeyInvalid, "Idempotency-Key must be one value of 1 to %d printable ASCII characters", maxLen)
			e.Header = IdempotencyKeyHeader
			a.fail(c, e)
			return
		}
		var body []byte
		if c.Request.Body != nil {
			var err error
			if body, err = io.ReadAll(c.Request.Body); err != nil {
				a.fail(c, err)
				return
			}
			c.Request.Body = io.NopCloser(bytes.NewReader(body))
		}
		p := principal(c)
		scope := models.IdempotencyScope{OrganizationID: organizationID, ApplicationID: p.ApplicationID, OwnerID: p.CustomerID}
		fingerprint := models.RequestFingerprint(c.Request.Method, c.Request.URL.Path, c.Request.URL.RawQuery, body)
		claim, stored, err := svc.Begin(c.Request.Context(), scope, key, fingerprint)
		switch {
		case err != nil:
			if list, ok := errs.As(err); ok && list[0].Code == errs.IdempotencyKeyInUse {
				c.Header("Retry-After", "1")
			}
			a.fail(c, err)
			return
		case stored != nil:
			replay(c, stored)
			return
		}
		a.runClaimed(c, svc, claim)
	}
}

// replay answers with a kept response, byte for byte.
func replay(c *gin.Context, stored *models.StoredResponse) {
	h := c.Writer.Header()
	if stored.ContentType != "" {
		h.Set("Content-Type", stored.ContentType)
	}
	if stored.Location != "" {
		h.Set("Location", stored.Location)
	}
	h.Set(IdempotentReplayedHeader, "true")
	h.Set("Content-Length", strconv.Itoa(len(stored.Body)))
	c.Status(stored.Status)
	if len(stored.Body) > 0 {
		_, _ = c.Writer.Write(stored.Body)
	}
	c.Abort()
}

// runClaimed runs the request under its claim, renewing the lease while
// it runs, then keeps or releases the answer. A panic releases the key
// (the recovery middleware answers 500, which is never kept).
func (a *api) runClaimed(c *gin.Context, svc *models.Idempotency, claim *models.IdempotencyClaim) {
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Request = c.Request.WithContext(models.WithIdempotencyClaim(c.Request.Context(), claim))
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		ticker := time.NewTicker(svc.LeaseDuration() / 3)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				if _, err := claim.Renew(context.WithoutCancel(c.Request.Context())); err != nil {
					a.log.Warn("renewing an idempotency lease failed", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.String("error", err.Error()))
				}
			}
		}
	}()
	finished := false
	defer func() {
		close(stop)
		<-renewed
		c.Writer = rec.ResponseWriter
		ctx := context.WithoutCancel(c.Request.Context())
		var err error
		if finished {
			err = claim.Finish(ctx, models.StoredResponse{Status: rec.Status(), Body: rec.body.Bytes(),
				Location: rec.Header().Get("Location"), ContentType: rec.Header().Get("Content-Type")})
		} else {
			err = claim.Release(ctx)
		}
		if err != nil {
			// The key stays claimed until its lease runs out; a retry then
			// runs the request again (provider calls are idempotent too).
			a.log.Error("storing an idempotent answer failed", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.String("error", err.Error()))
		}
	}()
	c.Next()
	finished = true
}

// recordingWriter passes a response through and keeps a copy of its body.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
