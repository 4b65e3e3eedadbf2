package resources

import (
	"kasse/engine"
	"kasse/models"
)

// priceResource is a price on the wire.
type priceResource struct {
	ID                       string         `jsonapi:"primary,prices"`
	CurrencyCode             string         `jsonapi:"attr,currency_code"`
	SkuCode                  *string        `jsonapi:"attr,sku_code"`
	AmountCents              int64          `jsonapi:"attr,amount_cents"`
	AmountFloat              float64        `jsonapi:"attr,amount_float"`
	FormattedAmount          string         `jsonapi:"attr,formatted_amount"`
	OriginalAmountCents      int64          `jsonapi:"attr,original_amount_cents"`
	FormattedOriginalAmount  string         `jsonapi:"attr,formatted_original_amount"`
	CompareAtAmountCents     *int64         `jsonapi:"attr,compare_at_amount_cents"`
	CompareAtAmountFloat     *float64       `jsonapi:"attr,compare_at_amount_float"`
	FormattedCompareAtAmount *string        `jsonapi:"attr,formatted_compare_at_amount"`
	RuleOutcomes             map[string]any `jsonapi:"attr,rule_outcomes"`
	ProcessedAt              *engine.Time   `jsonapi:"attr,processed_at"`
	Rules                    map[string]any `jsonapi:"attr,rules"`
	ResourcePayload          map[string]any `jsonapi:"attr,resource_payload"`
	CreatedAt                engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                engine.Time    `jsonapi:"attr,updated_at"`
	Reference                *string        `jsonapi:"attr,reference"`
	ReferenceOrigin          *string        `jsonapi:"attr,reference_origin"`
	Metadata                 map[string]any `jsonapi:"attr,metadata"`
}

func prices() *engine.Definition {
	return engine.Define(engine.Spec[models.Price, priceResource]{
		Type:        "prices",
		Description: "A price is what a SKU costs in a price list, in minor units of the list's currency.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("currency_code"),
			engine.Text("sku_code").Create().Update(),
			engine.Int("amount_cents").Create().Update().Required().Filter().Sort(),
			engine.Number("amount_float"),
			engine.Text("formatted_amount"),
			engine.Int("original_amount_cents"),
			engine.Text("formatted_original_amount"),
			engine.Int("compare_at_amount_cents").Create().Update().Filter().Sort(),
			engine.Number("compare_at_amount_float"),
			engine.Text("formatted_compare_at_amount"),
			engine.JSONObject("rule_outcomes"),
			engine.Timestamp("processed_at").Update(),
			engine.JSONObject("rules").Create().Update(),
			engine.JSONObject("resource_payload"),
		),
		Render: func(m *models.Price) *priceResource {
			out := &priceResource{
				ID:                   m.ID,
				CurrencyCode:         m.CurrencyCode,
				SkuCode:              m.SkuCode,
				AmountCents:          m.AmountCents,
				CompareAtAmountCents: m.CompareAtAmountCents,
				ProcessedAt:          engine.TimeOrNil(m.ProcessedAt),
				Rules:                engine.ObjectOf(m.Rules),
				CreatedAt:            engine.TimeOf(m.CreatedAt),
				UpdatedAt:            engine.TimeOf(m.UpdatedAt),
				Reference:            m.Reference,
				ReferenceOrigin:      m.ReferenceOrigin,
				Metadata:             engine.ObjectOf(m.Metadata),
			}
			amount := m.Amount()
			out.AmountFloat, out.FormattedAmount = amount.Float(), amount.Formatted()
			out.OriginalAmountCents, out.FormattedOriginalAmount = m.AmountCents, amount.Formatted()
			if m.CompareAtAmountCents != nil {
				compare := models.Money{Cents: *m.CompareAtAmountCents, Currency: m.CurrencyCode}
				f, s := compare.Float(), compare.Formatted()
				out.CompareAtAmountFloat, out.FormattedCompareAtAmount = &f, &s
			}
			return out
		},
		Relationships: []engine.Relationship{
			{Name: "price_list", Target: "price_lists", ForeignKey: "price_list_id", Create: true, Update: true, Required: true},
			// Required in effect: either this or sku_code (models.Price checks).
			{Name: "sku", Target: "skus", ForeignKey: "sku_id", Create: true, Update: true},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(priceListsOfMarkets("price_list_id"), engine.List, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(priceListsOfMarkets("price_list_id"), engine.List, engine.Retrieve),
		},
	})
}
