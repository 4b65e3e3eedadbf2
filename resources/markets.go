package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// marketResource is a market on the wire.
type marketResource struct {
	ID                         string         `jsonapi:"primary,markets"`
	Number                     int            `jsonapi:"attr,number"`
	Name                       string         `jsonapi:"attr,name"`
	Code                       *string        `jsonapi:"attr,code"`
	FacebookPixelID            *string        `jsonapi:"attr,facebook_pixel_id"`
	CheckoutURL                *string        `jsonapi:"attr,checkout_url"`
	ExternalPricesURL          *string        `jsonapi:"attr,external_prices_url"`
	ExternalOrderValidationURL *string        `jsonapi:"attr,external_order_validation_url"`
	Private                    bool           `jsonapi:"attr,private"`
	ShippingCostCutoff         *int64         `jsonapi:"attr,shipping_cost_cutoff"`
	DisabledAt                 *engine.Time   `jsonapi:"attr,disabled_at"`
	SharedSecret               *string        `jsonapi:"attr,shared_secret"`
	ExternalIncludes           []any          `jsonapi:"attr,external_includes"`
	CreatedAt                  engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                  engine.Time    `jsonapi:"attr,updated_at"`
	Reference                  *string        `jsonapi:"attr,reference"`
	ReferenceOrigin            *string        `jsonapi:"attr,reference_origin"`
	Metadata                   map[string]any `jsonapi:"attr,metadata"`
}

// tokenMarkets selects the markets in the token's scope.
func tokenMarkets(p *models.Principal) []engine.Condition {
	return []engine.Condition{{{Column: "id", Predicate: engine.In, Values: ids(p.MarketIDs)}}}
}

func markets() *engine.Definition {
	return engine.Define(engine.Spec[models.Market, marketResource]{
		Type:        "markets",
		Description: "A market sells from one price list, in its currency.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Int("number"),
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Text("code").Create().Update().Filter().Sort(),
			engine.Text("facebook_pixel_id").Create().Update(),
			engine.URL("checkout_url").Create().Update(),
			engine.URL("external_prices_url").Create().Update(),
			engine.URL("external_order_validation_url").Create().Update(),
			engine.Bool("private"),
			engine.Int("shipping_cost_cutoff").Create().Update(),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Text("shared_secret").Readers().Doc("Integrations only: the secret a market signs its external requests with; null for other tokens."),
			engine.JSONArray("external_includes").Create().Update(),
		),
		Render: func(m *models.Market) *marketResource {
			return &marketResource{
				ID:                         m.ID,
				Number:                     m.Number,
				Name:                       m.Name,
				Code:                       m.Code,
				FacebookPixelID:            m.FacebookPixelID,
				CheckoutURL:                m.CheckoutURL,
				ExternalPricesURL:          m.ExternalPricesURL,
				ExternalOrderValidationURL: m.ExternalOrderValidationURL,
				Private:                    m.Private,
				ShippingCostCutoff:         m.ShippingCostCutoff,
				DisabledAt:                 engine.TimeOrNil(m.DisabledAt),
				SharedSecret:               &m.SharedSecret,
				ExternalIncludes:           engine.ArrayOf(m.ExternalIncludes),
				CreatedAt:                  engine.TimeOf(m.CreatedAt),
				UpdatedAt:                  engine.TimeOf(m.UpdatedAt),
				Reference:                  m.Reference,
				ReferenceOrigin:            m.ReferenceOrigin,
				Metadata:                   engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "price_list", Target: "price_lists", ForeignKey: "price_list_id", Create: true, Update: true, Required: true},
			{Name: "default_shipping_method", Target: "shipping_methods", ForeignKey: "default_shipping_method_id", Create: true, Update: true},
			{Name: "tax_calculator", Target: "tax_calculators", ForeignKey: "tax_calculator_id", Create: true, Update: true, Accepts: []string{"manual_tax_calculators"}},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(tokenMarkets, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(tokenMarkets, engine.Retrieve),
		},
		Triggers: []engine.Trigger[models.Market]{
			{Name: "_disable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as disabled.",
				Run: func(c *engine.Call, m *models.Market, _ json.RawMessage) error { return m.Disable(c.Tx) }},
			{Name: "_enable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as enabled.",
				Run: func(c *engine.Call, m *models.Market, _ json.RawMessage) error { return m.Enable(c.Tx) }},
		},
	})
}
