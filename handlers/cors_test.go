package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
)

// storefrontPage is a page on another origin that calls the API the way a
// browser storefront does; probe answers what the page could read.
const storefrontPage = `<!doctype html><html><head><meta charset="utf-8"><title>storefront</title><script>
async function probe(api, token, method) {
  const init = {method: method, headers: {"Authorization": "Bearer " + token, "Accept": "application/vnd.api+json"}};
  let path = "/api/skus";
  if (method === "POST") {
    path = "/api/orders";
    init.headers["Content-Type"] = "application/vnd.api+json";
    init.headers["Idempotency-Key"] = "browser-" + Math.random();
    init.body = JSON.stringify({data: {type: "orders", attributes: {customer_email: "browser@example.com"}}});
  }
  try {
    const r = await fetch(api + path, init);
    return r.status + " " + (r.headers.get("X-Request-Id") ? "exposed" : "hidden");
  } catch (e) {
    return "blocked";
  }
}
</script></head><body>storefront</body></html>`

// TestCORSInChromium: a storefront page on an allowed origin calls the API
// from real headless Chromium with a bearer token (a GET, and a POST whose
// JSON:API body and Idempotency-Key need a preflight); a page on another
// origin is blocked by the browser.
func TestCORSInChromium(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, storefrontPage)
	})
	allowed, other := httptest.NewServer(page), httptest.NewServer(page)
	t.Cleanup(allowed.Close)
	t.Cleanup(other.Close)

	e := newEnvWith(t, dbtest.SQLite(t), true, handlers.Config{CORSOrigins: []string{allowed.URL}})
	api := httptest.NewServer(e.router)
	t.Cleanup(api.Close)
	token := e.tokenFor(models.KindSalesChannel, "market:code:eu", "", "")

	ctx := browser(t)
	tests := []struct {
		origin, method, want string
	}{
		{allowed.URL, "GET", "200 exposed"},
		{allowed.URL, "POST", "201 exposed"},
		{other.URL, "GET", "blocked"},
		{other.URL, "POST", "blocked"},
	}
	for _, tt := range tests {
		script := fmt.Sprintf("probe(%q, %q, %q)", api.URL, token, tt.method)
		if err := chromedp.Do(ctx, chromedp.Navigate(tt.origin)); err != nil {
			t.Fatalf("open %s: %v", tt.origin, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s from %s: %v", tt.method, tt.origin, err)
		}
		if got != tt.want {
			t.Errorf("%s from %s: %q, want %q", tt.method, tt.origin, got, tt.want)
		}
	}

	// The preflight itself, as a browser sends it.
	req, _ := http.NewRequest("OPTIONS", api.URL+"/api/orders", nil)
	req.Header.Set("Origin", allowed.URL)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	allowHeaders := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != allowed.URL ||
		!strings.Contains(allowHeaders, "idempotency-key") || !strings.Contains(allowHeaders, "authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestNoCORSByDefault: without allowed origins the API sends no CORS
// headers and a preflight is refused.
func TestNoCORSByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), false)
	r := e.do("GET", "/api/skus", nil, "Origin", "https://shop.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS header without configured origins: %v", r.header)
	}
	pre := e.raw("OPTIONS", "/api/skus", nil)
	if pre.Code == http.StatusNoContent || pre.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight answered without configured origins: %d", pre.Code)
	}
}
