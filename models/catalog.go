package models

import (
	"strings"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// PriceList is a named set of prices in one currency.
type PriceList struct {
	Base
	Name         string
	Code         *string
	CurrencyCode string
	TaxIncluded  bool
	Rules        db.JSONObject
}

// SetDefaults makes a new price list's prices include taxes, as the
// reference does.
func (p *PriceList) SetDefaults() { p.TaxIncluded = true }

// BeforeWrite normalizes the currency and checks it is ISO 4217.
func (p *PriceList) BeforeWrite(tx *gorm.DB, creating bool) error {
	var c collect
	p.CurrencyCode = strings.ToUpper(strings.TrimSpace(p.CurrencyCode))
	if _, ok := LookupCurrency(p.CurrencyCode); !ok {
		_ = c.add(errs.Invalid("currency_code", "is not an ISO 4217 currency code"))
	}
	if p.Code != nil {
		if err := c.add(unique(tx, &PriceList{}, p.ID, "code", "code", *p.Code)); err != nil {
			return err
		}
	}
	return c.err()
}

// AfterWrite keeps the denormalized currency of the list's prices in step.
func (p *PriceList) AfterWrite(tx *gorm.DB) error {
	return tx.Model(&Price{}).Where("price_list_id = ? AND currency_code <> ?", p.ID, p.CurrencyCode).
		Updates(map[string]any{"currency_code": p.CurrencyCode, "updated_at": db.Now()}).Error
}

// BeforeDestroy refuses to delete a price list a market still sells from.
func (p *PriceList) BeforeDestroy(tx *gorm.DB) error {
	used, err := exists(tx, &Market{}, "", "price_list_id = ?", p.ID)
	if err != nil {
		return err
	}
	if used {
		return errs.New(errs.ValidationError, "price list is used by a market: point the market to another price list first")
	}
	return nil
}

// Market is where orders are taken: it sells from one price list.
type Market struct {
	Base
	Number                     int
	Name                       string
	Code                       *string
	FacebookPixelID            *string
	CheckoutURL                *string
	ExternalPricesURL          *string
	ExternalOrderValidationURL *string
	Private                    bool
	ShippingCostCutoff         *int64
	Switch
	SharedSecret     string
	ExternalIncludes db.JSONArray
	PriceListID      string
	// DefaultShippingMethodID is the shipping method new shipments of the
	// market's orders get.
	DefaultShippingMethodID *string
	// TaxCalculatorID is the tax calculator of the market's orders.
	TaxCalculatorID *string
}

// BeforeWrite numbers a new market and gives it a shared secret.
func (m *Market) BeforeWrite(tx *gorm.DB, creating bool) error {
	if creating {
		var max int
		if err := db.Scan(tx.Model(&Market{}).Select("COALESCE(MAX(number), 0)"), &max); err != nil {
			return err
		}
		m.Number = max + 1
		// The Standard Webhooks format, as webhooks have: it signs the
		// market's checkout session callbacks.
		m.SharedSecret = NewSharedSecret()
	}
	if m.Code != nil {
		return unique(tx, &Market{}, m.ID, "code", "code", *m.Code)
	}
	return nil
}

// Sku is a sellable item.
type Sku struct {
	Base
	Code           string
	Name           string
	Description    *string
	ImageURL       *string
	PiecesPerPack  *int64
	Weight         *float64
	UnitOfWeight   *string
	HsTariffNumber *string
	DoNotShip      bool
	DoNotTrack     bool
	// LimitOnePerCustomer (a Kasse extension) makes the SKU purchasable
	// once per customer: courses, licences.
	LimitOnePerCustomer bool

	// Inventory is the SKU's stock, loaded for rendering (Inventories).
	Inventory *Inventory `gorm:"-"`
}

// UnitsOfWeight are the units a SKU's weight may be given in.
var UnitsOfWeight = []string{"gr", "oz", "lb"}

// BeforeWrite checks the code is free and the unit of weight is known.
func (s *Sku) BeforeWrite(tx *gorm.DB, creating bool) error {
	var c collect
	s.Code = strings.TrimSpace(s.Code)
	if s.UnitOfWeight != nil && !contains(UnitsOfWeight, *s.UnitOfWeight) {
		_ = c.add(errs.Invalid("unit_of_weight", "must be one of gr, oz, lb"))
	}
	if err := c.add(unique(tx, &Sku{}, s.ID, "code", "code", s.Code)); err != nil {
		return err
	}
	return c.err()
}

// Price is what a SKU costs in a price list, in the list's currency.
type Price struct {
	Base
	PriceListID          string
	SkuID                string
	SkuCode              *string
	CurrencyCode         string
	AmountCents          int64
	CompareAtAmountCents *int64
	ProcessedAt          *time.Time
	Rules                db.JSONObject
}

// BeforeWrite resolves sku_code to a SKU when no sku relationship was given
// (or, on update, when only sku_code changed), copies the list's currency,
// and keeps one price per SKU and list.
func (p *Price) BeforeWrite(tx *gorm.DB, creating bool) error {
	if !creating && p.SkuCode != nil {
		// An update that changed sku_code but not the sku relationship
		// moves the price to the SKU with that code.
		var stored Price
		found, err := findBy(tx, &stored, "id = ?", p.ID)
		if err != nil {
			return err
		}
		if found && stored.SkuID == p.SkuID && (stored.SkuCode == nil || *stored.SkuCode != *p.SkuCode) {
			p.SkuID = ""
		}
	}
	sku, err := skuByIDOrCode(tx, p.SkuID, p.SkuCode)
	if err != nil {
		return err
	}
	p.SkuID, p.SkuCode = sku.ID, &sku.Code
	var list PriceList
	found, err := findBy(tx, &list, "id = ?", p.PriceListID)
	if err != nil {
		return err
	}
	if !found {
		return errs.NotFound("price_lists", p.PriceListID).At(errs.RelationshipPointer("price_list"))
	}
	p.CurrencyCode = list.CurrencyCode
	var c collect
	if p.AmountCents < 0 {
		_ = c.add(errs.Invalid("amount_cents", "must be greater than or equal to 0"))
	}
	if p.CompareAtAmountCents != nil && *p.CompareAtAmountCents < 0 {
		_ = c.add(errs.Invalid("compare_at_amount_cents", "must be greater than or equal to 0"))
	}
	taken, err := exists(tx, &Price{}, p.ID, "price_list_id = ? AND sku_id = ?", p.PriceListID, p.SkuID)
	if err != nil {
		return err
	}
	if taken {
		_ = c.add(errs.New(errs.ValidationError, "sku - already has a price in this price list").At(errs.RelationshipPointer("sku")))
	}
	return c.err()
}

// Amount is the price as money.
func (p *Price) Amount() Money { return Money{Cents: p.AmountCents, Currency: p.CurrencyCode} }

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// skuByIDOrCode is the SKU a write names: by its sku relationship (id), else
// by sku_code; neither given, or none found, is a 422 at the one given.
func skuByIDOrCode(tx *gorm.DB, id string, code *string) (*Sku, error) {
	var sku Sku
	switch {
	case id != "":
		found, err := findBy(tx, &sku, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errs.NotFound("skus", id).At(errs.RelationshipPointer("sku"))
		}
	case code != nil && *code != "":
		found, err := findBy(tx, &sku, "code = ?", *code)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errs.Invalid("sku_code", "no SKU has this code")
		}
	default:
		return nil, errs.New(errs.ValidationError, "sku - can't be blank: give a sku relationship or a sku_code").At(errs.RelationshipPointer("sku"))
	}
	return &sku, nil
}
