package openapi

import (
	"sort"
	"strconv"
	"strings"
)

// idempotencyDescription says what the Idempotency-Key header does.
const idempotencyDescription = "Makes the write safe to retry: 1 to 255 printable ASCII characters, unique per request " +
	"(a UUID). The first answer is kept for 24 hours per application and token owner and replayed byte for byte, " +
	"with `Idempotent-Replayed: true`, to every retry with the same key; the request does not run again. " +
	"The same key with another method, path, query or body is 422 IDEMPOTENCY_KEY_MISMATCH; while the first request " +
	"is still running (on any server) a retry is 409 IDEMPOTENCY_KEY_IN_USE with Retry-After; an invalid key is " +
	"400 IDEMPOTENCY_KEY_INVALID. Answers 401, 409, 429 and 5xx are not kept: a retry runs again."

// idempotentWrites documents Idempotency-Key on every write under /api,
// the errors it brings, and the replay header on its successes; not on the
// compat facades under /api, which document their own.
func (g *generator) idempotentWrites() {
	c := &g.doc.Components
	c.Headers["Idempotent-Replayed"] = &Header{Description: "true when the answer is the one kept for the request's Idempotency-Key, replayed.",
		Schema: &Schema{Type: "string", Enum: []any{"true"}}}
	c.Headers["Retry-After"] = &Header{Description: "Seconds to wait before retrying.", Schema: &Schema{Type: "integer"}}
	key := g.param("IdempotencyKey", func() *Parameter {
		return &Parameter{Name: "Idempotency-Key", In: "header", Description: idempotencyDescription,
			Schema: &Schema{Type: "string", MinLength: intPtr(1), MaxLength: intPtr(255), Pattern: "^[\\x20-\\x7E]+$"}}
	})
	if conflict := c.Responses["conflict"]; conflict != nil {
		conflict.Headers["Retry-After"] = &Header{Ref: ref("headers", "Retry-After")}
	}
	paths := make([]string, 0, len(g.doc.Paths))
	for p := range g.doc.Paths {
		if strings.HasPrefix(p, "/api/") && !g.facadePaths[p] {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		item := g.doc.Paths[p]
		for _, op := range []*Operation{item.Post, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			op.Parameters = append(op.Parameters, key)
			for status, r := range op.Responses {
				if n, err := strconv.Atoi(status); err == nil && n < 300 && r.Ref == "" {
					if r.Headers == nil {
						r.Headers = map[string]*Header{}
					}
					r.Headers["Idempotent-Replayed"] = &Header{Ref: ref("headers", "Idempotent-Replayed")}
				}
			}
			for _, status := range []int{400, 409, 422} {
				if _, ok := op.Responses[strconv.Itoa(status)]; !ok {
					op.Responses[strconv.Itoa(status)] = &Response{Ref: ref("responses", errorResponses[status])}
				}
			}
		}
	}
}

func intPtr(n int) *int { return &n }
