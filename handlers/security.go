package handlers

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// SecurityHeaders sets the headers every response carries: no MIME
// sniffing, no referrer leaking ids in URLs, and HSTS when the server's
// public origin is https (a plain-http origin must stay reachable).
func SecurityHeaders(baseURL string) gin.HandlerFunc {
	hsts := strings.HasPrefix(strings.ToLower(baseURL), "https://")
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		c.Next()
	}
}

// pageCSP is the Content-Security-Policy of the HTML pages Kasse serves
// (the sandbox's 3DS challenge; the hosted checkout): nothing loads from
// elsewhere, no script runs but the page's own files, and no other site
// may frame the page (clickjacking a payment confirmation). form-action
// is left open: a payment page's form ends in a redirect to the
// merchant's return URL, which form-action would block.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// HTMLPage sets the headers of the pages a person uses.
func HTMLPage() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
