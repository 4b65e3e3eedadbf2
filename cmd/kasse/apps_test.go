package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppsCommands drives `kasse apps create|list|revoke` and `kasse keys
// rotate`, and checks the printed credentials really get tokens.
func TestAppsCommands(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "kasse.db")
	env := envFrom(map[string]string{"DATABASE_URL": dbURL})
	if _, stderr, err := runCmd(t, env, "seed", "--demo"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}

	out, stderr, err := runCmd(t, env, "apps", "create", "--kind", "integration", "--name", "Back office", "--json")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, stderr)
	}
	var integ appCreated
	if err := json.Unmarshal([]byte(out), &integ); err != nil || integ.ID == "" || integ.ClientID == "" || integ.ClientSecret == "" {
		t.Fatalf("apps create --json printed %q (%v)", out, err)
	}
	out, _, err = runCmd(t, env, "apps", "create", "--kind", "sales_channel", "--name", "Shop", "--scope", "market:code:us", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var shop appCreated
	if err := json.Unmarshal([]byte(out), &shop); err != nil || shop.ClientSecret != "" {
		t.Fatalf("a public sales channel gets no secret: %q", out)
	}

	// Both get tokens from a running server.
	srv := startServe(t, env, "--addr", "127.0.0.1:0")
	defer srv.stop()
	token := func(body string) *response {
		return send(t, "POST", srv.url+"/oauth/token", []string{"Content-Type: application/json"}, body)
	}
	if r := token(`{"grant_type":"client_credentials","client_id":"` + integ.ClientID + `","client_secret":"` + integ.ClientSecret + `"}`); r.status != 200 {
		t.Fatalf("integration token: %d %s", r.status, r.body)
	}
	if r := token(`{"grant_type":"client_credentials","client_id":"` + shop.ClientID + `"}`); r.status != 200 {
		t.Fatalf("sales channel token: %d %s", r.status, r.body)
	}

	out, _, err = runCmd(t, env, "apps", "list")
	if err != nil || !strings.Contains(out, integ.ClientID) || !strings.Contains(out, "market:code:us") || strings.Contains(out, integ.ClientSecret) {
		t.Fatalf("apps list: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, env, "apps", "revoke", integ.ClientID); err != nil {
		t.Fatal(err)
	}
	if r := token(`{"grant_type":"client_credentials","client_id":"` + integ.ClientID + `","client_secret":"` + integ.ClientSecret + `"}`); r.status != 401 {
		t.Fatalf("revoked app got %d %s", r.status, r.body)
	}
	out, _, _ = runCmd(t, env, "apps", "list", "--json")
	if !strings.Contains(out, `"revoked":true`) {
		t.Fatalf("apps list --json after revoke: %s", out)
	}
	if _, _, err := runCmd(t, env, "apps", "revoke", "nope"); err == nil {
		t.Fatal("revoking an unknown client id must fail")
	}
	if _, _, err := runCmd(t, env, "apps", "create", "--kind", "robot", "--name", "x"); err == nil {
		t.Fatal("an unknown kind must fail")
	}
	if out, _, err := runCmd(t, env, "keys", "rotate"); err != nil || !strings.Contains(out, "new signing key") {
		t.Fatalf("keys rotate: %v %s", err, out)
	}
}

func TestInvalidTokenLifetimeIsAnError(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{"KASSE_INTEGRATION_TOKEN_TTL", "soon"},
		{"KASSE_APPLICATION_CACHE_TTL", "soon"},
		{"KASSE_APPLICATION_CACHE_TTL", "-5s"},
	} {
		env := envFrom(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "kasse.db"), tt.name: tt.value})
		_, _, err := runCmd(t, env, "serve", "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("serve with %s=%s: %v, want an error naming the variable", tt.name, tt.value, err)
		}
	}
}
