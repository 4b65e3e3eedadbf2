package handlers

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// The orchestrated checkout sessions facade (docs/checkout-apis.md, C):
// the merchant sends its whole cart with its own prices; Kasse makes the
// customer, addresses, an order with external prices, shipping and tax,
// and a routed session, in one transaction, and answers with the page and
// the routing decision.

const maxSessionItems = 50

type sessionsAddress struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

type sessionsRequest struct {
	OrderReference any    `json:"orderReference"`
	PaymentMethod  any    `json:"paymentMethod"`
	Currency       any    `json:"currency"`
	Locale         string `json:"locale"`
	Amount         *struct {
		Total    any `json:"total"`
		Shipping any `json:"shipping"`
		Tax      any `json:"tax"`
	} `json:"amount"`
	OrderItems []struct {
		Name      string `json:"name"`
		Sku       string `json:"sku"`
		Quantity  any    `json:"quantity"`
		UnitPrice any    `json:"unitPrice"`
	} `json:"orderItems"`
	Customer *struct {
		FirstName       string           `json:"firstName"`
		LastName        string           `json:"lastName"`
		Email           string           `json:"email"`
		Phone           string           `json:"phone"`
		BillingAddress  *sessionsAddress `json:"billingAddress"`
		ShippingAddress *sessionsAddress `json:"shippingAddress"`
	} `json:"customer"`
	Shipping              map[string]any `json:"shipping"`
	AdditionalInformation map[string]any `json:"additionalInformation"`
	RedirectURLs          *struct {
		Success string `json:"success"`
		Failure string `json:"failure"`
	} `json:"redirectUrls"`
}

// sessionsSession is that API's session object.
type sessionsSession struct {
	SessionID      string          `json:"sessionId"`
	CheckoutURL    string          `json:"checkoutUrl"`
	Status         string          `json:"status"`
	Routing        sessionsRouting `json:"routing"`
	ExpiresAt      string          `json:"expiresAt"`
	CreatedAt      string          `json:"createdAt"`
	OrderReference string          `json:"orderReference"`
	Currency       string          `json:"currency"`
	Amount         sessionsAmount  `json:"amount"`
	CompletedAt    *string         `json:"completedAt"`
	FailureReason  *string         `json:"failureReason"`
}

type sessionsRouting struct {
	SelectedProvider string      `json:"selectedProvider"`
	Score            json.Number `json:"score"`
}

type sessionsAmount struct {
	Total    json.Number `json:"total"`
	Shipping json.Number `json:"shipping"`
	Tax      json.Number `json:"tax"`
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// sessionsCart is a validated request in minor units.
type sessionsCart struct {
	reference, currency         string
	total, shipping, tax, items int64
	unitPrices                  []int64
	quantities                  []int64
	req                         *sessionsRequest
	hasCustomer                 bool
}

// sessionsInvalid is a 400 with that API's message (validation messages
// are listed, class-validator style).
func sessionsInvalid(message string) *errs.Error {
	return errs.New(errs.BadRequest, "%s", message)
}

func (r *sessionsRequest) cart() (*sessionsCart, errs.List) {
	var problems errs.List
	add := func(m string) { problems = append(problems, sessionsInvalid(m)) }
	cart := &sessionsCart{req: r}
	if s, ok := r.OrderReference.(string); !ok || strings.TrimSpace(s) == "" {
		add("orderReference should not be empty")
	} else {
		cart.reference = strings.TrimSpace(s)
	}
	if s, _ := r.PaymentMethod.(string); s != models.MethodCard {
		add("paymentMethod must be one of the following values: card")
	}
	if s, ok := r.Currency.(string); !ok || !currencyPattern.MatchString(s) {
		add("currency must match /^[A-Z]{3}$/ regular expression")
	} else if _, known := models.LookupCurrency(s); !known {
		add("currency must be an ISO 4217 currency code")
	} else {
		cart.currency = s
	}
	money := func(v any, field string, required bool) int64 {
		if v == nil {
			if required {
				add(field + " should not be empty")
			}
			return 0
		}
		n, ok := v.(json.Number)
		if !ok {
			add(field + " must be a number")
			return 0
		}
		if cart.currency == "" {
			return 0
		}
		cents, err := models.ParseMajor(n.String(), cart.currency)
		switch {
		case err != nil:
			add(field + " " + err.Error())
		case cents < 0:
			add(field + " must not be less than 0")
		}
		return cents
	}
	if r.Amount == nil {
		add("amount should not be empty")
	} else {
		cart.total = money(r.Amount.Total, "amount.total", true)
		cart.shipping = money(r.Amount.Shipping, "amount.shipping", false)
		cart.tax = money(r.Amount.Tax, "amount.tax", false)
	}
	switch {
	case len(r.OrderItems) == 0:
		add("orderItems should not be empty")
	case len(r.OrderItems) > maxSessionItems:
		add("orderItems must contain no more than 50 elements")
	}
	for i, item := range r.OrderItems {
		field := "orderItems." + strconv.Itoa(i) + "."
		if strings.TrimSpace(item.Sku) == "" {
			add(field + "sku should not be empty")
		}
		if strings.TrimSpace(item.Name) == "" {
			add(field + "name should not be empty")
		}
		q, ok := wholeNumber(item.Quantity)
		if !ok || q < 1 || q > models.MaxLineItemQuantity {
			add(field + "quantity must be an integer between 1 and 10000")
		}
		unit := money(item.UnitPrice, field+"unitPrice", true)
		cart.quantities, cart.unitPrices = append(cart.quantities, q), append(cart.unitPrices, unit)
		cart.items += q * unit
	}
	if c := r.Customer; c != nil {
		cart.hasCustomer = strings.TrimSpace(c.Email) != ""
		if !cart.hasCustomer {
			add("customer.email should not be empty")
		}
	}
	if r.RedirectURLs != nil && r.RedirectURLs.Success == "" && r.RedirectURLs.Failure == "" {
		r.RedirectURLs = nil
	}
	if len(problems) == 0 && cart.total != cart.items+cart.shipping+cart.tax {
		add("amount.total does not match the sum of line items, shipping, and tax")
	}
	return cart, problems
}

// address is an address op's attributes.
func (cart *sessionsCart) address(a *sessionsAddress) map[string]any {
	c := cart.req.Customer
	attrs := map[string]any{"first_name": c.FirstName, "last_name": c.LastName, "line_1": a.Line1, "city": a.City,
		"country_code": strings.ToUpper(a.Country), "email": strings.ToLower(strings.TrimSpace(c.Email))}
	for k, v := range map[string]string{"line_2": a.Line2, "state_code": a.State, "zip_code": a.PostalCode, "phone": c.Phone} {
		if v != "" {
			attrs[k] = v
		}
	}
	return attrs
}

// ops are the batch: customer, addresses, order, line items, session.
func (a *api) sessionsOps(cart *sessionsCart, marketID string) ([]engine.Op, []string) {
	var ops []engine.Op
	var fields []string // the request member each op comes from
	index := map[string]int{}
	r := cart.req
	if cart.hasCustomer {
		email := strings.ToLower(strings.TrimSpace(r.Customer.Email))
		op := a.op("customers", fixed(map[string]any{"email": email}, nil))
		op.Match = map[string]any{"email": email}
		index["customer"], ops, fields = len(ops), append(ops, op), append(fields, "customer.")
	}
	for _, which := range []struct {
		name string
		addr *sessionsAddress
	}{{"billing_address", addressOf(r, true)}, {"shipping_address", addressOf(r, false)}} {
		if which.addr == nil {
			continue
		}
		attrs := cart.address(which.addr)
		op := a.op("addresses", fixed(attrs, nil))
		op.Match = attrs
		member := "customer.billingAddress."
		if which.name == "shipping_address" {
			member = "customer.shippingAddress."
		}
		index[which.name], ops, fields = len(ops), append(ops, op), append(fields, member)
	}
	metadata := map[string]any{}
	for k, v := range r.AdditionalInformation {
		metadata[k] = v
	}
	if len(r.Shipping) > 0 {
		if _, taken := metadata["shipping"]; !taken {
			metadata["shipping"] = r.Shipping
		}
	}
	orderAttrs := map[string]any{"reference": cart.reference, "shipping_amount_cents": cart.shipping, "total_tax_amount_cents": cart.tax}
	if len(metadata) > 0 {
		orderAttrs["metadata"] = metadata
	}
	if lang, _, _ := strings.Cut(r.Locale, "_"); lang != "" {
		orderAttrs["language_code"] = strings.ToLower(lang)
	}
	if cart.hasCustomer {
		orderAttrs["customer_email"] = strings.ToLower(strings.TrimSpace(r.Customer.Email))
	}
	orderIndex := len(ops)
	ops = append(ops, a.op("orders", func(ids []string) (*serializers.ResourceBody, error) {
		rels := map[string]serializers.RelationshipBody{"market": toOne("markets", marketID)}
		for name, target := range map[string]string{"customer": "customers", "billing_address": "addresses", "shipping_address": "addresses"} {
			if i, ok := index[name]; ok {
				rels[name] = toOne(target, ids[i])
			}
		}
		return &serializers.ResourceBody{Attributes: attributes(orderAttrs), Relationships: rels}, nil
	}))
	fields = append(fields, "")
	orderRel := func(ids []string) map[string]serializers.RelationshipBody {
		return map[string]serializers.RelationshipBody{"order": toOne("orders", ids[orderIndex])}
	}
	for i, item := range r.OrderItems {
		attrs := map[string]any{"sku_code": strings.TrimSpace(item.Sku), "name": item.Name, "quantity": cart.quantities[i],
			"unit_amount_cents": cart.unitPrices[i], "_external_price": true}
		ops = append(ops, a.op("line_items", func(ids []string) (*serializers.ResourceBody, error) {
			return &serializers.ResourceBody{Attributes: attributes(attrs), Relationships: orderRel(ids)}, nil
		}))
		fields = append(fields, "orderItems."+strconv.Itoa(i)+".")
	}
	sessionAttrs := map[string]any{"payment_method_type": models.MethodCard, "reference": cart.reference}
	if r.Locale != "" {
		sessionAttrs["locale"] = r.Locale
	}
	if r.RedirectURLs != nil {
		if r.RedirectURLs.Success != "" {
			sessionAttrs["success_url"] = r.RedirectURLs.Success
		}
		if r.RedirectURLs.Failure != "" {
			sessionAttrs["failure_url"] = r.RedirectURLs.Failure
		}
	}
	if len(r.AdditionalInformation) > 0 {
		sessionAttrs["metadata"] = r.AdditionalInformation
	}
	ops = append(ops, a.op("checkout_sessions", func(ids []string) (*serializers.ResourceBody, error) {
		return &serializers.ResourceBody{Attributes: attributes(sessionAttrs), Relationships: orderRel(ids)}, nil
	}))
	fields = append(fields, "")
	return ops, fields
}

func addressOf(r *sessionsRequest, billing bool) *sessionsAddress {
	if r.Customer == nil {
		return nil
	}
	if billing {
		return r.Customer.BillingAddress
	}
	return r.Customer.ShippingAddress
}

// sessionsFields maps the resources' attributes to that API's fields.
var sessionsFields = map[string]string{
	"email": "email", "first_name": "firstName", "last_name": "lastName", "line_1": "line1", "line_2": "line2", "city": "city",
	"state_code": "state", "zip_code": "postalCode", "country_code": "country", "phone": "phone",
	"sku_code": "sku", "name": "name", "quantity": "quantity", "unit_amount_cents": "unitPrice",
	"reference": "orderReference", "locale": "locale", "success_url": "redirectUrls.success", "failure_url": "redirectUrls.failure",
	"currency_code": "currency", "customer_email": "customer.email",
}

func (a *api) sessionsCreate(c *gin.Context) {
	var req sessionsRequest
	if !a.decodeCompat(c, &req) {
		return
	}
	cart, problems := req.cart()
	if len(problems) > 0 {
		a.fail(c, problems)
		return
	}
	market, err := a.cfg.Checkout.MarketFor(c.Request.Context(), cart.currency)
	if err != nil {
		a.fail(c, compatFields(err, sessionsFields, ""))
		return
	}
	ops, members := a.sessionsOps(cart, market.ID)
	ids, err := a.batch(c, models.CompatSessions, ops)
	if err != nil {
		prefix := ""
		if index, _, _ := opFailure(err); index >= 0 && index < len(members) {
			prefix = members[index]
		}
		a.fail(c, compatFields(err, sessionsFields, prefix))
		return
	}
	v, err := a.created(c, ids)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.sessionsAnswer(c, http.StatusCreated, v)
}

func (a *api) sessionsGet(c *gin.Context) {
	v, err := a.view(c, c.Param("sessionId"))
	if err != nil {
		a.fail(c, err)
		return
	}
	a.sessionsAnswer(c, http.StatusOK, v)
}

func (a *api) sessionsAnswer(c *gin.Context, status int, v *models.SessionView) {
	s := &v.Session
	provider, _ := s.Routing["gateway_type"].(string)
	score := json.Number("0")
	switch n := s.Routing["score"].(type) {
	case float64:
		score = json.Number(strconv.FormatFloat(n, 'f', -1, 64))
	case int:
		score = json.Number(strconv.Itoa(n))
	}
	c.JSON(status, sessionsSession{
		SessionID: s.UUID, CheckoutURL: a.checkoutURL(s), Status: sessionsStatus(s.CurrentStatus(time.Now())),
		Routing:   sessionsRouting{SelectedProvider: provider, Score: score},
		ExpiresAt: rfc3339(s.ExpiresAt), CreatedAt: rfc3339(s.CreatedAt), OrderReference: deref(v.Order.Reference), Currency: s.CurrencyCode,
		Amount: sessionsAmount{Total: decimal(s.AmountCents, s.CurrencyCode), Shipping: decimal(v.Order.ShippingAmountCents, s.CurrencyCode),
			Tax: decimal(v.Order.TotalTaxAmountCents, s.CurrencyCode)},
		CompletedAt: rfc3339OrNil(s.CompletedAt), FailureReason: s.FailureReason,
	})
}

// sessionsStatus is that API's status word.
func sessionsStatus(status string) string {
	if status == models.SessionCreated {
		return "PENDING"
	}
	return strings.ToUpper(status)
}

// sessionsErrors writes that API's exact error bodies (the reference lists
// each, 400 through 504).
func sessionsErrors(c *gin.Context, status int, list errs.List) {
	code := errs.InternalServerError
	if len(list) > 0 {
		code = list[0].Code
	}
	switch {
	case len(list) == 0 || status == http.StatusInternalServerError:
		c.JSON(http.StatusInternalServerError, gin.H{"message": "Internal server error", "statusCode": 500})
	case code == errs.IdempotencyKeyMissing:
		c.JSON(http.StatusBadRequest, gin.H{"error": "Bad Request", "message": "Missing required header: Idempotency-Key", "statusCode": 400})
	case code == errs.IdempotencyKeyMismatch:
		c.JSON(http.StatusUnprocessableEntity, gin.H{"message": "This idempotency key was already used with different request parameters", "statusCode": 422, "code": "IDEMPOTENCY_KEY_MISMATCH"})
	case code == errs.NoAvailableProvider:
		c.JSON(http.StatusUnprocessableEntity, gin.H{"message": "No eligible providers found for the given request parameters", "statusCode": 422, "code": "NO_AVAILABLE_PROVIDER"})
	case status == http.StatusUnauthorized:
		c.JSON(http.StatusUnauthorized, gin.H{"error": "Unauthorized", "message": "Authentication required. Please provide a valid API token", "code": 401})
	case status == http.StatusConflict:
		c.JSON(http.StatusConflict, gin.H{"error": "Conflict", "message": "The request conflicts with the current state of the resource", "code": 409, "details": "Resource already exists"})
	case status == http.StatusBadGateway:
		c.JSON(http.StatusBadGateway, gin.H{"error": "Error", "message": "Service temporarily unavailable.", "code": 502})
	case status == http.StatusServiceUnavailable:
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "Service Unavailable", "message": "The service is temporarily unavailable. Please try again later", "code": 503})
	case status == http.StatusGatewayTimeout:
		c.JSON(http.StatusGatewayTimeout, gin.H{"error": "Error", "message": "Request timed out.", "code": 504})
	case status == http.StatusNotFound:
		c.JSON(http.StatusNotFound, gin.H{"error": "Not Found", "message": "Session not found", "statusCode": 404})
	case status == http.StatusTooManyRequests:
		c.JSON(http.StatusTooManyRequests, gin.H{"error": "Too Many Requests", "message": list[0].Detail, "statusCode": 429})
	default:
		// Every other client error is that API's validation 400, its
		// messages listed.
		c.JSON(http.StatusBadRequest, gin.H{"error": "Bad Request", "message": details(list), "statusCode": 400})
	}
}
