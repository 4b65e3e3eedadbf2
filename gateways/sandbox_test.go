package gateways_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/models"
)

// TestSandboxAcrossInstances runs one sandbox payment through two sandboxes
// over one database, as two instances of Kasse would: each step may be
// served by either.
func TestSandboxAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		gw := &models.PaymentGateway{Kind: models.GatewaySandbox, Name: "Sandbox"}
		one := gateways.NewSandbox("http://one.test", &models.SandboxStore{DB: gdb})
		two := gateways.NewSandbox("http://two.test", &models.SandboxStore{DB: gdb})
		a, b := one.For(gw), two.For(gw)

		res, err := a.Authorize(ctx, models.AuthorizeRequest{Token: gateways.SandboxThreeDS, AmountCents: 1500, Currency: "EUR",
			SuccessURL: "https://shop.test/ok", FailureURL: "https://shop.test/ko", IdempotencyKey: "k-auth"})
		if err != nil || res.Outcome != models.RequiresAction || !strings.HasPrefix(res.RedirectURL, "http://one.test/sandbox/3ds/") {
			t.Fatalf("authorize: %+v %v", res, err)
		}
		page := httptest.NewServer(two.Handler())
		defer page.Close()
		path := strings.TrimPrefix(res.RedirectURL, "http://one.test")
		get, err := http.Get(page.URL + path)
		if err != nil || get.StatusCode != 200 {
			t.Fatalf("GET the 3DS page on the other instance: %v %v", get, err)
		}
		get.Body.Close()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		post, err := client.PostForm(page.URL+path, url.Values{"outcome": {"complete"}})
		if err != nil || post.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST the 3DS page: %v %v", post, err)
		}
		post.Body.Close()
		back, _ := url.Parse(post.Header.Get("Location"))
		sid := back.Query().Get("cko-session-id")
		if back.Host != "shop.test" || back.Path != "/ok" || sid == "" {
			t.Fatalf("redirected to %s", back)
		}
		details, err := a.Details(ctx, "", sid)
		if err != nil || details.Outcome != models.Approved || details.PaymentID != res.PaymentID {
			t.Fatalf("details by session: %+v %v", details, err)
		}
		again, err := b.Authorize(ctx, models.AuthorizeRequest{Token: gateways.SandboxThreeDS, AmountCents: 1500, Currency: "EUR", IdempotencyKey: "k-auth"})
		if err != nil || again.PaymentID != res.PaymentID {
			t.Fatalf("a retried authorization must replay the first: %+v %v", again, err)
		}

		capture, err := b.Capture(ctx, models.ActionRequest{PaymentID: res.PaymentID, AmountCents: 1500, IdempotencyKey: "k-capture"})
		if err != nil || capture.Status != "Captured" {
			t.Fatalf("capture: %+v %v", capture, err)
		}
		replayed, err := a.Capture(ctx, models.ActionRequest{PaymentID: res.PaymentID, AmountCents: 1500, IdempotencyKey: "k-capture"})
		if err != nil || replayed.ActionID != capture.ActionID {
			t.Fatalf("a retried capture must replay the first: %+v %v", replayed, err)
		}
		if _, err := a.Capture(ctx, models.ActionRequest{PaymentID: res.PaymentID, AmountCents: 1, IdempotencyKey: "k-capture-2"}); err == nil {
			t.Fatal("capturing past the amount must be refused")
		}
		refund, err := a.Refund(ctx, models.ActionRequest{PaymentID: res.PaymentID, AmountCents: 500, IdempotencyKey: "k-refund"})
		if err != nil || refund.Status != "Partially Refunded" {
			t.Fatalf("refund: %+v %v", refund, err)
		}
		if _, err := b.Details(ctx, "pay_sbx_unknown", ""); err == nil {
			t.Fatal("an unknown payment must be an error")
		}

		// tok_sandbox_timeout: the first answer is lost, a retry on the
		// other instance finds the payment authorized.
		_, err = a.Authorize(ctx, models.AuthorizeRequest{Token: gateways.SandboxTimeout, AmountCents: 700, Currency: "EUR", IdempotencyKey: "k-timeout"})
		var pe *models.ProviderError
		if !errors.As(err, &pe) || !pe.Temporary {
			t.Fatalf("the first timeout call: %v", err)
		}
		late, err := b.Authorize(ctx, models.AuthorizeRequest{Token: gateways.SandboxTimeout, AmountCents: 700, Currency: "EUR", IdempotencyKey: "k-timeout"})
		if err != nil || late.Outcome != models.Approved {
			t.Fatalf("the retry: %+v %v", late, err)
		}

		// One key asked at once on both instances: one payment.
		var wg sync.WaitGroup
		ids := make([]string, 16)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := []models.Provider{a, b}[i%2]
				r, err := p.Authorize(ctx, models.AuthorizeRequest{Token: gateways.SandboxApproved, AmountCents: 900, Currency: "EUR", IdempotencyKey: "k-race"})
				if err != nil {
					t.Errorf("authorize %d: %v", i, err)
					return
				}
				ids[i] = r.PaymentID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("one key answered with two payments: %v", ids)
			}
		}
		var rows int64
		if err := gdb.Model(&models.SandboxPayment{}).Where("amount_cents = ?", 900).Count(&rows).Error; err != nil || rows != 1 {
			t.Fatalf("%d sandbox payments for one key (%v)", rows, err)
		}
	})
}
