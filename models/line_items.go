package models

import (
	"errors"
	"strings"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// LineItem is one SKU and quantity in an order, priced from the order's
// market at the moment it is added (or, for trusted servers, externally).
type LineItem struct {
	Base
	OrderID              string
	ItemType             string
	ItemID               *string
	SkuCode              *string
	Name                 *string
	ImageURL             *string `gorm:"column:image_url"`
	Quantity             int
	CurrencyCode         string
	UnitAmountCents      int64
	CompareAtAmountCents *int64
	OptionsAmountCents   int64
	DiscountCents        int64
	TotalAmountCents     int64
	TaxAmountCents       int64
	TaxRate              *float64
	ExternalPrice        bool

	// UpdateQuantity is the `_update_quantity` trigger: adding a SKU the
	// order already has adds to that line item's quantity instead of making
	// a new line item.
	UpdateQuantity bool `gorm:"-"`
	// Storefront says a sales channel or customer token writes the item
	// (set by the resource): an order the back office edits is refused.
	Storefront bool `gorm:"-"`

	// handed is the order the engine locked and read for this write
	// (LockedOrder), taken by BeforeWrite or BeforeDestroy; order is the
	// order they locked and checked, which AfterWrite or AfterDestroy then
	// recompute without reading it again. Each lasts one write.
	handed, order *Order
}

// LockedOrder takes the order the engine locked and read for this write
// (an OrderChild).
func (li *LineItem) LockedOrder(o *Order) { li.handed = o }

// lockOrder locks and reads the order for this write's rules: the one the
// engine handed over for it, else from the database.
func (li *LineItem) lockOrder(tx *gorm.DB) (*Order, error) {
	order := li.handed
	li.handed, li.order = nil, nil
	if order == nil || order.ID != li.OrderID {
		var err error
		if order, err = LockOrder(tx, li.OrderID); err != nil {
			return nil, err
		}
	}
	li.order = order
	return order, nil
}

func (li *LineItem) computeTotal() {
	li.TotalAmountCents = li.UnitAmountCents*int64(li.Quantity) + li.OptionsAmountCents - li.DiscountCents
}

// marketPrice is a SKU's price in a market's price list.
func marketPrice(tx *gorm.DB, marketID, skuID string) (*Price, error) {
	var p Price
	err := tx.Joins("JOIN markets ON markets.price_list_id = prices.price_list_id").
		Where("markets.id = ? AND prices.sku_id = ?", marketID, skuID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		var sku Sku
		tx.Where("id = ?", skuID).Take(&sku)
		var market Market
		tx.Where("id = ?", marketID).Take(&market)
		return nil, errs.New(errs.ValidationError, "the SKU %s has no price in the market %s", sku.Code, market.Name)
	}
	return &p, err
}

// BeforeWrite locks the order, refuses changes to an order that is no
// longer a cart, resolves the SKU, prices it from the market (or keeps an
// external price), and enforces the one-per-customer rule.
func (li *LineItem) BeforeWrite(tx *gorm.DB, creating bool) error {
	order, err := li.lockOrder(tx)
	if err != nil {
		return err
	}
	if !order.Editable() && order.Status != OrderEditing {
		return errs.New(errs.ValidationError, "the order is %s: its line items cannot change", order.Status)
	}
	if order.Status == OrderEditing && li.Storefront {
		return errs.New(errs.ValidationError, "the order is being edited by the back office: its line items cannot change")
	}
	if li.Quantity < 1 || li.Quantity > MaxLineItemQuantity {
		return errs.Invalid("quantity", "must be between 1 and 10000")
	}
	if !creating && li.ItemType == ItemAdjustment {
		return li.writeAdjustment(order)
	}
	var sku Sku
	switch {
	case li.ItemID != nil && *li.ItemID != "":
		if err := tx.Where("id = ?", *li.ItemID).Take(&sku).Error; err != nil {
			return errs.NotFound("skus", *li.ItemID).At(errs.RelationshipPointer("item"))
		}
	case li.SkuCode != nil && strings.TrimSpace(*li.SkuCode) != "":
		found, err := findBy(tx, &sku, "code = ?", strings.TrimSpace(*li.SkuCode))
		if err != nil {
			return err
		}
		if !found && creating && li.ExternalPrice {
			// An integration's item outside the catalog.
			return li.writeAdjustment(order)
		}
		if !found {
			return errs.Invalid("sku_code", "no SKU has this code")
		}
	default:
		return errs.New(errs.ValidationError, "item - can't be blank: give a sku_code or an item relationship").At(errs.RelationshipPointer("item"))
	}
	li.ItemType, li.ItemID, li.SkuCode, li.CurrencyCode = "skus", &sku.ID, &sku.Code, order.CurrencyCode
	if li.Name == nil {
		li.Name = &sku.Name
	}
	if li.ImageURL == nil {
		li.ImageURL = sku.ImageURL
	}
	if sku.LimitOnePerCustomer {
		if li.Quantity > 1 {
			return errs.Invalid("quantity", "must be 1: "+sku.Code+" can be bought once per customer")
		}
		if err := order.checkOnePerCustomer(tx, sku.ID); err != nil {
			return err
		}
	}
	if creating && !li.ExternalPrice {
		if li.UnitAmountCents != 0 {
			return errs.Invalid("unit_amount_cents", "can be sent only with _external_price: true")
		}
		price, err := marketPrice(tx, order.MarketID, sku.ID)
		if err != nil {
			return err
		}
		li.UnitAmountCents, li.CompareAtAmountCents = price.AmountCents, price.CompareAtAmountCents
	}
	if li.UnitAmountCents < 0 {
		return errs.Invalid("unit_amount_cents", "must be greater than or equal to 0")
	}
	li.computeTotal()
	var others *int
	if creating {
		left, err := li.mergeSameSku(tx, sku.LimitOnePerCustomer)
		if err != nil {
			return err
		}
		others = &left
	}
	return li.checkStock(tx, order, &sku, others)
}

// writeAdjustment checks an integration's item outside the catalog (an
// external price and a sku_code no SKU has), or a change to an
// adjustment: it is stored as an adjustment (counted in the subtotal, not
// in skus_count) with its sku_code and name, and has no SKU, so no stock,
// shipping or one-per-customer rule applies to it. It stays an adjustment
// even if a SKU with its code is made later.
func (li *LineItem) writeAdjustment(order *Order) error {
	var v collect
	if li.Name == nil || strings.TrimSpace(*li.Name) == "" {
		_ = v.add(errs.Invalid("name", "can't be blank: an item outside the catalog needs a name"))
	}
	if li.UnitAmountCents < 0 {
		_ = v.add(errs.Invalid("unit_amount_cents", "must be greater than or equal to 0"))
	}
	if err := v.err(); err != nil {
		return err
	}
	if li.SkuCode != nil {
		code := strings.TrimSpace(*li.SkuCode)
		li.SkuCode = &code
	}
	li.ItemType, li.ItemID, li.CurrencyCode = ItemAdjustment, nil, order.CurrencyCode
	li.computeTotal()
	return nil
}

// mergeSameSku follows the reference: adding a SKU the order already has
// makes a new line item, unless _update_quantity is sent, which folds the
// order's other line items of the same SKU (with the same kind of price)
// into this one and adds their quantities. The merged item takes the id
// of the item it replaces, so a client that added the SKU earlier (even a
// concurrent request still reading back what it wrote) finds its line
// item with the new quantity. A SKU sold once per customer is never in
// two line items. It returns the quantity of the order's other line items
// of the SKU (either kind of price) that stay, which the stock covers too.
func (li *LineItem) mergeSameSku(tx *gorm.DB, onePerCustomer bool) (int, error) {
	var bySku, same []LineItem
	if err := tx.Where("order_id = ? AND item_id = ? AND id <> ?", li.OrderID, *li.ItemID, li.ID).
		Order("created_at, id").Find(&bySku).Error; err != nil {
		return 0, err
	}
	others := 0
	for _, s := range bySku {
		others += s.Quantity
		if s.ExternalPrice == li.ExternalPrice {
			same = append(same, s)
		}
	}
	if len(same) == 0 {
		return others, nil
	}
	if onePerCustomer {
		return 0, errs.Invalid("quantity", "must be 1: "+*li.SkuCode+" can be bought once per customer, and the order already has it")
	}
	if !li.UpdateQuantity {
		return others, nil
	}
	for _, s := range same {
		li.Quantity += s.Quantity
		others -= s.Quantity
	}
	if li.Quantity > MaxLineItemQuantity {
		return 0, errs.Invalid("quantity", "must be between 1 and 10000")
	}
	li.computeTotal()
	ids := make([]string, len(same))
	for i, s := range same {
		ids[i] = s.ID
	}
	// Skip the delete hooks: they would run on an empty LineItem (no
	// order id), and this write's AfterWrite recomputes the order anyway.
	if err := tx.Session(&gorm.Session{SkipHooks: true}).Where("id IN ?", ids).Delete(&LineItem{}).Error; err != nil {
		return 0, err
	}
	li.ID, li.CreatedAt = same[0].ID, same[0].CreatedAt
	return others, nil
}

// AfterWrite recomputes the order's totals in the same transaction.
func (li *LineItem) AfterWrite(tx *gorm.DB) error { return li.recomputeOrder(tx) }

// BeforeDestroy refuses to change an order that is no longer a cart.
func (li *LineItem) BeforeDestroy(tx *gorm.DB) error {
	order, err := li.lockOrder(tx)
	if err != nil {
		return err
	}
	if !order.Editable() && order.Status != OrderEditing {
		return errs.New(errs.ValidationError, "the order is %s: its line items cannot change", order.Status)
	}
	return nil
}

// AfterDestroy recomputes the order's totals in the same transaction.
func (li *LineItem) AfterDestroy(tx *gorm.DB) error { return li.recomputeOrder(tx) }

// recomputeOrder derives the order's totals and status from its line items
// and writes those columns alone: the rest of the row is as this write
// locked and read it (BeforeWrite or BeforeDestroy).
func (li *LineItem) recomputeOrder(tx *gorm.DB) error {
	order := li.order
	li.order = nil
	if order == nil || order.ID != li.OrderID {
		var err error
		if order, err = LockOrder(tx, li.OrderID); err != nil {
			return err
		}
	}
	if err := order.Recompute(tx); err != nil {
		return err
	}
	order.UpdatedAt = db.Now()
	return tx.Model(order).Select(recomputedColumns).Updates(order).Error
}

// recomputedColumns are the order columns Order.Recompute derives.
var recomputedColumns = []string{"subtotal_amount_cents", "skus_count", "payment_method_amount_cents", "total_tax_amount_cents",
	"total_amount_cents", "total_amount_with_taxes_cents", "status", "updated_at",
	// shipping and taxes
	"shipping_amount_cents", "shipments_count", "country_code", "tax_rate", "freight_taxable", "payment_method_taxable",
	"subtotal_tax_amount_cents", "shipping_tax_amount_cents", "payment_method_tax_amount_cents",
	"subtotal_taxable_amount_cents", "shipping_taxable_amount_cents", "payment_method_taxable_amount_cents", "total_taxable_amount_cents"}
