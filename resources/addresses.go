package resources

import (
	"kasse/engine"
	"kasse/models"
)

// addressResource is an address on the wire. Geocoding is not part of Kasse
// yet: is_localized and is_geocoded are false and the map fields null.
type addressResource struct {
	ID              string         `jsonapi:"primary,addresses"`
	Business        bool           `jsonapi:"attr,business"`
	FirstName       *string        `jsonapi:"attr,first_name"`
	LastName        *string        `jsonapi:"attr,last_name"`
	Company         *string        `jsonapi:"attr,company"`
	FullName        string         `jsonapi:"attr,full_name"`
	Line1           string         `jsonapi:"attr,line_1"`
	Line2           *string        `jsonapi:"attr,line_2"`
	City            string         `jsonapi:"attr,city"`
	ZipCode         *string        `jsonapi:"attr,zip_code"`
	StateCode       *string        `jsonapi:"attr,state_code"`
	CountryCode     string         `jsonapi:"attr,country_code"`
	Phone           string         `jsonapi:"attr,phone"`
	FullAddress     string         `jsonapi:"attr,full_address"`
	Name            string         `jsonapi:"attr,name"`
	Email           *string        `jsonapi:"attr,email"`
	Notes           *string        `jsonapi:"attr,notes"`
	Lat             *float64       `jsonapi:"attr,lat"`
	Lng             *float64       `jsonapi:"attr,lng"`
	IsLocalized     bool           `jsonapi:"attr,is_localized"`
	IsGeocoded      bool           `jsonapi:"attr,is_geocoded"`
	ProviderName    *string        `jsonapi:"attr,provider_name"`
	MapURL          *string        `jsonapi:"attr,map_url"`
	StaticMapURL    *string        `jsonapi:"attr,static_map_url"`
	BillingInfo     *string        `jsonapi:"attr,billing_info"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
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
		Attributes: base(
			engine.Bool("business").Create().Update().Filter(),
			engine.Text("first_name").Create().Update().Filter(),
			engine.Text("last_name").Create().Update().Filter(),
			engine.Text("company").Create().Update().Filter(),
			engine.Text("full_name"),
			engine.Text("line_1").Create().Update().Required().Filter(),
			engine.Text("line_2").Create().Update().Filter(),
			engine.Text("city").Create().Update().Required().Filter().Sort(),
			engine.Text("zip_code").Create().Update().Filter(),
			engine.Text("state_code").Create().Update().Filter().Sort(),
			engine.Text("country_code").Create().Update().Required().Filter().Sort(),
			engine.Text("phone").Create().Update().Required().Filter(),
			engine.Text("full_address"),
			engine.Text("name"),
			engine.Text("email").Create().Update().Filter(),
			engine.Text("notes").Max(engine.MaxFreeText).Create().Update().Filter(),
			engine.Number("lat").Create().Update().Filter(),
			engine.Number("lng").Create().Update().Filter(),
			engine.Bool("is_localized"),
			engine.Bool("is_geocoded"),
			engine.Text("provider_name"),
			engine.URL("map_url"),
			engine.URL("static_map_url"),
			engine.Text("billing_info").Create().Update().Filter(),
		),
		Render: func(m *models.Address) *addressResource {
			return &addressResource{
				ID:              m.ID,
				FullName:        m.FullName(),
				FullAddress:     m.FullAddress(),
				Name:            m.Name(),
				Business:        m.Business,
				FirstName:       m.FirstName,
				LastName:        m.LastName,
				Company:         m.Company,
				Line1:           m.Line1,
				Line2:           m.Line2,
				City:            m.City,
				ZipCode:         m.ZipCode,
				StateCode:       m.StateCode,
				CountryCode:     m.CountryCode,
				Phone:           m.Phone,
				Email:           m.Email,
				Notes:           m.Notes,
				Lat:             m.Lat,
				Lng:             m.Lng,
				BillingInfo:     m.BillingInfo,
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(guestAddresses, engine.Retrieve)),
			models.RoleCustomer:     engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(ownAddresses, engine.List, engine.Retrieve, engine.Update, engine.Delete)),
		},
		Stamp: func(p *models.Principal, m *models.Address) {
			if p.Role == models.RoleCustomer {
				m.OwnerCustomerID = &p.CustomerID
			}
		},
	})
}
