package stripe

import (
	"context"
	"strconv"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"

	"kasse/models"
)

// Stripe Checkout, as the checkout session uses it:
//
//   - CreateHosted: POST /v1/checkout/sessions, mode payment, one line
//     item of the amount (price_data with the session's description),
//     success_url = the return URL with session_id={CHECKOUT_SESSION_ID},
//     cancel_url, customer_email, locale, client_reference_id and metadata
//     (kasse_payment_source_id) on the session and on its PaymentIntent
//     (payment_intent_data.metadata), capture_method manual unless the
//     payment method auto-captures, expires_at the session's expiry
//     (within Stripe's 30 minutes to 24 hours), installments (below), and
//     Kasse's idempotency key.
//   - HostedDetails: GET /v1/checkout/sessions/{cs_…} with its
//     payment_intent expanded, by the id Kasse stored (the return URL's
//     session_id is not used), checked against client_reference_id; the
//     PaymentIntent's state is the outcome (requires_capture → approved,
//     succeeded → approved and captured). An open session is
//     requires_action (its URL), even after a declined card there (the
//     customer may try again on Stripe's page); an expired one is
//     declined.
//   - Installments: Stripe offers card installments in Checkout for
//     Mexican cards (MXN) only, the plan being chosen on Stripe's page:
//     payment_method_options.card.installments.enabled is sent when the
//     customer asked for more than one and the currency is MXN; the number
//     is recorded in the metadata (kasse_installments) in every case.

var _ models.HostedProvider = (*Adapter)(nil)

// checkoutLocales are Stripe Checkout's locales.
var checkoutLocales = map[string]bool{"bg": true, "cs": true, "da": true, "de": true, "el": true, "en": true, "en-GB": true, "es": true,
	"es-419": true, "et": true, "fi": true, "fil": true, "fr": true, "fr-CA": true, "hr": true, "hu": true, "id": true, "it": true,
	"ja": true, "ko": true, "lt": true, "lv": true, "ms": true, "mt": true, "nb": true, "nl": true, "pl": true, "pt": true,
	"pt-BR": true, "ro": true, "ru": true, "sk": true, "sl": true, "sv": true, "th": true, "tr": true, "vi": true, "zh": true,
	"zh-HK": true, "zh-TW": true}

// CheckoutLocale is Stripe Checkout's locale for a Kasse locale (fr_CA →
// fr-CA, fr_CI → fr, xx → auto).
func CheckoutLocale(locale string) string {
	l := strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")
	lang, region, _ := strings.Cut(l, "-")
	lang = strings.ToLower(lang)
	if full := lang + "-" + strings.ToUpper(region); region != "" && checkoutLocales[full] {
		return full
	}
	if checkoutLocales[lang] {
		return lang
	}
	return "auto"
}

// Stripe Checkout's bounds on expires_at.
const (
	minCheckoutLifetime = 30*time.Minute + time.Minute // a minute of margin for the call itself
	maxCheckoutLifetime = 24 * time.Hour
)

// Hosts says whether id is a Checkout Session id.
func (a *Adapter) Hosts(id string) bool { return strings.HasPrefix(id, "cs_") }

// CreateHosted creates a Checkout Session.
func (a *Adapter) CreateHosted(ctx context.Context, req models.HostedRequest) (*models.HostedResult, error) {
	amount, err := toStripeAmount(req.AmountCents, req.Currency)
	if err != nil {
		return nil, err
	}
	currency := strings.ToLower(strings.TrimSpace(req.Currency))
	captureMethod := stripeapi.PaymentIntentCaptureMethodManual
	if req.Capture {
		captureMethod = stripeapi.PaymentIntentCaptureMethodAutomatic
	}
	metadata := map[string]string{models.HostedSourceKey: req.SourceID, "reference": req.Reference}
	if req.Installments > 1 {
		metadata[models.HostedInstallmentsKey] = strconv.Itoa(req.Installments)
	}
	success := req.SuccessURL
	if strings.Contains(success, "?") {
		success += "&"
	} else {
		success += "?"
	}
	p := &stripeapi.CheckoutSessionCreateParams{
		Mode:              stripeapi.String(string(stripeapi.CheckoutSessionModePayment)),
		SuccessURL:        stripeapi.String(success + "session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:         stripeapi.String(req.CancelURL),
		ClientReferenceID: stripeapi.String(req.SourceID),
		Locale:            stripeapi.String(CheckoutLocale(req.Locale)),
		LineItems: []*stripeapi.CheckoutSessionCreateLineItemParams{{
			Quantity: stripeapi.Int64(1),
			PriceData: &stripeapi.CheckoutSessionCreateLineItemPriceDataParams{
				Currency: stripeapi.String(currency), UnitAmount: stripeapi.Int64(amount),
				ProductData: &stripeapi.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripeapi.String(req.Description)},
			},
		}},
		PaymentIntentData: &stripeapi.CheckoutSessionCreatePaymentIntentDataParams{
			CaptureMethod: stripeapi.String(string(captureMethod)), Metadata: metadata, Description: stripeapi.String(req.Description),
		},
		Metadata: metadata,
	}
	if req.CustomerEmail != "" {
		p.CustomerEmail = stripeapi.String(req.CustomerEmail)
	}
	if !req.ExpiresAt.IsZero() {
		until := time.Until(req.ExpiresAt)
		until = min(max(until, minCheckoutLifetime), maxCheckoutLifetime)
		p.ExpiresAt = stripeapi.Int64(time.Now().Add(until).Unix())
	}
	if req.Installments > 1 && currency == "mxn" {
		p.PaymentMethodOptions = &stripeapi.CheckoutSessionCreatePaymentMethodOptionsParams{
			Card: &stripeapi.CheckoutSessionCreatePaymentMethodOptionsCardParams{
				Installments: &stripeapi.CheckoutSessionCreatePaymentMethodOptionsCardInstallmentsParams{Enabled: stripeapi.Bool(true)},
			},
		}
	}
	setKey(&p.Params, req.IdempotencyKey)
	cs, err := a.client.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	if !a.Hosts(cs.ID) || cs.URL == "" {
		return nil, &models.ProviderError{Temporary: true, Code: "malformed_response", Message: "Stripe's Checkout Session has no id or url"}
	}
	return &models.HostedResult{ID: cs.ID, RedirectURL: cs.URL}, nil
}

// HostedDetails reads a Checkout Session and its PaymentIntent.
func (a *Adapter) HostedDetails(ctx context.Context, q models.HostedQuery) (*models.ProviderResult, error) {
	p := &stripeapi.CheckoutSessionRetrieveParams{}
	p.AddExpand("payment_intent")
	p.AddExpand("payment_intent.payment_method")
	cs, err := a.client.V1CheckoutSessions.Retrieve(ctx, q.HostedID, p)
	if err != nil {
		return nil, a.providerError(err)
	}
	if q.SourceID == "" || cs.ClientReferenceID != q.SourceID {
		return nil, &models.ProviderError{Code: "hosted_page_mismatch", Message: "the Checkout Session belongs to another payment"}
	}
	summary := map[string]any{"id": cs.ID, "object": "checkout.session", "status": string(cs.Status), "payment_status": string(cs.PaymentStatus)}
	waiting := &models.ProviderResult{Outcome: models.Pending, Status: string(cs.Status), Raw: summary}
	if cs.URL != "" {
		waiting.Outcome, waiting.RedirectURL = models.RequiresAction, cs.URL
	}
	pi := cs.PaymentIntent
	if pi == nil || pi.ID == "" || pi.Status == "" {
		if cs.Status == stripeapi.CheckoutSessionStatusExpired {
			return &models.ProviderResult{Outcome: models.Declined, Status: string(cs.Status), ResponseCode: "expired",
				Message: "the Checkout Session expired", Raw: summary}, nil
		}
		return waiting, nil
	}
	res := intentResult(pi)
	delete(res.Raw, "client_secret") // the customer pays on Stripe's page, never with Stripe.js here
	res.Raw["checkout_session"] = summary
	if res.Outcome != models.Approved && cs.Status == stripeapi.CheckoutSessionStatusOpen {
		return waiting, nil // still on Stripe's page: a declined card may be tried again
	}
	if res.Outcome == models.Pending && cs.Status == stripeapi.CheckoutSessionStatusExpired {
		res.Outcome, res.ResponseCode, res.Message = models.Declined, "expired", "the Checkout Session expired"
	}
	return res, nil
}
