package resources

import (
	"kasse/engine"
	"kasse/models"
)

// stockLocationResource is a stock location on the wire.
type stockLocationResource struct {
	ID              string         `jsonapi:"primary,stock_locations"`
	Number          int            `jsonapi:"attr,number"`
	Name            string         `jsonapi:"attr,name"`
	Code            *string        `jsonapi:"attr,code"`
	LabelFormat     string         `jsonapi:"attr,label_format"`
	SuppressEtd     bool           `jsonapi:"attr,suppress_etd"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

// backOfficeOnly is the Access of the types only integrations use.
var backOfficeOnly = engine.Access{models.RoleSalesChannel: {}, models.RoleCustomer: {}}

func stockLocations() *engine.Definition {
	return engine.Define(engine.Spec[models.StockLocation, stockLocationResource]{
		Type:        "stock_locations",
		Description: "A stock location holds stock; every market ships from the primary one (the lowest number).",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Int("number").Sort(),
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Text("code").Create().Update().Filter().Sort(),
			engine.Enum("label_format", models.LabelFormats...).Create().Update().Filter().Sort(),
			engine.Bool("suppress_etd").Create().Update().Filter().Sort(),
		),
		Render: func(l *models.StockLocation) *stockLocationResource {
			return &stockLocationResource{
				ID:              l.ID,
				Number:          l.Number,
				Name:            l.Name,
				Code:            l.Code,
				LabelFormat:     l.LabelFormat,
				SuppressEtd:     l.SuppressEtd,
				CreatedAt:       engine.TimeOf(l.CreatedAt),
				UpdatedAt:       engine.TimeOf(l.UpdatedAt),
				Reference:       l.Reference,
				ReferenceOrigin: l.ReferenceOrigin,
				Metadata:        engine.ObjectOf(l.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "address", Target: "addresses", ForeignKey: "address_id", Create: true, Update: true},
			{Name: "stock_items", Target: "stock_items", ToMany: true, InverseKey: "stock_location_id"},
		},
		Access: backOfficeOnly,
	})
}

// stockItemResource is a stock item on the wire.
type stockItemResource struct {
	ID              string         `jsonapi:"primary,stock_items"`
	SkuCode         *string        `jsonapi:"attr,sku_code"`
	Quantity        int            `jsonapi:"attr,quantity"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

func stockItems() *engine.Definition {
	return engine.Define(engine.Spec[models.StockItem, stockItemResource]{
		Type:        "stock_items",
		Description: "A stock item is how many of a SKU a stock location holds.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("sku_code").Create().Update().Filter().Sort(),
			engine.Int("quantity").Create().Update().Required().Filter().Sort(),
		),
		Render: func(s *models.StockItem) *stockItemResource {
			return &stockItemResource{
				ID:              s.ID,
				SkuCode:         s.SkuCode,
				Quantity:        s.Quantity,
				CreatedAt:       engine.TimeOf(s.CreatedAt),
				UpdatedAt:       engine.TimeOf(s.UpdatedAt),
				Reference:       s.Reference,
				ReferenceOrigin: s.ReferenceOrigin,
				Metadata:        engine.ObjectOf(s.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "stock_location", Target: "stock_locations", ForeignKey: "stock_location_id", Create: true, Update: true, Required: true},
			{Name: "sku", Target: "skus", ForeignKey: "sku_id", Create: true, Update: true},
		},
		Access: backOfficeOnly,
	})
}
