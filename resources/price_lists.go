package resources

import (
	"kasse/engine"
	"kasse/models"
)

// priceListResource is a price list on the wire.
type priceListResource struct {
	ID              string         `jsonapi:"primary,price_lists"`
	Name            string         `jsonapi:"attr,name" kasse:"create,update,required,filter,sort"`
	Code            *string        `jsonapi:"attr,code" kasse:"create,update,filter,sort"`
	CurrencyCode    string         `jsonapi:"attr,currency_code" kasse:"create,update,required,filter,sort"`
	TaxIncluded     bool           `jsonapi:"attr,tax_included" kasse:"create,update,filter,sort"`
	Rules           map[string]any `jsonapi:"attr,rules" kasse:"create,update"`
	RuleOutcomes    map[string]any `jsonapi:"attr,rule_outcomes"`
	ResourcePayload map[string]any `jsonapi:"attr,resource_payload"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference       *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata        map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
}

func priceLists() *engine.Definition {
	return engine.Define(engine.Spec[models.PriceList, priceListResource]{
		Type:        "price_lists",
		Description: "A price list holds the prices of SKUs in one currency.",
		Actions:     engine.AllActions,
		Relationships: []engine.Relationship{
			{Name: "prices", Target: "prices", ToMany: true, InverseKey: "price_list_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(priceListsOfMarkets("id"), engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(priceListsOfMarkets("id"), engine.Retrieve),
		},
	})
}
