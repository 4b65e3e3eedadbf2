// Package auth is Kasse's identity service: the OAuth2 token endpoint's
// grants (client credentials, customer password, rotating refresh tokens),
// access tokens as JWTs signed with a rotating asymmetric key, the JWKS
// that publishes the public keys, and token verification into a
// models.Principal.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"kasse/models"
)

// Algorithm is the one signing algorithm Kasse issues and accepts, as the
// reference does (RS512).
const Algorithm = "RS512"

// keySet caches the signing keys; an unknown kid reloads it from the
// database, so a key rotated by another instance is picked up.
type keySet struct {
	mu      sync.RWMutex
	active  *models.SigningKey
	signer  *rsa.PrivateKey
	public  map[string]*rsa.PublicKey
	records []models.SigningKey
}

func parsePrivate(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("signing key: not PEM")
	}
	return x509.ParsePKCS1PrivateKey(block.Bytes)
}

func parsePublic(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("public key: not PEM")
	}
	return x509.ParsePKCS1PublicKey(block.Bytes)
}

// generateSigningKey makes a key pair for models to store.
func generateSigningKey() (*models.SigningKey, error) { return signingKeyOf(nil) }

// signingKeyOf is priv as a key for models to store (nil: a new pair).
func signingKeyOf(priv *rsa.PrivateKey) (*models.SigningKey, error) {
	if priv == nil {
		var err error
		if priv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	return &models.SigningKey{
		Algorithm:     Algorithm,
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})),
		PublicKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&priv.PublicKey)})),
	}, nil
}

// ensureSigningKey creates the first signing key on first start: priv, or
// a new key pair when priv is nil.
func ensureSigningKey(ctx context.Context, ids *models.Identity, priv *rsa.PrivateKey) error {
	return ids.EnsureSigningKey(ctx, func() (*models.SigningKey, error) { return signingKeyOf(priv) })
}

// RotateSigningKey makes a new key the signer and retires the old ones;
// retired keys stay in the JWKS for keep (the longest token lifetime) so
// tokens they signed stay valid until they expire.
func RotateSigningKey(ctx context.Context, ids *models.Identity) (string, error) {
	return ids.RotateSigningKey(ctx, generateSigningKey)
}

// load reads every key still worth publishing.
func (s *keySet) load(ctx context.Context, ids *models.Identity, keep time.Duration) error {
	records, err := ids.PublishedSigningKeys(ctx, keep)
	if err != nil {
		return err
	}
	public := map[string]*rsa.PublicKey{}
	var active *models.SigningKey
	var signer *rsa.PrivateKey
	for i := range records {
		r := &records[i]
		pub, err := parsePublic(r.PublicKeyPEM)
		if err != nil {
			return fmt.Errorf("key %s: %w", r.ID, err)
		}
		public[r.ID] = pub
		if active == nil && r.RetiredAt == nil {
			priv, err := parsePrivate(r.PrivateKeyPEM)
			if err != nil {
				return fmt.Errorf("key %s: %w", r.ID, err)
			}
			active, signer = r, priv
		}
	}
	if active == nil {
		return errors.New("no active signing key: run migrations and start the server once")
	}
	s.mu.Lock()
	s.active, s.signer, s.public, s.records = active, signer, public, records
	s.mu.Unlock()
	return nil
}

// JWK is one public key in a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (s *keySet) jwks() []JWK {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]JWK, 0, len(s.records))
	for _, r := range s.records {
		pub := s.public[r.ID]
		out = append(out, JWK{Kty: "RSA", Kid: r.ID, Use: "sig", Alg: Algorithm,
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
	}
	return out
}
