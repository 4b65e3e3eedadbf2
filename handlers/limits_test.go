package handlers_test

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// noise is n letters that do not compress, as PostgreSQL would compress a
// repeated letter below its index entry limit (about 2,700 bytes).
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// TestStringLimits: a text attribute longer than its maximum is refused
// before the database on both (422 at its pointer on a write, 400 on a
// filter), never a 500 (an unchecked 3,000-byte value overflows
// PostgreSQL's index entries); the maximum itself is accepted.
func TestStringLimits(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		long := noise(3000)
		markets := e.do("GET", "/api/markets", nil).want(t, 200).list()
		market := map[string]any{"market": ref("markets", id(markets[0]))}
		order := e.create(t, "orders", map[string]any{"customer_email": "ada@example.com"}, market)
		customer := e.create(t, "customers", map[string]any{"email": "grace@example.com"}, nil)
		address := e.newAddress(t)
		email := strings.Repeat("a", 243) + "@example.com" // 255 characters

		for _, c := range []struct {
			name, method, path, typ, id, attr string
			value                             any
			status                            int
		}{
			{"order email on create", "POST", "/api/orders", "orders", "", "customer_email", long + "@example.com", 422},
			{"order email on update", "PATCH", "/api/orders/" + id(order), "orders", id(order), "customer_email", long + "@example.com", 422},
			{"order cart_url", "PATCH", "/api/orders/" + id(order), "orders", id(order), "cart_url", "https://shop.test/" + long, 422},
			{"customer email", "POST", "/api/customers", "customers", "", "email", long + "@example.com", 422},
			{"customer email on update", "PATCH", "/api/customers/" + id(customer), "customers", id(customer), "email", long + "@example.com", 422},
			{"address city", "PATCH", "/api/addresses/" + id(address), "addresses", id(address), "city", long, 422},
			{"address city of 255 characters", "PATCH", "/api/addresses/" + id(address), "addresses", id(address), "city", strings.Repeat("é", 255), 200},
			{"customer email of 255 characters", "PATCH", "/api/customers/" + id(customer), "customers", id(customer), "email", email, 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				var rels map[string]any
				if c.method == "POST" && c.typ == "orders" {
					rels = market
				}
				r := e.do(c.method, c.path, resource(c.typ, c.id, map[string]any{c.attr: c.value}, rels))
				if c.status != 422 {
					r.want(t, c.status)
					return
				}
				got := r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/"+c.attr)
				if detail, _ := got["detail"].(string); !strings.Contains(detail, "is too long (maximum is") {
					t.Errorf("detail %q does not say the limit", detail)
				}
			})
		}

		for _, c := range []struct{ path, filter string }{
			{"/api/orders", "customer_email_eq"},
			{"/api/orders", "customer_email_cont"},
			{"/api/customers", "email_eq"},
			{"/api/addresses", "city_in"},
			{"/api/skus", "code_start"},
			{"/api/orders", "id_eq"},
		} {
			t.Run(c.path+" "+c.filter, func(t *testing.T) {
				param := "filter[q][" + c.filter + "]"
				e.do("GET", c.path+q(param, long), nil).wantErrorAt(t, 400, "INVALID_FILTER_VALUE", param)
			})
		}
		e.do("GET", "/api/customers"+q("filter[q][email_eq]", email), nil).want(t, 200)
	})
}
