package resources

import (
	"kasse/engine"
	"kasse/models"
)

// priceResource is a price on the wire.
type priceResource struct {
	ID                       string         `jsonapi:"primary,prices"`
	CurrencyCode             string         `jsonapi:"attr,currency_code"`
	SkuCode                  *string        `jsonapi:"attr,sku_code" kasse:"create,update"`
	AmountCents              int64          `jsonapi:"attr,amount_cents" kasse:"create,update,required,filter,sort"`
	AmountFloat              float64        `jsonapi:"attr,amount_float"`
	FormattedAmount          string         `jsonapi:"attr,formatted_amount"`
	OriginalAmountCents      int64          `jsonapi:"attr,original_amount_cents"`
	FormattedOriginalAmount  string         `jsonapi:"attr,formatted_original_amount"`
	CompareAtAmountCents     *int64         `jsonapi:"attr,compare_at_amount_cents" kasse:"create,update,filter,sort"`
	CompareAtAmountFloat     *float64       `jsonapi:"attr,compare_at_amount_float"`
	FormattedCompareAtAmount *string        `jsonapi:"attr,formatted_compare_at_amount"`
	RuleOutcomes             map[string]any `jsonapi:"attr,rule_outcomes"`
	ProcessedAt              *engine.Time   `jsonapi:"attr,processed_at" kasse:"update"`
	Rules                    map[string]any `jsonapi:"attr,rules" kasse:"create,update"`
	ResourcePayload          map[string]any `jsonapi:"attr,resource_payload"`
	CreatedAt                engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt                engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference                *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin          *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata                 map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
}

func prices() *engine.Definition {
	return engine.Define(engine.Spec[models.Price, priceResource]{
		Type:        "prices",
		Description: "A price is what a SKU costs in a price list, in minor units of the list's currency.",
		Actions:     engine.AllActions,
		Relationships: []engine.Relationship{
			{Name: "price_list", Target: "price_lists", ForeignKey: "price_list_id", Create: true, Update: true, Required: true},
			// Required in effect: either this or sku_code (models.Price checks).
			{Name: "sku", Target: "skus", ForeignKey: "sku_id", Create: true, Update: true},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(priceListsOfMarkets("price_list_id"), engine.List, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(priceListsOfMarkets("price_list_id"), engine.List, engine.Retrieve),
		},
		Derive: func(m *models.Price, out *priceResource) {
			amount := m.Amount()
			out.AmountFloat, out.FormattedAmount = amount.Float(), amount.Formatted()
			out.OriginalAmountCents, out.FormattedOriginalAmount = m.AmountCents, amount.Formatted()
			if m.CompareAtAmountCents != nil {
				compare := models.Money{Cents: *m.CompareAtAmountCents, Currency: m.CurrencyCode}
				f, s := compare.Float(), compare.Formatted()
				out.CompareAtAmountFloat, out.FormattedCompareAtAmount = &f, &s
			}
		},
	})
}
