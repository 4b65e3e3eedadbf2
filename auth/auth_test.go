package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

const issuer = "http://kasse.test"

type fixture struct {
	svc      *auth.Service
	db       *gorm.DB
	integ    *models.Application
	secret   string
	channel  *models.Application
	customer *models.Customer
}

// testKey is the process's one signing key for the fixtures' services
// (RSA-2048 generation takes seconds under -race).
var testKey = func() func(t *testing.T) *rsa.PrivateKey {
	once := sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	return func(t *testing.T) *rsa.PrivateKey {
		t.Helper()
		key, err := once()
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
}()

// TestFirstSigningKey: a service on a database without a key stores the
// key it is handed, or else generates one; a later service (another
// instance, a restart) uses the stored key whatever it is handed.
func TestFirstSigningKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	handed := base64.RawURLEncoding.EncodeToString(testKey(t).N.Bytes())
	signer := func(t *testing.T, gdb *gorm.DB, key *rsa.PrivateKey) string {
		t.Helper()
		org, err := models.EnsureOrganization(gdb)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := auth.New(ctx, &models.Identity{DB: gdb}, auth.Config{Issuer: issuer, Organization: org, SigningKey: key})
		if err != nil {
			t.Fatal(err)
		}
		keys := svc.JWKS()["keys"].([]auth.JWK)
		if len(keys) != 1 {
			t.Fatalf("JWKS has %d keys, want 1", len(keys))
		}
		return keys[0].N
	}
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if signer(t, gdb, testKey(t)) != handed {
			t.Fatal("the handed key is not the signing key")
		}
		if signer(t, gdb, nil) != handed {
			t.Fatal("a second service did not use the stored key")
		}
	})
	t.Run("generated", func(t *testing.T) {
		gdb := dbtest.SQLite(t)
		generated := signer(t, gdb, nil)
		if generated == handed || generated == "" {
			t.Fatal("no key generated for a service handed none")
		}
		if signer(t, gdb, testKey(t)) != generated {
			t.Fatal("a second service replaced the stored key with the handed one")
		}
	})
}

func setup(t *testing.T, gdb *gorm.DB) *fixture {
	t.Helper()
	if _, err := models.SeedDemo(gdb); err != nil {
		t.Fatal(err)
	}
	org, err := models.EnsureOrganization(gdb)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.New(context.Background(), &models.Identity{DB: gdb}, auth.Config{Issuer: issuer, Organization: org, Test: true, SigningKey: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	integ, secret, err := models.NewApplication(gdb, models.KindIntegration, "backoffice", "", false)
	if err != nil {
		t.Fatal(err)
	}
	channel, channelSecret, err := models.NewApplication(gdb, models.KindSalesChannel, "storefront", "market:code:eu", false)
	if err != nil || channelSecret != "" {
		t.Fatalf("sales channel: %v, secret %q (public clients get none)", err, channelSecret)
	}
	pw := "s3cret-password"
	customer := &models.Customer{Email: "ada@example.com", Password: &pw}
	if err := customer.BeforeWrite(gdb, true); err != nil {
		t.Fatal(err)
	}
	if err := gdb.Create(customer).Error; err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: gdb, integ: integ, secret: secret, channel: channel, customer: customer}
}

func oauthCode(t *testing.T, err error) string {
	t.Helper()
	var oe *auth.OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("want an OAuth error, got %v", err)
	}
	return oe.Code
}

func TestGrants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		f := setup(t, gdb)
		ctx := context.Background()

		t.Run("client credentials, integration", func(t *testing.T) {
			resp, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID, ClientSecret: f.secret})
			if err != nil {
				t.Fatal(err)
			}
			if resp.TokenType != "bearer" || resp.ExpiresIn != 7200 || resp.Scope != "market:all" || resp.RefreshToken != "" {
				t.Fatalf("got %+v", resp)
			}
			p, err := f.svc.Verify(ctx, resp.AccessToken)
			if err != nil || p.Role != models.RoleIntegration {
				t.Fatalf("verify: %+v %v", p, err)
			}
		})

		t.Run("client credentials, public sales channel", func(t *testing.T) {
			resp, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: f.channel.ClientID, Scope: "market:code:us"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.ExpiresIn != 4*3600 || resp.Scope != "market:code:us" {
				t.Fatalf("got %+v", resp)
			}
			p, err := f.svc.Verify(ctx, resp.AccessToken)
			if err != nil || p.Role != models.RoleSalesChannel || len(p.MarketIDs) != 1 {
				t.Fatalf("verify: %+v %v", p, err)
			}
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(resp.AccessToken, claims); err != nil {
				t.Fatal(err)
			}
			app := claims["application"].(map[string]any)
			if app["kind"] != "sales_channel" || app["public"] != true || claims["iss"] != issuer || claims["test"] != true {
				t.Fatalf("claims %v", claims)
			}
			if claims["organization"].(map[string]any)["slug"] != "kasse" || claims["market"].(map[string]any)["id"] == nil {
				t.Fatalf("claims %v", claims)
			}
		})

		t.Run("password grant and rotating refresh", func(t *testing.T) {
			resp, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "password", ClientID: f.channel.ClientID, Username: "ADA@example.com", Password: "s3cret-password"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.OwnerID != f.customer.ID || resp.OwnerType != "customer" || resp.RefreshToken == "" {
				t.Fatalf("got %+v", resp)
			}
			p, err := f.svc.Verify(ctx, resp.AccessToken)
			if err != nil || p.Role != models.RoleCustomer || p.CustomerID != f.customer.ID {
				t.Fatalf("verify: %+v %v", p, err)
			}
			next, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "refresh_token", ClientID: f.channel.ClientID, RefreshToken: resp.RefreshToken})
			if err != nil {
				t.Fatal(err)
			}
			if next.RefreshToken == resp.RefreshToken || next.OwnerID != f.customer.ID {
				t.Fatalf("refresh did not rotate: %+v", next)
			}
			// The old refresh token stops working, and its reuse revokes
			// the newer one too (a replayed token means it was stolen).
			_, err = f.svc.Token(ctx, auth.TokenRequest{GrantType: "refresh_token", ClientID: f.channel.ClientID, RefreshToken: resp.RefreshToken})
			if got := oauthCode(t, err); got != "invalid_grant" {
				t.Fatalf("reuse: %s", got)
			}
			_, err = f.svc.Token(ctx, auth.TokenRequest{GrantType: "refresh_token", ClientID: f.channel.ClientID, RefreshToken: next.RefreshToken})
			if got := oauthCode(t, err); got != "invalid_grant" {
				t.Fatalf("after reuse, the newer token: %s", got)
			}
		})

		t.Run("refused requests", func(t *testing.T) {
			tests := []struct {
				name string
				req  auth.TokenRequest
				want string
			}{
				{"wrong secret", auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID, ClientSecret: "nope"}, "invalid_client"},
				{"no secret for a confidential client", auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID}, "invalid_client"},
				{"unknown client", auth.TokenRequest{GrantType: "client_credentials", ClientID: "nope"}, "invalid_client"},
				{"no client id", auth.TokenRequest{GrantType: "client_credentials"}, "invalid_request"},
				{"no grant type", auth.TokenRequest{ClientID: f.integ.ClientID, ClientSecret: f.secret}, "invalid_request"},
				{"unknown grant", auth.TokenRequest{GrantType: "authorization_code", ClientID: f.integ.ClientID, ClientSecret: f.secret}, "unsupported_grant_type"},
				{"wrong password", auth.TokenRequest{GrantType: "password", ClientID: f.channel.ClientID, Username: "ada@example.com", Password: "wrong"}, "invalid_grant"},
				{"password on an integration", auth.TokenRequest{GrantType: "password", ClientID: f.integ.ClientID, ClientSecret: f.secret, Username: "ada@example.com", Password: "s3cret-password"}, "unauthorized_client"},
				{"unknown market", auth.TokenRequest{GrantType: "client_credentials", ClientID: f.channel.ClientID, Scope: "market:code:mars"}, "invalid_scope"},
				{"bad scope", auth.TokenRequest{GrantType: "client_credentials", ClientID: f.channel.ClientID, Scope: "stock_location:code:x"}, "invalid_scope"},
				{"bogus refresh token", auth.TokenRequest{GrantType: "refresh_token", ClientID: f.channel.ClientID, RefreshToken: "nope"}, "invalid_grant"},
			}
			for _, tt := range tests {
				_, err := f.svc.Token(ctx, tt.req)
				if got := oauthCode(t, err); got != tt.want {
					t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
				}
			}
		})

		t.Run("a revoked application gets no tokens and its tokens stop working", func(t *testing.T) {
			app, secret, err := models.NewApplication(gdb, models.KindIntegration, "doomed", "", false)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
			if err != nil {
				t.Fatal(err)
			}
			if err := models.RevokeApplication(gdb, app.ClientID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Verify(ctx, resp.AccessToken); !isInvalidToken(err) {
				t.Fatalf("token of a revoked app: %v", err)
			}
			_, err = f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
			if got := oauthCode(t, err); got != "invalid_client" {
				t.Fatalf("got %s", got)
			}
		})
	})
}

func isInvalidToken(err error) bool {
	list, ok := errs.As(err)
	return ok && list[0].Code == errs.InvalidToken
}

// publicKeyPEM returns the active signing key's public half, as an
// attacker could read it from the JWKS.
func signingKey(t *testing.T, gdb *gorm.DB) (string, *rsa.PrivateKey, []byte) {
	t.Helper()
	var k models.SigningKey
	if err := gdb.Where("retired_at IS NULL").Take(&k).Error; err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(k.PrivateKeyPEM))
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID, priv, []byte(k.PublicKeyPEM)
}

func TestTokenAttacks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		f := setup(t, gdb)
		ctx := context.Background()
		kid, priv, pubPEM := signingKey(t, gdb)
		valid, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID, ClientSecret: f.secret})
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(valid.AccessToken, claims); err != nil {
			t.Fatal(err)
		}
		with := func(changes map[string]any) jwt.MapClaims {
			c := jwt.MapClaims{}
			for k, v := range claims {
				c[k] = v
			}
			for k, v := range changes {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			return c
		}
		sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims, kid string) string {
			tok := jwt.NewWithClaims(method, c)
			if kid != "" {
				tok.Header["kid"] = kid
			}
			s, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		now := time.Now()
		noneToken := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims, kid)

		if _, err := f.svc.Verify(ctx, sign(jwt.SigningMethodRS512, priv, claims, kid)); err != nil {
			t.Fatalf("control: a correctly signed token must pass: %v", err)
		}
		attacks := map[string]string{
			"alg none":                     noneToken,
			"HS256 keyed with public key":  sign(jwt.SigningMethodHS256, pubPEM, claims, kid),
			"RS256 (algorithm not pinned)": sign(jwt.SigningMethodRS256, priv, claims, kid),
			"signed by another key":        sign(jwt.SigningMethodRS512, otherKey, claims, kid),
			"unknown kid":                  sign(jwt.SigningMethodRS512, otherKey, claims, "kUNKNOWN"),
			"no kid":                       sign(jwt.SigningMethodRS512, priv, claims, ""),
			"expired":                      sign(jwt.SigningMethodRS512, priv, with(map[string]any{"exp": now.Add(-time.Hour).Unix()}), kid),
			"no exp":                       sign(jwt.SigningMethodRS512, priv, with(map[string]any{"exp": nil}), kid),
			"not yet valid":                sign(jwt.SigningMethodRS512, priv, with(map[string]any{"nbf": now.Add(time.Hour).Unix()}), kid),
			"issued in the future":         sign(jwt.SigningMethodRS512, priv, with(map[string]any{"iat": now.Add(time.Hour).Unix()}), kid),
			"other issuer":                 sign(jwt.SigningMethodRS512, priv, with(map[string]any{"iss": "https://evil.example"}), kid),
			"exp as a string":              sign(jwt.SigningMethodRS512, priv, with(map[string]any{"exp": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}), kid),
			"iat as a string":              sign(jwt.SigningMethodRS512, priv, with(map[string]any{"iat": strconv.FormatInt(now.Unix(), 10)}), kid),
			"no audience":                  sign(jwt.SigningMethodRS512, priv, with(map[string]any{"aud": nil}), kid),
			"other audience":               sign(jwt.SigningMethodRS512, priv, with(map[string]any{"aud": "https://other.example/api"}), kid),
			"tampered payload":             valid.AccessToken[:len(valid.AccessToken)-4] + "AAAA",
			"garbage":                      "not-a-jwt",
		}
		for name, token := range attacks {
			if _, err := f.svc.Verify(ctx, token); !isInvalidToken(err) {
				t.Errorf("%s: accepted or wrong error: %v", name, err)
			}
		}
	})
}

func TestKeyRotationKeepsOldTokensValid(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		f := setup(t, gdb)
		ctx := context.Background()
		before, err := f.svc.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID, ClientSecret: f.secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.RotateSigningKey(ctx, &models.Identity{DB: gdb}); err != nil {
			t.Fatal(err)
		}
		// Another instance (a fresh service) signs with the new key...
		org, _ := models.EnsureOrganization(gdb)
		other, err := auth.New(ctx, &models.Identity{DB: gdb}, auth.Config{Issuer: issuer, Organization: org})
		if err != nil {
			t.Fatal(err)
		}
		after, err := other.Token(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: f.integ.ClientID, ClientSecret: f.secret})
		if err != nil {
			t.Fatal(err)
		}
		// ...and both tokens verify on both, the old service picking up
		// the new key by its kid.
		for _, svc := range []*auth.Service{f.svc, other} {
			for _, tok := range []string{before.AccessToken, after.AccessToken} {
				if _, err := svc.Verify(ctx, tok); err != nil {
					t.Fatalf("verify after rotation: %v", err)
				}
			}
		}
		keys := other.JWKS()["keys"].([]auth.JWK)
		if len(keys) != 2 {
			t.Fatalf("JWKS has %d keys, want the new and the retired one", len(keys))
		}
	})
}
