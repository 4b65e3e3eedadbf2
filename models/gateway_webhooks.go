package models

import (
	"context"
	"errors"
	"net/http"

	"kasse/errs"
)

// ErrNoWebhookHere is HandleWebhook's answer when the gateway does not
// exist or no adapter serves it: the endpoint is a 404, as if no route
// matched.
var ErrNoWebhookHere = errors.New("no payment gateway webhook here")

// WebhookRefusedError is HandleWebhook's answer for a webhook whose
// signature (or body) the gateway's adapter refused. Err is the adapter's
// reason, for the log only: the sender learns nothing but the refusal.
type WebhookRefusedError struct {
	GatewayID string
	Err       error
}

func (e *WebhookRefusedError) Error() string {
	return "payment gateway " + e.GatewayID + " webhook refused: " + e.Err.Error()
}

func (e *WebhookRefusedError) Unwrap() error { return e.Err }

// WebhookResult is what a handled provider webhook did.
type WebhookResult struct {
	GatewayID string
	// Duplicate says the event was applied before (providers deliver at
	// least once) or names a payment Kasse does not know: nothing changed.
	Duplicate bool
}

// HandleWebhook serves a payment gateway's webhook endpoint: it finds the
// gateway, has its adapter verify the signature on the raw body and
// normalize the event, and applies the event once (ApplyWebhook).
// Answers ErrNoWebhookHere for an unknown gateway or one no adapter
// serves, and a *WebhookRefusedError for a bad signature or body; other
// errors are the database's.
func (p *Payments) HandleWebhook(ctx context.Context, gatewayID string, header http.Header, body []byte) (*WebhookResult, error) {
	if p == nil || p.Providers == nil {
		return nil, ErrNoWebhookHere
	}
	var gw PaymentGateway
	found, err := findBy(p.DB.WithContext(ctx), &gw, "id = ?", gatewayID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoWebhookHere
	}
	provider, err := p.Providers.For(&gw)
	if err != nil {
		return nil, ErrNoWebhookHere
	}
	event, err := provider.ParseWebhook(header.Get, body)
	if err != nil {
		return nil, &WebhookRefusedError{GatewayID: gw.ID, Err: err}
	}
	fresh, sourceID, err := ApplyWebhook(ctx, p.DB, &gw, event)
	if err != nil {
		return nil, err
	}
	if fresh && sourceID != "" {
		if err := p.afterWebhook(ctx, sourceID, event); err != nil {
			return nil, err
		}
	}
	return &WebhookResult{GatewayID: gw.ID, Duplicate: !fresh}, nil
}

// afterWebhook finishes what a new event about a payment started: an
// event that reports no outcome of its own is verified by reading the
// payment from the provider; then whatever waits on the payment (a
// checkout session) is settled from it.
func (p *Payments) afterWebhook(ctx context.Context, sourceID string, event *WebhookEvent) error {
	if event.Verify {
		// Details settles and tells Settled itself; a provider that does
		// not answer leaves it to the reconciler.
		if err := p.Details(ctx, sourceID, ""); err != nil {
			if _, client := errs.As(err); !client {
				return err
			}
		}
		return nil
	}
	if p.Settled == nil {
		return nil
	}
	return p.Settled(ctx, sourceID)
}
