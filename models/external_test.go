package models_test

import (
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// italy is an address in Italy, where the demo's EU VAT taxes 22 %,
// shipping included.
func (s *shop) italy() string {
	s.t.Helper()
	a := &models.Address{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Line1: "1 Via Roma", City: "Roma", CountryCode: "IT", Phone: "+39 06 000000"}
	s.must(write(s.db, a, true))
	return a.ID
}

// totals is what the external amounts tests compare of an order.
type totals struct {
	Subtotal, Shipping, Tax, Total, WithTaxes, SubtotalTax, ShippingTax int64
	TaxIncluded                                                         bool
}

func totalsOf(o *models.Order) totals {
	return totals{o.SubtotalAmountCents, o.ShippingAmountCents, o.TotalTaxAmountCents, o.TotalAmountCents, o.TotalAmountWithTaxesCents,
		o.SubtotalTaxAmountCents, o.ShippingTaxAmountCents, o.TaxIncluded}
}

func TestExternalShippingAndTax(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)

		t.Run("the overrides replace the shipments' shipping and the calculator's taxes; null clears them", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("buyer@example.com"), nil)
			s.mustAdd(o, tshirt, 2) // 5800, standard shipping 700
			italy := s.italy()
			s.must(s.update(o, func(o *models.Order) { o.ShippingAddressID = &italy }))
			// The calculator's: 22 % of 5800 and of 700, prices include it.
			itemTax, shipTax := models.TaxOf(5800, 0.22, true), models.TaxOf(700, 0.22, true)
			steps := []struct {
				name           string
				shipping, tax  *int64
				want           totals
				wantItemTaxed  bool
				wantStatusKept string
			}{
				{"derived", nil, nil, totals{5800, 700, itemTax + shipTax, 6500, 6500, itemTax, shipTax, true}, true, models.OrderPending},
				// The calculator taxes the merchant's shipping (freight taxable).
				{"external shipping", ptr[int64](995), nil, totals{5800, 995, itemTax + models.TaxOf(995, 0.22, true), 6795, 6795, itemTax, models.TaxOf(995, 0.22, true), true}, true, models.OrderPending},
				// An external tax is added on top: the prices are net.
				{"external shipping and tax", ptr[int64](995), ptr[int64](1181), totals{5800, 995, 1181, 6795, 7976, 0, 0, false}, false, models.OrderPending},
				{"external tax of 0", nil, ptr[int64](0), totals{5800, 700, 0, 6500, 6500, 0, 0, false}, false, models.OrderPending},
				{"both cleared", nil, nil, totals{5800, 700, itemTax + shipTax, 6500, 6500, itemTax, shipTax, true}, true, models.OrderPending},
			}
			for _, step := range steps {
				s.must(s.update(o, func(o *models.Order) {
					o.ExternalShippingAmountCents, o.ExternalTaxAmountCents = step.shipping, step.tax
				}))
				if got := totalsOf(o); got != step.want || o.Status != step.wantStatusKept {
					t.Fatalf("%s: %+v status %s, want %+v", step.name, got, o.Status, step.want)
				}
				var items []models.LineItem
				s.must(gdb.Where("order_id = ?", o.ID).Find(&items).Error)
				if taxed := items[0].TaxAmountCents != 0 && items[0].TaxRate != nil; taxed != step.wantItemTaxed {
					t.Fatalf("%s: line item tax %d rate %v", step.name, items[0].TaxAmountCents, items[0].TaxRate)
				}
			}
		})

		t.Run("a line item write keeps the overrides (the columns Recompute writes)", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, mug, 1)
			s.must(s.update(o, func(o *models.Order) {
				o.ExternalShippingAmountCents, o.ExternalTaxAmountCents = ptr[int64](995), ptr[int64](300)
			}))
			li := s.mustAdd(o, tshirt, 1)
			want := totals{1200 + 2900, 995, 300, 1200 + 2900 + 995, 1200 + 2900 + 995 + 300, 0, 0, false}
			if got := totalsOf(o); got != want {
				t.Fatalf("after an add: %+v, want %+v", got, want)
			}
			s.must(remove(gdb, li))
			s.reload(o)
			if got := totalsOf(o); got.Total != 1200+995 || got.WithTaxes != 1200+995+300 || got.Shipping != 995 || got.Tax != 300 {
				t.Fatalf("after a removal: %+v", got)
			}
		})

		t.Run("an order created with an external tax has net prices from the start", func(t *testing.T) {
			s := s.in(t)
			o := &models.Order{MarketID: s.markets["eu"], ExternalTaxAmountCents: ptr[int64](50), ExternalShippingAmountCents: ptr[int64](0)}
			s.must(write(gdb, o, true))
			s.reload(o)
			if o.TaxIncluded || o.TotalTaxAmountCents != 50 || o.ShippingAmountCents != 0 || o.TotalAmountWithTaxesCents != 50 {
				t.Fatalf("created: %+v", totalsOf(o))
			}
			s.mustAdd(o, mug, 1)
			if got := totalsOf(o); got.Total != 1200 || got.WithTaxes != 1250 || got.Shipping != 0 {
				t.Fatalf("with an item: %+v", got)
			}
		})

		t.Run("negative amounts are refused, each at its attribute", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			err := s.update(o, func(o *models.Order) {
				o.ExternalShippingAmountCents, o.ExternalTaxAmountCents = ptr[int64](-1), ptr[int64](-1)
			})
			got := pointers(t, err)
			if len(got) != 2 || got["/data/attributes/shipping_amount_cents"] != errs.ValidationError || got["/data/attributes/total_tax_amount_cents"] != errs.ValidationError {
				t.Fatalf("problems %v", got)
			}
			s.reload(o)
			if o.ExternalShippingAmountCents != nil || o.ExternalTaxAmountCents != nil {
				t.Fatalf("a refused write stored %v %v", o.ExternalShippingAmountCents, o.ExternalTaxAmountCents)
			}
		})

		t.Run("a placed order's amounts stay: changes are refused, its taxes are kept", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, mug, 1)
			s.ready(o)
			s.must(s.update(o, func(o *models.Order) {
				o.ExternalShippingAmountCents, o.ExternalTaxAmountCents = ptr[int64](500), ptr[int64](170)
			}))
			s.must(s.trigger(o, place))
			if o.Status != models.OrderPlaced || *o.PlaceTotalAmountCents != 1200+500+170 {
				t.Fatalf("placed: %s %v", o.Status, o.PlaceTotalAmountCents)
			}
			for _, change := range []func(o *models.Order){
				func(o *models.Order) { o.ExternalShippingAmountCents = ptr[int64](1) },
				func(o *models.Order) { o.ExternalTaxAmountCents = nil },
			} {
				wantError(t, s.update(o, change), errs.ValidationError, "placed", "cannot change")
			}
			// A write that leaves them as they are is not a change.
			s.must(s.update(o, func(o *models.Order) { o.Metadata = map[string]any{"k": "v"} }))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.UpdateTaxes(tx) }))
			if got := totalsOf(o); got.Tax != 170 || got.Shipping != 500 || got.WithTaxes != 1870 || got.TaxIncluded {
				t.Fatalf("after _update_taxes: %+v", got)
			}
		})
	})
}

func TestLineItemsOutsideTheCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		external := func(o *models.Order, code, name string, quantity int, cents int64) *models.LineItem {
			li := &models.LineItem{OrderID: o.ID, SkuCode: ptr(code), Quantity: quantity, UnitAmountCents: cents, ExternalPrice: true}
			if name != "" {
				li.Name = ptr(name)
			}
			return li
		}

		t.Run("an external price for an unknown sku_code is an adjustment: subtotal, not skus_count, no shipping", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			li := external(o, " GIFT-WRAP ", "Gift wrap", 2, 250)
			s.must(write(gdb, li, true))
			s.reload(li)
			s.reload(o)
			if li.ItemType != models.ItemAdjustment || li.ItemID != nil || *li.SkuCode != "GIFT-WRAP" || *li.Name != "Gift wrap" ||
				li.TotalAmountCents != 500 || li.CurrencyCode != "EUR" || !li.ExternalPrice {
				t.Fatalf("line item: %+v", li)
			}
			if o.SubtotalAmountCents != 500 || o.SkusCount != 0 || o.ShipmentsCount != 0 || o.ShippingAmountCents != 0 || o.TotalAmountCents != 500 {
				t.Fatalf("order: subtotal %d skus %d shipments %d shipping %d total %d", o.SubtotalAmountCents, o.SkusCount, o.ShipmentsCount, o.ShippingAmountCents, o.TotalAmountCents)
			}
			if o.Status != models.OrderDraft {
				t.Fatalf("without an email: %s", o.Status)
			}
			// Its quantity and price change as a SKU line item's do.
			li.Quantity, li.UnitAmountCents = 3, 300
			s.must(write(gdb, li, false))
			s.reload(o)
			if o.SubtotalAmountCents != 900 || o.SkusCount != 0 {
				t.Fatalf("after an update: subtotal %d skus %d", o.SubtotalAmountCents, o.SkusCount)
			}
		})

		t.Run("the rules of an item outside the catalog", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			tests := []struct {
				name    string
				li      *models.LineItem
				pointer string
			}{
				{"a name is required", external(o, "EXT-1", "", 1, 100), "/data/attributes/name"},
				{"a blank name is no name", external(o, "EXT-1", "  ", 1, 100), "/data/attributes/name"},
				{"without _external_price an unknown code is refused", &models.LineItem{OrderID: o.ID, SkuCode: ptr("EXT-1"), Name: ptr("x"), Quantity: 1}, "/data/attributes/sku_code"},
				{"a negative price is refused", external(o, "EXT-1", "x", 1, -5), "/data/attributes/unit_amount_cents"},
				{"the quantity is bounded", external(o, "EXT-1", "x", models.MaxLineItemQuantity+1, 5), "/data/attributes/quantity"},
			}
			for _, tt := range tests {
				if e := wantError(t, write(gdb, tt.li, true), errs.ValidationError); e.Pointer != tt.pointer {
					t.Errorf("%s: pointer %q, want %q", tt.name, e.Pointer, tt.pointer)
				}
			}
			s.reload(o)
			if o.SubtotalAmountCents != 0 {
				t.Fatalf("refused items changed the subtotal: %d", o.SubtotalAmountCents)
			}
		})

		t.Run("a sku_code the catalog has keeps its SKU, with the SKU's rules", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("owner@example.com"), nil)
			li := external(o, mug, "", 1, 999)
			s.must(write(gdb, li, true))
			if li.ItemType != "skus" || li.ItemID == nil || *li.ItemID != s.sku(mug).ID || li.UnitAmountCents != 999 || *li.Name != s.sku(mug).Name {
				t.Fatalf("line item: %+v", li)
			}
			// A demo course, sold once per customer, stays so with an
			// external price.
			wantError(t, write(gdb, external(o, "COURSE-123", "", 2, 100), true), errs.ValidationError, "once per customer")
		})

		t.Run("an order of adjustments only is pending with an email and is placed without a shipping address", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("buyer@example.com"), nil)
			s.must(write(gdb, external(o, "EXT-COURSE", "Live workshop", 1, 4999), true))
			s.reload(o)
			if o.Status != models.OrderPending || o.SkusCount != 0 || o.TotalAmountWithTaxesCents != 4999 {
				t.Fatalf("order: %s skus %d total %d", o.Status, o.SkusCount, o.TotalAmountWithTaxesCents)
			}
			pm := s.paymentMethod("", nil, 0)
			billing := s.address()
			s.must(s.update(o, func(o *models.Order) { o.BillingAddressID, o.PaymentMethodID = &billing, &pm.ID }))
			s.must(s.trigger(o, place))
			if o.Status != models.OrderPlaced || o.FulfillmentStatus != models.FulfillmentNotRequired || *o.PlaceTotalAmountCents != 4999 {
				t.Fatalf("placed: %s %s %v", o.Status, o.FulfillmentStatus, o.PlaceTotalAmountCents)
			}
			var taken int64
			s.must(gdb.Model(&models.StockLineItem{}).Where("order_id = ?", o.ID).Count(&taken).Error)
			if taken != 0 {
				t.Fatalf("placing took stock %d times", taken)
			}
		})

		t.Run("an order without items stays a draft and cannot be placed", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("buyer@example.com"), nil)
			if o.Status != models.OrderDraft {
				t.Fatalf("status %s", o.Status)
			}
			if e := wantError(t, s.trigger(o, place), errs.ValidationError, "no items"); e.Pointer != "/data/relationships/line_items" {
				t.Fatalf("pointer %q", e.Pointer)
			}
		})
	})
}
