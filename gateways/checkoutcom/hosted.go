package checkoutcom

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kasse/models"
)

// Checkout.com's Hosted Payments Page (HPP), as the checkout session uses
// it:
//
//   - CreateHosted: POST /hosted-payments with the amount, currency,
//     reference (the session id), description, customer email, billing
//     country, success/failure/cancel URLs, capture, locale, 3DS enabled
//     and metadata {kasse_payment_source_id, kasse_installments}, with the
//     Cko-Idempotency-Key header. The answer's id (hpp_…) and
//     _links.redirect.href are the page. The HPP takes no installments
//     field: the number chosen is recorded in the metadata only.
//   - HostedDetails: the customer comes back with ?cko-payment-id=pay_…
//     (success or failure URL). That id is a hint: GET /payments/{id} is
//     taken only when the payment's metadata names the same payment
//     source; otherwise, and when no id came back, GET
//     /hosted-payments/{hpp} says which payment the page took (payment_id),
//     read with GET /payments/{id}. A page still waiting is requires_action
//     (its URL); a declined attempt there is pending (the customer may try
//     again on the page); an expired page is declined.

// hostedRequest is POST /hosted-payments's body.
type (
	hostedBilling struct {
		Address struct {
			Country string `json:"country"`
		} `json:"address"`
	}
	hostedRequest struct {
		Amount      int64          `json:"amount"`
		Currency    string         `json:"currency"`
		Reference   string         `json:"reference,omitempty"`
		Description string         `json:"description,omitempty"`
		Customer    *customer      `json:"customer,omitempty"`
		Billing     *hostedBilling `json:"billing,omitempty"`
		SuccessURL  string         `json:"success_url"`
		FailureURL  string         `json:"failure_url"`
		CancelURL   string         `json:"cancel_url"`
		Capture     bool           `json:"capture"`
		Locale      string         `json:"locale,omitempty"`
		ThreeDS     threeDS        `json:"3ds"`
		Metadata    map[string]any `json:"metadata,omitempty"`
	}
	hostedPage struct {
		ID        string         `json:"id"`
		Status    string         `json:"status"`
		PaymentID string         `json:"payment_id"`
		Reference string         `json:"reference"`
		Metadata  map[string]any `json:"metadata"`
		Links     map[string]struct {
			Href string `json:"href"`
		} `json:"_links"`
	}
)

// HPP statuses.
const (
	HostedPending  = "Payment Pending"
	HostedReceived = "Payment Received"
	HostedExpired  = "Expired"
)

var _ models.HostedProvider = (*Client)(nil)

// hostedLocales maps a language to the HPP's locale (its enum).
var hostedLocales = map[string]string{"ar": "ar", "da": "da-DK", "de": "de-DE", "en": "en-GB", "es": "es-ES", "fi": "fi-FI",
	"fil": "fil-PH", "fr": "fr-FR", "hi": "hi-IN", "id": "id-ID", "it": "it-IT", "ja": "ja-JP", "ms": "ms-MY", "nb": "nb-NO",
	"nl": "nl-NL", "sv": "sv-SE", "th": "th-TH", "vi": "vi-VN", "zh": "zh-CN"}

// HostedLocale is the HPP locale for a Kasse locale (fr_CI → fr-FR); ""
// lets Checkout.com use its default (en-GB).
func HostedLocale(locale string) string {
	lang := strings.ToLower(locale)
	if i := strings.IndexAny(lang, "_-"); i > 0 {
		lang = lang[:i]
	}
	return hostedLocales[lang]
}

// Hosts says whether id is a Hosted Payments Page id.
func (c *Client) Hosts(id string) bool { return strings.HasPrefix(id, "hpp_") }

// CreateHosted opens a Hosted Payments Page.
func (c *Client) CreateHosted(ctx context.Context, req models.HostedRequest) (*models.HostedResult, error) {
	amount, err := toProvider(req.AmountCents, req.Currency)
	if err != nil {
		return nil, err
	}
	body := hostedRequest{Amount: amount, Currency: strings.ToUpper(req.Currency), Reference: cut(req.Reference, 50), Description: cut(req.Description, 100),
		SuccessURL: req.SuccessURL, FailureURL: req.FailureURL, CancelURL: req.CancelURL, Capture: req.Capture, Locale: HostedLocale(req.Locale),
		ThreeDS: threeDS{Enabled: true}, Metadata: map[string]any{models.HostedSourceKey: req.SourceID}}
	if req.Installments > 1 {
		body.Metadata[models.HostedInstallmentsKey] = strconv.Itoa(req.Installments)
	}
	if req.CustomerEmail != "" {
		body.Customer = &customer{Email: req.CustomerEmail}
	}
	if req.Country != "" {
		body.Billing = &hostedBilling{}
		body.Billing.Address.Country = req.Country
	}
	raw, err := c.do(ctx, call{method: http.MethodPost, path: "/hosted-payments", body: body, idemKey: req.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	var page hostedPage
	if err := json.Unmarshal(raw, &page); err != nil || !c.Hosts(page.ID) || page.Links["redirect"].Href == "" {
		return nil, c.fail(true, "malformed_response", "POST /hosted-payments: the answer has no hpp_ id or redirect link", nil)
	}
	return &models.HostedResult{ID: page.ID, RedirectURL: page.Links["redirect"].Href}, nil
}

// HostedDetails reads the payment a Hosted Payments Page took.
func (c *Client) HostedDetails(ctx context.Context, q models.HostedQuery) (*models.ProviderResult, error) {
	if strings.HasPrefix(q.ReturnedID, "pay_") {
		res, err := c.Details(ctx, q.ReturnedID, "")
		var pe *models.ProviderError
		switch {
		case err == nil && ownedBy(res.Raw, q.SourceID):
			return res, nil
		case err != nil && (!errors.As(err, &pe) || pe.Temporary):
			return nil, err
		}
		// Another source's payment, or none: the page itself says.
	}
	raw, err := c.get(ctx, "/hosted-payments/"+url.PathEscape(q.HostedID))
	if err != nil {
		return nil, err
	}
	var page hostedPage
	if err := json.Unmarshal(raw, &page); err != nil || page.ID == "" {
		return nil, c.fail(true, "malformed_response", "GET /hosted-payments: the answer is not a hosted payment page", nil)
	}
	if q.SourceID == "" || page.Metadata[models.HostedSourceKey] != q.SourceID {
		return nil, c.fail(false, "hosted_page_mismatch", "the hosted payment page belongs to another payment", nil)
	}
	waiting := &models.ProviderResult{Outcome: models.Pending, Status: page.Status, RedirectURL: page.Links["redirect"].Href,
		Raw: map[string]any{"id": page.ID, "status": page.Status, "reference": page.Reference}}
	if waiting.RedirectURL != "" {
		waiting.Outcome = models.RequiresAction
	}
	switch {
	case page.Status == HostedExpired && page.PaymentID == "":
		return &models.ProviderResult{Outcome: models.Declined, Status: page.Status, ResponseCode: "expired",
			Message: "the hosted payment page expired", Raw: waiting.Raw}, nil
	case page.PaymentID == "":
		return waiting, nil
	}
	res, err := c.Details(ctx, page.PaymentID, "")
	if err != nil {
		return nil, err
	}
	if res.Outcome == models.Declined && page.Status != HostedExpired {
		return waiting, nil // the customer may try again on the page
	}
	return res, nil
}

// ownedBy says whether a payment's metadata names the payment source.
func ownedBy(raw map[string]any, sourceID string) bool {
	m, _ := raw["metadata"].(map[string]any)
	return sourceID != "" && m[models.HostedSourceKey] == sourceID
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
