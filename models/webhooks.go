package models

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"kasse/db"
)

// GatewayEvent records a provider webhook already applied, so a redelivery
// (providers deliver at least once) changes nothing.
type GatewayEvent struct {
	Record
	PaymentGatewayID string
	EventID          string
	EventType        *string
	PaymentSourceID  *string
}

// ApplyWebhook applies a verified provider event to the payment it names
// and its order, once per event id. It reports whether the event was new,
// and the payment source it was about ("" for a payment Kasse does not
// know).
func ApplyWebhook(ctx context.Context, gdb *gorm.DB, gw *PaymentGateway, e *WebhookEvent) (bool, string, error) {
	fresh := false
	var found string
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ps, linking, err := webhookSource(tx, gw, e)
		if err != nil {
			return err
		}
		var sourceID *string
		if ps != nil {
			sourceID = &ps.ID
		}
		record := &GatewayEvent{PaymentGatewayID: gw.ID, EventID: e.ID, EventType: &e.Type, PaymentSourceID: sourceID}
		res := tx.Exec("INSERT INTO gateway_events (id, payment_gateway_id, event_id, event_type, payment_source_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payment_gateway_id, event_id) DO NOTHING",
			db.NewID(), record.PaymentGatewayID, record.EventID, record.EventType, record.PaymentSourceID, db.Now(), db.Now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 || sourceID == nil {
			return nil // seen before, or about a payment Kasse does not know
		}
		fresh, found = true, ps.ID
		order, err := LockOrder(tx, ps.OrderID)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ?", ps.ID).Take(ps).Error; err != nil {
			return err
		}
		if linking {
			if !hostedPaymentEvent(ps, e) {
				return nil
			}
			if e.PaymentID != "" {
				ps.GatewayPaymentID = &e.PaymentID
				if err := tx.Model(ps).Update("gateway_payment_id", e.PaymentID).Error; err != nil {
					return err
				}
			}
		}
		return order.applyEvent(tx, ps, e)
	})
	return fresh, found, err
}

// webhookSource finds the payment an event is about: by the provider's
// payment id, else (a payment made on a hosted page, whose id Kasse
// learns from the event) by the hosted page or the source id the
// provider echoes; linking is true in that case.
func webhookSource(tx *gorm.DB, gw *PaymentGateway, e *WebhookEvent) (ps *PaymentSource, linking bool, err error) {
	lookups := []struct {
		where string
		value string
	}{{"gateway_payment_id = ?", e.PaymentID}, {"session_id = ? AND gateway_payment_id IS NULL", e.HostedID}, {"id = ? AND gateway_payment_id IS NULL", e.SourceRef}}
	for i, l := range lookups {
		if l.value == "" {
			continue
		}
		var found PaymentSource
		err := tx.Where("payment_gateway_id = ? AND "+l.where, gw.ID, l.value).Take(&found).Error
		if err == nil {
			return &found, i > 0, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, false, err
		}
	}
	return nil, false, nil
}

// hostedPaymentEvent says whether an event about a payment found by its
// hosted page is to be applied to it: an approval (or a report to verify)
// while the payment waits on the page. A decline is not: the customer may
// try again on the provider's page, and the page's expiry ends it.
func hostedPaymentEvent(ps *PaymentSource, e *WebhookEvent) bool {
	if ps.Status != SourcePending && ps.Status != SourceAction {
		return false
	}
	return e.Verify || (e.Kind == TxAuthorization && e.Outcome == Approved && e.PaymentID != "")
}

// applyEvent settles what the event reports: a pending payment's
// authorization, or a capture, void or refund (recorded by Kasse and
// pending, or made outside Kasse in the provider's dashboard).
func (o *Order) applyEvent(tx *gorm.DB, ps *PaymentSource, e *WebhookEvent) error {
	res := &ProviderResult{Outcome: e.Outcome, Captured: e.Captured, PaymentID: e.PaymentID, ActionID: e.ActionID, Status: e.Type, Message: e.Type}
	if e.Kind == TxAuthorization {
		if ps.Status != SourcePending && ps.Status != SourceAction {
			return nil
		}
		ps.Status, ps.RedirectURI = SourceDeclined, nil
		if e.Outcome == Approved {
			ps.Status = SourceAuthorized
			if e.Captured {
				ps.Status = SourceCaptured
			}
		}
		ps.PaymentResponse = db.JSONObject{"status": map[bool]string{true: "Authorized", false: "Declined"}[e.Outcome == Approved], "event": e.Type}
		ps.MismatchedAmounts = ps.Authorized() && ps.AmountCents != o.TotalAmountWithTaxesCents
		auth, err := (&Payments{}).settleAuthorization(tx, o, ps, res, nil)
		if err != nil {
			return err
		}
		// A replaced payment authorized late: its void is begun here and
		// finished by Reconcile (a webhook answer must stay fast).
		if _, err := releaseReplaced(tx, o, ps, auth); err != nil {
			return err
		}
		return tx.Save(ps).Error
	}
	if e.Kind == "" {
		return nil
	}
	if e.ActionID != "" {
		// The provider confirms an action Kasse already recorded as done
		// (Checkout.com accepts captures with 202, then sends the webhook).
		var known int64
		if err := tx.Model(&Transaction{}).Where("payment_source_id = ? AND kind = ? AND gateway_transaction_id = ? AND status = ?", ps.ID, e.Kind, e.ActionID, TxSucceeded).Count(&known).Error; err != nil {
			return err
		}
		if known > 0 {
			return nil
		}
	}
	// A transaction Kasse recorded and is waiting for.
	var t Transaction
	err := tx.Where("payment_source_id = ? AND kind = ? AND status IN ?", ps.ID, e.Kind, []string{TxPending, TxUnknown}).Order("created_at").Take(&t).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if e.Outcome != Approved || e.AmountCents <= 0 {
			return nil
		}
		// Made outside Kasse: record it against the balance it uses.
		var begun *Transaction
		switch e.Kind {
		case TxCapture:
			begun, err = BeginCapture(tx, o, nil, e.AmountCents)
		case TxVoid:
			begun, err = BeginVoid(tx, o, nil)
		case TxRefund:
			begun, err = BeginRefund(tx, o, nil, e.AmountCents)
		}
		if err != nil || begun == nil {
			return nil // it does not fit the balances: nothing to apply
		}
		t = *begun
	case err != nil:
		return err
	}
	t.settle(res, nil)
	if err := tx.Save(&t).Error; err != nil {
		return err
	}
	if t.Succeeded {
		if err := o.applyTransaction(tx, &t); err != nil {
			return err
		}
		return tx.Save(o).Error
	}
	return nil
}
