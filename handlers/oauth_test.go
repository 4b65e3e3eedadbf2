package handlers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
)

// post sends a raw token request and decodes the JSON answer.
func (e *env) post(t *testing.T, contentType, body string, basic ...string) (int, map[string]any) {
	t.Helper()
	return e.postTo(t, "/oauth/token", contentType, body, basic...)
}

// postTo sends a raw OAuth request to path and decodes the JSON answer.
func (e *env) postTo(t *testing.T, path, contentType, body string, basic ...string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("token endpoint answered non-JSON: %s", rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("token response without Cache-Control: no-store")
	}
	return rec.Code, out
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		integ, secret, err := models.NewApplication(e.db, models.KindIntegration, "server", "", false)
		if err != nil {
			t.Fatal(err)
		}
		channel, _, err := models.NewApplication(e.db, models.KindSalesChannel, "shop", "market:code:eu", false)
		if err != nil {
			t.Fatal(err)
		}
		jsonBody := func(m map[string]string) string { b, _ := json.Marshal(m); return string(b) }
		form := func(m map[string]string) string {
			v := url.Values{}
			for k, x := range m {
				v.Set(k, x)
			}
			return v.Encode()
		}
		tests := []struct {
			name        string
			contentType string
			body        string
			basic       []string
			status      int
			wantError   string
		}{
			{"integration, JSON", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": secret}), nil, 200, ""},
			{"integration, form", "application/x-www-form-urlencoded", form(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": secret}), nil, 200, ""},
			{"integration, HTTP Basic", "application/x-www-form-urlencoded", form(map[string]string{"grant_type": "client_credentials"}), []string{integ.ClientID, secret}, 200, ""},
			{"public sales channel with scope", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": channel.ClientID, "scope": "market:code:us"}), nil, 200, ""},
			{"wrong secret", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": "x"}), nil, 401, "invalid_client"},
			{"unknown grant", "application/json", jsonBody(map[string]string{"grant_type": "magic", "client_id": integ.ClientID, "client_secret": secret}), nil, 400, "unsupported_grant_type"},
			{"bad scope", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": channel.ClientID, "scope": "market:code:nowhere"}), nil, 400, "invalid_scope"},
			{"not JSON", "application/json", "{", nil, 400, "invalid_request"},
			{"no content type", "text/plain", "grant_type=client_credentials", nil, 400, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, out := e.post(t, tt.contentType, tt.body, tt.basic...)
				if status != tt.status {
					t.Fatalf("status %d, want %d: %v", status, tt.status, out)
				}
				if tt.wantError != "" {
					if out["error"] != tt.wantError || out["error_description"] == "" || out["errors"] == nil {
						t.Fatalf("error body %v", out)
					}
					return
				}
				if out["token_type"] != "bearer" || out["access_token"] == "" || out["expires_in"] == nil || out["created_at"] == nil {
					t.Fatalf("token body %v", out)
				}
				token := out["access_token"].(string)
				e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+token).want(t, 200)
			})
		}

		rec := httptest.NewRecorder()
		e.router.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		var jwks struct {
			Keys []map[string]string `json:"keys"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &jwks); err != nil || len(jwks.Keys) != 1 || jwks.Keys[0]["alg"] != "RS512" || jwks.Keys[0]["kid"] == "" {
			t.Fatalf("jwks %s", rec.Body)
		}
	})
}

// TestLogsHoldNoSecrets: no log line carries a client secret, a password,
// an access token or an Authorization header.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e := newEnvWith(t, gdb, false, handlers.Config{Logger: logger})
		integ, secret, err := models.NewApplication(e.db, models.KindIntegration, "server", "", false)
		if err != nil {
			t.Fatal(err)
		}
		status, out := e.post(t, "application/json", `{"grant_type":"client_credentials","client_id":"`+integ.ClientID+`","client_secret":"`+secret+`"}`)
		if status != http.StatusOK {
			t.Fatal(out)
		}
		token := out["access_token"].(string)
		e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "pw@example.com", "password": "hunter2-hunter2"}, nil), "Authorization", "Bearer "+token).want(t, 201)
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+token+"x").want(t, 401)
		// A gateway's secret key and a payment token.
		e.do("POST", "/api/checkout_com_gateways", resource("checkout_com_gateways", "", map[string]any{"name": "CKO", "secret_key": "sk_sbox_VERYSECRET"}, nil), "Authorization", "Bearer "+token).want(t, 201)
		if _, err := models.SeedDemo(e.db); err != nil {
			t.Fatal(err)
		}
		guest := e.guest(t)
		o := guest.checkout(t)
		guest.pay(t, o, "tok_sandbox_approved").want(t, 201)
		guest.pay(t, o, "4242424242424242").want(t, 422)
		// A hosted checkout page's token and the test card typed on it.
		_, session := cartSession(t, e, nil)
		path := pagePath(t, session)
		page := e.visit(t, "GET", path, nil)
		e.visit(t, "POST", path, url.Values{"csrf_token": {page.csrf(t)}, "card_number": {"4242 4242 4242 4242"}, "card_expiry": {"12/39"}, "card_cvc": {"123"}})
		pageToken := strings.TrimPrefix(path, "/checkout/")
		if logs.Len() == 0 {
			t.Fatal("nothing was logged: the test would prove nothing")
		}
		for _, secretValue := range []string{secret, token, "hunter2-hunter2", "Bearer", "Authorization", "sk_sbox_VERYSECRET", "tok_sandbox_approved", "4242424242424242", "4242 4242 4242 4242", pageToken} {
			if strings.Contains(logs.String(), secretValue) {
				t.Errorf("the logs contain %q", secretValue)
			}
		}
	})
}

// TestTokenRevocation: POST /oauth/revoke (RFC 7009) revokes an access
// token, refused from then on, or a refresh token, which can no longer be
// exchanged; any other token is answered 200 {} as well.
func TestTokenRevocation(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		integ, secret, err := models.NewApplication(e.db, models.KindIntegration, "server", "", false)
		if err != nil {
			t.Fatal(err)
		}
		channel, _, err := models.NewApplication(e.db, models.KindSalesChannel, "shop", "market:code:eu", false)
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "leaver@example.com", "password": "my-password"}, nil)).want(t, 201)
		jsonBody := func(m map[string]string) string { b, _ := json.Marshal(m); return string(b) }
		grant := func(m map[string]string) map[string]any {
			t.Helper()
			status, out := e.post(t, "application/json", jsonBody(m))
			if status != 200 {
				t.Fatalf("token: %d %v", status, out)
			}
			return out
		}
		revoke := func(contentType, body string, status int, basic ...string) map[string]any {
			t.Helper()
			got, out := e.postTo(t, "/oauth/revoke", contentType, body, basic...)
			if got != status {
				t.Fatalf("revoke %s: status %d, want %d: %v", body, got, status, out)
			}
			if status == 200 && len(out) != 0 {
				t.Fatalf("revoke answered %v, want {}", out)
			}
			return out
		}

		// An integration's access token, revoked with a JSON body.
		access := grant(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": secret})["access_token"].(string)
		other := grant(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": secret})["access_token"].(string)
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+access).want(t, 200)
		revoke("application/json", jsonBody(map[string]string{"client_id": integ.ClientID, "client_secret": secret, "token": access}), 200)
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+access).wantError(t, 401, "INVALID_TOKEN")
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+other).want(t, 200)
		// Twice is fine, and so is HTTP Basic with a form.
		revoke("application/x-www-form-urlencoded", url.Values{"token": {access}}.Encode(), 200, integ.ClientID, secret)

		// A customer's refresh token, revoked by the public sales channel
		// with a form, as js-auth's revoke sends it.
		signedIn := grant(map[string]string{"grant_type": "password", "client_id": channel.ClientID, "username": "leaver@example.com", "password": "my-password"})
		refresh := signedIn["refresh_token"].(string)
		revoke("application/x-www-form-urlencoded", url.Values{"client_id": {channel.ClientID}, "token": {refresh}}.Encode(), 200)
		status, out := e.post(t, "application/json", jsonBody(map[string]string{"grant_type": "refresh_token", "client_id": channel.ClientID, "refresh_token": refresh}))
		if status != 400 || out["error"] != "invalid_grant" {
			t.Fatalf("refresh with a revoked token: %d %v", status, out)
		}
		// The customer's access token, revoked too.
		customerAccess := signedIn["access_token"].(string)
		e.do("GET", "/api/orders", nil, "Authorization", "Bearer "+customerAccess).want(t, 200)
		revoke("application/json", jsonBody(map[string]string{"client_id": channel.ClientID, "token": customerAccess}), 200)
		e.do("GET", "/api/orders", nil, "Authorization", "Bearer "+customerAccess).wantError(t, 401, "INVALID_TOKEN")

		// Unknown tokens, and another client's token: 200 {} and nothing revoked.
		revoke("application/json", jsonBody(map[string]string{"client_id": integ.ClientID, "client_secret": secret, "token": "not-a-token"}), 200)
		revoke("application/json", jsonBody(map[string]string{"client_id": channel.ClientID, "token": other}), 200)
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+other).want(t, 200)

		// Client authentication and the request itself are checked.
		if out := revoke("application/json", jsonBody(map[string]string{"client_id": integ.ClientID, "client_secret": "wrong", "token": other}), 401); out["error"] != "invalid_client" {
			t.Fatalf("wrong secret: %v", out)
		}
		if out := revoke("application/json", jsonBody(map[string]string{"client_id": integ.ClientID, "client_secret": secret}), 400); out["error"] != "invalid_request" {
			t.Fatalf("no token: %v", out)
		}
		revoke("text/plain", "token=x", 400)
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer "+other).want(t, 200)
	})
}
