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
	Name                       string         `jsonapi:"attr,name" kasse:"create,update,required,filter,sort"`
	Code                       *string        `jsonapi:"attr,code" kasse:"create,update,filter,sort"`
	FacebookPixelID            *string        `jsonapi:"attr,facebook_pixel_id" kasse:"create,update"`
	CheckoutURL                *string        `jsonapi:"attr,checkout_url" kasse:"create,update"`
	ExternalPricesURL          *string        `jsonapi:"attr,external_prices_url" kasse:"create,update"`
	ExternalOrderValidationURL *string        `jsonapi:"attr,external_order_validation_url" kasse:"create,update"`
	Private                    bool           `jsonapi:"attr,private"`
	ShippingCostCutoff         *int64         `jsonapi:"attr,shipping_cost_cutoff" kasse:"create,update"`
	DisabledAt                 *engine.Time   `jsonapi:"attr,disabled_at" kasse:"filter,sort"`
	SharedSecret               string         `jsonapi:"attr,shared_secret"`
	ExternalIncludes           []any          `jsonapi:"attr,external_includes" kasse:"create,update"`
	CreatedAt                  engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt                  engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference                  *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin            *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata                   map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
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
		Relationships: []engine.Relationship{
			{Name: "price_list", Target: "price_lists", ForeignKey: "price_list_id", Create: true, Update: true, Required: true},
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
