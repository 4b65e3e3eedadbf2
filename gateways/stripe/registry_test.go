package stripe_test

import (
	"context"
	"testing"

	"kasse/gateways"
	"kasse/gateways/stripe"
	"kasse/models"
)

// The registry builds the Stripe adapter of a stripe_gateways gateway from
// its login (the secret key), its webhook secret and the Stripe origin.
func TestRegistryBuildsTheStripeAdapter(t *testing.T) {
	f := stripe.NewFake()
	defer f.Close()
	key, secret := stripe.FakeSecretKey, "whsec_registry"
	p, err := gateways.New(gateways.Config{StripeBaseURL: f.URL}).For(&models.PaymentGateway{Kind: models.GatewayStripe, Name: "Stripe", Login: &key, WebhookEndpointSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Authorize(context.Background(), models.AuthorizeRequest{Token: stripe.TestCardVisa, AmountCents: 2500, Currency: "EUR", IdempotencyKey: "kasse_reg_authorize"})
	if err != nil || res.Outcome != models.Approved {
		t.Fatalf("%+v %v", res, err)
	}
	body := f.Event("payment_intent.amount_capturable_updated", res.PaymentID)
	e, err := p.ParseWebhook(func(string) string { return stripe.SignWebhook(secret, body) }, body)
	if err != nil || e.Kind != models.TxAuthorization || e.PaymentID != res.PaymentID || e.AmountCents != 2500 {
		t.Fatalf("%+v %v", e, err)
	}
}
