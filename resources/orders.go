package resources

import (
	"context"
	"encoding/json"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
)

// orderResource is an order on the wire. Money comes as the reference's
// triples: `*_cents`, `*_float` and `formatted_*`.
type orderResource struct {
	ID                            string  `jsonapi:"primary,orders"`
	Number                        int64   `jsonapi:"attr,number"`
	Status                        string  `jsonapi:"attr,status"`
	PaymentStatus                 string  `jsonapi:"attr,payment_status"`
	FulfillmentStatus             string  `jsonapi:"attr,fulfillment_status"`
	Guest                         bool    `jsonapi:"attr,guest"`
	Editable                      bool    `jsonapi:"attr,editable"`
	CustomerEmail                 *string `jsonapi:"attr,customer_email"`
	LanguageCode                  *string `jsonapi:"attr,language_code"`
	CurrencyCode                  string  `jsonapi:"attr,currency_code"`
	TaxIncluded                   bool    `jsonapi:"attr,tax_included"`
	CountryCode                   *string `jsonapi:"attr,country_code"`
	CartURL                       *string `jsonapi:"attr,cart_url"`
	ReturnURL                     *string `jsonapi:"attr,return_url"`
	TermsURL                      *string `jsonapi:"attr,terms_url"`
	PrivacyURL                    *string `jsonapi:"attr,privacy_url"`
	SubtotalAmountCents           int64   `jsonapi:"attr,subtotal_amount_cents"`
	SubtotalAmountFloat           float64 `jsonapi:"attr,subtotal_amount_float"`
	FormattedSubtotalAmount       string  `jsonapi:"attr,formatted_subtotal_amount"`
	ShippingAmountCents           int64   `jsonapi:"attr,shipping_amount_cents"`
	ShippingAmountFloat           float64 `jsonapi:"attr,shipping_amount_float"`
	FormattedShippingAmount       string  `jsonapi:"attr,formatted_shipping_amount"`
	PaymentMethodAmountCents      int64   `jsonapi:"attr,payment_method_amount_cents"`
	PaymentMethodAmountFloat      float64 `jsonapi:"attr,payment_method_amount_float"`
	FormattedPaymentMethodAmount  string  `jsonapi:"attr,formatted_payment_method_amount"`
	DiscountAmountCents           int64   `jsonapi:"attr,discount_amount_cents"`
	DiscountAmountFloat           float64 `jsonapi:"attr,discount_amount_float"`
	FormattedDiscountAmount       string  `jsonapi:"attr,formatted_discount_amount"`
	TotalTaxAmountCents           int64   `jsonapi:"attr,total_tax_amount_cents"`
	TotalTaxAmountFloat           float64 `jsonapi:"attr,total_tax_amount_float"`
	FormattedTotalTaxAmount       string  `jsonapi:"attr,formatted_total_tax_amount"`
	TotalAmountCents              int64   `jsonapi:"attr,total_amount_cents"`
	TotalAmountFloat              float64 `jsonapi:"attr,total_amount_float"`
	FormattedTotalAmount          string  `jsonapi:"attr,formatted_total_amount"`
	TotalAmountWithTaxesCents     int64   `jsonapi:"attr,total_amount_with_taxes_cents"`
	TotalAmountWithTaxesFloat     float64 `jsonapi:"attr,total_amount_with_taxes_float"`
	FormattedTotalAmountWithTaxes string  `jsonapi:"attr,formatted_total_amount_with_taxes"`
	PlaceTotalAmountCents         *int64  `jsonapi:"attr,place_total_amount_cents"`
	// Taxes, and the amounts Kasse has none of (adjustments, gift cards,
	// fees, duties: always 0).
	AdjustmentAmountCents               int64          `jsonapi:"attr,adjustment_amount_cents"`
	AdjustmentAmountFloat               float64        `jsonapi:"attr,adjustment_amount_float"`
	FormattedAdjustmentAmount           string         `jsonapi:"attr,formatted_adjustment_amount"`
	GiftCardAmountCents                 int64          `jsonapi:"attr,gift_card_amount_cents"`
	GiftCardAmountFloat                 float64        `jsonapi:"attr,gift_card_amount_float"`
	FormattedGiftCardAmount             string         `jsonapi:"attr,formatted_gift_card_amount"`
	SubtotalTaxAmountCents              int64          `jsonapi:"attr,subtotal_tax_amount_cents"`
	SubtotalTaxAmountFloat              float64        `jsonapi:"attr,subtotal_tax_amount_float"`
	FormattedSubtotalTaxAmount          string         `jsonapi:"attr,formatted_subtotal_tax_amount"`
	ShippingTaxAmountCents              int64          `jsonapi:"attr,shipping_tax_amount_cents"`
	ShippingTaxAmountFloat              float64        `jsonapi:"attr,shipping_tax_amount_float"`
	FormattedShippingTaxAmount          string         `jsonapi:"attr,formatted_shipping_tax_amount"`
	PaymentMethodTaxAmountCents         int64          `jsonapi:"attr,payment_method_tax_amount_cents"`
	PaymentMethodTaxAmountFloat         float64        `jsonapi:"attr,payment_method_tax_amount_float"`
	FormattedPaymentMethodTaxAmount     string         `jsonapi:"attr,formatted_payment_method_tax_amount"`
	AdjustmentTaxAmountCents            int64          `jsonapi:"attr,adjustment_tax_amount_cents"`
	AdjustmentTaxAmountFloat            float64        `jsonapi:"attr,adjustment_tax_amount_float"`
	FormattedAdjustmentTaxAmount        string         `jsonapi:"attr,formatted_adjustment_tax_amount"`
	TotalTaxableAmountCents             int64          `jsonapi:"attr,total_taxable_amount_cents"`
	TotalTaxableAmountFloat             float64        `jsonapi:"attr,total_taxable_amount_float"`
	FormattedTotalTaxableAmount         string         `jsonapi:"attr,formatted_total_taxable_amount"`
	SubtotalTaxableAmountCents          int64          `jsonapi:"attr,subtotal_taxable_amount_cents"`
	SubtotalTaxableAmountFloat          float64        `jsonapi:"attr,subtotal_taxable_amount_float"`
	FormattedSubtotalTaxableAmount      string         `jsonapi:"attr,formatted_subtotal_taxable_amount"`
	ShippingTaxableAmountCents          int64          `jsonapi:"attr,shipping_taxable_amount_cents"`
	ShippingTaxableAmountFloat          float64        `jsonapi:"attr,shipping_taxable_amount_float"`
	FormattedShippingTaxableAmount      string         `jsonapi:"attr,formatted_shipping_taxable_amount"`
	PaymentMethodTaxableAmountCents     int64          `jsonapi:"attr,payment_method_taxable_amount_cents"`
	PaymentMethodTaxableAmountFloat     float64        `jsonapi:"attr,payment_method_taxable_amount_float"`
	FormattedPaymentMethodTaxableAmount string         `jsonapi:"attr,formatted_payment_method_taxable_amount"`
	AdjustmentTaxableAmountCents        int64          `jsonapi:"attr,adjustment_taxable_amount_cents"`
	AdjustmentTaxableAmountFloat        float64        `jsonapi:"attr,adjustment_taxable_amount_float"`
	FormattedAdjustmentTaxableAmount    string         `jsonapi:"attr,formatted_adjustment_taxable_amount"`
	FeesAmountCents                     int64          `jsonapi:"attr,fees_amount_cents"`
	FeesAmountFloat                     float64        `jsonapi:"attr,fees_amount_float"`
	FormattedFeesAmount                 string         `jsonapi:"attr,formatted_fees_amount"`
	DutyAmountCents                     int64          `jsonapi:"attr,duty_amount_cents"`
	DutyAmountFloat                     float64        `jsonapi:"attr,duty_amount_float"`
	FormattedDutyAmount                 string         `jsonapi:"attr,formatted_duty_amount"`
	PlaceTotalAmountFloat               *float64       `jsonapi:"attr,place_total_amount_float"`
	FormattedPlaceTotalAmount           *string        `jsonapi:"attr,formatted_place_total_amount"`
	TaxRate                             *float64       `jsonapi:"attr,tax_rate"`
	FreightTaxable                      bool           `jsonapi:"attr,freight_taxable"`
	PaymentMethodTaxable                bool           `jsonapi:"attr,payment_method_taxable"`
	RefundAmountCents                   *int64         `jsonapi:"attr,_refund_amount_cents,omitempty"`
	SkusCount                           int            `jsonapi:"attr,skus_count"`
	ShipmentsCount                      int            `jsonapi:"attr,shipments_count"`
	PlacedAt                            *engine.Time   `jsonapi:"attr,placed_at"`
	ApprovedAt                          *engine.Time   `jsonapi:"attr,approved_at"`
	CancelledAt                         *engine.Time   `jsonapi:"attr,cancelled_at"`
	ArchivedAt                          *engine.Time   `jsonapi:"attr,archived_at"`
	PaymentUpdatedAt                    *engine.Time   `jsonapi:"attr,payment_updated_at"`
	FulfillmentUpdatedAt                *engine.Time   `jsonapi:"attr,fulfillment_updated_at"`
	RefreshedAt                         *engine.Time   `jsonapi:"attr,refreshed_at"`
	ExpiresAt                           *engine.Time   `jsonapi:"attr,expires_at"`
	CheckoutURL                         *string        `jsonapi:"attr,checkout_url"`
	CreatedAt                           engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                           engine.Time    `jsonapi:"attr,updated_at"`
	Reference                           *string        `jsonapi:"attr,reference"`
	ReferenceOrigin                     *string        `jsonapi:"attr,reference_origin"`
	Metadata                            map[string]any `jsonapi:"attr,metadata"`
}

// Roles that run the back office: guests and customers may not send these
// triggers.
var backOffice = []string{models.RoleIntegration}

// ordersInMarkets and cartsInMarkets select what a sales channel reaches.
func ordersInMarkets(p *models.Principal) engine.Condition {
	return engine.Condition{{Column: "market_id", Predicate: engine.In, Values: ids(p.MarketIDs)}}
}

// cartOfGuest is what a guest (a sales channel token without an owner)
// reaches: the draft and pending orders of its markets that no customer
// owns. A customer's order is that customer's and the integrations' only,
// even to a guest who knows its id.
func cartOfGuest(p *models.Principal) []engine.Condition {
	return []engine.Condition{ordersInMarkets(p),
		{{Column: "status", Predicate: engine.In, Values: []any{models.OrderDraft, models.OrderPending}}},
		{{Column: "customer_id", Predicate: engine.Null, Values: []any{true}}}}
}

func ordersOfCustomer(p *models.Principal) []engine.Condition {
	return []engine.Condition{ordersInMarkets(p), {{Column: "customer_id", Predicate: engine.Eq, Values: []any{p.CustomerID}}}}
}

func orderTrigger(run func(c *engine.Call, o *models.Order) error) func(c *engine.Call, o *models.Order, _ json.RawMessage) error {
	return func(c *engine.Call, o *models.Order, _ json.RawMessage) error { return run(c, o) }
}

// cloneAddress is the `_billing_address_clone_id` and
// `_shipping_address_clone_id` triggers: it copies an address the caller
// may see and points the order at the copy.
func cloneAddress(name string, set func(o *models.Order, id string)) func(c *engine.Call, o *models.Order, value json.RawMessage) error {
	return func(c *engine.Call, o *models.Order, value json.RawMessage) error {
		var id string
		if err := json.Unmarshal(value, &id); err != nil || id == "" {
			return errs.New(errs.InvalidFieldValue, "%s must be an address id", name).At(errs.AttributePointer(name))
		}
		if err := c.Visible("addresses", id, errs.AttributePointer(name)); err != nil {
			return err
		}
		clone, err := models.CloneAddress(c.Tx, id, o.CustomerID)
		if err != nil {
			return err
		}
		set(o, clone)
		return nil
	}
}

// orderAction begins a capture or refund of the order (locked by the
// update) and finishes it with the provider once committed; the order's
// payment status moves only when the provider confirms.
func orderAction(begin func(c *engine.Call, o *models.Order) (*models.Transaction, error)) func(c *engine.Call, o *models.Order, _ json.RawMessage) error {
	return func(c *engine.Call, o *models.Order, _ json.RawMessage) error {
		if c.PaymentFlow() == nil {
			return errNoGateways()
		}
		t, err := begin(c, o)
		if err != nil {
			return err
		}
		id := t.ID
		c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Finish(ctx, id) })
		return nil
	}
}

func orders() *engine.Definition {
	return engine.Define(engine.Spec[models.Order, orderResource]{
		Type:        "orders",
		Description: "An order: a cart priced server-side from its market, placed, approved, cancelled or archived with triggers.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Int("number").Filter().Sort(),
			engine.Enum("status", "draft", "pending", "placing", "placed", "editing", "approved", "cancelled").Filter().Sort(),
			engine.Text("payment_status").Filter().Sort(),
			engine.Text("fulfillment_status").Filter().Sort(),
			engine.Bool("guest").Filter(),
			engine.Bool("editable"),
			engine.Text("customer_email").Create().Update().Filter().Sort(),
			engine.Text("language_code").Create().Update().Filter(),
			engine.Text("currency_code").Filter().Sort(),
			engine.Bool("tax_included"),
			engine.Text("country_code").Filter(),
			engine.URL("cart_url").Create().Update(),
			engine.URL("return_url").Create().Update(),
			engine.URL("terms_url").Create().Update(),
			engine.URL("privacy_url").Create().Update(),
			engine.Int("subtotal_amount_cents").Filter().Sort(),
			engine.Number("subtotal_amount_float"),
			engine.Text("formatted_subtotal_amount"),
			// An integration may set these (a merchant's checkout decides
			// them): the value is stored as an override, null clears it;
			// what is shown is always the order's effective amount.
			engine.Int("shipping_amount_cents").Create().Update().Writers(models.RoleIntegration).Column("external_shipping_amount_cents").NullClears().
				Doc("The order's shipping: its shipments' methods, unless an integration set it (then that amount; null returns to the shipments')."),
			engine.Number("shipping_amount_float"),
			engine.Text("formatted_shipping_amount"),
			engine.Int("payment_method_amount_cents"),
			engine.Number("payment_method_amount_float"),
			engine.Text("formatted_payment_method_amount"),
			engine.Int("discount_amount_cents"),
			engine.Number("discount_amount_float"),
			engine.Text("formatted_discount_amount"),
			engine.Int("total_tax_amount_cents").Create().Update().Writers(models.RoleIntegration).Column("external_tax_amount_cents").NullClears().
				Doc("The order's taxes: its market's tax calculator's, unless an integration set them (then that amount, added to the total: the order's prices are net, tax_included false, and the tax parts are 0; null returns to the calculator's)."),
			engine.Number("total_tax_amount_float"),
			engine.Text("formatted_total_tax_amount"),
			engine.Int("total_amount_cents").Filter().Sort(),
			engine.Number("total_amount_float"),
			engine.Text("formatted_total_amount"),
			engine.Int("total_amount_with_taxes_cents").Filter().Sort(),
			engine.Number("total_amount_with_taxes_float"),
			engine.Text("formatted_total_amount_with_taxes"),
			engine.Int("place_total_amount_cents"),
			engine.Int("adjustment_amount_cents"),
			engine.Number("adjustment_amount_float"),
			engine.Text("formatted_adjustment_amount"),
			engine.Int("gift_card_amount_cents"),
			engine.Number("gift_card_amount_float"),
			engine.Text("formatted_gift_card_amount"),
			engine.Int("subtotal_tax_amount_cents"),
			engine.Number("subtotal_tax_amount_float"),
			engine.Text("formatted_subtotal_tax_amount"),
			engine.Int("shipping_tax_amount_cents"),
			engine.Number("shipping_tax_amount_float"),
			engine.Text("formatted_shipping_tax_amount"),
			engine.Int("payment_method_tax_amount_cents"),
			engine.Number("payment_method_tax_amount_float"),
			engine.Text("formatted_payment_method_tax_amount"),
			engine.Int("adjustment_tax_amount_cents"),
			engine.Number("adjustment_tax_amount_float"),
			engine.Text("formatted_adjustment_tax_amount"),
			engine.Int("total_taxable_amount_cents"),
			engine.Number("total_taxable_amount_float"),
			engine.Text("formatted_total_taxable_amount"),
			engine.Int("subtotal_taxable_amount_cents"),
			engine.Number("subtotal_taxable_amount_float"),
			engine.Text("formatted_subtotal_taxable_amount"),
			engine.Int("shipping_taxable_amount_cents"),
			engine.Number("shipping_taxable_amount_float"),
			engine.Text("formatted_shipping_taxable_amount"),
			engine.Int("payment_method_taxable_amount_cents"),
			engine.Number("payment_method_taxable_amount_float"),
			engine.Text("formatted_payment_method_taxable_amount"),
			engine.Int("adjustment_taxable_amount_cents"),
			engine.Number("adjustment_taxable_amount_float"),
			engine.Text("formatted_adjustment_taxable_amount"),
			engine.Int("fees_amount_cents"),
			engine.Number("fees_amount_float"),
			engine.Text("formatted_fees_amount"),
			engine.Int("duty_amount_cents"),
			engine.Number("duty_amount_float"),
			engine.Text("formatted_duty_amount"),
			engine.Number("place_total_amount_float"),
			engine.Text("formatted_place_total_amount"),
			engine.Number("tax_rate").Filter().Sort().Doc("The rate of the tax rule that applies to the order (null: none)."),
			engine.Bool("freight_taxable").Doc("Whether shipping is taxed: set by the tax rule."),
			engine.Bool("payment_method_taxable").Doc("Whether the payment method's price is taxed: set by the tax rule."),
			engine.Int("_refund_amount_cents").Update().WriteOnly().Writers(models.RoleIntegration).Column("refund_amount_cents"),
			engine.Int("skus_count"),
			engine.Int("shipments_count"),
			engine.Timestamp("placed_at").Filter().Sort(),
			engine.Timestamp("approved_at").Filter().Sort(),
			engine.Timestamp("cancelled_at").Filter().Sort(),
			engine.Timestamp("archived_at").Filter().Sort(),
			engine.Timestamp("payment_updated_at").Filter().Sort(),
			engine.Timestamp("fulfillment_updated_at").Filter().Sort(),
			engine.Timestamp("refreshed_at"),
			engine.Timestamp("expires_at").Filter().Sort(),
			engine.URL("checkout_url").Doc("The hosted payment page of the order's latest open checkout session (Kasse's own page)."),
		),
		Render: func(o *models.Order) *orderResource {
			out := &orderResource{
				ID:                        o.ID,
				Number:                    o.Number,
				Status:                    o.Status,
				PaymentStatus:             o.PaymentStatus,
				FulfillmentStatus:         o.FulfillmentStatus,
				Guest:                     o.Guest,
				CustomerEmail:             o.CustomerEmail,
				LanguageCode:              o.LanguageCode,
				CurrencyCode:              o.CurrencyCode,
				TaxIncluded:               o.TaxIncluded,
				CountryCode:               o.CountryCode,
				CartURL:                   o.CartURL,
				ReturnURL:                 o.ReturnURL,
				TermsURL:                  o.TermsURL,
				PrivacyURL:                o.PrivacyURL,
				SubtotalAmountCents:       o.SubtotalAmountCents,
				ShippingAmountCents:       o.ShippingAmountCents,
				PaymentMethodAmountCents:  o.PaymentMethodAmountCents,
				DiscountAmountCents:       o.DiscountAmountCents,
				TotalTaxAmountCents:       o.TotalTaxAmountCents,
				TotalAmountCents:          o.TotalAmountCents,
				TotalAmountWithTaxesCents: o.TotalAmountWithTaxesCents,
				PlaceTotalAmountCents:     o.PlaceTotalAmountCents,
				SkusCount:                 o.SkusCount,
				ShipmentsCount:            o.ShipmentsCount,
				PlacedAt:                  engine.TimeOrNil(o.PlacedAt),
				ApprovedAt:                engine.TimeOrNil(o.ApprovedAt),
				CancelledAt:               engine.TimeOrNil(o.CancelledAt),
				ArchivedAt:                engine.TimeOrNil(o.ArchivedAt),
				PaymentUpdatedAt:          engine.TimeOrNil(o.PaymentUpdatedAt),
				FulfillmentUpdatedAt:      engine.TimeOrNil(o.FulfillmentUpdatedAt),
				RefreshedAt:               engine.TimeOrNil(o.RefreshedAt),
				ExpiresAt:                 engine.TimeOrNil(o.ExpiresAt),
				CreatedAt:                 engine.TimeOf(o.CreatedAt),
				UpdatedAt:                 engine.TimeOf(o.UpdatedAt),
				Reference:                 o.Reference,
				ReferenceOrigin:           o.ReferenceOrigin,
				Metadata:                  engine.ObjectOf(o.Metadata),
			}
			out.Editable = o.Editable() || o.Status == models.OrderEditing
			money := func(cents int64, float *float64, formatted *string) {
				m := o.Money(cents)
				*float, *formatted = m.Float(), m.Formatted()
			}
			money(o.SubtotalAmountCents, &out.SubtotalAmountFloat, &out.FormattedSubtotalAmount)
			money(o.ShippingAmountCents, &out.ShippingAmountFloat, &out.FormattedShippingAmount)
			money(o.PaymentMethodAmountCents, &out.PaymentMethodAmountFloat, &out.FormattedPaymentMethodAmount)
			money(o.DiscountAmountCents, &out.DiscountAmountFloat, &out.FormattedDiscountAmount)
			money(o.TotalTaxAmountCents, &out.TotalTaxAmountFloat, &out.FormattedTotalTaxAmount)
			money(o.TotalAmountCents, &out.TotalAmountFloat, &out.FormattedTotalAmount)
			money(o.TotalAmountWithTaxesCents, &out.TotalAmountWithTaxesFloat, &out.FormattedTotalAmountWithTaxes)
			out.TaxRate, out.FreightTaxable, out.PaymentMethodTaxable = o.TaxRate, o.FreightTaxable, o.PaymentMethodTaxable
			money(out.AdjustmentAmountCents, &out.AdjustmentAmountFloat, &out.FormattedAdjustmentAmount)
			money(out.GiftCardAmountCents, &out.GiftCardAmountFloat, &out.FormattedGiftCardAmount)
			out.SubtotalTaxAmountCents = o.SubtotalTaxAmountCents
			money(out.SubtotalTaxAmountCents, &out.SubtotalTaxAmountFloat, &out.FormattedSubtotalTaxAmount)
			out.ShippingTaxAmountCents = o.ShippingTaxAmountCents
			money(out.ShippingTaxAmountCents, &out.ShippingTaxAmountFloat, &out.FormattedShippingTaxAmount)
			out.PaymentMethodTaxAmountCents = o.PaymentMethodTaxAmountCents
			money(out.PaymentMethodTaxAmountCents, &out.PaymentMethodTaxAmountFloat, &out.FormattedPaymentMethodTaxAmount)
			money(out.AdjustmentTaxAmountCents, &out.AdjustmentTaxAmountFloat, &out.FormattedAdjustmentTaxAmount)
			out.TotalTaxableAmountCents = o.TotalTaxableAmountCents
			money(out.TotalTaxableAmountCents, &out.TotalTaxableAmountFloat, &out.FormattedTotalTaxableAmount)
			out.SubtotalTaxableAmountCents = o.SubtotalTaxableAmountCents
			money(out.SubtotalTaxableAmountCents, &out.SubtotalTaxableAmountFloat, &out.FormattedSubtotalTaxableAmount)
			out.ShippingTaxableAmountCents = o.ShippingTaxableAmountCents
			money(out.ShippingTaxableAmountCents, &out.ShippingTaxableAmountFloat, &out.FormattedShippingTaxableAmount)
			out.PaymentMethodTaxableAmountCents = o.PaymentMethodTaxableAmountCents
			money(out.PaymentMethodTaxableAmountCents, &out.PaymentMethodTaxableAmountFloat, &out.FormattedPaymentMethodTaxableAmount)
			money(out.AdjustmentTaxableAmountCents, &out.AdjustmentTaxableAmountFloat, &out.FormattedAdjustmentTaxableAmount)
			money(out.FeesAmountCents, &out.FeesAmountFloat, &out.FormattedFeesAmount)
			money(out.DutyAmountCents, &out.DutyAmountFloat, &out.FormattedDutyAmount)
			if o.PlaceTotalAmountCents != nil {
				f, s := o.Money(*o.PlaceTotalAmountCents).Float(), o.Money(*o.PlaceTotalAmountCents).Formatted()
				out.PlaceTotalAmountFloat, out.FormattedPlaceTotalAmount = &f, &s
			}
			return out
		},
		Links: func(o *models.Order, out *orderResource, base string) {
			if o.CheckoutToken != nil {
				u := base + models.CheckoutPath(*o.CheckoutToken)
				out.CheckoutURL = &u
			}
		},
		Relationships: []engine.Relationship{
			{Name: "market", Target: "markets", ForeignKey: "market_id", Create: true},
			{Name: "customer", Target: "customers", ForeignKey: "customer_id", Create: true, Update: true},
			{Name: "shipping_address", Target: "addresses", ForeignKey: "shipping_address_id", Create: true, Update: true},
			{Name: "billing_address", Target: "addresses", ForeignKey: "billing_address_id", Create: true, Update: true},
			{Name: "available_payment_methods", Target: "payment_methods", ToMany: true, Where: func(parent any) []engine.Condition {
				o := parent.(*models.Order)
				return []engine.Condition{
					{{Column: "disabled_at", Predicate: engine.Null, Values: []any{true}}},
					{{Column: "market_id", Predicate: engine.Eq, Values: []any{o.MarketID}}, {Column: "market_id", Predicate: engine.Null, Values: []any{true}}},
					{{Column: "currency_code", Predicate: engine.Eq, Values: []any{o.CurrencyCode}}, {Column: "currency_code", Predicate: engine.Null, Values: []any{true}}},
				}
			}},
			{Name: "payment_method", Target: "payment_methods", ForeignKey: "payment_method_id", Create: true, Update: true},
			{Name: "line_items", Target: "line_items", ToMany: true, InverseKey: "order_id"},
			{Name: "payment_source", Polymorphic: models.SourceKinds, TypeColumn: "payment_source_type", ForeignKey: "payment_source_id"},
			{Name: "transactions", Target: "transactions", ToMany: true, InverseKey: "order_id"},
			{Name: "authorizations", Target: "authorizations", ToMany: true, InverseKey: "order_id"},
			{Name: "captures", Target: "captures", ToMany: true, InverseKey: "order_id"},
			{Name: "voids", Target: "voids", ToMany: true, InverseKey: "order_id"},
			{Name: "refunds", Target: "refunds", ToMany: true, InverseKey: "order_id"},
			{Name: "shipments", Target: "shipments", ToMany: true, InverseKey: "order_id"},
			{Name: "default_shipping_method", Target: "shipping_methods", Where: defaultShippingMethod},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(cartOfGuest, engine.Retrieve, engine.Update)),
			models.RoleCustomer:     engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(ordersOfCustomer, engine.List, engine.Retrieve, engine.Update)),
		},
		Stamp: func(p *models.Principal, o *models.Order) {
			if p.Role != models.RoleIntegration && len(p.MarketIDs) > 0 {
				o.MarketID = p.MarketIDs[0]
			}
			if p.Role == models.RoleCustomer {
				o.CustomerID = &p.CustomerID
			}
		},
		// Triggers run in this order when a body sends several.
		Triggers: []engine.Trigger[models.Order]{
			{Name: "_billing_address_clone_id", Type: engine.String, OnCreate: true, Description: "The id of the address you want to clone to create the order's billing address.",
				Run: cloneAddress("_billing_address_clone_id", func(o *models.Order, id string) { o.BillingAddressID = &id })},
			{Name: "_shipping_address_clone_id", Type: engine.String, OnCreate: true, Description: "The id of the address you want to clone to create the order's shipping address.",
				Run: cloneAddress("_shipping_address_clone_id", func(o *models.Order, id string) { o.ShippingAddressID = &id })},
			{Name: "_shipping_address_same_as_billing", OnCreate: true, Description: "Send this attribute if you want the shipping address to be cloned from the order's billing address.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.ShipToBilling(c.Tx) })},
			{Name: "_billing_address_same_as_shipping", OnCreate: true, Description: "Send this attribute if you want the billing address to be cloned from the order's shipping address.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.BillToShipping(c.Tx) })},
			{Name: "_refresh", Description: "Send this attribute if you want to refresh all the prices of a draft or pending order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Refresh(c.Tx) })},
			{Name: "_update_taxes", Description: "Send this attribute if you want to force tax calculation for this order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.UpdateTaxes(c.Tx) })},
			{Name: "_pending", Writers: backOffice, Description: "Send this attribute if you want to move a draft order to pending: it needs an email and an item (a 422 says which is missing). Cannot be passed by sales channels.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Pending(c.Tx) })},
			{Name: "_refresh_prices", Writers: backOffice, Description: "Send this attribute if you want to refresh the prices of the line items associated to this order (a cart, or an order being edited) from its market's price list; external prices are kept. Cannot be passed by sales channels.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.RefreshPrices(c.Tx) })},
			{Name: "_nullify_payment_source", Description: "Send this attribute if you want to nullify the payment source for this order (a cart): an authorization it holds is voided.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error {
					voidID, err := o.NullifyPaymentSource(c.Tx)
					if voidID != "" {
						c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Release(ctx, voidID) })
					}
					return err
				})},
			{Name: "_save_billing_address_to_customer_address_book", Description: "Send this attribute if you want the order's billing address to be saved in the customer's address book as a customer address (when the order is placed, unless the book has it already).",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.SaveBillingAddress(c.Tx) })},
			{Name: "_save_shipping_address_to_customer_address_book", Description: "Send this attribute if you want the order's shipping address to be saved in the customer's address book as a customer address (when the order is placed, unless the book has it already).",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.SaveShippingAddress(c.Tx) })},
			{Name: "_authorize", Description: "Send this attribute if you want to authorize the order's payment source (a cart's, made for its current total), as its own _authorize does.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error {
					if c.PaymentFlow() == nil {
						return errNoGateways()
					}
					ps, err := o.AuthorizeSource(c.Tx)
					if err != nil {
						return err
					}
					authorizeAfterCommit(c, ps)
					return nil
				})},
			{Name: "_validate", Description: "Send this attribute if you want to check the order can be placed, without placing it: a 422 lists every unmet precondition of _place.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Validate(c.Tx, c.Payments()) })},
			{Name: "_place", Description: "Send this attribute if you want to place the order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Place(c.Tx, c.Payments()) })},
			{Name: "_cancel", Writers: backOffice, Description: "Send this attribute if you want to cancel a placed order; the payment is voided.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error {
					voidID, err := o.Cancel(c.Tx, c.Payments())
					if voidID != "" {
						c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Finish(ctx, voidID) })
					}
					return err
				})},
			{Name: "_approve", Writers: backOffice, Description: "Send this attribute if you want to approve a placed order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Approve(c.Tx) })},
			{Name: "_capture", Writers: backOffice, Description: "Send this attribute to capture the order's authorized payment.",
				Run: orderAction(func(c *engine.Call, o *models.Order) (*models.Transaction, error) {
					return models.BeginCapture(c.Tx, o, nil, 0)
				})},
			{Name: "_approve_and_capture", Writers: backOffice, Description: "Send this attribute to approve the order and capture its payment.",
				Run: orderAction(func(c *engine.Call, o *models.Order) (*models.Transaction, error) {
					if err := o.Approve(c.Tx); err != nil {
						return nil, err
					}
					return models.BeginCapture(c.Tx, o, nil, 0)
				})},
			{Name: "_refund", Writers: backOffice, Description: "Send this attribute to refund the order's captured payment: all of it, or _refund_amount_cents. A full refund cancels the order.",
				Run: orderAction(func(c *engine.Call, o *models.Order) (*models.Transaction, error) {
					return models.BeginRefund(c.Tx, o, nil, amountOf(o.RefundAmountCents))
				})},
			{Name: "_fulfill", Writers: backOffice, Description: "Send this attribute if you want to mark as fulfilled the order (paid; shipments must be cancelled, shipped or delivered, alternatively order must be approved: its shipments are then marked shipped). Cannot be passed by sales channels.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Fulfill(c.Tx) })},
			{Name: "_start_editing", Writers: backOffice, Description: "Send this attribute if you want to edit the order after it is placed (authorized, not yet fulfilled): its line items may then change. Remember you cannot exceed the original total amount. Cannot be passed by sales channels.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.StartEditing(c.Tx) })},
			{Name: "_stop_editing", Writers: backOffice, Description: "Send this attribute to stop the editing for the order and return back to placed status. Cannot be passed by sales channels.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.StopEditing(c.Tx) })},
			{Name: "_archive", Writers: backOffice, Description: "Send this attribute if you want to archive the order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Archive(c.Tx) })},
			{Name: "_unarchive", Writers: backOffice, Description: "Send this attribute if you want to unarchive the order.",
				Run: orderTrigger(func(c *engine.Call, o *models.Order) error { return o.Unarchive(c.Tx) })},
		},
	})
}
