package stripe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"

	"kasse/models"
)

func newFake(t *testing.T) *Fake {
	t.Helper()
	f := NewFake()
	t.Cleanup(f.Close)
	return f
}

func authorizeReq(token string, key string) models.AuthorizeRequest {
	return models.AuthorizeRequest{Token: token, AmountCents: 1000, Currency: "USD", Reference: "1001",
		SuccessURL: "https://shop.example/orders/1001/paid", FailureURL: "https://shop.example/orders/1001/failed",
		CustomerEmail: "jane@example.com", IdempotencyKey: key}
}

func providerError(t *testing.T, err error) *models.ProviderError {
	t.Helper()
	var pe *models.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("want a *models.ProviderError, got %#v", err)
	}
	return pe
}

func intentCount(f *Fake) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.intents)
}

// posts are the fake's POST requests.
func posts(f *Fake) []FakeRequest {
	var out []FakeRequest
	for _, r := range f.Requests() {
		if r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

func TestAuthorizeManualCapture(t *testing.T) {
	f := newFake(t)
	res, err := f.Adapter("", nil).Authorize(context.Background(), authorizeReq(TestCardVisa, "kasse_ps1_authorize"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != models.Approved || res.Captured || res.Status != "requires_capture" {
		t.Fatalf("outcome %s captured %v status %s", res.Outcome, res.Captured, res.Status)
	}
	if !strings.HasPrefix(res.PaymentID, "pi_") || !strings.HasPrefix(res.ActionID, "ch_") {
		t.Fatalf("ids: payment %q action %q", res.PaymentID, res.ActionID)
	}
	if res.Instrument["brand"] != "visa" || res.Instrument["last4"] != "4242" || res.Instrument["exp_month"] != int64(12) {
		t.Fatalf("instrument %v", res.Instrument)
	}
	if _, ok := res.Raw["client_secret"]; ok {
		t.Fatal("client_secret stored for a payment confirmed server-side")
	}
	pm := res.Raw["payment_method"].(map[string]any)
	if pm["billing_details"] != nil || pm["card"].(map[string]any)["fingerprint"] != nil || pm["card"].(map[string]any)["last4"] != "4242" {
		t.Fatalf("payment method in the stored response: %v", pm)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	want := map[string]string{"amount": "1000", "currency": "usd", "capture_method": "manual", "confirm": "true", "payment_method": TestCardVisa,
		"return_url": "https://shop.example/orders/1001/paid", "metadata[reference]": "1001", "receipt_email": "jane@example.com"}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.Path != "/v1/payment_intents" || r.IdempotencyKey != "kasse_ps1_authorize" || !expands(r.Form, "payment_method") {
		t.Fatalf("request %+v", r)
	}
}

func TestAuthorizeAutoCapture(t *testing.T) {
	f := newFake(t)
	req := authorizeReq(TestCardMastercard, "kasse_ps2_authorize")
	req.Capture = true
	res, err := f.Adapter("", nil).Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != models.Approved || !res.Captured || res.Status != "succeeded" || res.Instrument["brand"] != "mastercard" {
		t.Fatalf("%+v", res)
	}
	if got := f.Requests()[0].Form.Get("capture_method"); got != "automatic" {
		t.Fatalf("capture_method %q", got)
	}
}

func TestAuthorizeThreeDSRedirectThenDetails(t *testing.T) {
	for _, outcome := range []string{"complete", "fail"} {
		t.Run(outcome, func(t *testing.T) {
			f := newFake(t)
			a := f.Adapter("", nil)
			res, err := a.Authorize(context.Background(), authorizeReq(TestCardThreeDS, "kasse_ps3_authorize"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != models.RequiresAction || !strings.HasPrefix(res.RedirectURL, f.URL+"/fake/3ds/") {
				t.Fatalf("outcome %s redirect %q", res.Outcome, res.RedirectURL)
			}
			// The customer completes (or fails) 3DS; Stripe sends them back
			// to the return URL with the PaymentIntent's id.
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noRedirect.Get(res.RedirectURL + "?outcome=" + outcome)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(back.String(), "https://shop.example/orders/1001/paid?") {
				t.Fatalf("3DS answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// Kasse reads the payment by the id on the return URL.
			details, err := a.Details(context.Background(), "", back.Query().Get("payment_intent"))
			if err != nil {
				t.Fatal(err)
			}
			if details.PaymentID != res.PaymentID {
				t.Fatalf("details of %s, want %s", details.PaymentID, res.PaymentID)
			}
			switch outcome {
			case "complete":
				if details.Outcome != models.Approved || details.Captured || details.RedirectURL != "" {
					t.Fatalf("after 3DS: %+v", details)
				}
			case "fail":
				if details.Outcome != models.Declined || details.ResponseCode != "payment_intent_authentication_failure" || details.Message == "" {
					t.Fatalf("after failed 3DS: %+v", details)
				}
			}
			if r := f.Requests()[len(f.Requests())-1]; r.Method != http.MethodGet || r.IdempotencyKey != "" {
				t.Fatalf("details sent %s with key %q", r.Method, r.IdempotencyKey)
			}
		})
	}
}

func TestAuthorizeThreeDSWithoutReturnURLIsPending(t *testing.T) {
	f := newFake(t)
	req := authorizeReq(TestCardThreeDS, "kasse_ps4_authorize")
	req.SuccessURL = ""
	res, err := f.Adapter("", nil).Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != models.Pending || res.RedirectURL != "" || res.Status != "requires_action" {
		t.Fatalf("%+v", res)
	}
	form := f.Requests()[0].Form
	if form.Get("return_url") != "" || form.Get("automatic_payment_methods[allow_redirects]") != "never" || form.Get("automatic_payment_methods[enabled]") != "true" {
		t.Fatalf("form %v", form)
	}
}

func TestAuthorizeDeclined(t *testing.T) {
	for pm, code := range map[string]string{TestCardDeclined: "generic_decline", TestCardInsufficientFunds: "insufficient_funds"} {
		t.Run(pm, func(t *testing.T) {
			f := newFake(t)
			res, err := f.Adapter("", nil).Authorize(context.Background(), authorizeReq(pm, "kasse_ps5_authorize"))
			if err != nil {
				t.Fatalf("a decline is an answer, not an error: %v", err)
			}
			if res.Outcome != models.Declined || res.ResponseCode != code || res.Message == "" || !strings.HasPrefix(res.PaymentID, "pi_") || !strings.HasPrefix(res.ActionID, "ch_") {
				t.Fatalf("%+v", res)
			}
			if res.Raw["id"] != res.PaymentID || res.Raw["status"] != "requires_payment_method" {
				t.Fatalf("raw %v", res.Raw)
			}
			if _, ok := res.Raw["client_secret"]; ok {
				t.Fatal("client_secret stored for a declined payment")
			}
		})
	}
}

func TestAuthorizeForStripeJS(t *testing.T) {
	f := newFake(t)
	a := f.Adapter("", nil)
	res, err := a.Authorize(context.Background(), authorizeReq("", "kasse_ps6_authorize"))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := res.Raw["client_secret"].(string)
	if res.Outcome != models.Pending || !strings.HasPrefix(secret, res.PaymentID+"_secret_") {
		t.Fatalf("outcome %s client_secret %q", res.Outcome, secret)
	}
	form := f.Requests()[0].Form
	if form.Get("confirm") != "" || form.Get("payment_method") != "" || form.Get("return_url") != "" {
		t.Fatalf("an unconfirmed PaymentIntent was confirmed: %v", form)
	}
	// Until the browser confirms, re-reading keeps the secret it needs.
	again, err := a.Details(context.Background(), res.PaymentID, "")
	if err != nil || again.Outcome != models.Pending || again.Raw["client_secret"] != secret {
		t.Fatalf("before confirmation: %+v %v", again, err)
	}
	if err := f.ConfirmInBrowser(res.PaymentID, TestCardVisa); err != nil {
		t.Fatal(err)
	}
	done, err := a.Details(context.Background(), res.PaymentID, "")
	if err != nil || done.Outcome != models.Approved || done.Instrument["last4"] != "4242" {
		t.Fatalf("after confirmation: %+v %v", done, err)
	}
	if _, ok := done.Raw["client_secret"]; ok {
		t.Fatal("client_secret kept after confirmation")
	}
}

func TestAuthorizeRefusesOtherTokensWithoutCalling(t *testing.T) {
	f := newFake(t)
	_, err := f.Adapter("", nil).Authorize(context.Background(), authorizeReq("tok_visa", "kasse_ps7_authorize"))
	if pe := providerError(t, err); pe.Temporary || pe.Code != "token_invalid" {
		t.Fatalf("%+v", pe)
	}
	if len(f.Requests()) != 0 {
		t.Fatal("called Stripe with an unusable token")
	}
}

func TestAuthorizeConvertsAmounts(t *testing.T) {
	f := newFake(t)
	a := f.Adapter("", nil)
	for _, c := range []struct {
		currency string
		cents    int64
		want     string
	}{{"JPY", 500, "500"}, {"MGA", 10000, "100"}, {"KWD", 1230, "1230"}, {"ISK", 5, "500"}, {"EUR", 999, "999"}} {
		req := authorizeReq(TestCardVisa, "kasse_"+c.currency)
		req.Currency, req.AmountCents = c.currency, c.cents
		if _, err := a.Authorize(context.Background(), req); err != nil {
			t.Fatalf("%s: %v", c.currency, err)
		}
		last := f.Requests()[len(f.Requests())-1].Form
		if last.Get("amount") != c.want || last.Get("currency") != strings.ToLower(c.currency) {
			t.Fatalf("%s %d sent as %s %s, want %s", c.currency, c.cents, last.Get("amount"), last.Get("currency"), c.want)
		}
	}
	n := len(f.Requests())
	for _, c := range []struct {
		currency string
		cents    int64
	}{{"KWD", 1235}, {"MGA", 10050}, {"XYZ", 100}} {
		req := authorizeReq(TestCardVisa, "kasse_bad_"+c.currency)
		req.Currency, req.AmountCents = c.currency, c.cents
		_, err := a.Authorize(context.Background(), req)
		if pe := providerError(t, err); pe.Temporary {
			t.Fatalf("%s %d: %+v", c.currency, c.cents, pe)
		}
	}
	if len(f.Requests()) != n {
		t.Fatal("an amount Stripe cannot take was sent")
	}
}

func TestServerErrorsAreTemporary(t *testing.T) {
	f := newFake(t)
	a := f.Adapter("", nil)
	f.Inject(Fault{Status: http.StatusInternalServerError})
	_, err := a.Authorize(context.Background(), authorizeReq(TestCardVisa, "kasse_ps9_authorize"))
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "api_error" {
		t.Fatalf("500: %+v", pe)
	}
	// Settled later with the same key: one payment.
	res, err := a.Authorize(context.Background(), authorizeReq(TestCardVisa, "kasse_ps9_authorize"))
	if err != nil || res.Outcome != models.Approved {
		t.Fatalf("%+v %v", res, err)
	}
	if n := intentCount(f); n != 1 {
		t.Fatalf("%d PaymentIntents", n)
	}

	f.Inject(Fault{Status: http.StatusTooManyRequests})
	_, err = a.Details(context.Background(), res.PaymentID, "")
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "rate_limit" {
		t.Fatalf("429: %+v", pe)
	}
	f.Inject(Fault{Status: http.StatusConflict})
	_, err = a.Capture(context.Background(), models.ActionRequest{PaymentID: res.PaymentID, AmountCents: 1000, Currency: "USD", IdempotencyKey: "kasse_tx9"})
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "idempotency_key_in_use" {
		t.Fatalf("409: %+v", pe)
	}
}

func TestTimeoutIsTemporaryAndTheRetryFindsThePayment(t *testing.T) {
	f := newFake(t)
	a := f.Adapter("", &http.Client{Timeout: 250 * time.Millisecond})
	// Both tries time out although Stripe carries the request out.
	f.Inject(Fault{Delay: 600 * time.Millisecond}, Fault{Delay: 600 * time.Millisecond})
	_, err := a.Authorize(context.Background(), authorizeReq(TestCardVisa, "kasse_ps10_authorize"))
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "timeout" {
		t.Fatalf("%+v", pe)
	}
	// stripe-go retried the timed-out POST once, with Kasse's key.
	if reqs := posts(f); len(reqs) != 2 || reqs[0].IdempotencyKey != "kasse_ps10_authorize" || reqs[1].IdempotencyKey != "kasse_ps10_authorize" {
		t.Fatalf("requests %+v", reqs)
	}
	// Later (`_refresh`), the same key finds the payment made the first time.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		f.mu.Lock()
		busy := len(f.inflight)
		f.mu.Unlock()
		if busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake is still busy")
		}
	}
	res, err := f.Adapter("", nil).Authorize(context.Background(), authorizeReq(TestCardVisa, "kasse_ps10_authorize"))
	if err != nil || res.Outcome != models.Approved {
		t.Fatalf("%+v %v", res, err)
	}
	f.mu.Lock()
	n := len(f.intents)
	_, known := f.intents[res.PaymentID]
	f.mu.Unlock()
	if n != 1 || !known {
		t.Fatalf("%d PaymentIntents; the answer names %s", n, res.PaymentID)
	}
	reqs := posts(f)
	if last := reqs[len(reqs)-1]; !last.Replayed || last.IdempotencyKey != "kasse_ps10_authorize" {
		t.Fatalf("the retry was not Stripe's replay: %+v", last)
	}
}

func TestUnreachableIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = New("http://"+addr, FakeSecretKey, "", nil).Details(context.Background(), "pi_1", "")
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "provider_unavailable" || strings.Contains(pe.Message, FakeSecretKey) {
		t.Fatalf("%+v", pe)
	}
}

func TestCaptureRefundVoid(t *testing.T) {
	f := newFake(t)
	a := f.Adapter("", nil)
	ctx := context.Background()
	auth, err := a.Authorize(ctx, authorizeReq(TestCardVisa, "kasse_ps11_authorize"))
	if err != nil {
		t.Fatal(err)
	}
	capReq := models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 600, Currency: "USD", Reference: "1001/T/002", IdempotencyKey: "kasse_tx_capture"}
	capture, err := a.Capture(ctx, capReq)
	if err != nil || capture.Outcome != models.Approved || !capture.Captured || capture.ActionID != auth.ActionID || capture.Status != "succeeded" {
		t.Fatalf("capture: %+v %v", capture, err)
	}
	last := posts(f)[len(posts(f))-1]
	if last.Path != "/v1/payment_intents/"+auth.PaymentID+"/capture" || last.Form.Get("amount_to_capture") != "600" || last.IdempotencyKey != "kasse_tx_capture" {
		t.Fatalf("capture request %+v", last)
	}
	// The same key again is Stripe's replay, not a second capture.
	again, err := a.Capture(ctx, capReq)
	if err != nil || again.ActionID != capture.ActionID || !posts(f)[len(posts(f))-1].Replayed {
		t.Fatalf("capture replay: %+v %v", again, err)
	}
	// The same key with another amount is refused for good.
	capReq.AmountCents = 700
	_, err = a.Capture(ctx, capReq)
	if pe := providerError(t, err); pe.Temporary || pe.Code != "idempotency_error" {
		t.Fatalf("key reuse: %+v", pe)
	}

	refReq := models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 200, Currency: "USD", Reference: "1001/T/003", IdempotencyKey: "kasse_tx_refund"}
	refund, err := a.Refund(ctx, refReq)
	if err != nil || refund.Outcome != models.Approved || !strings.HasPrefix(refund.ActionID, "re_") || refund.PaymentID != auth.PaymentID {
		t.Fatalf("refund: %+v %v", refund, err)
	}
	if again, err := a.Refund(ctx, refReq); err != nil || again.ActionID != refund.ActionID {
		t.Fatalf("refund replay: %+v %v", again, err)
	}
	if last := posts(f)[len(posts(f))-1]; last.Form.Get("payment_intent") != auth.PaymentID || last.Form.Get("amount") != "200" || last.Form.Get("metadata[reference]") != "1001/T/003" {
		t.Fatalf("refund request %+v", last)
	}
	_, err = a.Refund(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 500, Currency: "USD", IdempotencyKey: "kasse_tx_refund2"})
	if pe := providerError(t, err); pe.Temporary || pe.Code != "amount_too_large" {
		t.Fatalf("over-refund: %+v", pe)
	}
	if pi, _ := f.Intent(auth.PaymentID); pi["amount_received"] != int64(600) {
		t.Fatalf("captured %v", pi["amount_received"])
	}

	// A captured payment cannot be voided.
	_, err = a.Void(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 1000, Currency: "USD", IdempotencyKey: "kasse_tx_void"})
	if pe := providerError(t, err); pe.Temporary || pe.Code != "payment_intent_unexpected_state" {
		t.Fatalf("void after capture: %+v", pe)
	}
	// An authorized one can.
	auth2, err := a.Authorize(ctx, authorizeReq(TestCardVisa, "kasse_ps12_authorize"))
	if err != nil {
		t.Fatal(err)
	}
	void, err := a.Void(ctx, models.ActionRequest{PaymentID: auth2.PaymentID, AmountCents: 1000, Currency: "USD", IdempotencyKey: "kasse_tx_void2"})
	if err != nil || void.Outcome != models.Approved || void.Status != "canceled" || void.Captured || void.ActionID == "" {
		t.Fatalf("void: %+v %v", void, err)
	}
	if d, err := a.Details(ctx, auth2.PaymentID, ""); err != nil || d.Outcome != models.Declined || d.Status != "canceled" {
		t.Fatalf("details of a voided payment: %+v %v", d, err)
	}
}

func TestUnknownPaymentAndBadKeyArePermanent(t *testing.T) {
	f := newFake(t)
	_, err := f.Adapter("", nil).Details(context.Background(), "pi_missing", "")
	if pe := providerError(t, err); pe.Temporary || pe.Code != "resource_missing" {
		t.Fatalf("404: %+v", pe)
	}
	_, err = New(f.URL, "sk_test_wrongwrongwrong", "", nil).Authorize(context.Background(), authorizeReq(TestCardVisa, "k"))
	if pe := providerError(t, err); pe.Temporary || strings.Contains(pe.Message, "sk_test_wrongwrongwrong") {
		t.Fatalf("401: %+v", pe)
	}
}

func TestErrorMessagesNeverCarryTheSecretKey(t *testing.T) {
	a := New("http://127.0.0.1:1", "sk_live_abc123secret", "", nil)
	err := a.providerError(&stripeapi.Error{HTTPStatusCode: 401, Type: stripeapi.ErrorTypeInvalidRequest,
		Msg: "Invalid API Key provided: sk_live_abc123secret (also rk_test_xyz789)"})
	pe := providerError(t, err)
	if pe.Temporary || strings.Contains(pe.Message, "abc123secret") || strings.Contains(pe.Message, "xyz789") || pe.Code != "invalid_request_error" {
		t.Fatalf("%+v", pe)
	}
}

func TestMoneyConversion(t *testing.T) {
	for _, c := range []struct {
		currency     string
		kasse, strpe int64
	}{{"USD", 1050, 1050}, {"JPY", 500, 500}, {"XOF", 5000, 5000}, {"MGA", 12300, 123}, {"ISK", 7, 700}, {"KWD", 1230, 1230}, {"HUF", 10050, 10050}} {
		got, err := toStripeAmount(c.kasse, c.currency)
		if err != nil || got != c.strpe {
			t.Errorf("%s %d → %d %v, want %d", c.currency, c.kasse, got, err, c.strpe)
		}
		if back := fromStripeAmount(c.strpe, strings.ToLower(c.currency)); back != c.kasse {
			t.Errorf("%s %d back → %d, want %d", c.currency, c.strpe, back, c.kasse)
		}
	}
	for _, c := range []struct {
		currency string
		kasse    int64
	}{{"BHD", 1001}, {"JOD", 5}, {"OMR", 99}, {"TND", 1234}, {"MGA", 150}, {"NOPE", 1}} {
		if _, err := toStripeAmount(c.kasse, c.currency); err == nil {
			t.Errorf("%s %d accepted", c.currency, c.kasse)
		}
	}
}
