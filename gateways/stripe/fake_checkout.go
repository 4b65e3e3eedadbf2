package stripe

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// fakeCheckout is a Checkout Session a Fake holds.
type fakeCheckout struct {
	ID, Status, PaymentStatus, Currency, SuccessURL, CancelURL, Locale, Email string
	ClientReferenceID, CaptureMethod, PaymentIntent                           string
	Amount, ExpiresAt                                                         int64
	Metadata, IntentMetadata                                                  map[string]string
	Installments                                                              bool
}

// checkoutPagePath is where a Fake serves its Checkout pages: a
// session's url is URL+"/fake/checkout/{cs_id}".
const checkoutPagePath = "/fake/checkout/"

// CheckoutSession is a Checkout Session's current state as the API shows
// it (its PaymentIntent not expanded).
func (f *Fake) CheckoutSession(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cs, ok := f.checkouts[id]
	if !ok {
		return nil, false
	}
	return f.checkoutObject(cs, false, false), true
}

// PayCheckout pays on a Checkout Session's page with a test
// PaymentMethod, as the customer does: an approved card completes the
// session (its PaymentIntent requires_capture, or succeeded with
// automatic capture); a declined one leaves it open for another try.
func (f *Fake) PayCheckout(id, paymentMethod string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cs, ok := f.checkouts[id]
	if !ok || cs.Status != "open" {
		return fmt.Errorf("stripe fake: %s is not an open Checkout Session", id)
	}
	pi, ok := f.intents[cs.PaymentIntent]
	if !ok {
		pi = &fakeIntent{ID: f.id("pi_fake_"), Amount: cs.Amount, Currency: cs.Currency, Status: "requires_payment_method",
			CaptureMethod: cs.CaptureMethod, ReceiptEmail: cs.Email, Metadata: cs.IntentMetadata}
		pi.ClientSecret = pi.ID + "_secret_" + f.id("")
		f.intents[pi.ID] = pi
		cs.PaymentIntent = pi.ID
	}
	pi.PaymentMethod = paymentMethod
	f.confirm(pi)
	if pi.LastError == nil {
		cs.Status, cs.PaymentStatus = "complete", "unpaid"
		if pi.Status == "succeeded" {
			cs.PaymentStatus = "paid"
		}
	}
	return nil
}

// ExpireCheckout expires an open Checkout Session, as Stripe does at its
// expires_at.
func (f *Fake) ExpireCheckout(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cs, ok := f.checkouts[id]; ok && cs.Status == "open" {
		cs.Status = "expired"
	}
}

// bracketed reads form keys prefix[name] into a map.
func bracketed(form url.Values, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		if strings.HasPrefix(k, prefix+"[") && strings.HasSuffix(k, "]") && !strings.Contains(k[len(prefix)+1:len(k)-1], "[") {
			out[k[len(prefix)+1:len(k)-1]] = v[0]
		}
	}
	return out
}

// createCheckout answers POST /v1/checkout/sessions (mode payment with
// price_data line items only).
func (f *Fake) createCheckout(form url.Values) (int, map[string]any) {
	invalid := func(param, msg string) (int, map[string]any) {
		return stripeError(http.StatusBadRequest, "invalid_request_error", "parameter_invalid", msg, map[string]any{"param": param})
	}
	if form.Get("mode") != "payment" {
		return invalid("mode", "The fake takes mode=payment only.")
	}
	success := form.Get("success_url")
	if u, err := url.Parse(strings.ReplaceAll(success, "{CHECKOUT_SESSION_ID}", "x")); err != nil || u.Host == "" {
		return invalid("success_url", "Not a valid URL")
	}
	cs := &fakeCheckout{ID: f.id("cs_test_fake_"), Status: "open", PaymentStatus: "unpaid", SuccessURL: success, CancelURL: form.Get("cancel_url"),
		Locale: form.Get("locale"), Email: form.Get("customer_email"), ClientReferenceID: form.Get("client_reference_id"),
		CaptureMethod: form.Get("payment_intent_data[capture_method]"), Metadata: bracketed(form, "metadata"),
		IntentMetadata: bracketed(form, "payment_intent_data[metadata]"), ExpiresAt: time.Now().Add(24 * time.Hour).Unix(),
		Installments: form.Get("payment_method_options[card][installments][enabled]") == "true"}
	if cs.CaptureMethod == "" {
		cs.CaptureMethod = "automatic"
	}
	if v := form.Get("expires_at"); v != "" {
		at, err := strconv.ParseInt(v, 10, 64)
		if err != nil || at < time.Now().Add(30*time.Minute).Unix() || at > time.Now().Add(24*time.Hour).Unix() {
			return invalid("expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.")
		}
		cs.ExpiresAt = at
	}
	for i := 0; ; i++ {
		item := fmt.Sprintf("line_items[%d]", i)
		if form.Get(item+"[quantity]") == "" {
			if i == 0 {
				return invalid("line_items", "You must provide at least one line item.")
			}
			break
		}
		qty, err1 := strconv.ParseInt(form.Get(item+"[quantity]"), 10, 64)
		amount, err2 := strconv.ParseInt(form.Get(item+"[price_data][unit_amount]"), 10, 64)
		currency := form.Get(item + "[price_data][currency]")
		if err1 != nil || err2 != nil || qty < 1 || amount < 1 || len(currency) != 3 || currency != strings.ToLower(currency) ||
			form.Get(item+"[price_data][product_data][name]") == "" {
			return invalid(item, "Invalid line item.")
		}
		if cs.Currency != "" && cs.Currency != currency {
			return invalid(item, "All line items must be in one currency.")
		}
		cs.Currency, cs.Amount = currency, cs.Amount+qty*amount
	}
	f.checkouts[cs.ID] = cs
	return http.StatusOK, f.checkoutObject(cs, false, false)
}

func (f *Fake) checkoutObject(cs *fakeCheckout, expandIntent, expandPM bool) map[string]any {
	o := map[string]any{"id": cs.ID, "object": "checkout.session", "mode": "payment", "status": cs.Status, "payment_status": cs.PaymentStatus,
		"amount_total": cs.Amount, "currency": cs.Currency, "client_reference_id": cs.ClientReferenceID, "metadata": cs.Metadata,
		"success_url": cs.SuccessURL, "cancel_url": cs.CancelURL, "expires_at": cs.ExpiresAt, "livemode": false, "payment_intent": nil,
		"customer_email": nil, "locale": nil, "url": nil, "created": time.Now().Unix()}
	if cs.Status == "open" {
		o["url"] = f.URL + checkoutPagePath + cs.ID
	}
	if cs.Email != "" {
		o["customer_email"] = cs.Email
	}
	if cs.Locale != "" {
		o["locale"] = cs.Locale
	}
	if pi, ok := f.intents[cs.PaymentIntent]; ok {
		o["payment_intent"] = pi.ID
		if expandIntent {
			o["payment_intent"] = pi.object(expandPM)
		}
	}
	return o
}

// checkoutPage is the customer's Checkout page: GET without outcome shows
// it; ?outcome=pay (card: pm_card_visa unless &card= says) pays and
// redirects to the success_url with {CHECKOUT_SESSION_ID} filled in;
// ?outcome=decline tries a declined card and shows the page again;
// ?outcome=cancel redirects to the cancel_url.
func (f *Fake) checkoutPage(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, checkoutPagePath)
	f.mu.Lock()
	cs, ok := f.checkouts[id]
	var success, cancel string
	if ok {
		success, cancel = cs.SuccessURL, cs.CancelURL
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	card := r.URL.Query().Get("card")
	switch r.URL.Query().Get("outcome") {
	case "pay":
		if card == "" {
			card = TestCardVisa
		}
		if err := f.PayCheckout(id, card); err != nil {
			http.Error(w, err.Error(), http.StatusGone)
			return
		}
		http.Redirect(w, r, strings.ReplaceAll(success, "{CHECKOUT_SESSION_ID}", id), http.StatusSeeOther)
	case "decline":
		if err := f.PayCheckout(id, TestCardDeclined); err != nil {
			http.Error(w, err.Error(), http.StatusGone)
			return
		}
		http.Redirect(w, r, checkoutPagePath+id, http.StatusSeeOther)
	case "cancel":
		http.Redirect(w, r, cancel, http.StatusSeeOther)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Stripe fake Checkout</title><a id="pay" href="?outcome=pay">Pay</a> <a id="decline" href="?outcome=decline">Declined card</a> <a id="cancel" href="?outcome=cancel">Cancel</a>`)
	}
}
