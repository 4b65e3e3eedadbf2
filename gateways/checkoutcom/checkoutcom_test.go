package checkoutcom

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kasse/models"
)

const webhookSecret = "whsec_fake_signing_key_0123456789"

// setup starts a fake and a client with a short timeout.
func setup(t *testing.T) (*Fake, *Client) {
	t.Helper()
	f := NewFake()
	t.Cleanup(f.Close)
	return f, New(f.URL, f.SecretKey, webhookSecret, &http.Client{Timeout: 200 * time.Millisecond})
}

func authReq(token, key string, capture bool) models.AuthorizeRequest {
	return models.AuthorizeRequest{Token: token, AmountCents: 1000, Currency: "EUR", Reference: "1001", SuccessURL: "https://shop.test/ok",
		FailureURL: "https://shop.test/fail", Capture: capture, CustomerEmail: "ada@example.test", IdempotencyKey: key}
}

func providerError(t *testing.T, err error) *models.ProviderError {
	t.Helper()
	var pe *models.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("want a *models.ProviderError, got %T %v", err, err)
	}
	return pe
}

// noSecrets fails when a message carries the secret key or a token.
func noSecrets(t *testing.T, f *Fake, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append([]string{f.SecretKey, webhookSecret}, extra...) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

// posts returns the POSTs the fake received.
func posts(f *Fake) []Request {
	var out []Request
	for _, r := range f.Requests() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/payments") {
			out = append(out, r)
		}
	}
	return out
}

func TestAuthorize(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		capture   bool
		outcome   models.Outcome
		captured  bool
		status    string
		code, msg string
		temporary bool // an error is expected: is it temporary?
		errCode   string
	}{
		{name: "approved", token: TokenApproved, outcome: models.Approved, status: "Authorized", code: "10000", msg: "Approved"},
		{name: "approved with capture asked: captured later, not now", token: TokenApproved, capture: true, outcome: models.Approved, status: "Authorized", code: "10000", msg: "Approved"},
		{name: "captured at once", token: TokenCaptured, capture: true, outcome: models.Approved, captured: true, status: "Captured", code: "10000", msg: "Approved"},
		{name: "declined", token: TokenDeclined, outcome: models.Declined, status: "Declined", code: "20051", msg: "Insufficient Funds"},
		{name: "3ds", token: Token3DS, outcome: models.RequiresAction, status: "Pending"},
		{name: "5xx", token: Token5xx, temporary: true, errCode: "provider_unavailable"},
		{name: "malformed body", token: TokenMalformed, temporary: true, errCode: "malformed_response"},
		{name: "unknown token", token: "tok_nobody_knows", errCode: "request_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			key := "kasse_ps1_authorize"
			res, err := c.Authorize(context.Background(), authReq(tc.token, key, tc.capture))
			reqs := posts(f)
			if len(reqs) != 1 {
				t.Fatalf("want 1 POST, got %d", len(reqs))
			}
			r := reqs[0]
			if got := r.Header.Get(IdempotencyHeader); got != key {
				t.Errorf("Cko-Idempotency-Key = %q, want %q", got, key)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+f.SecretKey {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			var sent map[string]any
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
			if sent["capture"] != tc.capture || sent["amount"] != 1000.0 || sent["currency"] != "EUR" || sent["reference"] != "1001" ||
				sent["success_url"] != "https://shop.test/ok" || sent["failure_url"] != "https://shop.test/fail" {
				t.Errorf("request body %s", r.Body)
			}
			if src := sent["source"].(map[string]any); src["type"] != "token" || src["token"] != tc.token {
				t.Errorf("source %v", src)
			}
			if tds := sent["3ds"].(map[string]any); tds["enabled"] != true {
				t.Errorf("3ds %v", tds)
			}
			if cus := sent["customer"].(map[string]any); cus["email"] != "ada@example.test" {
				t.Errorf("customer %v", cus)
			}

			if tc.errCode != "" {
				pe := providerError(t, err)
				if pe.Temporary != tc.temporary || pe.Code != tc.errCode {
					t.Fatalf("error %+v, want temporary=%v code=%s", pe, tc.temporary, tc.errCode)
				}
				noSecrets(t, f, err, tc.token)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome || res.Captured != tc.captured || res.Status != tc.status || res.ResponseCode != tc.code || res.Message != tc.msg {
				t.Fatalf("result %+v", res)
			}
			if !strings.HasPrefix(res.PaymentID, "pay_") || !strings.HasPrefix(res.CustomerID, "cus_") {
				t.Errorf("ids %q %q", res.PaymentID, res.CustomerID)
			}
			if tc.outcome == models.RequiresAction {
				if want := f.URL + "/3ds/" + res.PaymentID; res.RedirectURL != want {
					t.Errorf("redirect %q, want %q", res.RedirectURL, want)
				}
				return
			}
			if !strings.HasPrefix(res.ActionID, "act_") || !strings.HasPrefix(res.SourceID, "src_") {
				t.Errorf("action %q source %q", res.ActionID, res.SourceID)
			}
			if res.Instrument["last4"] != "4242" || res.Instrument["scheme"] != "Visa" || res.Instrument["issuer"] != "Kasse Test Bank" ||
				res.Instrument["expiry_year"] == nil || res.Instrument["bin"] != nil {
				t.Errorf("instrument %v", res.Instrument)
			}
			if res.Raw["id"] != res.PaymentID || res.Raw["status"] != tc.status || res.Raw["_links"] == nil || res.Raw["response_code"] != tc.code {
				t.Errorf("raw %v", res.Raw)
			}
			raw, _ := json.Marshal(res.Raw)
			if strings.Contains(string(raw), "424242") || strings.Contains(string(raw), tc.token) {
				t.Errorf("raw keeps the BIN or the token: %s", raw)
			}
		})
	}
}

func TestAuthorizeAmounts(t *testing.T) {
	tests := []struct {
		currency string
		amount   int64
		sent     float64 // 0: refused before any call
	}{
		{"EUR", 1050, 1050},
		{"JPY", 500, 500},
		{"XOF", 5000, 5000},
		{"CLP", 1000, 100000}, // ISO exponent 0, Checkout.com hundredths
		{"KWD", 1230, 1230},
		{"KWD", 1235, 0}, // thousandths must end in 0
		{"CLF", 12300, 123},
		{"CLF", 12345, 0},
		{"XXQ", 100, 0},
		{"USD", 1_000_000_000, 0}, // over 9 digits
		{"USD", -5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.currency, func(t *testing.T) {
			f, c := setup(t)
			req := authReq(TokenApproved, "k", false)
			req.Currency, req.AmountCents = tc.currency, tc.amount
			_, err := c.Authorize(context.Background(), req)
			if tc.sent == 0 {
				if pe := providerError(t, err); pe.Temporary {
					t.Fatalf("want a refusal, got %+v", pe)
				}
				if n := len(f.Requests()); n != 0 {
					t.Fatalf("%d requests sent for an amount Checkout.com cannot take", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var sent map[string]any
			_ = json.Unmarshal(posts(f)[0].Body, &sent)
			if sent["amount"] != tc.sent {
				t.Fatalf("sent amount %v, want %v", sent["amount"], tc.sent)
			}
			if back := fromProvider(int64(tc.sent), tc.currency); back != tc.amount {
				t.Fatalf("fromProvider(%v) = %d, want %d", tc.sent, back, tc.amount)
			}
		})
	}
}

func TestThreeDS(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		capture bool
		outcome models.Outcome
		status  string
	}{
		{"challenge passed", true, false, models.Approved, "Authorized"},
		{"challenge passed, capture asked", true, true, models.Approved, "Captured"},
		{"challenge failed", false, false, models.Declined, "Declined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			ctx := context.Background()
			res, err := c.Authorize(ctx, authReq(Token3DS, "k3", tc.capture))
			if err != nil || res.Outcome != models.RequiresAction || res.RedirectURL == "" {
				t.Fatalf("%+v %v", res, err)
			}
			pending, err := c.Details(ctx, res.PaymentID, "")
			if err != nil || pending.Outcome != models.RequiresAction || pending.RedirectURL != res.RedirectURL {
				t.Fatalf("before the challenge: %+v %v", pending, err)
			}
			sid := f.CompleteChallenge(res.PaymentID, tc.ok)
			if !strings.HasPrefix(sid, "sid_") {
				t.Fatalf("session id %q", sid)
			}
			for _, by := range []struct{ pay, sid string }{{"", sid}, {res.PaymentID, ""}} {
				got, err := c.Details(ctx, by.pay, by.sid)
				if err != nil {
					t.Fatal(err)
				}
				if got.Outcome != tc.outcome || got.Status != tc.status || got.PaymentID != res.PaymentID || got.Captured != (tc.status == "Captured") {
					t.Fatalf("details by %+v: %+v", by, got)
				}
			}
			last := f.Requests()[len(f.Requests())-1]
			if last.Method != http.MethodGet || last.Header.Get("Authorization") != "Bearer "+f.SecretKey {
				t.Fatalf("details request %+v", last)
			}
		})
	}
}

func TestChallengePageRedirectsWithSession(t *testing.T) {
	_, c := setup(t)
	res, err := c.Authorize(context.Background(), authReq(Token3DS, "k", false))
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(res.RedirectURL, url.Values{"outcome": {"complete"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "shop.test" || loc.Path != "/ok" {
		t.Fatalf("%d %s", resp.StatusCode, loc)
	}
	got, err := c.Details(context.Background(), "", loc.Query().Get("cko-session-id"))
	if err != nil || got.Outcome != models.Approved {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestTimeoutThenIdempotentReplay(t *testing.T) {
	for _, replayStatus := range []int{0, http.StatusAccepted} {
		t.Run(http.StatusText(replayStatus), func(t *testing.T) {
			f, c := setup(t)
			f.SetReplayStatus(replayStatus)
			ctx := context.Background()
			key := "kasse_ps9_authorize"
			start := time.Now()
			_, err := c.Authorize(ctx, authReq(TokenTimeout, key, false))
			pe := providerError(t, err)
			if !pe.Temporary || pe.Code != "timeout" {
				t.Fatalf("want a temporary timeout, got %+v", pe)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("the client waited %s: its timeout is 200ms", d)
			}
			noSecrets(t, f, err, TokenTimeout)
			res, err := c.Authorize(ctx, authReq(TokenTimeout, key, false))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != models.Approved || res.Status != "Authorized" {
				t.Fatalf("replay %+v", res)
			}
			if _, ok := f.Payment(res.PaymentID); !ok {
				t.Fatal("the replay names a payment the provider does not hold")
			}
			ps := posts(f)
			if len(ps) != 2 || ps[0].Header.Get(IdempotencyHeader) != key || ps[1].Header.Get(IdempotencyHeader) != key {
				t.Fatalf("posts %+v", ps)
			}
		})
	}
}

func TestCallerContext(t *testing.T) {
	f, c := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Authorize(ctx, authReq(TokenApproved, "k", false))
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "canceled" {
		t.Fatalf("%+v", pe)
	}
	f.SetTimeoutDelay(5 * time.Second)
	slow := New(f.URL, f.SecretKey, webhookSecret, &http.Client{}) // no client timeout: the ctx bounds it
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = slow.Authorize(ctx, authReq(TokenTimeout, "k2", false))
	if pe := providerError(t, err); !pe.Temporary || pe.Code != "timeout" {
		t.Fatalf("%+v", pe)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		temporary bool
		code      string
		inMessage string
	}{
		{"422 validation", 422, `{"request_id":"req_1","error_type":"request_invalid","error_codes":["reference_required","amount_invalid"]}`, false, "request_invalid", "reference_required, amount_invalid (request_id req_1)"},
		{"403", 403, ``, false, "action_not_allowed", "HTTP 403"},
		{"404", 404, ``, false, "not_found", "HTTP 404"},
		{"409 idempotency key in flight", 409, `{"request_id":"req_2","error_type":"request_invalid","error_codes":["idempotency_key_in_use"]}`, true, "request_invalid", "idempotency_key_in_use"},
		{"429", 429, ``, true, "too_many_requests", "HTTP 429"},
		{"500", 500, `{"request_id":"req_3"}`, true, "provider_unavailable", "req_3"},
		{"503 html", 503, `<html>down</html>`, true, "provider_unavailable", "HTTP 503"},
		{"201 not json", 201, `not json`, true, "malformed_response", ""},
		{"201 empty object", 201, `{}`, true, "malformed_response", ""},
		{"201 array", 201, `[1,2]`, true, "malformed_response", ""},
		{"201 no status", 201, `{"id":"pay_x"}`, true, "malformed_response", ""},
		{"redirect status", 302, ``, true, "http_302", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			f.RespondNext(tc.status, tc.body)
			_, err := c.Authorize(context.Background(), authReq(TokenApproved, "k", false))
			pe := providerError(t, err)
			if pe.Temporary != tc.temporary || pe.Code != tc.code || !strings.Contains(pe.Message, tc.inMessage) {
				t.Fatalf("%+v, want temporary=%v code=%s message with %q", pe, tc.temporary, tc.code, tc.inMessage)
			}
			if n := len(posts(f)); n != 1 {
				t.Fatalf("a POST must not be retried by the client: %d sent", n)
			}
			noSecrets(t, f, err, TokenApproved)
		})
	}
}

func TestUnauthorized(t *testing.T) {
	f, _ := setup(t)
	wrong := "sk_sbox_not_the_right_key"
	c := New(f.URL, wrong, webhookSecret, &http.Client{Timeout: 200 * time.Millisecond})
	_, err := c.Authorize(context.Background(), authReq(TokenApproved, "k", false))
	pe := providerError(t, err)
	if pe.Temporary || pe.Code != "unauthorized" {
		t.Fatalf("%+v", pe)
	}
	noSecrets(t, f, err, wrong, TokenApproved)
	_, err = c.Details(context.Background(), "pay_x", "")
	if pe := providerError(t, err); pe.Temporary || pe.Code != "unauthorized" {
		t.Fatalf("%+v", pe)
	}
	noSecrets(t, f, err, wrong)
	if n := len(f.Requests()); n != 2 {
		t.Fatalf("a refusal is not retried: %d requests", n)
	}
	_, err = New(f.URL, "", webhookSecret, nil).Authorize(context.Background(), authReq(TokenApproved, "k", false))
	if pe := providerError(t, err); pe.Temporary || pe.Code != "configuration" {
		t.Fatalf("no secret key: %+v", pe)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	f, c := setup(t)
	token := "tok_live_abcdefghijklmnop"
	f.SetToken(token, Approve)
	echo := `{"request_id":"req_e","error_type":"request_invalid","error_codes":["token ` + token + ` refused","key ` + f.SecretKey + `"]}`
	for _, status := range []int{422, 502} {
		f.RespondNext(status, echo)
		_, err := c.Authorize(context.Background(), authReq(token, "k", false))
		if err == nil || !strings.Contains(err.Error(), "[redacted]") {
			t.Fatalf("%d: %v", status, err)
		}
		noSecrets(t, f, err, token)
	}
	// A body that echoes the token keeps it out of Raw too.
	f.RespondNext(201, `{"id":"pay_1","status":"Authorized","approved":true,"token":"`+token+`","client_secret":"cs_1",
		"source":{"id":"src_1","last4":"4242","bin":"424242","number":"4242424242424242","scheme":"Visa"},"note":"paid with `+token+`"}`)
	res, err := c.Authorize(context.Background(), authReq(token, "k2", false))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.Raw)
	for _, bad := range []string{token, "cs_1", "424242", `"number"`, `"bin"`} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("raw keeps %s: %s", bad, raw)
		}
	}
	if res.Raw["status"] != "Authorized" || res.Raw["id"] != "pay_1" || res.Instrument["last4"] != "4242" || res.Instrument["bin"] != nil {
		t.Errorf("raw %s, instrument %v", raw, res.Instrument)
	}
}

func TestDetailsRetriesOnce(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		wantErr  bool
		gets     int
	}{
		{"one 502 then the payment", 1, false, 2},
		{"two 502: gives up", 2, true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			res, err := c.Authorize(context.Background(), authReq(TokenApproved, "k", false))
			if err != nil {
				t.Fatal(err)
			}
			for range tc.failures {
				f.RespondNext(502, "Bad Gateway")
			}
			got, err := c.Details(context.Background(), res.PaymentID, "")
			if tc.wantErr {
				if pe := providerError(t, err); !pe.Temporary {
					t.Fatalf("%+v", pe)
				}
			} else if err != nil || got.Outcome != models.Approved {
				t.Fatalf("%+v %v", got, err)
			}
			gets := 0
			for _, r := range f.Requests() {
				if r.Method == http.MethodGet {
					gets++
				}
			}
			if gets != tc.gets {
				t.Fatalf("%d GETs, want %d", gets, tc.gets)
			}
		})
	}
	_, c := setup(t)
	if _, err := c.Details(context.Background(), "pay_unknown", ""); providerError(t, err).Temporary {
		t.Fatal("404 is a refusal")
	}
	if _, err := c.Details(context.Background(), "", ""); providerError(t, err).Temporary {
		t.Fatal("no id is a refusal")
	}
}

func TestActions(t *testing.T) {
	type step struct {
		op        string // capture, void, refund
		amount    int64
		key       string
		wantErr   string // error code of a refusal; "" = approved
		wantState string // fake payment status afterwards
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"partial capture then the rest", []step{
			{"capture", 300, "c1", "", "Partially Captured"},
			{"capture", 700, "c2", "", "Captured"},
		}},
		{"over-capture", []step{
			{"capture", 600, "c1", "", "Partially Captured"},
			{"capture", 500, "c2", "request_invalid", "Partially Captured"},
		}},
		{"capture replayed with its key", []step{
			{"capture", 400, "c1", "", "Partially Captured"},
			{"capture", 400, "c1", "", "Partially Captured"},
		}},
		{"void", []step{
			{"void", 0, "v1", "", "Voided"},
			{"capture", 100, "c1", "action_not_allowed", "Voided"},
		}},
		{"void after capture is refused", []step{
			{"capture", 1000, "c1", "", "Captured"},
			{"void", 0, "v1", "action_not_allowed", "Captured"},
		}},
		{"partial refund, over-refund, the rest", []step{
			{"capture", 1000, "c1", "", "Captured"},
			{"refund", 400, "r1", "", "Partially Refunded"},
			{"refund", 700, "r2", "request_invalid", "Partially Refunded"},
			{"refund", 600, "r3", "", "Refunded"},
		}},
		{"refund before capture is refused", []step{
			{"refund", 100, "r1", "action_not_allowed", "Authorized"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			ctx := context.Background()
			auth, err := c.Authorize(ctx, authReq(TokenApproved, "kasse_ps_authorize", false))
			if err != nil {
				t.Fatal(err)
			}
			actionIDs := map[string]string{}
			for i, s := range tc.steps {
				req := models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: s.amount, Currency: "EUR", Reference: "T" + s.key, IdempotencyKey: s.key}
				var res *models.ProviderResult
				switch s.op {
				case "capture":
					res, err = c.Capture(ctx, req)
				case "void":
					res, err = c.Void(ctx, req)
				case "refund":
					res, err = c.Refund(ctx, req)
				}
				if s.wantErr != "" {
					pe := providerError(t, err)
					if pe.Temporary || pe.Code != s.wantErr {
						t.Fatalf("step %d: %+v, want a refusal %s", i, pe, s.wantErr)
					}
					noSecrets(t, f, err)
				} else {
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if res.Outcome != models.Approved || !strings.HasPrefix(res.ActionID, "act_") || res.PaymentID != auth.PaymentID || res.Raw["action_id"] != res.ActionID {
						t.Fatalf("step %d: %+v", i, res)
					}
					if prev, ok := actionIDs[s.key]; ok && prev != res.ActionID {
						t.Fatalf("step %d: a replayed key gave another action %s (first %s)", i, res.ActionID, prev)
					}
					actionIDs[s.key] = res.ActionID
				}
				p, _ := f.Payment(auth.PaymentID)
				if p.Status != s.wantState {
					t.Fatalf("step %d: payment is %s, want %s", i, p.Status, s.wantState)
				}
				last := posts(f)[len(posts(f))-1]
				var sent map[string]any
				_ = json.Unmarshal(last.Body, &sent)
				if want := "/payments/" + auth.PaymentID + "/" + s.op + "s"; last.Path != want || sent["reference"] != "T"+s.key {
					t.Fatalf("step %d: sent %s %s", i, last.Path, last.Body)
				}
				if _, has := sent["amount"]; has == (s.op == "void") {
					t.Fatalf("step %d: amount in %s", i, last.Body)
				}
			}
			if tc.name == "capture replayed with its key" {
				p, _ := f.Payment(auth.PaymentID)
				if p.Captured != 400 {
					t.Fatalf("a replayed capture captured again: %d", p.Captured)
				}
			}
		})
	}
}

// Every POST carries the idempotency key Kasse gave, every API call the
// secret key.
func TestHeadersOnEveryCall(t *testing.T) {
	f, c := setup(t)
	ctx := context.Background()
	auth, err := c.Authorize(ctx, authReq(TokenApproved, "kasse_a_authorize", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Capture(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 500, Currency: "EUR", IdempotencyKey: "kasse_t1"})
	_, _ = c.Capture(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 500, Currency: "EUR", IdempotencyKey: "kasse_t1"})
	_, _ = c.Refund(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 100, Currency: "EUR", IdempotencyKey: "kasse_t2"})
	_, _ = c.Void(ctx, models.ActionRequest{PaymentID: auth.PaymentID, IdempotencyKey: "kasse_t3"})
	_, _ = c.Details(ctx, auth.PaymentID, "")
	want := []string{"kasse_a_authorize", "kasse_t1", "kasse_t1", "kasse_t2", "kasse_t3"}
	ps := posts(f)
	if len(ps) != len(want) {
		t.Fatalf("%d POSTs", len(ps))
	}
	for i, r := range ps {
		if got := r.Header.Get(IdempotencyHeader); got != want[i] {
			t.Errorf("POST %d %s: key %q, want %q", i, r.Path, got, want[i])
		}
	}
	for _, r := range f.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+f.SecretKey {
			t.Errorf("%s %s without the secret key", r.Method, r.Path)
		}
	}
}

func TestWebhookSignature(t *testing.T) {
	f, c := setup(t)
	body := []byte(`{"id":"evt_1","type":"payment_captured","data":{"id":"pay_1","action_id":"act_1","amount":500,"currency":"EUR"}}`)
	good := f.SignWebhook(webhookSecret, body)
	tests := []struct {
		name   string
		client *Client
		sig    string
		body   []byte
		ok     bool
	}{
		{"good", c, good, body, true},
		{"good, upper-case hex", c, strings.ToUpper(good), body, true},
		{"missing", c, "", body, false},
		{"not hex", c, "zz", body, false},
		{"wrong secret", c, f.SignWebhook("another", body), body, false},
		{"body changed", c, good, append([]byte(" "), body...), false},
		{"no webhook secret", New(f.URL, f.SecretKey, "", nil), good, body, false},
		{"signed but not an event", c, f.SignWebhook(webhookSecret, []byte(`{}`)), []byte(`{}`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sig != "" {
				h.Set(SignatureHeader, tc.sig)
			}
			e, err := tc.client.ParseWebhook(h.Get, tc.body)
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %+v", e)
				}
				noSecrets(t, f, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != "evt_1" || e.PaymentID != "pay_1" || e.ActionID != "act_1" || e.AmountCents != 500 || e.Kind != models.TxCapture {
				t.Fatalf("%+v", e)
			}
		})
	}
}

func TestWebhookEvents(t *testing.T) {
	tests := []struct {
		typ     string
		kind    string
		outcome models.Outcome
	}{
		{"payment_approved", models.TxAuthorization, models.Approved},
		{"payment_declined", models.TxAuthorization, models.Declined},
		{"payment_captured", models.TxCapture, models.Approved},
		{"payment_capture_declined", models.TxCapture, models.Declined},
		{"payment_voided", models.TxVoid, models.Approved},
		{"payment_void_declined", models.TxVoid, models.Declined},
		{"payment_refunded", models.TxRefund, models.Approved},
		{"payment_refund_declined", models.TxRefund, models.Declined},
		{"payment_pending", "", ""},
		{"card_verified", "", ""},
	}
	f, c := setup(t)
	ctx := context.Background()
	auth, err := c.Authorize(ctx, authReq(TokenApproved, "k", false))
	if err != nil {
		t.Fatal(err)
	}
	capture, err := c.Capture(ctx, models.ActionRequest{PaymentID: auth.PaymentID, AmountCents: 600, Currency: "EUR", IdempotencyKey: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			body := f.WebhookBody(tc.typ, auth.PaymentID)
			h := http.Header{SignatureHeader: {f.SignWebhook(webhookSecret, body)}}
			e, err := c.ParseWebhook(h.Get, body)
			if err != nil {
				t.Fatal(err)
			}
			if e.Type != tc.typ || e.Kind != tc.kind || e.Outcome != tc.outcome || e.PaymentID != auth.PaymentID || !strings.HasPrefix(e.ID, "evt_") {
				t.Fatalf("%+v", e)
			}
			if tc.typ == "payment_captured" && (e.ActionID != capture.ActionID || e.AmountCents != 600) {
				t.Fatalf("capture event %+v, capture %s", e, capture.ActionID)
			}
		})
	}
	// Amounts come back in ISO minor units.
	body := []byte(`{"id":"evt_c","type":"payment_refunded","data":{"id":"pay_1","amount":150000,"currency":"CLP"}}`)
	e, err := c.ParseWebhook(http.Header{SignatureHeader: {Sign(webhookSecret, body)}}.Get, body)
	if err != nil || e.AmountCents != 1500 {
		t.Fatalf("%+v %v", e, err)
	}
}

func TestSendWebhook(t *testing.T) {
	f, c := setup(t)
	var got *models.WebhookEvent
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e, err := c.ParseWebhook(r.Header.Get, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got = e
	})
	srv := httptest.NewServer(receiver)
	defer srv.Close()
	body := []byte(`{"id":"evt_s","type":"payment_voided","data":{"id":"pay_1"}}`)
	for _, tc := range []struct {
		secret string
		status int
	}{{"wrong", http.StatusUnauthorized}, {webhookSecret, http.StatusOK}} {
		resp, err := f.SendWebhook(srv.URL, tc.secret, body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("secret %s: %d", tc.secret, resp.StatusCode)
		}
	}
	if got == nil || got.Kind != models.TxVoid {
		t.Fatalf("%+v", got)
	}
}

func TestActionAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		temporary bool
		code      string
	}{
		{"202 without action_id", 202, `{"reference":"x"}`, true, "malformed_response"},
		{"202 not json", 202, `accepted`, true, "malformed_response"},
		{"404 unknown payment", 404, ``, false, "not_found"},
		{"422", 422, `{"error_type":"request_invalid","error_codes":["amount_exceeds_balance"]}`, false, "request_invalid"},
		{"504", 504, ``, true, "provider_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := setup(t)
			f.RespondNext(tc.status, tc.body)
			_, err := c.Refund(context.Background(), models.ActionRequest{PaymentID: "pay_1", AmountCents: 100, Currency: "EUR", IdempotencyKey: "r"})
			if pe := providerError(t, err); pe.Temporary != tc.temporary || pe.Code != tc.code {
				t.Fatalf("%+v", pe)
			}
			if n := len(posts(f)); n != 1 {
				t.Fatalf("%d POSTs: a POST is not retried by the client", n)
			}
		})
	}
	_, c := setup(t)
	if _, err := c.Capture(context.Background(), models.ActionRequest{AmountCents: 100, Currency: "EUR"}); providerError(t, err).Temporary {
		t.Fatal("no payment id is a refusal")
	}
}

// TestFakeDedupesConcurrentKeysAndCounts: requests with one
// Cko-Idempotency-Key, at once and while the first is slowed down, make one
// charge; a client that hangs up during the wait leaves a charge that a
// retry with the key replays; the counters say so.
func TestFakeDedupesConcurrentKeysAndCounts(t *testing.T) {
	f, _ := setup(t)
	slow := New(f.URL, f.SecretKey, webhookSecret, &http.Client{Timeout: 5 * time.Second})
	f.SetAuthorizeDelay(300*time.Millisecond, 1)
	ctx := context.Background()
	start := time.Now()
	ids := make(chan string, 8)
	for range 8 {
		go func() {
			res, err := slow.Authorize(ctx, authReq(TokenApproved, "kasse_one_key", false))
			if err != nil {
				t.Error(err)
				ids <- ""
				return
			}
			ids <- res.PaymentID
		}()
	}
	first := <-ids
	for range 7 {
		if id := <-ids; id != first {
			t.Fatalf("one key answered with payments %s and %s", first, id)
		}
	}
	if f.Authorizations() != 8 || f.Charges() != 1 || f.Calls(http.MethodPost, "/payments") != 8 {
		t.Fatalf("authorizations %d, charges %d, calls %d: want 8, 1, 8", f.Authorizations(), f.Charges(), f.Calls(http.MethodPost, "/payments"))
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("the first authorization answered after %s, before its delay", d)
	}

	// A client that hangs up during the delay: the charge is made, and
	// the retry replays it at once (the delay was for one request).
	f.SetAuthorizeDelay(10*time.Second, 1)
	hasty := New(f.URL, f.SecretKey, webhookSecret, &http.Client{Timeout: 100 * time.Millisecond})
	if _, err := hasty.Authorize(ctx, authReq(TokenApproved, "kasse_hung_up", false)); err == nil {
		t.Fatal("want a timeout")
	}
	start = time.Now()
	res, err := slow.Authorize(ctx, authReq(TokenApproved, "kasse_hung_up", false))
	if err != nil || res.Outcome != models.Approved || time.Since(start) > time.Second {
		t.Fatalf("retry: %+v %v after %s", res, err, time.Since(start))
	}
	if f.Charges() != 2 {
		t.Fatalf("charges %d, want 2", f.Charges())
	}
}
