package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/deliveries"
	"kasse/gateways"
	"kasse/models"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on 127.0.0.1 that answers status (200
// unless set) and records what it gets.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	status   int
	failures int // the first failures requests are answered 503
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		status := r.status
		if r.failures > 0 {
			r.failures--
			status = http.StatusServiceUnavailable
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setStatus(s int) {
	r.mu.Lock()
	r.status = s
	r.mu.Unlock()
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// byTopic are the requests with that X-CommerceLayer-Topic.
func (r *receiver) byTopic(topic string) []received {
	var out []received
	for _, g := range r.requests() {
		if g.header.Get("X-CommerceLayer-Topic") == topic {
			out = append(out, g)
		}
	}
	return out
}

// waitFor polls until ok or fails after d.
func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// webhookEnv is an env whose webhooks may call 127.0.0.1 and whose
// deliveries run on a fast schedule (River workers in this process).
func webhookEnv(t *testing.T, gdb *gorm.DB, schedule []time.Duration) *env {
	t.Helper()
	e := newEnv(t, gdb, true)
	e.startDeliveries(t, schedule)
	return e
}

// startDeliveries lets the env's webhooks and checkout callbacks call
// 127.0.0.1 and runs their deliveries (River workers in this process) on
// schedule until the test ends.
func (e *env) startDeliveries(t *testing.T, schedule []time.Duration) {
	t.Helper()
	gdb := e.db
	guard := &models.URLGuard{AllowPrivate: true}
	e.engine.URLGuard = guard
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := deliveries.New(deliveries.Config{DB: sqlDB, Dialect: string(db.DialectOfDB(gdb)), Engine: e.engine,
		Deliveries: &models.Deliveries{DB: gdb}, Callbacks: &models.Callbacks{DB: gdb}, Guard: guard, ResourceMeta: e.meta, Schedule: schedule,
		PollInterval: 50 * time.Millisecond, Workers: 4, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Outbox().Install(gdb); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
}

func (e *env) newWebhook(t *testing.T, topic, url string, include ...string) map[string]any {
	t.Helper()
	a := map[string]any{"topic": topic, "callback_url": url, "name": topic}
	if include != nil {
		a["include_resources"] = include
	}
	return e.do("POST", "/api/webhooks", resource("webhooks", "", a, nil)).want(t, 201).data()
}

// verify checks both signatures of a delivery with the webhook's secret.
func verify(t *testing.T, secret string, g received) {
	t.Helper()
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %v", secret, err)
	}
	verifySignatures(t, secret, g)
}

// verifySignatures checks both signatures of a request signed with secret
// (deliveries.Sign): X-CommerceLayer-Signature keyed by the secret string,
// webhook-signature by the bytes of its base64 (after any whsec_).
func verifySignatures(t *testing.T, secret string, g received) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(g.body)
	if got, want := g.header.Get("X-CommerceLayer-Signature"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("X-CommerceLayer-Signature %q, want %q", got, want)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		t.Fatalf("secret %q: %v", secret, err)
	}
	id, ts := g.header.Get("webhook-id"), g.header.Get("webhook-timestamp")
	mac = hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(g.body)
	if got, want := g.header.Get("webhook-signature"), "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want || id == "" {
		t.Errorf("webhook-signature %q (id %q), want %q", got, id, want)
	}
}

func bodyOf(t *testing.T, g received) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(g.body, &doc); err != nil {
		t.Fatalf("body: %v\n%s", err, g.body)
	}
	return doc
}

func TestWebhooksStorefrontFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{100 * time.Millisecond})
		rcv := newReceiver(t)
		topics := []string{"orders.create", "orders.place", "orders.authorize", "authorizations.create", "captures.create", "orders.pay", "orders.approve", "refunds.create", "orders.refund"}
		secrets := map[string]string{}
		for _, topic := range topics {
			include := []string{}
			if topic == "orders.place" {
				include = []string{"line_items", "payment_source"}
			}
			w := e.newWebhook(t, topic, rcv.URL+"/"+topic, include...)
			a := attrs(w)
			secret, _ := a["shared_secret"].(string)
			if !strings.HasPrefix(secret, "whsec_") || a["circuit_state"] != "closed" || a["disabled_at"] != nil {
				t.Fatalf("webhook: %v", a)
			}
			secrets[topic] = secret
		}
		guest, back := e.guest(t), e.integration()
		o := guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		back.patchOrder(t, o, map[string]any{"_capture": true}, nil).want(t, 200)
		back.patchOrder(t, o, map[string]any{"_refund": true, "_refund_amount_cents": 1000}, nil).want(t, 200)
		waitFor(t, 20*time.Second, "every topic", func() bool {
			for _, topic := range topics {
				if len(rcv.byTopic(topic)) == 0 {
					return false
				}
			}
			return true
		})
		for _, topic := range topics {
			got := rcv.byTopic(topic)
			if len(got) != 1 {
				t.Errorf("%s: %d deliveries", topic, len(got))
			}
			verify(t, secrets[topic], got[0])
			doc := bodyOf(t, got[0])
			data, _ := doc["data"].(map[string]any)
			wantType := models.TopicResource(topic)
			if data["type"] != wantType {
				t.Errorf("%s: data type %v", topic, data["type"])
			}
			if meta, _ := doc["meta"].(map[string]any); meta["mode"] != "test" || meta["organization_id"] == nil {
				t.Errorf("%s: meta %v", topic, doc["meta"])
			}
			if wantType == "orders" && data["id"] != o {
				t.Errorf("%s: order %v", topic, data["id"])
			}
		}
		placed := bodyOf(t, rcv.byTopic("orders.place")[0])
		inc, _ := placed["included"].([]any)
		if len(inc) != 3 { // two line items and the payment
			t.Errorf("orders.place included %d: %v", len(inc), inc)
		}
		if links, _ := placed["data"].(map[string]any)["links"].(map[string]any); links["self"] != "/api/orders/"+o {
			t.Errorf("links are relative in webhook bodies: %v", links)
		}
		if attrs(placed["data"].(map[string]any))["status"] == "draft" {
			t.Errorf("orders.place body: %v", placed["data"])
		}
	})
}

// callbacks lists a webhook's event callbacks, oldest first.
func (e *env) callbacks(t *testing.T, webhookID string) []map[string]any {
	t.Helper()
	return e.do("GET", "/api/webhooks/"+webhookID+"/last_event_callbacks?sort=created_at&page[size]=25", nil).want(t, 200).list()
}

func (e *env) newCustomer(t *testing.T, email string) string {
	t.Helper()
	return id(e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": email}, nil)).want(t, 201).data())
}

// TestWebhookRetries: a receiver that is down, then up, gets the event
// after the retries with the same webhook-id; each attempt is an
// event_callback with its response code.
func TestWebhookRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond})
		rcv := newReceiver(t)
		rcv.failures = 2
		w := e.newWebhook(t, "customers.create", rcv.URL)
		customer := e.newCustomer(t, "retry@example.com")
		waitFor(t, 30*time.Second, "the third attempt", func() bool { return len(rcv.requests()) >= 3 })
		time.Sleep(200 * time.Millisecond)
		got := rcv.requests()
		if len(got) != 3 {
			t.Fatalf("%d attempts, want 3", len(got))
		}
		for _, g := range got {
			if g.header.Get("webhook-id") != got[0].header.Get("webhook-id") {
				t.Errorf("webhook-id changed across retries: %q, %q", got[0].header.Get("webhook-id"), g.header.Get("webhook-id"))
			}
			verify(t, attrs(w)["shared_secret"].(string), g)
			if data, _ := bodyOf(t, g)["data"].(map[string]any); data["id"] != customer {
				t.Errorf("body: %s", g.body)
			}
		}
		var cbs []map[string]any
		waitFor(t, 5*time.Second, "three callbacks", func() bool { cbs = e.callbacks(t, id(w)); return len(cbs) == 3 })
		var codes []any
		for _, cb := range cbs {
			codes = append(codes, attrs(cb)["response_code"])
			if attrs(cb)["callback_url"] != rcv.URL {
				t.Errorf("callback_url %v", attrs(cb)["callback_url"])
			}
			if p, _ := attrs(cb)["payload"].(map[string]any); p["data"] == nil {
				t.Errorf("payload %v", attrs(cb)["payload"])
			}
		}
		if want := []any{"503", "503", "200"}; !equalAny(codes, want) {
			t.Errorf("response codes %v, want %v", codes, want)
		}
		hook := e.do("GET", "/api/webhooks/"+id(w), nil).want(t, 200).data()
		if attrs(hook)["circuit_failure_count"] != float64(0) || attrs(hook)["circuit_state"] != "closed" {
			t.Errorf("after a success: %v", attrs(hook))
		}
	})
}

func equalAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWebhookCircuit: 30 consecutive failures open the circuit and stop
// deliveries; _reset_circuit closes it; a manual _trigger re-fires, and
// its success closes an open circuit.
func TestWebhookCircuit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{time.Hour}) // no retry within the test
		rcv := newReceiver(t)
		rcv.setStatus(500)
		w := e.newWebhook(t, "customers.create", rcv.URL)
		for i := range models.CircuitFailureLimit {
			e.newCustomer(t, "c"+strconv.Itoa(i)+"@example.com")
		}
		waitFor(t, 60*time.Second, "30 failures", func() bool { return len(rcv.requests()) >= models.CircuitFailureLimit })
		var hook map[string]any
		waitFor(t, 5*time.Second, "the circuit to open", func() bool {
			hook = attrs(e.do("GET", "/api/webhooks/"+id(w), nil).want(t, 200).data())
			return hook["circuit_state"] == "open"
		})
		if hook["circuit_failure_count"] != float64(models.CircuitFailureLimit) {
			t.Errorf("circuit_failure_count %v", hook["circuit_failure_count"])
		}
		// Open: a new event sends nothing.
		rcv.setStatus(200)
		e.newCustomer(t, "after-open@example.com")
		time.Sleep(500 * time.Millisecond)
		if n := len(rcv.requests()); n != models.CircuitFailureLimit {
			t.Fatalf("%d requests with the circuit open", n)
		}
		// _reset_circuit closes it; the next event is delivered.
		reset := e.do("PATCH", "/api/webhooks/"+id(w), resource("webhooks", id(w), map[string]any{"_reset_circuit": true}, nil)).want(t, 200).data()
		if attrs(reset)["circuit_state"] != "closed" || attrs(reset)["circuit_failure_count"] != float64(0) {
			t.Fatalf("after _reset_circuit: %v", attrs(reset))
		}
		last := e.newCustomer(t, "after-reset@example.com")
		waitFor(t, 10*time.Second, "the delivery after the reset", func() bool { return len(rcv.requests()) == models.CircuitFailureLimit+1 })

		// Open it again, then a manual _trigger delivers and closes it.
		if err := gdb.Model(&models.Webhook{}).Where("id = ?", id(w)).Updates(map[string]any{"circuit_state": "open", "circuit_failure_count": 30}).Error; err != nil {
			t.Fatal(err)
		}
		event := e.one(t, "events", "name_eq", "customers.create")
		fired := e.do("PATCH", "/api/events/"+id(event), resource("events", id(event), map[string]any{"_trigger": true}, nil)).want(t, 200).data()
		if attrs(fired)["name"] != "customers.create" {
			t.Fatalf("event %v", fired)
		}
		waitFor(t, 10*time.Second, "the triggered delivery", func() bool { return len(rcv.requests()) == models.CircuitFailureLimit+2 })
		got := rcv.requests()
		if data, _ := bodyOf(t, got[len(got)-1])["data"].(map[string]any); data["id"] != last {
			t.Errorf("_trigger sent %v, want the latest customer %s", data["id"], last)
		}
		waitFor(t, 5*time.Second, "the circuit to close", func() bool {
			return attrs(e.do("GET", "/api/webhooks/"+id(w), nil).want(t, 200).data())["circuit_state"] == "closed"
		})
		hooks := e.do("GET", "/api/events/"+id(event)+"/webhooks", nil).want(t, 200).list()
		if len(hooks) != 1 || id(hooks[0]) != id(w) {
			t.Errorf("event webhooks %v", hooks)
		}
		if n := len(e.do("GET", "/api/events/"+id(event)+"/last_event_callbacks?page[size]=25&page[number]=2", nil).want(t, 200).list()); n != 7 {
			t.Errorf("event callbacks on page 2: %d, want 7 of 32", n)
		}
		// An event that never happened has nothing to trigger.
		never := e.one(t, "events", "name_eq", "orders.destroy")
		e.do("PATCH", "/api/events/"+id(never), resource("events", id(never), map[string]any{"_trigger": true}, nil)).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_trigger")
	})
}

// TestWebhookOutboxTransaction: an event emitted in a transaction that
// rolls back leaves no delivery, no job and sends nothing; committed, it
// is delivered.
func TestWebhookOutboxTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{time.Hour})
		rcv := newReceiver(t)
		e.newWebhook(t, "customers.create", rcv.URL)
		customer := e.newCustomer(t, "outbox@example.com")
		waitFor(t, 10*time.Second, "the create's delivery", func() bool { return len(rcv.requests()) == 1 })
		jobs := func() int64 {
			var n int64
			if err := gdb.Table("river_job").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := jobs()
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := models.Emit(tx, "customers.create", "customers", customer); err != nil {
				return err
			}
			return errors.New("the change failed")
		})
		if err == nil || jobs() != before {
			t.Fatalf("rolled back: err %v, jobs %d → %d", err, before, jobs())
		}
		var deliveries int64
		gdb.Model(&models.WebhookDelivery{}).Count(&deliveries)
		if deliveries != 1 {
			t.Fatalf("%d deliveries after a rollback, want 1", deliveries)
		}
		// A failed API write (a duplicate email) sends nothing either.
		e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "outbox@example.com"}, nil)).want(t, 422)
		// Outside a transaction, an emit is refused rather than enqueued.
		if err := models.Emit(gdb, "customers.create", "customers", customer); err == nil {
			t.Error("emit outside a transaction succeeded")
		}
		if err := gdb.Transaction(func(tx *gorm.DB) error { return models.Emit(tx, "customers.create", "customers", customer) }); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the committed emit", func() bool { return len(rcv.requests()) == 2 })
		time.Sleep(300 * time.Millisecond)
		if n := len(rcv.requests()); n != 2 {
			t.Fatalf("%d deliveries, want 2", n)
		}
	})
}

// TestWebhookValidation: topics, include paths and callback URLs are
// checked on create and update with a pointer; secrets are generated.
func TestWebhookValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := newEnv(t, gdb, true)
		// The default guard (https to public addresses only), resolving
		// names from /etc/hosts alone: a test sends no DNS query.
		e.engine.URLGuard = &models.URLGuard{Resolver: &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no DNS in tests")
		}}}
		post := func(a map[string]any) *response {
			return e.do("POST", "/api/webhooks", resource("webhooks", "", a, nil))
		}
		post(map[string]any{"topic": "orders.explode", "callback_url": "https://93.184.215.14/hook"}).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/topic")
		post(map[string]any{"topic": "orders.place", "callback_url": "https://93.184.215.14/hook", "include_resources": []string{"line_items", "nope"}}).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/include_resources")
		post(map[string]any{"callback_url": "https://93.184.215.14/hook"}).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/topic")
		for _, url := range []string{
			"http://93.184.215.14/hook",         // not https
			"https://127.0.0.1/hook",            // loopback
			"https://[::1]:8443/hook",           // loopback
			"https://10.1.2.3/hook",             // private
			"https://192.168.1.10/hook",         // private
			"https://169.254.169.254/latest",    // cloud metadata
			"https://localhost:8443/hook",       // a name resolving to 127.0.0.1
			"https://no-such-host.invalid/hook", // does not resolve
		} {
			r := post(map[string]any{"topic": "orders.place", "callback_url": url})
			r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/callback_url")
		}
		// A public address is accepted (nothing is sent at create).
		w := post(map[string]any{"topic": "orders.place", "callback_url": "https://93.184.215.14/hook", "include_resources": []string{"line_items.item", "customer"}}).want(t, 201).data()
		secret, _ := attrs(w)["shared_secret"].(string)
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 {
			t.Fatalf("shared_secret %q", secret)
		}
		// Updates are checked too.
		e.do("PATCH", "/api/webhooks/"+id(w), resource("webhooks", id(w), map[string]any{"callback_url": "https://10.0.0.1/"}, nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/callback_url")
		regen := e.do("PATCH", "/api/webhooks/"+id(w), resource("webhooks", id(w), map[string]any{"_regenerate_shared_secret": true, "_disable": true}, nil)).want(t, 200).data()
		if attrs(regen)["shared_secret"] == secret || attrs(regen)["disabled_at"] == nil {
			t.Errorf("after _regenerate_shared_secret and _disable: %v", attrs(regen))
		}
		// Sales channels see no webhooks.
		guest := e.guest(t)
		guest.do(t, "GET", "/api/webhooks/"+id(w), nil).want(t, 404)
	})
}

// TestWebhookDialGuard: a target allowed when the webhook was saved but
// refused when dialing (DNS changed; here the worker's guard is strict) is
// a failed attempt, and nothing reaches it.
func TestWebhookDialGuard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := newEnv(t, gdb, false)
		e.engine.URLGuard = &models.URLGuard{AllowPrivate: true}
		sqlDB, _ := gdb.DB()
		svc, err := deliveries.New(deliveries.Config{DB: sqlDB, Dialect: string(db.DialectOfDB(gdb)), Engine: e.engine,
			Deliveries: &models.Deliveries{DB: gdb}, Guard: &models.URLGuard{}, ResourceMeta: e.meta, Schedule: []time.Duration{time.Hour},
			PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Outbox().Install(gdb); err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop(context.Background()) })
		rcv := newReceiver(t)
		w := e.newWebhook(t, "customers.create", rcv.URL)
		e.newCustomer(t, "dial@example.com")
		var cbs []map[string]any
		waitFor(t, 10*time.Second, "the refused attempt", func() bool { cbs = e.callbacks(t, id(w)); return len(cbs) == 1 })
		if a := attrs(cbs[0]); a["response_code"] != nil || !strings.Contains(a["response_message"].(string), "non-public") {
			t.Errorf("refused attempt: %v", a)
		}
		if n := len(rcv.requests()); n != 0 {
			t.Errorf("%d requests reached a refused address", n)
		}
	})
}

// TestWebhookCancelAndDestroy: cancelling an authorized order voids it
// (voids.create, orders.void, orders.cancel); destroying a draft order
// sends its identifier (the order is gone).
func TestWebhookCancelAndDestroy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{100 * time.Millisecond})
		rcv := newReceiver(t)
		topics := []string{"voids.create", "orders.void", "orders.cancel", "orders.destroy"}
		for _, topic := range topics {
			e.newWebhook(t, topic, rcv.URL)
		}
		guest, back := e.guest(t), e.integration()
		o := guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		back.patchOrder(t, o, map[string]any{"_cancel": true}, nil).want(t, 200)
		draft := id(guest.newOrder(t, map[string]any{"customer_email": "gone@example.com"}))
		e.do("DELETE", "/api/orders/"+draft, nil).want(t, 204)
		waitFor(t, 20*time.Second, "the four topics", func() bool {
			for _, topic := range topics {
				if len(rcv.byTopic(topic)) == 0 {
					return false
				}
			}
			return true
		})
		for _, topic := range topics {
			if n := len(rcv.byTopic(topic)); n != 1 {
				t.Errorf("%s: %d deliveries", topic, n)
			}
		}
		if data, _ := bodyOf(t, rcv.byTopic("orders.cancel")[0])["data"].(map[string]any); data["id"] != o || attrs(data)["status"] != "cancelled" {
			t.Errorf("orders.cancel: %v", data)
		}
		if data, _ := bodyOf(t, rcv.byTopic("orders.destroy")[0])["data"].(map[string]any); data["id"] != draft || data["type"] != "orders" {
			t.Errorf("orders.destroy: %v", data)
		}
	})
}
