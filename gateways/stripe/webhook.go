package stripe

import (
	"encoding/json"
	"errors"
	"fmt"

	stripeapi "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"kasse/models"
)

// SignatureHeader carries a Stripe webhook's signature:
// t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint secret>.
const SignatureHeader = "Stripe-Signature"

// ParseWebhook verifies Stripe-Signature on the raw body (tolerance
// webhook.DefaultTolerance, 300 s; an event of another API version is
// accepted: only the few fields read below matter) and normalizes the
// event. What each event type means to Kasse:
//
//   - payment_intent.amount_capturable_updated: the authorization of a
//     manual-capture payment succeeded (authorization, Approved, the
//     capturable amount).
//
//   - payment_intent.succeeded: for a manual-capture PaymentIntent, the
//     capture Kasse (or the dashboard) made (capture, Approved, the amount
//     received). For an automatic-capture one it is the payment's only
//     outcome: Kasse records an auto-captured payment as its authorization
//     settled with the capture included (ProviderResult.Captured), not as a
//     capture of an earlier authorization, so it is an authorization,
//     Approved. (A capture event there would find no authorization to
//     capture against.) The event says Captured, so a pending
//     auto-capture payment it settles is recorded captured.
//
//   - payment_intent.payment_failed: the authorization was declined.
//
//   - payment_intent.canceled: the authorization was voided.
//
//   - refund.created, refund.updated with status succeeded: a refund,
//     Approved, with its amount and the refund's id (re_…) as ActionID,
//     the id Refund answered with, so Kasse knows a refund it already
//     recorded (failed or canceled: the refund Declined; pending: nothing
//     yet). Card refunds are succeeded when created: refund.updated alone
//     would miss them.
//
//   - charge.refunded: a refund only when the charge lists its refunds
//     (the newest one is taken). Since API version 2022-11-15 it does not:
//     the event then names the charge and a running total but not which
//     refund, and taking it as a new one would count again each partial
//     refund Kasse made itself, so it verifies but has Kind "". Subscribe
//     the endpoint to refund.created and refund.updated.
//
//   - checkout.session.completed, .async_payment_succeeded,
//     .async_payment_failed, .expired: a Stripe Checkout page (the hosted
//     checkout session's) changed. The event has no outcome of its own
//     (a completed session of a manual-capture payment is "unpaid"):
//     Verify is set, with the session's id (HostedID) and
//     client_reference_id (SourceRef), so Kasse reads the payment from
//     Stripe. PaymentIntent events carry SourceRef from their metadata.
//
// Anything else verifies but has Kind "". PaymentID is always the
// PaymentIntent's id; amounts are in Kasse's ISO minor units.
func (a *Adapter) ParseWebhook(header func(string) string, body []byte) (*models.WebhookEvent, error) {
	if a.webhookSecret == "" {
		return nil, errors.New("the gateway has no webhook_endpoint_secret")
	}
	ev, err := webhook.ConstructEventWithOptions(body, header(SignatureHeader), a.webhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return nil, fmt.Errorf("stripe webhook: %w", err)
	}
	if ev.ID == "" || ev.Data == nil {
		return nil, errors.New("stripe webhook: malformed event")
	}
	e := &models.WebhookEvent{ID: ev.ID, Type: string(ev.Type), Outcome: models.Approved}
	malformed := func(err error) (*models.WebhookEvent, error) {
		return nil, fmt.Errorf("stripe webhook: malformed %s object: %w", ev.Type, err)
	}
	switch ev.Type {
	case stripeapi.EventTypePaymentIntentAmountCapturableUpdated, stripeapi.EventTypePaymentIntentSucceeded,
		stripeapi.EventTypePaymentIntentPaymentFailed, stripeapi.EventTypePaymentIntentCanceled:
		var pi stripeapi.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return malformed(err)
		}
		e.PaymentID, e.SourceRef = pi.ID, pi.Metadata[models.HostedSourceKey]
		if pi.LatestCharge != nil {
			e.ActionID = pi.LatestCharge.ID
		}
		currency := string(pi.Currency)
		switch ev.Type {
		case stripeapi.EventTypePaymentIntentAmountCapturableUpdated:
			// Also sent when the capturable amount drops (to 0 after a
			// capture or a cancel): only a capturable intent is news.
			if pi.Status == stripeapi.PaymentIntentStatusRequiresCapture && pi.AmountCapturable > 0 {
				e.Kind, e.AmountCents = models.TxAuthorization, fromStripeAmount(pi.AmountCapturable, currency)
			}
		case stripeapi.EventTypePaymentIntentSucceeded:
			e.Kind, e.AmountCents = models.TxCapture, fromStripeAmount(pi.AmountReceived, currency)
			if pi.CaptureMethod != stripeapi.PaymentIntentCaptureMethodManual {
				e.Kind, e.Captured = models.TxAuthorization, true
			}
		case stripeapi.EventTypePaymentIntentPaymentFailed:
			e.Kind, e.Outcome, e.AmountCents = models.TxAuthorization, models.Declined, fromStripeAmount(pi.Amount, currency)
		case stripeapi.EventTypePaymentIntentCanceled:
			e.Kind, e.AmountCents = models.TxVoid, fromStripeAmount(pi.Amount, currency)
		}
	case stripeapi.EventTypeCheckoutSessionCompleted, stripeapi.EventTypeCheckoutSessionAsyncPaymentSucceeded,
		stripeapi.EventTypeCheckoutSessionAsyncPaymentFailed, stripeapi.EventTypeCheckoutSessionExpired:
		var cs stripeapi.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &cs); err != nil {
			return malformed(err)
		}
		e.HostedID, e.SourceRef, e.Verify = cs.ID, cs.ClientReferenceID, true
		if cs.PaymentIntent != nil && (ev.Type == stripeapi.EventTypeCheckoutSessionCompleted || ev.Type == stripeapi.EventTypeCheckoutSessionAsyncPaymentSucceeded) {
			e.PaymentID = cs.PaymentIntent.ID
		}
	case stripeapi.EventTypeChargeRefunded:
		var ch stripeapi.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return malformed(err)
		}
		if ch.PaymentIntent != nil {
			e.PaymentID = ch.PaymentIntent.ID
		}
		e.ActionID = ch.ID
		if ch.Refunds != nil && len(ch.Refunds.Data) > 0 && ch.Refunds.Data[0] != nil && ch.Refunds.Data[0].ID != "" {
			re := ch.Refunds.Data[0] // newest first
			e.Kind, e.ActionID, e.AmountCents = models.TxRefund, re.ID, fromStripeAmount(re.Amount, string(ch.Currency))
		}
	case stripeapi.EventTypeRefundCreated, stripeapi.EventTypeRefundUpdated:
		var re stripeapi.Refund
		if err := json.Unmarshal(ev.Data.Raw, &re); err != nil {
			return malformed(err)
		}
		if re.PaymentIntent != nil {
			e.PaymentID = re.PaymentIntent.ID
		}
		e.ActionID, e.AmountCents = re.ID, fromStripeAmount(re.Amount, string(re.Currency))
		switch re.Status {
		case stripeapi.RefundStatusSucceeded:
			e.Kind = models.TxRefund
		case stripeapi.RefundStatusFailed, stripeapi.RefundStatusCanceled:
			e.Kind, e.Outcome = models.TxRefund, models.Declined
		}
	}
	return e, nil
}
