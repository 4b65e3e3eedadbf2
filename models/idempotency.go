package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Idempotency defaults (DESIGN §7; the IETF Idempotency-Key draft).
const (
	DefaultIdempotencyTTL   = 24 * time.Hour
	DefaultIdempotencyLease = 60 * time.Second
	// MaxIdempotencyKeyLength is the longest key accepted.
	MaxIdempotencyKeyLength = 255
)

// Idempotency key statuses.
const (
	idempotencyRunning = "running"
	idempotencyDone    = "done"
)

// IdempotencyKey is a request's Idempotency-Key in its scope: while the
// first request runs it holds a lease; once finished it holds the response
// that every replay answers with.
type IdempotencyKey struct {
	Record
	OrganizationID      string
	ApplicationID       string
	OwnerID             string
	IdempotencyKey      string
	Fingerprint         string
	Status              string
	LeaseToken          *string
	LockedUntil         *time.Time
	ResponseStatus      *int
	ResponseBody        []byte
	ResponseLocation    *string
	ResponseContentType *string
	// CreatedType and CreatedID name the resource the request created,
	// recorded in the create's own transaction: a request taken over after
	// its server died resumes that resource instead of creating another.
	CreatedType *string
	CreatedID   *string
	ExpiresAt   time.Time
}

// IdempotencyScope is whose key it is: two applications (or two customers
// of one storefront) may use the same key without colliding.
type IdempotencyScope struct {
	OrganizationID, ApplicationID, OwnerID string
}

// StoredResponse is a finished request's answer, replayed byte for byte.
type StoredResponse struct {
	Status      int
	Body        []byte
	Location    string
	ContentType string
}

// Idempotency keeps the first answer to each Idempotency-Key. Its rule
// holds across any number of instances on one database: a key is claimed
// by inserting its row under a unique index, and a claim is a lease that
// another instance takes over once it has expired (the first died).
type Idempotency struct {
	DB *gorm.DB
	// TTL is how long a finished answer is kept (default 24 h).
	TTL time.Duration
	// Lease is how long a running request holds its key before another
	// may take it over (default 60 s); a running request renews it.
	Lease time.Duration
}

// IdempotencyClaim is the right to run a request for a key: the request
// runs, then Finish stores or releases its answer.
type IdempotencyClaim struct {
	svc   *Idempotency
	id    string
	token string
	// created is what an earlier run of the request created (a takeover).
	createdType, createdID string
}

type claimKey struct{}

// WithIdempotencyClaim carries the claim a request runs under.
func WithIdempotencyClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// IdempotencyClaimFrom is the claim the request runs under, or nil.
func IdempotencyClaimFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	return c
}

// Created is the resource of type typ that an earlier run of this request
// created, if it did (its server died before answering).
func (c *IdempotencyClaim) Created(typ string) (string, bool) {
	if c == nil || c.createdType != typ || c.createdID == "" {
		return "", false
	}
	return c.createdID, true
}

// RecordCreated notes, inside the create's transaction tx, the resource
// the request created. A claim lost meanwhile (its lease ran out and
// another server took the request over) is IDEMPOTENCY_KEY_IN_USE, and
// the create rolls back: one request creates one resource.
func (c *IdempotencyClaim) RecordCreated(tx *gorm.DB, typ, id string) error {
	if c == nil {
		return nil
	}
	res := tx.Model(&IdempotencyKey{}).Where("id = ? AND lease_token = ?", c.id, c.token).
		Updates(map[string]any{"created_type": typ, "created_id": id, "updated_at": db.Now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.IdempotencyKeyInUse, "another server took this request over: retry to get its answer")
	}
	c.createdType, c.createdID = typ, id
	return nil
}

func (s *Idempotency) ttl() time.Duration {
	if s.TTL <= 0 {
		return DefaultIdempotencyTTL
	}
	return s.TTL
}

// LeaseDuration is the lease a claim holds between renewals.
func (s *Idempotency) LeaseDuration() time.Duration {
	if s.Lease <= 0 {
		return DefaultIdempotencyLease
	}
	return s.Lease
}

// ValidIdempotencyKey says whether key is 1–255 printable ASCII characters.
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequestFingerprint identifies a request for its key: the method, the
// path, the query (parameter order does not matter) and the body as
// canonical JSON (key order and white space do not matter; a body that is
// not JSON counts byte for byte).
func RequestFingerprint(method, path, rawQuery string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + "\n" + path + "\n"))
	if q, err := url.ParseQuery(rawQuery); err == nil {
		h.Write([]byte(q.Encode()))
	} else {
		h.Write([]byte(rawQuery))
	}
	h.Write([]byte("\n"))
	h.Write(canonicalJSON(body))
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes a JSON document with sorted keys and no white
// space, keeping numbers as written; anything else is returned as is.
func canonicalJSON(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// KeepsResponse says whether an answer is kept for replay: every answer
// below 500 except 401, 409 and 429, which (like every 5xx) release the
// key so that a retry runs again.
func KeepsResponse(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return status < 500
}

// Begin claims key for a request with fingerprint. It returns a claim
// when the request is to run (the key is new, expired, or its first
// request died and its lease ran out), or the stored response to replay.
// A key already used for another request is IDEMPOTENCY_KEY_MISMATCH
// (422); one whose first request is still running is
// IDEMPOTENCY_KEY_IN_USE (409).
func (s *Idempotency) Begin(ctx context.Context, scope IdempotencyScope, key, fingerprint string) (*IdempotencyClaim, *StoredResponse, error) {
	gdb := s.DB.WithContext(ctx)
	// A few rounds at most: each lost race means another request changed
	// the row (finished, released or took it over) and the next read sees it.
	for range 4 {
		now := db.Now()
		token := db.RandomString(24)
		// Read first: a replay, the common retry, costs one indexed read.
		var found IdempotencyKey
		err := gdb.Where("organization_id = ? AND application_id = ? AND owner_id = ? AND idempotency_key = ?",
			scope.OrganizationID, scope.ApplicationID, scope.OwnerID, key).Take(&found).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// A new key: claim it under the unique index; a concurrent first
			// use that wins makes this insert a no-op, and the next read sees it.
			id, lockedUntil, expires := db.NewID(), now.Add(s.LeaseDuration()), now.Add(s.ttl())
			var inserted int64
			err := db.WithoutFlush(gdb, func(tx *gorm.DB) error {
				res := tx.Exec("INSERT INTO idempotency_keys (id, organization_id, application_id, owner_id, idempotency_key, fingerprint, status, lease_token, locked_until, expires_at, created_at, updated_at) "+
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organization_id, application_id, owner_id, idempotency_key) DO NOTHING",
					id, scope.OrganizationID, scope.ApplicationID, scope.OwnerID, key, fingerprint, idempotencyRunning, token, lockedUntil, expires, now, now)
				inserted = res.RowsAffected
				return res.Error
			})
			if err != nil {
				return nil, nil, err
			}
			if inserted == 1 {
				return &IdempotencyClaim{svc: s, id: id, token: token}, nil, nil
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !found.ExpiresAt.After(now):
			// Past its lifetime: the key is free again.
			if err := gdb.Where("id = ? AND expires_at = ?", found.ID, found.ExpiresAt).Delete(&IdempotencyKey{}).Error; err != nil {
				return nil, nil, err
			}
			continue
		case found.Fingerprint != fingerprint:
			return nil, nil, errs.New(errs.IdempotencyKeyMismatch,
				"this Idempotency-Key was used for another request (a different method, path, query or body): use a new key for a new request")
		case found.Status == idempotencyDone:
			return nil, found.response(), nil
		case found.LockedUntil != nil && found.LockedUntil.After(now):
			return nil, nil, errs.New(errs.IdempotencyKeyInUse,
				"a request with this Idempotency-Key is still being processed: retry after it finishes")
		}
		// The first request's lease ran out (its instance died): take over.
		res := gdb.Model(&IdempotencyKey{}).Where("id = ? AND status = ? AND lease_token = ?", found.ID, idempotencyRunning, deref(found.LeaseToken)).
			Updates(map[string]any{"lease_token": token, "locked_until": now.Add(s.LeaseDuration()), "updated_at": now})
		if res.Error != nil {
			return nil, nil, res.Error
		}
		if res.RowsAffected == 1 {
			return &IdempotencyClaim{svc: s, id: found.ID, token: token, createdType: deref(found.CreatedType), createdID: deref(found.CreatedID)}, nil, nil
		}
	}
	return nil, nil, errs.New(errs.IdempotencyKeyInUse, "a request with this Idempotency-Key is still being processed: retry after it finishes")
}

func (k *IdempotencyKey) response() *StoredResponse {
	out := &StoredResponse{Body: k.ResponseBody, Location: deref(k.ResponseLocation), ContentType: deref(k.ResponseContentType)}
	if k.ResponseStatus != nil {
		out.Status = *k.ResponseStatus
	}
	return out
}

// Renew extends the claim's lease while its request runs; it reports
// false when the claim was lost (another instance took it over).
func (c *IdempotencyClaim) Renew(ctx context.Context) (bool, error) {
	now := db.Now()
	res := c.svc.DB.WithContext(ctx).Model(&IdempotencyKey{}).Where("id = ? AND lease_token = ?", c.id, c.token).
		Updates(map[string]any{"locked_until": now.Add(c.svc.LeaseDuration()), "updated_at": now})
	return res.RowsAffected == 1, res.Error
}

// Finish stores the request's answer for replay when KeepsResponse says
// so, and releases the key otherwise. A claim lost to a takeover changes
// nothing: the request that took it over answers for the key.
func (c *IdempotencyClaim) Finish(ctx context.Context, resp StoredResponse) error {
	gdb := c.svc.DB.WithContext(context.WithoutCancel(ctx))
	if !KeepsResponse(resp.Status) {
		return c.Release(ctx)
	}
	return db.WithoutFlush(gdb, func(tx *gorm.DB) error {
		return tx.Model(&IdempotencyKey{}).Where("id = ? AND lease_token = ?", c.id, c.token).Updates(map[string]any{
			"status": idempotencyDone, "lease_token": nil, "locked_until": nil,
			"response_status": resp.Status, "response_body": resp.Body, "response_location": nullable(resp.Location),
			"response_content_type": nullable(resp.ContentType), "updated_at": db.Now(),
		}).Error
	})
}

// Release frees the key so that a retry runs the request again.
func (c *IdempotencyClaim) Release(ctx context.Context) error {
	return c.svc.DB.WithContext(context.WithoutCancel(ctx)).Where("id = ? AND lease_token = ?", c.id, c.token).Delete(&IdempotencyKey{}).Error
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Purge deletes the keys past their lifetime and returns how many.
func (s *Idempotency) Purge(ctx context.Context) (int64, error) {
	res := s.DB.WithContext(ctx).Where("expires_at < ?", db.Now()).Delete(&IdempotencyKey{})
	return res.RowsAffected, res.Error
}
