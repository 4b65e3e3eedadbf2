// Package stripe is Kasse's Stripe adapter (models.Provider) on
// PaymentIntents and Refunds through stripe-go: authorize (a PaymentMethod
// confirmed server-side, or an unconfirmed PaymentIntent that Stripe.js
// confirms in the browser), details, capture, void (cancel), refund, and
// signed webhooks. Fake is a stateful loopback Stripe for tests; the
// request shapes are also checked against stripe-mock.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	stripeapi "github.com/stripe/stripe-go/v85"

	"kasse/models"
)

// MaxNetworkRetries is how often stripe-go retries a call that failed on
// the network (connection errors, timeouts) or that Stripe answered with
// Stripe-Should-Retry: true; Stripe's JSON errors (a 5xx, a 409) come back
// at once as temporary ProviderErrors. Every POST carries Kasse's stable
// idempotency key, so a retry cannot act twice; GETs are safe anyway. Kept
// low: an unknown outcome is recorded and settled later by `_refresh`, so
// long in-request retries buy little.
const MaxNetworkRetries = 1

// Adapter is the Stripe adapter of one configured gateway.
type Adapter struct {
	client        *stripeapi.Client
	secretKey     string
	webhookSecret string
}

var _ models.Provider = (*Adapter)(nil)

// New makes the adapter of a Stripe account: baseURL is the API origin
// (https://api.stripe.com, stripe-mock's or a fake's), secretKey the
// account's secret key, webhookSecret the endpoint's signing secret
// (whsec_…), client the HTTP client (nil: stripe-go's).
func New(baseURL, secretKey, webhookSecret string, client *http.Client) *Adapter {
	cfg := &stripeapi.BackendConfig{
		MaxNetworkRetries: stripeapi.Int64(MaxNetworkRetries),
		// Errors are returned to Kasse, which reports them; stripe-go's
		// own logging would only repeat them on stderr.
		LeveledLogger: &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
	}
	if baseURL = strings.TrimRight(strings.TrimSpace(baseURL), "/"); baseURL != "" {
		cfg.URL = stripeapi.String(baseURL)
	}
	if client != nil {
		cfg.HTTPClient = client
	}
	backend := stripeapi.GetBackendWithConfig(stripeapi.APIBackend, cfg)
	return &Adapter{
		client:        stripeapi.NewClient(secretKey, stripeapi.WithBackends(&stripeapi.Backends{API: backend})),
		secretKey:     secretKey,
		webhookSecret: webhookSecret,
	}
}

// Authorize creates a PaymentIntent. With a PaymentMethod id (pm_…) as
// token it is confirmed at once (3DS returns to req.SuccessURL); without
// a token it stays unconfirmed and the answer is Pending with the
// client_secret that Stripe.js needs to confirm it in the browser.
func (a *Adapter) Authorize(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	token := strings.TrimSpace(req.Token)
	if token != "" && !strings.HasPrefix(token, "pm_") {
		return nil, &models.ProviderError{Code: "token_invalid", Message: "a Stripe payment takes a PaymentMethod id (pm_…) as its token, or no token to be confirmed in the browser with Stripe.js"}
	}
	amount, err := toStripeAmount(req.AmountCents, req.Currency)
	if err != nil {
		return nil, err
	}
	captureMethod := stripeapi.PaymentIntentCaptureMethodManual
	if req.Capture {
		captureMethod = stripeapi.PaymentIntentCaptureMethodAutomatic
	}
	p := &stripeapi.PaymentIntentCreateParams{
		Amount:        stripeapi.Int64(amount),
		Currency:      stripeapi.String(strings.ToLower(strings.TrimSpace(req.Currency))),
		CaptureMethod: stripeapi.String(string(captureMethod)),
	}
	if req.Reference != "" {
		p.AddMetadata("reference", req.Reference)
	}
	if req.CustomerEmail != "" {
		p.ReceiptEmail = stripeapi.String(req.CustomerEmail)
	}
	if token != "" {
		p.PaymentMethod = stripeapi.String(token)
		p.Confirm = stripeapi.Bool(true)
		if req.SuccessURL != "" {
			p.ReturnURL = stripeapi.String(req.SuccessURL)
		} else {
			// Without a return URL Stripe refuses to confirm when a
			// redirect-based method might be chosen: cards only need none.
			p.AutomaticPaymentMethods = &stripeapi.PaymentIntentCreateAutomaticPaymentMethodsParams{
				Enabled: stripeapi.Bool(true), AllowRedirects: stripeapi.String("never")}
		}
	}
	p.AddExpand("payment_method")
	setKey(&p.Params, req.IdempotencyKey)
	pi, err := a.client.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		var se *stripeapi.Error
		if errors.As(err, &se) && se.Type == stripeapi.ErrorTypeCard {
			return a.declinedByError(se), nil
		}
		return nil, a.providerError(err)
	}
	return intentResult(pi), nil
}

// Details re-reads a PaymentIntent (after 3DS, or to reconcile). Stripe
// appends ?payment_intent=pi_… to the return URL: a session id that is a
// PaymentIntent id is taken when the payment id is unknown.
func (a *Adapter) Details(ctx context.Context, paymentID, sessionID string) (*models.ProviderResult, error) {
	id := paymentID
	if id == "" && strings.HasPrefix(sessionID, "pi_") {
		id = sessionID
	}
	if id == "" {
		return nil, &models.ProviderError{Code: "payment_id_missing", Message: "no PaymentIntent id to read"}
	}
	p := &stripeapi.PaymentIntentRetrieveParams{}
	p.AddExpand("payment_method")
	pi, err := a.client.V1PaymentIntents.Retrieve(ctx, id, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	return intentResult(pi), nil
}

// Capture captures (part of) an authorized PaymentIntent.
func (a *Adapter) Capture(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	p := &stripeapi.PaymentIntentCaptureParams{}
	if req.AmountCents > 0 {
		amount, err := toStripeAmount(req.AmountCents, req.Currency)
		if err != nil {
			return nil, err
		}
		p.AmountToCapture = stripeapi.Int64(amount)
	}
	setKey(&p.Params, req.IdempotencyKey)
	pi, err := a.client.V1PaymentIntents.Capture(ctx, req.PaymentID, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	return actionResult(pi), nil
}

// Void cancels a PaymentIntent nothing was captured from.
func (a *Adapter) Void(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	p := &stripeapi.PaymentIntentCancelParams{}
	setKey(&p.Params, req.IdempotencyKey)
	pi, err := a.client.V1PaymentIntents.Cancel(ctx, req.PaymentID, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	return actionResult(pi), nil
}

// Refund refunds (part of) what was captured of a PaymentIntent.
func (a *Adapter) Refund(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	p := &stripeapi.RefundCreateParams{PaymentIntent: stripeapi.String(req.PaymentID)}
	if req.AmountCents > 0 {
		amount, err := toStripeAmount(req.AmountCents, req.Currency)
		if err != nil {
			return nil, err
		}
		p.Amount = stripeapi.Int64(amount)
	}
	if req.Reference != "" {
		p.AddMetadata("reference", req.Reference)
	}
	setKey(&p.Params, req.IdempotencyKey)
	re, err := a.client.V1Refunds.Create(ctx, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	res := &models.ProviderResult{Outcome: models.Approved, ActionID: re.ID, Status: string(re.Status), Raw: rawMap(re.LastResponse, re, false)}
	if re.PaymentIntent != nil {
		res.PaymentID = re.PaymentIntent.ID
	}
	switch re.Status {
	case stripeapi.RefundStatusPending, stripeapi.RefundStatusRequiresAction:
		res.Outcome = models.Pending // accepted; refund.updated tells the end
	case stripeapi.RefundStatusFailed, stripeapi.RefundStatusCanceled:
		res.Outcome = models.Declined
		res.ResponseCode, res.Message = string(re.FailureReason), "the refund "+string(re.Status)
	}
	return res, nil
}

// setKey sends Kasse's stable idempotency key (stripe-go would otherwise
// make up one per call, which makes a later retry a second request).
func setKey(p *stripeapi.Params, key string) {
	if key != "" {
		p.SetIdempotencyKey(key)
	}
}

// intentResult maps a PaymentIntent to Kasse's outcome.
func intentResult(pi *stripeapi.PaymentIntent) *models.ProviderResult {
	res := &models.ProviderResult{PaymentID: pi.ID, Status: string(pi.Status), Outcome: models.Pending}
	if pi.LatestCharge != nil {
		res.ActionID = pi.LatestCharge.ID
	}
	if pi.PaymentMethod != nil && pi.PaymentMethod.Card != nil {
		c := pi.PaymentMethod.Card
		res.Instrument = map[string]any{"type": "card", "brand": string(c.Brand), "last4": c.Last4,
			"exp_month": c.ExpMonth, "exp_year": c.ExpYear, "funding": string(c.Funding), "country": c.Country}
	}
	unconfirmed := false
	switch pi.Status {
	case stripeapi.PaymentIntentStatusRequiresCapture:
		res.Outcome = models.Approved
	case stripeapi.PaymentIntentStatusSucceeded:
		res.Outcome, res.Captured = models.Approved, true
	case stripeapi.PaymentIntentStatusRequiresAction:
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil && pi.NextAction.RedirectToURL.URL != "" {
			res.Outcome, res.RedirectURL = models.RequiresAction, pi.NextAction.RedirectToURL.URL
		}
	case stripeapi.PaymentIntentStatusRequiresPaymentMethod:
		if pi.LastPaymentError != nil {
			declined(res, pi.LastPaymentError)
		} else {
			unconfirmed = true // waiting for the browser to confirm it
		}
	case stripeapi.PaymentIntentStatusRequiresConfirmation:
		unconfirmed = true
	case stripeapi.PaymentIntentStatusCanceled:
		res.Outcome, res.ResponseCode, res.Message = models.Declined, "canceled", "the PaymentIntent was canceled"
		if pi.CancellationReason != "" {
			res.ResponseCode = string(pi.CancellationReason)
		}
		if pi.LastPaymentError != nil {
			declined(res, pi.LastPaymentError)
		}
	}
	res.Raw = rawMap(pi.LastResponse, pi, unconfirmed)
	return res
}

func declined(res *models.ProviderResult, e *stripeapi.Error) {
	res.Outcome = models.Declined
	res.ResponseCode = string(e.DeclineCode)
	if res.ResponseCode == "" {
		res.ResponseCode = string(e.Code)
	}
	if res.ResponseCode == "" {
		res.ResponseCode = string(e.Type)
	}
	res.Message = e.Msg
}

// actionResult maps a capture's or cancel's answer: Stripe answers 200
// only when the action was done.
func actionResult(pi *stripeapi.PaymentIntent) *models.ProviderResult {
	res := &models.ProviderResult{Outcome: models.Approved, PaymentID: pi.ID, ActionID: pi.ID, Status: string(pi.Status),
		Captured: pi.Status == stripeapi.PaymentIntentStatusSucceeded, Raw: rawMap(pi.LastResponse, pi, false)}
	if pi.LatestCharge != nil && pi.LatestCharge.ID != "" {
		res.ActionID = pi.LatestCharge.ID
	}
	return res
}

// declinedByError is a confirmation that a card error refused (402): the
// PaymentIntent it carries is the payment.
func (a *Adapter) declinedByError(se *stripeapi.Error) *models.ProviderResult {
	res := &models.ProviderResult{Status: "declined"}
	declined(res, se)
	res.Message = a.scrub(res.Message)
	if se.PaymentIntent != nil {
		res.PaymentID, res.Status = se.PaymentIntent.ID, string(se.PaymentIntent.Status)
		if se.PaymentIntent.LatestCharge != nil {
			res.ActionID = se.PaymentIntent.LatestCharge.ID
		}
	}
	if body := responseBody(se.LastResponse); body != nil {
		var wrapper struct {
			Error map[string]any `json:"error"`
		}
		if json.Unmarshal(body, &wrapper) == nil && wrapper.Error != nil {
			if pi, ok := wrapper.Error["payment_intent"].(map[string]any); ok {
				res.Raw = sanitize(pi, false)
			} else {
				res.Raw = map[string]any{"error": sanitize(wrapper.Error, false)}
			}
		}
	}
	if res.Raw == nil {
		res.Raw = map[string]any{"error": map[string]any{"type": string(se.Type), "code": string(se.Code), "decline_code": string(se.DeclineCode), "message": res.Message}}
	}
	return res
}

// providerError turns a failed call into a ProviderError: temporary
// (outcome unknown, retry with the same key) for conflicts, rate limits,
// Stripe's 5xx, network failures, timeouts and unreadable answers;
// permanent for requests Stripe refused.
func (a *Adapter) providerError(err error) error {
	var se *stripeapi.Error
	if errors.As(err, &se) {
		code := string(se.Code)
		if se.Type == stripeapi.ErrorTypeCard && se.DeclineCode != "" {
			code = string(se.DeclineCode)
		}
		if code == "" {
			code = string(se.Type)
		}
		if code == "" {
			code = fmt.Sprintf("http_%d", se.HTTPStatusCode)
		}
		msg := se.Msg
		if msg == "" {
			msg = fmt.Sprintf("Stripe answered %d", se.HTTPStatusCode)
		}
		status := se.HTTPStatusCode
		temporary := status == http.StatusConflict || status == http.StatusTooManyRequests ||
			status == http.StatusFailedDependency || status >= 500 || se.Type == stripeapi.ErrorTypeAPI
		return &models.ProviderError{Temporary: temporary, Code: code, Message: a.scrub(msg)}
	}
	code := "provider_unavailable"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		code = "timeout"
	}
	return &models.ProviderError{Temporary: true, Code: code, Message: a.scrub("Stripe did not answer: " + err.Error())}
}

var secretKeyPattern = regexp.MustCompile(`\b(sk|rk)_(test|live)_[A-Za-z0-9]+`)

// scrub keeps secret keys out of messages that end up stored and shown.
func (a *Adapter) scrub(msg string) string {
	if a.secretKey != "" {
		msg = strings.ReplaceAll(msg, a.secretKey, "[secret key]")
	}
	return secretKeyPattern.ReplaceAllString(msg, "[secret key]")
}

func responseBody(r *stripeapi.APIResponse) []byte {
	if r == nil {
		return nil
	}
	return r.RawJSON
}

// rawMap is Stripe's answer as a map, secrets stripped: the response body
// when there is one, else the decoded object.
func rawMap(r *stripeapi.APIResponse, v any, keepClientSecret bool) map[string]any {
	var m map[string]any
	if body := responseBody(r); body == nil || json.Unmarshal(body, &m) != nil {
		b, err := json.Marshal(v)
		if err != nil || json.Unmarshal(b, &m) != nil {
			return nil
		}
	}
	return sanitize(m, keepClientSecret)
}

// sanitize strips what must not be stored: the client_secret (kept only
// for a PaymentIntent the browser still has to confirm) and, of expanded
// PaymentMethods, all but the card's summary (no billing details, no
// fingerprint).
func sanitize(m map[string]any, keepClientSecret bool) map[string]any {
	for k, v := range m {
		switch {
		case k == "client_secret" && !keepClientSecret:
			delete(m, k)
		case k == "payment_method":
			if pm, ok := v.(map[string]any); ok {
				m[k] = paymentMethodSummary(pm)
			}
		default:
			switch x := v.(type) {
			case map[string]any:
				m[k] = sanitize(x, false)
			case []any:
				for i, e := range x {
					if em, ok := e.(map[string]any); ok {
						x[i] = sanitize(em, false)
					}
				}
			}
		}
	}
	return m
}

func paymentMethodSummary(pm map[string]any) map[string]any {
	out := map[string]any{"id": pm["id"], "object": pm["object"], "type": pm["type"]}
	if card, ok := pm["card"].(map[string]any); ok {
		summary := map[string]any{}
		for _, k := range []string{"brand", "display_brand", "last4", "exp_month", "exp_year", "funding", "country"} {
			if v, ok := card[k]; ok {
				summary[k] = v
			}
		}
		out["card"] = summary
	}
	return out
}
