package gateways

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"kasse/gateways/checkoutcom"
	"kasse/models"
)

// Sandbox test tokens: each maps to one outcome, whatever the amount.
const (
	SandboxApproved = models.SandboxTokenApproved // authorized at once
	SandboxDeclined = models.SandboxTokenDeclined // declined, response code 20051 (insufficient funds)
	SandboxThreeDS  = models.SandboxTokenThreeDS  // needs a 3DS challenge on Kasse's sandbox page
	SandboxTimeout  = models.SandboxTokenTimeout  // the first call times out although the payment went through; a retry with the same idempotency key (`_refresh`) finds it authorized
)

// mobileMoneyOutcome is the outcome of a sandbox mobile-money token
// (tok_sandbox_mm_ and the phone's digits): declined for a phone ending
// in 0002, approved after a delay for 0003, approved otherwise.
func mobileMoneyOutcome(token string) (outcome string, ok bool) {
	digits, found := strings.CutPrefix(token, models.SandboxMobileMoneyPrefix)
	if !found || len(digits) < 7 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	switch {
	case strings.HasSuffix(digits, "0002"):
		return "declined", true
	case strings.HasSuffix(digits, "0003"):
		return "delayed", true
	}
	return "approved", true
}

// SandboxSignatureHeader carries a sandbox webhook's signature: hex
// HMAC-SHA256 of the raw body with the gateway's webhook_endpoint_secret.
const SandboxSignatureHeader = "Kasse-Sandbox-Signature"

// Sandbox is Kasse's built-in test gateway: no network, documented test
// tokens, a 3DS page served by Kasse itself. Its payments and its answers
// to idempotency keys are kept in the database (models.SandboxStore), so
// any instance continues a sandbox payment another one began.
type Sandbox struct {
	baseURL string
	store   *models.SandboxStore
}

// NewSandbox makes a sandbox over store whose 3DS page is under baseURL.
func NewSandbox(baseURL string, store *models.SandboxStore) *Sandbox {
	return &Sandbox{baseURL: strings.TrimRight(baseURL, "/"), store: store}
}

// sandboxAdapter is the sandbox seen through one configured gateway.
type sandboxAdapter struct {
	s      *Sandbox
	secret string
}

// For binds the sandbox to a gateway (for its webhook secret).
func (s *Sandbox) For(g *models.PaymentGateway) models.Provider {
	secret := ""
	if g.WebhookEndpointSecret != nil {
		secret = *g.WebhookEndpointSecret
	}
	return &sandboxAdapter{s: s, secret: secret}
}

var errNoSandboxStore = &models.ProviderError{Temporary: true, Code: "sandbox_unavailable", Message: "the sandbox gateway has no database store (gateways.Config.SandboxStore)"}

// ready reports whether the sandbox can be used.
func (s *Sandbox) ready() error {
	if s == nil || s.store == nil || s.store.DB == nil {
		return errNoSandboxStore
	}
	return nil
}

func sandboxID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func sandboxResult(p *models.SandboxPayment, outcome models.Outcome, actionID string) *models.ProviderResult {
	raw := map[string]any{"id": p.ID, "status": p.Status, "amount": p.AmountCents, "currency": p.CurrencyCode, "approved": outcome == models.Approved}
	res := &models.ProviderResult{Outcome: outcome, PaymentID: p.ID, ActionID: actionID, Status: p.Status,
		Instrument: map[string]any{"issuer": "kasse sandbox bank", "card_type": "visa", "last4": "4242"}, Raw: raw}
	switch {
	case outcome == models.Declined:
		res.ResponseCode, res.Message = "20051", "Insufficient Funds"
		raw["response_code"], raw["response_summary"] = res.ResponseCode, res.Message
	case outcome == models.Approved:
		res.ResponseCode, res.Message = "10000", "Approved"
		raw["response_code"], raw["response_summary"] = res.ResponseCode, res.Message
	}
	return res
}

func (s *Sandbox) challengeURL(p *models.SandboxPayment) string {
	return s.baseURL + "/sandbox/3ds/" + p.ID
}

// storeError turns a store failure into the provider error the payment
// flow expects: an unknown payment is refused, anything else is an
// outcome not known (temporary).
func storeError(err error, id string) error {
	var pe *models.ProviderError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, models.ErrSandboxPaymentNotFound):
		return &models.ProviderError{Code: "not_found", Message: "no sandbox payment " + id}
	}
	return &models.ProviderError{Temporary: true, Code: "sandbox_unavailable", Message: "the sandbox's database failed: " + err.Error()}
}

// Authorize maps the test token to its outcome. A repeated idempotency
// key, on any instance, answers the first answer.
func (a *sandboxAdapter) Authorize(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	s := a.s
	if err := s.ready(); err != nil {
		return nil, err
	}
	mobile, isMobile := mobileMoneyOutcome(req.Token)
	switch req.Token {
	case SandboxApproved, SandboxTimeout, SandboxDeclined, SandboxThreeDS:
	default:
		if !isMobile {
			return nil, &models.ProviderError{Code: "token_invalid", Message: fmt.Sprintf("unknown sandbox token: use %s, %s, %s, %s or %s<phone digits>", SandboxApproved, SandboxDeclined, SandboxThreeDS, SandboxTimeout, models.SandboxMobileMoneyPrefix)}
		}
	}
	p := &models.SandboxPayment{Token: req.Token, AmountCents: req.AmountCents, CurrencyCode: req.Currency}
	p.ID = sandboxID("pay_sbx_")
	if req.SuccessURL != "" {
		p.SuccessURL = &req.SuccessURL
	}
	if req.FailureURL != "" {
		p.FailureURL = &req.FailureURL
	}
	var answer func(p *models.SandboxPayment) *models.ProviderResult
	token := req.Token
	switch mobile {
	case "approved":
		token = SandboxApproved
	case "declined":
		token = SandboxDeclined
	}
	switch {
	case mobile == "delayed":
		// Waiting for the customer to approve on their phone.
		p.Status = "Pending"
		answer = func(p *models.SandboxPayment) *models.ProviderResult {
			return sandboxResult(p, models.Pending, "")
		}
	case token == SandboxApproved, token == SandboxTimeout:
		p.Status = "Authorized"
		if req.Capture {
			p.Status, p.CapturedCents = "Captured", req.AmountCents
		}
		answer = func(p *models.SandboxPayment) *models.ProviderResult {
			res := sandboxResult(p, models.Approved, sandboxID("act_sbx_"))
			res.Captured = req.Capture
			return res
		}
	case token == SandboxDeclined:
		p.Status = "Declined"
		answer = func(p *models.SandboxPayment) *models.ProviderResult {
			return sandboxResult(p, models.Declined, sandboxID("act_sbx_"))
		}
	case token == SandboxThreeDS:
		p.Status = "Pending"
		answer = func(p *models.SandboxPayment) *models.ProviderResult {
			res := sandboxResult(p, models.RequiresAction, "")
			res.RedirectURL = s.challengeURL(p)
			res.Raw["_links"] = map[string]any{"redirect": map[string]any{"href": res.RedirectURL}}
			return res
		}
	}
	res, replayed, err := s.store.Create(ctx, req.IdempotencyKey, p, answer)
	if err != nil {
		return nil, storeError(err, "")
	}
	if req.Token == SandboxTimeout && !replayed {
		// The payment went through, but its first answer is lost: a retry
		// with the same key replays it.
		return nil, &models.ProviderError{Temporary: true, Code: "timeout", Message: "the sandbox provider timed out (as tok_sandbox_timeout asks)"}
	}
	return res, nil
}

// Details reads a payment by id or by the session id of its 3DS return.
func (a *sandboxAdapter) Details(ctx context.Context, paymentID, sessionID string) (*models.ProviderResult, error) {
	s := a.s
	if err := s.ready(); err != nil {
		return nil, err
	}
	p, err := s.store.Payment(ctx, paymentID, sessionID)
	if err != nil {
		return nil, storeError(err, paymentID+sessionID)
	}
	if outcome, ok := mobileMoneyOutcome(p.Token); ok && outcome == "delayed" && p.Status == "Pending" {
		if time.Since(p.CreatedAt) < models.SandboxMobileMoneyDelay {
			return sandboxResult(p, models.Pending, ""), nil
		}
		res, err := s.store.Update(ctx, p.ID, "", func(p *models.SandboxPayment) (*models.ProviderResult, error) {
			if p.Status == "Pending" {
				p.Status = "Authorized"
			}
			return sandboxResult(p, models.Approved, sandboxID("act_sbx_")), nil
		})
		if err != nil {
			return nil, storeError(err, p.ID)
		}
		return res, nil
	}
	switch p.Status {
	case "Authorized", "Captured", "Partially Captured", "Refunded", "Partially Refunded", "Voided":
		return sandboxResult(p, models.Approved, ""), nil
	case "Declined":
		return sandboxResult(p, models.Declined, ""), nil
	}
	res := sandboxResult(p, models.RequiresAction, "")
	res.RedirectURL = s.challengeURL(p)
	return res, nil
}

func (a *sandboxAdapter) action(ctx context.Context, req models.ActionRequest, apply func(p *models.SandboxPayment) error) (*models.ProviderResult, error) {
	s := a.s
	if err := s.ready(); err != nil {
		return nil, err
	}
	res, err := s.store.Update(ctx, req.PaymentID, req.IdempotencyKey, func(p *models.SandboxPayment) (*models.ProviderResult, error) {
		if err := apply(p); err != nil {
			return nil, &models.ProviderError{Code: "action_not_allowed", Message: err.Error()}
		}
		return sandboxResult(p, models.Approved, sandboxID("act_sbx_")), nil
	})
	if err != nil {
		return nil, storeError(err, req.PaymentID)
	}
	return res, nil
}

// Capture captures (part of) an authorized payment.
func (a *sandboxAdapter) Capture(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(ctx, req, func(p *models.SandboxPayment) error {
		if p.Voided || (p.Status != "Authorized" && p.Status != "Partially Captured") || p.CapturedCents+req.AmountCents > p.AmountCents {
			return fmt.Errorf("cannot capture %d of a %s payment", req.AmountCents, p.Status)
		}
		p.CapturedCents += req.AmountCents
		p.Status = "Partially Captured"
		if p.CapturedCents == p.AmountCents {
			p.Status = "Captured"
		}
		return nil
	})
}

// Void releases an authorization nothing was captured from.
func (a *sandboxAdapter) Void(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(ctx, req, func(p *models.SandboxPayment) error {
		if p.Status != "Authorized" {
			return fmt.Errorf("cannot void a %s payment", p.Status)
		}
		p.Voided, p.Status = true, "Voided"
		return nil
	})
}

// Refund refunds (part of) what was captured.
func (a *sandboxAdapter) Refund(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(ctx, req, func(p *models.SandboxPayment) error {
		if p.RefundedCents+req.AmountCents > p.CapturedCents {
			return fmt.Errorf("cannot refund %d: %d captured, %d refunded", req.AmountCents, p.CapturedCents, p.RefundedCents)
		}
		p.RefundedCents += req.AmountCents
		p.Status = "Partially Refunded"
		if p.RefundedCents == p.CapturedCents {
			p.Status = "Refunded"
		}
		return nil
	})
}

// sandboxEvent is a sandbox webhook body.
type sandboxEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"` // payment_approved, payment_declined, payment_captured, payment_voided, payment_refunded
	Data struct {
		ID       string `json:"id"`
		ActionID string `json:"action_id"`
		Amount   int64  `json:"amount"`
	} `json:"data"`
}

// SignSandboxWebhook signs a sandbox webhook body, for tests and tools.
func SignSandboxWebhook(secret string, body []byte) string { return checkoutcom.Sign(secret, body) }

// ParseWebhook verifies Kasse-Sandbox-Signature and normalizes the event
// (the sandbox signs and names its events as Checkout.com does).
func (a *sandboxAdapter) ParseWebhook(header func(string) string, body []byte) (*models.WebhookEvent, error) {
	if err := checkoutcom.Verify(a.secret, header(SandboxSignatureHeader), body); err != nil {
		return nil, err
	}
	var e sandboxEvent
	if err := json.Unmarshal(body, &e); err != nil || e.ID == "" {
		return nil, errors.New("malformed event")
	}
	return checkoutcom.Event(e.ID, e.Type, e.Data.ID, e.Data.ActionID, e.Data.Amount), nil
}

var challengePage = template.Must(template.New("3ds").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kasse sandbox: 3-D Secure</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style></head>
<body><h1>3-D Secure challenge</h1>
<p>Kasse sandbox bank asks you to confirm a payment of <strong>{{.Amount}} {{.Currency}}</strong> (minor units).</p>
<form method="post"><button name="outcome" value="complete" id="complete">Complete</button><button name="outcome" value="fail" id="fail">Fail</button></form>
<p><small>This page is Kasse's sandbox gateway. No real card is charged.</small></p></body></html>`))

// sandboxPageID is the shape of the ids the sandbox makes (pay_sbx_…):
// anything else is no page, before the database is asked.
var sandboxPageID = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// Handler serves the sandbox's 3DS challenge page under /sandbox/3ds/{id}:
// GET shows it, POST outcome=complete|fail settles the payment and
// redirects to the success or failure URL with ?cko-session-id=…. Any
// instance serves any payment's page.
func (s *Sandbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/sandbox/3ds/")
		if !sandboxPageID.MatchString(id) || s.ready() != nil {
			http.NotFound(w, r)
			return
		}
		p, err := s.store.Payment(r.Context(), id, "")
		switch {
		case errors.Is(err, models.ErrSandboxPaymentNotFound):
			http.NotFound(w, r)
			return
		case err != nil:
			http.Error(w, "the sandbox is unavailable", http.StatusServiceUnavailable)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = challengePage.Execute(w, struct {
				Amount   int64
				Currency string
			}{p.AmountCents, p.CurrencyCode})
		case http.MethodPost:
			outcome := r.FormValue("outcome")
			if outcome != "complete" && outcome != "fail" {
				http.Error(w, "outcome must be complete or fail", http.StatusBadRequest)
				return
			}
			var target, session string
			_, err := s.store.Update(r.Context(), id, "", func(p *models.SandboxPayment) (*models.ProviderResult, error) {
				if p.Status == "Pending" {
					p.Status = "Declined"
					if outcome == "complete" {
						p.Status = "Authorized"
					}
				}
				target = deref(p.FailureURL)
				if p.Status == "Authorized" {
					target = deref(p.SuccessURL)
				}
				if p.SessionID == nil {
					sid := sandboxID("sid_sbx_")
					p.SessionID = &sid
				}
				session = *p.SessionID
				return nil, nil
			})
			if err != nil {
				http.Error(w, "the sandbox is unavailable", http.StatusServiceUnavailable)
				return
			}
			u, err := url.Parse(target)
			if err != nil || target == "" {
				http.Error(w, "the payment has no return URL", http.StatusBadRequest)
				return
			}
			q := u.Query()
			q.Set("cko-session-id", session)
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}
