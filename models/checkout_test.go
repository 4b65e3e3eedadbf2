package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// session opens a checkout session for a fresh eu cart, as the engine
// creates one.
func (s *shop) session(callbackURL string) *models.CheckoutSession {
	s.t.Helper()
	o := s.order("eu", ptr("buyer@example.com"), nil)
	s.mustAdd(o, "TSHIRTMM000000FFFFFFXL", 1)
	cs := &models.CheckoutSession{OrderID: o.ID, SuccessURL: "https://shop.example/ok"}
	cs.SetDefaults()
	if callbackURL != "" {
		cs.CallbackURL = &callbackURL
	}
	s.must(write(s.db, cs, true))
	return cs
}

// TestConcurrentCheckoutPayments: the page's form submitted at the same
// moment from several tabs pays once: one payment source authorized, one
// authorization, the session completed, the order placed; every other
// submission is refused as in progress or completed.
func TestConcurrentCheckoutPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		provider := &fakeProvider{}
		svc := &models.CheckoutSessions{Payments: &models.Payments{DB: gdb, Providers: provider}}
		svc.Payments.Settled = svc.SettleBySource
		cs := s.session("https://93.184.216.34/callback")
		const tabs = 8
		results := make([]error, tabs)
		var wg sync.WaitGroup
		for i := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = svc.Pay(context.Background(), "http://kasse.test", cs.Token,
					models.PayInput{CSRFToken: cs.CSRFToken, CardNumber: "4242424242424242", CardExpiry: "12/39", CardCVC: "123"})
			}()
		}
		wg.Wait()
		paid := 0
		for _, err := range results {
			if err == nil {
				paid++
				continue
			}
			if list, ok := errs.As(err); !ok || (list[0].Code != errs.Conflict && list[0].Code != errs.ValidationError) {
				t.Fatalf("a concurrent payment answered %v, want CONFLICT or VALIDATION_ERROR", err)
			}
		}
		if paid != 1 {
			t.Fatalf("%d submissions paid, want 1 (%v)", paid, results)
		}
		var stored models.CheckoutSession
		s.must(gdb.Where("id = ?", cs.ID).Take(&stored).Error)
		var sources, auths, callbacks, attempts int64
		gdb.Model(&models.PaymentSource{}).Where("order_id = ?", cs.OrderID).Count(&sources)
		gdb.Model(&models.Transaction{}).Where("order_id = ? AND kind = ?", cs.OrderID, models.TxAuthorization).Count(&auths)
		gdb.Model(&models.CheckoutCallback{}).Where("checkout_session_id = ?", cs.ID).Count(&callbacks)
		gdb.Model(&models.GatewayAttempt{}).Where("checkout_session_id = ?", cs.ID).Count(&attempts)
		var order models.Order
		s.must(gdb.Where("id = ?", cs.OrderID).Take(&order).Error)
		if stored.Status != models.SessionCompleted || sources != 1 || auths != 1 || callbacks != 1 || attempts != 1 || order.Status != models.OrderPlaced {
			t.Fatalf("session %s, %d payment sources, %d authorizations, %d callbacks, %d attempts, order %s; want completed, 1, 1, 1, 1, placed",
				stored.Status, sources, auths, callbacks, attempts, order.Status)
		}
	})
}

// TestConcurrentCheckoutExpiry: several instances expiring at once expire
// each session once: one expire callback per session, and a read after
// expires_at already says expired.
func TestConcurrentCheckoutExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		svc := &models.CheckoutSessions{Payments: &models.Payments{DB: gdb, Providers: &fakeProvider{}}}
		const sessions, instances = 5, 4
		var ids []string
		for range sessions {
			cs := s.session("https://93.184.216.34/callback")
			ids = append(ids, cs.ID)
			if cs.CurrentStatus(time.Now()) != models.SessionCreated || cs.CurrentStatus(cs.ExpiresAt) != models.SessionExpired {
				t.Fatalf("CurrentStatus before and at expires_at")
			}
		}
		s.must(gdb.Model(&models.CheckoutSession{}).Where("id IN ?", ids).Update("expires_at", time.Now().Add(-time.Second)).Error)
		counts := make([]int, instances)
		errors := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[i], errors[i] = svc.ExpireDue(context.Background(), 100)
			}()
		}
		wg.Wait()
		total := 0
		for i := range instances {
			if errors[i] != nil {
				t.Fatalf("ExpireDue: %v", errors[i])
			}
			total += counts[i]
		}
		var callbacks int64
		gdb.Model(&models.CheckoutCallback{}).Where("checkout_session_id IN ? AND status = ?", ids, models.SessionExpired).Count(&callbacks)
		if total != sessions || callbacks != sessions {
			t.Fatalf("expired %d, %d callbacks; want %d each", total, callbacks, sessions)
		}
	})
}

// TestConcurrentCheckoutReturns: after a 3-D Secure challenge the
// customer's return (reloaded in several tabs) and the provider's answer
// settle the session at the same moment: one authorization, one
// completion, one callback.
func TestConcurrentCheckoutReturns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		provider := &fakeProvider{
			authorize: func(_ context.Context, req models.AuthorizeRequest) (*models.ProviderResult, error) {
				return &models.ProviderResult{Outcome: models.RequiresAction, PaymentID: "pay_" + req.IdempotencyKey, RedirectURL: "https://bank.example/3ds"}, nil
			},
		}
		svc := &models.CheckoutSessions{Payments: &models.Payments{DB: gdb, Providers: provider}}
		svc.Payments.Settled = svc.SettleBySource
		cs := s.session("https://93.184.216.34/callback")
		redirect, err := svc.Pay(context.Background(), "http://kasse.test", cs.Token,
			models.PayInput{CSRFToken: cs.CSRFToken, CardNumber: "4000000000003220", CardExpiry: "12/39", CardCVC: "123"})
		if err != nil || redirect != "https://bank.example/3ds" {
			t.Fatalf("pay: %q %v", redirect, err)
		}
		const returns = 6
		errors := make([]error, returns)
		var wg sync.WaitGroup
		for i := range returns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, errors[i] = svc.Return(context.Background(), cs.Token, nil)
				} else {
					errors[i] = svc.Refresh(context.Background(), cs.ID)
				}
			}()
		}
		wg.Wait()
		for _, err := range errors {
			if err != nil {
				t.Fatalf("a concurrent settlement: %v", err)
			}
		}
		var stored models.CheckoutSession
		s.must(gdb.Where("id = ?", cs.ID).Take(&stored).Error)
		var auths, callbacks, attempts int64
		gdb.Model(&models.Transaction{}).Where("order_id = ? AND kind = ?", cs.OrderID, models.TxAuthorization).Count(&auths)
		gdb.Model(&models.CheckoutCallback{}).Where("checkout_session_id = ?", cs.ID).Count(&callbacks)
		gdb.Model(&models.GatewayAttempt{}).Where("checkout_session_id = ?", cs.ID).Count(&attempts)
		if stored.Status != models.SessionCompleted || auths != 1 || callbacks != 1 || attempts != 1 {
			t.Fatalf("session %s, %d authorizations, %d callbacks, %d attempts; want completed, 1, 1, 1", stored.Status, auths, callbacks, attempts)
		}
	})
}
