package models

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"kasse/errs"
)

// Payment gateway kinds: the resource type of each concrete gateway. They
// share the payment_gateways table, whose parent resource lists them all.
const (
	GatewayCheckoutCom = "checkout_com_gateways"
	GatewayStripe      = "stripe_gateways"
	GatewayManual      = "manual_gateways"
	// GatewaySandbox is Kasse's built-in test gateway (a Kasse extension).
	GatewaySandbox = "sandbox_gateways"
)

// GatewayKinds lists the gateway kinds.
var GatewayKinds = []string{GatewayCheckoutCom, GatewayStripe, GatewayManual, GatewaySandbox}

// PaymentGateway is a configured payment provider account. Its secrets
// (secret_key, login, webhook_endpoint_secret, …) are write-only in the API.
type PaymentGateway struct {
	Base
	Kind          string
	Name          string
	ForcePayments bool
	Switch
	SecretKey             *string
	PublicKey             *string
	Login                 *string
	PublishableKey        *string
	ConnectedAccount      *string
	AutoPayments          bool
	WebhookEndpointSecret *string
}

// TableName puts every gateway kind in one table.
func (PaymentGateway) TableName() string { return "payment_gateways" }

// BeforeWrite checks what each kind needs.
func (g *PaymentGateway) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	if strings.TrimSpace(g.Name) == "" {
		_ = v.add(errs.Invalid("name", "can't be blank"))
	}
	blank := func(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
	switch g.Kind {
	case GatewayCheckoutCom:
		if blank(g.SecretKey) {
			_ = v.add(errs.Invalid("secret_key", "can't be blank"))
		}
	case GatewayStripe:
		if blank(g.Login) {
			_ = v.add(errs.Invalid("login", "can't be blank: it is the Stripe secret key"))
		}
	}
	return v.err()
}

// Outcome is what a provider says of a payment or an action.
type Outcome string

// The outcomes an adapter reports.
const (
	Approved       Outcome = "approved"        // authorized (or captured, refunded, voided: the action succeeded)
	Declined       Outcome = "declined"        // refused by the provider, issuer or risk checks
	RequiresAction Outcome = "requires_action" // the customer must act (3DS): see RedirectURL
	Pending        Outcome = "pending"         // accepted, outcome not known yet
)

// ProviderResult is an adapter's normalized answer.
type ProviderResult struct {
	Outcome      Outcome
	Captured     bool   // the authorization was captured too (auto-capture)
	PaymentID    string // the provider's payment id (pay_…, pi_…)
	ActionID     string // the provider's id of this action (act_…): the transaction's gateway id
	RedirectURL  string // where the customer completes 3DS
	Status       string // the provider's own status word (Authorized, Declined, Pending, Captured…)
	ResponseCode string
	Message      string
	SourceID     string         // reusable source (src_…)
	CustomerID   string         // provider customer (cus_…)
	Instrument   map[string]any // card brand, last4, issuer: never a full card number
	Raw          map[string]any // the provider's response body, secrets stripped
}

// ProviderError is a provider call whose outcome is unknown (timeout, 5xx,
// malformed answer) or that the provider refused as a request. Temporary
// errors are safe to retry with the same idempotency key.
type ProviderError struct {
	Temporary bool
	Code      string
	Message   string
}

func (e *ProviderError) Error() string { return e.Code + ": " + e.Message }

// AuthorizeRequest asks a provider to authorize (and maybe capture) an
// amount with a token.
type AuthorizeRequest struct {
	Token          string
	AmountCents    int64
	Currency       string
	Reference      string
	SuccessURL     string
	FailureURL     string
	Capture        bool
	CustomerEmail  string
	IdempotencyKey string
}

// ActionRequest asks a provider to capture, void or refund (part of) a
// payment.
type ActionRequest struct {
	PaymentID      string
	AmountCents    int64
	Currency       string
	Reference      string
	IdempotencyKey string
}

// WebhookEvent is a provider's webhook, verified and normalized.
type WebhookEvent struct {
	ID        string
	Type      string // the provider's event type
	PaymentID string
	ActionID  string
	Kind      string  // authorization, capture, void, refund: what happened
	Outcome   Outcome // Approved or Declined
	// Captured says an approved authorization was captured at once (an
	// auto-captured payment settled by its webhook).
	Captured    bool
	AmountCents int64
	// SourceRef is Kasse's payment source id as the provider echoes it
	// (HostedSourceKey in the metadata Kasse gave a hosted page), and
	// HostedID the provider's hosted page (hpp_…, cs_…): they find a
	// payment made on a hosted page before Kasse knows its payment id.
	SourceRef string
	HostedID  string
	// Verify says the event reports a change without its outcome (Stripe's
	// checkout.session.completed): Kasse reads the payment from the
	// provider instead.
	Verify bool
}

// Provider is a payment gateway adapter (package gateways implements one
// per kind). Methods return a *ProviderError when the outcome is unknown.
type Provider interface {
	Authorize(ctx context.Context, req AuthorizeRequest) (*ProviderResult, error)
	// Details re-reads a payment (after 3DS, or to reconcile): by payment
	// id, or by the session id the provider put on the return URL.
	Details(ctx context.Context, paymentID, sessionID string) (*ProviderResult, error)
	Capture(ctx context.Context, req ActionRequest) (*ProviderResult, error)
	Void(ctx context.Context, req ActionRequest) (*ProviderResult, error)
	Refund(ctx context.Context, req ActionRequest) (*ProviderResult, error)
	// ParseWebhook verifies a webhook's signature on the raw body and
	// normalizes it; a bad signature is an error.
	ParseWebhook(header func(string) string, body []byte) (*WebhookEvent, error)
}

// Providers builds the adapter for a configured gateway.
type Providers interface {
	For(g *PaymentGateway) (Provider, error)
}
