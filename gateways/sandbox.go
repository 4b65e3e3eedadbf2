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
	"strings"
	"sync"

	"kasse/gateways/checkoutcom"
	"kasse/models"
)

// Sandbox test tokens: each maps to one outcome, whatever the amount.
const (
	SandboxApproved = "tok_sandbox_approved" // authorized at once
	SandboxDeclined = "tok_sandbox_declined" // declined, response code 20051 (insufficient funds)
	SandboxThreeDS  = "tok_sandbox_3ds"      // needs a 3DS challenge on Kasse's sandbox page
	SandboxTimeout  = "tok_sandbox_timeout"  // the first call times out although the payment went through; a retry with the same idempotency key (`_refresh`) finds it authorized
)

// SandboxSignatureHeader carries a sandbox webhook's signature: hex
// HMAC-SHA256 of the raw body with the gateway's webhook_endpoint_secret.
const SandboxSignatureHeader = "Kasse-Sandbox-Signature"

type sandboxPayment struct {
	ID, SessionID, Token, Currency string
	Amount, Captured, Refunded     int64
	Status                         string // Authorized, Declined, Pending, Captured, Voided, Refunded…
	SuccessURL, FailureURL         string
	Voided                         bool
}

// Sandbox is Kasse's built-in test gateway: no network, documented test
// tokens, a 3DS page served by Kasse itself. Its payments live in memory
// (one process), which is what a sandbox needs.
type Sandbox struct {
	baseURL  string
	mu       sync.Mutex
	payments map[string]*sandboxPayment
	sessions map[string]string                 // session id → payment id
	replays  map[string]*models.ProviderResult // idempotency key → first answer
	timedOut map[string]bool                   // idempotency keys whose first call timed out
}

// NewSandbox makes an empty sandbox whose 3DS page is under baseURL.
func NewSandbox(baseURL string) *Sandbox {
	return &Sandbox{baseURL: strings.TrimRight(baseURL, "/"), payments: map[string]*sandboxPayment{}, sessions: map[string]string{},
		replays: map[string]*models.ProviderResult{}, timedOut: map[string]bool{}}
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

func sandboxID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (p *sandboxPayment) result(outcome models.Outcome, actionID string) *models.ProviderResult {
	raw := map[string]any{"id": p.ID, "status": p.Status, "amount": p.Amount, "currency": p.Currency, "approved": outcome == models.Approved}
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

// replay answers a repeated idempotency key with the first answer.
func (s *Sandbox) replay(key string) (*models.ProviderResult, bool) {
	if key == "" {
		return nil, false
	}
	res, ok := s.replays[key]
	return res, ok
}

func (s *Sandbox) remember(key string, res *models.ProviderResult) {
	if key != "" {
		s.replays[key] = res
	}
}

// Authorize maps the test token to its outcome.
func (a *sandboxAdapter) Authorize(_ context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.replay(req.IdempotencyKey); ok {
		return res, nil
	}
	p := &sandboxPayment{ID: sandboxID("pay_sbx_"), Token: req.Token, Amount: req.AmountCents, Currency: req.Currency, SuccessURL: req.SuccessURL, FailureURL: req.FailureURL}
	var res *models.ProviderResult
	switch req.Token {
	case SandboxApproved, SandboxTimeout:
		p.Status = "Authorized"
		outcome := models.Approved
		if req.Capture {
			p.Status, p.Captured = "Captured", req.AmountCents
		}
		res = p.result(outcome, sandboxID("act_sbx_"))
		res.Captured = req.Capture
	case SandboxDeclined:
		p.Status = "Declined"
		res = p.result(models.Declined, sandboxID("act_sbx_"))
	case SandboxThreeDS:
		p.Status = "Pending"
		res = p.result(models.RequiresAction, "")
		res.RedirectURL = s.baseURL + "/sandbox/3ds/" + p.ID
		res.Raw["_links"] = map[string]any{"redirect": map[string]any{"href": res.RedirectURL}}
	default:
		return nil, &models.ProviderError{Code: "token_invalid", Message: fmt.Sprintf("unknown sandbox token: use %s, %s, %s or %s", SandboxApproved, SandboxDeclined, SandboxThreeDS, SandboxTimeout)}
	}
	s.payments[p.ID] = p
	s.remember(req.IdempotencyKey, res)
	if req.Token == SandboxTimeout && !s.timedOut[req.IdempotencyKey] {
		s.timedOut[req.IdempotencyKey] = true
		return nil, &models.ProviderError{Temporary: true, Code: "timeout", Message: "the sandbox provider timed out (as tok_sandbox_timeout asks)"}
	}
	return res, nil
}

// Details reads a payment by id or by the session id of its 3DS return.
func (a *sandboxAdapter) Details(_ context.Context, paymentID, sessionID string) (*models.ProviderResult, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if paymentID == "" {
		paymentID = s.sessions[sessionID]
	}
	p, ok := s.payments[paymentID]
	if !ok {
		return nil, &models.ProviderError{Code: "not_found", Message: "no sandbox payment " + paymentID}
	}
	switch p.Status {
	case "Authorized", "Captured", "Partially Captured", "Refunded", "Partially Refunded", "Voided":
		return p.result(models.Approved, ""), nil
	case "Declined":
		return p.result(models.Declined, ""), nil
	}
	res := p.result(models.RequiresAction, "")
	res.RedirectURL = s.baseURL + "/sandbox/3ds/" + p.ID
	return res, nil
}

func (a *sandboxAdapter) action(req models.ActionRequest, apply func(p *sandboxPayment) error) (*models.ProviderResult, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.replay(req.IdempotencyKey); ok {
		return res, nil
	}
	p, ok := s.payments[req.PaymentID]
	if !ok {
		return nil, &models.ProviderError{Code: "not_found", Message: "no sandbox payment " + req.PaymentID}
	}
	if err := apply(p); err != nil {
		return nil, &models.ProviderError{Code: "action_not_allowed", Message: err.Error()}
	}
	res := p.result(models.Approved, sandboxID("act_sbx_"))
	s.remember(req.IdempotencyKey, res)
	return res, nil
}

// Capture captures (part of) an authorized payment.
func (a *sandboxAdapter) Capture(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(req, func(p *sandboxPayment) error {
		if p.Voided || (p.Status != "Authorized" && p.Status != "Partially Captured") || p.Captured+req.AmountCents > p.Amount {
			return fmt.Errorf("cannot capture %d of a %s payment", req.AmountCents, p.Status)
		}
		p.Captured += req.AmountCents
		p.Status = "Partially Captured"
		if p.Captured == p.Amount {
			p.Status = "Captured"
		}
		return nil
	})
}

// Void releases an authorization nothing was captured from.
func (a *sandboxAdapter) Void(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(req, func(p *sandboxPayment) error {
		if p.Status != "Authorized" {
			return fmt.Errorf("cannot void a %s payment", p.Status)
		}
		p.Voided, p.Status = true, "Voided"
		return nil
	})
}

// Refund refunds (part of) what was captured.
func (a *sandboxAdapter) Refund(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return a.action(req, func(p *sandboxPayment) error {
		if p.Refunded+req.AmountCents > p.Captured {
			return fmt.Errorf("cannot refund %d: %d captured, %d refunded", req.AmountCents, p.Captured, p.Refunded)
		}
		p.Refunded += req.AmountCents
		p.Status = "Partially Refunded"
		if p.Refunded == p.Captured {
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

// Handler serves the sandbox's 3DS challenge page under /sandbox/3ds/{id}:
// GET shows it, POST outcome=complete|fail settles the payment and
// redirects to the success or failure URL with ?cko-session-id=….
func (s *Sandbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/sandbox/3ds/")
		s.mu.Lock()
		p, ok := s.payments[id]
		s.mu.Unlock()
		if !ok || strings.Contains(id, "/") {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = challengePage.Execute(w, p)
		case http.MethodPost:
			outcome := r.FormValue("outcome")
			if outcome != "complete" && outcome != "fail" {
				http.Error(w, "outcome must be complete or fail", http.StatusBadRequest)
				return
			}
			s.mu.Lock()
			if p.Status == "Pending" {
				p.Status = "Declined"
				if outcome == "complete" {
					p.Status = "Authorized"
				}
			}
			target := p.FailureURL
			if p.Status == "Authorized" {
				target = p.SuccessURL
			}
			if p.SessionID == "" {
				p.SessionID = sandboxID("sid_sbx_")
				s.sessions[p.SessionID] = p.ID
			}
			session := p.SessionID
			s.mu.Unlock()
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
