package resources

import (
	"kasse/engine"
	"kasse/models"
)

// addressResource is an address on the wire. Geocoding is not part of Kasse
// yet: is_localized and is_geocoded are false and the map fields null.
type addressResource struct {
	ID              string         `jsonapi:"primary,addresses"`
	Business        bool           `jsonapi:"attr,business" kasse:"create,update,filter"`
	FirstName       *string        `jsonapi:"attr,first_name" kasse:"create,update,filter"`
	LastName        *string        `jsonapi:"attr,last_name" kasse:"create,update,filter"`
	Company         *string        `jsonapi:"attr,company" kasse:"create,update,filter"`
	FullName        string         `jsonapi:"attr,full_name"`
	Line1           string         `jsonapi:"attr,line_1" kasse:"create,update,required,filter"`
	Line2           *string        `jsonapi:"attr,line_2" kasse:"create,update,filter"`
	City            string         `jsonapi:"attr,city" kasse:"create,update,required,filter,sort"`
	ZipCode         *string        `jsonapi:"attr,zip_code" kasse:"create,update,filter"`
	StateCode       *string        `jsonapi:"attr,state_code" kasse:"create,update,filter,sort"`
	CountryCode     string         `jsonapi:"attr,country_code" kasse:"create,update,required,filter,sort"`
	Phone           string         `jsonapi:"attr,phone" kasse:"create,update,required,filter"`
	FullAddress     string         `jsonapi:"attr,full_address"`
	Name            string         `jsonapi:"attr,name"`
	Email           *string        `jsonapi:"attr,email" kasse:"create,update,filter"`
	Notes           *string        `jsonapi:"attr,notes" kasse:"create,update,filter,max=10000"`
	Lat             *float64       `jsonapi:"attr,lat" kasse:"create,update,filter"`
	Lng             *float64       `jsonapi:"attr,lng" kasse:"create,update,filter"`
	IsLocalized     bool           `jsonapi:"attr,is_localized"`
	IsGeocoded      bool           `jsonapi:"attr,is_geocoded"`
	ProviderName    *string        `jsonapi:"attr,provider_name"`
	MapURL          *string        `jsonapi:"attr,map_url"`
	StaticMapURL    *string        `jsonapi:"attr,static_map_url"`
	BillingInfo     *string        `jsonapi:"attr,billing_info" kasse:"create,update,filter"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference       *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata        map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
}

// ownAddresses selects the addresses a customer created or has in their
// address book.
func ownAddresses(p *models.Principal) []engine.Condition {
	return []engine.Condition{{
		{Column: "owner_customer_id", Predicate: engine.Eq, Values: []any{p.CustomerID}},
		{Path: []engine.Hop{{Table: "customer_addresses", LocalKey: "id", RemoteKey: "address_id"}}, Column: "customer_id", Predicate: engine.Eq, Values: []any{p.CustomerID}},
	}}
}

// guestAddresses selects the addresses no customer owns: those guests
// create for their carts (and the copies made for guests' orders), which a
// guest must read to put them on its order. A customer's addresses, and
// those in an address book, have an owner.
func guestAddresses(*models.Principal) []engine.Condition {
	return []engine.Condition{{{Column: "owner_customer_id", Predicate: engine.Null, Values: []any{true}}}}
}

func addresses() *engine.Definition {
	return engine.Define(engine.Spec[models.Address, addressResource]{
		Type:        "addresses",
		Description: "An address, personal (first and last name) or business (company).",
		Actions:     engine.AllActions,
		Access: engine.Access{
			models.RoleSalesChannel: engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(guestAddresses, engine.Retrieve)),
			models.RoleCustomer:     engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(ownAddresses, engine.List, engine.Retrieve, engine.Update, engine.Delete)),
		},
		Stamp: func(p *models.Principal, m *models.Address) {
			if p.Role == models.RoleCustomer {
				m.OwnerCustomerID = &p.CustomerID
			}
		},
		Derive: func(m *models.Address, out *addressResource) {
			out.FullName, out.FullAddress, out.Name = m.FullName(), m.FullAddress(), m.Name()
		},
	})
}
