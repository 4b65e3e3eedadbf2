package models

import (
	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// OrderEditing is a placed order the back office is editing
// (`_start_editing`): its line items may change, its total may not exceed
// the total it was placed with, and `_stop_editing` places it again.
const OrderEditing = "editing"

// Pending moves a draft order to pending (`_pending`). Kasse moves a cart
// to pending by itself once it has an email and an item; the trigger asks
// for it explicitly and says, in a 422, what the order still lacks.
func (o *Order) Pending(tx *gorm.DB) error {
	if !o.Editable() {
		return o.stateError("move to pending")
	}
	if err := o.Recompute(tx); err != nil {
		return err
	}
	if o.Status == OrderPending {
		return nil
	}
	var problems errs.List
	if o.CustomerEmail == nil {
		problems = append(problems, errs.New(errs.ValidationError, "customer_email - can't be blank").At(errs.AttributePointer("customer_email")))
	}
	if o.lineCount == 0 {
		problems = append(problems, errs.New(errs.ValidationError, "line_items - the order has no items").At(errs.RelationshipPointer("line_items")))
	}
	return problems
}

// Validate checks every precondition of `_place` without placing
// (`_validate`): a 422 lists each one unmet (items, email, addresses,
// payment method, shipments, the payment source, one purchase per
// customer); nil means `_place` would be accepted now (stock and the
// provider aside, which are settled when placing).
func (o *Order) Validate(tx *gorm.DB, hook PaymentHook) error {
	if !o.Editable() {
		return o.stateError("validate")
	}
	if err := o.Recompute(tx); err != nil {
		return err
	}
	problems, _, err := o.placeProblems(tx, false)
	if err != nil {
		return err
	}
	more := func(err error) error {
		if list, ok := errs.As(err); ok {
			problems = append(problems, list...)
			return nil
		}
		return err
	}
	if hook != nil && o.TotalAmountWithTaxesCents > 0 && o.PaymentMethodID != nil {
		if _, err := o.payableSource(tx); err != nil {
			if err := more(err); err != nil {
				return err
			}
		}
	}
	if err := o.checkOnePerCustomer(tx, ""); err != nil {
		if err := more(err); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// RefreshPrices re-prices the order's SKU line items from its market's
// price list (`_refresh_prices`), on a cart or an order being edited;
// external prices are kept. Unlike `_refresh` it does not stamp
// refreshed_at: only the prices are refreshed.
func (o *Order) RefreshPrices(tx *gorm.DB) error {
	if !o.Editable() && o.Status != OrderEditing {
		return o.stateError("refresh the prices of")
	}
	if err := o.repriceItems(tx); err != nil {
		return err
	}
	return o.Recompute(tx)
}

// repriceItems sets each SKU line item without an external price to its
// market's current price.
func (o *Order) repriceItems(tx *gorm.DB) error {
	var items []LineItem
	if err := tx.Where("order_id = ? AND item_type = ? AND external_price = ?", o.ID, "skus", false).Find(&items).Error; err != nil {
		return err
	}
	for i := range items {
		li := &items[i]
		price, err := marketPrice(tx, o.MarketID, deref(li.ItemID))
		if err != nil {
			return err
		}
		li.UnitAmountCents = price.AmountCents
		li.CompareAtAmountCents = price.CompareAtAmountCents
		li.computeTotal()
		if err := tx.Save(li).Error; err != nil {
			return err
		}
	}
	return nil
}

// doneShipments are the shipment statuses `_fulfill` accepts on an order
// that is not approved, as the reference says.
var doneShipments = []string{ShipmentCancelled, ShipmentShipped, ShipmentDelivered}

// Fulfill marks a paid order fulfilled (`_fulfill`): an approved order,
// or a placed one whose shipments are all cancelled, shipped or delivered
// (the reference's precondition). Its shipments not yet shipped are
// marked shipped.
func (o *Order) Fulfill(tx *gorm.DB) error {
	if o.Status != OrderPlaced && o.Status != OrderApproved {
		return o.stateError("fulfill")
	}
	if o.FulfillmentStatus == FulfillmentFulfilled {
		return errs.New(errs.ValidationError, "the order is already fulfilled")
	}
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyRefunded, PaymentFree:
	default:
		return errs.New(errs.ValidationError, "the order's payment is %s: capture it before fulfilling the order", o.PaymentStatus)
	}
	if o.Status != OrderApproved {
		var open int64
		if err := tx.Model(&Shipment{}).Where("order_id = ? AND status NOT IN ?", o.ID, doneShipments).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return errs.New(errs.ValidationError, "the order is placed and %d of its shipments are not shipped: approve the order or ship them first", open)
		}
	}
	var open []string
	if err := tx.Model(&Shipment{}).Where("order_id = ? AND status NOT IN ?", o.ID, doneShipments).Pluck("status", &open).Error; err != nil {
		return err
	}
	if len(open) > 0 {
		if err := o.moveShipments(tx, open, ShipmentShipped); err != nil {
			return err
		}
	}
	now := db.Now()
	o.FulfillmentStatus, o.FulfillmentUpdatedAt = FulfillmentFulfilled, &now
	return nil
}

// NullifyPaymentSource detaches a cart's payment source
// (`_nullify_payment_source`): an authorization it holds is voided as when
// a new payment replaces it (the void begun here is returned, to finish
// with the provider once committed); a captured one cannot be detached.
func (o *Order) NullifyPaymentSource(tx *gorm.DB) (voidID string, err error) {
	if !o.Editable() {
		return "", o.stateError("nullify the payment source of")
	}
	if o.PaymentSourceID == nil {
		return "", errs.New(errs.ValidationError, "the order has no payment source").At(errs.AttributePointer("_nullify_payment_source"))
	}
	if voidID, err = releaseSource(tx, o, *o.PaymentSourceID); err != nil {
		return "", err
	}
	o.PaymentSourceID, o.PaymentSourceType = nil, nil
	return voidID, nil
}

// SaveBillingAddress and SaveShippingAddress ask for the order's billing
// or shipping address to be saved in its customer's address book when the
// order is placed (`_save_billing_address_to_customer_address_book`,
// `_save_shipping_address_to_customer_address_book`).
func (o *Order) SaveBillingAddress(*gorm.DB) error {
	return o.askToSave("_save_billing_address_to_customer_address_book", &o.SaveBillingAddressToCustomerAddressBook)
}

// SaveShippingAddress: see SaveBillingAddress.
func (o *Order) SaveShippingAddress(*gorm.DB) error {
	return o.askToSave("_save_shipping_address_to_customer_address_book", &o.SaveShippingAddressToCustomerAddressBook)
}

func (o *Order) askToSave(trigger string, flag *bool) error {
	if !o.Editable() {
		return o.stateError("save to the address book the addresses of")
	}
	if o.CustomerID == nil {
		return errs.New(errs.ValidationError, "the order has no customer: only a customer's order saves addresses to an address book").At(errs.AttributePointer(trigger))
	}
	*flag = true
	return nil
}

// saveAddresses honours the address book requests when the order is
// placed: each flagged address is copied into the customer's address book
// unless the book already has it (the same row, or one with the same
// contents), so one address is never saved twice.
func (o *Order) saveAddresses(tx *gorm.DB) error {
	if o.CustomerID == nil {
		return nil
	}
	var ids []string
	if o.SaveBillingAddressToCustomerAddressBook && o.BillingAddressID != nil {
		ids = append(ids, *o.BillingAddressID)
	}
	if o.SaveShippingAddressToCustomerAddressBook && o.ShippingAddressID != nil {
		ids = append(ids, *o.ShippingAddressID)
	}
	for _, id := range ids {
		if err := saveToAddressBook(tx, *o.CustomerID, id); err != nil {
			return err
		}
	}
	return nil
}

func saveToAddressBook(tx *gorm.DB, customerID, addressID string) error {
	var a Address
	if err := tx.Where("id = ?", addressID).Take(&a).Error; err != nil {
		return err
	}
	var book []Address
	if err := tx.Joins("JOIN customer_addresses ON customer_addresses.address_id = addresses.id").
		Where("customer_addresses.customer_id = ?", customerID).Find(&book).Error; err != nil {
		return err
	}
	for i := range book {
		if book[i].ID == a.ID || a.sameAs(&book[i]) {
			return nil
		}
	}
	clone, err := CloneAddress(tx, addressID, &customerID)
	if err != nil {
		return err
	}
	ca := &CustomerAddress{CustomerID: customerID, AddressID: clone}
	if err := ca.BeforeWrite(tx, true); err != nil {
		return err
	}
	return tx.Create(ca).Error
}

// sameAs says whether two addresses say the same thing (ids, owners and
// coordinates aside).
func (a *Address) sameAs(b *Address) bool {
	return a.Business == b.Business && deref(a.FirstName) == deref(b.FirstName) && deref(a.LastName) == deref(b.LastName) &&
		deref(a.Company) == deref(b.Company) && a.Line1 == b.Line1 && deref(a.Line2) == deref(b.Line2) && a.City == b.City &&
		deref(a.ZipCode) == deref(b.ZipCode) && deref(a.StateCode) == deref(b.StateCode) && a.CountryCode == b.CountryCode &&
		a.Phone == b.Phone && deref(a.Email) == deref(b.Email) && deref(a.Notes) == deref(b.Notes) && deref(a.BillingInfo) == deref(b.BillingInfo)
}

// StartEditing lets the back office edit a placed order (`_start_editing`)
// whose payment is authorized and which has not started shipping: its
// line items may change while it is editing, its total may not exceed the
// total it was placed with (place_total_amount_cents). The stock it took
// is given back until `_stop_editing` takes it again.
func (o *Order) StartEditing(tx *gorm.DB) error {
	if o.Status != OrderPlaced {
		return o.stateError("start editing")
	}
	if o.PaymentStatus != PaymentAuthorized {
		return errs.New(errs.ValidationError, "the order's payment is %s: only an order whose payment is authorized (not captured) can be edited", o.PaymentStatus)
	}
	if o.FulfillmentStatus != FulfillmentUnfulfilled && o.FulfillmentStatus != FulfillmentNotRequired {
		return errs.New(errs.ValidationError, "the order's fulfillment is %s: it can no longer be edited", o.FulfillmentStatus)
	}
	// A capture, void or refund still waiting for the provider would
	// settle the payment under the edit.
	var moving int64
	if err := tx.Model(&Transaction{}).Where("order_id = ? AND kind IN ? AND status IN ?", o.ID,
		[]string{TxCapture, TxVoid, TxRefund}, []string{TxPending, TxUnknown}).Count(&moving).Error; err != nil {
		return err
	}
	if moving > 0 {
		return errs.New(errs.ValidationError, "the order's payment is being captured, voided or refunded: it can no longer be edited")
	}
	if err := o.releaseStock(tx); err != nil {
		return err
	}
	o.Status = OrderEditing
	return nil
}

// StopEditing ends the editing and places the order back
// (`_stop_editing`): it must still have an item, its total must not exceed
// the one it was placed with, and the stock its items need is taken again.
func (o *Order) StopEditing(tx *gorm.DB) error {
	if o.Status != OrderEditing {
		return o.stateError("stop editing")
	}
	if err := o.Recompute(tx); err != nil {
		return err
	}
	if o.lineCount == 0 {
		return errs.New(errs.ValidationError, "line_items - the order has no items").At(errs.RelationshipPointer("line_items"))
	}
	if err := o.decrementStock(tx); err != nil {
		return err
	}
	o.Status = OrderPlaced
	return nil
}

// checkEditedTotal is the editing rule: the total may not exceed the one
// the order was placed with (its payment was authorized for it).
func (o *Order) checkEditedTotal() error {
	if o.Status != OrderEditing || o.PlaceTotalAmountCents == nil || o.TotalAmountWithTaxesCents <= *o.PlaceTotalAmountCents {
		return nil
	}
	return errs.New(errs.ValidationError, "the order is being edited: its total of %s cannot exceed the %s it was placed with",
		o.Money(o.TotalAmountWithTaxesCents).Formatted(), o.Money(*o.PlaceTotalAmountCents).Formatted())
}

// AuthorizeSource readies the order's payment source for another
// authorization (`_authorize` on the order, as on the payment): it returns
// the payment, to authorize with the provider once committed. The order
// must be a cart whose payment was made for its current total: a payment
// for another total is replaced by a new one, not re-authorized.
func (o *Order) AuthorizeSource(tx *gorm.DB) (*PaymentSource, error) {
	if !o.Editable() {
		return nil, o.stateError("authorize the payment of")
	}
	if o.PaymentSourceID == nil {
		return nil, errs.New(errs.ValidationError, "payment_source - can't be blank: create a payment for the order first").At(errs.RelationshipPointer("payment_source"))
	}
	var ps PaymentSource
	// The order is locked first (by the update), then its payment.
	if err := db.ForUpdate(tx).Where("id = ?", *o.PaymentSourceID).Take(&ps).Error; err != nil {
		return nil, err
	}
	if ps.AmountCents != o.TotalAmountWithTaxesCents {
		return nil, errs.New(errs.ValidationError, "payment_source - mismatched_amounts: the payment is for %s but the order's total is %s; create a new payment",
			o.Money(ps.AmountCents).Formatted(), o.Money(o.TotalAmountWithTaxesCents).Formatted()).At(errs.RelationshipPointer("payment_source"))
	}
	if err := ps.Retry(tx); err != nil {
		return nil, err
	}
	return &ps, nil
}
