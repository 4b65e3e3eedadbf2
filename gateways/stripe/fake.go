package stripe

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

// Stripe's test PaymentMethods that Fake knows; any other pm_… id is
// approved like pm_card_visa.
const (
	TestCardVisa              = "pm_card_visa"                            // approved
	TestCardMastercard        = "pm_card_mastercard"                      // approved
	TestCardDeclined          = "pm_card_chargeDeclined"                  // 402 card_declined, generic_decline
	TestCardInsufficientFunds = "pm_card_chargeDeclinedInsufficientFunds" // 402 card_declined, insufficient_funds
	TestCardThreeDS           = "pm_card_threeDSecure2Required"           // requires_action (3DS)
)

// FakeSecretKey is the only API key a Fake accepts unless told otherwise.
const FakeSecretKey = "sk_test_kasse_fake"

// Fault makes a Fake's next request misbehave. Status (409, 429, 500…)
// answers with that Stripe error before anything is done; Delay holds the
// answer back, and the request is carried out all the same, as a provider
// does when its client times out.
type Fault struct {
	Status int
	Delay  time.Duration
}

// FakeRequest is a request a Fake received.
type FakeRequest struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
	Replayed                     bool // answered from the idempotency store
}

type fakeIntent struct {
	ID, Currency, Status, CaptureMethod, PaymentMethod, ClientSecret string
	ReceiptEmail, ReturnURL, ChargeID, CancellationReason            string
	Amount, AmountCapturable, AmountReceived, Refunded               int64
	Metadata                                                         map[string]string
	LastError                                                        map[string]any
	NextActionURL                                                    string
	ThreeDS                                                          bool // waiting for a 3DS challenge
}

type fakeRefund struct {
	ID, PaymentIntent, Charge, Currency, Status string
	Amount                                      int64
	Metadata                                    map[string]string
}

type fakeReply struct {
	fingerprint string
	status      int
	body        []byte
}

// Fake is a stateful loopback stand-in for the Stripe API that the adapter
// uses (PaymentIntents create/retrieve/capture/cancel, Refunds create,
// Checkout Sessions create/retrieve with a Checkout page: fake_checkout.go), for
// tests in any package. Unlike stripe-mock it keeps state and honours
// Idempotency-Key as Stripe does: the same key with the same request
// replays the first answer (Idempotent-Replayed: true); with another
// request it is a 400 idempotency_error. Its 3DS page is
// URL+"/fake/3ds/{id}?outcome=complete|fail".
type Fake struct {
	URL       string
	SecretKey string

	srv       *httptest.Server
	mu        sync.Mutex
	seq       int
	intents   map[string]*fakeIntent
	refunds   map[string]*fakeRefund
	checkouts map[string]*fakeCheckout
	replies   map[string]fakeReply
	inflight  map[string]bool
	requests  []FakeRequest
	faults    []Fault
}

// NewFake starts a Fake on 127.0.0.1; Close stops it.
func NewFake() *Fake {
	f := &Fake{SecretKey: FakeSecretKey, intents: map[string]*fakeIntent{}, refunds: map[string]*fakeRefund{}, checkouts: map[string]*fakeCheckout{}, replies: map[string]fakeReply{},
		inflight: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("stripe fake: listen on 127.0.0.1: %v", err))
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Listener = ln
	f.srv.Start()
	f.URL = f.srv.URL
	return f
}

// Close stops the server (waiting for requests in flight).
func (f *Fake) Close() { f.srv.Close() }

// Adapter is an adapter on this fake with the given webhook secret.
func (f *Fake) Adapter(webhookSecret string, client *http.Client) *Adapter {
	return New(f.URL, f.SecretKey, webhookSecret, client)
}

// Inject queues faults for the next requests, one request each.
func (f *Fake) Inject(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Requests lists what the fake received, oldest first.
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRequest(nil), f.requests...)
}

// Intent is a PaymentIntent's current state as the API shows it.
func (f *Fake) Intent(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi, ok := f.intents[id]
	if !ok {
		return nil, false
	}
	return pi.object(true), true
}

// Complete3DS settles a PaymentIntent waiting for 3DS, as the customer
// passing (ok) or failing the challenge does.
func (f *Fake) Complete3DS(id string, ok bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi, found := f.intents[id]
	if !found || !pi.ThreeDS {
		return fmt.Errorf("stripe fake: %s is not waiting for 3DS", id)
	}
	pi.ThreeDS, pi.NextActionURL = false, ""
	if ok {
		pi.authorized()
	} else {
		pi.Status = "requires_payment_method"
		pi.LastError = map[string]any{"type": "card_error", "code": "payment_intent_authentication_failure",
			"message": "The provided PaymentMethod has failed authentication."}
	}
	return nil
}

// ConfirmInBrowser confirms an unconfirmed PaymentIntent with a
// PaymentMethod, as Stripe.js does in the customer's browser.
func (f *Fake) ConfirmInBrowser(id, paymentMethod string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi, ok := f.intents[id]
	if !ok || (pi.Status != "requires_payment_method" && pi.Status != "requires_confirmation") {
		return fmt.Errorf("stripe fake: %s cannot be confirmed", id)
	}
	pi.PaymentMethod = paymentMethod
	f.confirm(pi)
	return nil
}

// Event builds a webhook event of type typ about the PaymentIntent, charge
// or refund id in its current state (sign it with SignWebhook).
func (f *Fake) Event(typ, id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	var object any
	data := map[string]any{}
	switch {
	case strings.HasPrefix(typ, "payment_intent."):
		if pi, ok := f.intents[id]; ok {
			object = pi.object(false)
		}
	case typ == "charge.refunded":
		for _, pi := range f.intents {
			if pi.ChargeID == id {
				object = map[string]any{"id": pi.ChargeID, "object": "charge", "amount": pi.Amount, "amount_captured": pi.AmountReceived,
					"amount_refunded": pi.Refunded, "refunded": pi.Refunded > 0 && pi.Refunded == pi.AmountReceived,
					"currency": pi.Currency, "payment_intent": pi.ID, "status": "succeeded"}
			}
		}
	case strings.HasPrefix(typ, "checkout.session."):
		if cs, ok := f.checkouts[id]; ok {
			object = f.checkoutObject(cs, false, false)
		}
	case strings.HasPrefix(typ, "refund."):
		if re, ok := f.refunds[id]; ok {
			object = re.object()
		}
	}
	data["object"] = object
	b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_fake_%d", f.seq), "object": "event", "api_version": "2026-03-25.dahlia",
		"created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1, "type": typ, "data": data})
	return b
}

// SignWebhook is the Stripe-Signature header of body signed now with an
// endpoint secret, as Stripe sends it.
func SignWebhook(secret string, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret}).Header
}

func (f *Fake) id(prefix string) string {
	f.seq++
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s%d%s", prefix, f.seq, hex.EncodeToString(b))
}

func stripeError(status int, typ, code, msg string, extra map[string]any) (int, map[string]any) {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	for k, v := range extra {
		e[k] = v
	}
	return status, map[string]any{"error": e}
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/fake/3ds/") {
		f.threeDSPage(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, checkoutPagePath) {
		f.checkoutPage(w, r)
		return
	}
	_ = r.ParseForm()
	key := r.Header.Get("Idempotency-Key")
	write := func(status int, body []byte, replayed bool) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		if key != "" {
			w.Header().Set("Idempotency-Key", key)
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	f.mu.Lock()
	f.requests = append(f.requests, FakeRequest{Method: r.Method, Path: r.URL.Path, IdempotencyKey: key, Form: r.Form})
	reqIndex := len(f.requests) - 1
	var fault Fault
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	f.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+f.SecretKey {
		status, body := stripeError(http.StatusUnauthorized, "invalid_request_error", "", "Invalid API Key provided: "+maskKey(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")), nil)
		b, _ := json.Marshal(body)
		write(status, b, false)
		return
	}
	if fault.Status != 0 {
		var status int
		var body map[string]any
		switch fault.Status {
		case http.StatusConflict:
			status, body = stripeError(fault.Status, "invalid_request_error", "idempotency_key_in_use", "There is currently another in-progress request using this Idempotent Key.", nil)
		case http.StatusTooManyRequests:
			status, body = stripeError(fault.Status, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.", nil)
		default:
			status, body = stripeError(fault.Status, "api_error", "", "An unknown error occurred", nil)
		}
		b, _ := json.Marshal(body)
		write(status, b, false)
		return
	}
	if key != "" && r.Method == http.MethodPost {
		// A request while another with the same key runs: Stripe's 409.
		f.mu.Lock()
		busy := f.inflight[key]
		f.inflight[key] = true
		f.mu.Unlock()
		if busy {
			status, body := stripeError(http.StatusConflict, "invalid_request_error", "idempotency_key_in_use", "There is currently another in-progress request using this Idempotent Key.", nil)
			b, _ := json.Marshal(body)
			write(status, b, false)
			return
		}
		defer func() {
			f.mu.Lock()
			delete(f.inflight, key)
			f.mu.Unlock()
		}()
	}
	if fault.Delay > 0 {
		time.Sleep(fault.Delay)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	fingerprint := r.Method + " " + r.URL.Path + "?" + canonical(r.Form)
	if key != "" && r.Method == http.MethodPost {
		if prev, ok := f.replies[key]; ok {
			if prev.fingerprint != fingerprint {
				_, body := stripeError(http.StatusBadRequest, "idempotency_error", "",
					"Keys for idempotent requests can only be used with the same parameters they were first used with.", nil)
				b, _ := json.Marshal(body)
				write(http.StatusBadRequest, b, false)
				return
			}
			f.requests[reqIndex].Replayed = true
			write(prev.status, prev.body, true)
			return
		}
	}
	status, body := f.route(r)
	b, _ := json.Marshal(body)
	if key != "" && r.Method == http.MethodPost && status != http.StatusBadRequest {
		// Stripe does not save requests that fail validation.
		f.replies[key] = fakeReply{fingerprint: fingerprint, status: status, body: b}
	}
	write(status, b, false)
}

func maskKey(k string) string {
	if len(k) <= 4 {
		return "****"
	}
	return k[:min(8, len(k)-4)] + "****" + k[len(k)-4:]
}

func canonical(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(form[k], ",") + "&")
	}
	return b.String()
}

func expands(form url.Values, field string) bool {
	for k, vs := range form {
		if strings.HasPrefix(k, "expand") {
			for _, v := range vs {
				if v == field {
					return true
				}
			}
		}
	}
	return false
}

func intParam(form url.Values, name string) (int64, bool, error) {
	v := form.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, true, err
}

func (f *Fake) route(r *http.Request) (int, map[string]any) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	expandPM := expands(r.Form, "payment_method")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents":
		return f.createIntent(r.Form, expandPM)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		return f.createRefund(r.Form)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions":
		return f.createCheckout(r.Form)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "v1" && parts[1] == "checkout" && parts[2] == "sessions":
		cs, ok := f.checkouts[parts[3]]
		if !ok {
			return stripeError(http.StatusNotFound, "invalid_request_error", "resource_missing", "No such checkout.session: '"+parts[3]+"'", map[string]any{"param": "session"})
		}
		return http.StatusOK, f.checkoutObject(cs, expands(r.Form, "payment_intent"), expands(r.Form, "payment_intent.payment_method"))
	case len(parts) >= 3 && parts[0] == "v1" && parts[1] == "payment_intents":
		pi, ok := f.intents[parts[2]]
		if !ok {
			return stripeError(http.StatusNotFound, "invalid_request_error", "resource_missing", "No such payment_intent: '"+parts[2]+"'", map[string]any{"param": "intent"})
		}
		switch {
		case len(parts) == 3 && r.Method == http.MethodGet:
			return http.StatusOK, pi.object(expandPM)
		case len(parts) == 4 && r.Method == http.MethodPost && parts[3] == "capture":
			return f.capture(pi, r.Form, expandPM)
		case len(parts) == 4 && r.Method == http.MethodPost && parts[3] == "cancel":
			switch pi.Status {
			case "succeeded", "canceled":
				return unexpectedState(pi, "cancel")
			}
			pi.Status, pi.AmountCapturable, pi.NextActionURL, pi.ThreeDS = "canceled", 0, "", false
			pi.CancellationReason = r.Form.Get("cancellation_reason")
			return http.StatusOK, pi.object(expandPM)
		}
	}
	return stripeError(http.StatusNotFound, "invalid_request_error", "", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").", nil)
}

func unexpectedState(pi *fakeIntent, action string) (int, map[string]any) {
	return stripeError(http.StatusBadRequest, "invalid_request_error", "payment_intent_unexpected_state",
		fmt.Sprintf("This PaymentIntent could not be %s because it has a status of %s.", action, pi.Status), nil)
}

func (f *Fake) createIntent(form url.Values, expandPM bool) (int, map[string]any) {
	amount, ok, err := intParam(form, "amount")
	if !ok || err != nil {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "parameter_missing", "Missing required param: amount.", map[string]any{"param": "amount"})
	}
	if amount < 1 {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "amount_too_small", "Amount must be at least 1.", map[string]any{"param": "amount"})
	}
	currency := form.Get("currency")
	if currency == "" || currency != strings.ToLower(currency) || len(currency) != 3 {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "parameter_invalid_string", "Invalid currency: "+currency+".", map[string]any{"param": "currency"})
	}
	pi := &fakeIntent{ID: f.id("pi_fake_"), Amount: amount, Currency: currency, Status: "requires_payment_method",
		CaptureMethod: form.Get("capture_method"), PaymentMethod: form.Get("payment_method"), ReceiptEmail: form.Get("receipt_email"),
		ReturnURL: form.Get("return_url"), Metadata: map[string]string{}}
	if pi.CaptureMethod == "" {
		pi.CaptureMethod = "automatic_async"
	}
	pi.ClientSecret = pi.ID + "_secret_" + f.id("")
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			pi.Metadata[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	if pi.PaymentMethod != "" {
		pi.Status = "requires_confirmation"
	}
	f.intents[pi.ID] = pi
	if form.Get("confirm") != "true" {
		return http.StatusOK, pi.object(expandPM)
	}
	if pi.PaymentMethod == "" {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "payment_intent_unexpected_state",
			"You cannot confirm this PaymentIntent because it's missing a payment method.", nil)
	}
	f.confirm(pi)
	if pi.LastError != nil {
		extra := map[string]any{"payment_intent": pi.object(expandPM), "charge": pi.ChargeID}
		for k, v := range pi.LastError {
			if k != "message" && k != "type" && k != "code" {
				extra[k] = v
			}
		}
		return stripeError(http.StatusPaymentRequired, "card_error", pi.LastError["code"].(string), pi.LastError["message"].(string), extra)
	}
	return http.StatusOK, pi.object(expandPM)
}

// confirm applies the test PaymentMethod's outcome.
func (f *Fake) confirm(pi *fakeIntent) {
	pi.ChargeID = f.id("ch_fake_")
	pi.LastError = nil
	switch pi.PaymentMethod {
	case TestCardDeclined, TestCardInsufficientFunds:
		decline := "generic_decline"
		msg := "Your card was declined."
		if pi.PaymentMethod == TestCardInsufficientFunds {
			decline, msg = "insufficient_funds", "Your card has insufficient funds."
		}
		pi.Status = "requires_payment_method"
		pi.LastError = map[string]any{"type": "card_error", "code": "card_declined", "decline_code": decline, "message": msg}
	case TestCardThreeDS:
		pi.Status, pi.ThreeDS = "requires_action", true
		if pi.ReturnURL != "" {
			pi.NextActionURL = f.URL + "/fake/3ds/" + pi.ID
		}
	default:
		pi.authorized()
	}
}

func (pi *fakeIntent) authorized() {
	if pi.CaptureMethod == "manual" {
		pi.Status, pi.AmountCapturable = "requires_capture", pi.Amount
		return
	}
	pi.Status, pi.AmountReceived = "succeeded", pi.Amount
}

func (f *Fake) capture(pi *fakeIntent, form url.Values, expandPM bool) (int, map[string]any) {
	if pi.Status != "requires_capture" {
		return unexpectedState(pi, "captured")
	}
	amount, ok, err := intParam(form, "amount_to_capture")
	if err != nil {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: "+form.Get("amount_to_capture"), nil)
	}
	if !ok {
		amount = pi.AmountCapturable
	}
	if amount < 1 || amount > pi.AmountCapturable {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "amount_too_large",
			fmt.Sprintf("The amount to capture (%d) is more than the capturable amount (%d).", amount, pi.AmountCapturable), map[string]any{"param": "amount_to_capture"})
	}
	pi.Status, pi.AmountReceived, pi.AmountCapturable = "succeeded", amount, 0
	return http.StatusOK, pi.object(expandPM)
}

func (f *Fake) createRefund(form url.Values) (int, map[string]any) {
	pi, ok := f.intents[form.Get("payment_intent")]
	if !ok {
		return stripeError(http.StatusNotFound, "invalid_request_error", "resource_missing", "No such payment_intent: '"+form.Get("payment_intent")+"'", map[string]any{"param": "payment_intent"})
	}
	if pi.Status != "succeeded" {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "charge_not_refundable", "This PaymentIntent has no successful charge to refund.", nil)
	}
	left := pi.AmountReceived - pi.Refunded
	if left == 0 {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "charge_already_refunded", "Charge "+pi.ChargeID+" has already been refunded.", nil)
	}
	amount, ok, err := intParam(form, "amount")
	if err != nil {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: "+form.Get("amount"), nil)
	}
	if !ok {
		amount = left
	}
	if amount < 1 || amount > left {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "amount_too_large",
			fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d)", amount, left), map[string]any{"param": "amount"})
	}
	pi.Refunded += amount
	re := &fakeRefund{ID: f.id("re_fake_"), PaymentIntent: pi.ID, Charge: pi.ChargeID, Currency: pi.Currency, Status: "succeeded", Amount: amount, Metadata: map[string]string{}}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			re.Metadata[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	f.refunds[re.ID] = re
	return http.StatusOK, re.object()
}

func (re *fakeRefund) object() map[string]any {
	return map[string]any{"id": re.ID, "object": "refund", "amount": re.Amount, "charge": re.Charge, "currency": re.Currency,
		"payment_intent": re.PaymentIntent, "status": re.Status, "metadata": re.Metadata, "created": time.Now().Unix()}
}

func fakeCard(pm string) map[string]any {
	brand, last4 := "visa", "4242"
	switch pm {
	case TestCardMastercard:
		brand, last4 = "mastercard", "4444"
	case TestCardDeclined:
		last4 = "0002"
	case TestCardInsufficientFunds:
		last4 = "9995"
	case TestCardThreeDS:
		last4 = "3220"
	}
	return map[string]any{"brand": brand, "last4": last4, "exp_month": 12, "exp_year": time.Now().Year() + 3, "funding": "credit", "country": "US",
		"fingerprint": "fake" + last4, "checks": map[string]any{"cvc_check": "pass"}}
}

func (pi *fakeIntent) object(expandPM bool) map[string]any {
	o := map[string]any{"id": pi.ID, "object": "payment_intent", "amount": pi.Amount, "amount_capturable": pi.AmountCapturable,
		"amount_received": pi.AmountReceived, "currency": pi.Currency, "status": pi.Status, "capture_method": pi.CaptureMethod,
		"client_secret": pi.ClientSecret, "confirmation_method": "automatic", "livemode": false, "metadata": pi.Metadata,
		"created": time.Now().Unix(), "payment_method_types": []string{"card"}, "next_action": nil, "last_payment_error": nil,
		"latest_charge": nil, "payment_method": nil, "receipt_email": nil, "cancellation_reason": nil}
	if pi.ReceiptEmail != "" {
		o["receipt_email"] = pi.ReceiptEmail
	}
	if pi.CancellationReason != "" {
		o["cancellation_reason"] = pi.CancellationReason
	}
	if pi.ChargeID != "" {
		o["latest_charge"] = pi.ChargeID
	}
	if pi.PaymentMethod != "" {
		o["payment_method"] = pi.PaymentMethod
		if expandPM {
			o["payment_method"] = map[string]any{"id": pi.PaymentMethod, "object": "payment_method", "type": "card", "card": fakeCard(pi.PaymentMethod),
				"billing_details": map[string]any{"email": "jenny@example.com", "name": "Jenny Rosen"}}
		}
	}
	if pi.LastError != nil {
		o["last_payment_error"] = pi.LastError
	}
	if pi.ThreeDS {
		if pi.NextActionURL != "" {
			o["next_action"] = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{"url": pi.NextActionURL, "return_url": pi.ReturnURL}}
		} else {
			o["next_action"] = map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{}}
		}
	}
	return o
}

// threeDSPage is the customer's 3DS step: GET ?outcome=complete|fail
// settles the PaymentIntent and redirects to its return_url with
// payment_intent, payment_intent_client_secret and redirect_status, as
// Stripe does.
func (f *Fake) threeDSPage(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/fake/3ds/")
	outcome := r.URL.Query().Get("outcome")
	if outcome != "complete" && outcome != "fail" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Stripe fake 3DS</title><a id="complete" href="?outcome=complete">Complete</a> <a id="fail" href="?outcome=fail">Fail</a>`)
		return
	}
	if err := f.Complete3DS(id, outcome == "complete"); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	f.mu.Lock()
	pi := f.intents[id]
	target, secret := pi.ReturnURL, pi.ClientSecret
	status := "succeeded"
	if pi.LastError != nil {
		status = "failed"
	}
	f.mu.Unlock()
	u, err := url.Parse(target)
	if err != nil || target == "" {
		http.Error(w, "the PaymentIntent has no return_url", http.StatusBadRequest)
		return
	}
	q := u.Query()
	q.Set("payment_intent", id)
	q.Set("payment_intent_client_secret", secret)
	q.Set("redirect_status", status)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
