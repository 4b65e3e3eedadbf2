package checkoutcom

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// FakeHostedPage is a Hosted Payments Page the fake holds.
type FakeHostedPage struct {
	ID, Status, PaymentID, Currency, Reference, Description, Email, Country, Locale string
	Amount                                                                          int64
	Capture                                                                         bool
	SuccessURL, FailureURL, CancelURL                                               string
	Metadata                                                                        map[string]any
	// Attempts are the payments made on the page, declined ones included.
	Attempts []string
}

// hostedPagePath is where the fake serves its hosted pages: the
// _links.redirect.href of POST /hosted-payments is {URL}/hpp/{hpp_id}.
const hostedPagePath = "/hpp/"

var hostedRE = regexp.MustCompile(`^/hosted-payments/([^/]+)$`)

// HostedPage returns a copy of a hosted page the fake holds.
func (f *Fake) HostedPage(id string) (FakeHostedPage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosted[id]
	if !ok {
		return FakeHostedPage{}, false
	}
	c := *h
	c.Attempts = append([]string(nil), h.Attempts...)
	return c, true
}

// HostedPages lists the ids of the hosted pages the fake holds.
func (f *Fake) HostedPages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.hosted {
		ids = append(ids, id)
	}
	return ids
}

// PayHosted pays on a hosted page as its customer would, approved or
// declined, and returns the payment's id; "" when the page is unknown or
// no longer takes payments. An approved payment settles the page
// (Payment Received); a declined one leaves it open for another try.
func (f *Fake) PayHosted(id string, approve bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosted[id]
	if !ok || h.Status != HostedPending {
		return ""
	}
	p := &FakePayment{ID: fakeID("pay_"), Currency: h.Currency, Reference: h.Reference, Amount: h.Amount, CaptureRequested: h.Capture,
		SourceID: fakeID("src_"), CustomerID: fakeID("cus_"), Email: h.Email, SuccessURL: h.SuccessURL, FailureURL: h.FailureURL, Metadata: h.Metadata}
	f.payments[p.ID] = p
	h.Attempts = append(h.Attempts, p.ID)
	if approve {
		f.approve(p, h.Capture)
		h.Status, h.PaymentID = HostedReceived, p.ID
	} else {
		p.Status, p.ResponseCode, p.ResponseSummary = "Declined", "20051", "Insufficient Funds"
		p.Actions = append(p.Actions, FakeAction{ID: fakeID("act_"), Type: "Authorization", Amount: p.Amount, Code: "20051", Summary: "Insufficient Funds"})
		h.PaymentID = p.ID
	}
	return p.ID
}

// ExpireHosted makes a hosted page expire, as Checkout.com does after its
// lifetime when nothing was paid on it.
func (f *Fake) ExpireHosted(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.hosted[id]; ok && h.Status == HostedPending {
		h.Status = HostedExpired
	}
}

// createHosted answers POST /hosted-payments: billing.address.country,
// success_url, failure_url and cancel_url are required, as in the API
// reference; the answer is 201 {id, reference, _links.self, _links.redirect}.
func (f *Fake) createHosted(body []byte) answer {
	var req struct {
		Amount      *int64 `json:"amount"`
		Currency    string `json:"currency"`
		Reference   string `json:"reference"`
		Description string `json:"description"`
		Customer    struct {
			Email string `json:"email"`
		} `json:"customer"`
		Billing *struct {
			Address struct {
				Country string `json:"country"`
			} `json:"address"`
		} `json:"billing"`
		SuccessURL string         `json:"success_url"`
		FailureURL string         `json:"failure_url"`
		CancelURL  string         `json:"cancel_url"`
		Capture    *bool          `json:"capture"`
		Locale     string         `json:"locale"`
		Metadata   map[string]any `json:"metadata"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return f.invalid(http.StatusUnprocessableEntity, "request_body_malformed")
	}
	var codes []string
	if !currencyRE.MatchString(req.Currency) {
		codes = append(codes, "currency_invalid")
	}
	if req.Amount == nil || *req.Amount < 1 || *req.Amount > maxAmount || (thousands[req.Currency] && *req.Amount%10 != 0) {
		codes = append(codes, "amount_invalid")
	}
	if req.Billing == nil || len(req.Billing.Address.Country) != 2 {
		codes = append(codes, "billing_address_country_invalid")
	}
	for name, v := range map[string]string{"success_url": req.SuccessURL, "failure_url": req.FailureURL, "cancel_url": req.CancelURL} {
		if u, err := url.Parse(v); err != nil || u.Host == "" || len(v) > 255 {
			codes = append(codes, name+"_invalid")
		}
	}
	if len(req.Reference) > 50 || len(req.Description) > 100 {
		codes = append(codes, "reference_or_description_too_long")
	}
	if len(codes) > 0 {
		return f.invalid(http.StatusUnprocessableEntity, codes...)
	}
	h := &FakeHostedPage{ID: fakeID("hpp_"), Status: HostedPending, Currency: req.Currency, Reference: req.Reference, Description: req.Description,
		Email: req.Customer.Email, Country: req.Billing.Address.Country, Locale: req.Locale, Amount: *req.Amount,
		Capture: req.Capture == nil || *req.Capture, SuccessURL: req.SuccessURL, FailureURL: req.FailureURL, CancelURL: req.CancelURL, Metadata: req.Metadata}
	f.hosted[h.ID] = h
	return jsonAnswer(http.StatusCreated, map[string]any{"id": h.ID, "reference": h.Reference, "_links": f.hostedLinks(h)})
}

func (f *Fake) hostedLinks(h *FakeHostedPage) map[string]any {
	return map[string]any{"self": map[string]string{"href": f.URL + "/hosted-payments/" + h.ID},
		"redirect": map[string]string{"href": f.URL + hostedPagePath + h.ID}}
}

// getHosted answers GET /hosted-payments/{id}.
func (f *Fake) getHosted(id string) answer {
	h, ok := f.hosted[id]
	if !ok {
		return answer{status: http.StatusNotFound}
	}
	m := map[string]any{"id": h.ID, "status": h.Status, "amount": h.Amount, "currency": h.Currency, "reference": h.Reference,
		"description": h.Description, "customer": map[string]any{"email": h.Email}, "billing": map[string]any{"address": map[string]any{"country": h.Country}},
		"metadata": h.Metadata, "success_url": h.SuccessURL, "failure_url": h.FailureURL, "cancel_url": h.CancelURL, "_links": f.hostedLinks(h)}
	if h.PaymentID != "" {
		m["payment_id"] = h.PaymentID
	}
	return jsonAnswer(http.StatusOK, m)
}

var hostedPageTemplate = template.Must(template.New("hpp").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout.com fake: Hosted Payments Page</title></head>
<body><h1>Pay {{.Amount}} {{.Currency}}</h1><p>{{.Description}}</p>
<form method="post"><button name="outcome" value="pay" id="pay">Pay</button><button name="outcome" value="decline" id="decline">Pay with a declined card</button><button name="outcome" value="cancel" id="cancel">Cancel</button></form>
</body></html>`))

// hostedPage serves {URL}/hpp/{hpp_id}: GET shows the page; POST
// outcome=pay|decline|cancel pays (approved or declined) and redirects
// (303) to the success or failure URL with ?cko-payment-id=pay_…, or to
// the cancel URL, as Checkout.com's page does.
func (f *Fake) hostedPage(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.TrimPrefix(r.URL.Path, hostedPagePath)
	h, ok := f.HostedPage(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = hostedPageTemplate.Execute(w, h)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	form, _ := url.ParseQuery(string(body))
	target := h.CancelURL
	switch form.Get("outcome") {
	case "cancel":
	case "pay", "decline":
		approve := form.Get("outcome") == "pay"
		pid := f.PayHosted(id, approve)
		if pid == "" {
			http.Error(w, "this page no longer takes payments", http.StatusGone)
			return
		}
		target = h.FailureURL
		if approve {
			target = h.SuccessURL
		}
		u, err := url.Parse(target)
		if err != nil {
			http.Error(w, "bad return URL", http.StatusBadRequest)
			return
		}
		q := u.Query()
		q.Set("cko-payment-id", pid)
		u.RawQuery = q.Encode()
		target = u.String()
	default:
		http.Error(w, "outcome must be pay, decline or cancel", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
