package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/errs"
	"kasse/models"
)

// The mobile-money checkout sessions facade (docs/checkout-apis.md, B):
// POST /v1/checkouts opens an amount-only session; GET /v1/checkouts/{id}
// reads it. Amounts are integer minor units.

// mobileMoneyMaxKey is the longest idempotency-key that API allows.
const mobileMoneyMaxKey = 1000

// mobileMoneyMinAmount is that API's smallest amount (minor units).
const mobileMoneyMinAmount = 100

type mobileMoneyRequest struct {
	Amount        any     `json:"amount"`
	Currency      any     `json:"currency"`
	UserPhone     any     `json:"user_phone"`
	Description   *string `json:"description"`
	ExpiresIn     any     `json:"expires_in"`
	PaymentMethod *string `json:"payment_method"`
	SuccessURL    *string `json:"success_url"`
	CancelURL     *string `json:"cancel_url"`
}

// mobileMoneyCheckout is that API's checkout object.
type mobileMoneyCheckout struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	Amount         int64   `json:"amount"`
	Currency       string  `json:"currency"`
	UserPhone      string  `json:"user_phone"`
	PaymentID      string  `json:"payment_id"`
	Description    *string `json:"description"`
	CheckoutURL    string  `json:"checkout_url"`
	CreatedAt      string  `json:"created_at"`
	ExpiresAt      string  `json:"expires_at"`
	CompletedAt    *string `json:"completed_at"`
	FailureReason  *string `json:"failure_reason"`
	TransactionFee int64   `json:"transaction_fee"`
	CustomerID     *string `json:"customer_id"`
}

// mobileMoneyFields maps the session's attributes to that API's fields.
var mobileMoneyFields = map[string]string{
	"amount_cents": "amount", "currency_code": "currency", "customer_phone": "user_phone", "description": "description",
	"expires_in": "expires_in", "payment_method_type": "payment_method", "success_url": "success_url", "failure_url": "cancel_url",
}

// mobileMoneyMethods are the payment_method values accepted (the older
// example's field) and the session's payment_method_type each means.
var mobileMoneyMethods = map[string]string{"mobile_money": models.MethodMobileMoney, "card": models.MethodCard, "bank_transfer": models.MethodBankTransfer}

// badField is a 400 naming a field (the error's parameter).
func badField(field, detail string) *errs.Error {
	return errs.New(errs.BadRequest, "%s %s", field, detail).AtParam(field)
}

// wholeNumber reads an integer JSON number.
func wholeNumber(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}

func (r *mobileMoneyRequest) attributes() (map[string]any, errs.List) {
	var problems errs.List
	attrs := map[string]any{"payment_method_type": models.MethodMobileMoney, "expires_in": models.DefaultSessionTTL}
	switch amount, ok := wholeNumber(r.Amount); {
	case r.Amount == nil:
		problems = append(problems, badField("amount", "is required"))
	case !ok:
		problems = append(problems, badField("amount", "must be an integer in minor units (XOF 5000 is 5000)"))
	case amount < mobileMoneyMinAmount:
		problems = append(problems, badField("amount", "must be at least 100"))
	default:
		attrs["amount_cents"] = amount
	}
	switch currency, ok := r.Currency.(string); {
	case r.Currency == nil:
		problems = append(problems, badField("currency", "is required"))
	case !ok || len(strings.TrimSpace(currency)) != 3:
		problems = append(problems, badField("currency", "must be a three-letter ISO 4217 code such as XOF"))
	default:
		attrs["currency_code"] = strings.ToUpper(strings.TrimSpace(currency))
	}
	switch phone, ok := r.UserPhone.(string); {
	case r.UserPhone == nil:
		problems = append(problems, badField("user_phone", "is required"))
	case !ok:
		problems = append(problems, badField("user_phone", "must be an E.164 phone number such as +22507987654"))
	default:
		attrs["customer_phone"] = phone
	}
	if r.ExpiresIn != nil {
		if ttl, ok := wholeNumber(r.ExpiresIn); ok {
			attrs["expires_in"] = ttl
		} else {
			problems = append(problems, badField("expires_in", "must be an integer number of seconds between 300 and 86400"))
		}
	}
	if r.PaymentMethod != nil {
		if method, ok := mobileMoneyMethods[strings.ToLower(*r.PaymentMethod)]; ok {
			attrs["payment_method_type"] = method
		} else {
			problems = append(problems, badField("payment_method", "must be mobile_money, card or bank_transfer"))
		}
	}
	if r.Description != nil {
		attrs["description"] = *r.Description
	}
	if r.SuccessURL != nil {
		attrs["success_url"] = *r.SuccessURL
	}
	if r.CancelURL != nil {
		attrs["failure_url"] = *r.CancelURL
	}
	return attrs, problems
}

func (a *api) mobileMoneyCreate(c *gin.Context) {
	var req mobileMoneyRequest
	if !a.decodeCompat(c, &req) {
		return
	}
	attrs, problems := req.attributes()
	if v, ok := a.createAmountSession(c, models.CompatMobileMoney, attrs, problems, mobileMoneyFields); ok {
		a.mobileMoneyAnswer(c, http.StatusCreated, v)
	}
}

func (a *api) mobileMoneyGet(c *gin.Context) {
	v, err := a.view(c, c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	a.mobileMoneyAnswer(c, http.StatusOK, v)
}

func (a *api) mobileMoneyAnswer(c *gin.Context, status int, v *models.SessionView) {
	s := &v.Session
	paymentID := strconv.FormatInt(v.Order.Number, 10)
	if v.Order.Reference != nil && *v.Order.Reference != "" {
		paymentID = *v.Order.Reference
	}
	c.JSON(status, mobileMoneyCheckout{
		ID: s.ID, Status: s.CurrentStatus(time.Now()), Amount: s.AmountCents, Currency: s.CurrencyCode,
		UserPhone: deref(s.CustomerPhone), PaymentID: paymentID, Description: s.Description, CheckoutURL: a.checkoutURL(s),
		CreatedAt: rfc3339(s.CreatedAt), ExpiresAt: rfc3339(s.ExpiresAt), CompletedAt: rfc3339OrNil(s.CompletedAt),
		FailureReason: s.FailureReason, TransactionFee: v.Fee, CustomerID: s.CustomerID,
	})
}

// compatFields renames the fields a batch's errors point at to a facade's
// (fields: attribute → field; prefix goes before each), as the error's
// parameter, and says them in the detail: the facade formats write
// "user_phone must be…" where the session says "customer_phone - must be…".
func compatFields(err error, fields map[string]string, prefix string) error {
	_, list, ok := opFailure(err)
	if !ok {
		return err
	}
	out := make(errs.List, len(list))
	for i, e := range list {
		c := *e
		if e.Pointer != "" {
			name := pointerName(e.Pointer)
			field, known := fields[name]
			if !known {
				field = name
			}
			c.Parameter, c.Pointer = prefix+field, ""
			if rest, found := strings.CutPrefix(c.Detail, name+" - "); found {
				c.Detail = prefix + field + " " + rest
			}
		}
		out[i] = &c
	}
	return out
}

// mobileMoneyErrors writes that API's error body: {"error", "message",
// "field"}; 422s from Kasse's rules are its 400s (missing or invalid
// parameters) except the idempotency and routing ones.
func mobileMoneyErrors(c *gin.Context, status int, list errs.List) {
	body := gin.H{}
	code, message := "server_error", "An internal error occurred"
	if len(list) > 0 {
		message = strings.Join(details(list), "; ")
		if list[0].Parameter != "" {
			body["field"] = list[0].Parameter
		}
		if status == http.StatusUnprocessableEntity && list[0].Code == errs.ValidationError {
			status = http.StatusBadRequest
		}
	}
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusRequestTimeout:
		code = "bad_request"
	case http.StatusUnauthorized:
		code = "unauthorized"
	case http.StatusForbidden:
		code = "forbidden"
	case http.StatusNotFound:
		code = "not_found"
	case http.StatusConflict:
		code = "conflict"
	case http.StatusUnprocessableEntity:
		code = "unprocessable"
	case http.StatusTooManyRequests:
		code = "rate_limited"
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		code = "service_unavailable"
	}
	if len(list) > 0 && list[0].Code == errs.IdempotencyKeyMissing {
		message = "idempotency-key header is required"
		body["field"] = "idempotency-key"
	}
	body["error"], body["message"] = code, message
	c.JSON(status, body)
}
