package stripe

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"kasse/models"
)

func hostedReq(sourceID string) models.HostedRequest {
	return models.HostedRequest{AmountCents: 2900, Currency: "EUR", Reference: "sess_1", Description: "Order 42", CustomerEmail: "a@example.com",
		Locale: "fr_CI", SuccessURL: "https://kasse.example/checkout/tok/return", FailureURL: "https://kasse.example/checkout/tok/return",
		CancelURL: "https://kasse.example/checkout/tok/return?kasse_cancel=1", Installments: 3, IdempotencyKey: "kasse_" + sourceID + "_hosted",
		SourceID: sourceID, Country: "FR", ExpiresAt: time.Now().Add(time.Hour)}
}

// TestCheckoutSessionOnStripeMock: the Checkout Session Kasse creates,
// with installments in MXN, is a valid Stripe API call, and retrieving
// it (its PaymentIntent expanded) decodes.
func TestCheckoutSessionOnStripeMock(t *testing.T) {
	t.Parallel()
	a := stripeMock(t)
	req := hostedReq("ps_1")
	req.Currency = "MXN"
	res, err := a.CreateHosted(context.Background(), req)
	if err != nil || !strings.HasPrefix(res.ID, "cs_") || res.RedirectURL == "" {
		t.Fatalf("%+v %v", res, err)
	}
	// stripe-mock's fixture has another client_reference_id: refused.
	_, err = a.HostedDetails(context.Background(), models.HostedQuery{HostedID: res.ID, SourceID: "ps_1"})
	var pe *models.ProviderError
	if !errors.As(err, &pe) || pe.Temporary || pe.Code != "hosted_page_mismatch" {
		t.Fatalf("details: %v", err)
	}
}

func TestCheckoutLocale(t *testing.T) {
	for in, want := range map[string]string{"fr_CI": "fr", "fr_CA": "fr-CA", "en_GB": "en-GB", "en_AU": "en", "pt_BR": "pt-BR", "wo": "auto", "": "auto"} {
		if got := CheckoutLocale(in); got != want {
			t.Errorf("CheckoutLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckoutSessionOnFake carries a Checkout Session through its states
// on the fake: open, a declined card (still open: the customer may try
// again), paid (requires_capture), and expired.
func TestCheckoutSessionOnFake(t *testing.T) {
	t.Parallel()
	f := NewFake()
	defer f.Close()
	a := f.Adapter("whsec_x", &http.Client{Timeout: 5 * time.Second})
	ctx := context.Background()
	res, err := a.CreateHosted(ctx, hostedReq("ps_1"))
	if err != nil {
		t.Fatal(err)
	}
	q := models.HostedQuery{HostedID: res.ID, SourceID: "ps_1"}
	details := func(want models.Outcome) *models.ProviderResult {
		t.Helper()
		got, err := a.HostedDetails(ctx, q)
		if err != nil || got.Outcome != want {
			t.Fatalf("details: %+v %v, want %s", got, err, want)
		}
		return got
	}
	if got := details(models.RequiresAction); got.RedirectURL != res.RedirectURL {
		t.Fatalf("open session: %+v", got)
	}
	if _, err := a.HostedDetails(ctx, models.HostedQuery{HostedID: res.ID, SourceID: "ps_other"}); err == nil {
		t.Fatal("another source's Checkout Session was taken")
	}
	if err := f.PayCheckout(res.ID, TestCardDeclined); err != nil {
		t.Fatal(err)
	}
	details(models.RequiresAction)
	if err := f.PayCheckout(res.ID, TestCardVisa); err != nil {
		t.Fatal(err)
	}
	paid := details(models.Approved)
	if !strings.HasPrefix(paid.PaymentID, "pi_") || paid.Captured || paid.Raw["client_secret"] != nil || paid.Instrument["last4"] != "4242" {
		t.Fatalf("paid: %+v", paid)
	}

	other, err := a.CreateHosted(ctx, hostedReq("ps_2"))
	if err != nil {
		t.Fatal(err)
	}
	f.ExpireCheckout(other.ID)
	if got, err := a.HostedDetails(ctx, models.HostedQuery{HostedID: other.ID, SourceID: "ps_2"}); err != nil || got.Outcome != models.Declined {
		t.Fatalf("expired: %+v %v", got, err)
	}
}

func TestCheckoutSessionWebhooks(t *testing.T) {
	t.Parallel()
	f := NewFake()
	defer f.Close()
	a := f.Adapter("whsec_x", nil)
	res, err := a.CreateHosted(context.Background(), hostedReq("ps_1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.PayCheckout(res.ID, TestCardVisa); err != nil {
		t.Fatal(err)
	}
	parse := func(typ, id string) *models.WebhookEvent {
		t.Helper()
		body := f.Event(typ, id)
		e, err := a.ParseWebhook(func(string) string { return SignWebhook("whsec_x", body) }, body)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := parse("checkout.session.completed", res.ID)
	if !e.Verify || e.HostedID != res.ID || e.SourceRef != "ps_1" || !strings.HasPrefix(e.PaymentID, "pi_") || e.Kind != "" {
		t.Fatalf("checkout.session.completed: %+v", e)
	}
	pi := parse("payment_intent.amount_capturable_updated", e.PaymentID)
	if pi.SourceRef != "ps_1" || pi.Kind != models.TxAuthorization || pi.AmountCents != 2900 {
		t.Fatalf("payment_intent.amount_capturable_updated: %+v", pi)
	}
}
