package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// paymentMethodResource is a payment method on the wire.
type paymentMethodResource struct {
	ID                            string         `jsonapi:"primary,payment_methods"`
	Name                          *string        `jsonapi:"attr,name"`
	PaymentSourceType             string         `jsonapi:"attr,payment_source_type"`
	CurrencyCode                  *string        `jsonapi:"attr,currency_code"`
	Moto                          bool           `jsonapi:"attr,moto"`
	RequireCapture                bool           `jsonapi:"attr,require_capture"`
	AutoPlace                     bool           `jsonapi:"attr,auto_place"`
	AutoCapture                   bool           `jsonapi:"attr,auto_capture"`
	PriceAmountCents              int64          `jsonapi:"attr,price_amount_cents"`
	PriceAmountFloat              float64        `jsonapi:"attr,price_amount_float"`
	FormattedPriceAmount          string         `jsonapi:"attr,formatted_price_amount"`
	AutoCaptureMaxAmountCents     *int64         `jsonapi:"attr,auto_capture_max_amount_cents"`
	AutoCaptureMaxAmountFloat     *float64       `jsonapi:"attr,auto_capture_max_amount_float"`
	FormattedAutoCaptureMaxAmount *string        `jsonapi:"attr,formatted_auto_capture_max_amount"`
	DisabledAt                    *engine.Time   `jsonapi:"attr,disabled_at"`
	PaymentMethodType             string         `jsonapi:"attr,payment_method_type"`
	MinAmountCents                *int64         `jsonapi:"attr,min_amount_cents"`
	MaxAmountCents                *int64         `jsonapi:"attr,max_amount_cents"`
	RoutingPriority               int            `jsonapi:"attr,routing_priority"`
	FeeFixedCents                 int64          `jsonapi:"attr,fee_fixed_cents"`
	FeePercentage                 float64        `jsonapi:"attr,fee_percentage"`
	CreatedAt                     engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                     engine.Time    `jsonapi:"attr,updated_at"`
	Reference                     *string        `jsonapi:"attr,reference"`
	ReferenceOrigin               *string        `jsonapi:"attr,reference_origin"`
	Metadata                      map[string]any `jsonapi:"attr,metadata"`
}

// paymentMethodsOfMarkets selects the payment methods of the token's
// markets, and those of no market.
func paymentMethodsOfMarkets(p *models.Principal) []engine.Condition {
	return []engine.Condition{{
		{Column: "market_id", Predicate: engine.In, Values: ids(p.MarketIDs)},
		{Column: "market_id", Predicate: engine.Null, Values: []any{true}},
	}}
}

func paymentMethods() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentMethod, paymentMethodResource]{
		Type:        "payment_methods",
		Description: "A payment method is a way to pay in a market: a payment source type, a currency and a price.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Filter().Sort(),
			engine.Text("payment_source_type").Create().Update().Required().Filter().Sort(),
			engine.Text("currency_code").Create().Update().Filter().Sort(),
			engine.Bool("moto").Create().Update().Filter(),
			engine.Bool("require_capture").Create().Update().Filter(),
			engine.Bool("auto_place").Create().Update().Filter(),
			engine.Bool("auto_capture").Create().Update().Filter(),
			engine.Int("price_amount_cents").Create().Update().Required().Filter().Sort(),
			engine.Number("price_amount_float"),
			engine.Text("formatted_price_amount"),
			engine.Int("auto_capture_max_amount_cents").Create().Update(),
			engine.Number("auto_capture_max_amount_float"),
			engine.Text("formatted_auto_capture_max_amount"),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Enum("payment_method_type", models.PaymentMethodTypes...).Create().Update().Filter().Doc("Kasse extension: the kind of payment the method takes (card, mobile_money, bank_transfer); its gateway must support it."),
			engine.Int("min_amount_cents").Create().Update().Doc("Kasse extension: routing skips the method below this amount."),
			engine.Int("max_amount_cents").Create().Update().Doc("Kasse extension: routing skips the method above this amount."),
			engine.Int("routing_priority").Create().Update().Sort().Doc("Kasse extension: among equal scores, higher goes first."),
			engine.Int("fee_fixed_cents").Create().Update().Doc("Kasse extension: the fixed part of the method's fee."),
			engine.Number("fee_percentage").Create().Update().Doc("Kasse extension: the percentage part of the fee (0.5 is 0.5 %), rounded half up."),
		),
		Render: func(pm *models.PaymentMethod) *paymentMethodResource {
			out := &paymentMethodResource{
				ID:                        pm.ID,
				Name:                      pm.Name,
				PaymentSourceType:         pm.PaymentSourceType,
				CurrencyCode:              pm.CurrencyCode,
				Moto:                      pm.Moto,
				RequireCapture:            pm.RequireCapture,
				AutoPlace:                 pm.AutoPlace,
				AutoCapture:               pm.AutoCapture,
				PriceAmountCents:          pm.PriceAmountCents,
				AutoCaptureMaxAmountCents: pm.AutoCaptureMaxAmountCents,
				DisabledAt:                engine.TimeOrNil(pm.DisabledAt),
				PaymentMethodType:         pm.PaymentMethodType,
				MinAmountCents:            pm.MinAmountCents,
				MaxAmountCents:            pm.MaxAmountCents,
				RoutingPriority:           pm.RoutingPriority,
				FeeFixedCents:             pm.FeeFixedCents,
				FeePercentage:             pm.FeePercentage,
				CreatedAt:                 engine.TimeOf(pm.CreatedAt),
				UpdatedAt:                 engine.TimeOf(pm.UpdatedAt),
				Reference:                 pm.Reference,
				ReferenceOrigin:           pm.ReferenceOrigin,
				Metadata:                  engine.ObjectOf(pm.Metadata),
			}
			currency := ""
			if pm.CurrencyCode != nil {
				currency = *pm.CurrencyCode
			}
			price := models.Money{Cents: pm.PriceAmountCents, Currency: currency}
			out.PriceAmountFloat, out.FormattedPriceAmount = price.Float(), price.Formatted()
			if pm.AutoCaptureMaxAmountCents != nil {
				m := models.Money{Cents: *pm.AutoCaptureMaxAmountCents, Currency: currency}
				f, s := m.Float(), m.Formatted()
				out.AutoCaptureMaxAmountFloat, out.FormattedAutoCaptureMaxAmount = &f, &s
			}
			return out
		},
		Relationships: []engine.Relationship{
			{Name: "market", Target: "markets", ForeignKey: "market_id", Create: true, Update: true},
			{Name: "payment_gateway", Target: "payment_gateways", ForeignKey: "payment_gateway_id", Create: true, Update: true,
				Accepts: []string{"checkout_com_gateways", "stripe_gateways", "manual_gateways", "sandbox_gateways"}},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(paymentMethodsOfMarkets, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(paymentMethodsOfMarkets, engine.Retrieve),
		},
		Triggers: []engine.Trigger[models.PaymentMethod]{
			{Name: "_disable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as disabled.",
				Run: func(c *engine.Call, pm *models.PaymentMethod, _ json.RawMessage) error { return pm.Disable(c.Tx) }},
			{Name: "_enable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as enabled.",
				Run: func(c *engine.Call, pm *models.PaymentMethod, _ json.RawMessage) error { return pm.Enable(c.Tx) }},
		},
	})
}
