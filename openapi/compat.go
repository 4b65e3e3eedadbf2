package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"

	"kasse/models"
)

// The compat facades: plain application/json endpoints that answer in the
// wire format of a hosted-checkout API merchants already integrate
// against, each a facade over checkout_sessions (the server mounts them
// per --compat). Their shapes are the mimicked APIs', not Kasse's: no
// JSON:API document, error object, query parameter or 5XX range of the
// generator's applies to them, so they are written here by hand, each
// with its own component schemas (compat<Facade>…), tag and error bodies.

// CompatFacades are the facades the document can describe, by the names
// Options.Compat and the --compat flag take, in the document's order.
var CompatFacades = models.CompatFacades

// ValidCompat reports whether name is one of CompatFacades.
func ValidCompat(name string) bool { return slices.Contains(CompatFacades, name) }

// compatNames are the facades opts describes, in CompatFacades' order:
// all of them for a nil Compat, none for an empty one. Unknown names are
// skipped here; JSON refuses them.
func (opts Options) compatNames() []string {
	if opts.Compat == nil {
		return CompatFacades
	}
	var out []string
	for _, name := range CompatFacades {
		if slices.Contains(opts.Compat, name) {
			out = append(out, name)
		}
	}
	return out
}

func (opts Options) checkCompat() error {
	for _, name := range opts.Compat {
		if !ValidCompat(name) {
			return fmt.Errorf("openapi: unknown compat facade %q (known: %v)", name, CompatFacades)
		}
	}
	return nil
}

// compatFacade is one facade's tag and the function that adds its paths.
type compatFacade struct {
	tag, description string
	paths            func(g *generator, tag string)
}

var compatFacades = map[string]compatFacade{
	"courses": {tag: "Compat: course checkout", paths: (*generator).compatCourses,
		description: "Mimics an e-learning platform's course checkout API (POST /api/v1/checkout: buy several courses, get a payment page). " +
			"A plain application/json facade over checkout_sessions: a course is a SKU limited to one per customer; the bearer token is a customer token. " +
			"Amounts are decimal major units. Mounted with --compat courses."},
	"mobile_money": {tag: "Compat: mobile-money sessions", paths: (*generator).compatMobileMoney,
		description: "Mimics a West-African mobile-money checkout sessions API (POST /v1/checkouts, GET /v1/checkouts/{id}): an amount-only session paid from a mobile-money wallet. " +
			"A plain application/json facade over checkout_sessions (Kasse creates the order behind it); the bearer token is an integration token. " +
			"Amounts are integer minor units. Mounted with --compat mobile_money."},
	"sessions": {tag: "Compat: orchestrated sessions", paths: (*generator).compatSessions,
		description: "Mimics a payment orchestrator's checkout sessions API (POST /api/v1/sessions, GET /api/v1/sessions/{sessionId}): the whole cart in, the routed provider's payment page out. " +
			"A plain application/json facade over checkout_sessions; the bearer token is an integration token. " +
			"Amounts are decimal major units. Mounted with --compat sessions."},
	"links": {tag: "Compat: checkout links", paths: (*generator).compatLinks,
		description: "Mimics a card-payment provider's checkout links API (POST /api/checkout, GET /api/checkout/{checkoutId}, installments). " +
			"A plain application/json facade over checkout_sessions, authenticated by an integration application's client id and secret in X-API-KEY and X-API-SECRET (no bearer token). " +
			"Amounts are decimal major units. Mounted with --compat links."},
}

// compat adds the facades opts names, and their tags.
func (g *generator) compat(opts Options) {
	for _, name := range opts.compatNames() {
		f := compatFacades[name]
		g.doc.Tags = append(g.doc.Tags, Tag{Name: f.tag, Description: f.description})
		f.paths(g, f.tag)
	}
}

// compatPath is the item of a facade's path. The path must be new: a
// registered type's path there would mix the two.
func (g *generator) compatPath(p string) *PathItem {
	if _, taken := g.doc.Paths[p]; taken {
		panic("openapi: the compat facade path " + p + " is already in the document")
	}
	if g.facadePaths == nil {
		g.facadePaths = map[string]bool{}
	}
	g.facadePaths[p] = true
	return g.path(p)
}

const applicationJSON = "application/json"

func compatJSON(s *Schema) map[string]*MediaType {
	return map[string]*MediaType{applicationJSON: {Schema: s}}
}

func compatBody(description string, s *Schema) *RequestBody {
	return &RequestBody{Description: description, Required: true, Content: compatJSON(s)}
}

// compatResponse is a facade's answer: application/json with the
// request id header every answer carries.
func compatResponse(description string, s *Schema) *Response {
	return &Response{Description: description, Headers: requestIDHeader(), Content: compatJSON(s)}
}

// compatErrors are an operation's error responses: for each status, what
// it means and its body's schema.
func compatErrors(out map[string]*Response, statuses []int, desc map[int]string, body func(status int) *Schema) map[string]*Response {
	for _, s := range statuses {
		d, ok := desc[s]
		if !ok {
			panic("openapi: no description of compat status " + strconv.Itoa(s))
		}
		out[strconv.Itoa(s)] = compatResponse(d, body(s))
	}
	return out
}

func bearerOnly() *[]SecurityRequirement { return &[]SecurityRequirement{{"bearerAuth": {}}} }

func jsonString(description string) *Schema { return &Schema{Type: "string", Description: description} }

func jsonDateTime(description string) *Schema {
	return &Schema{Type: "string", Format: "date-time", Description: description}
}

func jsonURI(description string) *Schema {
	return &Schema{Type: "string", Format: "uri", Description: description}
}

// compatObject is a JSON object with props, requiring the names given. Other
// members are allowed: clients of these APIs send fields Kasse does not
// read, and answers may gain fields.
func compatObject(description string, required []string, props map[string]*Schema) *Schema {
	for _, r := range required {
		if _, ok := props[r]; !ok {
			panic("openapi: compat schema requires " + r + ", which it does not have")
		}
	}
	return &Schema{Type: "object", Description: description, Required: required, Properties: props}
}

// keysOf lists a map's keys, for schemas whose every listed field is
// required.
func keysOf(props map[string]*Schema) []string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// optionalIdempotencyKey is the Idempotency-Key header of a facade whose
// mimicked API has none: Kasse's own, optional.
func optionalIdempotencyKey() *Parameter {
	return &Parameter{Name: "Idempotency-Key", In: "header",
		Description: "Optional: makes the request safe to retry (1 to 255 characters, unique per request, e.g. a UUID). A retry with the same key is answered as the first request was, without running it again.",
		Schema:      &Schema{Type: "string", MinLength: intp(1), MaxLength: intp(255)}}
}

// A. Course checkout.

var compatCoursesStatuses = map[int]string{
	http.StatusBadRequest:          "The body is not JSON, or not an object.",
	http.StatusUnauthorized:        "No customer token, or an invalid, expired or revoked one.",
	http.StatusForbidden:           `"Access forbidden": the account is restricted, or the customer already owns one of the courses.`,
	http.StatusUnprocessableEntity: `"Validation failed": errors.courses says why (no courses, an unknown or unavailable course id).`,
	http.StatusTooManyRequests:     "Too many requests: retry later, with exponential backoff.",
	http.StatusInternalServerError: `"An error occurred while processing your request" (a payment processing error): retry with exponential backoff.`,
	http.StatusServiceUnavailable:  "The service, or the payment provider behind it, is unavailable: retry with exponential backoff.",
}

func (g *generator) compatCourses(tag string) {
	courseID := g.schema("compatCoursesCourseId", func() *Schema {
		return &Schema{Description: "A course id: the course SKU's numeric reference (an integer, or the same digits as a string), or the SKU's id.",
			OneOf: []*Schema{{Type: "integer"}, {Type: "string", MinLength: intp(1)}}}
	})
	request := g.schema("compatCoursesCheckoutRequest", func() *Schema {
		return compatObject("The courses to buy.", []string{"courses"}, map[string]*Schema{
			"courses": {Type: "array", MinItems: intp(1), MaxItems: intp(50), Items: courseID, Description: "The course ids, 1 to 50."},
		})
	})
	course := g.schema("compatCoursesCourse", func() *Schema {
		props := map[string]*Schema{
			"id":    courseID,
			"title": jsonString("The course's name."),
			"price": {Type: "number", Description: "The course's price, in the currency's major unit."},
		}
		return compatObject("A course bought.", keysOf(props), props)
	})
	checkout := g.schema("compatCoursesCheckout", func() *Schema {
		props := map[string]*Schema{
			"status":       {Type: "string", Const: "SUCCESS"},
			"checkout_url": jsonURI("The payment page to redirect the buyer to."),
			"session_id":   jsonString("The checkout session's id."),
			"order_id":     {Type: "integer", Description: "The order's number."},
			"total_amount": {Type: "number", Description: "What the buyer pays, in the currency's major unit."},
			"currency":     jsonString("The ISO 4217 code of the amounts."),
			"courses":      {Type: "array", Items: course},
		}
		return compatObject("A payment page for the courses.", keysOf(props), props)
	})
	failure := g.schema("compatCoursesError", func() *Schema {
		return compatObject("An error.", []string{"status", "message"}, map[string]*Schema{
			"status":  {Type: "string", Const: "ERROR"},
			"message": jsonString("What went wrong: \"Access forbidden\" (403), \"Validation failed\" (422)."),
			"errors": {Type: "object", Description: "Validation errors (422): the messages of each field at fault.",
				AdditionalProperties: &Schema{Type: "array", Items: &Schema{Type: "string"}}},
		})
	})
	responses := map[string]*Response{"200": compatResponse("A payment page for the courses: redirect the buyer to checkout_url.", checkout)}
	compatErrors(responses, []int{400, 401, 403, 422, 429, 500, 503}, compatCoursesStatuses, func(int) *Schema { return failure })
	g.compatPath("/api/v1/checkout").Post = &Operation{Tags: []string{tag}, OperationID: "compatCoursesCheckout", Summary: "Check out courses",
		Description: "Creates an order of the courses for the token's customer and a checkout session for it, and answers with its payment page. " +
			"Prices and availability come from the server; a course the customer already owns is refused (403). Takes a customer token.",
		Security:    bearerOnly(),
		Parameters:  []*Parameter{optionalIdempotencyKey()},
		RequestBody: compatBody("The courses to buy.", request),
		Responses:   responses}
}

// B. Mobile-money checkout sessions.

var compatMobileMoneyStatuses = map[int]string{
	http.StatusBadRequest:          "bad_request: a missing or invalid parameter or header (field names it), or a body that is not JSON.",
	http.StatusUnauthorized:        "unauthorized: no integration token, or an invalid, expired or revoked one.",
	http.StatusForbidden:           "forbidden: the token may not use this API.",
	http.StatusNotFound:            "not_found: no such checkout.",
	http.StatusConflict:            "conflict: a request with the same idempotency-key is still running; retry later.",
	http.StatusUnprocessableEntity: "unprocessable: the request breaks a rule (no market in that currency, the idempotency-key used with another body).",
	http.StatusTooManyRequests:     "rate_limited: too many requests; retry later.",
	http.StatusInternalServerError: "server_error: something went wrong on the server.",
	http.StatusServiceUnavailable:  "service_unavailable: the service, or the payment provider behind it, is unavailable; retry later.",
}

func (g *generator) compatMobileMoney(tag string) {
	request := g.schema("compatMobileMoneyCheckoutRequest", func() *Schema {
		return compatObject("The session to create.", []string{"amount", "currency", "user_phone"}, map[string]*Schema{
			"amount":         {Type: "integer", Minimum: intp(100), Description: "The amount in minor units (XOF has no decimals), at least 100."},
			"currency":       {Type: "string", Pattern: "^[A-Za-z]{3}$", Description: "The ISO 4217 code (XOF); lower case is accepted."},
			"user_phone":     {Type: "string", Pattern: `^\+[1-9][0-9]{1,14}$`, Description: "The payer's phone number in E.164 (+22507987654)."},
			"description":    {Type: "string", MaxLength: intp(200), Description: "What is paid for."},
			"expires_in":     {Type: "integer", Minimum: intp(300), Maximum: intp(86400), Default: 1800, Description: "Seconds until the session expires."},
			"payment_method": {Type: "string", Enum: []any{"mobile_money", "card", "bank_transfer"}},
			"success_url":    jsonURI("Where the payer goes after paying."),
			"cancel_url":     jsonURI("Where the payer goes after cancelling."),
		})
	})
	checkout := g.schema("compatMobileMoneyCheckout", func() *Schema {
		props := map[string]*Schema{
			"id":              jsonString("The checkout's id."),
			"status":          {Type: "string", Enum: []any{"created", "pending", "processing", "completed", "failed", "expired", "cancelled"}},
			"amount":          {Type: "integer", Description: "The amount in minor units."},
			"currency":        jsonString("The ISO 4217 code."),
			"user_phone":      jsonString("The payer's phone number in E.164."),
			"payment_id":      jsonString("The order's number or reference: the merchant-side payment reference."),
			"description":     nullable(jsonString("What is paid for.")),
			"checkout_url":    jsonURI("The payment page."),
			"created_at":      jsonDateTime(""),
			"expires_at":      jsonDateTime(""),
			"completed_at":    nullable(jsonDateTime("When the payment completed.")),
			"failure_reason":  nullable(jsonString("Why the payment failed.")),
			"transaction_fee": {Type: "integer", Description: "The fee the provider keeps, in minor units."},
			"customer_id":     nullable(jsonString("The customer's id, when the session has one.")),
		}
		return compatObject("A checkout session.", keysOf(props), props)
	})
	failure := g.schema("compatMobileMoneyError", func() *Schema {
		return compatObject("An error.", []string{"error", "message"}, map[string]*Schema{
			"error": {Type: "string", Description: "The error's code.", Enum: []any{"bad_request", "unauthorized", "forbidden", "not_found", "conflict",
				"unprocessable", "rate_limited", "server_error", "service_unavailable"}},
			"message": jsonString("What went wrong."),
			"field":   jsonString("The parameter at fault."),
		})
	})
	body := func(int) *Schema { return failure }
	key := &Parameter{Name: "idempotency-key", In: "header", Required: true,
		Description: "Required: 1 to 1000 characters, unique per session (a UUID). A retry with the same key answers the session already created (201, the same body); the same key with another body is 422.",
		Schema:      &Schema{Type: "string", MinLength: intp(1), MaxLength: intp(1000)}}
	created := map[string]*Response{"201": compatResponse("The session; also the answer to a retry with the same idempotency-key (\"Session already exist\").", checkout)}
	g.compatPath("/v1/checkouts").Post = &Operation{Tags: []string{tag}, OperationID: "compatMobileMoneyCreateCheckout", Summary: "Create a mobile-money checkout",
		Description: "Creates an order for the amount in the market of the currency and a checkout session for it; the payer pays on checkout_url. Takes an integration token.",
		Security:    bearerOnly(),
		Parameters:  []*Parameter{key},
		RequestBody: compatBody("The session to create.", request),
		Responses:   compatErrors(created, []int{400, 401, 403, 409, 422, 429, 500, 503}, compatMobileMoneyStatuses, body)}
	item := g.compatPath("/v1/checkouts/{id}")
	item.Parameters = []*Parameter{{Name: "id", In: "path", Required: true, Description: "The checkout's id.", Schema: &Schema{Type: "string"}}}
	item.Get = &Operation{Tags: []string{tag}, OperationID: "compatMobileMoneyGetCheckout", Summary: "Retrieve a mobile-money checkout",
		Description: "The session as it is now: poll it for its status. Takes an integration token.",
		Security:    bearerOnly(),
		Responses:   compatErrors(map[string]*Response{"200": compatResponse("The session.", checkout)}, []int{401, 403, 404, 429, 500, 503}, compatMobileMoneyStatuses, body)}
}

// C. Orchestrated checkout sessions.

var compatSessionsStatuses = map[int]string{
	http.StatusBadRequest:          `"Bad Request": a missing Idempotency-Key, or a body that breaks a rule (message is then an array of what is wrong, e.g. amount.total not the sum of the items, shipping and tax).`,
	http.StatusUnauthorized:        `"Unauthorized": no integration token, or an invalid, expired or revoked one.`,
	http.StatusNotFound:            `"Not Found": no such session.`,
	http.StatusConflict:            `"Conflict": a request with the same Idempotency-Key is still running.`,
	http.StatusUnprocessableEntity: "IDEMPOTENCY_KEY_MISMATCH (the key was used with another body) or NO_AVAILABLE_PROVIDER (no gateway may take the payment).",
	http.StatusTooManyRequests:     "Too many requests: retry later.",
	http.StatusInternalServerError: `"Internal server error".`,
	http.StatusBadGateway:          "The payment provider answered with an error.",
	http.StatusServiceUnavailable:  `"Service Unavailable": the service is temporarily unavailable; retry later.`,
	http.StatusGatewayTimeout:      "The payment provider did not answer in time.",
}

func (g *generator) compatSessions(tag string) {
	address := g.schema("compatSessionsAddress", func() *Schema {
		return compatObject("An address.", []string{"line1", "city", "country"}, map[string]*Schema{
			"line1":      jsonString(""),
			"line2":      jsonString(""),
			"city":       jsonString(""),
			"state":      jsonString("The state or region code (VIC)."),
			"postalCode": jsonString(""),
			"country":    {Type: "string", Pattern: "^[A-Z]{2}$", Description: "ISO 3166-1 alpha-2 (AU)."},
		})
	})
	money := func(d string) *Schema { return &Schema{Type: "number", Description: d} }
	request := g.schema("compatSessionsSessionRequest", func() *Schema {
		item := compatObject("A line of the cart.", []string{"name", "sku", "quantity", "unitPrice"}, map[string]*Schema{
			"name":      jsonString("What is sold."),
			"sku":       jsonString("The merchant's SKU code."),
			"quantity":  {Type: "integer", Minimum: intp(1)},
			"unitPrice": money("The price of one, in the currency's major unit."),
		})
		return compatObject("The cart to pay.", []string{"orderReference", "paymentMethod", "currency", "amount", "orderItems"}, map[string]*Schema{
			"orderReference": jsonString("The merchant's order reference: the order's reference."),
			"paymentMethod":  {Type: "string", Enum: []any{"card"}},
			"currency":       {Type: "string", Pattern: "^[A-Z]{3}$", Description: "The ISO 4217 code."},
			"locale":         jsonString("The payment page's locale (en_AU)."),
			"amount": compatObject("The total, which must be the sum of the items (quantity × unitPrice), shipping and tax.", []string{"total"}, map[string]*Schema{
				"total": money("In the currency's major unit."), "shipping": money(""), "tax": money(""),
			}),
			"orderItems": {Type: "array", MinItems: intp(1), Items: item},
			"customer": compatObject("The payer, created or matched by email.", []string{"email"}, map[string]*Schema{
				"firstName": jsonString(""), "lastName": jsonString(""), "email": {Type: "string", Format: "email"}, "phone": jsonString(""),
				"billingAddress": address, "shippingAddress": address,
			}),
			"shipping":              compatObject("How the order ships.", nil, map[string]*Schema{"type": jsonString(""), "method": jsonString("")}),
			"additionalInformation": {Type: "object", Description: "Kept as the order's metadata."},
			"redirectUrls": compatObject("Where the payer goes after paying.", nil, map[string]*Schema{
				"success": jsonURI(""), "failure": jsonURI(""),
			}),
		})
	})
	session := g.schema("compatSessionsSession", func() *Schema {
		routing := map[string]*Schema{
			"selectedProvider": jsonString("The chosen gateway's kind (stripe, checkout_com, sandbox, …)."),
			"score":            {Type: "number", Description: "The routing score, 0 to 100."},
		}
		amount := map[string]*Schema{"total": money(""), "shipping": money(""), "tax": money("")}
		props := map[string]*Schema{
			"sessionId":      {Type: "string", Format: "uuid"},
			"checkoutUrl":    jsonURI("The payment page."),
			"status":         {Type: "string", Enum: []any{"PENDING", "PROCESSING", "COMPLETED", "FAILED", "EXPIRED", "CANCELLED"}},
			"routing":        compatObject("The provider routing chose.", keysOf(routing), routing),
			"expiresAt":      jsonDateTime(""),
			"createdAt":      jsonDateTime(""),
			"orderReference": jsonString(""),
			"currency":       jsonString(""),
			"amount":         compatObject("In the currency's major unit.", keysOf(amount), amount),
			"completedAt":    nullable(jsonDateTime("")),
			"failureReason":  nullable(jsonString("")),
		}
		return compatObject("A checkout session.", keysOf(props), props)
	})
	// The reference's error bodies come in four shapes.
	plain := g.schema("compatSessionsError", func() *Schema {
		return compatObject("An error (400, 404, 429).", []string{"error", "message", "statusCode"}, map[string]*Schema{
			"error":      jsonString("The status's name (Bad Request)."),
			"message":    {Description: "What went wrong; a list of what is wrong for a body that breaks a rule.", OneOf: []*Schema{{Type: "string"}, {Type: "array", Items: &Schema{Type: "string"}}}},
			"statusCode": {Type: "integer"},
		})
	})
	coded := g.schema("compatSessionsCodeError", func() *Schema {
		return compatObject("An error (401, 409, 502, 503, 504).", []string{"error", "message", "code"}, map[string]*Schema{
			"error":   jsonString(""),
			"message": jsonString(""),
			"code":    {Type: "integer", Description: "The HTTP status."},
			"details": jsonString(""),
		})
	})
	rule := g.schema("compatSessionsRuleError", func() *Schema {
		return compatObject("A refused request (422).", []string{"message", "statusCode", "code"}, map[string]*Schema{
			"message":    jsonString(""),
			"statusCode": {Type: "integer"},
			"code":       {Type: "string", Enum: []any{"IDEMPOTENCY_KEY_MISMATCH", "NO_AVAILABLE_PROVIDER"}},
		})
	})
	internal := g.schema("compatSessionsInternalError", func() *Schema {
		return compatObject("A server error (500).", []string{"message", "statusCode"}, map[string]*Schema{
			"message": jsonString(""), "statusCode": {Type: "integer"},
		})
	})
	body := func(status int) *Schema {
		switch status {
		case 401, 409, 502, 503, 504:
			return coded
		case 422:
			return rule
		case 500:
			return internal
		}
		return plain
	}
	key := &Parameter{Name: "Idempotency-Key", In: "header", Required: true,
		Description: "Required: any opaque string of 1 to 255 characters, unique per session. A retry with the same key answers the session already created; with another body it is 422 IDEMPOTENCY_KEY_MISMATCH.",
		Schema:      &Schema{Type: "string", MinLength: intp(1), MaxLength: intp(255)}}
	g.compatPath("/api/v1/sessions").Post = &Operation{Tags: []string{tag}, OperationID: "compatSessionsCreateSession", Summary: "Create an orchestrated checkout session",
		Description: "Creates the order of the cart (external prices; the amount rule protects the total), routes it to a gateway and answers with the gateway's payment page. Takes an integration token.",
		Security:    bearerOnly(),
		Parameters:  []*Parameter{key},
		RequestBody: compatBody("The cart to pay.", request),
		Responses: compatErrors(map[string]*Response{"201": compatResponse("The session.", session)},
			[]int{400, 401, 409, 422, 429, 500, 502, 503, 504}, compatSessionsStatuses, body)}
	item := g.compatPath("/api/v1/sessions/{sessionId}")
	item.Parameters = []*Parameter{{Name: "sessionId", In: "path", Required: true, Description: "The session's id.", Schema: &Schema{Type: "string", Format: "uuid"}}}
	item.Get = &Operation{Tags: []string{tag}, OperationID: "compatSessionsGetSession", Summary: "Retrieve an orchestrated checkout session",
		Description: "The session as it is now. Takes an integration token.",
		Security:    bearerOnly(),
		Responses: compatErrors(map[string]*Response{"200": compatResponse("The session.", session)},
			[]int{401, 404, 429, 500, 503}, compatSessionsStatuses, body)}
}

// D. Checkout links.

var compatLinksStatuses = map[int]string{
	http.StatusBadRequest:          "A missing or invalid field, or a body that is not JSON.",
	http.StatusUnauthorized:        "No X-API-KEY and X-API-SECRET, or not an integration application's client id and secret.",
	http.StatusNotFound:            "No such checkout.",
	http.StatusConflict:            "A request with the same Idempotency-Key is still running.",
	http.StatusUnprocessableEntity: "The request breaks a rule (no market in that currency, no gateway that may take the payment).",
	http.StatusTooManyRequests:     "Too many requests: retry later.",
	http.StatusInternalServerError: "Something went wrong on the server.",
	http.StatusServiceUnavailable:  "The service, or the payment provider behind it, is unavailable; retry later.",
}

func (g *generator) compatLinks(tag string) {
	c := &g.doc.Components
	c.SecuritySchemes["apiKey"] = &SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-KEY",
		Description: "The checkout links facade: an integration application's client id. Sent with X-API-SECRET."}
	c.SecuritySchemes["apiSecret"] = &SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-SECRET",
		Description: "The checkout links facade: the integration application's secret. Sent with X-API-KEY."}
	security := &[]SecurityRequirement{{"apiKey": {}, "apiSecret": {}}}
	request := g.schema("compatLinksCheckoutRequest", func() *Schema {
		return compatObject("The checkout link to create.", []string{"orderId", "amount", "currency", "callback"}, map[string]*Schema{
			"orderId":                jsonString("The merchant's order tracking number (ORD-12345): the order's reference."),
			"amount":                 {Type: "number", ExclusiveMinimum: intp(0), Description: "In the currency's major unit (100.50)."},
			"currency":               jsonString("The ISO 4217 code (TRY)."),
			"description":            jsonString("A short summary."),
			"callback":               jsonURI("POSTed with the checkoutId as form data (application/x-www-form-urlencoded) once the payment is processed."),
			"customerId":             jsonString("The merchant's customer id."),
			"maxInstallmentCount":    {Type: "integer", Minimum: intp(1), Maximum: intp(36), Default: 1, Description: "The most installments the payment page offers."},
			"interestPaidByCustomer": {Type: "boolean", Default: false},
		})
	})
	link := g.schema("compatLinksCheckoutLink", func() *Schema {
		props := map[string]*Schema{"checkoutId": {Type: "string", Format: "uuid"}, "redirectUrl": jsonURI("The payment page to redirect the customer to.")}
		return compatObject("A checkout link.", keysOf(props), props)
	})
	checkout := g.schema("compatLinksCheckout", func() *Schema {
		props := map[string]*Schema{
			"checkoutId":       jsonString(""),
			"orderId":          jsonString(""),
			"status":           {Type: "string", Enum: []any{"SUCCESS", "FAILURE", "PENDING", "EXPIRED", "CANCELLED"}, Description: "The payment succeeded only when SUCCESS."},
			"amount":           {Type: "number", Description: "In the currency's major unit."},
			"currency":         jsonString(""),
			"installmentCount": nullable(&Schema{Type: "integer", Description: "The installments chosen."}),
			"paidAt":           nullable(jsonDateTime("")),
			"errorMessage":     nullable(jsonString("Why the payment failed.")),
		}
		return compatObject("A checkout link's payment.", keysOf(props), props)
	})
	failure := g.schema("compatLinksError", func() *Schema {
		return compatObject("An error.", []string{"errorCode", "errorMessage"}, map[string]*Schema{"errorCode": jsonString(""), "errorMessage": jsonString("")})
	})
	body := func(int) *Schema { return failure }
	g.compatPath("/api/checkout").Post = &Operation{Tags: []string{tag}, OperationID: "compatLinksCreateCheckout", Summary: "Create a checkout link",
		Description: "Creates an order for the amount and a checkout session for it; redirect the customer to redirectUrl, then GET the checkout when the callback arrives.",
		Security:    security,
		Parameters:  []*Parameter{optionalIdempotencyKey()},
		RequestBody: compatBody("The checkout link to create.", request),
		Responses: compatErrors(map[string]*Response{"200": compatResponse("The checkout link.", link)},
			[]int{400, 401, 409, 422, 429, 500, 503}, compatLinksStatuses, body)}
	item := g.compatPath("/api/checkout/{checkoutId}")
	item.Parameters = []*Parameter{{Name: "checkoutId", In: "path", Required: true, Description: "The checkout's id.", Schema: &Schema{Type: "string", Format: "uuid"}}}
	item.Get = &Operation{Tags: []string{tag}, OperationID: "compatLinksGetCheckout", Summary: "Retrieve a checkout link's payment",
		Description: "The payment as it is now; treat it as paid only when status is SUCCESS.",
		Security:    security,
		Responses: compatErrors(map[string]*Response{"200": compatResponse("The payment.", checkout)},
			[]int{401, 404, 429, 500, 503}, compatLinksStatuses, body)}
}
