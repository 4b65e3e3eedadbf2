package gateways

import (
	"context"
	"errors"

	"kasse/models"
)

// Manual is the manual gateway's adapter (wire transfers): there is no
// provider to call, so every action is recorded as done by the merchant.
type Manual struct{}

func (Manual) ok(kind string) (*models.ProviderResult, error) {
	return &models.ProviderResult{Outcome: models.Approved, Status: kind, Message: "recorded manually"}, nil
}

// Authorize records the transfer as expected.
func (m Manual) Authorize(context.Context, models.AuthorizeRequest) (*models.ProviderResult, error) {
	return m.ok("Authorized")
}

// Details has nothing to re-read.
func (m Manual) Details(context.Context, string, string) (*models.ProviderResult, error) {
	return m.ok("Authorized")
}

// Capture records the money as received.
func (m Manual) Capture(context.Context, models.ActionRequest) (*models.ProviderResult, error) {
	return m.ok("Captured")
}

// Void records the transfer as no longer expected.
func (m Manual) Void(context.Context, models.ActionRequest) (*models.ProviderResult, error) {
	return m.ok("Voided")
}

// Refund records the money as sent back.
func (m Manual) Refund(context.Context, models.ActionRequest) (*models.ProviderResult, error) {
	return m.ok("Refunded")
}

// ParseWebhook refuses: manual gateways have no webhooks.
func (Manual) ParseWebhook(func(string) string, []byte) (*models.WebhookEvent, error) {
	return nil, errors.New("manual gateways receive no webhooks")
}
