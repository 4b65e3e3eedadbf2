package models

import (
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Shipment statuses, as the reference names them.
const (
	ShipmentDraft       = "draft"
	ShipmentUpcoming    = "upcoming"
	ShipmentCancelled   = "cancelled"
	ShipmentOnHold      = "on_hold"
	ShipmentPicking     = "picking"
	ShipmentPacking     = "packing"
	ShipmentReadyToShip = "ready_to_ship"
	ShipmentShipped     = "shipped"
	ShipmentDelivered   = "delivered"
)

// ShipmentStatuses lists them.
var ShipmentStatuses = []string{ShipmentDraft, ShipmentUpcoming, ShipmentCancelled, ShipmentOnHold, ShipmentPicking, ShipmentPacking, ShipmentReadyToShip, ShipmentShipped, ShipmentDelivered}

// ShippingMethod is a way to ship in a market: a flat price, free when the
// order reaches an amount.
type ShippingMethod struct {
	Base
	Name                string
	Scheme              string
	CurrencyCode        *string
	PriceAmountCents    int64
	FreeOverAmountCents *int64
	UseSubtotal         bool
	Switch
	MarketID *string
}

// SetDefaults makes a new shipping method flat, the reference's default.
func (sm *ShippingMethod) SetDefaults() { sm.Scheme = "flat" }

// BeforeWrite checks the scheme, currency and amounts.
func (sm *ShippingMethod) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	if sm.Scheme != "flat" {
		_ = v.add(errs.Invalid("scheme", "must be flat: Kasse has no weight tiers or external rates"))
	}
	if sm.CurrencyCode != nil {
		code := strings.ToUpper(strings.TrimSpace(*sm.CurrencyCode))
		sm.CurrencyCode = &code
		if _, ok := LookupCurrency(code); !ok {
			_ = v.add(errs.Invalid("currency_code", "is not an ISO 4217 currency code"))
		}
	}
	if sm.CurrencyCode == nil && sm.MarketID != nil {
		// The reference: required, unless inherited by the market.
		var list PriceList
		if err := tx.Joins("JOIN markets ON markets.price_list_id = price_lists.id").Where("markets.id = ?", *sm.MarketID).Take(&list).Error; err == nil {
			sm.CurrencyCode = &list.CurrencyCode
		}
	}
	if sm.CurrencyCode == nil {
		_ = v.add(errs.Invalid("currency_code", "can't be blank unless the shipping method has a market"))
	}
	if sm.PriceAmountCents < 0 {
		_ = v.add(errs.Invalid("price_amount_cents", "must be greater than or equal to 0"))
	}
	if sm.FreeOverAmountCents != nil && *sm.FreeOverAmountCents < 0 {
		_ = v.add(errs.Invalid("free_over_amount_cents", "must be greater than or equal to 0"))
	}
	return v.err()
}

// BeforeDestroy refuses to delete a shipping method a shipment of a
// placed order ships with, and unsets it as a market's default.
func (sm *ShippingMethod) BeforeDestroy(tx *gorm.DB) error {
	used, err := exists(tx, &Shipment{}, "", "shipping_method_id = ? AND status <> ?", sm.ID, ShipmentDraft)
	if err != nil {
		return err
	}
	if used {
		return errs.New(errs.ValidationError, "shipping method is used by shipments of placed orders: disable it with _disable instead")
	}
	return tx.Model(&Market{}).Where("default_shipping_method_id = ?", sm.ID).
		Updates(map[string]any{"default_shipping_method_id": nil, "updated_at": db.Now()}).Error
}

// CostFor is what the method charges an order whose amount is amount
// (its subtotal, or with use_subtotal false its subtotal less discounts):
// nothing when the amount reaches free_over_amount_cents.
func (sm *ShippingMethod) CostFor(subtotal, discount int64) int64 {
	amount := subtotal - discount
	if sm.UseSubtotal {
		amount = subtotal
	}
	if sm.FreeOverAmountCents != nil && amount >= *sm.FreeOverAmountCents {
		return 0
	}
	return sm.PriceAmountCents
}

// AvailableShippingMethodsWhere is the condition, in SQL, for the shipping
// methods a shipment may use: enabled, of its market or of no market, in
// its currency.
const AvailableShippingMethodsWhere = "disabled_at IS NULL AND (market_id = ? OR market_id IS NULL) AND currency_code = ?"

// Shipment is what ships of an order: with one stock location, every
// shippable item of the order, in one shipment.
type Shipment struct {
	Base
	Number           string
	Status           string
	OrderID          string
	MarketID         string
	CurrencyCode     string
	SkusCount        int
	CostAmountCents  int64
	ShippingMethodID *string
	StockLocationID  *string
}

// availableMethod finds id among the shipping methods the shipment may use.
func (s *Shipment) availableMethod(tx *gorm.DB, id string) (*ShippingMethod, error) {
	var sm ShippingMethod
	found, err := findBy(tx, &sm, "id = ? AND "+AvailableShippingMethodsWhere, id, s.MarketID, s.CurrencyCode)
	if err != nil || !found {
		return nil, err
	}
	return &sm, nil
}

// BeforeWrite lets the shipping method change only while the order is a
// cart, and only to one available to the shipment.
func (s *Shipment) BeforeWrite(tx *gorm.DB, creating bool) error {
	order, err := LockOrder(tx, s.OrderID)
	if err != nil {
		return err
	}
	var stored Shipment
	if _, err := findBy(tx, &stored, "id = ?", s.ID); err != nil {
		return err
	}
	if deref(stored.ShippingMethodID) == deref(s.ShippingMethodID) {
		return nil
	}
	if !order.Editable() {
		return errs.New(errs.ValidationError, "the order is %s: its shipments' shipping method cannot change", order.Status).At(errs.RelationshipPointer("shipping_method"))
	}
	if s.ShippingMethodID == nil {
		return errs.New(errs.ValidationError, "shipping_method - can't be blank").At(errs.RelationshipPointer("shipping_method"))
	}
	sm, err := s.availableMethod(tx, *s.ShippingMethodID)
	if err != nil {
		return err
	}
	if sm == nil {
		return errs.New(errs.ValidationError, "shipping_method - is not available for this shipment's market and currency").At(errs.RelationshipPointer("shipping_method"))
	}
	return nil
}

// AfterWrite recomputes a cart: the shipment's cost and the order's
// shipping amount follow the method. A placed order's amounts stay.
func (s *Shipment) AfterWrite(tx *gorm.DB) error {
	order, err := LockOrder(tx, s.OrderID)
	if err != nil || !order.Editable() {
		return err
	}
	if err := order.Recompute(tx); err != nil {
		return err
	}
	return tx.Save(order).Error
}

// shipmentTransitions are the back-office triggers of a shipment: the
// statuses each may move from, once the order is approved (on_hold also
// while it is placed).
var shipmentTransitions = map[string][]string{
	ShipmentOnHold:      {ShipmentUpcoming, ShipmentPicking, ShipmentPacking, ShipmentReadyToShip},
	ShipmentPicking:     {ShipmentUpcoming, ShipmentOnHold},
	ShipmentPacking:     {ShipmentPicking},
	ShipmentReadyToShip: {ShipmentPacking},
	ShipmentShipped:     {ShipmentReadyToShip},
	ShipmentDelivered:   {ShipmentShipped},
}

// MoveTo moves the shipment to status (the `_on_hold`, `_picking`,
// `_packing`, `_ready_to_ship`, `_ship` and `_deliver` triggers) and keeps
// the order's fulfillment status in step: in progress once a shipment is
// being prepared, fulfilled when every shipment is shipped or delivered.
func (s *Shipment) MoveTo(tx *gorm.DB, status string) error {
	order, err := LockOrder(tx, s.OrderID)
	if err != nil {
		return err
	}
	from, ok := shipmentTransitions[status]
	if !ok || !slices.Contains(from, s.Status) {
		return errs.New(errs.ValidationError, "cannot move a %s shipment to %s", s.Status, status)
	}
	if order.Status != OrderApproved && !(status == ShipmentOnHold && order.Status == OrderPlaced) {
		return errs.New(errs.ValidationError, "the order is %s: its shipments move once it is approved", order.Status)
	}
	s.Status = status
	// The row is saved by the engine after its triggers; count this one
	// with its new status.
	var others []string
	if err := tx.Model(&Shipment{}).Where("order_id = ? AND id <> ? AND status <> ?", s.OrderID, s.ID, ShipmentCancelled).Pluck("status", &others).Error; err != nil {
		return err
	}
	fulfillment := FulfillmentInProgress
	done := func(st string) bool { return st == ShipmentShipped || st == ShipmentDelivered }
	if done(status) && !slices.ContainsFunc(others, func(st string) bool { return !done(st) }) {
		fulfillment = FulfillmentFulfilled
	}
	if status == ShipmentOnHold && order.FulfillmentStatus == FulfillmentUnfulfilled {
		return nil
	}
	if order.FulfillmentStatus == fulfillment {
		return nil
	}
	now := db.Now()
	return tx.Model(&Order{}).Where("id = ?", order.ID).
		Updates(map[string]any{"fulfillment_status": fulfillment, "fulfillment_updated_at": now, "updated_at": now}).Error
}

// syncShipments keeps an editable order's shipments in step with its cart:
// one shipment when it has shippable items (shipped, their quantity),
// given the market's default shipping method when it has one, none
// otherwise; each shipment's count and cost follow the items and the
// method. It returns the shipping amount and the number of shipments. A
// placed order's shipments keep their cost.
func (o *Order) syncShipments(tx *gorm.DB, shipped int64) (amount int64, count int, err error) {
	var shipments []Shipment
	if err := tx.Where("order_id = ? AND status <> ?", o.ID, ShipmentCancelled).Order("number").Find(&shipments).Error; err != nil {
		return 0, 0, err
	}
	if !o.Editable() {
		for _, s := range shipments {
			amount += s.CostAmountCents
		}
		return amount, len(shipments), nil
	}
	if shipped == 0 {
		if len(shipments) > 0 {
			err = tx.Where("order_id = ? AND status = ?", o.ID, ShipmentDraft).Delete(&Shipment{}).Error
		}
		return 0, 0, err
	}
	// The method read for a new shipment, which its cost then uses.
	var chosen *ShippingMethod
	if len(shipments) == 0 {
		s := Shipment{Number: fmt.Sprintf("%d/S/001", o.Number), Status: ShipmentDraft, OrderID: o.ID, MarketID: o.MarketID, CurrencyCode: o.CurrencyCode}
		market, err := o.orderMarket(tx)
		if err != nil {
			return 0, 0, err
		}
		if location, tracked, err := o.stockLocation(tx); err != nil {
			return 0, 0, err
		} else if tracked {
			s.StockLocationID = &location
		}
		if market.DefaultShippingMethodID != nil {
			if sm, err := s.availableMethod(tx, *market.DefaultShippingMethodID); err != nil {
				return 0, 0, err
			} else if sm != nil {
				s.ShippingMethodID, chosen = &sm.ID, sm
			}
		}
		shipments = append(shipments, s)
	}
	for i := range shipments {
		s := &shipments[i]
		s.SkusCount, s.CostAmountCents = int(shipped), 0
		if s.ShippingMethodID != nil {
			sm := chosen
			if sm == nil || sm.ID != *s.ShippingMethodID {
				sm = &ShippingMethod{}
				found, err := findBy(tx, sm, "id = ?", *s.ShippingMethodID)
				if err != nil {
					return 0, 0, err
				}
				if !found {
					sm = nil
				}
			}
			if sm != nil {
				s.CostAmountCents = sm.CostFor(o.SubtotalAmountCents, o.DiscountAmountCents)
			}
		}
		if err := tx.Save(s).Error; err != nil {
			return 0, 0, err
		}
		amount += s.CostAmountCents
	}
	return amount, len(shipments), nil
}

// checkShipments is the place precondition on shipments: each has a
// shipping method, still available to it.
func (o *Order) checkShipments(tx *gorm.DB) (errs.List, error) {
	var shipments []Shipment
	if err := tx.Where("order_id = ? AND status = ?", o.ID, ShipmentDraft).Order("number").Find(&shipments).Error; err != nil {
		return nil, err
	}
	var problems errs.List
	for _, s := range shipments {
		if s.ShippingMethodID == nil {
			problems = append(problems, errs.New(errs.ValidationError, "shipments - shipment %s has no shipping method", s.Number).At(errs.RelationshipPointer("shipments")))
			continue
		}
		sm, err := s.availableMethod(tx, *s.ShippingMethodID)
		if err != nil {
			return nil, err
		}
		if sm == nil {
			problems = append(problems, errs.New(errs.ValidationError, "shipments - the shipping method of shipment %s is no longer available", s.Number).At(errs.RelationshipPointer("shipments")))
		}
	}
	return problems, nil
}

// moveShipments moves the order's shipments in status from to status to
// (draft to upcoming when it is placed, any to cancelled when cancelled).
func (o *Order) moveShipments(tx *gorm.DB, from []string, to string) error {
	return tx.Model(&Shipment{}).Where("order_id = ? AND status IN ?", o.ID, from).
		Updates(map[string]any{"status": to, "updated_at": db.Now()}).Error
}

// onCancelled is what cancelling an order releases, whichever way it is
// cancelled (_cancel, a void, a full refund): its shipments are cancelled
// and the stock it took is given back.
func (o *Order) onCancelled(tx *gorm.DB) error {
	if err := o.moveShipments(tx, []string{ShipmentDraft, ShipmentUpcoming, ShipmentOnHold, ShipmentPicking, ShipmentPacking, ShipmentReadyToShip}, ShipmentCancelled); err != nil {
		return err
	}
	return o.releaseStock(tx)
}
