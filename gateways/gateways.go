// Package gateways holds Kasse's payment gateway adapters, one per kind
// of gateway, behind models.Provider: the built-in sandbox, manual (wire
// transfers), Checkout.com and Stripe. Registry picks the adapter for a
// configured gateway; cmd wires it into the engine.
package gateways

import (
	"fmt"
	"net/http"
	"time"

	"kasse/gateways/checkoutcom"
	"kasse/gateways/stripe"
	"kasse/models"
)

// Config is what the adapters need from the environment.
type Config struct {
	// BaseURL is Kasse's own origin: the sandbox's 3DS page lives there.
	BaseURL string
	// CheckoutComBaseURL is the Checkout.com API origin
	// (KASSE_CHECKOUT_COM_BASE_URL, default https://api.sandbox.checkout.com).
	CheckoutComBaseURL string
	// StripeBaseURL is the Stripe API origin (KASSE_STRIPE_BASE_URL,
	// default https://api.stripe.com).
	StripeBaseURL string
	// Timeout bounds one provider call (default 15 s).
	Timeout time.Duration
	// HTTPClient is used for provider calls (default: one with Timeout).
	HTTPClient *http.Client
	// SandboxStore keeps the sandbox gateway's payments in the database
	// (without it the sandbox answers every call with an error).
	SandboxStore *models.SandboxStore
}

// Default provider origins.
const (
	DefaultCheckoutComBaseURL = "https://api.sandbox.checkout.com"
	DefaultStripeBaseURL      = "https://api.stripe.com"
)

// Factory builds an adapter for a gateway of one kind.
type Factory func(cfg Config, g *models.PaymentGateway) (models.Provider, error)

// Registry maps gateway kinds to adapters; it implements models.Providers.
type Registry struct {
	cfg       Config
	factories map[string]Factory
	// Sandbox is the built-in test gateway (its payments and 3DS
	// challenges are in the database), whose 3DS page its Handler serves.
	Sandbox *Sandbox
}

// New makes a registry with the sandbox and manual adapters; the provider
// adapters are added with Register.
func New(cfg Config) *Registry {
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.CheckoutComBaseURL == "" {
		cfg.CheckoutComBaseURL = DefaultCheckoutComBaseURL
	}
	if cfg.StripeBaseURL == "" {
		cfg.StripeBaseURL = DefaultStripeBaseURL
	}
	r := &Registry{cfg: cfg, factories: map[string]Factory{}, Sandbox: NewSandbox(cfg.BaseURL, cfg.SandboxStore)}
	r.Register(models.GatewaySandbox, func(_ Config, g *models.PaymentGateway) (models.Provider, error) {
		return r.Sandbox.For(g), nil
	})
	r.Register(models.GatewayManual, func(Config, *models.PaymentGateway) (models.Provider, error) { return Manual{}, nil })
	r.Register(models.GatewayCheckoutCom, func(cfg Config, g *models.PaymentGateway) (models.Provider, error) {
		return checkoutcom.New(cfg.CheckoutComBaseURL, deref(g.SecretKey), deref(g.WebhookEndpointSecret), cfg.HTTPClient), nil
	})
	r.Register(models.GatewayStripe, func(cfg Config, g *models.PaymentGateway) (models.Provider, error) {
		return stripe.New(cfg.StripeBaseURL, deref(g.Login), deref(g.WebhookEndpointSecret), cfg.HTTPClient), nil
	})
	return r
}

// Register adds (or replaces) the adapter of a gateway kind.
func (r *Registry) Register(kind string, f Factory) { r.factories[kind] = f }

// Config is the registry's configuration.
func (r *Registry) Config() Config { return r.cfg }

// For builds the adapter of a configured gateway.
func (r *Registry) For(g *models.PaymentGateway) (models.Provider, error) {
	f, ok := r.factories[g.Kind]
	if !ok {
		return nil, fmt.Errorf("no adapter for %s", g.Kind)
	}
	return f(r.cfg, g)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
