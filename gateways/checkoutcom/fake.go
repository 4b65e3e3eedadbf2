package checkoutcom

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Behavior is what the fake does with a payment request's token.
type Behavior string

// The fake's behaviours.
const (
	Approve     Behavior = "approve"   // 201 Authorized, approved, 10000 (with capture:true the payment is then captured in the background: GET shows Captured)
	CaptureNow  Behavior = "captured"  // 201 Captured at once when capture:true was asked (Authorized otherwise)
	Decline     Behavior = "decline"   // 201 Declined, approved:false, 20051 Insufficient Funds
	ThreeDS     Behavior = "3ds"       // 202 Pending with _links.redirect.href = {URL}/3ds/{pay_id}
	Timeout     Behavior = "timeout"   // records an approved payment (and its idempotent answer), then answers only after the timeout delay
	ServerError Behavior = "5xx"       // 502 with a plain-text body; nothing recorded
	Malformed   Behavior = "malformed" // 201 with a body that is not JSON; nothing recorded
)

// The fake's test tokens. Checkout.com itself has no static test tokens
// (they are minted from test cards with POST /tokens); these stand for
// such tokens. Any other token is refused with 422 token_invalid unless
// set with SetToken.
const (
	TokenApproved  = "tok_approved"
	TokenCaptured  = "tok_captured"
	TokenDeclined  = "tok_declined"
	Token3DS       = "tok_3ds"
	TokenTimeout   = "tok_timeout"
	Token5xx       = "tok_5xx"
	TokenMalformed = "tok_malformed"
)

// Request is a request the fake received, headers included.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// FakeAction is a capture, void or refund (or the authorization) of a
// fake payment, as GET /payments/{id}/actions lists it.
type FakeAction struct {
	ID       string `json:"id"`
	Type     string `json:"type"` // Authorization, Capture, Void, Refund
	Amount   int64  `json:"amount"`
	Approved bool   `json:"approved"`
	Code     string `json:"response_code,omitempty"`
	Summary  string `json:"response_summary,omitempty"`
	Ref      string `json:"reference,omitempty"`
}

// FakePayment is a payment the fake holds (amounts in Checkout.com units).
type FakePayment struct {
	ID, Status, Currency, Reference, SessionID string
	Amount, Captured, Refunded                 int64
	Approved, CaptureRequested                 bool
	ResponseCode, ResponseSummary              string
	SourceID, CustomerID, Email                string
	SuccessURL, FailureURL                     string
	Metadata                                   map[string]any
	Actions                                    []FakeAction
}

type answer struct {
	status int
	body   []byte
	ctype  string
}

// Fake is a loopback Checkout.com written from the API documentation, for
// tests (of this package and of others). It serves the unified Payments
// API on 127.0.0.1:
//
//   - Every API call needs "Authorization: Bearer {SecretKey}"; otherwise
//     401 with an empty body. Every request is recorded (Requests), headers
//     included, before that check.
//   - POST /payments with {"source":{"type":"token","token":…},…}: the
//     token picks the behaviour (the Token… constants, or SetToken):
//     tok_approved → 201 Authorized (with capture:true the payment is then
//     captured in the background, so GET shows Captured); tok_captured →
//     201 Captured when capture:true; tok_declined → 201 Declined, 20051
//     Insufficient Funds; tok_3ds → 202 Pending with _links.redirect.href
//     {URL}/3ds/{pay_id}, settled by CompleteChallenge or the page there;
//     tok_timeout → records an approved payment and its answer, then waits
//     for SetTimeoutDelay (default 2 s) or for the client to hang up, so
//     an idempotent retry replays it; tok_5xx → 502; tok_malformed → 201
//     with a non-JSON body. An unknown token, a negative or over-9-digit
//     amount, a bad currency or a BHD/KWD/… amount not ending in 0 → 422
//     {request_id, error_type:"request_invalid", error_codes:[…]}.
//   - Cko-Idempotency-Key: the first 2xx answer to a key is saved and
//     replayed to any request with that key (with the original status, or
//     the one set by SetReplayStatus); 4xx and 5xx answers are not saved.
//     (Requests are answered one at a time, so the 409 Checkout.com gives
//     a duplicate in flight is only had with RespondNext.)
//   - GET /payments/{id} (or /payments/{sid_…} after a challenge) answers
//     the payment's current state, with balances and _links; GET
//     /payments/{id}/actions lists its actions.
//   - POST /payments/{id}/captures|voids|refunds answer 202 {action_id,
//     reference, _links}; an omitted amount means the whole balance.
//     Capturing or refunding more than is available → 422 with
//     error_codes ["amount_exceeds_balance"]; an action the payment's
//     state does not allow (capturing a voided payment, voiding a captured
//     one, refunding nothing captured) → 403 with an empty body; an unknown
//     payment → 404.
//   - SetAuthorizeDelay slows payment requests down (answered after their
//     idempotent answer is saved); Authorizations, Charges and Calls count
//     what was asked and what was charged.
//   - RespondNext queues canned answers (e.g. 409, 429, a 201 with a
//     chosen body) given before anything else is looked at.
//   - POST /hosted-payments opens a Hosted Payments Page (fake_hosted.go):
//     201 {id: hpp_…, reference, _links.redirect.href {URL}/hpp/{id}};
//     GET /hosted-payments/{id} answers its status (Payment Pending,
//     Payment Received, Expired), payment_id and metadata. The page at
//     {URL}/hpp/{id} (or PayHosted) pays on it: the payment carries the
//     page's reference and metadata, and the customer is sent to the
//     success (or failure) URL with ?cko-payment-id=pay_…, or to the
//     cancel URL.
//   - SignWebhook, WebhookBody and SendWebhook make signed webhooks.
type Fake struct {
	URL       string
	SecretKey string

	srv            *httptest.Server
	mu             sync.Mutex
	payments       map[string]*FakePayment
	hosted         map[string]*FakeHostedPage
	sessions       map[string]string // sid → payment id
	saved          map[string]answer // idempotency key → first 2xx answer
	tokens         map[string]Behavior
	delay          time.Duration
	authDelay      time.Duration
	authDelayLeft  int
	authorizations int
	replayStatus   int
	next           []answer
	requests       []Request
	requestCounter int
}

// NewFake starts a fake on a loopback port. Close it when done.
func NewFake() *Fake {
	f := &Fake{
		SecretKey: "sk_sbox_" + fakeID(""),
		payments:  map[string]*FakePayment{}, hosted: map[string]*FakeHostedPage{}, sessions: map[string]string{}, saved: map[string]answer{},
		tokens: map[string]Behavior{TokenApproved: Approve, TokenCaptured: CaptureNow, TokenDeclined: Decline, Token3DS: ThreeDS,
			TokenTimeout: Timeout, Token5xx: ServerError, TokenMalformed: Malformed},
		delay: 2 * time.Second,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// Close stops the fake.
func (f *Fake) Close() { f.srv.Close() }

// SetToken makes a token behave as b.
func (f *Fake) SetToken(token string, b Behavior) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = b
}

// SetTimeoutDelay sets how long the Timeout behaviour waits before it
// answers (keep it above the client's timeout).
func (f *Fake) SetTimeoutDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// SetAuthorizeDelay makes the next n payment requests (POST /payments; n
// < 0: every one) that are not idempotent replays wait d before they
// answer, or until the client hangs up. The payment and its idempotent
// answer are recorded first, as for the Timeout behaviour, so concurrent
// requests overlap and a retry with the same Cko-Idempotency-Key during
// the wait, or after the client died, replays it.
func (f *Fake) SetAuthorizeDelay(d time.Duration, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authDelay, f.authDelayLeft = d, n
}

// Authorizations counts the payment requests (POST /payments) received
// with the right secret key, idempotent replays included.
func (f *Fake) Authorizations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authorizations
}

// Charges counts the payments the fake created: distinct charges, which
// idempotent replays do not add to.
func (f *Fake) Charges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payments)
}

// Calls counts the requests received with method and path.
func (f *Fake) Calls(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// SetReplayStatus makes idempotent replays answer with this status (0:
// the original one). Checkout.com's support notes describe replays of
// processed payments as 202.
func (f *Fake) SetReplayStatus(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replayStatus = status
}

// RespondNext queues a canned answer for the next request (JSON content
// type when the body looks like JSON).
func (f *Fake) RespondNext(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ctype := "text/plain; charset=utf-8"
	if json.Valid([]byte(body)) {
		ctype = "application/json"
	}
	f.next = append(f.next, answer{status: status, body: []byte(body), ctype: ctype})
}

// Requests returns the requests received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, len(f.requests))
	copy(out, f.requests)
	return out
}

// Payment returns a copy of a payment the fake holds.
func (f *Fake) Payment(id string) (FakePayment, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.payments[id]
	if !ok {
		return FakePayment{}, false
	}
	c := *p
	c.Actions = append([]FakeAction(nil), p.Actions...)
	return c, true
}

// CompleteChallenge settles a payment waiting for 3DS as if the customer
// passed (ok) or failed the challenge, and returns the session id
// (sid_…) Checkout.com puts on the return URL; "" for an unknown payment.
func (f *Fake) CompleteChallenge(paymentID string, ok bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, found := f.payments[paymentID]
	if !found {
		return ""
	}
	return f.settleChallenge(p, ok)
}

func (f *Fake) settleChallenge(p *FakePayment, ok bool) string {
	if p.Status == "Pending" {
		if ok {
			f.approve(p, p.CaptureRequested)
		} else {
			p.Status, p.Approved = "Declined", false
			p.ResponseCode, p.ResponseSummary = "", ""
			p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Authorization", Amount: p.Amount})
		}
	}
	if p.SessionID == "" {
		p.SessionID = fakeID("sid_")
		f.sessions[p.SessionID] = p.ID
	}
	return p.SessionID
}

// SignWebhook is the Cko-Signature of a webhook body.
func (f *Fake) SignWebhook(secret string, body []byte) string { return Sign(secret, body) }

// WebhookBody builds a Checkout.com event of a type about a payment, from
// its latest action of the matching kind (payment_captured → Capture…).
func (f *Fake) WebhookBody(eventType, paymentID string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	kind := map[string]string{"payment_approved": "Authorization", "payment_declined": "Authorization", "payment_captured": "Capture",
		"payment_capture_declined": "Capture", "payment_voided": "Void", "payment_void_declined": "Void",
		"payment_refunded": "Refund", "payment_refund_declined": "Refund"}[eventType]
	data := map[string]any{"id": paymentID}
	if p, ok := f.payments[paymentID]; ok {
		data["currency"], data["reference"], data["amount"] = p.Currency, p.Reference, p.Amount
		data["balances"] = p.balances()
		if p.Metadata != nil {
			data["metadata"] = p.Metadata
		}
		for i := len(p.Actions) - 1; i >= 0; i-- {
			if a := p.Actions[i]; a.Type == kind {
				data["action_id"], data["amount"] = a.ID, a.Amount
				if a.Code != "" {
					data["response_code"], data["response_summary"] = a.Code, a.Summary
				}
				break
			}
		}
	}
	b, _ := json.Marshal(map[string]any{"id": fakeID("evt_"), "type": eventType, "version": "1.0.29",
		"created_on": time.Now().UTC().Format(time.RFC3339Nano), "data": data})
	return b
}

// SendWebhook POSTs a webhook body to target, signed with secret.
func (f *Fake) SendWebhook(target, secret string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(secret, body))
	return http.DefaultClient.Do(req)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func fakeID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + strings.ToLower(idEncoding.EncodeToString(b))[:26]
}

func (p *FakePayment) balances() map[string]any {
	auth := int64(0)
	if p.Approved {
		auth = p.Amount
	}
	voided, toCapture, toVoid := int64(0), int64(0), int64(0)
	switch p.Status {
	case "Voided":
		voided = auth - p.Captured
	case "Authorized", "Partially Captured":
		toCapture, toVoid = auth-p.Captured, auth-p.Captured
	}
	return map[string]any{"total_authorized": auth, "total_voided": voided, "available_to_void": toVoid,
		"total_captured": p.Captured, "available_to_capture": toCapture, "total_refunded": p.Refunded,
		"available_to_refund": p.Captured - p.Refunded}
}

func (f *Fake) paymentJSON(p *FakePayment) map[string]any {
	self := f.URL + "/payments/" + p.ID
	links := map[string]any{"self": map[string]string{"href": self}, "actions": map[string]string{"href": self + "/actions"}}
	m := map[string]any{"id": p.ID, "amount": p.Amount, "currency": p.Currency, "reference": p.Reference, "status": p.Status,
		"approved": p.Approved, "payment_type": "Regular", "requested_on": time.Now().UTC().Format(time.RFC3339),
		"customer": map[string]any{"id": p.CustomerID, "email": p.Email}, "balances": p.balances(), "_links": links,
		"3ds": map[string]any{"downgraded": false, "enrolled": "Y"}}
	if len(p.Actions) > 0 && p.Actions[0].Type == "Authorization" {
		m["action_id"] = p.Actions[0].ID
	}
	if p.ResponseCode != "" {
		m["response_code"], m["response_summary"] = p.ResponseCode, p.ResponseSummary
	}
	if p.Metadata != nil {
		m["metadata"] = p.Metadata
	}
	if p.Status == "Pending" {
		links["redirect"] = map[string]string{"href": f.URL + "/3ds/" + p.ID}
		delete(m, "approved")
	} else {
		m["source"] = map[string]any{"type": "card", "id": p.SourceID, "scheme": "Visa", "card_type": "CREDIT", "card_category": "CONSUMER",
			"last4": "4242", "bin": "424242", "expiry_month": 12, "expiry_year": 2030, "issuer": "Kasse Test Bank", "issuer_country": "GB",
			"fingerprint": "F639CAB2745BEE4140BF86DF6B6D6E255C5945AAC3788D923FA047EA4C208622"}
	}
	b := p.balances()
	if b["available_to_capture"].(int64) > 0 {
		links["capture"] = map[string]string{"href": self + "/captures"}
	}
	if b["available_to_void"].(int64) > 0 {
		links["void"] = map[string]string{"href": self + "/voids"}
	}
	if b["available_to_refund"].(int64) > 0 {
		links["refund"] = map[string]string{"href": self + "/refunds"}
	}
	return m
}

// approve authorizes a payment (and captures it when asked).
func (f *Fake) approve(p *FakePayment, capture bool) {
	p.Approved, p.Status, p.ResponseCode, p.ResponseSummary = true, "Authorized", "10000", "Approved"
	if p.Amount == 0 {
		p.Status = "Card Verified"
	}
	p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Authorization", Amount: p.Amount, Approved: true, Code: "10000", Summary: "Approved"})
	if capture && p.Amount > 0 {
		p.Captured, p.Status = p.Amount, "Captured"
		p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Capture", Amount: p.Amount, Approved: true, Code: "10000", Summary: "Approved"})
	}
}

func jsonAnswer(status int, v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: status, body: b, ctype: "application/json"}
}

func (f *Fake) invalid(status int, codes ...string) answer {
	f.requestCounter++
	return jsonAnswer(status, map[string]any{"request_id": fmt.Sprintf("req_fake_%d", f.requestCounter), "error_type": "request_invalid", "error_codes": codes})
}

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	actionRE   = regexp.MustCompile(`^/payments/([^/]+)/(captures|voids|refunds|actions)$`)
	paymentRE  = regexp.MustCompile(`^/payments/([^/]+)$`)
)

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	if strings.HasPrefix(r.URL.Path, "/3ds/") {
		f.mu.Unlock()
		f.challenge(w, r, body)
		return
	}
	if strings.HasPrefix(r.URL.Path, hostedPagePath) {
		f.mu.Unlock()
		f.hostedPage(w, r, body)
		return
	}
	if len(f.next) > 0 {
		a := f.next[0]
		f.next = f.next[1:]
		f.mu.Unlock()
		write(w, a)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.SecretKey {
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet {
		a := f.get(r.URL.Path)
		f.mu.Unlock()
		write(w, a)
		return
	}
	if r.Method != http.MethodPost {
		f.mu.Unlock()
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/payments" {
		f.authorizations++
	}
	key := r.Header.Get(IdempotencyHeader)
	if key != "" {
		if a, ok := f.saved[key]; ok {
			if f.replayStatus != 0 {
				a.status = f.replayStatus
			}
			f.mu.Unlock()
			write(w, a)
			return
		}
	}
	var a answer
	var wait time.Duration
	if r.URL.Path == "/payments" {
		a, wait = f.create(body)
		if f.authDelayLeft != 0 && a.status >= 200 && a.status < 300 {
			wait = max(wait, f.authDelay)
			if f.authDelayLeft > 0 {
				f.authDelayLeft--
			}
		}
	} else if r.URL.Path == "/hosted-payments" {
		a = f.createHosted(body)
	} else if m := actionRE.FindStringSubmatch(r.URL.Path); m != nil && m[2] != "actions" {
		a = f.act(m[1], m[2], body)
	} else {
		a = answer{status: http.StatusNotFound}
	}
	if key != "" && a.status >= 200 && a.status < 300 && a.ctype == "application/json" {
		f.saved[key] = a
	}
	f.mu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	write(w, a)
}

func write(w http.ResponseWriter, a answer) {
	if a.ctype != "" {
		w.Header().Set("Content-Type", a.ctype)
	}
	w.Header().Set(RequestIDHeader, fakeID("req_"))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// get answers GET /payments/{id|sid} and /payments/{id}/actions.
func (f *Fake) get(path string) answer {
	if m := actionRE.FindStringSubmatch(path); m != nil && m[2] == "actions" {
		p, ok := f.payments[m[1]]
		if !ok {
			return answer{status: http.StatusNotFound}
		}
		return jsonAnswer(http.StatusOK, p.Actions)
	}
	if m := hostedRE.FindStringSubmatch(path); m != nil {
		return f.getHosted(m[1])
	}
	m := paymentRE.FindStringSubmatch(path)
	if m == nil {
		return answer{status: http.StatusNotFound}
	}
	id := m[1]
	if pid, ok := f.sessions[id]; ok {
		id = pid
	}
	p, ok := f.payments[id]
	if !ok {
		return answer{status: http.StatusNotFound}
	}
	return jsonAnswer(http.StatusOK, f.paymentJSON(p))
}

// create answers POST /payments.
func (f *Fake) create(body []byte) (answer, time.Duration) {
	var req struct {
		Source struct {
			Type  string `json:"type"`
			Token string `json:"token"`
		} `json:"source"`
		Amount     *int64 `json:"amount"`
		Currency   string `json:"currency"`
		Reference  string `json:"reference"`
		Capture    *bool  `json:"capture"`
		SuccessURL string `json:"success_url"`
		FailureURL string `json:"failure_url"`
		Customer   struct {
			Email string `json:"email"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return f.invalid(http.StatusUnprocessableEntity, "request_body_malformed"), 0
	}
	var codes []string
	if req.Source.Type != "token" || req.Source.Token == "" {
		codes = append(codes, "token_required")
	}
	if !currencyRE.MatchString(req.Currency) {
		codes = append(codes, "currency_invalid")
	}
	amount := int64(0)
	if req.Amount != nil {
		amount = *req.Amount
	}
	if amount < 0 || amount > maxAmount || (thousands[req.Currency] && amount%10 != 0) {
		codes = append(codes, "amount_invalid")
	}
	behavior, known := f.tokens[req.Source.Token]
	if len(codes) == 0 && !known {
		codes = append(codes, "token_invalid")
	}
	if len(codes) > 0 {
		return f.invalid(http.StatusUnprocessableEntity, codes...), 0
	}
	switch behavior {
	case ServerError:
		return answer{status: http.StatusBadGateway, body: []byte("Bad Gateway"), ctype: "text/plain; charset=utf-8"}, 0
	case Malformed:
		return answer{status: http.StatusCreated, body: []byte("<html><body>upstream said something odd</body></html>"), ctype: "text/html"}, 0
	}
	capture := req.Capture == nil || *req.Capture // Checkout.com's default is true
	p := &FakePayment{ID: fakeID("pay_"), Currency: req.Currency, Reference: req.Reference, Amount: amount, CaptureRequested: capture,
		SourceID: fakeID("src_"), CustomerID: fakeID("cus_"), Email: req.Customer.Email, SuccessURL: req.SuccessURL, FailureURL: req.FailureURL}
	f.payments[p.ID] = p
	switch behavior {
	case Decline:
		p.Status, p.ResponseCode, p.ResponseSummary = "Declined", "20051", "Insufficient Funds"
		p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Authorization", Amount: amount, Code: "20051", Summary: "Insufficient Funds"})
		return jsonAnswer(http.StatusCreated, f.paymentJSON(p)), 0
	case ThreeDS:
		p.Status = "Pending"
		return jsonAnswer(http.StatusAccepted, f.paymentJSON(p)), 0
	case CaptureNow:
		f.approve(p, capture)
		return jsonAnswer(http.StatusCreated, f.paymentJSON(p)), 0
	}
	// Approve, Timeout: the answer says Authorized; a requested capture
	// happens afterwards, as Checkout.com does it.
	f.approve(p, false)
	a := jsonAnswer(http.StatusCreated, f.paymentJSON(p))
	if capture && amount > 0 {
		p.Captured, p.Status = p.Amount, "Captured"
		p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Capture", Amount: p.Amount, Approved: true, Code: "10000", Summary: "Approved"})
	}
	if behavior == Timeout {
		return a, f.delay
	}
	return a, 0
}

// act answers POST /payments/{id}/captures|voids|refunds.
func (f *Fake) act(id, kind string, body []byte) answer {
	p, ok := f.payments[id]
	if !ok {
		return answer{status: http.StatusNotFound}
	}
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return f.invalid(http.StatusUnprocessableEntity, "request_body_malformed")
		}
	}
	forbidden := answer{status: http.StatusForbidden}
	var available int64
	switch kind {
	case "captures":
		if !p.Approved || (p.Status != "Authorized" && p.Status != "Partially Captured") {
			return forbidden
		}
		available = p.Amount - p.Captured
	case "voids":
		if !p.Approved || (p.Status != "Authorized" && p.Status != "Partially Captured") {
			return forbidden
		}
	case "refunds":
		available = p.Captured - p.Refunded
		if available <= 0 {
			return forbidden
		}
	}
	amount := available
	if req.Amount != nil && kind != "voids" {
		amount = *req.Amount
		if amount <= 0 || (thousands[p.Currency] && amount%10 != 0) {
			return f.invalid(http.StatusUnprocessableEntity, "amount_invalid")
		}
		if amount > available {
			return f.invalid(http.StatusUnprocessableEntity, "amount_exceeds_balance")
		}
	}
	act := FakeAction{ID: fakeID("act_"), Amount: amount, Approved: true, Code: "10000", Summary: "Approved", Ref: req.Reference}
	switch kind {
	case "captures":
		act.Type = "Capture"
		p.Captured += amount
		p.Status = "Partially Captured"
		if p.Captured == p.Amount {
			p.Status = "Captured"
		}
	case "voids":
		act.Type, act.Amount = "Void", p.Amount-p.Captured
		p.Status = "Voided"
	case "refunds":
		act.Type = "Refund"
		p.Refunded += amount
		p.Status = "Partially Refunded"
		if p.Refunded == p.Captured {
			p.Status = "Refunded"
		}
	}
	p.Actions = append(p.Actions, act)
	return jsonAnswer(http.StatusAccepted, map[string]any{"action_id": act.ID, "reference": req.Reference,
		"_links": map[string]any{"payment": map[string]string{"href": f.URL + "/payments/" + p.ID}}})
}

var challengePage = template.Must(template.New("3ds").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout.com fake: 3-D Secure</title></head>
<body><h1>3-D Secure challenge</h1><p>Confirm a payment of {{.Amount}} {{.Currency}}.</p>
<form method="post"><button name="outcome" value="complete" id="complete">Complete</button><button name="outcome" value="fail" id="fail">Fail</button></form>
</body></html>`))

// challenge serves {URL}/3ds/{pay_id}: GET shows the page, POST
// outcome=complete|fail settles the payment and redirects (303) to its
// success or failure URL with ?cko-session-id=sid_….
func (f *Fake) challenge(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.TrimPrefix(r.URL.Path, "/3ds/")
	f.mu.Lock()
	p, ok := f.payments[id]
	var snapshot FakePayment
	if ok {
		snapshot = *p
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = challengePage.Execute(w, snapshot)
	case http.MethodPost:
		form, _ := url.ParseQuery(string(body))
		outcome := form.Get("outcome")
		if outcome != "complete" && outcome != "fail" {
			http.Error(w, "outcome must be complete or fail", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		sid := f.settleChallenge(p, outcome == "complete")
		target := p.FailureURL
		if p.Approved {
			target = p.SuccessURL
		}
		f.mu.Unlock()
		u, err := url.Parse(target)
		if err != nil || target == "" {
			http.Error(w, "the payment has no return URL", http.StatusBadRequest)
			return
		}
		q := u.Query()
		q.Set("cko-session-id", sid)
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
