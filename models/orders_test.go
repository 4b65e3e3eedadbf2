package models_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// Demo SKUs the order tests use.
const (
	tshirt = "TSHIRTMM000000FFFFFFXL" // EUR 29.00, XOF 19000
	hoodie = "HOODIEUL000000FFFFFFL"  // EUR 59.00, no XOF price
	mug    = "MUGXXXXX000000FFFFFFXX" // EUR 12.00
	course = "COURSEGO000000000000XX" // EUR 99.00, do_not_ship
)

// shop is the demo catalog with the helpers that write orders and line
// items the way the resource engine does: BeforeWrite, then the insert or
// update, then AfterWrite, in one transaction.
type shop struct {
	t       *testing.T
	db      *gorm.DB
	markets map[string]string // code → id
}

func newShop(t *testing.T, gdb *gorm.DB) *shop {
	t.Helper()
	if _, err := models.SeedDemo(gdb); err != nil {
		t.Fatal(err)
	}
	s := &shop{t: t, db: gdb, markets: map[string]string{}}
	var markets []models.Market
	if err := gdb.Find(&markets).Error; err != nil {
		t.Fatal(err)
	}
	for _, m := range markets {
		s.markets[*m.Code] = m.ID
	}
	return s
}

// write stores model as the engine does on create or update.
func write(gdb *gorm.DB, model any, creating bool) error {
	return gdb.Transaction(func(tx *gorm.DB) error {
		if w, ok := model.(models.Writer); ok {
			if err := w.BeforeWrite(tx, creating); err != nil {
				return err
			}
		}
		var err error
		if creating {
			err = tx.Create(model).Error
		} else {
			err = tx.Save(model).Error
		}
		if err != nil {
			return err
		}
		if w, ok := model.(models.AfterWriter); ok {
			return w.AfterWrite(tx)
		}
		return nil
	})
}

// remove deletes model as the engine does.
func remove(gdb *gorm.DB, model any) error {
	return gdb.Transaction(func(tx *gorm.DB) error {
		if d, ok := model.(models.Deleter); ok {
			if err := d.BeforeDestroy(tx); err != nil {
				return err
			}
		}
		if err := tx.Delete(model).Error; err != nil {
			return err
		}
		if d, ok := model.(models.AfterDestroyr); ok {
			return d.AfterDestroy(tx)
		}
		return nil
	})
}

// in returns the shop reporting to t, for subtests.
func (s *shop) in(t *testing.T) *shop {
	c := *s
	c.t = t
	return &c
}

func (s *shop) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// order creates an order in the market with the given code.
func (s *shop) order(market string, email *string, customerID *string) *models.Order {
	s.t.Helper()
	o := &models.Order{MarketID: s.markets[market], CustomerEmail: email, CustomerID: customerID}
	s.must(write(s.db, o, true))
	return o
}

// add puts quantity of the SKU with code into the order.
func (s *shop) add(o *models.Order, code string, quantity int) (*models.LineItem, error) {
	li := &models.LineItem{OrderID: o.ID, SkuCode: ptr(code), Quantity: quantity}
	err := write(s.db, li, true)
	s.reload(o)
	return li, err
}

func (s *shop) mustAdd(o *models.Order, code string, quantity int) *models.LineItem {
	s.t.Helper()
	li, err := s.add(o, code, quantity)
	s.must(err)
	return li
}

func (s *shop) reload(model interface{}) {
	s.t.Helper()
	// Load into a zero value: gorm leaves a field as it was when its
	// column is NULL.
	switch m := model.(type) {
	case *models.Order:
		id := m.ID
		*m = models.Order{}
		s.must(s.db.Where("id = ?", id).Take(m).Error)
	case *models.LineItem:
		id := m.ID
		*m = models.LineItem{}
		s.must(s.db.Where("id = ?", id).Take(m).Error)
	case *models.Customer:
		id := m.ID
		*m = models.Customer{}
		s.must(s.db.Where("id = ?", id).Take(m).Error)
	default:
		s.t.Fatalf("reload %T", model)
	}
}

// trigger runs a trigger on the order as a PATCH does: lock, rules,
// save, trigger, save. The order is reloaded afterwards, so a failed
// trigger leaves it as stored.
func (s *shop) trigger(o *models.Order, run func(tx *gorm.DB, o *models.Order) error) error {
	s.t.Helper()
	err := s.db.Transaction(func(tx *gorm.DB) error {
		locked, err := models.LockOrder(tx, o.ID)
		if err != nil {
			return err
		}
		if err := locked.BeforeWrite(tx, false); err != nil {
			return err
		}
		if err := tx.Save(locked).Error; err != nil {
			return err
		}
		if err := run(tx, locked); err != nil {
			return err
		}
		return tx.Save(locked).Error
	})
	s.reload(o)
	return err
}

// update applies change to the order and saves it as a PATCH of its
// attributes and relationships does.
func (s *shop) update(o *models.Order, change func(o *models.Order)) error {
	s.t.Helper()
	return s.trigger(o, func(tx *gorm.DB, o *models.Order) error {
		change(o)
		if err := o.BeforeWrite(tx, false); err != nil {
			return err
		}
		return tx.Save(o).Error
	})
}

func place(tx *gorm.DB, o *models.Order) error   { return o.Place(tx, nil) }
func approve(tx *gorm.DB, o *models.Order) error { return o.Approve(tx) }
func cancel(tx *gorm.DB, o *models.Order) error {
	_, err := o.Cancel(tx, nil)
	return err
}
func refresh(tx *gorm.DB, o *models.Order) error { return o.Refresh(tx) }

func (s *shop) address() string {
	s.t.Helper()
	a := &models.Address{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Line1: "1 Main St", City: "Paris", CountryCode: "FR", Phone: "+33 1 00 00 00 00"}
	s.must(write(s.db, a, true))
	return a.ID
}

func (s *shop) paymentMethod(market string, currency *string, cents int64) *models.PaymentMethod {
	s.t.Helper()
	var marketID *string
	if market != "" {
		marketID = ptr(s.markets[market])
	}
	pm := &models.PaymentMethod{PaymentSourceType: "wire_transfers", MarketID: marketID, CurrencyCode: currency, PriceAmountCents: cents}
	s.must(write(s.db, pm, true))
	return pm
}

// ready makes an order placeable: email, addresses, payment method.
func (s *shop) ready(o *models.Order) {
	s.t.Helper()
	pm := s.paymentMethod("", nil, 0)
	billing, shipping := s.address(), s.address()
	s.must(s.update(o, func(o *models.Order) {
		if o.CustomerEmail == nil {
			o.CustomerEmail = ptr("buyer@example.com")
		}
		o.BillingAddressID, o.ShippingAddressID, o.PaymentMethodID = &billing, &shipping, &pm.ID
	}))
}

func (s *shop) sku(code string) *models.Sku {
	s.t.Helper()
	var sku models.Sku
	s.must(s.db.Where("code = ?", code).Take(&sku).Error)
	return &sku
}

func (s *shop) customer(email string) *models.Customer {
	s.t.Helper()
	c := &models.Customer{Email: email}
	s.must(write(s.db, c, true))
	return c
}

// market creates a market with its own price list in currency, pricing
// the given SKUs.
func (s *shop) market(code, currency string, prices map[string]int64) string {
	s.t.Helper()
	list := &models.PriceList{Name: code, Code: ptr(code), CurrencyCode: currency, TaxIncluded: true}
	s.must(write(s.db, list, true))
	m := &models.Market{Name: code, Code: ptr(code), PriceListID: list.ID}
	s.must(write(s.db, m, true))
	for sku, cents := range prices {
		s.must(write(s.db, &models.Price{PriceListID: list.ID, SkuCode: ptr(sku), AmountCents: cents}, true))
	}
	s.markets[code] = m.ID
	return m.ID
}

// wantError fails unless err is one client error with code whose detail
// contains every part.
func wantError(t *testing.T, err error, code errs.Code, parts ...string) *errs.Error {
	t.Helper()
	list, ok := errs.As(err)
	if !ok || len(list) == 0 {
		t.Fatalf("want a %s client error, got %v", code, err)
	}
	for _, e := range list {
		if e.Code != code {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(e.Detail, p) {
				t.Fatalf("%s error detail %q does not name %q", code, e.Detail, p)
			}
		}
		return e
	}
	t.Fatalf("want a %s error, got %v", code, err)
	return nil
}

func TestOrderPricing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)

		t.Run("a new order takes its currency from the market's price list", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			if o.CurrencyCode != "EUR" || o.Status != models.OrderDraft || o.PaymentStatus != models.PaymentUnpaid ||
				o.FulfillmentStatus != models.FulfillmentUnfulfilled || !o.Guest || o.Number == 0 || !o.TaxIncluded {
				t.Fatalf("new order: %+v", o)
			}
			next := s.order("ci", nil, nil)
			if next.CurrencyCode != "XOF" || next.Number != o.Number+1 {
				t.Fatalf("second order: currency %s number %d after %d", next.CurrencyCode, next.Number, o.Number)
			}
		})

		t.Run("a line item is priced from the market, never from the client", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			li := s.mustAdd(o, tshirt, 2)
			if li.UnitAmountCents != 2900 || li.TotalAmountCents != 5800 || li.CurrencyCode != "EUR" ||
				li.ItemType != "skus" || *li.ItemID != s.sku(tshirt).ID || li.Name == nil || *li.Name != s.sku(tshirt).Name {
				t.Fatalf("line item: %+v", li)
			}
			// A client price without _external_price is refused.
			forged := &models.LineItem{OrderID: o.ID, SkuCode: ptr(mug), Quantity: 1, UnitAmountCents: 1}
			e := wantError(t, write(gdb, forged, true), errs.ValidationError, "unit_amount_cents")
			if e.Pointer != "/data/attributes/unit_amount_cents" {
				t.Fatalf("pointer %q", e.Pointer)
			}
			// An external price (integrations) is kept.
			external := &models.LineItem{OrderID: o.ID, SkuCode: ptr(mug), Quantity: 3, UnitAmountCents: 1000, ExternalPrice: true}
			s.must(write(gdb, external, true))
			s.reload(o)
			if external.TotalAmountCents != 3000 || o.SubtotalAmountCents != 8800 || o.SkusCount != 5 {
				t.Fatalf("external price: item %d, order subtotal %d skus %d", external.TotalAmountCents, o.SubtotalAmountCents, o.SkusCount)
			}
		})

		t.Run("a SKU with no price in the market is refused, naming the SKU", func(t *testing.T) {
			s := s.in(t)
			o := s.order("ci", nil, nil)
			_, err := s.add(o, hoodie, 1)
			e := wantError(t, err, errs.ValidationError, hoodie, "no price")
			if e.Code.Status() != 422 {
				t.Fatalf("status %d", e.Code.Status())
			}
			var n int64
			gdb.Model(&models.LineItem{}).Where("order_id = ?", o.ID).Count(&n)
			if n != 0 || o.SubtotalAmountCents != 0 {
				t.Fatalf("refused item left %d rows, subtotal %d", n, o.SubtotalAmountCents)
			}
			_, err = s.add(o, "NOSUCHSKU", 1)
			if e := wantError(t, err, errs.ValidationError); e.Pointer != "/data/attributes/sku_code" {
				t.Fatalf("unknown SKU: %v", e)
			}
			_, err = s.add(o, "", 1)
			if e := wantError(t, err, errs.ValidationError); e.Pointer != "/data/relationships/item" {
				t.Fatalf("no SKU: %v", e)
			}
		})

		t.Run("totals in EUR, JPY, XOF and KWD use the currency's exponent", func(t *testing.T) {
			s := s.in(t)
			s.market("jp", "JPY", map[string]int64{tshirt: 3500, mug: 1200})
			s.market("kw", "KWD", map[string]int64{tshirt: 9250, mug: 1500})
			tests := []struct {
				market, currency    string
				items               map[string]int
				subtotal, shipping  int64 // shipping: the demo markets' standard shipping
				skus                int
				wantFloat           float64
				wantFormatted       string
				wantUnitFloat       float64
				wantUnitFormattedOf string
			}{
				{"eu", "EUR", map[string]int{tshirt: 2, mug: 1}, 7000, 700, 3, 77, "€77.00", 29, "€29.00"},
				{"jp", "JPY", map[string]int{tshirt: 3, mug: 1}, 11700, 0, 4, 11700, "¥11,700", 3500, "¥3,500"},
				{"ci", "XOF", map[string]int{tshirt: 2}, 38000, 2000, 2, 40000, "40,000 CFA", 19000, "19,000 CFA"},
				{"kw", "KWD", map[string]int{tshirt: 1, mug: 2}, 12250, 0, 3, 12.25, "12.250 .د.ك", 9.25, "9.250 .د.ك"},
			}
			for _, tt := range tests {
				o := s.order(tt.market, nil, nil)
				var first *models.LineItem
				for _, code := range []string{tshirt, mug} {
					if q, ok := tt.items[code]; ok {
						li := s.mustAdd(o, code, q)
						if first == nil {
							first = li
						}
					}
				}
				if o.CurrencyCode != tt.currency || first.CurrencyCode != tt.currency {
					t.Errorf("%s: order currency %s, item %s", tt.market, o.CurrencyCode, first.CurrencyCode)
				}
				total := tt.subtotal + tt.shipping
				if o.SubtotalAmountCents != tt.subtotal || o.ShippingAmountCents != tt.shipping || o.TotalAmountCents != total || o.TotalAmountWithTaxesCents != total || o.SkusCount != tt.skus {
					t.Errorf("%s: subtotal %d shipping %d total %d with taxes %d skus %d, want %d, %d and %d skus",
						tt.market, o.SubtotalAmountCents, o.ShippingAmountCents, o.TotalAmountCents, o.TotalAmountWithTaxesCents, o.SkusCount, tt.subtotal, tt.shipping, tt.skus)
				}
				money := o.Money(o.TotalAmountCents)
				if got := money.Float(); got != tt.wantFloat {
					t.Errorf("%s: total float %v, want %v", tt.market, got, tt.wantFloat)
				}
				if got := money.Formatted(); got != tt.wantFormatted {
					t.Errorf("%s: formatted total %q, want %q", tt.market, got, tt.wantFormatted)
				}
				unit := models.Money{Cents: first.UnitAmountCents, Currency: first.CurrencyCode}
				if unit.Float() != tt.wantUnitFloat || unit.Formatted() != tt.wantUnitFormattedOf {
					t.Errorf("%s: unit %v %q, want %v %q", tt.market, unit.Float(), unit.Formatted(), tt.wantUnitFloat, tt.wantUnitFormattedOf)
				}
			}
		})

		t.Run("a payment method's price is part of the total", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, mug, 1)
			pm := s.paymentMethod("eu", ptr("EUR"), 150)
			s.must(s.update(o, func(o *models.Order) { o.PaymentMethodID = &pm.ID }))
			if o.PaymentMethodAmountCents != 150 || o.TotalAmountCents != 1200+700+150 || o.SubtotalAmountCents != 1200 {
				t.Fatalf("payment method amount %d, total %d", o.PaymentMethodAmountCents, o.TotalAmountCents)
			}
			// A method of another market or currency is not available.
			for _, other := range []*models.PaymentMethod{s.paymentMethod("us", nil, 0), s.paymentMethod("", ptr("USD"), 0)} {
				err := s.update(o, func(o *models.Order) { o.PaymentMethodID = &other.ID })
				if e := wantError(t, err, errs.ValidationError, "payment_method"); e.Pointer != "/data/relationships/payment_method" {
					t.Fatalf("pointer %q", e.Pointer)
				}
			}
			disabled := s.paymentMethod("eu", nil, 0)
			s.must(disabled.Disable(gdb))
			s.must(gdb.Save(disabled).Error)
			wantError(t, s.update(o, func(o *models.Order) { o.PaymentMethodID = &disabled.ID }), errs.ValidationError, "payment_method")
		})
	})
}

func TestLineItemQuantities(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		shop := newShop(t, gdb)
		count := func(o *models.Order) int64 {
			var n int64
			gdb.Model(&models.LineItem{}).Where("order_id = ?", o.ID).Count(&n)
			return n
		}

		t.Run("adding the same SKU again makes a new line item", func(t *testing.T) {
			s := shop.in(t)
			o := s.order("eu", nil, nil)
			first := s.mustAdd(o, tshirt, 2)
			second := s.mustAdd(o, tshirt, 3)
			s.reload(o)
			if second.ID == first.ID || count(o) != 2 || o.SkusCount != 5 || o.SubtotalAmountCents != 5*2900 {
				t.Fatalf("second item %s (first %s), %d rows, order skus %d subtotal %d", second.ID, first.ID, count(o), o.SkusCount, o.SubtotalAmountCents)
			}
		})

		t.Run("_update_quantity sums the quantities in one line item", func(t *testing.T) {
			s := shop.in(t)
			o := s.order("eu", nil, nil)
			first := s.mustAdd(o, tshirt, 2)
			s.mustAdd(o, mug, 1)
			li := &models.LineItem{OrderID: o.ID, SkuCode: ptr(tshirt), Quantity: 3, UpdateQuantity: true}
			s.must(write(gdb, li, true))
			if li.ID != first.ID || !li.CreatedAt.Equal(first.CreatedAt) {
				t.Fatalf("merged item %s, want it to keep the id %s", li.ID, first.ID)
			}
			s.reload(li)
			s.reload(o)
			if li.Quantity != 5 || li.TotalAmountCents != 5*2900 || count(o) != 2 {
				t.Fatalf("merged item: quantity %d total %d, %d rows", li.Quantity, li.TotalAmountCents, count(o))
			}
			if o.SkusCount != 6 || o.SubtotalAmountCents != 5*2900+1200 {
				t.Fatalf("order: skus %d subtotal %d", o.SkusCount, o.SubtotalAmountCents)
			}
		})

		t.Run("quantities out of 1..10000 are refused", func(t *testing.T) {
			s := shop.in(t)
			o := s.order("eu", nil, nil)
			for _, q := range []int{0, -1, models.MaxLineItemQuantity + 1} {
				_, err := s.add(o, mug, q)
				if e := wantError(t, err, errs.ValidationError, "quantity"); e.Pointer != "/data/attributes/quantity" {
					t.Fatalf("quantity %d: pointer %q", q, e.Pointer)
				}
			}
			li := s.mustAdd(o, mug, models.MaxLineItemQuantity)
			// A merge past the bound is refused too, and changes nothing.
			err := write(gdb, &models.LineItem{OrderID: o.ID, SkuCode: ptr(mug), Quantity: 1, UpdateQuantity: true}, true)
			wantError(t, err, errs.ValidationError, "quantity")
			s.reload(li)
			if li.Quantity != models.MaxLineItemQuantity || count(o) != 1 {
				t.Fatalf("after a refused merge: quantity %d, %d rows", li.Quantity, count(o))
			}
			// An update to 0 is refused as well.
			li.Quantity = 0
			wantError(t, write(gdb, li, false), errs.ValidationError, "quantity")
			s.reload(li)
			li.Quantity = 7
			s.must(write(gdb, li, false))
			s.reload(o)
			if o.SkusCount != 7 || o.SubtotalAmountCents != 7*1200 {
				t.Fatalf("after an update: skus %d subtotal %d", o.SkusCount, o.SubtotalAmountCents)
			}
		})
	})
}

func TestOrderStateMachine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)

		t.Run("draft becomes pending with an email and an item, and draft again without items", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			li := s.mustAdd(o, mug, 1)
			if o.Status != models.OrderDraft {
				t.Fatalf("items without email: %s", o.Status)
			}
			s.must(s.update(o, func(o *models.Order) { o.CustomerEmail = ptr("  Buyer@Example.com ") }))
			if o.Status != models.OrderPending || *o.CustomerEmail != "buyer@example.com" {
				t.Fatalf("email and item: %s %q", o.Status, *o.CustomerEmail)
			}
			s.must(remove(gdb, li))
			s.reload(o)
			if o.Status != models.OrderDraft || o.SkusCount != 0 || o.TotalAmountCents != 0 {
				t.Fatalf("last item removed: %s skus %d total %d", o.Status, o.SkusCount, o.TotalAmountCents)
			}
			s.mustAdd(o, mug, 1)
			if o.Status != models.OrderPending {
				t.Fatalf("item added back: %s", o.Status)
			}
			s.must(s.update(o, func(o *models.Order) { o.CustomerEmail = nil }))
			if o.Status != models.OrderDraft {
				t.Fatalf("email removed: %s", o.Status)
			}
			err := s.update(o, func(o *models.Order) { o.CustomerEmail = ptr("not an email") })
			if e := wantError(t, err, errs.ValidationError, "customer_email"); e.Pointer != "/data/attributes/customer_email" {
				t.Fatalf("pointer %q", e.Pointer)
			}
		})

		t.Run("an email-first order becomes pending with its first item", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("first@example.com"), nil)
			if o.Status != models.OrderDraft {
				t.Fatalf("email without items: %s", o.Status)
			}
			s.mustAdd(o, mug, 1)
			if o.Status != models.OrderPending {
				t.Fatalf("email and item: %s", o.Status)
			}
		})

		t.Run("_place needs each precondition", func(t *testing.T) {
			s := s.in(t)
			pm := s.paymentMethod("eu", nil, 0)
			complete := func() *models.Order {
				o := s.order("eu", ptr("buyer@example.com"), nil)
				s.mustAdd(o, mug, 1)
				billing, shipping := s.address(), s.address()
				s.must(s.update(o, func(o *models.Order) {
					o.BillingAddressID, o.ShippingAddressID, o.PaymentMethodID = &billing, &shipping, &pm.ID
				}))
				return o
			}
			tests := []struct {
				missing string
				pointer string
				unset   func(o *models.Order)
			}{
				{"customer_email", "/data/attributes/customer_email", func(o *models.Order) { o.CustomerEmail = nil }},
				{"billing_address", "/data/relationships/billing_address", func(o *models.Order) { o.BillingAddressID = nil }},
				{"shipping_address", "/data/relationships/shipping_address", func(o *models.Order) { o.ShippingAddressID = nil }},
				{"payment_method", "/data/relationships/payment_method", func(o *models.Order) { o.PaymentMethodID = nil }},
			}
			for _, tt := range tests {
				o := complete()
				s.must(s.update(o, tt.unset))
				e := wantError(t, s.trigger(o, place), errs.ValidationError, tt.missing)
				if e.Pointer != tt.pointer || e.Code.Status() != 422 {
					t.Errorf("without %s: %v", tt.missing, e)
				}
				if o.Status == models.OrderPlaced || o.PlacedAt != nil {
					t.Errorf("without %s: placed", tt.missing)
				}
			}
			// No items.
			o := complete()
			var items []models.LineItem
			gdb.Where("order_id = ?", o.ID).Find(&items)
			for i := range items {
				s.must(remove(gdb, &items[i]))
			}
			s.reload(o)
			if e := wantError(t, s.trigger(o, place), errs.ValidationError, "line_items"); e.Pointer != "/data/relationships/line_items" {
				t.Errorf("without items: %v", e)
			}
			// Every missing precondition is reported at once.
			bare := s.order("eu", nil, nil)
			list, _ := errs.As(s.trigger(bare, place))
			got := map[string]bool{}
			for _, e := range list {
				got[e.Pointer] = true
			}
			if len(list) != 3 || !got["/data/relationships/line_items"] || !got["/data/attributes/customer_email"] || !got["/data/relationships/billing_address"] {
				// An empty cart ships nothing, so it needs no shipping address.
				t.Errorf("bare order: want items, email and billing address, got %v", list)
			}
			// All there: placed.
			o = complete()
			s.must(s.trigger(o, place))
			if o.Status != models.OrderPlaced || o.PaymentStatus != models.PaymentUnpaid || o.PlacedAt == nil ||
				o.PlaceTotalAmountCents == nil || *o.PlaceTotalAmountCents != 1200+700 || o.FulfillmentStatus != models.FulfillmentUnfulfilled || o.Editable() {
				t.Fatalf("placed: %+v", o)
			}
		})

		t.Run("nothing to ship needs no shipping address", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("learner@example.com"), nil)
			s.mustAdd(o, course, 1)
			pm := s.paymentMethod("eu", nil, 0)
			billing := s.address()
			s.must(s.update(o, func(o *models.Order) { o.BillingAddressID, o.PaymentMethodID = &billing, &pm.ID }))
			s.must(s.trigger(o, place))
			if o.Status != models.OrderPlaced || o.FulfillmentStatus != models.FulfillmentNotRequired {
				t.Fatalf("digital order: %s %s", o.Status, o.FulfillmentStatus)
			}
			// One shippable item is enough to need the address.
			mixed := s.order("eu", ptr("learner2@example.com"), nil)
			s.mustAdd(mixed, course, 1)
			s.mustAdd(mixed, mug, 1)
			s.must(s.update(mixed, func(o *models.Order) { o.BillingAddressID, o.PaymentMethodID = &billing, &pm.ID }))
			wantError(t, s.trigger(mixed, place), errs.ValidationError, "shipping_address")
		})

		t.Run("a free order needs no payment method and is placed free", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("free@example.com"), nil)
			// A free course: nothing to pay, nothing to ship.
			gift := &models.LineItem{OrderID: o.ID, SkuCode: ptr(course), Quantity: 1, ExternalPrice: true}
			s.must(write(gdb, gift, true))
			s.reload(o)
			billing, shipping := s.address(), s.address()
			s.must(s.update(o, func(o *models.Order) { o.BillingAddressID, o.ShippingAddressID = &billing, &shipping }))
			if o.Status != models.OrderPending || o.TotalAmountWithTaxesCents != 0 {
				t.Fatalf("free cart: %s total %d", o.Status, o.TotalAmountWithTaxesCents)
			}
			s.must(s.trigger(o, place))
			if o.Status != models.OrderPlaced || o.PaymentStatus != models.PaymentFree {
				t.Fatalf("free order placed: %s %s", o.Status, o.PaymentStatus)
			}
		})

		t.Run("allowed and refused transitions", func(t *testing.T) {
			s := s.in(t)
			type step struct {
				name string
				run  func(tx *gorm.DB, o *models.Order) error
			}
			steps := map[string]step{
				"place":   {"place", place},
				"approve": {"approve", approve},
				"cancel":  {"cancel", cancel},
				"refresh": {"refresh", refresh},
			}
			// prepare returns an order in the given status.
			prepare := func(status string) *models.Order {
				o := s.order("eu", nil, nil)
				if status == models.OrderDraft {
					return o
				}
				s.mustAdd(o, mug, 1)
				s.ready(o)
				if status == models.OrderPending {
					return o
				}
				s.must(s.trigger(o, place))
				switch status {
				case models.OrderApproved:
					s.must(s.trigger(o, approve))
				case models.OrderCancelled:
					s.must(s.trigger(o, cancel))
				}
				return o
			}
			tests := []struct {
				from, action string
				to           string // "" when refused
			}{
				{models.OrderDraft, "approve", ""},
				{models.OrderDraft, "cancel", ""},
				{models.OrderDraft, "refresh", models.OrderDraft},
				{models.OrderPending, "approve", ""},
				{models.OrderPending, "cancel", ""},
				{models.OrderPending, "refresh", models.OrderPending},
				{models.OrderPending, "place", models.OrderPlaced},
				{models.OrderPlaced, "place", ""},
				{models.OrderPlaced, "refresh", ""},
				{models.OrderPlaced, "approve", models.OrderApproved},
				{models.OrderPlaced, "cancel", models.OrderCancelled},
				{models.OrderApproved, "place", ""},
				{models.OrderApproved, "approve", ""},
				{models.OrderApproved, "cancel", models.OrderCancelled},
				{models.OrderCancelled, "place", ""},
				{models.OrderCancelled, "approve", ""},
				{models.OrderCancelled, "cancel", ""},
				{models.OrderCancelled, "refresh", ""},
			}
			for _, tt := range tests {
				o := prepare(tt.from)
				if o.Status != tt.from {
					t.Fatalf("prepared %s, got %s", tt.from, o.Status)
				}
				err := s.trigger(o, steps[tt.action].run)
				if tt.to == "" {
					e := wantError(t, err, errs.ValidationError, "cannot "+tt.action, "status "+tt.from)
					if e.Code.Status() != 422 || o.Status != tt.from {
						t.Errorf("%s from %s: status %d, order now %s", tt.action, tt.from, e.Code.Status(), o.Status)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s from %s: %v", tt.action, tt.from, err)
					continue
				}
				if o.Status != tt.to {
					t.Errorf("%s from %s: %s, want %s", tt.action, tt.from, o.Status, tt.to)
				}
				switch tt.to {
				case models.OrderApproved:
					if o.ApprovedAt == nil {
						t.Errorf("approved without approved_at")
					}
				case models.OrderCancelled:
					if o.CancelledAt == nil {
						t.Errorf("cancelled without cancelled_at")
					}
				}
			}
			// Cancelling an order with a fulfilled shipment is refused.
			o := prepare(models.OrderApproved)
			s.must(gdb.Model(o).Update("fulfillment_status", models.FulfillmentFulfilled).Error)
			wantError(t, s.trigger(o, cancel), errs.ValidationError, "status approved")
		})

		t.Run("archive and unarchive at any status", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, mug, 1)
			s.ready(o)
			s.must(s.trigger(o, place))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Archive(tx) }))
			if o.ArchivedAt == nil || o.Status != models.OrderPlaced {
				t.Fatalf("archived: %v %s", o.ArchivedAt, o.Status)
			}
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Unarchive(tx) }))
			if o.ArchivedAt != nil {
				t.Fatal("unarchived order keeps archived_at")
			}
		})

		t.Run("placed orders cannot be deleted and their line items cannot change", func(t *testing.T) {
			s := s.in(t)
			cart := s.order("eu", nil, nil)
			s.mustAdd(cart, mug, 1)
			s.must(remove(gdb, cart))
			var n int64
			gdb.Model(&models.LineItem{}).Where("order_id = ?", cart.ID).Count(&n)
			if n != 0 {
				t.Fatalf("deleted cart left %d line items", n)
			}

			o := s.order("eu", nil, nil)
			li := s.mustAdd(o, mug, 2)
			s.ready(o)
			s.must(s.trigger(o, place))
			wantError(t, remove(gdb, o), errs.ValidationError, "placed", "_archive")

			_, err := s.add(o, tshirt, 1)
			wantError(t, err, errs.ValidationError, "placed")
			li.Quantity = 5
			wantError(t, write(gdb, li, false), errs.ValidationError, "placed")
			s.reload(li)
			wantError(t, remove(gdb, li), errs.ValidationError, "placed")
			s.reload(o)
			if o.SkusCount != 2 || o.TotalAmountCents != 2400+700 {
				t.Fatalf("placed order changed: skus %d total %d", o.SkusCount, o.TotalAmountCents)
			}
		})

		t.Run("_shipping_address_same_as_billing copies the billing address", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			wantError(t, s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.ShipToBilling(tx) }), errs.ValidationError, "billing address")
			billing := s.address()
			s.must(s.update(o, func(o *models.Order) { o.BillingAddressID = &billing }))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.ShipToBilling(tx) }))
			if o.ShippingAddressID == nil || *o.ShippingAddressID == billing {
				t.Fatalf("shipping address %v: want a copy of %s", o.ShippingAddressID, billing)
			}
			var copied models.Address
			s.must(gdb.Where("id = ?", *o.ShippingAddressID).Take(&copied).Error)
			if copied.Line1 != "1 Main St" || copied.City != "Paris" {
				t.Fatalf("copy: %+v", copied)
			}
		})
	})
}

func TestOrderRefreshAndCustomers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)

		t.Run("_refresh re-prices from the current price and keeps external prices", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, tshirt, 2)
			external := &models.LineItem{OrderID: o.ID, SkuCode: ptr(mug), Quantity: 1, UnitAmountCents: 100, ExternalPrice: true}
			s.must(write(gdb, external, true))
			var price models.Price
			s.must(gdb.Joins("JOIN markets ON markets.price_list_id = prices.price_list_id").
				Where("markets.id = ? AND prices.sku_id = ?", s.markets["eu"], s.sku(tshirt).ID).Take(&price).Error)
			price.AmountCents = 3100
			s.must(write(gdb, &price, false))
			s.reload(o)
			if o.SubtotalAmountCents != 2*2900+100 {
				t.Fatalf("a price change alone re-priced the cart: %d", o.SubtotalAmountCents)
			}
			s.must(s.trigger(o, refresh))
			if o.SubtotalAmountCents != 2*3100+100 || o.RefreshedAt == nil {
				t.Fatalf("refreshed: subtotal %d refreshed_at %v", o.SubtotalAmountCents, o.RefreshedAt)
			}
			var li models.LineItem
			s.must(gdb.Where("order_id = ? AND item_id = ?", o.ID, s.sku(tshirt).ID).Take(&li).Error)
			if li.UnitAmountCents != 3100 || li.TotalAmountCents != 6200 {
				t.Fatalf("refreshed item: %d × %d = %d", li.UnitAmountCents, li.Quantity, li.TotalAmountCents)
			}
			// A price that disappeared is refused and changes nothing.
			s.must(gdb.Delete(&price).Error)
			wantError(t, s.trigger(o, refresh), errs.ValidationError, tshirt)
			if o.SubtotalAmountCents != 2*3100+100 {
				t.Fatalf("failed refresh changed the order: %d", o.SubtotalAmountCents)
			}
		})

		t.Run("placing increments the customer's orders count", func(t *testing.T) {
			s := s.in(t)
			c := s.customer("counted@example.com")
			for i, want := range []string{"acquired", "repeat"} {
				o := s.order("eu", nil, &c.ID)
				if o.Guest || o.CustomerEmail == nil || *o.CustomerEmail != c.Email {
					t.Fatalf("customer order: guest %v email %v", o.Guest, o.CustomerEmail)
				}
				s.mustAdd(o, mug, 1)
				s.ready(o)
				s.must(s.trigger(o, place))
				s.reload(c)
				if c.TotalOrdersCount != i+1 || c.Status != want {
					t.Fatalf("after %d orders: count %d status %s", i+1, c.TotalOrdersCount, c.Status)
				}
			}
			// A cart that is not placed does not count.
			o := s.order("eu", nil, &c.ID)
			s.mustAdd(o, mug, 1)
			s.reload(c)
			if c.TotalOrdersCount != 2 {
				t.Fatalf("a cart counted: %d", c.TotalOrdersCount)
			}
		})
	})
}

// TestOnePurchasePerCustomer checks that a SKU limited to one per customer
// cannot be added to a cart, or placed, once the customer owns it: whether
// the orders name the customer by relationship or by email.
func TestOnePurchasePerCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		sku := s.sku(course)
		sku.LimitOnePerCustomer = true
		s.must(write(gdb, sku, false))

		buy := func(s *shop, customerID, email *string) *models.Order {
			o := s.order("eu", email, customerID)
			s.mustAdd(o, course, 1)
			s.ready(o)
			s.must(s.trigger(o, place))
			return o
		}
		refused := func(t *testing.T, err error) {
			t.Helper()
			e := wantError(t, err, errs.AlreadyPurchased, course)
			if e.Code.Status() != 422 {
				t.Fatalf("status %d", e.Code.Status())
			}
		}

		t.Run("more than one in a cart is refused", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			_, err := s.add(o, course, 2)
			wantError(t, err, errs.ValidationError, "quantity", course)
			s.mustAdd(o, course, 1)
			_, err = s.add(o, course, 1)
			wantError(t, err, errs.ValidationError, "quantity", course)
		})

		ways := []struct {
			name               string
			first, second      func(c *models.Customer) (customerID, email *string)
			secondIsByCustomer bool
		}{
			{"customer then customer",
				func(c *models.Customer) (*string, *string) { return &c.ID, nil },
				func(c *models.Customer) (*string, *string) { return &c.ID, nil }, true},
			{"customer then email",
				func(c *models.Customer) (*string, *string) { return &c.ID, nil },
				func(c *models.Customer) (*string, *string) { return nil, ptr(strings.ToUpper(c.Email)) }, false},
			{"email then customer",
				func(c *models.Customer) (*string, *string) { return nil, &c.Email },
				func(c *models.Customer) (*string, *string) { return &c.ID, nil }, true},
			{"email then email",
				func(c *models.Customer) (*string, *string) { return nil, &c.Email },
				func(c *models.Customer) (*string, *string) { return nil, &c.Email }, false},
		}
		for i, w := range ways {
			t.Run(w.name, func(t *testing.T) {
				s := s.in(t)
				c := s.customer("learner" + string(rune('a'+i)) + "@example.com")
				// Before any purchase, two carts may hold the course.
				customerID, email := w.second(c)
				early := s.order("eu", email, customerID)
				s.mustAdd(early, course, 1)
				s.ready(early)

				customerID, email = w.first(c)
				buy(s, customerID, email)

				// Adding it to a new cart is refused…
				customerID, email = w.second(c)
				o := s.order("eu", email, customerID)
				s.mustAdd(o, mug, 1)
				_, err := s.add(o, course, 1)
				refused(t, err)
				if o.SkusCount != 1 {
					t.Fatalf("refused item counted: %d", o.SkusCount)
				}
				// …and placing the cart that already held it is refused too.
				refused(t, s.trigger(early, place))
				if early.Status != models.OrderPending {
					t.Fatalf("refused place left the order %s", early.Status)
				}
				// Other SKUs are still fine.
				s.ready(o)
				s.must(s.trigger(o, place))
			})
		}

		t.Run("a cancelled purchase does not count, and other customers are free to buy", func(t *testing.T) {
			s := s.in(t)
			c := s.customer("changed-mind@example.com")
			first := buy(s, &c.ID, nil)
			s.must(s.trigger(first, cancel))
			buy(s, &c.ID, nil)
			buy(s, nil, ptr("someone-else@example.com"))
		})

		t.Run("a guest email counts as a customer", func(t *testing.T) {
			s := s.in(t)
			buy(s, nil, ptr("guest-learner@example.com"))
			o := s.order("eu", ptr("Guest-Learner@example.com"), nil)
			_, err := s.add(o, course, 1)
			refused(t, err)
		})
	})
}

// TestTaxOf: taxes are rounded half up to a minor unit, included in the
// amount (amount × r / (1 + r)) or added to it (amount × r).
func TestTaxOf(t *testing.T) {
	tests := []struct {
		amount   int64
		rate     float64
		included bool
		want     int64
	}{
		{1000, 0.05, false, 50},
		{10, 0.05, false, 1},    // 0.5 → 1
		{30, 0.05, false, 2},    // 1.5 → 2
		{29, 0.05, false, 1},    // 1.45 → 1
		{1220, 0.22, true, 220}, // exactly
		{5800, 0.22, true, 1046},
		{1200, 0.19, true, 192},
		{38000, 0.18, false, 6840},
		{0, 0.22, true, 0},
		{999, 0, false, 0},
	}
	for _, tt := range tests {
		if got := models.TaxOf(tt.amount, tt.rate, tt.included); got != tt.want {
			t.Errorf("TaxOf(%d, %v, included %v) = %d, want %d", tt.amount, tt.rate, tt.included, got, tt.want)
		}
	}
}
