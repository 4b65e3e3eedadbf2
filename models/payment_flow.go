package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Payments carries out the payment flow with the provider adapters. Every
// provider call follows the same three steps so that a timeout or a crash
// never leaves an order half-changed: the intent is recorded first (a
// pending payment source or transaction, in a short transaction), the
// provider is called outside any transaction with an idempotency key
// derived from that record, and the answer is applied in a second
// transaction under the order's row lock. An unknown outcome stays pending
// and `_refresh` settles it by asking again with the same key.
//
// Every method detaches from the caller's cancellation: once a provider
// has been asked, the answer must be recorded even if the client that
// asked went away. Each provider call is bounded by Timeout instead.
type Payments struct {
	DB        *gorm.DB
	Providers Providers
	// Timeout bounds one provider call (default DefaultProviderTimeout).
	Timeout time.Duration
	// Observe, when set, is told of every provider call: the gateway kind,
	// the action, its outcome (approved, declined, requires_action,
	// pending, refused, unavailable) and how long it took.
	Observe func(gateway, action, outcome string, took time.Duration)
	// Settled, when set, is told of every payment whose provider answer
	// was recorded (checkout sessions complete from it, however the
	// answer came: the page, a webhook, `_refresh`, the reconciler).
	Settled func(ctx context.Context, sourceID string) error
}

// DefaultProviderTimeout bounds a provider call when Payments.Timeout is 0.
const DefaultProviderTimeout = 15 * time.Second

// detach keeps ctx's values but not its cancellation: a disconnecting
// client must not cancel a capture mid-flight, nor the write recording it.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// call runs one provider call under the provider timeout.
func (p *Payments) call(ctx context.Context, gateway, action string, fn func(ctx context.Context) (*ProviderResult, error)) (*ProviderResult, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProviderTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	res, err := fn(ctx)
	if p.Observe != nil {
		p.Observe(gateway, action, callOutcome(res, err), time.Since(start))
	}
	return res, err
}

// callOutcome names a provider call's outcome for metrics.
func callOutcome(res *ProviderResult, err error) string {
	var pe *ProviderError
	switch {
	case err == nil && res != nil:
		return string(res.Outcome)
	case errors.As(err, &pe) && !pe.Temporary:
		return "refused"
	}
	return "unavailable"
}

// ErrProviderUnavailable is the answer when a provider call's outcome is
// unknown (timeout, 5xx): nothing was changed but the recorded attempt.
func errProviderUnavailable(detail string) error {
	return errs.New(errs.ProviderUnavailable, "the payment provider did not answer (%s): the attempt is recorded; send _refresh to settle it", detail)
}

// adapter is the provider of a gateway, and the gateway's kind.
func (p *Payments) adapter(ctx context.Context, gatewayID *string) (Provider, string, error) {
	if gatewayID == nil {
		return nil, "", errs.New(errs.ValidationError, "the payment has no payment gateway")
	}
	if p == nil || p.Providers == nil {
		return nil, "", errors.New("no payment providers are configured")
	}
	var gw PaymentGateway
	if err := p.DB.WithContext(ctx).Where("id = ?", *gatewayID).Take(&gw).Error; err != nil {
		return nil, "", err
	}
	provider, err := p.Providers.For(&gw)
	return provider, gw.Kind, err
}

func loadSource(tx *gorm.DB, id string) (*PaymentSource, error) {
	var ps PaymentSource
	if err := tx.Where("id = ?", id).Take(&ps).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.NotFound("payment_sources", id)
		}
		return nil, err
	}
	return &ps, nil
}

// Authorize asks the provider to authorize a payment that is still pending
// (right after it was created, or on `_refresh` after a timeout), and
// records the answer. A timeout leaves it pending and is not an error.
func (p *Payments) Authorize(ctx context.Context, sourceID string) error {
	ctx = detach(ctx)
	ps, err := loadSource(p.DB.WithContext(ctx), sourceID)
	if err != nil || ps.Status != SourcePending || ps.Kind == SourceWireTransfer {
		return err
	}
	var order Order
	if err := p.DB.WithContext(ctx).Where("id = ?", ps.OrderID).Take(&order).Error; err != nil {
		return err
	}
	provider, kind, err := p.adapter(ctx, ps.PaymentGatewayID)
	if err != nil {
		return err
	}
	req := AuthorizeRequest{Token: deref(ps.Token), AmountCents: ps.AmountCents, Currency: ps.CurrencyCode,
		Reference: strconv.FormatInt(order.Number, 10), SuccessURL: deref(ps.SuccessURL), FailureURL: deref(ps.FailureURL),
		Capture: ps.AutoCapture, CustomerEmail: deref(order.CustomerEmail), IdempotencyKey: ps.authorizeKey()}
	res, callErr := p.call(ctx, kind, "authorize", func(ctx context.Context) (*ProviderResult, error) { return provider.Authorize(ctx, req) })
	return p.record(ctx, ps, res, callErr)
}

// Details re-reads a payment from the provider (`_details` after 3DS,
// `_refresh`), with the session id the provider put on the return URL.
func (p *Payments) Details(ctx context.Context, sourceID, sessionID string) error {
	ctx = detach(ctx)
	ps, err := loadSource(p.DB.WithContext(ctx), sourceID)
	if err != nil || ps.Kind == SourceWireTransfer {
		return err
	}
	if ps.Status == SourcePending && ps.GatewayPaymentID == nil && sessionID == "" {
		return p.Authorize(ctx, sourceID)
	}
	if ps.Status != SourcePending && ps.Status != SourceAction {
		return nil
	}
	provider, kind, err := p.adapter(ctx, ps.PaymentGatewayID)
	if err != nil {
		return err
	}
	res, callErr := p.call(ctx, kind, "details", func(ctx context.Context) (*ProviderResult, error) {
		if hosted, page := hostedSource(ps, provider); hosted != nil {
			// Paid (or not yet) on the provider's own page: the page says
			// which payment is the source's, never the return URL alone.
			return hosted.HostedDetails(ctx, HostedQuery{HostedID: page, ReturnedID: sessionID, SourceID: ps.ID})
		}
		return provider.Details(ctx, deref(ps.GatewayPaymentID), sessionID)
	})
	if callErr != nil {
		var pe *ProviderError
		if errors.As(callErr, &pe) && pe.Temporary {
			return errProviderUnavailable(pe.Message)
		}
	}
	return p.record(ctx, ps, res, callErr)
}

// Refresh settles what is unknown about a payment (`_refresh`): it
// re-reads a pending payment from the provider (or asks again with the
// same key when the first call timed out before the provider named it),
// then retries every capture, void or refund whose outcome is unknown.
func (p *Payments) Refresh(ctx context.Context, sourceID string) error {
	ctx = detach(ctx)
	ps, err := loadSource(p.DB.WithContext(ctx), sourceID)
	if err != nil {
		return err
	}
	if ps.Status == SourcePending || ps.Status == SourceAction {
		if err := p.Details(ctx, sourceID, deref(ps.SessionID)); err != nil {
			return err
		}
	}
	var open []Transaction
	if err := p.DB.WithContext(ctx).Where("payment_source_id = ? AND status IN ? AND kind <> ?", sourceID, []string{TxPending, TxUnknown}, TxAuthorization).
		Order("created_at, number").Find(&open).Error; err != nil {
		return err
	}
	for _, t := range open {
		if err := p.Finish(ctx, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// record applies a provider's answer to a payment. The order is locked
// first and the payment re-read under that lock, so two settlements of one
// payment (the create's authorization racing a `_refresh`, `_details` or
// webhook) record one authorization: the second sees it settled. Only the
// columns the answer changes are written. An approved authorization of a
// payment that is no longer the order's payment source is voided at once,
// so a replaced payment never keeps a hold on the customer's card.
func (p *Payments) record(ctx context.Context, stale *PaymentSource, res *ProviderResult, callErr error) error {
	var voidID string
	recorded := false
	err := p.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		order, err := LockOrder(tx, stale.OrderID)
		if err != nil {
			return err
		}
		ps, err := loadSource(tx, stale.ID)
		if err != nil {
			return err
		}
		if ps.Status != SourcePending && ps.Status != SourceAction {
			return nil // settled meanwhile (a webhook, a concurrent _refresh)
		}
		changed := ps.applyAnswer(res, callErr)
		if changed == nil {
			return nil
		}
		if ps.Status == SourceDeclined || ps.Authorized() {
			auth, err := p.settleAuthorization(tx, order, ps, res, callErr)
			if err != nil {
				return err
			}
			if voidID, err = releaseReplaced(tx, order, ps, auth); err != nil {
				return err
			}
		}
		ps.MismatchedAmounts = ps.Authorized() && ps.AmountCents != order.TotalAmountWithTaxesCents
		recorded = true
		return saveColumns(tx, ps, append(changed, "mismatched_amounts"))
	})
	if err != nil {
		return err
	}
	if voidID != "" {
		if err := p.Release(ctx, voidID); err != nil {
			return err
		}
	}
	if recorded && p.Settled != nil {
		return p.Settled(ctx, stale.ID)
	}
	return nil
}

// Release finishes the void that releases a replaced payment's hold. Its
// outcome is the void's row, not the answer to the request that replaced
// the payment: a refusal or a timeout is no error here (Reconcile retries
// an unknown one); only an infrastructure failure is.
func (p *Payments) Release(ctx context.Context, transactionID string) error {
	if err := p.Finish(ctx, transactionID); err != nil {
		if _, client := errs.As(err); !client {
			return err
		}
	}
	return nil
}

// saveColumns writes only the named columns of a payment source (and its
// updated_at), never a stale copy of the others.
func saveColumns(tx *gorm.DB, ps *PaymentSource, columns []string) error {
	ps.UpdatedAt = db.Now()
	return tx.Model(ps).Select(append(columns, "updated_at")).Updates(ps).Error
}

// applyAnswer writes a provider's answer on a pending payment and returns
// the columns it changed (nil: nothing to record).
func (ps *PaymentSource) applyAnswer(res *ProviderResult, callErr error) []string {
	var pe *ProviderError
	switch {
	case callErr == nil:
	case errors.As(callErr, &pe) && !pe.Temporary:
		ps.Status, ps.RedirectURI = SourceDeclined, nil
		ps.PaymentResponse = db.JSONObject{"status": "Declined", "error_type": pe.Code, "message": pe.Message}
		return []string{"status", "redirect_uri", "payment_response"}
	default:
		ps.PaymentResponse = db.JSONObject{"status": "Pending", "error": "provider_unavailable", "message": "the payment provider did not answer; send _refresh to settle"}
		return []string{"payment_response"}
	}
	changed := []string{"status", "redirect_uri"}
	set := func(column string, dst **string, v string) {
		if v != "" {
			*dst = &v
			changed = append(changed, column)
		}
	}
	set("gateway_payment_id", &ps.GatewayPaymentID, res.PaymentID)
	set("source_id", &ps.SourceID, res.SourceID)
	set("customer_token", &ps.CustomerToken, res.CustomerID)
	if res.Instrument != nil {
		ps.PaymentInstrument = db.JSONObject(res.Instrument)
		changed = append(changed, "payment_instrument")
	}
	if res.Raw != nil {
		ps.PaymentResponse = db.JSONObject(res.Raw)
		changed = append(changed, "payment_response")
		if secret, ok := res.Raw["client_secret"].(string); ok && secret != "" {
			// Stripe.js confirms the payment in the browser with it.
			ps.ClientSecret = &secret
			changed = append(changed, "client_secret")
		}
	}
	switch res.Outcome {
	case Approved:
		ps.Status, ps.RedirectURI = SourceAuthorized, nil
		if res.Captured {
			ps.Status = SourceCaptured
		}
	case Declined:
		ps.Status, ps.RedirectURI = SourceDeclined, nil
	case RequiresAction:
		ps.Status = SourceAction
		if res.RedirectURL != "" {
			ps.RedirectURI = &res.RedirectURL
		}
	}
	return changed
}

// releaseReplaced begins the void of a payment's new authorization when
// the payment is no longer the order's payment source (a new one replaced
// it while it waited for the provider). It returns the void to finish.
func releaseReplaced(tx *gorm.DB, o *Order, ps *PaymentSource, auth *Transaction) (string, error) {
	if auth == nil || !auth.Succeeded || ps.Status != SourceAuthorized || o.currentSource(ps.ID) {
		return "", nil
	}
	void, err := BeginVoid(tx, o, auth)
	if err != nil || void == nil {
		return "", err
	}
	return void.ID, nil
}

// currentSource says whether the payment source with id is the order's.
func (o *Order) currentSource(id string) bool {
	return o.PaymentSourceID != nil && *o.PaymentSourceID == id
}

// settleAuthorization records the authorization (and, with auto-capture,
// the capture) that a provider's answer on a payment amounts to.
func (p *Payments) settleAuthorization(tx *gorm.DB, o *Order, ps *PaymentSource, res *ProviderResult, callErr error) (*Transaction, error) {
	auth, err := newTransaction(tx, o, ps, TxAuthorization, ps.AmountCents)
	if err != nil {
		return nil, err
	}
	auth.settle(res, callErr)
	if err := tx.Save(auth).Error; err != nil {
		return nil, err
	}
	if auth.Succeeded {
		if err := Emit(tx, "authorizations.create", TxAuthorization, auth.ID); err != nil {
			return nil, err
		}
	}
	if res != nil && res.Captured && auth.Succeeded {
		capture, err := newTransaction(tx, o, ps, TxCapture, ps.AmountCents)
		if err != nil {
			return nil, err
		}
		capture.ReferenceAuthorizationID = &auth.ID
		capture.Status, capture.Succeeded, capture.GatewayTransactionID = TxSucceeded, true, auth.GatewayTransactionID
		if err := tx.Save(capture).Error; err != nil {
			return nil, err
		}
		if err := Emit(tx, "captures.create", TxCapture, capture.ID); err != nil {
			return nil, err
		}
	}
	return auth, nil
}

// payableSource is the order's payment source if it pays the order's
// total (nil: the order has none and its payment method needs none), or
// the 422 that says why it does not: `_place` and `_validate` share it.
func (o *Order) payableSource(tx *gorm.DB) (*PaymentSource, error) {
	if o.PaymentSourceID == nil {
		var pm PaymentMethod
		if o.PaymentMethodID != nil && tx.Where("id = ?", *o.PaymentMethodID).Take(&pm).Error == nil && pm.PaymentSourceType != SourceWireTransfer {
			return nil, errs.New(errs.ValidationError, "payment_source - can't be blank: create a %s for the order first", pm.PaymentSourceType).At(errs.RelationshipPointer("payment_source"))
		}
		return nil, nil
	}
	ps, err := loadSource(tx, *o.PaymentSourceID)
	if err != nil {
		return nil, err
	}
	if !ps.Authorized() {
		return nil, errs.New(errs.ValidationError, "payment_source - is not authorized (its status is %s)", ps.Status).At(errs.RelationshipPointer("payment_source"))
	}
	if ps.AmountCents != o.TotalAmountWithTaxesCents {
		return nil, errs.New(errs.ValidationError, "payment_source - mismatched_amounts: the payment authorized %s but the order's total is %s; create a new payment",
			o.Money(ps.AmountCents).Formatted(), o.Money(o.TotalAmountWithTaxesCents).Formatted()).At(errs.RelationshipPointer("payment_source"))
	}
	return ps, nil
}

// Place is the orders' payment hook on `_place`: the payment must be
// authorized for exactly the order's total.
func (p *Payments) Place(tx *gorm.DB, o *Order) (string, error) {
	ps, err := o.payableSource(tx)
	if err != nil {
		return "", err
	}
	if ps == nil {
		return PaymentUnpaid, nil
	}
	if ps.Kind == SourceWireTransfer {
		if _, err := p.settleAuthorization(tx, o, ps, &ProviderResult{Outcome: Approved, Message: "wire transfer"}, nil); err != nil {
			return "", err
		}
	}
	if ps.Status == SourceCaptured {
		return PaymentPaid, nil
	}
	return PaymentAuthorized, nil
}

// Cancel is the orders' payment hook on `_cancel`: an authorization
// nothing was captured from is voided (the order is cancelled when the
// void succeeds); a captured payment must be refunded instead.
func (p *Payments) Cancel(tx *gorm.DB, o *Order) (string, error) {
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyPaid, PaymentPartiallyRefunded:
		return "", errs.New(errs.ValidationError, "the order's payment is captured (%s): refund it with _refund, which cancels the order", o.PaymentStatus)
	case PaymentAuthorized:
	default:
		return "", nil
	}
	void, err := BeginVoid(tx, o, nil)
	if err != nil || void == nil {
		return "", err
	}
	void.CancelsOrder = true
	return void.ID, tx.Save(void).Error
}

// latest finds the newest transaction of a kind that succeeded on the
// order's current payment source: a replaced payment's transactions are
// not the order's to capture or refund.
func latest(tx *gorm.DB, o *Order, kind string) (*Transaction, error) {
	if o.PaymentSourceID == nil {
		return nil, nil
	}
	var t Transaction
	err := tx.Where("order_id = ? AND payment_source_id = ? AND kind = ? AND succeeded = ?", o.ID, *o.PaymentSourceID, kind, true).
		Order("created_at DESC, number DESC").Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &t, err
}

// BeginCapture records a pending capture of amount (0: the whole balance)
// of an authorization (nil: the order's), under the order's lock; the
// balance counts pending captures, so concurrent captures cannot exceed it.
func BeginCapture(tx *gorm.DB, o *Order, auth *Transaction, amount int64) (*Transaction, error) {
	if o.Status != OrderPlaced && o.Status != OrderApproved {
		return nil, o.stateError("capture")
	}
	if auth == nil {
		var err error
		if auth, err = latest(tx, o, TxAuthorization); err != nil {
			return nil, err
		}
		if auth == nil {
			return nil, errs.New(errs.ValidationError, "the order has no authorization to capture")
		}
	}
	if unknown, err := unknownChild(tx, "reference_authorization_id", auth.ID, TxCapture, amount); err != nil || unknown != nil {
		return unknown, err
	}
	balance, err := BalanceOf(tx, auth)
	if err != nil {
		return nil, err
	}
	if amount == 0 {
		amount = balance.Remaining()
		// An order edited down after it was placed owes less than its
		// authorization holds: capture what it owes.
		if due := o.TotalAmountWithTaxesCents - balance.Used; due > 0 && due < amount {
			amount = due
		}
	}
	if amount <= 0 || amount > balance.Remaining() {
		return nil, errs.New(errs.ValidationError, "the capture of %s exceeds the capture balance of %s", o.Money(amount).Formatted(), o.Money(balance.Remaining()).Formatted())
	}
	ps, err := loadSource(tx, auth.PaymentSourceID)
	if err != nil {
		return nil, err
	}
	t, err := newTransaction(tx, o, ps, TxCapture, amount)
	if err != nil {
		return nil, err
	}
	t.ReferenceAuthorizationID = &auth.ID
	return t, tx.Save(t).Error
}

// unknownChild finds a capture or refund of the parent whose provider
// call went unanswered, for amount (0: any). Sending the same action again
// is then a retry of that one, asked with its own idempotency key, not a
// second action that the unknown one's hold would refuse.
func unknownChild(tx *gorm.DB, column, parentID, kind string, amount int64) (*Transaction, error) {
	q := tx.Where(column+" = ? AND kind = ? AND status = ?", parentID, kind, TxUnknown)
	if amount > 0 {
		q = q.Where("amount_cents = ?", amount)
	}
	var t Transaction
	err := q.Order("created_at, number").Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &t, err
}

// BeginVoid records a pending void of an authorization (nil: the
// order's) that nothing was captured from.
func BeginVoid(tx *gorm.DB, o *Order, auth *Transaction) (*Transaction, error) {
	if auth == nil {
		var err error
		if auth, err = latest(tx, o, TxAuthorization); err != nil || auth == nil {
			return nil, err
		}
	}
	balance, err := BalanceOf(tx, auth)
	if err != nil {
		return nil, err
	}
	if balance.Voided || balance.Captured {
		return nil, errs.New(errs.ValidationError, "the authorization cannot be voided: it was already captured or voided (refund a capture instead)")
	}
	ps, err := loadSource(tx, auth.PaymentSourceID)
	if err != nil {
		return nil, err
	}
	t, err := newTransaction(tx, o, ps, TxVoid, auth.AmountCents)
	if err != nil {
		return nil, err
	}
	t.ReferenceAuthorizationID = &auth.ID
	return t, tx.Save(t).Error
}

// BeginRefund records a pending refund of amount (0: the whole balance)
// of a capture (nil: the order's latest).
func BeginRefund(tx *gorm.DB, o *Order, capture *Transaction, amount int64) (*Transaction, error) {
	if o.Status != OrderPlaced && o.Status != OrderApproved {
		return nil, o.stateError("refund")
	}
	if capture == nil {
		var err error
		if capture, err = latest(tx, o, TxCapture); err != nil {
			return nil, err
		}
		if capture == nil {
			return nil, errs.New(errs.ValidationError, "the order has no capture to refund")
		}
	}
	if unknown, err := unknownChild(tx, "reference_capture_id", capture.ID, TxRefund, amount); err != nil || unknown != nil {
		return unknown, err
	}
	balance, err := BalanceOf(tx, capture)
	if err != nil {
		return nil, err
	}
	if amount == 0 {
		amount = balance.Remaining()
	}
	if amount <= 0 || amount > balance.Remaining() {
		return nil, errs.New(errs.ValidationError, "the refund of %s exceeds the refund balance of %s", o.Money(amount).Formatted(), o.Money(balance.Remaining()).Formatted())
	}
	ps, err := loadSource(tx, capture.PaymentSourceID)
	if err != nil {
		return nil, err
	}
	t, err := newTransaction(tx, o, ps, TxRefund, amount)
	if err != nil {
		return nil, err
	}
	t.ReferenceCaptureID = &capture.ID
	return t, tx.Save(t).Error
}

// Finish calls the provider for a pending (or unknown) capture, void or
// refund and applies the answer under the order's lock: the transaction's
// outcome and the order's payment status. A refusal is a 422 and an
// unknown outcome a 502, after the transaction's state is saved.
func (p *Payments) Finish(ctx context.Context, transactionID string) error {
	ctx = detach(ctx)
	var t Transaction
	if err := p.DB.WithContext(ctx).Where("id = ?", transactionID).Take(&t).Error; err != nil {
		return err
	}
	if t.Status != TxPending && t.Status != TxUnknown {
		return nil
	}
	ps, err := loadSource(p.DB.WithContext(ctx), t.PaymentSourceID)
	if err != nil {
		return err
	}
	provider, kind, err := p.adapter(ctx, ps.PaymentGatewayID)
	if err != nil {
		return err
	}
	req := ActionRequest{PaymentID: deref(ps.GatewayPaymentID), AmountCents: t.AmountCents, Currency: t.CurrencyCode, Reference: t.Number, IdempotencyKey: "kasse_" + t.ID}
	var action func(ctx context.Context, req ActionRequest) (*ProviderResult, error)
	switch t.Kind {
	case TxCapture:
		action = provider.Capture
	case TxVoid:
		action = provider.Void
	case TxRefund:
		action = provider.Refund
	default:
		return fmt.Errorf("cannot finish a %s", t.Kind)
	}
	res, callErr := p.call(ctx, kind, singular(t.Kind), func(ctx context.Context) (*ProviderResult, error) { return action(ctx, req) })
	var outcome error
	err = p.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		order, err := LockOrder(tx, t.OrderID)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ?", t.ID).Take(&t).Error; err != nil {
			return err
		}
		if t.Status != TxPending && t.Status != TxUnknown {
			return nil
		}
		t.settle(res, callErr)
		if err := tx.Save(&t).Error; err != nil {
			return err
		}
		switch t.Status {
		case TxFailed:
			outcome = errs.New(errs.ValidationError, "the payment provider refused the %s: %s", singular(t.Kind), deref(t.Message))
			return nil
		case TxUnknown:
			outcome = errProviderUnavailable("the " + singular(t.Kind) + " is pending")
			return nil
		}
		if err := order.applyTransaction(tx, &t); err != nil {
			return err
		}
		return tx.Save(order).Error
	})
	if err != nil {
		return err
	}
	if outcome == nil && t.Kind == TxCapture && t.Status == TxSucceeded && p.Settled != nil {
		// A bank transfer's session completes when the back office captures.
		if err := p.Settled(ctx, t.PaymentSourceID); err != nil {
			return err
		}
	}
	return outcome
}

func singular(kind string) string {
	switch kind {
	case TxCapture:
		return "capture"
	case TxVoid:
		return "void"
	case TxRefund:
		return "refund"
	}
	return "authorization"
}

// applyTransaction moves the order's payment status after a succeeded
// capture, void or refund, from the transaction rows of the order's
// current payment source. A transaction on a replaced payment (the void
// that releases its hold) leaves the order as it is.
func (o *Order) applyTransaction(tx *gorm.DB, t *Transaction) error {
	if err := Emit(tx, t.Kind+".create", t.Kind, t.ID); err != nil {
		return err
	}
	if !o.currentSource(t.PaymentSourceID) {
		return nil
	}
	before := o.Status
	if err := o.applyPayment(tx, t); err != nil {
		return err
	}
	var topics []string
	switch {
	case t.Kind == TxCapture && o.PaymentStatus == PaymentPaid:
		topics = append(topics, "orders.pay")
	case t.Kind == TxVoid:
		topics = append(topics, "orders.void")
	case t.Kind == TxRefund:
		topics = append(topics, "orders.refund")
	}
	if o.Status == OrderApproved && before == OrderPlaced {
		topics = append(topics, "orders.approve")
	}
	if o.Status == OrderCancelled && before != OrderCancelled {
		topics = append(topics, "orders.cancel")
	}
	for _, topic := range topics {
		if err := o.emit(tx, topic); err != nil {
			return err
		}
	}
	return nil
}

// applyPayment is applyTransaction's change of the order.
func (o *Order) applyPayment(tx *gorm.DB, t *Transaction) (err error) {
	if o.Status != OrderCancelled {
		defer func() {
			if err == nil && o.Status == OrderCancelled {
				err = o.onCancelled(tx)
			}
		}()
	}
	var sums struct {
		Authorized, Captured, Refunded int64
	}
	err = db.Scan(tx.Model(&Transaction{}).Select(
		"COALESCE(SUM(CASE WHEN kind = ? THEN amount_cents ELSE 0 END), 0) AS authorized, "+
			"COALESCE(SUM(CASE WHEN kind = ? THEN amount_cents ELSE 0 END), 0) AS captured, "+
			"COALESCE(SUM(CASE WHEN kind = ? THEN amount_cents ELSE 0 END), 0) AS refunded",
		TxAuthorization, TxCapture, TxRefund).Where("order_id = ? AND payment_source_id = ? AND succeeded = ?", o.ID, t.PaymentSourceID, true), &sums)
	if err != nil {
		return err
	}
	now := db.Now()
	o.PaymentUpdatedAt = &now
	switch t.Kind {
	case TxCapture:
		o.PaymentStatus = PaymentPartiallyPaid
		// Paid once the authorization, or the order's total when an edit
		// lowered it, is captured.
		if sums.Captured >= min(sums.Authorized, o.TotalAmountWithTaxesCents) {
			o.PaymentStatus = PaymentPaid
		}
		if o.Status == OrderPlaced {
			o.Status, o.ApprovedAt = OrderApproved, &now
		}
		if o.FulfillmentStatus == FulfillmentUnfulfilled {
			o.FulfillmentStatus, o.FulfillmentUpdatedAt = FulfillmentInProgress, &now
		}
	case TxVoid:
		o.PaymentStatus = PaymentVoided
		if t.CancelsOrder && (o.Status == OrderPlaced || o.Status == OrderApproved) {
			o.Status, o.CancelledAt = OrderCancelled, &now
		}
	case TxRefund:
		o.PaymentStatus = PaymentPartiallyRefunded
		if sums.Refunded >= sums.Captured {
			o.PaymentStatus = PaymentRefunded
			o.Status, o.CancelledAt = OrderCancelled, &now
			if o.FulfillmentStatus == FulfillmentInProgress {
				o.FulfillmentStatus = FulfillmentUnfulfilled
			}
		}
	}
	return nil
}
