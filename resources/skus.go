package resources

import (
	"strconv"

	"kasse/engine"
	"kasse/models"
)

// skuResource is a SKU on the wire.
type skuResource struct {
	ID             string   `jsonapi:"primary,skus"`
	Code           string   `jsonapi:"attr,code"`
	Name           string   `jsonapi:"attr,name"`
	Description    *string  `jsonapi:"attr,description"`
	ImageURL       *string  `jsonapi:"attr,image_url"`
	PiecesPerPack  *int64   `jsonapi:"attr,pieces_per_pack"`
	Weight         *float64 `jsonapi:"attr,weight"`
	UnitOfWeight   *string  `jsonapi:"attr,unit_of_weight"`
	HsTariffNumber *string  `jsonapi:"attr,hs_tariff_number"`
	DoNotShip      bool     `jsonapi:"attr,do_not_ship"`
	DoNotTrack     bool     `jsonapi:"attr,do_not_track"`
	// LimitOnePerCustomer is a Kasse extension: a SKU a customer can buy
	// once (courses, licences).
	LimitOnePerCustomer bool           `jsonapi:"attr,limit_one_per_customer"`
	Inventory           *skuInventory  `jsonapi:"attr,inventory"`
	CreatedAt           engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt           engine.Time    `jsonapi:"attr,updated_at"`
	Reference           *string        `jsonapi:"attr,reference"`
	ReferenceOrigin     *string        `jsonapi:"attr,reference_origin"`
	Metadata            map[string]any `jsonapi:"attr,metadata"`
}

// pricedInTokenMarkets selects the SKUs with a price in one of the token's
// markets: a SKU a market cannot sell is invisible there.
func pricedInTokenMarkets(p *models.Principal) []engine.Condition {
	return []engine.Condition{{{
		Path: []engine.Hop{
			{Table: "prices", LocalKey: "id", RemoteKey: "sku_id"},
			{Table: "markets", LocalKey: "price_list_id", RemoteKey: "price_list_id"},
		},
		Column: "id", Predicate: engine.In, Values: ids(p.MarketIDs),
	}}}
}

func skus() *engine.Definition {
	return engine.Define(engine.Spec[models.Sku, skuResource]{
		Type:        "skus",
		Description: "A SKU is an item you sell; its prices live in price lists.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("code").Create().Update().Required().Filter().Sort(),
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Text("description").Max(engine.MaxFreeText).Create().Update().Filter(),
			engine.URL("image_url").Create().Update().Filter(),
			engine.Int("pieces_per_pack").Create().Update(),
			engine.Number("weight").Create().Update(),
			engine.Enum("unit_of_weight", "gr", "oz", "lb").Create().Update(),
			engine.Text("hs_tariff_number").Create().Update(),
			engine.Bool("do_not_ship").Create().Update().Filter().Sort(),
			engine.Bool("do_not_track").Create().Update().Filter().Sort(),
			engine.Bool("limit_one_per_customer").Create().Update().Filter(),
			engine.JSONObject("inventory").Doc("The SKU's stock at the primary stock location: available, quantity (null when not tracked) and levels."),
		),
		Load: models.LoadInventories,
		Render: func(m *models.Sku) *skuResource {
			return &skuResource{
				ID:                  m.ID,
				Code:                m.Code,
				Name:                m.Name,
				Description:         m.Description,
				ImageURL:            m.ImageURL,
				PiecesPerPack:       m.PiecesPerPack,
				Weight:              m.Weight,
				UnitOfWeight:        m.UnitOfWeight,
				HsTariffNumber:      m.HsTariffNumber,
				DoNotShip:           m.DoNotShip,
				DoNotTrack:          m.DoNotTrack,
				LimitOnePerCustomer: m.LimitOnePerCustomer,
				Inventory:           &skuInventory{m.Inventory},
				CreatedAt:           engine.TimeOf(m.CreatedAt),
				UpdatedAt:           engine.TimeOf(m.UpdatedAt),
				Reference:           m.Reference,
				ReferenceOrigin:     m.ReferenceOrigin,
				Metadata:            engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "prices", Target: "prices", ToMany: true, InverseKey: "sku_id"},
			{Name: "stock_items", Target: "stock_items", ToMany: true, InverseKey: "sku_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(pricedInTokenMarkets, engine.List, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(pricedInTokenMarkets, engine.List, engine.Retrieve),
		},
	})
}

// skuInventory is skus.inventory as the reference shows it: available,
// quantity and one level per stock location (Kasse counts one); an
// untracked SKU is available with a null quantity and no levels, and a SKU
// whose stock was not read is {}. Every SKU read renders one, so it
// writes itself (serializers.JSONAppender) rather than as a map of maps;
// MarshalJSON writes the same bytes for encoding/json.
type skuInventory struct{ inv *models.Inventory }

func (s skuInventory) AppendJSON(dst []byte) []byte {
	i := s.inv
	if i == nil {
		return append(dst, "{}"...)
	}
	dst = append(dst, `{"available":`...)
	dst = strconv.AppendBool(dst, i.Available)
	if i.Quantity == nil {
		return append(dst, `,"levels":[],"quantity":null}`...)
	}
	dst = append(dst, `,"levels":[{"delivery_lead_times":[],"quantity":`...)
	dst = strconv.AppendInt(dst, int64(*i.Quantity), 10)
	dst = append(dst, `}],"quantity":`...)
	dst = strconv.AppendInt(dst, int64(*i.Quantity), 10)
	return append(dst, '}')
}

func (s skuInventory) MarshalJSON() ([]byte, error) { return s.AppendJSON(nil), nil }
