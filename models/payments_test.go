package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// fakeProvider is an in-process payment provider whose answers each test
// sets; unset actions approve.
type fakeProvider struct {
	authorize func(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error)
	details   func(ctx context.Context, paymentID string) (*models.ProviderResult, error)
	calls     atomic.Int64
}

func (f *fakeProvider) For(*models.PaymentGateway) (models.Provider, error) { return f, nil }

func approved(id string) *models.ProviderResult {
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: id, ActionID: "act_" + id, Status: "Authorized"}
}

func (f *fakeProvider) Authorize(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
	f.calls.Add(1)
	if f.authorize != nil {
		return f.authorize(ctx, req)
	}
	return approved("pay_" + req.IdempotencyKey), nil
}

func (f *fakeProvider) Details(ctx context.Context, paymentID, _ string) (*models.ProviderResult, error) {
	f.calls.Add(1)
	if f.details != nil {
		return f.details(ctx, paymentID)
	}
	return approved(paymentID), nil
}

func (f *fakeProvider) action(req models.ActionRequest) (*models.ProviderResult, error) {
	f.calls.Add(1)
	return &models.ProviderResult{Outcome: models.Approved, PaymentID: req.PaymentID, ActionID: "act_" + req.IdempotencyKey}, nil
}

func (f *fakeProvider) Capture(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return f.action(req)
}

func (f *fakeProvider) Void(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return f.action(req)
}

func (f *fakeProvider) Refund(_ context.Context, req models.ActionRequest) (*models.ProviderResult, error) {
	return f.action(req)
}

func (f *fakeProvider) ParseWebhook(func(string) string, []byte) (*models.WebhookEvent, error) {
	return nil, errors.New("no webhooks")
}

// cart is an EUR order with a T-shirt, ready to place, whose payment
// method takes checkout_com_payments through the demo's sandbox gateway.
func (s *shop) cart() *models.Order {
	s.t.Helper()
	o := s.order("eu", ptr("buyer@example.com"), nil)
	s.mustAdd(o, tshirt, 1)
	s.ready(o)
	var pm models.PaymentMethod
	s.must(s.db.Where("payment_source_type = ? AND market_id = ?", models.SourceCheckoutCom, s.markets["eu"]).Take(&pm).Error)
	s.must(s.update(o, func(o *models.Order) { o.PaymentMethodID = &pm.ID }))
	return o
}

// payment attaches a new card payment to the order, as POST
// checkout_com_payments does (before its provider call).
func (s *shop) payment(o *models.Order, token string) *models.PaymentSource {
	s.t.Helper()
	ps := &models.PaymentSource{Kind: models.SourceCheckoutCom, OrderID: o.ID, Token: ptr(token),
		SuccessURL: ptr("https://shop.example/ok"), FailureURL: ptr("https://shop.example/ko")}
	s.must(write(s.db, ps, true))
	return ps
}

func (s *shop) source(id string) *models.PaymentSource {
	s.t.Helper()
	var ps models.PaymentSource
	s.must(s.db.Where("id = ?", id).Take(&ps).Error)
	return &ps
}

// transactions lists the order's transactions of kind, oldest first.
func (s *shop) transactions(o *models.Order, kind string) []models.Transaction {
	s.t.Helper()
	var out []models.Transaction
	s.must(s.db.Where("order_id = ? AND kind = ?", o.ID, kind).Order("created_at, number").Find(&out).Error)
	return out
}

// capture captures the whole authorization of a placed order.
func (s *shop) capture(p *models.Payments, o *models.Order) {
	s.t.Helper()
	var id string
	s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error {
		t, err := models.BeginCapture(tx, o, nil, 0)
		if t != nil {
			id = t.ID
		}
		return err
	}))
	s.must(p.Finish(context.Background(), id))
	s.reload(o)
}

// TestConcurrentSettlementsRecordOneAuthorization: the create's
// authorization and any number of `_refresh`, `_details` or retries of one
// payment, answered by the provider at the same moment, record one
// authorization; the order is then paid in full by one capture.
func TestConcurrentSettlementsRecordOneAuthorization(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		o := s.cart()
		ps := s.payment(o, "tok_visa")

		const settlers = 12
		var arrived sync.WaitGroup
		arrived.Add(settlers)
		release := make(chan struct{})
		provider := &fakeProvider{authorize: func(ctx context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
			// Every settler has the provider's answer before any records it.
			arrived.Done()
			<-release
			return approved("pay_1"), nil
		}}
		p := &models.Payments{DB: gdb, Providers: provider}
		go func() { arrived.Wait(); close(release) }()
		var wg sync.WaitGroup
		failures := make(chan error, settlers)
		for i := range settlers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if i%2 == 0 {
					err = p.Authorize(context.Background(), ps.ID)
				} else {
					err = p.Details(context.Background(), ps.ID, "")
				}
				if err != nil {
					failures <- err
				}
			}()
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Errorf("settle: %v", err)
		}
		if got := s.source(ps.ID).Status; got != models.SourceAuthorized {
			t.Fatalf("payment status %s, want authorized", got)
		}
		if got := len(s.transactions(o, models.TxAuthorization)); got != 1 {
			t.Fatalf("%d authorizations recorded, want 1", got)
		}
		s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Place(tx, p) }))
		s.capture(p, o)
		if o.PaymentStatus != models.PaymentPaid {
			t.Fatalf("payment status after a full capture: %s, want paid", o.PaymentStatus)
		}
	})
}

// TestReplacedPaymentReleasesItsHold: a new payment on a cart voids the
// authorization of the one it replaces, whether that one was authorized
// before the replacement or only after it; the order's balances count the
// current payment alone.
func TestReplacedPaymentReleasesItsHold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		t.Run("authorized before", func(t *testing.T) {
			s := newShop(t, gdb).in(t)
			p := &models.Payments{DB: gdb, Providers: &fakeProvider{}}
			o := s.cart()
			first := s.payment(o, "tok_first")
			s.must(p.Authorize(ctx, first.ID))

			second := s.payment(o, "tok_second")
			if second.ReleaseVoidID == "" {
				t.Fatal("replacing an authorized payment began no void")
			}
			s.must(p.Release(ctx, second.ReleaseVoidID))
			voids := s.transactions(o, models.TxVoid)
			if len(voids) != 1 || voids[0].PaymentSourceID != first.ID || !voids[0].Succeeded {
				t.Fatalf("voids %+v, want one succeeded void of the replaced payment", voids)
			}
			s.reload(o)
			if o.PaymentStatus != models.PaymentUnpaid || *o.PaymentSourceID != second.ID {
				t.Fatalf("order payment %s, source %s: the release must not touch the order", o.PaymentStatus, *o.PaymentSourceID)
			}

			s.must(p.Authorize(ctx, second.ID))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Place(tx, p) }))
			s.capture(p, o)
			if o.PaymentStatus != models.PaymentPaid {
				t.Fatalf("payment status after capturing the current payment: %s, want paid", o.PaymentStatus)
			}
			captures := s.transactions(o, models.TxCapture)
			if len(captures) != 1 || captures[0].PaymentSourceID != second.ID {
				t.Fatalf("captures %+v, want one of the current payment", captures)
			}
		})
		t.Run("authorized after", func(t *testing.T) {
			s := newShop(t, gdb).in(t)
			o := s.cart()
			first := s.payment(o, "tok_slow")
			second := s.payment(o, "tok_second")
			if second.ReleaseVoidID != "" {
				t.Fatal("a pending payment holds nothing yet: no void to begin")
			}
			// The provider authorizes the replaced payment late.
			p := &models.Payments{DB: gdb, Providers: &fakeProvider{}}
			s.must(p.Authorize(ctx, first.ID))
			voids := s.transactions(o, models.TxVoid)
			if len(voids) != 1 || voids[0].PaymentSourceID != first.ID || !voids[0].Succeeded {
				t.Fatalf("voids %+v, want one succeeded void of the late authorization", voids)
			}
			s.reload(o)
			if o.PaymentStatus != models.PaymentUnpaid {
				t.Fatalf("order payment %s, want unpaid", o.PaymentStatus)
			}
		})
		t.Run("captured cannot be replaced", func(t *testing.T) {
			s := newShop(t, gdb).in(t)
			o := s.cart()
			first := s.payment(o, "tok_auto")
			p := &models.Payments{DB: gdb, Providers: &fakeProvider{authorize: func(context.Context, models.AuthorizeRequest) (*models.ProviderResult, error) {
				res := approved("pay_auto")
				res.Captured = true
				return res, nil
			}}}
			s.must(p.Authorize(ctx, first.ID))
			ps := &models.PaymentSource{Kind: models.SourceCheckoutCom, OrderID: o.ID, Token: ptr("tok_again"),
				SuccessURL: ptr("https://shop.example/ok"), FailureURL: ptr("https://shop.example/ko")}
			wantError(t, write(gdb, ps, true), errs.ValidationError, "captured")
		})
	})
}

// TestProviderCallsOutliveTheRequest: a client that goes away does not
// cancel the provider call nor the write recording its answer; a provider
// that does not answer within the timeout leaves the payment pending.
func TestProviderCallsOutliveTheRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		t.Run("cancelled request", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			ps := s.payment(o, "tok_visa")
			ctx, cancel := context.WithCancel(context.Background())
			p := &models.Payments{DB: gdb, Providers: &fakeProvider{authorize: func(ctx context.Context, _ models.AuthorizeRequest) (*models.ProviderResult, error) {
				cancel() // the client disconnects while the provider works
				time.Sleep(20 * time.Millisecond)
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				return approved("pay_2"), nil
			}}}
			s.must(p.Authorize(ctx, ps.ID))
			if got := s.source(ps.ID).Status; got != models.SourceAuthorized {
				t.Fatalf("payment %s, want authorized although the request was cancelled", got)
			}
		})
		t.Run("provider timeout", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			ps := s.payment(o, "tok_visa")
			p := &models.Payments{DB: gdb, Timeout: 30 * time.Millisecond, Providers: &fakeProvider{authorize: func(ctx context.Context, _ models.AuthorizeRequest) (*models.ProviderResult, error) {
				<-ctx.Done()
				return nil, &models.ProviderError{Temporary: true, Code: "timeout", Message: ctx.Err().Error()}
			}}}
			s.must(p.Authorize(context.Background(), ps.ID))
			got := s.source(ps.ID)
			if got.Status != models.SourcePending || got.PaymentResponse["error"] != "provider_unavailable" {
				t.Fatalf("payment %s %v, want pending with provider_unavailable", got.Status, got.PaymentResponse)
			}
		})
	})
}

// TestReconcileSettlesWhatWasLeftPending: payments and transactions left
// pending or unknown for longer than the age are settled; newer ones are
// left to the flow that is still running.
func TestReconcileSettlesWhatWasLeftPending(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		ctx := context.Background()
		silent := true
		provider := &fakeProvider{}
		provider.authorize = func(_ context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
			if silent {
				return nil, &models.ProviderError{Temporary: true, Code: "timeout", Message: "no answer"}
			}
			return approved("pay_" + req.IdempotencyKey), nil
		}
		p := &models.Payments{DB: gdb, Providers: provider}

		old, fresh := s.cart(), s.cart()
		oldPayment, freshPayment := s.payment(old, "tok_old"), s.payment(fresh, "tok_fresh")
		s.must(p.Authorize(ctx, oldPayment.ID))
		s.must(p.Authorize(ctx, freshPayment.ID))
		age := func(table, id string) {
			s.must(gdb.Table(table).Where("id = ?", id).Update("updated_at", db.Now().Add(-time.Hour)).Error)
		}
		age("payment_sources", oldPayment.ID)

		silent = false
		done, err := p.Reconcile(ctx, time.Minute, 10)
		s.must(err)
		if done.Payments != 1 {
			t.Fatalf("reconciled %+v, want 1 payment", done)
		}
		if got := s.source(oldPayment.ID).Status; got != models.SourceAuthorized {
			t.Fatalf("old payment %s, want authorized", got)
		}
		if got := s.source(freshPayment.ID).Status; got != models.SourcePending {
			t.Fatalf("fresh payment %s, want still pending", got)
		}

		// A capture whose provider call never happened (a crash after the
		// intent was recorded) is finished.
		s.must(s.trigger(old, func(tx *gorm.DB, o *models.Order) error { return o.Place(tx, p) }))
		var captureID string
		s.must(s.trigger(old, func(tx *gorm.DB, o *models.Order) error {
			c, err := models.BeginCapture(tx, o, nil, 0)
			if c != nil {
				captureID = c.ID
			}
			return err
		}))
		age("transactions", captureID)
		done, err = p.Reconcile(ctx, time.Minute, 10)
		s.must(err)
		if done.Transactions != 1 {
			t.Fatalf("reconciled %+v, want 1 transaction", done)
		}
		s.reload(old)
		if old.PaymentStatus != models.PaymentPaid {
			t.Fatalf("order payment %s after the reconciled capture, want paid", old.PaymentStatus)
		}
	})
}

// TestProviderCallsAreObserved: every provider call is reported with the
// gateway's kind, the action and its outcome (the metrics' source).
func TestProviderCallsAreObserved(t *testing.T) {
	gdb := dbtest.SQLite(t)
	s := newShop(t, gdb)
	o := s.cart()
	ps := s.payment(o, "tok_visa")
	var seen []string
	p := &models.Payments{DB: gdb, Providers: &fakeProvider{}, Observe: func(gateway, action, outcome string, took time.Duration) {
		seen = append(seen, gateway+" "+action+" "+outcome)
	}}
	s.must(p.Authorize(context.Background(), ps.ID))
	s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Place(tx, p) }))
	s.capture(p, o)
	want := []string{"sandbox_gateways authorize approved", "sandbox_gateways capture approved"}
	if strings.Join(seen, ", ") != strings.Join(want, ", ") {
		t.Fatalf("observed %v, want %v", seen, want)
	}
}
