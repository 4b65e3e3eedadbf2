package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"kasse/errs"
	"kasse/models"
)

// Config sets the issuer and the token lifetimes.
type Config struct {
	Issuer          string // the `iss` claim: the server's absolute origin
	Organization    *models.Organization
	SalesChannelTTL time.Duration // default 4 h
	IntegrationTTL  time.Duration // default 2 h
	RefreshTTL      time.Duration // default 2 weeks
	Test            bool          // the `test` claim: test-mode data
	// ApplicationCacheTTL is how long Verify trusts an application it read
	// (its revocation and client id) and an access token it accepted
	// (signature, claims, revocation list) before checking them again:
	// zero checks everything on every request. A revoked application's
	// tokens, and a token revoked at POST /oauth/revoke of another
	// instance, therefore stop working on every instance within this time;
	// the instance that revoked a token refuses it at once, and new tokens
	// are refused at once (POST /oauth/token always reads the application).
	ApplicationCacheTTL time.Duration
	// SigningKey, when set, is stored as the first signing key if the
	// database has no active one, instead of a freshly generated key. It
	// is for tests, which build many services and hand each the one key
	// generated per process (RSA-2048 generation is slow); production
	// leaves it nil.
	SigningKey *rsa.PrivateKey
}

// Service issues and verifies tokens.
type Service struct {
	ids  *models.Identity
	cfg  Config
	keys keySet

	reloadMu   sync.Mutex
	lastReload time.Time // last reload of any kind
	lastMiss   time.Time // last reload for an unknown kid

	apps   appCache
	tokens tokenCache
}

// New prepares the service over the identity tables: it creates the first
// signing key on first start and loads the published keys.
func New(ctx context.Context, ids *models.Identity, cfg Config) (*Service, error) {
	if cfg.SalesChannelTTL == 0 {
		cfg.SalesChannelTTL = 4 * time.Hour
	}
	if cfg.IntegrationTTL == 0 {
		cfg.IntegrationTTL = 2 * time.Hour
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 14 * 24 * time.Hour
	}
	if cfg.Organization == nil || cfg.Issuer == "" {
		return nil, errors.New("auth: an issuer and an organization are required")
	}
	s := &Service{ids: ids, cfg: cfg, lastReload: time.Now(), apps: appCache{ttl: cfg.ApplicationCacheTTL, now: time.Now}}
	s.tokens.ttl = cfg.ApplicationCacheTTL
	if err := ensureSigningKey(ctx, ids, cfg.SigningKey); err != nil {
		return nil, err
	}
	return s, s.keys.load(ctx, ids, s.maxTTL())
}

func (s *Service) maxTTL() time.Duration {
	if s.cfg.SalesChannelTTL > s.cfg.IntegrationTTL {
		return s.cfg.SalesChannelTTL
	}
	return s.cfg.IntegrationTTL
}

// JWKS is the JSON Web Key Set of the published public keys.
func (s *Service) JWKS() map[string]any { return map[string]any{"keys": s.keys.jwks()} }

// Grant types the token endpoint accepts.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
)

// TokenRequest is the token endpoint's input, from a JSON or form body.
type TokenRequest struct {
	GrantType    string `json:"grant_type" form:"grant_type"`
	ClientID     string `json:"client_id" form:"client_id"`
	ClientSecret string `json:"client_secret" form:"client_secret"`
	Scope        string `json:"scope" form:"scope"`
	Username     string `json:"username" form:"username"`
	Password     string `json:"password" form:"password"`
	RefreshToken string `json:"refresh_token" form:"refresh_token"`
}

// maxTokenField bounds every token request field: no credential, scope
// or refresh token comes near it.
const maxTokenField = 1024

// check refuses fields no credential can be (a NUL byte, invalid UTF-8,
// a megabyte of text) before they reach the database, which would fail
// on them with an error of its own.
func (r *TokenRequest) check() error {
	for _, f := range []struct{ name, value string }{
		{"grant_type", r.GrantType}, {"client_id", r.ClientID}, {"client_secret", r.ClientSecret}, {"scope", r.Scope},
		{"username", r.Username}, {"password", r.Password}, {"refresh_token", r.RefreshToken},
	} {
		if len(f.value) > maxTokenField || !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return oauthErr(400, "invalid_request", "%s must be text of at most %d bytes without NUL characters", f.name, maxTokenField)
		}
	}
	return nil
}

// TokenResponse is the token endpoint's answer.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
	OwnerID      string `json:"owner_id,omitempty"`
	OwnerType    string `json:"owner_type,omitempty"`
}

// OAuthError is an RFC 6749 error (invalid_client, invalid_grant, …).
type OAuthError struct {
	Status      int
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(status int, code, format string, args ...any) *OAuthError {
	return &OAuthError{Status: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

// RevokeRequest is a POST /oauth/revoke body (RFC 7009), JSON or form.
type RevokeRequest struct {
	ClientID      string `json:"client_id" form:"client_id"`
	ClientSecret  string `json:"client_secret" form:"client_secret"`
	Token         string `json:"token" form:"token"`
	TokenTypeHint string `json:"token_type_hint" form:"token_type_hint"`
}

// maxRevokedToken bounds the token of a revocation: an access token is a
// JWT of about a kilobyte.
const maxRevokedToken = 8192

// Revoke revokes an access token or a refresh token of the requesting
// client (RFC 7009): from then on the access token is refused by every
// instance, the refresh token by the refresh grant. An unknown, expired or
// malformed token, or another client's, is no error (RFC 7009 §2.2).
func (s *Service) Revoke(ctx context.Context, req RevokeRequest) error {
	if req.ClientID == "" {
		return oauthErr(400, "invalid_request", "client_id is required")
	}
	if req.Token == "" {
		return oauthErr(400, "invalid_request", "token is required")
	}
	if len(req.ClientID) > maxTokenField || len(req.ClientSecret) > maxTokenField || len(req.Token) > maxRevokedToken || len(req.TokenTypeHint) > maxTokenField {
		return oauthErr(400, "invalid_request", "a field is too long")
	}
	var app *models.Application
	err := s.ids.Transaction(ctx, func(tx *models.IdentityTx) error {
		a, found, err := tx.FindApplication(req.ClientID)
		if err != nil {
			return err
		}
		if !found || a.Revoked() || !a.CheckSecret(req.ClientSecret) {
			return oauthErr(401, "invalid_client", "unknown client, wrong secret, or revoked application")
		}
		app = a
		return nil
	})
	if err != nil {
		return err
	}
	if c, ok := s.parse(ctx, req.Token); ok {
		if c.Application.ID != app.ID || c.ExpiresAt == nil {
			return nil
		}
		if err := s.ids.RevokeAccessToken(ctx, app.ID, req.Token, c.ExpiresAt.Time); err != nil {
			return err
		}
		s.tokens.drop(tokenKey(req.Token))
		return nil
	}
	return s.ids.RevokeRefreshToken(ctx, app.ID, req.Token)
}

// parse reads a token this server signed, whatever its expiry: ok is
// false for anything else.
func (s *Service) parse(ctx context.Context, raw string) (*Claims, bool) {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{Algorithm}), jwt.WithIssuer(s.cfg.Issuer), jwt.WithAudience(s.audience()), jwt.WithoutClaimsValidation())
	var c Claims
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no key id")
		}
		return s.keyFor(ctx, kid)
	})
	return &c, err == nil
}

// Claims are the access token's claims, shaped as the reference's.
type Claims struct {
	Organization struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
	} `json:"organization"`
	Application struct {
		ID       string `json:"id"`
		ClientID string `json:"client_id"`
		Kind     string `json:"kind"`
		Public   bool   `json:"public"`
	} `json:"application"`
	Scope  string       `json:"scope"`
	Market *MarketClaim `json:"market,omitempty"`
	Owner  *OwnerClaim  `json:"owner,omitempty"`
	Test   bool         `json:"test"`
	Rand   string       `json:"rand"`
	jwt.RegisteredClaims
}

// MarketClaim lists the markets a token is scoped to.
type MarketClaim struct {
	ID []string `json:"id"`
}

// OwnerClaim names the customer a token acts for.
type OwnerClaim struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Token runs one token request.
func (s *Service) Token(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	if req.ClientID == "" {
		return nil, oauthErr(400, "invalid_request", "client_id is required")
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	var resp *TokenResponse
	var reused bool
	err := s.ids.Transaction(ctx, func(tx *models.IdentityTx) error {
		app, found, err := tx.FindApplication(req.ClientID)
		if err != nil {
			return err
		}
		if !found || app.Revoked() || !app.CheckSecret(req.ClientSecret) {
			return oauthErr(401, "invalid_client", "unknown client, wrong secret, or revoked application")
		}
		switch req.GrantType {
		case GrantClientCredentials:
			resp, err = s.clientCredentials(tx, app, req)
		case GrantPassword:
			resp, err = s.password(tx, app, req)
		case GrantRefreshToken:
			resp, err = s.refresh(tx, app, req)
			if errors.Is(err, models.ErrRefreshTokenInvalid) {
				// Keep what UseRefreshToken revoked, answer the error after.
				reused = true
				return nil
			}
		case "":
			return oauthErr(400, "invalid_request", "grant_type is required")
		default:
			return oauthErr(400, "unsupported_grant_type", "grant_type %q is not supported: use client_credentials, password or refresh_token", req.GrantType)
		}
		return err
	})
	if reused {
		return nil, oauthErr(400, "invalid_grant", "the refresh token is invalid, expired or already used")
	}
	if list, ok := errs.As(err); ok {
		return nil, oauthErr(400, "invalid_scope", "%s", list[0].Detail)
	}
	return resp, err
}

// scopeFor resolves the requested scope (or the application's default) to
// market ids; sales channels must have one.
func (s *Service) scopeFor(tx *models.IdentityTx, app *models.Application, requested string) (string, []string, error) {
	if app.Kind == models.KindIntegration {
		return "market:all", nil, nil
	}
	scope := strings.TrimSpace(requested)
	if scope == "" && app.Scope != nil {
		scope = *app.Scope
	}
	if scope == "" {
		return "", nil, oauthErr(400, "invalid_scope", "a sales channel token needs a market scope, e.g. scope=market:code:eu")
	}
	ids, err := tx.ResolveMarketScope(scope)
	if err != nil {
		return "", nil, err
	}
	return scope, ids, nil
}

func (s *Service) clientCredentials(tx *models.IdentityTx, app *models.Application, req TokenRequest) (*TokenResponse, error) {
	scope, markets, err := s.scopeFor(tx, app, req.Scope)
	if err != nil {
		return nil, err
	}
	return s.issue(app, scope, markets, nil)
}

func (s *Service) password(tx *models.IdentityTx, app *models.Application, req TokenRequest) (*TokenResponse, error) {
	if app.Kind != models.KindSalesChannel {
		return nil, oauthErr(400, "unauthorized_client", "the password grant is for sales channel applications")
	}
	scope, markets, err := s.scopeFor(tx, app, req.Scope)
	if err != nil {
		return nil, err
	}
	customer, found, err := tx.CustomerByEmail(req.Username)
	if err != nil {
		return nil, err
	}
	if !found {
		models.SpendPasswordCheck(req.Password)
	}
	if !found || !customer.CheckPassword(req.Password) {
		return nil, oauthErr(400, "invalid_grant", "wrong email or password")
	}
	return s.issueForCustomer(tx, app, scope, markets, customer)
}

func (s *Service) refresh(tx *models.IdentityTx, app *models.Application, req TokenRequest) (*TokenResponse, error) {
	if app.Kind != models.KindSalesChannel {
		return nil, oauthErr(400, "unauthorized_client", "refresh tokens are for sales channel applications")
	}
	old, err := tx.UseRefreshToken(app.ID, req.RefreshToken)
	if err != nil {
		return nil, err
	}
	customer, found, err := tx.Customer(old.CustomerID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, oauthErr(400, "invalid_grant", "the customer no longer exists")
	}
	scope := ""
	if old.Scope != nil {
		scope = *old.Scope
	}
	scope, markets, err := s.scopeFor(tx, app, scope)
	if err != nil {
		return nil, err
	}
	return s.issueForCustomer(tx, app, scope, markets, customer)
}

func (s *Service) issueForCustomer(tx *models.IdentityTx, app *models.Application, scope string, markets []string, c *models.Customer) (*TokenResponse, error) {
	resp, err := s.issue(app, scope, markets, c)
	if err != nil {
		return nil, err
	}
	refresh, _, err := tx.IssueRefreshToken(app.ID, c.ID, scope, s.cfg.RefreshTTL)
	if err != nil {
		return nil, err
	}
	resp.RefreshToken, resp.OwnerID, resp.OwnerType = refresh, c.ID, "customer"
	return resp, nil
}

func (s *Service) ttl(app *models.Application) time.Duration {
	if app.AccessTokenTTLSeconds != nil && *app.AccessTokenTTLSeconds > 0 {
		return time.Duration(*app.AccessTokenTTLSeconds) * time.Second
	}
	if app.Kind == models.KindIntegration {
		return s.cfg.IntegrationTTL
	}
	return s.cfg.SalesChannelTTL
}

// issue signs an access token.
func (s *Service) issue(app *models.Application, scope string, markets []string, customer *models.Customer) (*TokenResponse, error) {
	now := time.Now().UTC()
	ttl := s.ttl(app)
	var c Claims
	c.Organization.ID, c.Organization.Slug = s.cfg.Organization.ID, s.cfg.Organization.Slug
	c.Application.ID, c.Application.ClientID, c.Application.Kind, c.Application.Public = app.ID, app.ClientID, app.Kind, app.Public
	c.Scope, c.Test, c.Rand = scope, s.cfg.Test, rand.Text()
	if markets != nil {
		c.Market = &MarketClaim{ID: markets}
	}
	if customer != nil {
		c.Owner = &OwnerClaim{ID: customer.ID, Type: "Customer"}
	}
	c.Issuer = s.cfg.Issuer
	c.Audience = jwt.ClaimStrings{s.audience()}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.NotBefore = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	s.refreshKeys()
	s.keys.mu.RLock()
	kid, signer := s.keys.active.ID, s.keys.signer
	s.keys.mu.RUnlock()
	token := jwt.NewWithClaims(jwt.SigningMethodRS512, c)
	token.Header["kid"] = kid
	signed, err := token.SignedString(signer)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{AccessToken: signed, TokenType: "bearer", ExpiresIn: int64(ttl.Seconds()), Scope: scope, CreatedAt: now.Unix()}, nil
}

// keyReloadInterval is how soon a key rotated by `kasse keys rotate` (or
// another instance) is used for signing by a running server.
const keyReloadInterval = time.Minute

// refreshKeys reloads the key set when it is older than keyReloadInterval;
// a failed reload keeps the keys already loaded.
func (s *Service) refreshKeys() {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if time.Since(s.lastReload) < keyReloadInterval {
		return
	}
	s.lastReload = time.Now()
	_ = s.keys.load(context.Background(), s.ids, s.maxTTL())
}

// keyFor finds the public key a token names; an unknown kid reloads the
// key set at most once a second (another instance may have rotated).
func (s *Service) keyFor(ctx context.Context, kid string) (any, error) {
	s.keys.mu.RLock()
	pub, ok := s.keys.public[kid]
	s.keys.mu.RUnlock()
	if ok {
		return pub, nil
	}
	s.reloadMu.Lock()
	if time.Since(s.lastMiss) > time.Second {
		s.lastMiss, s.lastReload = time.Now(), time.Now()
		if err := s.keys.load(ctx, s.ids, s.maxTTL()); err != nil {
			s.reloadMu.Unlock()
			return nil, err
		}
	}
	s.reloadMu.Unlock()
	s.keys.mu.RLock()
	pub, ok = s.keys.public[kid]
	s.keys.mu.RUnlock()
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return pub, nil
}

// audience is the aud claim Kasse's tokens carry and require: the API
// under the issuer's origin, so a token minted for another service by the
// same issuer is refused.
func (s *Service) audience() string { return strings.TrimRight(s.cfg.Issuer, "/") + "/api" }

// strictClaimTypes checks what the JWT library is lenient about: the time
// claims must be JSON numbers (a quoted "9999999999" is refused) and iss
// a string. raw's signature has been verified by then.
func strictClaimTypes(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, ok := claims[name]; ok {
			var n float64
			if err := json.Unmarshal(v, &n); err != nil {
				return false
			}
		}
	}
	if v, ok := claims["iss"]; ok {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return false
		}
	}
	return true
}

// MaxClientCredential is the longest client id or secret Client reads.
const MaxClientCredential = 200

// Client authenticates an integration application by its client id and
// secret, as the checkout links facade's X-API-KEY and X-API-SECRET
// headers carry them, and returns the principal its client_credentials
// token would act for. A wrong pair, a revoked application or one that is
// not an integration is 401 UNAUTHORIZED (the same answer for each).
func (s *Service) Client(ctx context.Context, clientID, secret string) (*models.Principal, error) {
	refused := errs.New(errs.Unauthorized, "unknown client, wrong secret, revoked application, or not an integration")
	if clientID == "" || secret == "" || len(clientID) > MaxClientCredential || len(secret) > MaxClientCredential {
		return nil, refused
	}
	app, found, err := s.ids.ApplicationByClientID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if !found || app.Revoked() || app.Kind != models.KindIntegration || !app.CheckSecret(secret) {
		return nil, refused
	}
	return &models.Principal{ApplicationID: app.ID, ClientID: app.ClientID, Role: models.RoleIntegration, Test: s.cfg.Test}, nil
}

// Verify checks an access token and returns who it acts for. Any failure
// is a 401 INVALID_TOKEN without detail on which check failed beyond a
// short reason.
func (s *Service) Verify(ctx context.Context, raw string) (*models.Principal, error) {
	now := s.apps.now()
	key := tokenKey(raw)
	if p, ok := s.tokens.get(key, now); ok {
		return p, nil
	}
	p, expires, err := s.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	s.tokens.put(key, p, now, expires)
	return p, nil
}

// verify checks raw in full: signature, claims, the revocation list and
// the application; expires is the token's expiry.
func (s *Service) verify(ctx context.Context, raw string) (_ *models.Principal, expires time.Time, _ error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.audience()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
	)
	var c Claims
	var infrastructure error // the keys could not be read: not the token's fault
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no key id")
		}
		key, err := s.keyFor(ctx, kid)
		if err != nil && models.IsUnavailable(err) {
			infrastructure = err
		}
		return key, err
	})
	if infrastructure != nil {
		return nil, time.Time{}, infrastructure
	}
	if err == nil && !strictClaimTypes(raw) {
		err = errors.New("a registered claim has the wrong JSON type")
	}
	if err != nil {
		reason := "the access token is invalid"
		if errors.Is(err, jwt.ErrTokenExpired) {
			reason = "the access token has expired"
		}
		return nil, time.Time{}, errs.New(errs.InvalidToken, "%s", reason)
	}
	revoked, err := s.ids.AccessTokenRevoked(ctx, raw)
	if err != nil {
		// Never INVALID_TOKEN: clients throw their token away on it.
		return nil, time.Time{}, err
	}
	if revoked {
		return nil, time.Time{}, errs.New(errs.InvalidToken, "the access token has been revoked")
	}
	app, found, err := s.apps.application(ctx, s.ids, c.Application.ID)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !found || app.Revoked() || app.ClientID != c.Application.ClientID {
		return nil, time.Time{}, errs.New(errs.InvalidToken, "the application of this access token is revoked")
	}
	p := &models.Principal{ApplicationID: app.ID, ClientID: app.ClientID, Test: c.Test}
	switch {
	case app.Kind == models.KindIntegration:
		p.Role = models.RoleIntegration
	case c.Owner != nil:
		p.Role, p.CustomerID = models.RoleCustomer, c.Owner.ID
	default:
		p.Role = models.RoleSalesChannel
	}
	if c.Market != nil {
		p.MarketIDs = c.Market.ID
	}
	if p.Role != models.RoleIntegration && len(p.MarketIDs) == 0 {
		return nil, time.Time{}, errs.New(errs.InvalidToken, "the access token has no market scope")
	}
	return p, c.ExpiresAt.Time, nil
}
