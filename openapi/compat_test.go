package openapi_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"kasse/openapi"
	"kasse/resources"
)

// facadeParam is a header or path parameter an operation takes.
type facadeParam struct {
	name, in string
	required bool
}

// facadeOp is one facade operation as /tmp/facades-spec.md gives it.
type facadeOp struct {
	path, method, operationID string
	security                  []map[string][]string
	params                    []facadeParam
	body                      string            // the request body's schema, "" for none
	responses                 map[string]string // status → the body's schema
}

type facade struct {
	name, tag, prefix string
	ops               []facadeOp
}

var (
	bearer = []map[string][]string{{"bearerAuth": {}}}
	apiKey = []map[string][]string{{"apiKey": {}, "apiSecret": {}}}
)

// statuses maps each status to the same schema.
func statuses(success, successSchema, errorSchema string, codes ...int) map[string]string {
	out := map[string]string{success: successSchema}
	for _, c := range codes {
		out[fmt.Sprint(c)] = errorSchema
	}
	return out
}

// facades is the facades' wire contract, written out from the spec, not
// from the generator.
var facades = []facade{
	{name: "courses", tag: "Compat: course checkout", prefix: "compatCourses", ops: []facadeOp{{
		path: "/api/v1/checkout", method: "post", operationID: "compatCoursesCheckout", security: bearer,
		params:    []facadeParam{{"Idempotency-Key", "header", false}},
		body:      "compatCoursesCheckoutRequest",
		responses: statuses("200", "compatCoursesCheckout", "compatCoursesError", 400, 401, 403, 422, 429, 500, 503),
	}}},
	{name: "mobile_money", tag: "Compat: mobile-money sessions", prefix: "compatMobileMoney", ops: []facadeOp{{
		path: "/v1/checkouts", method: "post", operationID: "compatMobileMoneyCreateCheckout", security: bearer,
		params:    []facadeParam{{"idempotency-key", "header", true}},
		body:      "compatMobileMoneyCheckoutRequest",
		responses: statuses("201", "compatMobileMoneyCheckout", "compatMobileMoneyError", 400, 401, 403, 409, 422, 429, 500, 503),
	}, {
		path: "/v1/checkouts/{id}", method: "get", operationID: "compatMobileMoneyGetCheckout", security: bearer,
		params:    []facadeParam{{"id", "path", true}},
		responses: statuses("200", "compatMobileMoneyCheckout", "compatMobileMoneyError", 401, 403, 404, 429, 500, 503),
	}}},
	{name: "sessions", tag: "Compat: orchestrated sessions", prefix: "compatSessions", ops: []facadeOp{{
		path: "/api/v1/sessions", method: "post", operationID: "compatSessionsCreateSession", security: bearer,
		params: []facadeParam{{"Idempotency-Key", "header", true}},
		body:   "compatSessionsSessionRequest",
		responses: map[string]string{"201": "compatSessionsSession",
			"400": "compatSessionsError", "429": "compatSessionsError", "500": "compatSessionsInternalError",
			"401": "compatSessionsCodeError", "409": "compatSessionsCodeError", "502": "compatSessionsCodeError", "503": "compatSessionsCodeError", "504": "compatSessionsCodeError",
			"422": "compatSessionsRuleError"},
	}, {
		path: "/api/v1/sessions/{sessionId}", method: "get", operationID: "compatSessionsGetSession", security: bearer,
		params: []facadeParam{{"sessionId", "path", true}},
		responses: map[string]string{"200": "compatSessionsSession",
			"404": "compatSessionsError", "429": "compatSessionsError", "500": "compatSessionsInternalError",
			"401": "compatSessionsCodeError", "503": "compatSessionsCodeError"},
	}}},
	{name: "links", tag: "Compat: checkout links", prefix: "compatLinks", ops: []facadeOp{{
		path: "/api/checkout", method: "post", operationID: "compatLinksCreateCheckout", security: apiKey,
		params:    []facadeParam{{"Idempotency-Key", "header", false}},
		body:      "compatLinksCheckoutRequest",
		responses: statuses("200", "compatLinksCheckoutLink", "compatLinksError", 400, 401, 409, 422, 429, 500, 503),
	}, {
		path: "/api/checkout/{checkoutId}", method: "get", operationID: "compatLinksGetCheckout", security: apiKey,
		params:    []facadeParam{{"checkoutId", "path", true}},
		responses: statuses("200", "compatLinksCheckout", "compatLinksError", 401, 404, 429, 500, 503),
	}}},
}

// facadePaths are the paths of every facade.
func facadePaths() map[string]bool {
	out := map[string]bool{}
	for _, f := range facades {
		for _, op := range f.ops {
			out[op.path] = true
		}
	}
	return out
}

func compatDoc(t *testing.T, names []string) map[string]any {
	t.Helper()
	spec, err := openapi.JSON(resources.Default(), openapi.Options{Compat: names})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(spec, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompatFacadeNames(t *testing.T) {
	var names []string
	for _, f := range facades {
		names = append(names, f.name)
		if !openapi.ValidCompat(f.name) {
			t.Errorf("ValidCompat(%q) = false", f.name)
		}
	}
	if !slices.Equal(names, openapi.CompatFacades) {
		t.Errorf("CompatFacades = %v, want %v", openapi.CompatFacades, names)
	}
	for _, bad := range []string{"", "Courses", "mobile-money", "all", "nope"} {
		if openapi.ValidCompat(bad) {
			t.Errorf("ValidCompat(%q) = true", bad)
		}
		if _, err := openapi.JSON(resources.Default(), openapi.Options{Compat: []string{"courses", bad}}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("JSON with Compat %q: %v, want an error naming it", bad, err)
		}
	}
}

// TestCompatOption: the document describes exactly the facades Options
// names (nil: all, empty: none), and apart from their paths, tags,
// schemas and security schemes it is the document without facades.
func TestCompatOption(t *testing.T) {
	none := compatDoc(t, []string{})
	for p := range facadePaths() {
		if has(none, "paths", p) {
			t.Errorf("Compat [] documents %s", p)
		}
	}
	for _, c := range []struct {
		name   string
		compat []string
		want   []string
	}{
		{"nil", nil, openapi.CompatFacades},
		{"empty", []string{}, nil},
		{"links", []string{"links"}, []string{"links"}},
		{"any order", []string{"sessions", "courses"}, []string{"courses", "sessions"}},
		{"twice", []string{"links", "mobile_money", "links"}, []string{"mobile_money", "links"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := compatDoc(t, c.compat)
			wantPaths, wantTags := map[string]bool{}, []string{}
			for _, f := range facades {
				if slices.Contains(c.want, f.name) {
					wantTags = append(wantTags, f.tag)
					for _, op := range f.ops {
						wantPaths[op.path] = true
					}
				}
			}
			paths := at(t, d, "paths").(map[string]any)
			for p := range paths {
				if facadePaths()[p] && !wantPaths[p] {
					t.Errorf("%s is documented", p)
				}
			}
			for p := range wantPaths {
				if _, ok := paths[p]; !ok {
					t.Errorf("%s is not documented", p)
				}
			}
			var tags []string
			for _, tag := range at(t, d, "tags").([]any) {
				if name := tag.(map[string]any)["name"].(string); strings.HasPrefix(name, "Compat: ") {
					tags = append(tags, name)
				}
			}
			if !slices.Equal(tags, wantTags) {
				t.Errorf("compat tags %v, want %v", tags, wantTags)
			}
			schemas := at(t, d, "components", "schemas").(map[string]any)
			for _, f := range facades {
				n := 0
				for name := range schemas {
					if strings.HasPrefix(name, f.prefix) {
						n++
					}
				}
				if (n > 0) != slices.Contains(c.want, f.name) {
					t.Errorf("%d %s… schemas, facade described: %v", n, f.prefix, slices.Contains(c.want, f.name))
				}
			}
			links := slices.Contains(c.want, "links")
			if has(d, "components", "securitySchemes", "apiKey") != links || has(d, "components", "securitySchemes", "apiSecret") != links {
				t.Errorf("apiKey/apiSecret schemes present without the links facade, or missing with it")
			}
			// Take the facades out again: what is left is the document
			// without them, so nothing of theirs leaks elsewhere.
			for p := range facadePaths() {
				delete(paths, p)
			}
			for name := range schemas {
				if strings.HasPrefix(name, "compat") {
					delete(schemas, name)
				}
			}
			schemes := at(t, d, "components", "securitySchemes").(map[string]any)
			delete(schemes, "apiKey")
			delete(schemes, "apiSecret")
			d["tags"] = slices.DeleteFunc(d["tags"].([]any), func(tag any) bool {
				return strings.HasPrefix(tag.(map[string]any)["name"].(string), "Compat: ")
			})
			if !reflect.DeepEqual(d, none) {
				for k := range d {
					if !reflect.DeepEqual(d[k], none[k]) {
						t.Errorf("without its facades, the document's %s differs from the one with none", k)
					}
				}
			}
		})
	}
}

// refs lists the $ref values in v.
func refs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
			}
			out = append(out, refs(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, refs(e)...)
		}
	}
	return out
}

// TestCompatOperations holds each facade operation to the spec: its tag,
// operationId, security, parameters (no generic JSON:API one, and no
// Idempotency-Key added by the /api pass), request body and every status
// with its schema, application/json only.
func TestCompatOperations(t *testing.T) {
	d := doc(t, resources.Default())
	tags := map[string]string{}
	for _, tag := range at(t, d, "tags").([]any) {
		m := tag.(map[string]any)
		tags[m["name"].(string)], _ = m["description"].(string)
	}
	for _, f := range facades {
		if desc := tags[f.tag]; !strings.Contains(desc, "Mimics") || !strings.Contains(desc, "facade over checkout_sessions") {
			t.Errorf("tag %q: description %q does not say what it mimics and that it is a facade over checkout_sessions", f.tag, desc)
		}
		for _, want := range f.ops {
			what := strings.ToUpper(want.method) + " " + want.path
			item := at(t, d, "paths", want.path).(map[string]any)
			for m := range item {
				if m != "parameters" && m != want.method && !slices.ContainsFunc(f.ops, func(o facadeOp) bool { return o.path == want.path && o.method == m }) {
					t.Errorf("%s: %s is documented too", want.path, m)
				}
			}
			op := at(t, item, want.method).(map[string]any)
			if got := strings_(op["tags"]); !slices.Equal(got, []string{f.tag}) {
				t.Errorf("%s: tags %v", what, got)
			}
			if op["operationId"] != want.operationID {
				t.Errorf("%s: operationId %v, want %s", what, op["operationId"], want.operationID)
			}
			raw, _ := json.Marshal(op["security"])
			wantSec, _ := json.Marshal(want.security)
			if string(raw) != string(wantSec) {
				t.Errorf("%s: security %s, want %s", what, raw, wantSec)
			}
			var params []facadeParam
			for _, list := range []any{item["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					m := p.(map[string]any)
					if _, isRef := m["$ref"]; isRef {
						t.Errorf("%s: a shared parameter %v", what, m["$ref"])
						continue
					}
					req, _ := m["required"].(bool)
					params = append(params, facadeParam{m["name"].(string), m["in"].(string), req})
				}
			}
			if !reflect.DeepEqual(params, want.params) {
				t.Errorf("%s: parameters %v, want %v", what, params, want.params)
			}
			if want.body == "" {
				if _, ok := op["requestBody"]; ok {
					t.Errorf("%s: a request body", what)
				}
			} else {
				content := at(t, op, "requestBody", "content").(map[string]any)
				if !slices.Equal(slices.Collect(maps.Keys(content)), []string{"application/json"}) {
					t.Errorf("%s: request body content %v, want application/json only", what, slices.Collect(maps.Keys(content)))
				}
				if got := at(t, content, "application/json", "schema", "$ref"); got != "#/components/schemas/"+want.body {
					t.Errorf("%s: request body %v, want %s", what, got, want.body)
				}
				if at(t, op, "requestBody", "required") != true {
					t.Errorf("%s: the request body is optional", what)
				}
			}
			responses := at(t, op, "responses").(map[string]any)
			if got, wantCodes := slices.Sorted(maps.Keys(responses)), slices.Sorted(maps.Keys(want.responses)); !slices.Equal(got, wantCodes) {
				t.Errorf("%s: statuses %v, want %v", what, got, wantCodes)
			}
			for status, schema := range want.responses {
				r, ok := responses[status].(map[string]any)
				if !ok {
					continue
				}
				content, _ := r["content"].(map[string]any)
				if !slices.Equal(slices.Collect(maps.Keys(content)), []string{"application/json"}) {
					t.Errorf("%s %s: content %v, want application/json only", what, status, slices.Collect(maps.Keys(content)))
					continue
				}
				if got := at(t, content, "application/json", "schema", "$ref"); got != "#/components/schemas/"+schema {
					t.Errorf("%s %s: schema %v, want %s", what, status, got, schema)
				}
			}
			// Nothing generic: only the facade's own schemas and the
			// request id header every answer carries.
			for _, r := range refs(op) {
				if !strings.HasPrefix(r, "#/components/schemas/"+f.prefix) && r != "#/components/headers/X-Request-Id" {
					t.Errorf("%s refers to %s", what, r)
				}
			}
		}
	}
}

// TestOperationIDsAreUnique over the whole document, facades included.
func TestOperationIDsAreUnique(t *testing.T) {
	d := doc(t, resources.Default())
	seen := map[string]string{}
	for p, item := range at(t, d, "paths").(map[string]any) {
		for m, op := range item.(map[string]any) {
			if m == "parameters" {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s has no operationId", m, p)
			} else if other, dup := seen[id]; dup {
				t.Errorf("operationId %s is %s and %s %s", id, other, m, p)
			}
			seen[id] = m + " " + p
		}
	}
	for _, f := range facades {
		for _, op := range f.ops {
			if !strings.HasPrefix(op.operationID, f.prefix) {
				t.Errorf("%s does not start with %s", op.operationID, f.prefix)
			}
		}
	}
}

// compatSchemas compiles the document's component schemas.
func compatSchemas(t *testing.T) func(name string) *jsonschema.Schema {
	t.Helper()
	spec, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jsonschema.UnmarshalJSON(strings.NewReader(string(spec)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	return func(name string) *jsonschema.Schema {
		t.Helper()
		s, err := c.Compile("openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s
	}
}

// TestCompatSchemas validates the spec's and the reference's bodies, and
// broken ones, against the facades' schemas: requests require what the
// spec requires and take extra members; answers require every field the
// spec lists (nullable ones present with null) and take extra members.
func TestCompatSchemas(t *testing.T) {
	compile := compatSchemas(t)
	courses := `{"status":"SUCCESS","checkout_url":"https://kasse.example/checkout/cs_1","session_id":"cs_1","order_id":12345,"total_amount":199.97,"currency":"EUR","courses":[{"id":123,"title":"JavaScript Fundamentals","price":49.99},{"id":"456","title":"Go","price":150}]}`
	mm := `{"id":"cs_ci_123456789","status":"created","amount":5000,"currency":"XOF","user_phone":"+22507987654","payment_id":"ORDER_123","description":null,"checkout_url":"https://kasse.example/p","created_at":"2026-12-02T01:02:03Z","expires_at":"2026-12-02T01:32:03Z","completed_at":null,"failure_reason":null,"transaction_fee":25,"customer_id":null}`
	sessionReq := `{"orderReference":"ORD-2024-001","paymentMethod":"card","currency":"AUD","locale":"en_AU","amount":{"total":140.76,"shipping":9.95,"tax":11.81},"orderItems":[{"name":"Wireless Headphones","sku":"WH-100","quantity":1,"unitPrice":119}],"customer":{"firstName":"Jane","lastName":"Smith","email":"jane.smith@example.com","phone":"+61412345678","billingAddress":{"line1":"123 Collins Street","line2":"Level 5","city":"Melbourne","state":"VIC","postalCode":"3000","country":"AU"},"shippingAddress":{"line1":"1 Main St","city":"Sydney","country":"AU"}},"shipping":{"type":"express","method":"aus_post"},"additionalInformation":{"campaignId":"summer-sale-2024","referralCode":"REF-ABC"},"redirectUrls":{"success":"https://merchant.example.com/checkout/success","failure":"https://merchant.example.com/checkout/failure"}}`
	session := `{"sessionId":"e4b8c1a2-b088-4e79-99ad-2c3e0fa3f1b9","checkoutUrl":"https://kasse.example/p","status":"PENDING","routing":{"selectedProvider":"stripe","score":92.5},"expiresAt":"2024-01-15T12:00:00Z","createdAt":"2024-01-15T11:00:00Z","orderReference":"ORD-2024-001","currency":"AUD","amount":{"total":140.76,"shipping":9.95,"tax":11.81},"completedAt":null,"failureReason":null}`
	links := `{"checkoutId":"0b5b7c1e-4d7a-4c5e-9a51-2f0d8f0b1a11","orderId":"ORD-12345","status":"SUCCESS","amount":100.5,"currency":"TRY","installmentCount":null,"paidAt":"2026-12-02T01:02:03Z","errorMessage":null}`
	edit := func(doc string, change func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(doc), &m); err != nil {
			panic(err)
		}
		change(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	drop := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	many := make([]any, 51)
	for i := range many {
		many[i] = i + 1
	}
	for _, c := range []struct {
		schema, body string
		valid        bool
	}{
		{"compatCoursesCheckoutRequest", `{"courses":[123,456,789]}`, true},
		{"compatCoursesCheckoutRequest", `{"courses":[123,"456"],"coupon":"x"}`, true},
		{"compatCoursesCheckoutRequest", `{}`, false},
		{"compatCoursesCheckoutRequest", `{"courses":[]}`, false},
		{"compatCoursesCheckoutRequest", `{"courses":[1.5]}`, false},
		{"compatCoursesCheckoutRequest", `{"courses":[true]}`, false},
		{"compatCoursesCheckoutRequest", `{"courses":123}`, false},
		{"compatCoursesCheckoutRequest", edit(`{}`, set("courses", many)), false},
		{"compatCoursesCheckout", courses, true},
		{"compatCoursesCheckout", edit(courses, set("extra", 1)), true},
		{"compatCoursesCheckout", edit(courses, drop("order_id")), false},
		{"compatCoursesCheckout", edit(courses, set("order_id", "12345")), false},
		{"compatCoursesCheckout", edit(courses, set("status", "ERROR")), false},
		{"compatCoursesError", `{"status":"ERROR","message":"Validation failed","errors":{"courses":["The courses field is required.","At least one course must be selected."]}}`, true},
		{"compatCoursesError", `{"status":"ERROR","message":"Access forbidden"}`, true},
		{"compatCoursesError", `{"status":"ERROR","message":"Validation failed","errors":{"courses":"required"}}`, false},
		{"compatCoursesError", `{"message":"Access forbidden"}`, false},

		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"currency":"XOF","user_phone":"+22507987654"}`, true},
		{"compatMobileMoneyCheckoutRequest", `{"amount":100,"currency":"usd","user_phone":"+22507987654","description":"x","expires_in":300,"payment_method":"card","success_url":"https://m.example/ok","cancel_url":"https://m.example/ko","metadata":{}}`, true},
		{"compatMobileMoneyCheckoutRequest", `{"amount":99,"currency":"XOF","user_phone":"+22507987654"}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":50.5,"currency":"XOF","user_phone":"+22507987654"}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"currency":"XOF","user_phone":"07987654"}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"currency":"XOF","user_phone":"+22507987654","expires_in":86401}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"currency":"XOF","user_phone":"+22507987654","payment_method":"cash"}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"currency":"XOF","user_phone":"+22507987654","description":"` + strings.Repeat("x", 201) + `"}`, false},
		{"compatMobileMoneyCheckoutRequest", `{"amount":5000,"user_phone":"+22507987654"}`, false},
		{"compatMobileMoneyCheckout", mm, true},
		{"compatMobileMoneyCheckout", edit(mm, set("completed_at", "2026-12-02T01:05:00Z")), true},
		{"compatMobileMoneyCheckout", edit(mm, drop("completed_at")), false},
		{"compatMobileMoneyCheckout", edit(mm, set("status", "done")), false},
		{"compatMobileMoneyCheckout", edit(mm, set("transaction_fee", nil)), false},
		{"compatMobileMoneyError", `{"error":"bad_request","message":"amount must be at least 100","field":"amount"}`, true},
		{"compatMobileMoneyError", `{"error":"oops","message":"x"}`, false},

		{"compatSessionsSessionRequest", sessionReq, true},
		{"compatSessionsSessionRequest", edit(sessionReq, drop("customer")), true},
		{"compatSessionsSessionRequest", edit(sessionReq, set("paymentMethod", "paypal")), false},
		{"compatSessionsSessionRequest", edit(sessionReq, set("currency", "aud")), false},
		{"compatSessionsSessionRequest", edit(sessionReq, set("orderItems", []any{})), false},
		{"compatSessionsSessionRequest", edit(sessionReq, set("orderItems", []any{map[string]any{"name": "x", "sku": "y", "quantity": 0, "unitPrice": 1}})), false},
		{"compatSessionsSessionRequest", edit(sessionReq, drop("amount")), false},
		{"compatSessionsSessionRequest", edit(sessionReq, drop("orderReference")), false},
		{"compatSessionsSessionRequest", edit(sessionReq, set("customer", map[string]any{"email": "a@example.com", "billingAddress": map[string]any{"line1": "x", "city": "y", "country": "AUS"}})), false},
		{"compatSessionsSession", session, true},
		{"compatSessionsSession", edit(session, drop("routing")), false},
		{"compatSessionsSession", edit(session, set("status", "pending")), false},

		{"compatLinksCheckoutRequest", `{"orderId":"ORD-12345","amount":100.50,"currency":"TRY","callback":"https://m.example/cb"}`, true},
		{"compatLinksCheckoutRequest", `{"orderId":"ORD-12345","amount":100.50,"currency":"TRY","callback":"https://m.example/cb","description":"x","customerId":"c1","maxInstallmentCount":12,"interestPaidByCustomer":true}`, true},
		{"compatLinksCheckoutRequest", `{"orderId":"ORD-12345","amount":0,"currency":"TRY","callback":"https://m.example/cb"}`, false},
		{"compatLinksCheckoutRequest", `{"orderId":"ORD-12345","amount":1,"currency":"TRY","callback":"https://m.example/cb","maxInstallmentCount":37}`, false},
		{"compatLinksCheckoutRequest", `{"orderId":"ORD-12345","amount":1,"currency":"TRY"}`, false},
		{"compatLinksCheckoutLink", `{"checkoutId":"0b5b7c1e-4d7a-4c5e-9a51-2f0d8f0b1a11","redirectUrl":"https://kasse.example/checkout-link/0b5b7c1e"}`, true},
		{"compatLinksCheckoutLink", `{"checkoutId":"0b5b7c1e-4d7a-4c5e-9a51-2f0d8f0b1a11"}`, false},
		{"compatLinksCheckout", links, true},
		{"compatLinksCheckout", edit(links, set("installmentCount", 3)), true},
		{"compatLinksCheckout", edit(links, set("status", "OK")), false},
		{"compatLinksCheckout", edit(links, drop("paidAt")), false},
		{"compatLinksError", `{"errorCode":"VALIDATION_ERROR","errorMessage":"amount must be positive"}`, true},
		{"compatLinksError", `{"errorCode":"VALIDATION_ERROR"}`, false},
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if err := compile(c.schema).Validate(inst); (err == nil) != c.valid {
			t.Errorf("%s %s: valid %v, want %v (%v)", c.schema, c.body, err == nil, c.valid, err)
		}
	}
}

// TestCompatSessionsErrorBodies: each error body the orchestrator's
// reference gives, exactly, is valid against the schema its status
// answers with in the document.
func TestCompatSessionsErrorBodies(t *testing.T) {
	compile := compatSchemas(t)
	d := doc(t, resources.Default())
	responses := at(t, d, "paths", "/api/v1/sessions", "post", "responses").(map[string]any)
	for _, c := range []struct{ status, body string }{
		{"400", `{"error": "Bad Request", "message": "Missing required header: Idempotency-Key", "statusCode": 400}`},
		{"400", `{"error": "Bad Request", "message": ["amount.total does not match the sum of line items, shipping, and tax"], "statusCode": 400}`},
		{"401", `{"error": "Unauthorized", "message": "Authentication required. Please provide a valid API token", "code": 401}`},
		{"409", `{"error": "Conflict", "message": "The request conflicts with the current state of the resource", "code": 409, "details": "Resource already exists"}`},
		{"422", `{"message": "This idempotency key was already used with different request parameters", "statusCode": 422, "code": "IDEMPOTENCY_KEY_MISMATCH"}`},
		{"422", `{"message": "No eligible providers found for the given request parameters", "statusCode": 422, "code": "NO_AVAILABLE_PROVIDER"}`},
		{"500", `{"message": "Internal server error", "statusCode": 500}`},
		{"502", `{"error": "Error", "message": "Service temporarily unavailable.", "code": 502}`},
		{"503", `{"error": "Service Unavailable", "message": "The service is temporarily unavailable. Please try again later", "code": 503}`},
		{"504", `{"error": "Error", "message": "Request timed out.", "code": 504}`},
	} {
		ref := at(t, responses, c.status, "content", "application/json", "schema", "$ref").(string)
		s := compile(strings.TrimPrefix(ref, "#/components/schemas/"))
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s %s: %v", c.status, c.body, err)
		}
	}
	// The statusCode shapes are not the code ones.
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"error": "Unauthorized", "message": "x", "code": 401}`))
	if compile("compatSessionsError").Validate(inst) == nil {
		t.Error("compatSessionsError takes a code-shaped body")
	}
}

// TestCompatSchemasAreOpen: no facade schema forbids members (clients send
// fields Kasse does not read; answers may gain fields).
func TestCompatSchemasAreOpen(t *testing.T) {
	schemas := at(t, doc(t, resources.Default()), "components", "schemas").(map[string]any)
	var walk func(name string, v any)
	walk = func(name string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["additionalProperties"] == false {
				t.Errorf("%s forbids additional properties", name)
			}
			for _, e := range x {
				walk(name, e)
			}
		case []any:
			for _, e := range x {
				walk(name, e)
			}
		}
	}
	n := 0
	for name, s := range schemas {
		if strings.HasPrefix(name, "compat") {
			n++
			walk(name, s)
		}
	}
	if n == 0 {
		t.Fatal("no compat schemas in the document")
	}
}
