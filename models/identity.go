package models

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"kasse/db"
	"kasse/errs"
)

// Application kinds, as the reference names them.
const (
	KindIntegration  = "integration"
	KindSalesChannel = "sales_channel"
)

// Roles a request acts with. A customer is a sales-channel token with an
// owner.
const (
	RoleIntegration  = "integration"
	RoleSalesChannel = "sales_channel"
	RoleCustomer     = "customer"
)

// Roles lists every role, for access rules and their tests.
var Roles = []string{RoleIntegration, RoleSalesChannel, RoleCustomer}

// Principal is who a request acts for, as its access token says.
type Principal struct {
	Role          string
	ApplicationID string
	ClientID      string
	MarketIDs     []string // the markets a sales channel or customer is scoped to
	CustomerID    string   // set for the customer role
	Test          bool
}

// Application is an API client: an integration (a trusted server, full
// access) or a sales channel (a storefront, public).
type Application struct {
	Record
	Name                  string
	Kind                  string
	ClientID              string
	ClientSecretDigest    *string
	Public                bool
	Scope                 *string
	AccessTokenTTLSeconds *int `gorm:"column:access_token_ttl_seconds"`
	RevokedAt             *time.Time
}

// digest hashes a high-entropy secret for storage; plain SHA-256 suits
// random secrets (passwords, which are not random, use bcrypt).
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewApplication creates an application and returns its client secret,
// which is stored only as a digest and shown this once. Sales channels are
// public clients: they get a secret only when withSecret is set.
func NewApplication(tx *gorm.DB, kind, name, scope string, withSecret bool) (*Application, string, error) {
	if kind != KindIntegration && kind != KindSalesChannel {
		return nil, "", errs.Invalid("kind", "must be integration or sales_channel")
	}
	if strings.TrimSpace(name) == "" {
		return nil, "", errs.Invalid("name", "can't be blank")
	}
	app := &Application{Name: name, Kind: kind, ClientID: db.RandomString(43), Public: kind == KindSalesChannel}
	if scope != "" {
		if _, err := ResolveMarketScope(tx, scope); err != nil {
			return nil, "", err
		}
		app.Scope = &scope
	}
	secret := ""
	if kind == KindIntegration || withSecret {
		secret = db.RandomString(43)
		d := digest(secret)
		app.ClientSecretDigest = &d
	}
	if err := tx.Create(app).Error; err != nil {
		return nil, "", err
	}
	return app, secret, nil
}

// CheckSecret reports whether secret is the application's client secret.
// A public application without a secret accepts an empty one.
func (a *Application) CheckSecret(secret string) bool {
	if a.ClientSecretDigest == nil {
		return secret == "" && a.Public
	}
	return subtle.ConstantTimeCompare([]byte(digest(secret)), []byte(*a.ClientSecretDigest)) == 1
}

// Revoked says whether the application may no longer get or use tokens.
func (a *Application) Revoked() bool { return a.RevokedAt != nil }

// RevokeApplication revokes an application by client id.
func RevokeApplication(tx *gorm.DB, clientID string) error {
	res := tx.Model(&Application{}).Where("client_id = ? AND revoked_at IS NULL", clientID).
		Updates(map[string]any{"revoked_at": db.Now(), "updated_at": db.Now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.RecordNotFound, "no active application has client id %q", clientID)
	}
	return nil
}

// ListApplications lists every application, oldest first.
func ListApplications(tx *gorm.DB) ([]Application, error) {
	var apps []Application
	err := tx.Order("created_at, id").Find(&apps).Error
	return apps, err
}

// FindApplication loads an application by client id.
func FindApplication(tx *gorm.DB, clientID string) (*Application, bool, error) {
	var app Application
	found, err := findBy(tx, &app, "client_id = ?", clientID)
	return &app, found, err
}

// ResolveMarketScope reads a scope string ("market:code:eu market:id:X")
// into market ids. Unknown markets or other scope kinds are a 422 on scope.
func ResolveMarketScope(tx *gorm.DB, scope string) ([]string, error) {
	var ids []string
	for _, part := range strings.Fields(scope) {
		kv := strings.SplitN(part, ":", 3)
		if len(kv) != 3 || kv[0] != "market" || (kv[1] != "code" && kv[1] != "id") {
			return nil, errs.Invalid("scope", fmt.Sprintf("%q is not a market scope (market:code:CODE or market:id:ID)", part))
		}
		var m Market
		found, err := findBy(tx, &m, kv[1]+" = ?", kv[2])
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errs.Invalid("scope", fmt.Sprintf("no market matches %q", part))
		}
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// SigningKey is a key pair that signs access tokens. The newest unretired
// key signs; every key stays published in the JWKS until it is retired
// and its last token has expired.
type SigningKey struct {
	Record
	Algorithm     string
	PrivateKeyPEM string `gorm:"column:private_key_pem"`
	PublicKeyPEM  string `gorm:"column:public_key_pem"`
	RetiredAt     *time.Time
}

// RefreshToken is a customer's rotating refresh token, stored as a digest.
type RefreshToken struct {
	Record
	TokenDigest   string
	ApplicationID string
	CustomerID    string
	Scope         *string
	ExpiresAt     time.Time
	UsedAt        *time.Time
	ReplacedByID  *string
}

// IssueRefreshToken stores a new refresh token and returns its value.
func IssueRefreshToken(tx *gorm.DB, appID, customerID, scope string, ttl time.Duration) (string, *RefreshToken, error) {
	value := db.RandomString(48)
	rt := &RefreshToken{TokenDigest: digest(value), ApplicationID: appID, CustomerID: customerID, ExpiresAt: db.Now().Add(ttl)}
	if scope != "" {
		rt.Scope = &scope
	}
	if err := tx.Create(rt).Error; err != nil {
		return "", nil, err
	}
	return value, rt, nil
}

// ErrRefreshTokenInvalid is answered for an unknown, expired, foreign or
// already used refresh token.
var ErrRefreshTokenInvalid = errs.New(errs.InvalidToken, "the refresh token is invalid, expired or already used")

// UseRefreshToken consumes a refresh token for rotation: it must exist,
// belong to the application, be unexpired and unused. Reusing a used token
// (a sign it was stolen) revokes every live token of that customer on that
// application; the caller must commit that even though it answers
// ErrRefreshTokenInvalid.
func UseRefreshToken(tx *gorm.DB, appID, value string) (*RefreshToken, error) {
	invalid := ErrRefreshTokenInvalid
	var rt RefreshToken
	found, err := findBy(db.ForUpdate(tx), &rt, "token_digest = ?", digest(value))
	if err != nil {
		return nil, err
	}
	if !found || rt.ApplicationID != appID || db.Now().After(rt.ExpiresAt) {
		return nil, invalid
	}
	if rt.UsedAt != nil {
		if err := tx.Model(&RefreshToken{}).Where("application_id = ? AND customer_id = ? AND used_at IS NULL", rt.ApplicationID, rt.CustomerID).
			Update("used_at", db.Now()).Error; err != nil {
			return nil, err
		}
		return nil, invalid
	}
	now := db.Now()
	res := tx.Model(&RefreshToken{}).Where("id = ? AND used_at IS NULL", rt.ID).Update("used_at", now)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, invalid
	}
	return &rt, nil
}

// Identity runs the queries of package auth on the identity tables:
// applications, signing keys, refresh tokens, and the customers who sign in.
type Identity struct {
	DB *gorm.DB
}

// IdentityTx is one transaction of Identity's: a token grant.
type IdentityTx struct {
	tx *gorm.DB
}

// Transaction runs fn in one database transaction, committed when fn
// returns nil.
func (i *Identity) Transaction(ctx context.Context, fn func(tx *IdentityTx) error) error {
	return i.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return fn(&IdentityTx{tx: tx}) })
}

// Application loads an application by id.
func (i *Identity) Application(ctx context.Context, id string) (*Application, bool, error) {
	var app Application
	found, err := findBy(i.DB.WithContext(ctx), &app, "id = ?", id)
	return &app, found, err
}

// ApplicationByClientID loads an application by client id.
func (i *Identity) ApplicationByClientID(ctx context.Context, clientID string) (*Application, bool, error) {
	return FindApplication(i.DB.WithContext(ctx), clientID)
}

// FindApplication loads an application by client id.
func (t *IdentityTx) FindApplication(clientID string) (*Application, bool, error) {
	return FindApplication(t.tx, clientID)
}

// ResolveMarketScope reads a scope string into market ids (the package
// function ResolveMarketScope).
func (t *IdentityTx) ResolveMarketScope(scope string) ([]string, error) {
	return ResolveMarketScope(t.tx, scope)
}

// CustomerByEmail loads a customer by email, compared as stored (trimmed,
// lower case).
func (t *IdentityTx) CustomerByEmail(email string) (*Customer, bool, error) {
	var c Customer
	found, err := findBy(t.tx, &c, "email = ?", strings.ToLower(strings.TrimSpace(email)))
	return &c, found, err
}

// Customer loads a customer by id.
func (t *IdentityTx) Customer(id string) (*Customer, bool, error) {
	var c Customer
	found, err := findBy(t.tx, &c, "id = ?", id)
	return &c, found, err
}

// IssueRefreshToken stores a new refresh token and returns its value (the
// package function IssueRefreshToken).
func (t *IdentityTx) IssueRefreshToken(appID, customerID, scope string, ttl time.Duration) (string, *RefreshToken, error) {
	return IssueRefreshToken(t.tx, appID, customerID, scope, ttl)
}

// UseRefreshToken consumes a refresh token for rotation (the package
// function UseRefreshToken: on reuse the transaction must still commit).
func (t *IdentityTx) UseRefreshToken(appID, value string) (*RefreshToken, error) {
	return UseRefreshToken(t.tx, appID, value)
}

// TokenRevocation is an access token revoked before it expires, kept by
// digest until it would have expired anyway.
type TokenRevocation struct {
	TokenDigest   string `gorm:"primaryKey"`
	ApplicationID string
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// RevokeAccessToken records that the access token raw, of application
// appID, is refused until expiresAt; revoking it twice is one revocation.
func (i *Identity) RevokeAccessToken(ctx context.Context, appID, raw string, expiresAt time.Time) error {
	r := &TokenRevocation{TokenDigest: digest(raw), ApplicationID: appID, ExpiresAt: expiresAt.UTC(), CreatedAt: db.Now()}
	return i.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(r).Error
}

// AccessTokenRevoked says whether the access token raw was revoked: one
// primary-key lookup.
func (i *Identity) AccessTokenRevoked(ctx context.Context, raw string) (bool, error) {
	var r TokenRevocation
	return findBy(i.DB.WithContext(ctx), &r, "token_digest = ?", digest(raw))
}

// RevokeRefreshToken marks the refresh token value of application appID as
// used, so the refresh grant refuses it (and, as for any reuse, the
// customer's other unused refresh tokens of the application with it). An
// unknown value, or another application's, changes nothing.
func (i *Identity) RevokeRefreshToken(ctx context.Context, appID, value string) error {
	return i.DB.WithContext(ctx).Model(&RefreshToken{}).
		Where("token_digest = ? AND application_id = ? AND used_at IS NULL", digest(value), appID).
		Update("used_at", db.Now()).Error
}

// PurgeTokenRevocations deletes the revocations of tokens that have
// expired, and returns how many.
func (i *Identity) PurgeTokenRevocations(ctx context.Context) (int64, error) {
	res := i.DB.WithContext(ctx).Where("expires_at < ?", db.Now().Add(-time.Minute)).Delete(&TokenRevocation{})
	return res.RowsAffected, res.Error
}

// activeSigningKeys selects the keys not retired.
func activeSigningKeys(tx *gorm.DB) *gorm.DB {
	return tx.Model(&SigningKey{}).Where("retired_at IS NULL")
}

// createSigningKey stores the key pair generate makes, under a new key id.
func createSigningKey(tx *gorm.DB, generate func() (*SigningKey, error)) (*SigningKey, error) {
	k, err := generate()
	if err != nil {
		return nil, err
	}
	k.ID = "k" + db.RandomString(15)
	return k, tx.Create(k).Error
}

// EnsureSigningKey creates the first signing key, made by generate, when
// there is no active one.
func (i *Identity) EnsureSigningKey(ctx context.Context, generate func() (*SigningKey, error)) error {
	return i.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := activeSigningKeys(tx).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err := createSigningKey(tx, generate)
		return err
	})
}

// RotateSigningKey retires the active keys and stores a new one, made by
// generate, in one transaction; it returns the new key's id.
func (i *Identity) RotateSigningKey(ctx context.Context, generate func() (*SigningKey, error)) (string, error) {
	var kid string
	err := i.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := activeSigningKeys(tx).Update("retired_at", db.Now()).Error; err != nil {
			return err
		}
		k, err := createSigningKey(tx, generate)
		if err != nil {
			return err
		}
		kid = k.ID
		return nil
	})
	return kid, err
}

// PublishedSigningKeys lists the keys still worth publishing: the active
// ones and those retired less than keep ago, newest first.
func (i *Identity) PublishedSigningKeys(ctx context.Context, keep time.Duration) ([]SigningKey, error) {
	var records []SigningKey
	err := i.DB.WithContext(ctx).Where("retired_at IS NULL OR retired_at > ?", db.Now().Add(-keep)).Order("created_at DESC, id").Find(&records).Error
	return records, err
}
