package checkoutcom

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"kasse/models"
)

func hostedReq(sourceID, key string) models.HostedRequest {
	return models.HostedRequest{AmountCents: 5000, Currency: "XOF", Reference: "sess_1", Description: "Order 42", CustomerEmail: "a@example.test",
		Locale: "fr_CI", SuccessURL: "https://kasse.test/checkout/t/return", FailureURL: "https://kasse.test/checkout/t/return",
		CancelURL: "https://kasse.test/checkout/t/return?kasse_cancel=1", Installments: 3, IdempotencyKey: key, SourceID: sourceID, Country: "CI"}
}

func TestHostedPaymentsPage(t *testing.T) {
	f, c := setup(t)
	ctx := context.Background()
	res, err := c.CreateHosted(ctx, hostedReq("ps_1", "k1"))
	if err != nil || !c.Hosts(res.ID) || res.RedirectURL != f.URL+hostedPagePath+res.ID {
		t.Fatalf("%+v %v", res, err)
	}
	// The request: full-value XOF, the HPP locale, billing, metadata, and
	// the idempotency key (a retry replays the same page).
	again, err := c.CreateHosted(ctx, hostedReq("ps_1", "k1"))
	if err != nil || again.ID != res.ID || len(f.HostedPages()) != 1 {
		t.Fatalf("retry: %+v %v", again, err)
	}
	var body map[string]any
	for _, r := range f.Requests() {
		if r.Path == "/hosted-payments" {
			_ = json.Unmarshal(r.Body, &body)
			if r.Header.Get(IdempotencyHeader) != "k1" {
				t.Fatalf("header %v", r.Header)
			}
		}
	}
	meta, _ := body["metadata"].(map[string]any)
	if body["amount"] != 5000.0 || body["currency"] != "XOF" || body["locale"] != "fr-FR" || body["capture"] != false ||
		meta[models.HostedSourceKey] != "ps_1" || meta[models.HostedInstallmentsKey] != "3" || body["cancel_url"] != "https://kasse.test/checkout/t/return?kasse_cancel=1" {
		t.Fatalf("request body %v", body)
	}

	q := models.HostedQuery{HostedID: res.ID, SourceID: "ps_1"}
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.RequiresAction || got.RedirectURL != res.RedirectURL {
		t.Fatalf("waiting: %+v %v", got, err)
	}
	if _, err := c.HostedDetails(ctx, models.HostedQuery{HostedID: res.ID, SourceID: "ps_2"}); providerError(t, err).Temporary {
		t.Fatal("another source's page was taken")
	}
	declined := f.PayHosted(res.ID, false)
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.RequiresAction {
		t.Fatalf("after a declined attempt on the page: %+v %v", got, err)
	}
	q.ReturnedID = declined
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.Declined || got.PaymentID != declined {
		t.Fatalf("returned with the declined payment: %+v %v", got, err)
	}
	paid := f.PayHosted(res.ID, true)
	q.ReturnedID = ""
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.Approved || got.PaymentID != paid {
		t.Fatalf("paid: %+v %v", got, err)
	}

	// A payment id of another page on the return is not believed.
	other, _ := c.CreateHosted(ctx, hostedReq("ps_3", "k3"))
	q = models.HostedQuery{HostedID: other.ID, SourceID: "ps_3", ReturnedID: paid}
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.RequiresAction {
		t.Fatalf("forged return: %+v %v", got, err)
	}
	f.ExpireHosted(other.ID)
	if got, err := c.HostedDetails(ctx, q); err != nil || got.Outcome != models.Declined {
		t.Fatalf("expired: %+v %v", got, err)
	}
}

func TestHostedPaymentsPageErrors(t *testing.T) {
	f, c := setup(t)
	ctx := context.Background()
	req := hostedReq("ps_1", "k1")
	req.Country = ""
	if pe := providerError(t, func() error { _, err := c.CreateHosted(ctx, req); return err }()); pe.Temporary || pe.Code != "request_invalid" {
		t.Fatalf("no billing country: %+v", pe)
	}
	f.RespondNext(http.StatusBadGateway, "Bad Gateway")
	if pe := providerError(t, func() error { _, err := c.CreateHosted(ctx, hostedReq("ps_1", "k2")); return err }()); !pe.Temporary {
		t.Fatalf("5xx: %+v", pe)
	}
	for in, want := range map[string]string{"fr_CI": "fr-FR", "en": "en-GB", "de-AT": "de-DE", "wo": ""} {
		if got := HostedLocale(in); got != want {
			t.Errorf("HostedLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHostedWebhookCarriesTheSource: a payment made on a hosted page
// names its payment source in the webhook (the page's metadata).
func TestHostedWebhookCarriesTheSource(t *testing.T) {
	f, c := setup(t)
	res, err := c.CreateHosted(context.Background(), hostedReq("ps_1", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	paid := f.PayHosted(res.ID, true)
	body := f.WebhookBody("payment_approved", paid)
	e, err := c.ParseWebhook(func(string) string { return Sign(webhookSecret, body) }, body)
	if err != nil || e.SourceRef != "ps_1" || e.PaymentID != paid || e.Kind != models.TxAuthorization {
		t.Fatalf("%+v %v", e, err)
	}
}
