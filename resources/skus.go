package resources

import (
	"kasse/engine"
	"kasse/models"
)

// skuResource is a SKU on the wire.
type skuResource struct {
	ID             string   `jsonapi:"primary,skus"`
	Code           string   `jsonapi:"attr,code" kasse:"create,update,required,filter,sort"`
	Name           string   `jsonapi:"attr,name" kasse:"create,update,required,filter,sort"`
	Description    *string  `jsonapi:"attr,description" kasse:"create,update,filter,max=10000"`
	ImageURL       *string  `jsonapi:"attr,image_url" kasse:"create,update,filter"`
	PiecesPerPack  *int64   `jsonapi:"attr,pieces_per_pack" kasse:"create,update"`
	Weight         *float64 `jsonapi:"attr,weight" kasse:"create,update"`
	UnitOfWeight   *string  `jsonapi:"attr,unit_of_weight" kasse:"create,update,enum=gr|oz|lb"`
	HsTariffNumber *string  `jsonapi:"attr,hs_tariff_number" kasse:"create,update"`
	DoNotShip      bool     `jsonapi:"attr,do_not_ship" kasse:"create,update,filter,sort"`
	DoNotTrack     bool     `jsonapi:"attr,do_not_track" kasse:"create,update,filter,sort"`
	// LimitOnePerCustomer is a Kasse extension: a SKU a customer can buy
	// once (courses, licences).
	LimitOnePerCustomer bool           `jsonapi:"attr,limit_one_per_customer" kasse:"create,update,filter"`
	CreatedAt           engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt           engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference           *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin     *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata            map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
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
		Relationships: []engine.Relationship{
			{Name: "prices", Target: "prices", ToMany: true, InverseKey: "sku_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.AllowScoped(pricedInTokenMarkets, engine.List, engine.Retrieve),
			models.RoleCustomer:     engine.AllowScoped(pricedInTokenMarkets, engine.List, engine.Retrieve),
		},
	})
}
