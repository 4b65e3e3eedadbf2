package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/errs"
	"kasse/models"
)

// The checkout links facade (docs/checkout-apis.md, D): POST /api/checkout
// opens an amount-only session for the merchant's orderId and answers its
// page; the session's callback_url gets a form POST with checkoutId; GET
// /api/checkout/{checkoutId} says SUCCESS only once the session completed
// and the order is paid. Authenticated by X-API-KEY and X-API-SECRET.

type linksRequest struct {
	OrderID                any     `json:"orderId"`
	Amount                 any     `json:"amount"`
	Currency               any     `json:"currency"`
	Description            *string `json:"description"`
	Callback               any     `json:"callback"`
	CustomerID             *string `json:"customerId"`
	MaxInstallmentCount    any     `json:"maxInstallmentCount"`
	InterestPaidByCustomer *bool   `json:"interestPaidByCustomer"`
}

type linksCreated struct {
	CheckoutID  string `json:"checkoutId"`
	RedirectURL string `json:"redirectUrl"`
}

// linksPayment is that API's payment object (ApiPaymentResponse).
type linksPayment struct {
	CheckoutID       string      `json:"checkoutId"`
	OrderID          string      `json:"orderId"`
	Status           string      `json:"status"`
	Amount           json.Number `json:"amount"`
	Currency         string      `json:"currency"`
	InstallmentCount *int        `json:"installmentCount"`
	PaidAt           *string     `json:"paidAt"`
	ErrorMessage     *string     `json:"errorMessage"`
}

var linksFields = map[string]string{
	"reference": "orderId", "amount_cents": "amount", "currency_code": "currency", "description": "description",
	"callback_url": "callback", "max_installments": "maxInstallmentCount", "interest_paid_by_customer": "interestPaidByCustomer",
}

// requiredText reads a required string field.
func requiredText(v any, field string, problems *errs.List) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		*problems = append(*problems, badField(field, "is required"))
	case !ok:
		*problems = append(*problems, badField(field, "must be a string"))
	case strings.TrimSpace(s) == "":
		*problems = append(*problems, badField(field, "can't be blank"))
	}
	return strings.TrimSpace(s)
}

// majorAmount reads a decimal amount in major units of currency into minor
// units ("100.50" TRY → 10050).
func majorAmount(v any, currency, field string, problems *errs.List) int64 {
	n, ok := v.(json.Number)
	if v == nil {
		*problems = append(*problems, badField(field, "is required"))
		return 0
	}
	if !ok {
		*problems = append(*problems, badField(field, "must be a number in major units, such as 100.50"))
		return 0
	}
	if currency == "" {
		return 0 // the currency's own error says why
	}
	cents, err := models.ParseMajor(n.String(), currency)
	if err != nil {
		*problems = append(*problems, badField(field, err.Error()))
	}
	return cents
}

func (r *linksRequest) attributes() (map[string]any, errs.List) {
	var problems errs.List
	orderID := requiredText(r.OrderID, "orderId", &problems)
	currency := strings.ToUpper(requiredText(r.Currency, "currency", &problems))
	if _, known := models.LookupCurrency(currency); currency != "" && !known {
		problems = append(problems, badField("currency", "is not an ISO 4217 currency code"))
		currency = ""
	}
	amount := majorAmount(r.Amount, currency, "amount", &problems)
	callback := requiredText(r.Callback, "callback", &problems)
	attrs := map[string]any{"reference": orderID, "currency_code": currency, "amount_cents": amount, "callback_url": callback}
	if r.Description != nil {
		attrs["description"] = *r.Description
	}
	if r.MaxInstallmentCount != nil {
		if n, ok := wholeNumber(r.MaxInstallmentCount); ok {
			attrs["max_installments"] = n
		} else {
			problems = append(problems, badField("maxInstallmentCount", "must be an integer between 1 and 36"))
		}
	}
	if r.InterestPaidByCustomer != nil {
		attrs["interest_paid_by_customer"] = *r.InterestPaidByCustomer
	}
	if r.CustomerID != nil {
		attrs["metadata"] = map[string]any{"customerId": *r.CustomerID}
	}
	return attrs, problems
}

func (a *api) linksCreate(c *gin.Context) {
	var req linksRequest
	if !a.decodeCompat(c, &req) {
		return
	}
	attrs, problems := req.attributes()
	v, ok := a.createAmountSession(c, models.CompatLinks, attrs, problems, linksFields)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, linksCreated{CheckoutID: v.Session.UUID, RedirectURL: a.checkoutURL(&v.Session)})
}

func (a *api) linksGet(c *gin.Context) {
	v, err := a.view(c, c.Param("checkoutId"))
	if err != nil {
		a.fail(c, err)
		return
	}
	s := &v.Session
	status := linksStatus(s.CurrentStatus(time.Now()), v.Order.PaymentStatus)
	out := linksPayment{CheckoutID: s.UUID, OrderID: deref(s.Reference), Status: status, Amount: decimal(s.AmountCents, s.CurrencyCode),
		Currency: s.CurrencyCode, InstallmentCount: s.Installments, ErrorMessage: s.FailureReason}
	if status == "SUCCESS" {
		out.PaidAt = rfc3339OrNil(s.CompletedAt)
	}
	c.JSON(http.StatusOK, out)
}

// linksStatus is that API's status: SUCCESS only for a completed session
// whose order's payment is secured (authorized or captured).
func linksStatus(session, payment string) string {
	switch session {
	case models.SessionCompleted:
		switch payment {
		case models.PaymentAuthorized, models.PaymentPaid, models.PaymentPartiallyRefunded, models.PaymentRefunded:
			return "SUCCESS"
		}
		return "FAILURE"
	case models.SessionFailed:
		return "FAILURE"
	case models.SessionExpired:
		return "EXPIRED"
	case models.SessionCancelled:
		return "CANCELLED"
	}
	return "PENDING"
}

// linksErrors writes that API's error body: {"errorCode", "errorMessage"}.
func linksErrors(c *gin.Context, status int, list errs.List) {
	code, message := "INTERNAL_ERROR", "An internal error occurred"
	if len(list) > 0 {
		code, message = string(list[0].Code), strings.Join(details(list), "; ")
	}
	c.JSON(status, gin.H{"errorCode": code, "errorMessage": message})
}
