package models

import (
	"errors"
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Order statuses, payment statuses and fulfillment statuses, as the
// reference names them.
const (
	OrderDraft     = "draft"
	OrderPending   = "pending"
	OrderPlacing   = "placing"
	OrderPlaced    = "placed"
	OrderApproved  = "approved"
	OrderCancelled = "cancelled"

	PaymentUnpaid            = "unpaid"
	PaymentAuthorized        = "authorized"
	PaymentPartiallyAuth     = "partially_authorized"
	PaymentPaid              = "paid"
	PaymentPartiallyPaid     = "partially_paid"
	PaymentVoided            = "voided"
	PaymentPartiallyVoided   = "partially_voided"
	PaymentRefunded          = "refunded"
	PaymentPartiallyRefunded = "partially_refunded"
	PaymentFree              = "free"

	FulfillmentUnfulfilled = "unfulfilled"
	FulfillmentInProgress  = "in_progress"
	FulfillmentFulfilled   = "fulfilled"
	FulfillmentNotRequired = "not_required"
)

// OrderStatuses, PaymentStatuses and FulfillmentStatuses list the values.
var (
	OrderStatuses       = []string{OrderDraft, OrderPending, OrderPlacing, OrderPlaced, OrderEditing, OrderApproved, OrderCancelled}
	PaymentStatuses     = []string{PaymentUnpaid, PaymentAuthorized, PaymentPartiallyAuth, PaymentPaid, PaymentPartiallyPaid, PaymentVoided, PaymentPartiallyVoided, PaymentRefunded, PaymentPartiallyRefunded, PaymentFree}
	FulfillmentStatuses = []string{FulfillmentUnfulfilled, FulfillmentInProgress, FulfillmentFulfilled, FulfillmentNotRequired}
)

// EditableStatuses are the statuses in which an order's cart may change.
var EditableStatuses = []string{OrderDraft, OrderPending}

// MaxLineItemQuantity bounds one line item's quantity.
const MaxLineItemQuantity = 10000

// Order is a cart that becomes an order when placed.
type Order struct {
	Base
	Number                    int64
	Status                    string
	PaymentStatus             string
	FulfillmentStatus         string
	Guest                     bool
	CustomerEmail             *string
	LanguageCode              *string
	CurrencyCode              string
	TaxIncluded               bool
	CountryCode               *string
	CartURL                   *string `gorm:"column:cart_url"`
	ReturnURL                 *string `gorm:"column:return_url"`
	TermsURL                  *string `gorm:"column:terms_url"`
	PrivacyURL                *string `gorm:"column:privacy_url"`
	MarketID                  string
	CustomerID                *string
	BillingAddressID          *string
	ShippingAddressID         *string
	PaymentMethodID           *string
	PaymentSourceType         *string
	PaymentSourceID           *string
	SubtotalAmountCents       int64
	DiscountAmountCents       int64
	ShippingAmountCents       int64
	PaymentMethodAmountCents  int64
	TotalTaxAmountCents       int64
	TotalAmountCents          int64
	TotalAmountWithTaxesCents int64
	PlaceTotalAmountCents     *int64
	// ExternalShippingAmountCents and ExternalTaxAmountCents are amounts an
	// integration decided (a merchant's checkout sends them): Recompute
	// uses them instead of the shipments' shipping and the tax
	// calculator's taxes. nil: none.
	ExternalShippingAmountCents *int64
	ExternalTaxAmountCents      *int64
	// The tax parts of the totals (computeTaxes, sumTaxes).
	TaxRate                         *float64
	FreightTaxable                  bool
	PaymentMethodTaxable            bool
	SubtotalTaxAmountCents          int64
	ShippingTaxAmountCents          int64
	PaymentMethodTaxAmountCents     int64
	SubtotalTaxableAmountCents      int64
	ShippingTaxableAmountCents      int64
	PaymentMethodTaxableAmountCents int64
	TotalTaxableAmountCents         int64
	SkusCount                       int
	ShipmentsCount                  int
	PlacedAt                        *time.Time
	ApprovedAt                      *time.Time
	CancelledAt                     *time.Time
	ArchivedAt                      *time.Time
	PaymentUpdatedAt                *time.Time
	FulfillmentUpdatedAt            *time.Time
	RefreshedAt                     *time.Time
	ExpiresAt                       *time.Time
	// CheckoutToken is the page token of the order's latest open checkout
	// session: the order's checkout_url.
	CheckoutToken *string

	// SaveBillingAddressToCustomerAddressBook and
	// SaveShippingAddressToCustomerAddressBook keep the address book
	// triggers' requests until the order is placed (saveAddresses).
	SaveBillingAddressToCustomerAddressBook  bool
	SaveShippingAddressToCustomerAddressBook bool

	// RefundAmountCents is `_refund_amount_cents`, sent with `_refund`.
	RefundAmountCents *int64 `gorm:"-"`

	// stored holds the external amounts as read (AfterFind), so a write
	// knows whether it changes them; lineCount is the line items (SKUs
	// and adjustments) Recompute counted.
	stored    *storedAmounts
	lineCount int

	// What one write reads of the order's market and stock location,
	// read once (orderMarket, stockLocation): an order value lasts one
	// transaction.
	market   *Market
	location *primaryLocation
}

type storedAmounts struct{ shipping, tax *int64 }

// AfterFind remembers the external amounts as stored.
func (o *Order) AfterFind(*gorm.DB) error {
	o.stored = &storedAmounts{shipping: o.ExternalShippingAmountCents, tax: o.ExternalTaxAmountCents}
	return nil
}

func sameAmount(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// checkExternalAmounts holds a write's external amounts to their rules:
// not negative, changed only while the order is a cart; an external tax
// is added to the total, so the order's prices are then net (tax_included
// false), and clearing it restores the market's setting (marketTaxIncluded).
func (o *Order) checkExternalAmounts(tx *gorm.DB, creating bool, marketTaxIncluded *bool) error {
	var before storedAmounts
	if !creating && o.stored != nil {
		before = *o.stored
	}
	shippingChanged := !sameAmount(before.shipping, o.ExternalShippingAmountCents)
	taxChanged := !sameAmount(before.tax, o.ExternalTaxAmountCents)
	if !shippingChanged && !taxChanged {
		return nil
	}
	if !creating && !o.Editable() {
		return errs.New(errs.ValidationError, "the order is %s: its shipping and tax amounts cannot change", o.Status)
	}
	var v collect
	if a := o.ExternalShippingAmountCents; a != nil && *a < 0 {
		_ = v.add(errs.Invalid("shipping_amount_cents", "must be greater than or equal to 0"))
	}
	if a := o.ExternalTaxAmountCents; a != nil && *a < 0 {
		_ = v.add(errs.Invalid("total_tax_amount_cents", "must be greater than or equal to 0"))
	}
	if err := v.err(); err != nil {
		return err
	}
	// What this write stores is what a later write of o compares with.
	o.stored = &storedAmounts{shipping: o.ExternalShippingAmountCents, tax: o.ExternalTaxAmountCents}
	if !taxChanged {
		return nil
	}
	if o.ExternalTaxAmountCents != nil {
		o.TaxIncluded = false
		return nil
	}
	if marketTaxIncluded == nil {
		var included []bool
		if err := tx.Table("markets").Joins("JOIN price_lists ON price_lists.id = markets.price_list_id").
			Where("markets.id = ?", o.MarketID).Limit(1).Pluck("price_lists.tax_included", &included).Error; err != nil {
			return err
		}
		if len(included) == 0 {
			return errs.NotFound("markets", o.MarketID).At(errs.RelationshipPointer("market"))
		}
		marketTaxIncluded = &included[0]
	}
	o.TaxIncluded = *marketTaxIncluded
	return nil
}

// Editable says whether the cart may still change.
func (o *Order) Editable() bool { return slices.Contains(EditableStatuses, o.Status) }

// Money is an amount in the order's currency.
func (o *Order) Money(cents int64) Money { return Money{Cents: cents, Currency: o.CurrencyCode} }

// NextNumber hands out the next value of a named counter; the row update
// serializes concurrent callers on both engines.
func NextNumber(tx *gorm.DB, name string) (int64, error) {
	var value int64
	err := db.Scan(tx.Raw("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", name), &value)
	if err != nil {
		return 0, err
	}
	if value == 0 {
		if err := tx.Exec("INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1", name).Error; err != nil {
			return 0, err
		}
		if err := db.Scan(tx.Raw("SELECT value FROM counters WHERE name = ?", name), &value); err != nil {
			return 0, err
		}
	}
	return value, nil
}

// stateError is the 422 for an action the order's state does not allow.
func (o *Order) stateError(action string) error {
	return errs.New(errs.ValidationError, "cannot %s an order in status %s", action, o.Status)
}

// LockOrder loads an order and holds its row lock until tx ends, so that
// concurrent cart changes and triggers on one order run one at a time.
func LockOrder(tx *gorm.DB, id string) (*Order, error) {
	var o Order
	err := db.ForUpdate(tx).Where("id = ?", id).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.NotFound("orders", id)
	}
	return &o, err
}

// LockOrderOf locks and reads the order whose id the subquery idQuery
// selects (one row's order_id); nil when it selects none. The subquery
// locks nothing: the order's lock comes before any row of its own.
func LockOrderOf(tx *gorm.DB, idQuery *gorm.DB) (*Order, error) {
	var orders []Order
	if err := db.ForUpdate(tx).Where("id = (?)", idQuery).Limit(1).Find(&orders).Error; err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, nil
	}
	return &orders[0], nil
}

// BeforeWrite sets up a new order from its market, keeps the customer and
// email in step, and checks the chosen payment method; totals and the
// draft/pending status follow the cart.
func (o *Order) BeforeWrite(tx *gorm.DB, creating bool) error {
	if creating {
		// The market and its price list's currency, in one query.
		var market []struct {
			DisabledAt   *time.Time
			CurrencyCode string
			TaxIncluded  bool
		}
		if err := db.Scan(tx.Table("markets").Select("markets.disabled_at, price_lists.currency_code, price_lists.tax_included").
			Joins("JOIN price_lists ON price_lists.id = markets.price_list_id").
			Where("markets.id = ?", o.MarketID).Limit(1), &market); err != nil {
			return err
		}
		if len(market) == 0 {
			return errs.New(errs.ValidationError, "market - can't be blank").At(errs.RelationshipPointer("market"))
		}
		if market[0].DisabledAt != nil {
			return errs.New(errs.ValidationError, "market - is disabled").At(errs.RelationshipPointer("market"))
		}
		number, err := NextNumber(tx, "orders")
		if err != nil {
			return err
		}
		o.Number, o.CurrencyCode, o.TaxIncluded = number, market[0].CurrencyCode, market[0].TaxIncluded
		o.Status, o.PaymentStatus, o.FulfillmentStatus = OrderDraft, PaymentUnpaid, FulfillmentUnfulfilled
		if err := o.checkExternalAmounts(tx, true, &market[0].TaxIncluded); err != nil {
			return err
		}
	} else if err := o.checkExternalAmounts(tx, false, nil); err != nil {
		return err
	}
	var v collect
	if o.CustomerEmail != nil {
		email := strings.ToLower(strings.TrimSpace(*o.CustomerEmail))
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
			_ = v.add(errs.Invalid("customer_email", "is not a valid email address"))
		}
		o.CustomerEmail = &email
	}
	o.Guest = o.CustomerID == nil
	if o.CustomerID != nil {
		var c Customer
		if err := tx.Where("id = ?", *o.CustomerID).Take(&c).Error; err != nil {
			return err
		}
		if o.CustomerEmail == nil {
			o.CustomerEmail = &c.Email
		}
	}
	if o.PaymentMethodID != nil {
		pm, err := o.availablePaymentMethod(tx, *o.PaymentMethodID)
		if err != nil {
			return err
		}
		if pm == nil {
			_ = v.add(errs.New(errs.ValidationError, "payment_method - is not available for this order's market and currency").At(errs.RelationshipPointer("payment_method")))
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	return o.Recompute(tx)
}

// AvailablePaymentMethodsWhere is the condition, in SQL, for the payment
// methods an order may use: enabled, of its market or of no market, in
// its currency or any.
const AvailablePaymentMethodsWhere = "disabled_at IS NULL AND (market_id = ? OR market_id IS NULL) AND (currency_code = ? OR currency_code IS NULL)"

func (o *Order) availablePaymentMethod(tx *gorm.DB, id string) (*PaymentMethod, error) {
	var pm PaymentMethod
	found, err := findBy(tx, &pm, "id = ? AND "+AvailablePaymentMethodsWhere, id, o.MarketID, o.CurrencyCode)
	if err != nil || !found {
		return nil, err
	}
	return &pm, nil
}

// orderLine is a line item as Recompute reads it, with whether its SKU
// ships (nil: an adjustment, or a SKU that is gone).
type orderLine struct {
	LineItem
	DoNotShip *bool
}

// readLines reads the order's SKU lines and adjustments, oldest first,
// once for its totals, its shipments and its taxes.
func (o *Order) readLines(tx *gorm.DB) ([]orderLine, error) {
	var lines []orderLine
	err := tx.Table("line_items").Select("line_items.*, skus.do_not_ship").
		Joins("LEFT JOIN skus ON skus.id = line_items.item_id").
		Where("line_items.order_id = ? AND line_items.item_type IN ?", o.ID, []string{"skus", ItemAdjustment}).
		Order("line_items.created_at, line_items.id").Find(&lines).Error
	return lines, err
}

// orderMarket is the order's market, read once per order value (an order
// is read for one transaction).
func (o *Order) orderMarket(tx *gorm.DB) (*Market, error) {
	if o.market != nil && o.market.ID == o.MarketID {
		return o.market, nil
	}
	var m Market
	if err := tx.Where("id = ?", o.MarketID).Take(&m).Error; err != nil {
		return nil, err
	}
	o.market = &m
	return o.market, nil
}

// Recompute derives the totals from the line item rows (never by
// incrementing cached values) and moves an editable order between draft
// and pending: pending once it has an email and an item (a SKU, or an
// adjustment: an amount-only session's amount, an integration's item
// outside the catalog). External shipping and tax amounts replace the
// derived ones.
func (o *Order) Recompute(tx *gorm.DB) error {
	var lines []orderLine
	if o.ID != "" {
		var err error
		if lines, err = o.readLines(tx); err != nil {
			return err
		}
	}
	// An amount-only checkout session's order carries its amount as one
	// line item of item_type adjustments, and an integration's item
	// outside the catalog is one too: they count in the subtotal, not in
	// skus_count (nor in the shipments).
	var subtotal, quantity, shipped int64
	for _, l := range lines {
		subtotal += l.TotalAmountCents
		if l.ItemType == "skus" {
			quantity += int64(l.Quantity)
			if l.DoNotShip != nil && !*l.DoNotShip {
				shipped += int64(l.Quantity)
			}
		}
	}
	o.SubtotalAmountCents, o.SkusCount, o.lineCount = subtotal, int(quantity), len(lines)
	if o.ID != "" {
		shipping, count, err := o.syncShipments(tx, shipped)
		if err != nil {
			return err
		}
		o.ShippingAmountCents, o.ShipmentsCount = shipping, count
	}
	if o.ExternalShippingAmountCents != nil {
		o.ShippingAmountCents = *o.ExternalShippingAmountCents
	}
	o.PaymentMethodAmountCents = 0
	if o.PaymentMethodID != nil {
		var pm PaymentMethod
		if err := tx.Where("id = ?", *o.PaymentMethodID).Take(&pm).Error; err == nil {
			o.PaymentMethodAmountCents = pm.PriceAmountCents
		}
	}
	// A cart's taxes follow its market's tax calculator and its country; a
	// placed order's stay what they were when it was placed (its total was
	// paid for), unless the back office is editing it.
	if o.ID != "" && (o.Editable() || o.Status == OrderEditing) {
		country, err := o.orderCountry(tx)
		if err != nil {
			return err
		}
		o.CountryCode = country
		if err := o.computeTaxes(tx, lines); err != nil {
			return err
		}
	}
	o.sumTaxes()
	if o.ExternalTaxAmountCents != nil {
		// The merchant's tax has no breakdown: its parts stay 0 and the
		// order's prices are net (checkExternalAmounts), so it is added.
		o.TotalTaxAmountCents = *o.ExternalTaxAmountCents
	}
	o.TotalAmountCents = o.SubtotalAmountCents + o.ShippingAmountCents + o.PaymentMethodAmountCents - o.DiscountAmountCents
	o.TotalAmountWithTaxesCents = o.TotalAmountCents
	if !o.TaxIncluded {
		o.TotalAmountWithTaxesCents += o.TotalTaxAmountCents
	}
	if err := o.checkEditedTotal(); err != nil {
		return err
	}
	if o.PaymentSourceID != nil {
		// A payment authorized for another total no longer pays the order.
		if err := tx.Model(&PaymentSource{}).Where("id = ?", *o.PaymentSourceID).
			Update("mismatched_amounts", gorm.Expr("(status IN ? AND amount_cents <> ?)", []string{SourceAuthorized, SourceCaptured}, o.TotalAmountWithTaxesCents)).Error; err != nil {
			return err
		}
	}
	if o.Editable() {
		if o.CustomerEmail != nil && o.lineCount > 0 {
			o.Status = OrderPending
		} else {
			o.Status = OrderDraft
		}
	}
	return nil
}

// BeforeDestroy keeps placed orders: archive them instead.
func (o *Order) BeforeDestroy(tx *gorm.DB) error {
	if !o.Editable() {
		return errs.New(errs.ValidationError, "a %s order cannot be deleted: archive it with _archive", o.Status)
	}
	return nil
}

// PaymentHook lets the payments part take part in placing and cancelling
// an order: it authorizes (or captures) the payment source on place and
// voids it on cancel, returning the order's new payment status. With no
// hook, or no payment source, orders are placed unpaid.
type PaymentHook interface {
	Place(tx *gorm.DB, o *Order) (paymentStatus string, err error)
	// Cancel begins voiding the order's authorization: it returns the id
	// of a pending void to finish once tx commits (the order is cancelled
	// when the provider confirms it), or "" when there is nothing to void.
	Cancel(tx *gorm.DB, o *Order) (voidID string, err error)
}

// Place places the order (the `_place` trigger) once its preconditions
// hold: items, an email, a billing address, a shipping address unless
// nothing ships, a payment method unless the total is 0, and no SKU the
// customer already owns.
func (o *Order) Place(tx *gorm.DB, hook PaymentHook) error { return o.place(tx, hook, false) }

// PlaceForCheckout places the order a checkout session was paid for. The
// hosted page collects the payment, not addresses: the address and email
// rules of `_place` do not apply (set them on the order before the session
// if the merchant needs them), and an amount-only session's order has no
// SKUs. Every other rule (one purchase per customer, the payment) does.
func (o *Order) PlaceForCheckout(tx *gorm.DB, hook PaymentHook) error { return o.place(tx, hook, true) }

func (o *Order) place(tx *gorm.DB, hook PaymentHook, checkout bool) error {
	if !o.Editable() {
		return o.stateError("place")
	}
	if err := o.Recompute(tx); err != nil {
		return err
	}
	problems, shippable, err := o.placeProblems(tx, checkout)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return problems
	}
	if err := o.checkOnePerCustomer(tx, ""); err != nil {
		return err
	}
	if err := o.decrementStock(tx); err != nil {
		return err
	}
	status := PaymentUnpaid
	if o.TotalAmountWithTaxesCents == 0 {
		status = PaymentFree
	} else if hook != nil {
		if status, err = hook.Place(tx, o); err != nil {
			return err
		}
	}
	now := db.Now()
	total := o.TotalAmountWithTaxesCents
	o.Status, o.PaymentStatus, o.PlacedAt, o.PaymentUpdatedAt, o.PlaceTotalAmountCents = OrderPlaced, status, &now, &now, &total
	if !shippable {
		o.FulfillmentStatus = FulfillmentNotRequired
	}
	if err := o.moveShipments(tx, []string{ShipmentDraft}, ShipmentUpcoming); err != nil {
		return err
	}
	if err := o.emit(tx, "orders.place"); err != nil {
		return err
	}
	if o.SaveBillingAddressToCustomerAddressBook || o.SaveShippingAddressToCustomerAddressBook {
		if err := o.saveAddresses(tx); err != nil {
			return err
		}
	}
	switch status {
	case PaymentAuthorized:
		err = o.emit(tx, "orders.authorize")
	case PaymentPaid:
		if err = o.emit(tx, "orders.authorize"); err == nil {
			err = o.emit(tx, "orders.pay")
		}
	}
	if err != nil {
		return err
	}
	if o.CustomerID != nil {
		return tx.Exec("UPDATE customers SET total_orders_count = total_orders_count + 1, status = CASE WHEN total_orders_count = 0 THEN 'acquired' ELSE 'repeat' END, updated_at = ? WHERE id = ?", now, *o.CustomerID).Error
	}
	return nil
}

// placeProblems lists the order's unmet place preconditions (every one,
// so a client fixes them at once) and says whether anything ships.
func (o *Order) placeProblems(tx *gorm.DB, checkout bool) (errs.List, bool, error) {
	var problems errs.List
	need := func(ok bool, pointer, detail string) {
		if !ok {
			problems = append(problems, errs.New(errs.ValidationError, "%s", detail).At(pointer))
		}
	}
	shippable, err := o.hasShippableItems(tx)
	if err != nil {
		return nil, false, err
	}
	if checkout {
		need(o.SubtotalAmountCents > 0, errs.RelationshipPointer("line_items"), "line_items - the order has no items")
	} else {
		need(o.lineCount > 0, errs.RelationshipPointer("line_items"), "line_items - the order has no items")
		need(o.CustomerEmail != nil, errs.AttributePointer("customer_email"), "customer_email - can't be blank")
		need(o.BillingAddressID != nil, errs.RelationshipPointer("billing_address"), "billing_address - can't be blank")
		need(!shippable || o.ShippingAddressID != nil, errs.RelationshipPointer("shipping_address"), "shipping_address - can't be blank")
	}
	need(o.TotalAmountWithTaxesCents == 0 || o.PaymentMethodID != nil, errs.RelationshipPointer("payment_method"), "payment_method - can't be blank")
	shipments, err := o.checkShipments(tx)
	if err != nil {
		return nil, false, err
	}
	return append(problems, shipments...), shippable, nil
}

func (o *Order) hasShippableItems(tx *gorm.DB) (bool, error) {
	var n int64
	err := tx.Model(&LineItem{}).Joins("JOIN skus ON skus.id = line_items.item_id").
		Where("line_items.order_id = ? AND line_items.item_type = ? AND skus.do_not_ship = ?", o.ID, "skus", false).Count(&n).Error
	return n > 0, err
}

// Approve approves a placed order (the `_approve` trigger).
func (o *Order) Approve(tx *gorm.DB) error {
	if o.Status != OrderPlaced {
		return o.stateError("approve")
	}
	now := db.Now()
	o.Status, o.ApprovedAt = OrderApproved, &now
	return o.emit(tx, "orders.approve")
}

// emit reports topic about the order (see Emit).
func (o *Order) emit(tx *gorm.DB, topic string) error { return Emit(tx, topic, "orders", o.ID) }

// Cancel cancels a placed or approved order that is not fulfilled (the
// `_cancel` trigger). When the payment hook has an authorization to void,
// the order is cancelled by that void once the provider confirms it.
func (o *Order) Cancel(tx *gorm.DB, hook PaymentHook) (voidID string, err error) {
	if (o.Status != OrderPlaced && o.Status != OrderApproved) || o.FulfillmentStatus == FulfillmentFulfilled {
		return "", o.stateError("cancel")
	}
	if hook != nil {
		if voidID, err = hook.Cancel(tx, o); err != nil || voidID != "" {
			return voidID, err
		}
	}
	now := db.Now()
	o.Status, o.CancelledAt, o.PaymentUpdatedAt = OrderCancelled, &now, &now
	if err := o.onCancelled(tx); err != nil {
		return "", err
	}
	return "", o.emit(tx, "orders.cancel")
}

// Archive hides an order from default views (`_archive`); Unarchive undoes it.
func (o *Order) Archive(*gorm.DB) error {
	if o.ArchivedAt == nil {
		now := db.Now()
		o.ArchivedAt = &now
	}
	return nil
}

// Unarchive brings an archived order back (`_unarchive`).
func (o *Order) Unarchive(*gorm.DB) error {
	o.ArchivedAt = nil
	return nil
}

// Refresh re-prices the cart from the market's current price list (the
// `_refresh` trigger); external prices are kept.
func (o *Order) Refresh(tx *gorm.DB) error {
	if !o.Editable() {
		return o.stateError("refresh")
	}
	if err := o.repriceItems(tx); err != nil {
		return err
	}
	now := db.Now()
	o.RefreshedAt = &now
	return o.Recompute(tx)
}

// UpdateTaxes recomputes the totals, taxes included (`_update_taxes`),
// which needs a tax calculator on the order's market; a placed order's
// taxes stay those it was placed with.
func (o *Order) UpdateTaxes(tx *gorm.DB) error {
	if o.Status == OrderCancelled {
		return o.stateError("update taxes of")
	}
	has, err := o.hasTaxCalculator(tx)
	if err != nil {
		return err
	}
	if !has {
		return errs.New(errs.ValidationError, "the order's market has no tax calculator").At(errs.AttributePointer("_update_taxes"))
	}
	return o.Recompute(tx)
}

// ShipToBilling makes the shipping address a copy of the billing address
// (`_shipping_address_same_as_billing`).
func (o *Order) ShipToBilling(tx *gorm.DB) error {
	if o.BillingAddressID == nil {
		return errs.New(errs.ValidationError, "the order has no billing address to copy")
	}
	id, err := CloneAddress(tx, *o.BillingAddressID, o.CustomerID)
	o.ShippingAddressID = &id
	return err
}

// BillToShipping makes the billing address a copy of the shipping address
// (`_billing_address_same_as_shipping`).
func (o *Order) BillToShipping(tx *gorm.DB) error {
	if o.ShippingAddressID == nil {
		return errs.New(errs.ValidationError, "the order has no shipping address to copy")
	}
	id, err := CloneAddress(tx, *o.ShippingAddressID, o.CustomerID)
	o.BillingAddressID = &id
	return err
}

// CloneAddress copies an address for the order's billing or shipping use
// (`_billing_address_clone_id`, `_shipping_address_clone_id`). The copy
// belongs to owner, the order's customer (nil for a guest's order), so a
// customer can read the addresses of its orders and a guest cannot read a
// customer's.
func CloneAddress(tx *gorm.DB, id string, owner *string) (string, error) {
	var a Address
	if err := tx.Where("id = ?", id).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", errs.NotFound("addresses", id)
		}
		return "", err
	}
	a.Record = Record{}
	a.OwnerCustomerID = owner
	if err := tx.Create(&a).Error; err != nil {
		return "", err
	}
	return a.ID, nil
}

// checkOnePerCustomer refuses a SKU limited to one per customer when the
// order's customer already has a placed or approved order with it, whether
// that order names the customer by relationship or by email.
// skuID limits the check to one SKU; "" checks every item of the order.
//
// The rule spans orders, so it takes locks of its own (after the order's):
// the customers' rows and an advisory lock per email, in a fixed order.
// Two carts of one customer (or one guest email) placed at once are then
// checked one after the other, and the second sees the first placed.
func (o *Order) checkOnePerCustomer(tx *gorm.DB, skuID string) error {
	if skuID == "" {
		// On place: only when an item is limited (a line item's write
		// checks its own SKU, which it knows is limited).
		if needs, err := o.hasLimitedItems(tx); err != nil || !needs {
			return err
		}
	}
	customers, err := o.owners(tx)
	if err != nil {
		return err
	}
	var ids, emails []string
	for _, c := range customers {
		ids, emails = append(ids, c.ID), append(emails, c.Email)
	}
	if o.CustomerEmail != nil {
		emails = append(emails, *o.CustomerEmail)
	}
	if len(emails) == 0 {
		return nil // a guest cart without an email: checked again on place
	}
	if err := lockEmails(tx, emails); err != nil {
		return err
	}
	owned := "owned.status IN ? AND (owned.customer_id IN ? OR owned.customer_email IN ?)"
	bought := []string{OrderPlaced, OrderApproved}
	q := tx.Model(&LineItem{}).Select("DISTINCT skus.code").
		Joins("JOIN skus ON skus.id = line_items.item_id AND skus.limit_one_per_customer = ?", true).
		Joins("JOIN orders owned ON owned.id <> ? AND "+owned, o.ID, bought, ids, emails).
		Joins("JOIN line_items bought ON bought.order_id = owned.id AND bought.item_id = line_items.item_id").
		Where("line_items.order_id = ?", o.ID)
	if skuID != "" {
		q = tx.Model(&Sku{}).Select("DISTINCT skus.code").
			Joins("JOIN line_items bought ON bought.item_id = skus.id").
			Joins("JOIN orders owned ON owned.id = bought.order_id AND owned.id <> ? AND "+owned, o.ID, bought, ids, emails).
			Where("skus.id = ? AND skus.limit_one_per_customer = ?", skuID, true)
	}
	var codes []string
	if err := q.Pluck("skus.code", &codes).Error; err != nil {
		return err
	}
	if len(codes) > 0 {
		slices.Sort(codes)
		return errs.New(errs.AlreadyPurchased, "the customer already owns %s: it can be bought once per customer", strings.Join(codes, ", "))
	}
	return nil
}

// hasLimitedItems says whether any of the order's items is limited to one
// per customer.
func (o *Order) hasLimitedItems(tx *gorm.DB) (bool, error) {
	var n int64
	err := tx.Model(&LineItem{}).Joins("JOIN skus ON skus.id = line_items.item_id").
		Where("line_items.order_id = ? AND line_items.item_type = ? AND skus.limit_one_per_customer = ?", o.ID, "skus", true).Count(&n).Error
	return n > 0, err
}

// lockEmails takes an advisory lock per email (lower-cased, sorted, so
// every caller takes them in the same order): a guest email may have no
// customer row to lock.
func lockEmails(tx *gorm.DB, emails []string) error {
	keys := make([]string, len(emails))
	for i, e := range emails {
		keys[i] = "one_per_customer:" + strings.ToLower(e)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if err := db.LockKey(tx, k); err != nil {
			return err
		}
	}
	return nil
}

// owners are the customers an order belongs to: its customer, or the
// customer whose email it carries. Their rows stay locked until tx ends
// (in id order), so one customer's purchases are checked one at a time.
func (o *Order) owners(tx *gorm.DB) ([]Customer, error) {
	var out []Customer
	q := db.ForUpdate(tx).Order("id")
	switch {
	case o.CustomerID != nil:
		err := q.Where("id = ?", *o.CustomerID).Find(&out).Error
		return out, err
	case o.CustomerEmail != nil:
		err := q.Where("email = ?", *o.CustomerEmail).Find(&out).Error
		return out, err
	}
	return nil, nil
}

// PaymentMethod is a way to pay in a market: a gateway and a source type.
type PaymentMethod struct {
	Base
	Name                      *string
	PaymentSourceType         string
	CurrencyCode              *string
	Moto                      bool
	RequireCapture            bool
	AutoPlace                 bool
	AutoCapture               bool
	PriceAmountCents          int64
	AutoCaptureMaxAmountCents *int64
	Switch
	MarketID         *string
	PaymentGatewayID *string

	// Routing (Kasse extensions, docs/routing.md): the kind of payment the
	// method takes, the amounts it takes, its rank among equal scores,
	// and its fee (fee_fixed_cents + fee_percentage % of the amount).
	PaymentMethodType string
	MinAmountCents    *int64
	MaxAmountCents    *int64
	RoutingPriority   int
	FeeFixedCents     int64
	FeePercentage     float64
}

// PaymentSourceTypes are the payment source types the reference knows.
var PaymentSourceTypes = []string{"adyen_payments", "axerve_payments", "braintree_payments", "checkout_com_payments", "external_payments", "klarna_payments", "paypal_payments", "satispay_payments", "stripe_payments", "wire_transfers"}

// BeforeWrite checks the source type, currency and price.
func (pm *PaymentMethod) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	if !slices.Contains(PaymentSourceTypes, pm.PaymentSourceType) {
		_ = v.add(errs.Invalid("payment_source_type", "must be one of "+strings.Join(PaymentSourceTypes, ", ")))
	}
	if pm.CurrencyCode != nil {
		code := strings.ToUpper(*pm.CurrencyCode)
		pm.CurrencyCode = &code
		if _, ok := LookupCurrency(code); !ok {
			_ = v.add(errs.Invalid("currency_code", "is not an ISO 4217 currency code"))
		}
	}
	if pm.PriceAmountCents < 0 {
		_ = v.add(errs.Invalid("price_amount_cents", "must be greater than or equal to 0"))
	}
	_ = v.add(pm.checkRouting())
	return v.err()
}

// checkRouting checks the routing extensions (docs/routing.md).
func (pm *PaymentMethod) checkRouting() error {
	var v collect
	if pm.PaymentMethodType == "" {
		pm.PaymentMethodType = MethodCard
	}
	if !slices.Contains(PaymentMethodTypes, pm.PaymentMethodType) {
		_ = v.add(errs.Invalid("payment_method_type", "must be one of "+strings.Join(PaymentMethodTypes, ", ")))
	}
	for name, amount := range map[string]*int64{"min_amount_cents": pm.MinAmountCents, "max_amount_cents": pm.MaxAmountCents} {
		if amount != nil && *amount < 0 {
			_ = v.add(errs.Invalid(name, "must be greater than or equal to 0"))
		}
	}
	if pm.MinAmountCents != nil && pm.MaxAmountCents != nil && *pm.MinAmountCents > *pm.MaxAmountCents {
		_ = v.add(errs.Invalid("max_amount_cents", "must be greater than or equal to min_amount_cents"))
	}
	if pm.FeeFixedCents < 0 {
		_ = v.add(errs.Invalid("fee_fixed_cents", "must be greater than or equal to 0"))
	}
	if pm.FeePercentage < 0 || pm.FeePercentage > 100 || math.IsNaN(pm.FeePercentage) {
		_ = v.add(errs.Invalid("fee_percentage", "must be between 0 and 100 (0.5 is 0.5 %)"))
	}
	if pm.RoutingPriority < -1000 || pm.RoutingPriority > 1000 {
		_ = v.add(errs.Invalid("routing_priority", "must be between -1000 and 1000"))
	}
	return v.err()
}
