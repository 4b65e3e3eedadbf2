package auth

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"time"
	"unsafe"

	"kasse/models"
)

// appCache holds the applications Verify read, each for the cache's TTL.
// Its keys come from tokens whose signature was checked, so only Kasse's
// own applications can fill it; maxCachedApps bounds it all the same.
type appCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]cachedApp
}

type cachedApp struct {
	app   *models.Application
	found bool
	until time.Time
}

const maxCachedApps = 10000

// application returns the application id, from the cache while its entry
// is fresh, else from the database.
func (c *appCache) application(ctx context.Context, ids *models.Identity, id string) (*models.Application, bool, error) {
	if c.ttl <= 0 {
		return ids.Application(ctx, id)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.app, e.found, nil
	}
	app, found, err := ids.Application(ctx, id)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedApps {
		c.entries = map[string]cachedApp{}
	}
	c.entries[id] = cachedApp{app: app, found: found, until: now.Add(c.ttl)}
	c.mu.Unlock()
	return app, found, nil
}

// tokenCache holds the principals of access tokens Verify accepted, so a
// client's next requests skip the signature check and the revocation list
// for the cache's TTL (never past the token's expiry). Only verified
// tokens enter, keyed by their SHA-256; maxCachedTokens bounds it.
type tokenCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	principal models.Principal
	until     time.Time
}

const maxCachedTokens = 10000

// tokenKey hashes the token's bytes in place: []byte(raw) copied every
// request's ~1 KB token.
func tokenKey(raw string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(raw), len(raw)))
}

// get returns a copy of the principal of a fresh entry.
func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*models.Principal, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	p := e.principal
	return &p, true
}

func (c *tokenCache) put(key [sha256.Size]byte, p *models.Principal, now, expires time.Time) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedTokens {
		c.entries = map[[sha256.Size]byte]cachedToken{}
	}
	principal := *p
	principal.MarketIDs = slices.Clip(p.MarketIDs) // an append never reaches the entry
	c.entries[key] = cachedToken{principal: principal, until: until}
}

// drop forgets a token this instance revoked: it is refused at once here.
func (c *tokenCache) drop(key [sha256.Size]byte) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}
