package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/models"
)

// compatResponse is a checkout facade's plain JSON answer.
type compatResponse struct {
	status int
	body   []byte
	doc    map[string]any
	header map[string][]string
}

// compat sends a facade request (application/json, the env's integration
// token unless headers replace Authorization) and checks the answer is
// plain JSON the OpenAPI document declares.
func (e *env) compat(t *testing.T, method, path string, body any, headers ...string) *compatResponse {
	t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		payload = raw
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(payload))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	sent := req.Clone(req.Context())
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	r := &compatResponse{status: rec.Code, body: rec.Body.Bytes(), header: rec.Header()}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if err := json.Unmarshal(r.body, &r.doc); err != nil {
		t.Fatalf("%s %s: %d, not a JSON object: %v\n%s", method, path, r.status, err, r.body)
	}
	checkContract(t, sent, payload, rec)
	return r
}

func (r *compatResponse) want(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	return r.doc
}

// wantBody fails unless the answer is status with exactly body.
func (r *compatResponse) wantBody(t *testing.T, status int, body string) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	if r.status != status || !reflect.DeepEqual(r.doc, want) {
		t.Fatalf("got %d %s\nwant %d %s", r.status, r.body, status, body)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// payByCard pays a session's page with the sandbox's approved test card.
func (e *env) payByCard(t *testing.T, checkoutURL string, fields ...string) *page {
	t.Helper()
	u, err := url.Parse(checkoutURL)
	if err != nil || !strings.HasPrefix(u.Path, "/checkout/") {
		t.Fatalf("checkout URL %q", checkoutURL)
	}
	p := e.visit(t, "GET", u.Path, nil)
	form := url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"123"}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	p = e.visit(t, "POST", u.Path, form)
	if p.status != 303 {
		t.Fatalf("pay: %d\n%s", p.status, p.body)
	}
	return p
}

// course makes a SKU sold once per customer, with a numeric reference, a
// price in eu and stock.
func course(t *testing.T, e *env, reference, name string, cents int) string {
	t.Helper()
	code := "COURSE-" + reference
	oncePerCustomerSku(t, e, code, cents)
	sku := e.one(t, "skus", "code_eq", code)
	e.integration().do(t, "PATCH", "/api/skus/"+id(sku), resource("skus", id(sku), map[string]any{"reference": reference, "name": name}, nil)).want(t, 200)
	return id(sku)
}

// TestCompatCourses drives the course checkout facade (A) with the
// reference's own request: the buyer's token buys three courses in one
// call, pays on the page, owns them (the placed order), and a second
// purchase of one is 403 "Access forbidden".
func TestCompatCourses(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		course(t, e, "1123", "JavaScript Fundamentals", 4999)
		course(t, e, "1456", "Advanced TypeScript", 7999)
		course(t, e, "1789", "Node.js in Production", 6999)
		e.create(t, "webhooks", map[string]any{"topic": "orders.place", "callback_url": "https://93.184.216.34/hooks"}, nil)
		buyer, customerID := e.customer(t, "learner@example.com")
		as := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

		e.compat(t, "POST", "/api/v1/checkout", map[string]any{"courses": []any{1123}}, "Authorization", "").
			wantBody(t, 401, `{"status":"ERROR","message":"Unauthenticated: send an access token: Authorization: Bearer <token> (get one at POST /oauth/token)"}`)
		e.compat(t, "POST", "/api/v1/checkout", map[string]any{"courses": []any{1123}}).want(t, 401) // an integration is no buyer
		for _, c := range []struct {
			name, body, want string
		}{
			{"no courses", `{}`, `["The courses field is required."]`},
			{"an empty list", `{"courses": []}`, `["At least one course must be selected."]`},
			{"an unknown id", `{"courses": [1123, 999999]}`, `["The selected course 999999 is invalid."]`},
			{"a SKU that is no course", `{"courses": ["` + tshirtCode + `"]}`, `["The selected course ` + tshirtCode + ` is invalid."]`},
			{"twice the same", `{"courses": [1123, "1123"]}`, `["The courses field has a duplicate value."]`},
		} {
			r := e.compat(t, "POST", "/api/v1/checkout", c.body, as(buyer.token)...)
			r.wantBody(t, 422, `{"status":"ERROR","message":"Validation failed","errors":{"courses":`+c.want+`}}`)
		}

		r := e.compat(t, "POST", "/api/v1/checkout", `{"courses": [1123, 1456, 1789]}`, as(buyer.token)...)
		got := r.want(t, 200)
		if got["status"] != "SUCCESS" || got["total_amount"] != 199.97 || got["currency"] != "EUR" {
			t.Fatalf("answer: %s", r.body)
		}
		if _, isInt := got["order_id"].(float64); !isInt || got["order_id"].(float64) < 1 {
			t.Fatalf("order_id %v", got["order_id"])
		}
		wantCourses := []any{
			map[string]any{"id": 1123.0, "title": "JavaScript Fundamentals", "price": 49.99},
			map[string]any{"id": 1456.0, "title": "Advanced TypeScript", "price": 79.99},
			map[string]any{"id": 1789.0, "title": "Node.js in Production", "price": 69.99},
		}
		if !reflect.DeepEqual(got["courses"], wantCourses) {
			t.Fatalf("courses %v", got["courses"])
		}
		sid := got["session_id"].(string)
		session := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid+"?include=order", nil).want(t, 200).data())
		if session["compat"] != models.CompatCourses || session["amount_cents"] != 19997.0 || session["status"] != "created" {
			t.Fatalf("the session: %v", session)
		}
		order := e.one(t, "orders", "number_eq", jsonNumber(got["order_id"]))
		if mine := ids(e.integration().do(t, "GET", "/api/customers/"+customerID+"/orders", nil).want(t, 200).list()); len(mine) != 1 || mine[0] != id(order) {
			t.Fatalf("the buyer's orders: %v, want %s", mine, id(order))
		}

		e.payByCard(t, got["checkout_url"].(string))
		if a := attrs(e.integration().order(t, id(order))); a["status"] != "placed" || a["payment_status"] != "authorized" {
			t.Fatalf("the order after paying: %v", a)
		}
		var fired int64
		e.db.Model(&models.WebhookDelivery{}).Where("topic = ? AND resource_id = ?", "orders.place", id(order)).Count(&fired)
		if fired != 1 {
			t.Fatalf("orders.place deliveries: %d", fired)
		}
		e.compat(t, "POST", "/api/v1/checkout", `{"courses": [1456]}`, as(buyer.token)...).wantBody(t, 403, `{"status":"ERROR","message":"Access forbidden"}`)
		other, _ := e.customer(t, "another@example.com")
		e.compat(t, "POST", "/api/v1/checkout", `{"courses": ["1456"]}`, as(other.token)...).want(t, 200)
	})
}

func jsonNumber(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// TestCompatMobileMoney drives the mobile-money sessions facade (B): an
// amount in XOF minor units becomes an amount-only session in the market
// selling XOF; the same key and body answer the same session; each bad
// field is a 400 naming it; the status poll reaches completed with the
// mobile-money method's fee.
func TestCompatMobileMoney(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		body := `{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "description": "Order ORDER_123", "expires_in": 1800}`
		e.compat(t, "POST", "/v1/checkouts", body).wantBody(t, 400, `{"error":"bad_request","message":"idempotency-key header is required","field":"idempotency-key"}`)
		e.compat(t, "POST", "/v1/checkouts", body, "idempotency-key", "k1", "Authorization", "Bearer nope").want(t, 401)

		r := e.compat(t, "POST", "/v1/checkouts", body, "idempotency-key", "2b3c7a8e-6f1d-4c1b-9a55-0f8e6c3d2a10")
		got := r.want(t, 201)
		for field, want := range map[string]any{"status": "created", "amount": 5000.0, "currency": "XOF", "user_phone": "+22507000003",
			"description": "Order ORDER_123", "transaction_fee": 25.0, "completed_at": nil, "failure_reason": nil, "customer_id": nil} {
			if got[field] != want {
				t.Errorf("%s = %v, want %v", field, got[field], want)
			}
		}
		sid := got["id"].(string)
		if got["payment_id"] == "" || got["created_at"] == nil || got["expires_at"] == nil || !strings.Contains(got["checkout_url"].(string), "/checkout/") {
			t.Fatalf("answer: %s", r.body)
		}
		again := e.compat(t, "POST", "/v1/checkouts", body, "idempotency-key", "2b3c7a8e-6f1d-4c1b-9a55-0f8e6c3d2a10")
		if again.want(t, 201)["id"] != sid || again.header["Idempotent-Replayed"] == nil {
			t.Fatalf("the same key and body: %s", again.body)
		}
		long := strings.Repeat("k", 1000)
		first := e.compat(t, "POST", "/v1/checkouts", body, "idempotency-key", long).want(t, 201)
		if e.compat(t, "POST", "/v1/checkouts", body, "idempotency-key", long).want(t, 201)["id"] != first["id"] {
			t.Fatal("a 1000-character key replays too")
		}
		if s := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data()); s["compat"] != models.CompatMobileMoney || s["payment_method_type"] != "mobile_money" {
			t.Fatalf("the session: %v", s)
		}

		for i, c := range []struct{ body, field string }{
			{`{"amount": 99, "currency": "XOF", "user_phone": "+22507000003"}`, "amount"},
			{`{"amount": "5000", "currency": "XOF", "user_phone": "+22507000003"}`, "amount"},
			{`{"amount": 50.5, "currency": "XOF", "user_phone": "+22507000003"}`, "amount"},
			{`{"currency": "XOF", "user_phone": "+22507000003"}`, "amount"},
			{`{"amount": 5000, "currency": "GBP", "user_phone": "+22507000003"}`, "currency"},
			{`{"amount": 5000, "currency": "ZZZ", "user_phone": "+22507000003"}`, "currency"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "0700"}`, "user_phone"},
			{`{"amount": 5000, "currency": "XOF"}`, "user_phone"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "expires_in": 200}`, "expires_in"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "expires_in": 90000}`, "expires_in"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "description": "` + strings.Repeat("d", 201) + `"}`, "description"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "payment_method": "cash"}`, "payment_method"},
			{`{"amount": 5000, "currency": "XOF", "user_phone": "+22507000003", "success_url": "/thanks"}`, "success_url"},
		} {
			r := e.compat(t, "POST", "/v1/checkouts", c.body, "idempotency-key", "bad-"+string(rune('a'+i)))
			got := r.want(t, 400)
			if got["error"] != "bad_request" || got["field"] != c.field || !strings.Contains(got["message"].(string), c.field) {
				t.Errorf("%s: %s", c.body, r.body)
			}
		}
		// The older example: lower-case currency, payment_method and URLs.
		older := e.compat(t, "POST", "/v1/checkouts", `{"amount": 5000, "currency": "xof", "user_phone": "+22507000003", "payment_method": "mobile_money",
			"success_url": "https://merchant.example/ok", "cancel_url": "https://merchant.example/cancel"}`, "idempotency-key", "older").want(t, 201)
		if older["currency"] != "XOF" {
			t.Fatalf("older example: %v", older)
		}

		e.compat(t, "GET", "/v1/checkouts/nope", nil).wantBody(t, 404, `{"error":"not_found","message":"The resource checkout_sessions with id \"nope\" was not found"}`)
		u, _ := url.Parse(got["checkout_url"].(string))
		p := e.visit(t, "GET", u.Path, nil)
		p = e.visit(t, "POST", u.Path, url.Values{"csrf_token": {p.csrf(t)}, "phone": {"+22507000003"}, "email": {"payer@example.ci"}})
		if p.status != 303 {
			t.Fatalf("pay: %d\n%s", p.status, p.body)
		}
		if s := e.compat(t, "GET", "/v1/checkouts/"+sid, nil).want(t, 200); s["status"] != "processing" {
			t.Fatalf("submitted: %v", s)
		}
		waitFor(t, 3*models.SandboxMobileMoneyDelay, "the mobile-money payment", func() bool {
			e.visit(t, "GET", u.Path, nil)
			return e.compat(t, "GET", "/v1/checkouts/"+sid, nil).want(t, 200)["status"] == "completed"
		})
		s := e.compat(t, "GET", "/v1/checkouts/"+sid, nil).want(t, 200)
		if s["completed_at"] == nil || s["transaction_fee"] != 25.0 || s["failure_reason"] != nil {
			t.Fatalf("completed: %v", s)
		}
	})
}

// linksApp is an integration application's client id and secret: the
// checkout links facade's X-API-KEY and X-API-SECRET.
func (e *env) linksApp(t *testing.T) []string {
	t.Helper()
	app, secret, err := models.NewApplication(e.db, models.KindIntegration, "links merchant", "", true)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"Authorization", "", "X-API-KEY", app.ClientID, "X-API-SECRET", secret}
}

// TestCompatLinks drives the checkout links facade (D) with the
// reference's request: the link's page offers installments up to
// maxInstallmentCount; after the payment the callback is a form POST with
// checkoutId; the status endpoint then says SUCCESS.
func TestCompatLinks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{50 * time.Millisecond})
		rcv := newReceiver(t)
		keys := e.linksApp(t)
		body := map[string]any{"orderId": "ORD-12345", "amount": 100.50, "currency": "TRY", "description": "Order ORD-12345",
			"callback": rcv.URL + "/payment/callback", "customerId": "CUST-9", "maxInstallmentCount": 6, "interestPaidByCustomer": false}

		e.compat(t, "POST", "/api/checkout", body, "Authorization", "").want(t, 401)
		wrong := append(append([]string{}, keys[:4]...), "X-API-SECRET", "wrong")
		e.compat(t, "POST", "/api/checkout", body, wrong...).wantBody(t, 401,
			`{"errorCode":"UNAUTHORIZED","errorMessage":"unknown client, wrong secret, revoked application, or not an integration"}`)
		for _, c := range []struct {
			change map[string]any
			field  string
		}{
			{map[string]any{"amount": 100.505}, "amount"},
			{map[string]any{"amount": "100.50"}, "amount"},
			{map[string]any{"orderId": nil}, "orderId"},
			{map[string]any{"callback": nil}, "callback"},
			{map[string]any{"callback": "not a url"}, "callback"},
			{map[string]any{"currency": "XYZ"}, "currency"},
			{map[string]any{"maxInstallmentCount": 40}, "maxInstallmentCount"},
		} {
			bad := map[string]any{}
			for k, v := range body {
				bad[k] = v
			}
			for k, v := range c.change {
				if v == nil {
					delete(bad, k)
				} else {
					bad[k] = v
				}
			}
			r := e.compat(t, "POST", "/api/checkout", bad, keys...)
			if r.status != 400 && r.status != 422 || !strings.Contains(r.doc["errorMessage"].(string), c.field) {
				t.Errorf("%v: %d %s", c.change, r.status, r.body)
			}
		}

		created := e.compat(t, "POST", "/api/checkout", body, keys...).want(t, 200)
		checkoutID, _ := created["checkoutId"].(string)
		if !uuidPattern.MatchString(checkoutID) || !strings.Contains(created["redirectUrl"].(string), "/checkout/") {
			t.Fatalf("created: %v", created)
		}
		status := func() map[string]any {
			return e.compat(t, "GET", "/api/checkout/"+checkoutID, nil, keys...).want(t, 200)
		}
		if s := status(); s["status"] != "PENDING" || s["orderId"] != "ORD-12345" || s["amount"] != 100.5 || s["currency"] != "TRY" || s["paidAt"] != nil {
			t.Fatalf("pending: %v", s)
		}
		// The same session as a resource, by its uuid.
		list := e.integration().do(t, "GET", "/api/checkout_sessions?filter[q][uuid_eq]="+checkoutID, nil).want(t, 200).list()
		if len(list) != 1 || attrs(list[0])["compat"] != models.CompatLinks || attrs(list[0])["max_installments"] != 6.0 || attrs(list[0])["amount_cents"] != 10050.0 {
			t.Fatalf("the session resource: %v", list)
		}

		u, _ := url.Parse(created["redirectUrl"].(string))
		p := e.visit(t, "GET", u.Path, nil)
		if !strings.Contains(p.body, `<option value="6">`) || strings.Contains(p.body, `<option value="7">`) {
			t.Fatalf("the page offers 1 to 6 installments:\n%s", p.body)
		}
		e.payByCard(t, created["redirectUrl"].(string), "installments", "3")
		waitFor(t, 10*time.Second, "the callback", func() bool { return len(rcv.requests()) > 0 })
		got := rcv.requests()[0]
		form, err := url.ParseQuery(string(got.body))
		if err != nil || form.Get("checkoutId") != checkoutID || got.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("callback %q %v", got.body, got.header)
		}
		if s := status(); s["status"] != "SUCCESS" || s["installmentCount"] != 3.0 || s["paidAt"] == nil || s["errorMessage"] != nil {
			t.Fatalf("paid: %v", s)
		}
		e.compat(t, "GET", "/api/checkout/00000000-0000-4000-8000-000000000000", nil, keys...).want(t, 404)
	})
}

// sessionsExample is the orchestrated sessions reference's own request.
const sessionsExample = `{"orderReference": "ORD-2024-001", "paymentMethod": "card", "currency": "AUD", "locale": "en_AU",
 "amount": {"total": 140.76, "shipping": 9.95, "tax": 11.81},
 "orderItems": [{"name": "Wireless Headphones", "sku": "WH-100", "quantity": 1, "unitPrice": 119}],
 "customer": {"firstName": "Jane", "lastName": "Smith", "email": "jane.smith@example.com", "phone": "+61412345678",
   "billingAddress": {"line1": "123 Collins Street", "line2": "Level 5", "city": "Melbourne", "state": "VIC", "postalCode": "3000", "country": "AU"},
   "shippingAddress": {"line1": "123 Collins Street", "line2": "Level 5", "city": "Melbourne", "state": "VIC", "postalCode": "3000", "country": "AU"}},
 "shipping": {"type": "express", "method": "aus_post"},
 "additionalInformation": {"campaignId": "summer-sale-2024", "referralCode": "REF-ABC"},
 "redirectUrls": {"success": "https://merchant.example.com/checkout/success", "failure": "https://merchant.example.com/checkout/failure"}}`

// TestCompatSessions drives the orchestrated sessions facade (C) with the
// reference's request: the cart becomes a customer, two addresses, an
// order with the merchant's prices, shipping and tax, and a routed
// session; a retry with the same key is the same session and one order;
// each documented error body is exact.
func TestCompatSessions(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		e.compat(t, "POST", "/api/v1/sessions", sessionsExample, "Authorization", "", "Idempotency-Key", "k0").
			wantBody(t, 401, `{"error":"Unauthorized","message":"Authentication required. Please provide a valid API token","code":401}`)
		e.compat(t, "POST", "/api/v1/sessions", sessionsExample).
			wantBody(t, 400, `{"error":"Bad Request","message":"Missing required header: Idempotency-Key","statusCode":400}`)
		mismatch := strings.Replace(sessionsExample, `"total": 140.76`, `"total": 150.76`, 1)
		e.compat(t, "POST", "/api/v1/sessions", mismatch, "Idempotency-Key", "k-mismatch").
			wantBody(t, 400, `{"error":"Bad Request","message":["amount.total does not match the sum of line items, shipping, and tax"],"statusCode":400}`)
		r := e.compat(t, "POST", "/api/v1/sessions", `{"paymentMethod": "cash", "currency": "aud"}`, "Idempotency-Key", "k-invalid")
		if got := r.want(t, 400); got["error"] != "Bad Request" || got["statusCode"] != 400.0 || len(got["message"].([]any)) < 3 {
			t.Fatalf("validation: %s", r.body)
		}

		created := e.compat(t, "POST", "/api/v1/sessions", sessionsExample, "Idempotency-Key", "ord-2024-001-attempt")
		got := created.want(t, 201)
		sessionID, _ := got["sessionId"].(string)
		routing, _ := got["routing"].(map[string]any)
		if !uuidPattern.MatchString(sessionID) || got["status"] != "PENDING" || !strings.Contains(got["checkoutUrl"].(string), "/checkout/") ||
			routing["selectedProvider"] != models.GatewaySandbox || routing["score"] != 50.0 || got["expiresAt"] == nil || got["createdAt"] == nil {
			t.Fatalf("created: %s", created.body)
		}
		// A retry after a timeout: the same session, one order.
		again := e.compat(t, "POST", "/api/v1/sessions", sessionsExample, "Idempotency-Key", "ord-2024-001-attempt")
		if again.want(t, 201)["sessionId"] != sessionID {
			t.Fatalf("retry: %s", again.body)
		}
		if n := len(e.integration().do(t, "GET", "/api/orders?filter[q][reference_eq]=ORD-2024-001", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d orders for the reference", n)
		}
		e.compat(t, "POST", "/api/v1/sessions", strings.Replace(sessionsExample, "summer-sale-2024", "winter", 1), "Idempotency-Key", "ord-2024-001-attempt").
			wantBody(t, 422, `{"message":"This idempotency key was already used with different request parameters","statusCode":422,"code":"IDEMPOTENCY_KEY_MISMATCH"}`)

		// The same session as a resource, and its order as the cart.
		list := e.integration().do(t, "GET", "/api/checkout_sessions?filter[q][uuid_eq]="+sessionID+"&include=order", nil).want(t, 200).list()
		if len(list) != 1 || attrs(list[0])["compat"] != models.CompatSessions || attrs(list[0])["amount_cents"] != 14076.0 || attrs(list[0])["success_url"] != "https://merchant.example.com/checkout/success" {
			t.Fatalf("the session resource: %v", list)
		}
		orderID := rel(list[0], "order")["data"].(map[string]any)["id"].(string)
		order := e.integration().do(t, "GET", "/api/orders/"+orderID+"?include=line_items,customer,billing_address,shipping_address", nil).want(t, 200)
		o := attrs(order.data())
		for field, want := range map[string]any{"reference": "ORD-2024-001", "currency_code": "AUD", "customer_email": "jane.smith@example.com",
			"subtotal_amount_cents": 11900.0, "shipping_amount_cents": 995.0, "total_tax_amount_cents": 1181.0, "total_amount_with_taxes_cents": 14076.0} {
			if o[field] != want {
				t.Errorf("order %s = %v, want %v", field, o[field], want)
			}
		}
		if meta, _ := o["metadata"].(map[string]any); meta["campaignId"] != "summer-sale-2024" || meta["referralCode"] != "REF-ABC" {
			t.Errorf("order metadata %v", o["metadata"])
		}
		included := byType(order.included())
		if len(included["customers"]) != 1 || len(included["addresses"]) != 1 || len(included["line_items"]) != 1 {
			t.Fatalf("included: %v", included)
		}
		if a := attrs(included["addresses"][0]); a["line_1"] != "123 Collins Street" || a["zip_code"] != "3000" || a["state_code"] != "VIC" || a["country_code"] != "AU" {
			t.Fatalf("address %v", a)
		}
		if li := attrs(included["line_items"][0]); li["sku_code"] != "WH-100" || li["unit_amount_cents"] != 11900.0 {
			t.Fatalf("line item %v", li)
		}
		// A second cart of the same customer matches the customer and the address.
		second := strings.Replace(sessionsExample, "ORD-2024-001", "ORD-2024-002", 1)
		e.compat(t, "POST", "/api/v1/sessions", second, "Idempotency-Key", "ord-2024-002").want(t, 201)
		if n := len(e.integration().do(t, "GET", "/api/customers?filter[q][email_eq]=jane.smith@example.com", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d customers", n)
		}
		if n := len(e.integration().do(t, "GET", "/api/addresses?filter[q][email_eq]=jane.smith@example.com", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d addresses", n)
		}

		e.payByCard(t, got["checkoutUrl"].(string))
		if s := e.compat(t, "GET", "/api/v1/sessions/"+sessionID, nil).want(t, 200); s["status"] != "COMPLETED" || s["completedAt"] == nil {
			t.Fatalf("paid: %v", s)
		}
		e.compat(t, "GET", "/api/v1/sessions/00000000-0000-4000-8000-000000000000", nil).
			wantBody(t, 404, `{"error":"Not Found","message":"Session not found","statusCode":404}`)

		// No gateway for the cart: the au market's methods disabled.
		for _, pm := range e.integration().do(t, "GET", "/api/payment_methods?filter[q][currency_code_eq]=AUD", nil).want(t, 200).list() {
			e.integration().do(t, "PATCH", "/api/payment_methods/"+id(pm), resource("payment_methods", id(pm), map[string]any{"_disable": true}, nil)).want(t, 200)
		}
		third := strings.Replace(sessionsExample, "ORD-2024-001", "ORD-2024-003", 1)
		e.compat(t, "POST", "/api/v1/sessions", third, "Idempotency-Key", "ord-2024-003").
			wantBody(t, 422, `{"message":"No eligible providers found for the given request parameters","statusCode":422,"code":"NO_AVAILABLE_PROVIDER"}`)
		if n := len(e.integration().do(t, "GET", "/api/orders?filter[q][reference_eq]=ORD-2024-003", nil).want(t, 200).list()); n != 0 {
			t.Fatalf("a refused cart left %d orders", n)
		}
	})
}

// TestCompatSessionsConcurrentRetries: a merchant's retries of one
// request racing each other (the same Idempotency-Key) make one order and
// one session; each answer is that session or the reference's 409.
func TestCompatSessionsConcurrentRetries(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		const n = 6
		answers := make(chan *compatResponse, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers <- e.compat(t, "POST", "/api/v1/sessions", sessionsExample, "Idempotency-Key", "racing-retries")
			}()
		}
		wg.Wait()
		close(answers)
		sessions := map[any]int{}
		for r := range answers {
			switch r.status {
			case 201:
				sessions[r.doc["sessionId"]]++
			case 409:
				r.wantBody(t, 409, `{"error":"Conflict","message":"The request conflicts with the current state of the resource","code":409,"details":"Resource already exists"}`)
			default:
				t.Errorf("a racing retry: %d %s", r.status, r.body)
			}
		}
		if len(sessions) != 1 {
			t.Fatalf("sessions answered: %v", sessions)
		}
		if n := len(e.integration().do(t, "GET", "/api/orders?filter[q][reference_eq]=ORD-2024-001", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d orders for one request", n)
		}
	})
}
