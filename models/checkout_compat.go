package models

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"kasse/errs"
)

type compatKey struct{}

// WithCompat marks a request as a checkout facade's: the sessions it
// opens record the facade (checkout_sessions.compat).
func WithCompat(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, compatKey{}, name)
}

// CompatFrom is the facade a request came through, or "".
func CompatFrom(ctx context.Context) string {
	name, _ := ctx.Value(compatKey{}).(string)
	return name
}

// MarketFor is the one enabled market that sells in currency (the market
// of a facade's cart, as of an amount-only session); none, or several,
// is a 422 at currency_code.
func (s *CheckoutSessions) MarketFor(ctx context.Context, currency string) (*Market, error) {
	sess := &CheckoutSession{CurrencyCode: currency}
	m, err := sess.amountMarket(s.db(ctx))
	if list, ok := errs.As(err); ok {
		for i, e := range list {
			list[i] = e.At(errs.AttributePointer("currency_code"))
		}
		return nil, list
	}
	return m, err
}

// SessionView is a checkout session as the checkout facades render it
// (docs/checkout-apis.md): the session and its order (and, once
// LoadItems ran, the order's line items with their SKUs).
type SessionView struct {
	Session CheckoutSession
	Order   Order
	Items   []LineItem
	// Skus are the items' SKUs by id.
	Skus map[string]Sku
	// Fee is what the session's payment method keeps: recorded on
	// completion, until then what the method charges for the amount.
	Fee int64
}

// View reads a session, by its id or its uuid, for a facade to render.
// Who may read it was checked by the caller (the engine's rules).
func (s *CheckoutSessions) View(ctx context.Context, id string) (*SessionView, error) {
	gdb := s.db(ctx)
	var v SessionView
	err := gdb.Where("id = ? OR uuid = ?", id, id).Take(&v.Session).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.NotFound("checkout_sessions", id)
	}
	if err != nil {
		return nil, err
	}
	if err := gdb.Where("id = ?", v.Session.OrderID).Take(&v.Order).Error; err != nil {
		return nil, err
	}
	switch {
	case v.Session.FeeAmountCents != nil:
		v.Fee = *v.Session.FeeAmountCents
	case v.Session.PaymentMethodID != nil:
		var pm PaymentMethod
		if err := gdb.Where("id = ?", *v.Session.PaymentMethodID).Take(&pm).Error; err == nil {
			v.Fee = pm.Fee(v.Session.AmountCents)
		}
	}
	return &v, nil
}

// LoadItems reads the view's order's line items and their SKUs (two
// queries, whatever the number of items): only the course facade shows them.
func (s *CheckoutSessions) LoadItems(ctx context.Context, v *SessionView) error {
	gdb := s.db(ctx)
	if err := gdb.Where("order_id = ?", v.Order.ID).Order("created_at, id").Find(&v.Items).Error; err != nil {
		return err
	}
	var skuIDs []string
	for _, li := range v.Items {
		if li.ItemID != nil {
			skuIDs = append(skuIDs, *li.ItemID)
		}
	}
	v.Skus = map[string]Sku{}
	if len(skuIDs) == 0 {
		return nil
	}
	var skus []Sku
	if err := gdb.Where("id IN ?", skuIDs).Find(&skus).Error; err != nil {
		return err
	}
	for _, sku := range skus {
		v.Skus[sku.ID] = sku
	}
	return nil
}

// FindCourses resolves the course checkout facade's course ids: each is a
// SKU's reference (the numeric ids that API uses) or its id. Ids no SKU
// has are missing from the answer.
func (s *CheckoutSessions) FindCourses(ctx context.Context, ids []string) (map[string]Sku, error) {
	var skus []Sku
	if err := s.db(ctx).Where("reference IN ? OR id IN ?", ids, ids).Order("created_at, id").Find(&skus).Error; err != nil {
		return nil, err
	}
	out := map[string]Sku{}
	for _, sku := range skus {
		for _, key := range []string{sku.ID, deref(sku.Reference)} {
			if _, taken := out[key]; key != "" && !taken {
				out[key] = sku
			}
		}
	}
	return out, nil
}
