package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

func pending(tx *gorm.DB, o *models.Order) error { return o.Pending(tx) }

// setPayment forces an order's payment status, standing in for the
// payment flow in the rules that only read it.
func (s *shop) setPayment(o *models.Order, status string) {
	s.t.Helper()
	s.must(s.db.Model(&models.Order{}).Where("id = ?", o.ID).Update("payment_status", status).Error)
	s.reload(o)
}

// placed is a placed EUR order with a T-shirt and a mug (41.00).
func (s *shop) placed() *models.Order {
	s.t.Helper()
	o := s.order("eu", ptr("buyer@example.com"), nil)
	s.mustAdd(o, tshirt, 1)
	s.mustAdd(o, mug, 1)
	s.ready(o)
	s.must(s.trigger(o, place))
	return o
}

func TestPendingAndValidate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		tests := []struct {
			name    string
			email   *string
			items   int
			want    string   // status after _pending ("" : refused)
			missing []string // what the 422 names
		}{
			{"email and an item", ptr("a@example.com"), 1, models.OrderPending, nil},
			{"no email", nil, 1, "", []string{"customer_email"}},
			{"no item", ptr("a@example.com"), 0, "", []string{"line_items"}},
			{"neither", nil, 0, "", []string{"customer_email", "line_items"}},
		}
		for _, tt := range tests {
			t.Run("_pending: "+tt.name, func(t *testing.T) {
				s := s.in(t)
				o := s.order("eu", tt.email, nil)
				if tt.items > 0 {
					s.mustAdd(o, mug, tt.items)
				}
				err := s.trigger(o, pending)
				if tt.want != "" {
					s.must(err)
					if o.Status != tt.want {
						t.Fatalf("status %s, want %s", o.Status, tt.want)
					}
					return
				}
				list, ok := errs.As(err)
				if !ok || len(list) != len(tt.missing) {
					t.Fatalf("errors %v, want %d naming %v", err, len(tt.missing), tt.missing)
				}
				for i, m := range tt.missing {
					wantError(t, errs.List{list[i]}, errs.ValidationError, m)
				}
				if o.Status != models.OrderDraft {
					t.Fatalf("status %s after a refused _pending", o.Status)
				}
			})
		}
		t.Run("_pending on a placed order is refused", func(t *testing.T) {
			s := s.in(t)
			wantError(t, s.trigger(s.placed(), pending), errs.ValidationError, "placed")
		})

		validate := func(tx *gorm.DB, o *models.Order) error {
			return o.Validate(tx, &models.Payments{DB: gdb, Providers: &fakeProvider{}})
		}
		t.Run("_validate lists every unmet precondition and places nothing", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", nil, nil)
			s.mustAdd(o, tshirt, 1)
			list, ok := errs.As(s.trigger(o, validate))
			if !ok {
				t.Fatal("want a 422")
			}
			got := map[string]bool{}
			for _, e := range list {
				got[e.Pointer] = true
			}
			for _, p := range []string{"/data/attributes/customer_email", "/data/relationships/billing_address",
				"/data/relationships/shipping_address", "/data/relationships/payment_method"} {
				if !got[p] {
					t.Errorf("no error at %s in %v", p, list)
				}
			}
			if o.Status != models.OrderDraft || o.PlacedAt != nil {
				t.Fatalf("validate changed the order: %s", o.Status)
			}
		})
		t.Run("_validate: a card payment method needs an authorized payment for the total", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			wantError(t, s.trigger(o, validate), errs.ValidationError, "payment_source - can't be blank")
			ps := s.payment(o, "tok_ok")
			wantError(t, s.trigger(o, validate), errs.ValidationError, "not authorized")
			s.must((&models.Payments{DB: gdb, Providers: &fakeProvider{}}).Authorize(context.Background(), ps.ID))
			s.must(s.trigger(o, validate))
			if o.Status != models.OrderPending {
				t.Fatalf("status %s after _validate, want pending (not placed)", o.Status)
			}
			s.mustAdd(o, mug, 1)
			wantError(t, s.trigger(o, validate), errs.ValidationError, "mismatched_amounts")
		})
		t.Run("_validate on a placed order is refused", func(t *testing.T) {
			s := s.in(t)
			wantError(t, s.trigger(s.placed(), validate), errs.ValidationError, "cannot validate")
		})
	})
}

func TestRefreshPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		refreshPrices := func(tx *gorm.DB, o *models.Order) error { return o.RefreshPrices(tx) }
		s.market("rp", "EUR", map[string]int64{mug: 1000, tshirt: 2000})
		o := s.order("rp", ptr("buyer@example.com"), nil)
		catalog := s.mustAdd(o, mug, 2)
		external := &models.LineItem{OrderID: o.ID, SkuCode: ptr(tshirt), Quantity: 1, ExternalPrice: true, UnitAmountCents: 500}
		s.must(write(gdb, external, true))
		s.must(gdb.Model(&models.Price{}).Where("sku_code = ? AND price_list_id = (SELECT price_list_id FROM markets WHERE id = ?)", mug, s.markets["rp"]).
			Update("amount_cents", 1500).Error)
		s.must(s.trigger(o, refreshPrices))
		s.reload(catalog)
		s.reload(external)
		tests := []struct {
			name      string
			got, want int64
		}{
			{"catalog item's unit price", catalog.UnitAmountCents, 1500},
			{"catalog item's total", catalog.TotalAmountCents, 3000},
			{"external price kept", external.UnitAmountCents, 500},
			{"order subtotal", o.SubtotalAmountCents, 3500},
		}
		for _, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
			}
		}
		if o.RefreshedAt != nil {
			t.Error("_refresh_prices stamped refreshed_at: only _refresh does")
		}
		wantError(t, s.in(t).trigger(s.in(t).placed(), refreshPrices), errs.ValidationError, "placed")
	})
}

func TestFulfill(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		fulfill := func(tx *gorm.DB, o *models.Order) error { return o.Fulfill(tx) }
		shipments := func(o *models.Order) []string {
			var out []string
			s.must(gdb.Model(&models.Shipment{}).Where("order_id = ?", o.ID).Order("number").Pluck("status", &out).Error)
			return out
		}
		tests := []struct {
			name    string
			prepare func(s *shop, o *models.Order)
			refused string // "" : fulfilled
		}{
			{"approved and paid", func(s *shop, o *models.Order) { s.must(s.trigger(o, approve)); s.setPayment(o, models.PaymentPaid) }, ""},
			{"placed, paid, shipments shipped", func(s *shop, o *models.Order) {
				s.setPayment(o, models.PaymentPaid)
				s.must(gdb.Model(&models.Shipment{}).Where("order_id = ?", o.ID).Update("status", models.ShipmentShipped).Error)
			}, ""},
			{"placed, paid, shipments upcoming", func(s *shop, o *models.Order) { s.setPayment(o, models.PaymentPaid) }, "not shipped"},
			{"approved, only authorized", func(s *shop, o *models.Order) {
				s.must(s.trigger(o, approve))
				s.setPayment(o, models.PaymentAuthorized)
			}, "capture it"},
			{"cancelled", func(s *shop, o *models.Order) { s.must(s.trigger(o, cancel)) }, "cannot fulfill"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := s.in(t)
				o := s.placed()
				tt.prepare(s, o)
				err := s.trigger(o, fulfill)
				if tt.refused != "" {
					wantError(t, err, errs.ValidationError, tt.refused)
					if o.FulfillmentStatus == models.FulfillmentFulfilled {
						t.Fatal("refused, yet fulfilled")
					}
					return
				}
				s.must(err)
				if o.FulfillmentStatus != models.FulfillmentFulfilled || o.FulfillmentUpdatedAt == nil {
					t.Fatalf("fulfillment %s", o.FulfillmentStatus)
				}
				for _, st := range shipments(o) {
					if st != models.ShipmentShipped {
						t.Fatalf("shipments %v, want all shipped", shipments(o))
					}
				}
				wantError(t, s.trigger(o, fulfill), errs.ValidationError, "already fulfilled")
			})
		}
	})
}

func TestNullifyAndAuthorizePaymentSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newShop(t, gdb)
		p := &models.Payments{DB: gdb, Providers: &fakeProvider{}}
		nullify := func(voidID *string) func(tx *gorm.DB, o *models.Order) error {
			return func(tx *gorm.DB, o *models.Order) (err error) {
				*voidID, err = o.NullifyPaymentSource(tx)
				return err
			}
		}
		t.Run("an authorized payment is voided and detached", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			ps := s.payment(o, "tok_ok")
			s.must(p.Authorize(ctx, ps.ID))
			var voidID string
			s.must(s.trigger(o, nullify(&voidID)))
			if o.PaymentSourceID != nil || o.PaymentSourceType != nil {
				t.Fatalf("payment source still %v", *o.PaymentSourceID)
			}
			if voidID == "" {
				t.Fatal("no void begun for the authorization")
			}
			s.must(p.Release(ctx, voidID))
			voids := s.transactions(o, models.TxVoid)
			if len(voids) != 1 || voids[0].PaymentSourceID != ps.ID || !voids[0].Succeeded {
				t.Fatalf("voids %+v", voids)
			}
			wantError(t, s.trigger(o, nullify(&voidID)), errs.ValidationError, "no payment source")
		})
		t.Run("a pending payment is detached, and voided if authorized later", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			ps := s.payment(o, "tok_late")
			var voidID string
			s.must(s.trigger(o, nullify(&voidID)))
			if voidID != "" || o.PaymentSourceID != nil {
				t.Fatalf("void %q source %v", voidID, o.PaymentSourceID)
			}
			s.must(p.Authorize(ctx, ps.ID))
			if voids := s.transactions(o, models.TxVoid); len(voids) != 1 || !voids[0].Succeeded {
				t.Fatalf("voids %+v: a detached payment's late authorization must be released", voids)
			}
		})
		t.Run("refused on a placed order", func(t *testing.T) {
			s := s.in(t)
			var voidID string
			wantError(t, s.trigger(s.placed(), nullify(&voidID)), errs.ValidationError, "placed")
		})

		authorize := func(got **models.PaymentSource) func(tx *gorm.DB, o *models.Order) error {
			return func(tx *gorm.DB, o *models.Order) (err error) {
				*got, err = o.AuthorizeSource(tx)
				return err
			}
		}
		t.Run("_authorize readies a declined payment for the order's total", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			ps := s.payment(o, "tok_declined")
			declining := &models.Payments{DB: gdb, Providers: &fakeProvider{authorize: func(context.Context, models.AuthorizeRequest) (*models.ProviderResult, error) {
				return &models.ProviderResult{Outcome: models.Declined, Message: "declined"}, nil
			}}}
			s.must(declining.Authorize(ctx, ps.ID))
			var got *models.PaymentSource
			s.must(s.trigger(o, authorize(&got)))
			if got == nil || got.ID != ps.ID || s.source(ps.ID).Status != models.SourcePending {
				t.Fatalf("payment %+v, want the order's, pending again", s.source(ps.ID))
			}
			s.must(p.Authorize(ctx, ps.ID))
			if st := s.source(ps.ID).Status; st != models.SourceAuthorized {
				t.Fatalf("status %s after the new attempt", st)
			}
			wantError(t, s.trigger(o, authorize(&got)), errs.ValidationError, "already authorized")
		})
		t.Run("_authorize refuses a payment for another total, and an order without one", func(t *testing.T) {
			s := s.in(t)
			o := s.cart()
			var got *models.PaymentSource
			wantError(t, s.trigger(o, authorize(&got)), errs.ValidationError, "payment_source - can't be blank")
			s.payment(o, "tok_x")
			s.mustAdd(o, mug, 1)
			wantError(t, s.trigger(o, authorize(&got)), errs.ValidationError, "mismatched_amounts")
		})
	})
}

func TestAddressBookOnPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		book := func(c *models.Customer) int64 {
			var n int64
			s.must(gdb.Model(&models.CustomerAddress{}).Where("customer_id = ?", c.ID).Count(&n).Error)
			return n
		}
		saveBilling := func(tx *gorm.DB, o *models.Order) error { return o.SaveBillingAddress(tx) }
		saveShipping := func(tx *gorm.DB, o *models.Order) error { return o.SaveShippingAddress(tx) }
		tests := []struct {
			name     string
			triggers []func(tx *gorm.DB, o *models.Order) error
			sameAddr bool
			want     int64
		}{
			{"billing", []func(tx *gorm.DB, o *models.Order) error{saveBilling}, false, 1},
			{"shipping", []func(tx *gorm.DB, o *models.Order) error{saveShipping}, false, 1},
			{"both", []func(tx *gorm.DB, o *models.Order) error{saveBilling, saveShipping}, false, 2},
			{"both, the same address", []func(tx *gorm.DB, o *models.Order) error{saveBilling, saveShipping}, true, 1},
			{"none asked", nil, false, 0},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := s.in(t)
				c := s.customer("book" + string(rune('a'+i)) + "@example.com")
				o := s.order("eu", nil, &c.ID)
				s.mustAdd(o, tshirt, 1)
				s.ready(o)
				if !tt.sameAddr {
					// ready's two addresses say the same: make the shipping one differ.
					s.must(gdb.Model(&models.Address{}).Where("id = ?", *o.ShippingAddressID).Update("line_1", "2 Other St").Error)
				}
				for _, tr := range tt.triggers {
					s.must(s.trigger(o, tr))
				}
				if book(c) != 0 {
					t.Fatal("saved before the order was placed")
				}
				s.must(s.trigger(o, place))
				if got := book(c); got != tt.want {
					t.Fatalf("address book has %d, want %d", got, tt.want)
				}
				// A second order with the same addresses adds nothing.
				again := s.order("eu", nil, &c.ID)
				s.mustAdd(again, mug, 1)
				s.must(s.update(again, func(a *models.Order) {
					a.BillingAddressID, a.ShippingAddressID, a.PaymentMethodID = o.BillingAddressID, o.ShippingAddressID, o.PaymentMethodID
				}))
				for _, tr := range tt.triggers {
					s.must(s.trigger(again, tr))
				}
				s.must(s.trigger(again, place))
				if got := book(c); got != tt.want {
					t.Fatalf("address book has %d after a second order, want %d (no address twice)", got, tt.want)
				}
			})
		}
		t.Run("a guest's order has no address book", func(t *testing.T) {
			s := s.in(t)
			o := s.order("eu", ptr("guest@example.com"), nil)
			wantError(t, s.trigger(o, saveBilling), errs.ValidationError, "no customer")
		})
	})
}

func TestEditingAPlacedOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		start := func(tx *gorm.DB, o *models.Order) error { return o.StartEditing(tx) }
		stop := func(tx *gorm.DB, o *models.Order) error { return o.StopEditing(tx) }
		t.Run("items change within the placed total", func(t *testing.T) {
			s := s.in(t)
			o := s.placed()
			s.setPayment(o, models.PaymentAuthorized)
			placedTotal := o.TotalAmountWithTaxesCents
			s.must(s.trigger(o, start))
			if o.Status != models.OrderEditing {
				t.Fatalf("status %s, want editing", o.Status)
			}
			var items []models.LineItem
			s.must(gdb.Where("order_id = ?", o.ID).Order("created_at, id").Find(&items).Error)
			// A storefront's write is refused while the back office edits.
			wantError(t, write(gdb, &models.LineItem{OrderID: o.ID, SkuCode: ptr(mug), Quantity: 1, Storefront: true}, true), errs.ValidationError, "being edited")
			// Adding a hoodie (59.00) exceeds the placed total: refused.
			_, err := s.add(o, hoodie, 1)
			wantError(t, err, errs.ValidationError, "cannot exceed")
			// Removing the mug lowers it: accepted.
			for i := range items {
				if *items[i].SkuCode == mug {
					s.must(remove(gdb, &items[i]))
				}
			}
			s.reload(o)
			if o.TotalAmountWithTaxesCents >= placedTotal || o.Status != models.OrderEditing {
				t.Fatalf("total %d (placed %d), status %s", o.TotalAmountWithTaxesCents, placedTotal, o.Status)
			}
			s.must(s.trigger(o, stop))
			if o.Status != models.OrderPlaced || *o.PlaceTotalAmountCents != placedTotal {
				t.Fatalf("status %s, place total %d", o.Status, *o.PlaceTotalAmountCents)
			}
			_, err = s.add(o, mug, 1)
			wantError(t, err, errs.ValidationError, "cannot change")
		})
		t.Run("_start_editing while a capture waits for the provider", func(t *testing.T) {
			s := s.in(t)
			p := &models.Payments{DB: gdb, Providers: &fakeProvider{}}
			o := s.cart()
			s.must(p.Authorize(context.Background(), s.payment(o, "tok_edit").ID))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error { return o.Place(tx, p) }))
			s.must(s.trigger(o, func(tx *gorm.DB, o *models.Order) error {
				_, err := models.BeginCapture(tx, o, nil, 0)
				return err
			}))
			wantError(t, s.trigger(o, start), errs.ValidationError, "being captured")
		})
		tests := []struct {
			name    string
			prepare func(s *shop, o *models.Order)
			trigger func(tx *gorm.DB, o *models.Order) error
			refused string
		}{
			{"_start_editing an unpaid order", func(*shop, *models.Order) {}, start, "authorized"},
			{"_start_editing an approved order", func(s *shop, o *models.Order) { s.must(s.trigger(o, approve)) }, start, "cannot start editing"},
			{"_start_editing a shipping order", func(s *shop, o *models.Order) {
				s.must(gdb.Model(&models.Order{}).Where("id = ?", o.ID).Updates(map[string]any{"payment_status": models.PaymentAuthorized, "fulfillment_status": models.FulfillmentInProgress}).Error)
			}, start, "fulfillment"},
			{"_stop_editing an order not being edited", func(*shop, *models.Order) {}, stop, "cannot stop editing"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := s.in(t)
				o := s.placed()
				tt.prepare(s, o)
				wantError(t, s.trigger(o, tt.trigger), errs.ValidationError, tt.refused)
			})
		}
	})
}
