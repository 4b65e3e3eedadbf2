package stripe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"kasse/models"
)

const testWebhookSecret = "whsec_kasse_test_secret"

func headerOf(sig string) func(string) string {
	return func(name string) string {
		if http.CanonicalHeaderKey(name) == SignatureHeader {
			return sig
		}
		return ""
	}
}

// event is a Stripe event body around object (of another API version
// than stripe-go's, which must not matter).
func event(t *testing.T, typ string, object map[string]any, previous map[string]any) []byte {
	t.Helper()
	data := map[string]any{"object": object}
	if previous != nil {
		data["previous_attributes"] = previous
	}
	b, err := json.Marshal(map[string]any{"id": "evt_" + strings.ReplaceAll(typ, ".", "_"), "object": "event", "api_version": "2024-06-20",
		"created": time.Now().Unix(), "livemode": false, "type": typ, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t *testing.T, body []byte) *models.WebhookEvent {
	t.Helper()
	a := New("http://127.0.0.1:1", FakeSecretKey, testWebhookSecret, nil)
	e, err := a.ParseWebhook(headerOf(SignWebhook(testWebhookSecret, body)), body)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestWebhookSignatures(t *testing.T) {
	a := New("http://127.0.0.1:1", FakeSecretKey, testWebhookSecret, nil)
	body := event(t, "payment_intent.canceled", map[string]any{"id": "pi_1", "object": "payment_intent", "amount": 1000, "currency": "usd", "status": "canceled"}, nil)

	good := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testWebhookSecret})
	if e, err := a.ParseWebhook(headerOf(good.Header), body); err != nil || e.ID != "evt_payment_intent_canceled" {
		t.Fatalf("good signature: %+v %v", e, err)
	}
	// Within the 300 s tolerance.
	recent := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testWebhookSecret, Timestamp: time.Now().Add(-4 * time.Minute)})
	if _, err := a.ParseWebhook(headerOf(recent.Header), body); err != nil {
		t.Fatalf("4 minutes old: %v", err)
	}
	// Stripe signs with every active secret while one is rolled.
	other := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_old", Timestamp: good.Timestamp})
	if _, err := a.ParseWebhook(headerOf(other.Header+",v1="+strings.Split(good.Header, "v1=")[1]), body); err != nil {
		t.Fatalf("two signatures, one good: %v", err)
	}

	bad := map[string]struct {
		header string
		body   []byte
	}{
		"another secret": {other.Header, body},
		"expired": {webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testWebhookSecret,
			Timestamp: time.Now().Add(-6 * time.Minute)}).Header, body},
		"body changed": {good.Header, []byte(strings.Replace(string(body), `"amount":1000`, `"amount":1`, 1))},
		"no header":    {"", body},
		"garbage":      {"not a signature", body},
	}
	for name, c := range bad {
		if e, err := a.ParseWebhook(headerOf(c.header), c.body); err == nil {
			t.Errorf("%s: accepted %+v", name, e)
		}
	}
	noSecret := New("http://127.0.0.1:1", FakeSecretKey, "", nil)
	if _, err := noSecret.ParseWebhook(headerOf(good.Header), body); err == nil {
		t.Error("verified without a webhook secret")
	}
}

func TestWebhookEventMapping(t *testing.T) {
	pi := func(status, captureMethod string, amount, capturable, received int64, currency string) map[string]any {
		return map[string]any{"id": "pi_1", "object": "payment_intent", "amount": amount, "amount_capturable": capturable, "amount_received": received,
			"currency": currency, "status": status, "capture_method": captureMethod, "latest_charge": "ch_1", "client_secret": "pi_1_secret_x"}
	}
	cases := []struct {
		name     string
		body     []byte
		kind     string
		outcome  models.Outcome
		amount   int64
		actionID string
	}{
		{"authorized", event(t, "payment_intent.amount_capturable_updated", pi("requires_capture", "manual", 1000, 1000, 0, "usd"), nil),
			models.TxAuthorization, models.Approved, 1000, "ch_1"},
		{"capturable dropped to 0", event(t, "payment_intent.amount_capturable_updated", pi("succeeded", "manual", 1000, 0, 1000, "usd"), nil),
			"", models.Approved, 0, "ch_1"},
		{"captured (manual capture)", event(t, "payment_intent.succeeded", pi("succeeded", "manual", 1000, 0, 600, "usd"), nil),
			models.TxCapture, models.Approved, 600, "ch_1"},
		{"paid (automatic capture) is the authorization", event(t, "payment_intent.succeeded", pi("succeeded", "automatic", 1000, 0, 1000, "usd"), nil),
			models.TxAuthorization, models.Approved, 1000, "ch_1"},
		{"paid (automatic_async capture)", event(t, "payment_intent.succeeded", pi("succeeded", "automatic_async", 500, 0, 500, "jpy"), nil),
			models.TxAuthorization, models.Approved, 500, "ch_1"},
		{"declined", event(t, "payment_intent.payment_failed", pi("requires_payment_method", "manual", 1000, 0, 0, "usd"), nil),
			models.TxAuthorization, models.Declined, 1000, "ch_1"},
		{"voided", event(t, "payment_intent.canceled", pi("canceled", "manual", 1000, 0, 0, "usd"), nil),
			models.TxVoid, models.Approved, 1000, "ch_1"},
		{"refunded: the charge lists its refunds, newest first", event(t, "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "amount": 1000, "amount_refunded": 700,
			"currency": "usd", "payment_intent": "pi_1", "refunds": map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "re_2", "object": "refund", "amount": 500}, map[string]any{"id": "re_1", "object": "refund", "amount": 200}}}}, nil),
			models.TxRefund, models.Approved, 500, "re_2"},
		{"refunded, MGA", event(t, "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "amount": 100, "amount_refunded": 100,
			"currency": "mga", "payment_intent": "pi_1", "refunds": map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "re_1", "object": "refund", "amount": 100}}}}, nil),
			models.TxRefund, models.Approved, 10000, "re_1"},
		{"refunded: which refund is unknown", event(t, "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "amount": 1000,
			"amount_refunded": 700, "currency": "usd", "payment_intent": "pi_1"}, map[string]any{"amount_refunded": 200}),
			"", models.Approved, 0, "ch_1"},
		{"refund created", event(t, "refund.created", map[string]any{"id": "re_1", "object": "refund", "amount": 300, "currency": "usd",
			"payment_intent": "pi_1", "charge": "ch_1", "status": "succeeded"}, nil),
			models.TxRefund, models.Approved, 300, "re_1"},
		{"refund created pending", event(t, "refund.created", map[string]any{"id": "re_1", "object": "refund", "amount": 300, "currency": "usd",
			"payment_intent": "pi_1", "charge": "ch_1", "status": "pending"}, nil),
			"", models.Approved, 300, "re_1"},
		{"refund succeeded", event(t, "refund.updated", map[string]any{"id": "re_1", "object": "refund", "amount": 300, "currency": "usd",
			"payment_intent": "pi_1", "charge": "ch_1", "status": "succeeded"}, map[string]any{"status": "pending"}),
			models.TxRefund, models.Approved, 300, "re_1"},
		{"refund failed", event(t, "refund.updated", map[string]any{"id": "re_1", "object": "refund", "amount": 300, "currency": "usd",
			"payment_intent": "pi_1", "status": "failed"}, map[string]any{"status": "pending"}),
			models.TxRefund, models.Declined, 300, "re_1"},
		{"refund still pending", event(t, "refund.updated", map[string]any{"id": "re_1", "object": "refund", "amount": 300, "currency": "usd",
			"payment_intent": "pi_1", "status": "pending"}, map[string]any{"metadata": map[string]any{}}),
			"", models.Approved, 300, "re_1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := parse(t, c.body)
			if e.Kind != c.kind || e.Outcome != c.outcome || e.AmountCents != c.amount || e.PaymentID != "pi_1" || e.ActionID != c.actionID || e.ID == "" || e.Type == "" {
				t.Fatalf("got %+v", e)
			}
		})
	}
	other := parse(t, event(t, "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, nil))
	if other.Kind != "" || other.ID != "evt_customer_created" || other.Type != "customer.created" {
		t.Fatalf("other event: %+v", other)
	}
}

// The fake's events carry the state its API shows, for other packages'
// end-to-end tests.
func TestFakeEventsFollowThePayment(t *testing.T) {
	f := newFake(t)
	a := f.Adapter(testWebhookSecret, nil)
	ctx := context.Background()
	auth, err := a.Authorize(ctx, authorizeReq(TestCardVisa, "kasse_ps20_authorize"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(body []byte, kind string, amount int64) {
		t.Helper()
		e, err := a.ParseWebhook(headerOf(SignWebhook(testWebhookSecret, body)), body)
		if err != nil || e.Kind != kind || e.Outcome != models.Approved || e.PaymentID != auth.PaymentID || e.AmountCents != amount {
			t.Fatalf("%s: %+v %v", body, e, err)
		}
	}
	check(f.Event("payment_intent.amount_capturable_updated", auth.PaymentID), models.TxAuthorization, 1000)
	if _, err := a.Capture(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 800, Currency: "USD", IdempotencyKey: "kasse_tx20"}); err != nil {
		t.Fatal(err)
	}
	check(f.Event("payment_intent.succeeded", auth.PaymentID), models.TxCapture, 800)
	refund, err := a.Refund(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 300, Currency: "USD", IdempotencyKey: "kasse_tx21"})
	if err != nil {
		t.Fatal(err)
	}
	check(f.Event("refund.created", refund.ActionID), models.TxRefund, 300)
	check(f.Event("refund.updated", refund.ActionID), models.TxRefund, 300)
	check(f.Event("charge.refunded", auth.ActionID), "", 0)
}
