package handlers_test

import (
	"bytes"
	"testing"
)

func TestCustomerPassword(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		const secret = "correct horse battery"
		r := e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "Ada@Example.com", "password": secret}, nil)).want(t, 201)
		c := r.data()
		a := attrs(c)
		if _, ok := a["password"]; ok {
			t.Fatalf("password in a response: %v", a)
		}
		if bytes.Contains(r.body, []byte(secret)) || bytes.Contains(r.body, []byte("digest")) {
			t.Fatalf("the password or its digest leaks: %s", r.body)
		}
		if a["has_password"] != true || a["email"] != "ada@example.com" || a["status"] != "prospect" {
			t.Fatalf("created customer: %v", a)
		}
		path := "/api/customers/" + id(c)
		for _, p := range []string{path, "/api/customers", "/api/customers?fields[customers]=email,has_password"} {
			r := e.do("GET", p, nil).want(t, 200)
			if bytes.Contains(r.body, []byte(`"password"`)) || bytes.Contains(r.body, []byte(secret)) {
				t.Fatalf("GET %s shows the password: %s", p, r.body)
			}
		}

		plain := e.create(t, "customers", map[string]any{"email": "plain@example.com"}, nil)
		if attrs(plain)["has_password"] != false {
			t.Fatalf("customer without password: %v", attrs(plain))
		}
		r = e.do("PATCH", "/api/customers/"+id(plain), resource("customers", id(plain), map[string]any{"password": "another secret"}, nil)).want(t, 200)
		if a := attrs(r.data()); a["has_password"] != true || a["password"] != nil {
			t.Fatalf("after setting a password: %v", a)
		}
		// A PATCH without the password keeps it; a short one is refused.
		r = e.do("PATCH", "/api/customers/"+id(plain), resource("customers", id(plain), map[string]any{"reference": "r"}, nil)).want(t, 200)
		if attrs(r.data())["has_password"] != true {
			t.Fatalf("absent password cleared it: %v", attrs(r.data()))
		}
		e.do("PATCH", "/api/customers/"+id(plain), resource("customers", id(plain), map[string]any{"password": "short"}, nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/password")
		e.do("PATCH", "/api/customers/"+id(plain), resource("customers", id(plain), map[string]any{"password": 12345678}, nil)).
			wantErrorAt(t, 400, "INVALID_FIELD_VALUE", "/data/attributes/password")

		for _, p := range []string{"/api/customers?sort=password", "/api/customers" + q("filter[q][password_eq]", secret), "/api/customers?fields[customers]=password"} {
			if r := e.do("GET", p, nil).want(t, 400); bytes.Contains(r.body, []byte(secret)) {
				t.Fatalf("GET %s: %s", p, r.body)
			}
		}
		// status is read-only.
		e.do("PATCH", path, resource("customers", id(c), map[string]any{"status": "repeat"}, nil)).
			wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/status")
	})
}

func TestCustomerEmail(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		first := e.create(t, "customers", map[string]any{"email": "shopper@example.com"}, nil)
		second := e.create(t, "customers", map[string]any{"email": "other@example.com"}, nil)
		for _, email := range []string{"shopper@example.com", "SHOPPER@example.com", "  Shopper@Example.COM "} {
			e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": email}, nil)).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/email")
		}
		e.do("PATCH", "/api/customers/"+id(second), resource("customers", id(second), map[string]any{"email": "Shopper@Example.com"}, nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/email")
		// Changing the case of one's own email is fine.
		r := e.do("PATCH", "/api/customers/"+id(first), resource("customers", id(first), map[string]any{"email": "SHOPPER@EXAMPLE.COM"}, nil)).want(t, 200)
		if attrs(r.data())["email"] != "shopper@example.com" {
			t.Fatalf("email %v", attrs(r.data())["email"])
		}
		for _, bad := range []string{"", "not-an-email", "Ada <ada@example.com>"} {
			e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": bad}, nil)).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/email")
		}
		if n := e.count(t, "/api/customers"); n != 2 {
			t.Fatalf("%d customers", n)
		}
		if n := e.count(t, "/api/customers"+q("filter[q][email_cont]", "SHOPPER")); n != 1 {
			t.Fatalf("email_cont is case-insensitive: %d", n)
		}
	})
}
