package resources

import (
	"kasse/engine"
	"kasse/models"
)

// lineItemResource is a line item on the wire. Guests and customers never
// set prices: unit_amount_cents and _external_price are for integrations.
type lineItemResource struct {
	ID                       string         `jsonapi:"primary,line_items"`
	SkuCode                  *string        `jsonapi:"attr,sku_code"`
	Name                     *string        `jsonapi:"attr,name"`
	ImageURL                 *string        `jsonapi:"attr,image_url"`
	Quantity                 int            `jsonapi:"attr,quantity"`
	ItemType                 string         `jsonapi:"attr,item_type"`
	CurrencyCode             string         `jsonapi:"attr,currency_code"`
	UnitAmountCents          int64          `jsonapi:"attr,unit_amount_cents"`
	UnitAmountFloat          float64        `jsonapi:"attr,unit_amount_float"`
	FormattedUnitAmount      string         `jsonapi:"attr,formatted_unit_amount"`
	CompareAtAmountCents     *int64         `jsonapi:"attr,compare_at_amount_cents"`
	CompareAtAmountFloat     *float64       `jsonapi:"attr,compare_at_amount_float"`
	FormattedCompareAtAmount *string        `jsonapi:"attr,formatted_compare_at_amount"`
	OptionsAmountCents       int64          `jsonapi:"attr,options_amount_cents"`
	OptionsAmountFloat       float64        `jsonapi:"attr,options_amount_float"`
	FormattedOptionsAmount   string         `jsonapi:"attr,formatted_options_amount"`
	DiscountCents            int64          `jsonapi:"attr,discount_cents"`
	DiscountFloat            float64        `jsonapi:"attr,discount_float"`
	FormattedDiscount        string         `jsonapi:"attr,formatted_discount"`
	TotalAmountCents         int64          `jsonapi:"attr,total_amount_cents"`
	TotalAmountFloat         float64        `jsonapi:"attr,total_amount_float"`
	FormattedTotalAmount     string         `jsonapi:"attr,formatted_total_amount"`
	TaxAmountCents           int64          `jsonapi:"attr,tax_amount_cents"`
	TaxAmountFloat           float64        `jsonapi:"attr,tax_amount_float"`
	FormattedTaxAmount       string         `jsonapi:"attr,formatted_tax_amount"`
	TaxRate                  *float64       `jsonapi:"attr,tax_rate"`
	ExternalPrice            *bool          `jsonapi:"attr,_external_price,omitempty"`
	UpdateQuantity           *bool          `jsonapi:"attr,_update_quantity,omitempty"`
	CreatedAt                engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                engine.Time    `jsonapi:"attr,updated_at"`
	Reference                *string        `jsonapi:"attr,reference"`
	ReferenceOrigin          *string        `jsonapi:"attr,reference_origin"`
	Metadata                 map[string]any `jsonapi:"attr,metadata"`
}

// throughOrder selects the rows (line items, payments, transactions) of
// the orders orderScope selects, through their order_id.
func throughOrder(orderScope func(p *models.Principal) []engine.Condition) engine.Scope {
	return func(p *models.Principal) []engine.Condition {
		var out []engine.Condition
		for _, cond := range orderScope(p) {
			var hop engine.Condition
			for _, term := range cond {
				term.Path = append([]engine.Hop{{Table: "orders", LocalKey: "order_id", RemoteKey: "id"}}, term.Path...)
				hop = append(hop, term)
			}
			out = append(out, hop)
		}
		return out
	}
}

// notEditing narrows an order scope to the orders not being edited.
func notEditing(orderScope func(p *models.Principal) []engine.Condition) func(p *models.Principal) []engine.Condition {
	return func(p *models.Principal) []engine.Condition {
		return append(orderScope(p), engine.Condition{{Column: "status", Predicate: engine.NotIn, Values: []any{models.OrderEditing}}})
	}
}

func lineItems() *engine.Definition {
	return engine.Define(engine.Spec[models.LineItem, lineItemResource]{
		Type:        "line_items",
		Description: "A line item is a SKU and a quantity in an order, priced from the order's market.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("sku_code").Create().Filter().Sort(),
			engine.Text("name").Create().Update().Filter().Sort(),
			engine.URL("image_url").Create().Update(),
			engine.Int("quantity").Create().Update().Required().Filter().Sort(),
			engine.Enum("item_type", "skus", "adjustments").Filter().Doc("skus: a SKU of the catalog; adjustments: an amount without a SKU (an amount-only checkout session's, or an integration's item outside the catalog, sent with _external_price, a sku_code no SKU has, a name and unit_amount_cents)."),
			engine.Text("currency_code"),
			engine.Int("unit_amount_cents").Create().Update().Filter().Sort().Writers(models.RoleIntegration),
			engine.Number("unit_amount_float"),
			engine.Text("formatted_unit_amount"),
			engine.Int("compare_at_amount_cents"),
			engine.Number("compare_at_amount_float"),
			engine.Text("formatted_compare_at_amount"),
			engine.Int("options_amount_cents"),
			engine.Number("options_amount_float"),
			engine.Text("formatted_options_amount"),
			engine.Int("discount_cents"),
			engine.Number("discount_float"),
			engine.Text("formatted_discount"),
			engine.Int("total_amount_cents").Filter().Sort(),
			engine.Number("total_amount_float"),
			engine.Text("formatted_total_amount"),
			engine.Int("tax_amount_cents"),
			engine.Number("tax_amount_float"),
			engine.Text("formatted_tax_amount"),
			engine.Number("tax_rate"),
			engine.Bool("_external_price").Create().Update().WriteOnly().Writers(models.RoleIntegration).Column("external_price"),
			engine.Bool("_update_quantity").Create().WriteOnly().Column("update_quantity").
				Doc("Send true to add this quantity to the order's line item of the same SKU instead of creating a new line item (without it, each create is a new line item, as in the reference)."),
		),
		Render: func(li *models.LineItem) *lineItemResource {
			out := &lineItemResource{
				ID:                   li.ID,
				SkuCode:              li.SkuCode,
				Name:                 li.Name,
				ImageURL:             li.ImageURL,
				Quantity:             li.Quantity,
				ItemType:             li.ItemType,
				CurrencyCode:         li.CurrencyCode,
				UnitAmountCents:      li.UnitAmountCents,
				CompareAtAmountCents: li.CompareAtAmountCents,
				OptionsAmountCents:   li.OptionsAmountCents,
				DiscountCents:        li.DiscountCents,
				TotalAmountCents:     li.TotalAmountCents,
				TaxAmountCents:       li.TaxAmountCents,
				TaxRate:              li.TaxRate,
				CreatedAt:            engine.TimeOf(li.CreatedAt),
				UpdatedAt:            engine.TimeOf(li.UpdatedAt),
				Reference:            li.Reference,
				ReferenceOrigin:      li.ReferenceOrigin,
				Metadata:             engine.ObjectOf(li.Metadata),
			}
			m := func(cents int64) models.Money { return models.Money{Cents: cents, Currency: li.CurrencyCode} }
			out.UnitAmountFloat, out.FormattedUnitAmount = m(li.UnitAmountCents).Float(), m(li.UnitAmountCents).Formatted()
			out.OptionsAmountFloat, out.FormattedOptionsAmount = m(li.OptionsAmountCents).Float(), m(li.OptionsAmountCents).Formatted()
			out.DiscountFloat, out.FormattedDiscount = m(li.DiscountCents).Float(), m(li.DiscountCents).Formatted()
			out.TotalAmountFloat, out.FormattedTotalAmount = m(li.TotalAmountCents).Float(), m(li.TotalAmountCents).Formatted()
			out.TaxAmountFloat, out.FormattedTaxAmount = m(li.TaxAmountCents).Float(), m(li.TaxAmountCents).Formatted()
			if li.CompareAtAmountCents != nil {
				f, s := m(*li.CompareAtAmountCents).Float(), m(*li.CompareAtAmountCents).Formatted()
				out.CompareAtAmountFloat, out.FormattedCompareAtAmount = &f, &s
			}
			return out
		},
		ParentOrder: "order_id",
		Relationships: []engine.Relationship{
			{Name: "order", Target: "orders", ForeignKey: "order_id", Create: true, Required: true},
			{Name: "item", Target: "skus", ForeignKey: "item_id", Create: true},
			{Name: "sku", Target: "skus", ForeignKey: "item_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(throughOrder(cartOfGuest), engine.Create, engine.Retrieve, engine.Update, engine.Delete),
			models.RoleCustomer: engine.Merge(engine.AllowScoped(throughOrder(ordersOfCustomer), engine.List, engine.Create, engine.Retrieve, engine.Update),
				engine.AllowScoped(throughOrder(notEditing(ordersOfCustomer)), engine.Delete)),
		},
		// An order being edited (`_start_editing`) is the back office's:
		// only an integration changes its line items.
		Check: func(c *engine.Call, li *models.LineItem, _ bool) error {
			li.Storefront = c.Principal != nil && c.Principal.Role != models.RoleIntegration
			return nil
		},
	})
}
