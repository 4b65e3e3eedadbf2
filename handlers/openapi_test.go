package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"kasse/models"
	"kasse/openapi"
	"kasse/resources"
)

// exchange sends a request as it is (no default headers) and holds the
// exchange to the OpenAPI document, as e.do does for /api requests.
func (e *env) exchange(t *testing.T, method, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sent := req.Clone(req.Context())
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	checkContract(t, sent, []byte(body), rec)
	return rec
}

// TestOpenAPIDocumentIsServed: GET /openapi.json is the document of the
// registry the router serves, naming the router's origin.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		rec := e.exchange(t, "GET", "/openapi.json", "", "")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET /openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		want, err := openapi.JSON(resources.Default(), openapi.Options{ServerURL: testBaseURL})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatal("GET /openapi.json is not the registry's document")
		}
		var doc struct {
			OpenAPI string `json:"openapi"`
			Servers []struct {
				URL string `json:"url"`
			} `json:"servers"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != testBaseURL {
			t.Fatalf("openapi %q servers %+v (%v)", doc.OpenAPI, doc.Servers, err)
		}
	})
}

// TestServiceEndpointsKeepTheContract runs the token endpoint's grants and
// failures, the keys and the probes through the OpenAPI validator: the
// HTTP suite's other tests reach them without the harness.
func TestServiceEndpointsKeepTheContract(t *testing.T) {
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
		if rec := e.exchange(t, "POST", "/api/customers", "application/vnd.api+json", `{"data":{"type":"customers","attributes":{"email":"ada@example.com","password":"secret-123"}}}`); rec.Code != http.StatusUnauthorized {
			t.Fatalf("POST /api/customers without a token: %d", rec.Code)
		}
		jsonBody := func(m map[string]string) string { b, _ := json.Marshal(m); return string(b) }
		form := func(m map[string]string) string {
			v := url.Values{}
			for k, x := range m {
				v.Set(k, x)
			}
			return v.Encode()
		}
		credentials := map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": secret}
		for _, c := range []struct {
			name, contentType, body string
			status                  int
		}{
			{"JSON client credentials", "application/json", jsonBody(credentials), 200},
			{"form client credentials", "application/x-www-form-urlencoded", form(credentials), 200},
			{"sales channel", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": channel.ClientID, "scope": "market:code:eu"}), 200},
			{"wrong secret", "application/json", jsonBody(map[string]string{"grant_type": "client_credentials", "client_id": integ.ClientID, "client_secret": "nope"}), 401},
			{"unsupported grant", "application/json", jsonBody(map[string]string{"grant_type": "implicit", "client_id": integ.ClientID, "client_secret": secret}), 400},
			{"unreadable body", "text/plain", "grant_type=client_credentials", 400},
		} {
			t.Run(c.name, func(t *testing.T) {
				if rec := e.exchange(t, "POST", "/oauth/token", c.contentType, c.body); rec.Code != c.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
				}
			})
		}
		for path, status := range map[string]int{"/.well-known/jwks.json": 200, "/healthz": 200, "/readyz": 200} {
			if rec := e.exchange(t, "GET", path, "", ""); rec.Code != status {
				t.Errorf("GET %s: %d, want %d", path, rec.Code, status)
			}
		}
	})
}
