package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// paymentMethodResource is a payment method on the wire.
type paymentMethodResource struct {
	ID                            string         `jsonapi:"primary,payment_methods"`
	Name                          *string        `jsonapi:"attr,name" kasse:"create,update,filter,sort"`
	PaymentSourceType             string         `jsonapi:"attr,payment_source_type" kasse:"create,update,required,filter,sort"`
	CurrencyCode                  *string        `jsonapi:"attr,currency_code" kasse:"create,update,filter,sort"`
	Moto                          bool           `jsonapi:"attr,moto" kasse:"create,update,filter"`
	RequireCapture                bool           `jsonapi:"attr,require_capture" kasse:"create,update,filter"`
	AutoPlace                     bool           `jsonapi:"attr,auto_place" kasse:"create,update,filter"`
	AutoCapture                   bool           `jsonapi:"attr,auto_capture" kasse:"create,update,filter"`
	PriceAmountCents              int64          `jsonapi:"attr,price_amount_cents" kasse:"create,update,required,filter,sort"`
	PriceAmountFloat              float64        `jsonapi:"attr,price_amount_float"`
	FormattedPriceAmount          string         `jsonapi:"attr,formatted_price_amount"`
	AutoCaptureMaxAmountCents     *int64         `jsonapi:"attr,auto_capture_max_amount_cents" kasse:"create,update"`
	AutoCaptureMaxAmountFloat     *float64       `jsonapi:"attr,auto_capture_max_amount_float"`
	FormattedAutoCaptureMaxAmount *string        `jsonapi:"attr,formatted_auto_capture_max_amount"`
	DisabledAt                    *engine.Time   `jsonapi:"attr,disabled_at" kasse:"filter,sort"`
	CreatedAt                     engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt                     engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference                     *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin               *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata                      map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
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
		Derive: func(pm *models.PaymentMethod, out *paymentMethodResource) {
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
		},
	})
}
