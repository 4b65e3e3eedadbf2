package stripe

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kasse/models"
)

// stripe-mock (Stripe's own mock, validating requests against the OpenAPI
// spec) proves the adapter's requests are valid Stripe API calls and that
// the answers decode. It is stateless, so Kasse's state handling is tested
// on Fake (fake_test.go).

var (
	mockOnce sync.Once
	mockURL  string
	mockErr  error
	mockStop = func() {}
)

func TestMain(m *testing.M) {
	code := m.Run()
	mockStop()
	os.Exit(code)
}

// startedMock starts stripe-mock (installing it first when missing) for
// the first test that needs it; TestMain stops it.
func startedMock(t *testing.T) string {
	t.Helper()
	mockOnce.Do(func() {
		var bin string
		if bin, mockErr = MockBin(); mockErr == nil {
			mockURL, mockStop, mockErr = StartMock(bin)
		}
	})
	if mockErr != nil {
		t.Fatal(mockErr)
	}
	return mockURL
}

func stripeMock(t *testing.T) *Adapter {
	t.Helper()
	return New(startedMock(t), "sk_test_123", "whsec_test", &http.Client{Timeout: 10 * time.Second})
}

// TestMakefileInstallsTheMockVersion keeps `make bin/stripe-mock` and
// MockBin on the same stripe-mock release.
func TestMakefileInstallsTheMockVersion(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STRIPE_MOCK_VERSION := " + MockVersion + "\n", MockModule + "@$(STRIPE_MOCK_VERSION)"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the Makefile does not say %q: it must install %s@%s", want, MockModule, MockVersion)
		}
	}
}

func TestStripeMockAuthorizeRequestsAreValid(t *testing.T) {
	a := stripeMock(t)
	ctx := context.Background()
	cases := []struct {
		name string
		req  models.AuthorizeRequest
	}{
		{"confirmed with a return URL", models.AuthorizeRequest{Token: "pm_card_visa", AmountCents: 1000, Currency: "USD", Reference: "1001",
			SuccessURL: "https://shop.example/paid", CustomerEmail: "jane@example.com", IdempotencyKey: "kasse_ps1_authorize"}},
		{"confirmed, auto-capture, no return URL", models.AuthorizeRequest{Token: "pm_card_visa", AmountCents: 1000, Currency: "EUR", Capture: true, IdempotencyKey: "kasse_ps2_authorize"}},
		{"for the browser to confirm", models.AuthorizeRequest{AmountCents: 500, Currency: "JPY", Reference: "1003", IdempotencyKey: "kasse_ps3_authorize"}},
		{"three-decimal currency", models.AuthorizeRequest{Token: "pm_card_visa", AmountCents: 1230, Currency: "KWD", IdempotencyKey: "kasse_ps4_authorize"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := a.Authorize(ctx, c.req)
			if err != nil {
				t.Fatalf("stripe-mock refused the request: %v", err)
			}
			if !strings.HasPrefix(res.PaymentID, "pi_") || res.Raw["object"] != "payment_intent" {
				t.Fatalf("answer did not decode as a PaymentIntent: %+v", res)
			}
			// stripe-mock answers a fixture: requires_payment_method with a
			// last_payment_error, which Kasse reads as a decline.
			if res.Status != "requires_payment_method" || res.Outcome != models.Declined {
				t.Fatalf("fixture mapped to %s/%s", res.Status, res.Outcome)
			}
			if _, ok := res.Raw["client_secret"]; ok {
				t.Fatal("client_secret kept in the stored response of a confirmed payment")
			}
		})
	}
}

func TestStripeMockDetailsDecodesTheCard(t *testing.T) {
	a := stripeMock(t)
	res, err := a.Details(context.Background(), "pi_123", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.PaymentID != "pi_123" || res.Instrument["brand"] != "visa" || res.Instrument["last4"] != "4242" || res.Instrument["exp_year"] == nil {
		t.Fatalf("details: %+v, instrument %v", res, res.Instrument)
	}
	pm, _ := res.Raw["payment_method"].(map[string]any)
	if pm == nil || pm["billing_details"] != nil || pm["card"].(map[string]any)["fingerprint"] != nil {
		t.Fatalf("the stored payment method is not reduced to its summary: %v", pm)
	}
	if _, ok := res.Raw["client_secret"]; ok {
		t.Fatal("client_secret kept")
	}
}

func TestStripeMockActions(t *testing.T) {
	a := stripeMock(t)
	ctx := context.Background()
	capture, err := a.Capture(ctx, models.ActionRequest{PaymentID: "pi_123", AmountCents: 500, Currency: "USD", Reference: "1001/T/002", IdempotencyKey: "kasse_tx1"})
	if err != nil || capture.Outcome != models.Approved || capture.PaymentID != "pi_123" {
		t.Fatalf("capture: %+v %v", capture, err)
	}
	void, err := a.Void(ctx, models.ActionRequest{PaymentID: "pi_123", AmountCents: 1000, Currency: "USD", IdempotencyKey: "kasse_tx2"})
	if err != nil || void.Outcome != models.Approved || void.PaymentID != "pi_123" {
		t.Fatalf("void: %+v %v", void, err)
	}
	refund, err := a.Refund(ctx, models.ActionRequest{PaymentID: "pi_123", AmountCents: 300, Currency: "USD", Reference: "1001/T/003", IdempotencyKey: "kasse_tx3"})
	if err != nil || refund.Outcome != models.Approved || !strings.HasPrefix(refund.ActionID, "re_") || refund.PaymentID != "pi_123" || refund.Raw["amount"] != float64(300) {
		t.Fatalf("refund: %+v %v", refund, err)
	}
}

func TestStripeMockRefusalsArePermanentErrors(t *testing.T) {
	// stripe-mock takes only sk_test_ keys: anything else is a 401.
	bad := New(startedMock(t), "not_a_key_98765", "", nil)
	_, err := bad.Details(context.Background(), "pi_123", "")
	var pe *models.ProviderError
	if !errors.As(err, &pe) || pe.Temporary || strings.Contains(pe.Message, "98765") {
		t.Fatalf("bad key: %#v", err)
	}
	if pe.Code == "" || pe.Message == "" {
		t.Fatalf("bad key: no code or message: %#v", pe)
	}
}
