package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// shippingMethodResource is a shipping method on the wire.
type shippingMethodResource struct {
	ID                              string         `jsonapi:"primary,shipping_methods"`
	Name                            string         `jsonapi:"attr,name"`
	Scheme                          string         `jsonapi:"attr,scheme"`
	CurrencyCode                    *string        `jsonapi:"attr,currency_code"`
	PriceAmountCents                int64          `jsonapi:"attr,price_amount_cents"`
	PriceAmountFloat                float64        `jsonapi:"attr,price_amount_float"`
	FormattedPriceAmount            string         `jsonapi:"attr,formatted_price_amount"`
	FreeOverAmountCents             *int64         `jsonapi:"attr,free_over_amount_cents"`
	FreeOverAmountFloat             *float64       `jsonapi:"attr,free_over_amount_float"`
	FormattedFreeOverAmount         *string        `jsonapi:"attr,formatted_free_over_amount"`
	UseSubtotal                     bool           `jsonapi:"attr,use_subtotal"`
	PriceAmountForShipmentCents     int64          `jsonapi:"attr,price_amount_for_shipment_cents"`
	PriceAmountForShipmentFloat     float64        `jsonapi:"attr,price_amount_for_shipment_float"`
	FormattedPriceAmountForShipment string         `jsonapi:"attr,formatted_price_amount_for_shipment"`
	DisabledAt                      *engine.Time   `jsonapi:"attr,disabled_at"`
	CreatedAt                       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                       engine.Time    `jsonapi:"attr,updated_at"`
	Reference                       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin                 *string        `jsonapi:"attr,reference_origin"`
	Metadata                        map[string]any `jsonapi:"attr,metadata"`
}

// moneyOf is an amount's `*_float` and `formatted_*` in currency.
func moneyOf(cents int64, currency string) (float64, string) {
	m := models.Money{Cents: cents, Currency: currency}
	return m.Float(), m.Formatted()
}

// optionalMoneyOf is moneyOf for a nullable amount.
func optionalMoneyOf(cents *int64, currency string) (*float64, *string) {
	if cents == nil {
		return nil, nil
	}
	f, s := moneyOf(*cents, currency)
	return &f, &s
}

func shippingMethods() *engine.Definition {
	return engine.Define(engine.Spec[models.ShippingMethod, shippingMethodResource]{
		Type:        "shipping_methods",
		Description: "A shipping method is a way to ship in a market: a flat price, free when the order reaches an amount.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Enum("scheme", "flat").Create().Update().Filter().Sort(),
			engine.Text("currency_code").Create().Update().Filter().Sort().Doc("Required unless the shipping method has a market, whose currency it then takes."),
			engine.Int("price_amount_cents").Create().Update().Required().Filter().Sort(),
			engine.Number("price_amount_float"),
			engine.Text("formatted_price_amount"),
			engine.Int("free_over_amount_cents").Create().Update().Filter().Sort().Doc("Shipping is free when the order's amount is at least this."),
			engine.Number("free_over_amount_float"),
			engine.Text("formatted_free_over_amount"),
			engine.Bool("use_subtotal").Create().Update(),
			engine.Int("price_amount_for_shipment_cents").Doc("The price a shipment pays before free_over_amount_cents applies: the shipment's cost_amount_cents is what it pays."),
			engine.Number("price_amount_for_shipment_float"),
			engine.Text("formatted_price_amount_for_shipment"),
			engine.Timestamp("disabled_at").Filter().Sort(),
		),
		Render: func(sm *models.ShippingMethod) *shippingMethodResource {
			currency := deref(sm.CurrencyCode)
			out := &shippingMethodResource{
				ID:                          sm.ID,
				Name:                        sm.Name,
				Scheme:                      sm.Scheme,
				CurrencyCode:                sm.CurrencyCode,
				PriceAmountCents:            sm.PriceAmountCents,
				FreeOverAmountCents:         sm.FreeOverAmountCents,
				UseSubtotal:                 sm.UseSubtotal,
				PriceAmountForShipmentCents: sm.PriceAmountCents,
				DisabledAt:                  engine.TimeOrNil(sm.DisabledAt),
				CreatedAt:                   engine.TimeOf(sm.CreatedAt),
				UpdatedAt:                   engine.TimeOf(sm.UpdatedAt),
				Reference:                   sm.Reference,
				ReferenceOrigin:             sm.ReferenceOrigin,
				Metadata:                    engine.ObjectOf(sm.Metadata),
			}
			out.PriceAmountFloat, out.FormattedPriceAmount = moneyOf(sm.PriceAmountCents, currency)
			out.PriceAmountForShipmentFloat, out.FormattedPriceAmountForShipment = moneyOf(sm.PriceAmountCents, currency)
			out.FreeOverAmountFloat, out.FormattedFreeOverAmount = optionalMoneyOf(sm.FreeOverAmountCents, currency)
			return out
		},
		Relationships: []engine.Relationship{
			{Name: "market", Target: "markets", ForeignKey: "market_id", Create: true, Update: true},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(paymentMethodsOfMarkets, engine.List, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(paymentMethodsOfMarkets, engine.List, engine.Retrieve),
		},
		Triggers: []engine.Trigger[models.ShippingMethod]{
			{Name: "_disable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as disabled.",
				Run: func(c *engine.Call, sm *models.ShippingMethod, _ json.RawMessage) error { return sm.Disable(c.Tx) }},
			{Name: "_enable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as enabled.",
				Run: func(c *engine.Call, sm *models.ShippingMethod, _ json.RawMessage) error { return sm.Enable(c.Tx) }},
		},
	})
}

// shipmentResource is a shipment on the wire.
type shipmentResource struct {
	ID                  string         `jsonapi:"primary,shipments"`
	Number              string         `jsonapi:"attr,number"`
	Status              string         `jsonapi:"attr,status"`
	CurrencyCode        string         `jsonapi:"attr,currency_code"`
	CostAmountCents     int64          `jsonapi:"attr,cost_amount_cents"`
	CostAmountFloat     float64        `jsonapi:"attr,cost_amount_float"`
	FormattedCostAmount string         `jsonapi:"attr,formatted_cost_amount"`
	SkusCount           int            `jsonapi:"attr,skus_count"`
	CreatedAt           engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt           engine.Time    `jsonapi:"attr,updated_at"`
	Reference           *string        `jsonapi:"attr,reference"`
	ReferenceOrigin     *string        `jsonapi:"attr,reference_origin"`
	Metadata            map[string]any `jsonapi:"attr,metadata"`
}

// shipmentMove is a back-office trigger moving a shipment to status.
func shipmentMove(name, status, description string) engine.Trigger[models.Shipment] {
	return engine.Trigger[models.Shipment]{Name: name, Writers: backOffice, Description: description,
		Run: func(c *engine.Call, s *models.Shipment, _ json.RawMessage) error { return s.MoveTo(c.Tx, status) }}
}

func shipments() *engine.Definition {
	return engine.Define(engine.Spec[models.Shipment, shipmentResource]{
		Type:        "shipments",
		Description: "A shipment is what ships of an order: made for an order with shippable items, it ships with the shipping method chosen for it.",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
		Attributes: base(
			engine.Text("number").Filter().Sort(),
			engine.Enum("status", models.ShipmentStatuses...).Filter().Sort(),
			engine.Text("currency_code").Filter(),
			engine.Int("cost_amount_cents").Filter().Sort().Doc("What the shipment pays for its shipping method: its price, or 0 over the method's free_over_amount_cents."),
			engine.Number("cost_amount_float"),
			engine.Text("formatted_cost_amount"),
			engine.Int("skus_count"),
		),
		Render: func(s *models.Shipment) *shipmentResource {
			out := &shipmentResource{
				ID:              s.ID,
				Number:          s.Number,
				Status:          s.Status,
				CurrencyCode:    s.CurrencyCode,
				CostAmountCents: s.CostAmountCents,
				SkusCount:       s.SkusCount,
				CreatedAt:       engine.TimeOf(s.CreatedAt),
				UpdatedAt:       engine.TimeOf(s.UpdatedAt),
				Reference:       s.Reference,
				ReferenceOrigin: s.ReferenceOrigin,
				Metadata:        engine.ObjectOf(s.Metadata),
			}
			out.CostAmountFloat, out.FormattedCostAmount = moneyOf(s.CostAmountCents, s.CurrencyCode)
			return out
		},
		ParentOrder: "order_id",
		Relationships: []engine.Relationship{
			{Name: "order", Target: "orders", ForeignKey: "order_id"},
			{Name: "shipping_method", Target: "shipping_methods", ForeignKey: "shipping_method_id", Update: true},
			{Name: "stock_location", Target: "stock_locations", ForeignKey: "stock_location_id"},
			{Name: "available_shipping_methods", Target: "shipping_methods", ToMany: true, Where: func(parent any) []engine.Condition {
				s := parent.(*models.Shipment)
				return []engine.Condition{
					{{Column: "disabled_at", Predicate: engine.Null, Values: []any{true}}},
					{{Column: "market_id", Predicate: engine.Eq, Values: []any{s.MarketID}}, {Column: "market_id", Predicate: engine.Null, Values: []any{true}}},
					{{Column: "currency_code", Predicate: engine.Eq, Values: []any{s.CurrencyCode}}},
				}
			}},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(throughOrder(cartOfGuest), engine.Retrieve, engine.Update),
			models.RoleCustomer:     engine.AllowScoped(throughOrder(ordersOfCustomer), engine.List, engine.Retrieve, engine.Update),
		},
		Triggers: []engine.Trigger[models.Shipment]{
			shipmentMove("_on_hold", models.ShipmentOnHold, "Send this attribute if you want to put this shipment on hold."),
			shipmentMove("_picking", models.ShipmentPicking, "Send this attribute if you want to start picking this shipment."),
			shipmentMove("_packing", models.ShipmentPacking, "Send this attribute if you want to start packing this shipment."),
			shipmentMove("_ready_to_ship", models.ShipmentReadyToShip, "Send this attribute if you want to mark this shipment as ready to ship."),
			shipmentMove("_ship", models.ShipmentShipped, "Send this attribute if you want to mark this shipment as shipped."),
			shipmentMove("_deliver", models.ShipmentDelivered, "Send this attribute if you want to mark this shipment as delivered."),
		},
	})
}

// defaultShippingMethod is an order's default_shipping_method: its
// market's.
func defaultShippingMethod(parent any) []engine.Condition {
	o := parent.(*models.Order)
	return []engine.Condition{{{Path: []engine.Hop{{Table: "markets", LocalKey: "id", RemoteKey: "default_shipping_method_id"}}, Column: "id", Predicate: engine.Eq, Values: []any{o.MarketID}}}}
}
