package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// SecurityHeaders sets the headers every response carries: no MIME
// sniffing, no referrer leaking ids in URLs, and HSTS when the server's
// public origin is https (a plain-http origin must stay reachable).
func SecurityHeaders(baseURL string) gin.HandlerFunc {
	hsts := strings.HasPrefix(strings.ToLower(baseURL), "https://")
	return func(c *gin.Context) {
		// Shared values, set as canonical keys: nothing appends to a value
		// in place (Header.Add copies a full slice), and every request
		// saves the allocations.
		h := c.Writer.Header()
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		if hsts {
			h["Strict-Transport-Security"] = strictTransport
		}
		c.Next()
	}
}

var (
	nosniff         = []string{"nosniff"}
	noReferrer      = []string{"no-referrer"}
	strictTransport = []string{"max-age=31536000; includeSubDomains"}
)

// pageCSP is the Content-Security-Policy of the HTML pages Kasse serves
// (the sandbox's 3DS challenge; the hosted checkout): nothing loads from
// elsewhere, no script runs but the page's own files, and no other site
// may frame the page (clickjacking a payment confirmation). form-action
// is left open: a payment page's form ends in a redirect to the
// merchant's return URL, which form-action would block.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// HTMLPage sets the headers of the pages a person uses.
func HTMLPage() gin.HandlerFunc { return pageHeaders(pageCSP) }

// pageHeaders sets a person's page's headers with its policy: never
// framed, never cached.
func pageHeaders(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}

// CORS lets browser pages on the allowed origins call the API: it answers
// preflights and adds the CORS headers, naming what a storefront sends
// (a bearer token, JSON:API bodies, idempotency keys) and may read back.
// No origins: no CORS headers, and browsers keep other origins out.
func CORS(origins []string) gin.HandlerFunc { return cors.New(corsConfig(origins)) }

// CheckCORSOrigins tells what is wrong with a list of allowed origins:
// each must be an origin such as https://shop.example (a scheme and a
// host, no path).
func CheckCORSOrigins(origins []string) error {
	if len(origins) == 0 {
		return nil
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("CORS origin %q is not an origin such as https://shop.example", o)
		}
	}
	cfg := corsConfig(origins)
	return cfg.Validate()
}

func corsConfig(origins []string) cors.Config {
	return cors.Config{
		AllowOrigins:  origins,
		AllowMethods:  []string{"GET", "POST", "PATCH", "DELETE", "OPTIONS"},
		AllowHeaders:  []string{"Authorization", "Content-Type", "Accept", IdempotencyKeyHeader, "X-Request-Id"},
		ExposeHeaders: []string{"Location", "X-Request-Id", IdempotentReplayedHeader, "Retry-After", "X-Ratelimit-Limit", "X-Ratelimit-Count", "X-Ratelimit-Period", "X-Ratelimit-Interval", "X-Ratelimit-Remaining"},
		MaxAge:        12 * time.Hour,
	}
}
