package resources

import (
	"kasse/engine"
	"kasse/models"
)

// priceListResource is a price list on the wire.
type priceListResource struct {
	ID              string         `jsonapi:"primary,price_lists"`
	Name            string         `jsonapi:"attr,name"`
	Code            *string        `jsonapi:"attr,code"`
	CurrencyCode    string         `jsonapi:"attr,currency_code"`
	TaxIncluded     bool           `jsonapi:"attr,tax_included"`
	Rules           map[string]any `jsonapi:"attr,rules"`
	RuleOutcomes    map[string]any `jsonapi:"attr,rule_outcomes"`
	ResourcePayload map[string]any `jsonapi:"attr,resource_payload"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

func priceLists() *engine.Definition {
	return engine.Define(engine.Spec[models.PriceList, priceListResource]{
		Type:        "price_lists",
		Description: "A price list holds the prices of SKUs in one currency.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Text("code").Create().Update().Filter().Sort(),
			engine.Text("currency_code").Create().Update().Required().Filter().Sort(),
			engine.Bool("tax_included").Create().Update().Filter().Sort(),
			engine.JSONObject("rules").Create().Update(),
			engine.JSONObject("rule_outcomes"),
			engine.JSONObject("resource_payload"),
		),
		Render: func(m *models.PriceList) *priceListResource {
			return &priceListResource{
				ID:              m.ID,
				Name:            m.Name,
				Code:            m.Code,
				CurrencyCode:    m.CurrencyCode,
				TaxIncluded:     m.TaxIncluded,
				Rules:           engine.ObjectOf(m.Rules),
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "prices", Target: "prices", ToMany: true, InverseKey: "price_list_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(priceListsOfMarkets("id"), engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(priceListsOfMarkets("id"), engine.Retrieve),
		},
	})
}
