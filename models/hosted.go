package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// HostedSourceKey is the metadata key under which Kasse gives a provider's
// hosted page (and the payment made on it) the id of the payment source it
// belongs to: the provider echoes it on the page, the payment and its
// webhooks, and Kasse checks it before it takes a payment as the source's.
const HostedSourceKey = "kasse_payment_source_id"

// HostedInstallmentsKey is the metadata key carrying the number of
// installments the customer chose on Kasse's page, for providers that do
// not take installments themselves (docs/checkout-sessions.md, "Gateways").
const HostedInstallmentsKey = "kasse_installments"

// HostedProvider is an adapter whose provider hosts a payment page of its
// own (Checkout.com's Hosted Payments Page, Stripe Checkout). The checkout
// session sends the customer there and, on the way back or by webhook,
// reads the outcome server-side with HostedDetails.
type HostedProvider interface {
	// CreateHosted opens a hosted page for the request. Errors are
	// *ProviderError: temporary when the outcome is unknown.
	CreateHosted(ctx context.Context, req HostedRequest) (*HostedResult, error)
	// HostedDetails reads the payment made on a hosted page from the
	// provider. q.ReturnedID is what the return URL's query named (the
	// provider's payment id, or its page id): a hint only, taken when the
	// provider's own answer ties it to q.SourceID.
	HostedDetails(ctx context.Context, q HostedQuery) (*ProviderResult, error)
	// Hosts says whether id is one of the provider's hosted page ids
	// (hpp_…, cs_…) rather than a 3DS session id.
	Hosts(id string) bool
}

// HostedQuery names a hosted page to read.
type HostedQuery struct {
	HostedID   string // the provider's page id (hpp_…, cs_…)
	ReturnedID string // what the return URL carried, untrusted
	SourceID   string // Kasse's payment source the page belongs to
}

// Hosted opens a provider's hosted page for a gateway: it is
// CheckoutSessions.Hosted, bounded by the provider timeout. A gateway
// whose adapter hosts no page is a refusal (a non-temporary
// *ProviderError).
func (p *Payments) Hosted(ctx context.Context, gatewayID string, req HostedRequest) (*HostedResult, error) {
	provider, kind, err := p.adapter(ctx, &gatewayID)
	if err != nil {
		return nil, err
	}
	hosted, ok := provider.(HostedProvider)
	if !ok {
		return nil, &ProviderError{Code: "hosted_unsupported", Message: kind + " gateways host no payment page"}
	}
	var out *HostedResult
	_, err = p.call(ctx, kind, "hosted", func(ctx context.Context) (*ProviderResult, error) {
		res, err := hosted.CreateHosted(ctx, req)
		if err != nil {
			return nil, err
		}
		out = res
		return &ProviderResult{Outcome: RequiresAction, RedirectURL: res.RedirectURL}, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil || out.ID == "" || out.RedirectURL == "" {
		return nil, &ProviderError{Temporary: true, Code: "malformed_response", Message: "the provider's hosted page has no id or URL"}
	}
	return out, nil
}

// hostedSource says whether a payment is waiting on a provider's hosted
// page whose payment Kasse does not know yet; it returns the page's id.
func hostedSource(ps *PaymentSource, provider Provider) (HostedProvider, string) {
	hosted, ok := provider.(HostedProvider)
	if !ok || ps.GatewayPaymentID != nil || ps.SessionID == nil || !hosted.Hosts(*ps.SessionID) {
		return nil, ""
	}
	return hosted, *ps.SessionID
}

// hostedRequest builds the request for a provider's hosted page: the
// payment source's amount and capture, the order's email and country.
func (s *CheckoutSessions) hostedRequest(ctx context.Context, baseURL string, sess *CheckoutSession, sourceID string, installments int) (HostedRequest, error) {
	q := s.db(ctx)
	ps, err := loadSource(q, sourceID)
	if err != nil {
		return HostedRequest{}, err
	}
	var order Order
	if err := q.Where("id = ?", ps.OrderID).Take(&order).Error; err != nil {
		return HostedRequest{}, err
	}
	back := ReturnURL(baseURL, sess.Token)
	email := deref(sess.CustomerEmail)
	if email == "" {
		email = deref(order.CustomerEmail)
	}
	name := deref(sess.Description)
	if name == "" {
		name = "Order " + strconv.FormatInt(order.Number, 10)
	}
	return HostedRequest{AmountCents: ps.AmountCents, Currency: ps.CurrencyCode, Reference: sess.ID, Description: name,
		CustomerEmail: email, Locale: sess.Locale, SuccessURL: back, FailureURL: back, CancelURL: back + "?" + HostedCancelParam + "=1",
		Capture: ps.AutoCapture, Installments: installments, IdempotencyKey: "kasse_" + sourceID + "_hosted",
		SourceID: sourceID, Country: orderCountry(q, &order, sess.Locale), ExpiresAt: sess.ExpiresAt}, nil
}

// HostedCancelParam marks the return from a provider's page whose
// customer chose to cancel there (the provider's cancel_url).
const HostedCancelParam = "kasse_cancel"

// orderCountry is the country a provider's page bills in: the billing
// address's, else the order's country_code, else the locale's region.
func orderCountry(q *gorm.DB, order *Order, locale string) string {
	if order.BillingAddressID != nil {
		var countries []string
		if q.Model(&Address{}).Where("id = ?", *order.BillingAddressID).Limit(1).Pluck("country_code", &countries).Error == nil && len(countries) == 1 && countries[0] != "" {
			return strings.ToUpper(countries[0])
		}
	}
	if c := strings.TrimSpace(deref(order.CountryCode)); c != "" {
		return strings.ToUpper(c)
	}
	if i := strings.IndexAny(locale, "_-"); i > 0 && len(locale)-i-1 == 2 {
		return strings.ToUpper(locale[i+1:])
	}
	return ""
}

// startHosted opens the provider's page for a payment begun on candidate
// c and sends the customer there. A provider that does not answer (a
// timeout, a 5xx) is a technical failure: the payment is closed (no money
// can move without the customer on the page) and technical is true, so
// Pay fails over to the next candidate. A refusal fails the attempt.
func (s *CheckoutSessions) startHosted(ctx context.Context, baseURL string, sess *CheckoutSession, c RouteCandidate, sourceID string, installments int) (redirect string, technical bool, err error) {
	req, err := s.hostedRequest(ctx, baseURL, sess, sourceID, installments)
	if err != nil {
		return "", false, err
	}
	// Waiting on the provider from now on, not a payment to authorize: a
	// crash before the answer leaves a payment that the reconciler closes
	// (it names no page and no payment), never one authorized without a
	// token.
	if err := s.db(ctx).Model(&PaymentSource{}).Where("id = ? AND status = ?", sourceID, SourcePending).
		Updates(map[string]any{"status": SourceAction, "updated_at": db.Now()}).Error; err != nil {
		return "", false, err
	}
	res, callErr := s.Hosted(ctx, c.GatewayID, req)
	if callErr == nil {
		err = s.db(ctx).Model(&PaymentSource{}).Where("id = ?", sourceID).
			Updates(map[string]any{"session_id": res.ID, "redirect_uri": res.RedirectURL, "status": SourceAction, "updated_at": db.Now()}).Error
		return res.RedirectURL, false, err
	}
	var pe *ProviderError
	if !errors.As(callErr, &pe) {
		return "", false, callErr
	}
	answer := db.JSONObject{"status": "Declined", "error_type": pe.Code, "message": pe.Message}
	if pe.Temporary {
		answer["error"] = "provider_unavailable"
	}
	if err := s.db(ctx).Model(&PaymentSource{}).Where("id = ? AND status = ?", sourceID, SourceAction).
		Updates(map[string]any{"status": SourceDeclined, "payment_response": answer, "updated_at": db.Now()}).Error; err != nil {
		return "", false, err
	}
	if pe.Temporary {
		return "", true, errProviderUnavailable(pe.Message)
	}
	reason := fmt.Sprintf("the payment provider refused to open its payment page (%s)", pe.Message)
	err = s.locked(ctx, sess.ID, func(tx *gorm.DB, _ *Order, locked *CheckoutSession) error {
		if locked.Status != SessionProcessing || deref(locked.PaymentSourceID) != sourceID {
			return nil
		}
		return s.fail(tx, locked, reason, db.Now(), false)
	})
	if err != nil {
		return "", false, err
	}
	return "", false, errs.New(errs.ValidationError, "%s", reason)
}

// cancelHosted is the return from a provider's page whose customer
// cancelled there: once the provider confirmed no payment was made, the
// session is failed with why and the customer may pay again.
func (s *CheckoutSessions) cancelHosted(ctx context.Context, id string) error {
	return s.locked(ctx, id, func(tx *gorm.DB, _ *Order, sess *CheckoutSession) error {
		if sess.Status != SessionProcessing || sess.PaymentSourceID == nil {
			return nil
		}
		ps, err := loadSource(tx, *sess.PaymentSourceID)
		if err != nil || ps.Status != SourceAction || ps.GatewayPaymentID != nil {
			return err
		}
		return s.fail(tx, sess, "the payment was cancelled on the payment provider's page", db.Now(), false)
	})
}
