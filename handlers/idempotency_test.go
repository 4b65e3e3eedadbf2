package handlers_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
)

// gatedProvider approves everything, but holds each authorization until
// the test lets it go, and fails the first captures it is told to.
type gatedProvider struct {
	authorizing chan struct{} // an authorization reached the provider
	release     chan struct{} // let authorizations answer
	failCapture atomic.Int64  // answer this many captures with a timeout
	calls       atomic.Int64
}

func newGatedProvider() *gatedProvider {
	return &gatedProvider{authorizing: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gatedProvider) For(*models.PaymentGateway) (models.Provider, error) { return g, nil }

func (g *gatedProvider) Authorize(_ context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	g.calls.Add(1)
	g.authorizing <- struct{}{}
	<-g.release
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: "pay_" + req.IdempotencyKey, Status: "Authorized"}, nil
}

func (g *gatedProvider) Details(_ context.Context, paymentID, _ string) (*models.ProviderResult, error) {
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: paymentID, Status: "Authorized"}, nil
}

func (g *gatedProvider) Capture(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	g.calls.Add(1)
	if g.failCapture.Add(-1) >= 0 {
		return nil, &models.ProviderError{Temporary: true, Code: "timeout", Message: "no answer"}
	}
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: req.PaymentID, ActionID: "act_" + req.IdempotencyKey}, nil
}

func (g *gatedProvider) Void(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: req.PaymentID, ActionID: "act_" + req.IdempotencyKey}, nil
}

func (g *gatedProvider) Refund(ctx context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return g.Void(ctx, req)
}

func (g *gatedProvider) ParseWebhook(func(string) string, []byte) (*models.WebhookEvent, error) {
	return nil, errors.New("no webhooks")
}

func withKey(key string) []string { return []string{"Idempotency-Key", key} }

// TestIdempotentWrites: a retried write with the same Idempotency-Key
// runs once and is answered the same bytes; another request with the key
// is 422; a key still in flight is 409; a bad key is 400; a 5xx releases
// the key so the retry runs.
func TestIdempotentWrites(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		provider := newGatedProvider()
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: provider}})
		guest := e.guest(t)
		order := resource("orders", "", map[string]any{"customer_email": "again@example.com"}, nil)

		t.Run("a replay is the first answer, byte for byte, and creates nothing", func(t *testing.T) {
			before := e.count(t, "/api/orders")
			first := e.in(t).by(guest.token, "POST", "/api/orders", order, withKey("order-1")...).want(t, 201)
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Fatal("a first answer is not a replay")
			}
			for range 2 {
				again := e.in(t).by(guest.token, "POST", "/api/orders", order, withKey("order-1")...).want(t, 201)
				if string(again.body) != string(first.body) || again.header.Get("Location") != first.header.Get("Location") {
					t.Fatalf("replay differs:\n%s\n%s", first.body, again.body)
				}
				if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Content-Type") != first.header.Get("Content-Type") {
					t.Fatalf("replay headers %v", again.header)
				}
			}
			if got := e.count(t, "/api/orders"); got != before+1 {
				t.Fatalf("%d orders, want %d", got, before+1)
			}
			// The same body with keys reordered and spaced is the same request.
			spaced := `{ "data": { "attributes": { "customer_email": "again@example.com" }, "type": "orders" } }`
			e.in(t).by(guest.token, "POST", "/api/orders", spaced, withKey("order-1")...).want(t, 201)
		})

		t.Run("another request with the key is refused", func(t *testing.T) {
			other := resource("orders", "", map[string]any{"customer_email": "other@example.com"}, nil)
			e.in(t).by(guest.token, "POST", "/api/orders", other, withKey("order-1")...).wantError(t, 422, "IDEMPOTENCY_KEY_MISMATCH")
			e.in(t).by(guest.token, "POST", "/api/orders?include=market", order, withKey("order-1")...).wantError(t, 422, "IDEMPOTENCY_KEY_MISMATCH")
		})

		t.Run("keys are the application's own", func(t *testing.T) {
			mine := e.in(t).by(guest.token, "POST", "/api/orders", order, withKey("shared-key")...).want(t, 201)
			theirs := e.in(t).by(e.guest(t).token, "POST", "/api/orders", order, withKey("shared-key")...).want(t, 201)
			if id(mine.data()) == id(theirs.data()) || theirs.header.Get("Idempotent-Replayed") != "" {
				t.Fatal("another application replayed this one's answer")
			}
		})

		t.Run("invalid keys", func(t *testing.T) {
			for _, key := range []string{strings.Repeat("k", 256), "caf\u00e9", "tab\tkey"} {
				r := e.in(t).by(guest.token, "POST", "/api/orders", order, withKey(key)...)
				obj := r.wantError(t, 400, "IDEMPOTENCY_KEY_INVALID")
				if src, _ := obj["source"].(map[string]any); src["header"] != "Idempotency-Key" {
					t.Fatalf("source %v", obj["source"])
				}
			}
			e.in(t).by(guest.token, "POST", "/api/orders", order, withKey(strings.Repeat("k", 255))...).want(t, 201)
		})

		t.Run("a key in flight is 409 until the first answer", func(t *testing.T) {
			o := guest.checkout(t)
			body := resource("checkout_com_payments", "", map[string]any{
				"token": "tok_gated", "success_url": "https://shop.example/ok", "failure_url": "https://shop.example/ko",
			}, map[string]any{"order": ref("orders", o)})
			first := make(chan *response, 1)
			go func() { first <- e.by(guest.token, "POST", "/api/checkout_com_payments", body, withKey("pay-1")...) }()
			select {
			case <-provider.authorizing:
			case <-time.After(10 * time.Second):
				t.Fatal("the payment never reached the provider")
			}
			busy := e.in(t).by(guest.token, "POST", "/api/checkout_com_payments", body, withKey("pay-1")...)
			busy.wantError(t, 409, "IDEMPOTENCY_KEY_IN_USE")
			if busy.header.Get("Retry-After") != "1" {
				t.Fatalf("Retry-After %q", busy.header.Get("Retry-After"))
			}
			close(provider.release)
			created := (<-first).want(t, 201)
			again := e.in(t).by(guest.token, "POST", "/api/checkout_com_payments", body, withKey("pay-1")...).want(t, 201)
			if string(again.body) != string(created.body) {
				t.Fatal("the replay differs from the first answer")
			}
			if n := provider.calls.Load(); n != 1 {
				t.Fatalf("%d provider calls, want 1", n)
			}
			var payments int64
			if err := gdb.Table("payment_sources").Where("order_id = ?", o).Count(&payments).Error; err != nil || payments != 1 {
				t.Fatalf("%d payments (%v), want 1", payments, err)
			}

			t.Run("a 5xx is not kept: the retry runs", func(t *testing.T) {
				back := e.integration()
				guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
				provider.failCapture.Store(1)
				capture := resource("orders", o, map[string]any{"_capture": true}, nil)
				e.in(t).by(back.token, "PATCH", "/api/orders/"+o, capture, withKey("capture-1")...).wantError(t, 502, "PROVIDER_UNAVAILABLE")
				paid := e.in(t).by(back.token, "PATCH", "/api/orders/"+o, capture, withKey("capture-1")...).want(t, 200)
				if attrs(paid.data())["payment_status"] != "paid" || paid.header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("retry after a 502: %s", paid.body)
				}
				replayed := e.in(t).by(back.token, "PATCH", "/api/orders/"+o, capture, withKey("capture-1")...).want(t, 200)
				if replayed.header.Get("Idempotent-Replayed") != "true" || string(replayed.body) != string(paid.body) {
					t.Fatal("the kept 200 was not replayed")
				}
			})
		})

		t.Run("concurrent retries of one create make one order", func(t *testing.T) {
			before := e.count(t, "/api/orders")
			var wg sync.WaitGroup
			statuses := make(chan int, 20)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses <- e.by(guest.token, "POST", "/api/orders", order, withKey("order-race")...).status
				}()
			}
			wg.Wait()
			close(statuses)
			for s := range statuses {
				if s != 201 && s != 409 {
					t.Fatalf("status %d, want 201 or 409", s)
				}
			}
			if got := e.count(t, "/api/orders"); got != before+1 {
				t.Fatalf("%d orders, want %d", got, before+1)
			}
		})
	})
}

// brokenProviders has no adapter for any gateway: every provider call
// after a commit fails.
type brokenProviders struct{}

func (brokenProviders) For(*models.PaymentGateway) (models.Provider, error) {
	return nil, errors.New("the adapter is not configured")
}

// TestCreateAnswersWhatItCommitted: a create whose row committed but whose
// provider call then failed answers 201 with the created resource (its
// state says it is still pending), not an error a client would retry into
// a second payment.
func TestCreateAnswersWhatItCommitted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: brokenProviders{}}})
		guest := e.guest(t)
		o := guest.checkout(t)
		p := guest.pay(t, o, "tok_sandbox_approved").want(t, 201)
		if id(p.data()) == "" || paymentStatus(p) != nil && paymentStatus(p) != "Pending" {
			t.Fatalf("created payment: %s", p.body)
		}
		var payments int64
		if err := gdb.Table("payment_sources").Where("order_id = ?", o).Count(&payments).Error; err != nil || payments != 1 {
			t.Fatalf("%d payments (%v), want 1", payments, err)
		}
	})
}
