// Package checkoutcom is Kasse's Checkout.com adapter: a small
// hand-written client of the unified Payments API (the official Go SDK is
// not installable), behind models.Provider.
//
// What it does with the API:
//
//   - Authorize: POST /payments with a token source, 3DS enabled and the
//     Cko-Idempotency-Key header. The answer is mapped from the body, not
//     the HTTP status (an idempotent replay may come back as 202 with the
//     original payment): status Pending → RequiresAction when
//     _links.redirect is present, else Pending; approved:false, Declined,
//     Canceled, Expired → Declined; Authorized, Card Verified, Captured… →
//     Approved.
//   - Captured is true only when the payment's status is "Captured". With
//     capture:true Checkout.com usually answers "Authorized" and captures
//     asynchronously (a payment_captured webhook follows), so such an
//     answer is Approved with Captured=false: Kasse records the capture
//     when Checkout.com reports it, never before.
//   - Details: GET /payments/{id}, or /payments/{sid_…} after 3DS when no
//     payment id is known; the payment id wins when both are given, so a
//     session id from a return URL cannot point Kasse at another payment.
//   - Capture, Void, Refund: POST /payments/{id}/captures|voids|refunds;
//     Checkout.com accepts these with 202 {action_id} and settles them
//     asynchronously: 202 is Approved with the action id.
//   - Errors: 4xx are refusals (non-temporary *models.ProviderError with
//     Code = error_type, Message = error_codes), except 408, 409 (an
//     in-flight request with the same idempotency key), 425 and 429; those,
//     5xx, network errors, timeouts and 2xx answers that cannot be read are
//     temporary: the outcome is unknown and Kasse asks again later with the
//     same idempotency key. POSTs are never retried here; a GET is retried
//     once.
//   - Amounts: Kasse's ISO 4217 minor units are converted to Checkout.com's
//     own units (see amount.go); an amount Checkout.com cannot express is a
//     non-temporary error before any call.
//
// Nothing secret leaves the adapter: the secret key and the card token are
// never put in an error message, and ProviderResult.Raw is the response
// body without keys that name secrets, tokens or card numbers. Instrument
// carries the scheme, card type, last4, issuer and expiry, never the BIN.
package checkoutcom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kasse/models"
)

// Header names of the API.
const (
	IdempotencyHeader = "Cko-Idempotency-Key"
	SignatureHeader   = "Cko-Signature"
	RequestIDHeader   = "Cko-Request-Id"
)

// maxBody bounds what is read of an answer.
const maxBody = 1 << 20

// getRetryDelay is the pause before a GET's one retry.
const getRetryDelay = 50 * time.Millisecond

// Client talks to one Checkout.com account. It implements models.Provider.
type Client struct {
	baseURL       string
	secretKey     string
	webhookSecret string
	hc            *http.Client
}

var _ models.Provider = (*Client)(nil)

// New makes a client of the API at baseURL (https://api.checkout.com,
// https://api.sandbox.checkout.com or a test server) with the account's
// secret key (sk_…) and webhook signature key. A nil client means one with
// a 15 s timeout.
func New(baseURL, secretKey, webhookSecret string, client *http.Client) *Client {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), secretKey: secretKey, webhookSecret: webhookSecret, hc: client}
}

// call is one API request.
type call struct {
	method, path string
	body         any
	idemKey      string
	secrets      []string // values to keep out of error messages (the token)
}

// apiError is the API's error body.
type apiError struct {
	RequestID  string   `json:"request_id"`
	ErrorType  string   `json:"error_type"`
	ErrorCodes []string `json:"error_codes"`
}

// redact removes the secret key, the webhook secret and the call's
// secrets from a message.
func (c *Client) redact(s string, extra []string) string {
	for _, secret := range append([]string{c.secretKey, c.webhookSecret}, extra...) {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

func (c *Client) fail(temporary bool, code, msg string, extra []string) *models.ProviderError {
	return &models.ProviderError{Temporary: temporary, Code: code, Message: c.redact(msg, extra)}
}

// do sends a request and returns a 2xx answer's body; anything else is a
// *models.ProviderError.
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	if c.secretKey == "" {
		return nil, c.fail(false, "configuration", "the Checkout.com gateway has no secret_key", nil)
	}
	var body io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, c.fail(false, "request_invalid", "cannot encode the request", k.secrets)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.baseURL+k.path, body)
	if err != nil {
		return nil, c.fail(false, "configuration", "bad Checkout.com base URL", k.secrets)
	}
	req.Header.Set("Authorization", "Bearer "+c.secretKey)
	req.Header.Set("Accept", "application/json")
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.idemKey != "" {
		req.Header.Set(IdempotencyHeader, k.idemKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, k, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, k, err)
	}
	if len(raw) > maxBody {
		return nil, c.fail(true, "malformed_response", fmt.Sprintf("%s %s: the answer is larger than %d bytes", k.method, k.path, maxBody), k.secrets)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return raw, nil
	}
	return nil, c.statusError(k, resp, raw)
}

// transportError is a call that got no complete answer: its outcome is
// unknown.
func (c *Client) transportError(ctx context.Context, k call, err error) error {
	code := "network_error"
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		code = "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		code = "timeout"
	}
	detail := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		detail = ue.Err.Error()
	}
	return c.fail(true, code, fmt.Sprintf("%s %s: Checkout.com did not answer (%s)", k.method, k.path, detail), k.secrets)
}

// statusError maps an answer that is not 2xx.
func (c *Client) statusError(k call, resp *http.Response, raw []byte) error {
	var e apiError
	_ = json.Unmarshal(raw, &e)
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get(RequestIDHeader)
	}
	st := resp.StatusCode
	temporary := st == http.StatusRequestTimeout || st == http.StatusConflict || st == http.StatusTooEarly ||
		st == http.StatusTooManyRequests || st >= 500 || st < 400
	code := e.ErrorType
	if code == "" {
		code = statusCode(st)
	}
	msg := fmt.Sprintf("%s %s: HTTP %d", k.method, k.path, st)
	switch {
	case len(e.ErrorCodes) > 0:
		msg += ": " + strings.Join(e.ErrorCodes, ", ")
	case st == http.StatusConflict:
		msg += ": a request with the same idempotency key is in progress"
	case st == http.StatusUnauthorized:
		msg += ": the secret key was refused"
	}
	if e.RequestID != "" {
		msg += " (request_id " + e.RequestID + ")"
	}
	return c.fail(temporary, code, msg, k.secrets)
}

func statusCode(st int) string {
	switch st {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "action_not_allowed"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "idempotency_key_in_use"
	case http.StatusUnprocessableEntity:
		return "request_invalid"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	if st >= 500 {
		return "provider_unavailable"
	}
	return fmt.Sprintf("http_%d", st)
}

// Requests of the API.
type (
	tokenSource struct {
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	threeDS struct {
		Enabled bool `json:"enabled"`
	}
	customer struct {
		Email string `json:"email"`
	}
	paymentRequest struct {
		Source     tokenSource `json:"source"`
		Amount     int64       `json:"amount"`
		Currency   string      `json:"currency"`
		Reference  string      `json:"reference,omitempty"`
		Capture    bool        `json:"capture"` // always sent: Checkout.com defaults to true
		ThreeDS    threeDS     `json:"3ds"`
		SuccessURL string      `json:"success_url,omitempty"`
		FailureURL string      `json:"failure_url,omitempty"`
		Customer   *customer   `json:"customer,omitempty"`
	}
	actionRequest struct {
		Amount    *int64 `json:"amount,omitempty"`
		Reference string `json:"reference,omitempty"`
	}
)

// Authorize requests a payment with a card token.
func (c *Client) Authorize(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	secrets := []string{req.Token}
	if req.Token == "" {
		return nil, c.fail(false, "token_required", "the payment has no card token", nil)
	}
	amount, err := toProvider(req.AmountCents, req.Currency)
	if err != nil {
		return nil, err
	}
	body := paymentRequest{
		Source:   tokenSource{Type: "token", Token: req.Token},
		Amount:   amount,
		Currency: strings.ToUpper(req.Currency), Reference: req.Reference, Capture: req.Capture,
		ThreeDS:    threeDS{Enabled: true},
		SuccessURL: req.SuccessURL, FailureURL: req.FailureURL,
	}
	if req.CustomerEmail != "" {
		body.Customer = &customer{Email: req.CustomerEmail}
	}
	raw, err := c.do(ctx, call{method: http.MethodPost, path: "/payments", body: body, idemKey: req.IdempotencyKey, secrets: secrets})
	if err != nil {
		return nil, err
	}
	return c.paymentResult(raw, secrets)
}

// Details reads a payment by id, or by the 3DS session id (sid_…) when
// the payment id is not known. A temporary failure is retried once.
func (c *Client) Details(ctx context.Context, paymentID, sessionID string) (*models.ProviderResult, error) {
	id := paymentID
	if id == "" {
		id = sessionID
	}
	if id == "" {
		return nil, c.fail(false, "payment_id_required", "neither a payment id nor a session id was given", nil)
	}
	raw, err := c.get(ctx, "/payments/"+url.PathEscape(id))
	if err != nil {
		return nil, err
	}
	return c.paymentResult(raw, nil)
}

// get is a GET, retried once after getRetryDelay on a temporary failure.
func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	k := call{method: http.MethodGet, path: path}
	raw, err := c.do(ctx, k)
	var pe *models.ProviderError
	if err != nil && errors.As(err, &pe) && pe.Temporary && ctx.Err() == nil {
		select {
		case <-time.After(getRetryDelay):
			raw, err = c.do(ctx, k)
		case <-ctx.Done():
		}
	}
	return raw, err
}

// Capture captures (part of) an authorized payment.
func (c *Client) Capture(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return c.action(ctx, "captures", "Capture", req, true)
}

// Void releases an authorization.
func (c *Client) Void(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return c.action(ctx, "voids", "Void", req, false)
}

// Refund refunds (part of) a captured payment.
func (c *Client) Refund(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return c.action(ctx, "refunds", "Refund", req, true)
}

// action posts a capture, void or refund; an amount of 0 means the
// whole balance (Checkout.com's default when amount is left out).
func (c *Client) action(ctx context.Context, path, name string, req models.ActionRequest, withAmount bool) (*models.ProviderResult, error) {
	if req.PaymentID == "" {
		return nil, c.fail(false, "payment_id_required", "the payment has no Checkout.com payment id", nil)
	}
	body := actionRequest{Reference: req.Reference}
	if withAmount && req.AmountCents != 0 {
		amount, err := toProvider(req.AmountCents, req.Currency)
		if err != nil {
			return nil, err
		}
		body.Amount = &amount
	}
	raw, err := c.do(ctx, call{method: http.MethodPost, path: "/payments/" + url.PathEscape(req.PaymentID) + "/" + path, body: body, idemKey: req.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	var ans struct {
		ActionID  string `json:"action_id"`
		Reference string `json:"reference"`
	}
	m, err := decodeObject(raw)
	if err == nil {
		err = json.Unmarshal(raw, &ans)
	}
	if err != nil || ans.ActionID == "" {
		return nil, c.fail(true, "malformed_response", fmt.Sprintf("POST /payments/%s/%s: the answer has no action_id", req.PaymentID, path), nil)
	}
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: req.PaymentID, ActionID: ans.ActionID,
		Message: name + " accepted", Raw: scrub(m, nil).(map[string]any)}, nil
}

func decodeObject(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// payment is what the adapter reads of a payment response.
type payment struct {
	ID              string `json:"id"`
	ActionID        string `json:"action_id"`
	Status          string `json:"status"`
	Approved        *bool  `json:"approved"`
	ResponseCode    string `json:"response_code"`
	ResponseSummary string `json:"response_summary"`
	Source          *struct {
		ID string `json:"id"`
	} `json:"source"`
	Customer *struct {
		ID string `json:"id"`
	} `json:"customer"`
	Links map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
}

// paymentResult maps a payment response (POST /payments, GET
// /payments/{id}) to Kasse's outcome.
func (c *Client) paymentResult(raw []byte, secrets []string) (*models.ProviderResult, error) {
	var p payment
	m, err := decodeObject(raw)
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil || p.ID == "" {
		return nil, c.fail(true, "malformed_response", "Checkout.com's answer is not a payment", secrets)
	}
	res := &models.ProviderResult{PaymentID: p.ID, ActionID: p.ActionID, Status: p.Status,
		ResponseCode: p.ResponseCode, Message: p.ResponseSummary, Captured: p.Status == "Captured"}
	if p.Source != nil {
		res.SourceID = p.Source.ID
	}
	if p.Customer != nil {
		res.CustomerID = p.Customer.ID
	}
	redirect := p.Links["redirect"].Href
	switch p.Status {
	case "Pending":
		res.Outcome = models.Pending
		if redirect != "" {
			res.Outcome, res.RedirectURL = models.RequiresAction, redirect
		}
	case "Declined", "Canceled", "Expired":
		res.Outcome = models.Declined
	case "Authorized", "Card Verified", "Captured", "Partially Captured", "Refunded", "Partially Refunded", "Voided", "Paid":
		res.Outcome = models.Approved
	case "":
		if p.Approved == nil {
			return nil, c.fail(true, "malformed_response", "Checkout.com's answer has neither status nor approved", secrets)
		}
		res.Outcome = models.Approved
	default: // Requested, Active…: not settled yet
		res.Outcome = models.Pending
		if redirect != "" {
			res.Outcome, res.RedirectURL = models.RequiresAction, redirect
		}
	}
	if p.Approved != nil && !*p.Approved && p.Status != "Pending" {
		res.Outcome, res.Captured = models.Declined, false
	}
	if src, ok := m["source"].(map[string]any); ok {
		res.Instrument = instrument(src)
	}
	res.Raw = scrub(m, secrets).(map[string]any)
	return res, nil
}

// instrument keeps what may be shown of a card: never the BIN or a number.
func instrument(src map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"type", "scheme", "card_type", "card_category", "issuer", "issuer_country", "expiry_month", "expiry_year"} {
		if v, ok := src[k]; ok && v != nil {
			out[k] = v
		}
	}
	if l4, ok := src["last4"].(string); ok && len(l4) <= 4 {
		out["last4"] = l4
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// secretKeys are keys never kept in Raw: any key containing one of the
// first list, or equal to one of the second.
var (
	secretParts = []string{"secret", "token", "cryptogram", "password", "cvv", "cvc"}
	secretNames = map[string]bool{"bin": true, "number": true, "card_number": true, "pan": true, "authorization": true}
)

func secretKey(k string) bool {
	k = strings.ToLower(k)
	if secretNames[k] {
		return true
	}
	for _, p := range secretParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// scrub copies a decoded JSON value without secret keys, and without
// string values that contain one of the secrets.
func scrub(v any, secrets []string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if !secretKey(k) {
				out[k] = scrub(x, secrets)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = scrub(x, secrets)
		}
		return out
	case string:
		for _, s := range secrets {
			if s != "" && strings.Contains(v, s) {
				return "[redacted]"
			}
		}
	}
	return v
}

// webhook is a Checkout.com event body.
type webhook struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		ID       string         `json:"id"`
		ActionID string         `json:"action_id"`
		Amount   int64          `json:"amount"`
		Currency string         `json:"currency"`
		Metadata map[string]any `json:"metadata"`
	} `json:"data"`
}

// Sign is a webhook body's Cko-Signature: hex HMAC-SHA256 of the raw
// body with the webhook signature key.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// ParseWebhook verifies Cko-Signature on the raw body and normalizes the
// event. Event types Kasse does not act on have an empty Kind.
func (c *Client) ParseWebhook(header func(string) string, body []byte) (*models.WebhookEvent, error) {
	if err := Verify(c.webhookSecret, header(SignatureHeader), body); err != nil {
		return nil, err
	}
	var w webhook
	if err := json.Unmarshal(body, &w); err != nil || w.ID == "" || w.Type == "" {
		return nil, errors.New("malformed event")
	}
	e := Event(w.ID, w.Type, w.Data.ID, w.Data.ActionID, fromProvider(w.Data.Amount, w.Data.Currency))
	// A payment made on a Hosted Payments Page carries the page's metadata.
	e.SourceRef, _ = w.Data.Metadata[models.HostedSourceKey].(string)
	return e, nil
}

// Verify checks a hex HMAC-SHA256 signature of the raw body (Checkout.com's
// Cko-Signature scheme, which Kasse's sandbox shares) in constant time.
func Verify(secret, signature string, body []byte) error {
	if secret == "" {
		return errors.New("the gateway has no webhook_endpoint_secret")
	}
	sig := strings.TrimSpace(signature)
	if sig == "" {
		return errors.New("missing signature header")
	}
	got, err := hex.DecodeString(sig)
	want, _ := hex.DecodeString(Sign(secret, body))
	if err != nil || !hmac.Equal(got, want) {
		return errors.New("bad signature")
	}
	return nil
}

// Event normalizes a Checkout.com event type (the sandbox sends the same
// ones) into what happened; types Kasse does not act on have an empty Kind.
func Event(id, typ, paymentID, actionID string, amountCents int64) *models.WebhookEvent {
	e := &models.WebhookEvent{ID: id, Type: typ, PaymentID: paymentID, ActionID: actionID, AmountCents: amountCents, Outcome: models.Approved}
	switch typ {
	case "payment_approved":
		e.Kind = models.TxAuthorization
	case "payment_declined":
		e.Kind, e.Outcome = models.TxAuthorization, models.Declined
	case "payment_captured":
		e.Kind = models.TxCapture
	case "payment_capture_declined":
		e.Kind, e.Outcome = models.TxCapture, models.Declined
	case "payment_voided":
		e.Kind = models.TxVoid
	case "payment_void_declined":
		e.Kind, e.Outcome = models.TxVoid, models.Declined
	case "payment_refunded":
		e.Kind = models.TxRefund
	case "payment_refund_declined":
		e.Kind, e.Outcome = models.TxRefund, models.Declined
	default:
		e.Outcome = ""
	}
	return e
}
