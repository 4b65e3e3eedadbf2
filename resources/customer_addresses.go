package resources

import (
	"kasse/engine"
	"kasse/models"
)

// customerAddressResource is an entry of a customer's address book.
type customerAddressResource struct {
	ID              string         `jsonapi:"primary,customer_addresses"`
	Name            *string        `jsonapi:"attr,name"`
	CustomerEmail   *string        `jsonapi:"attr,customer_email"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

func customerAddresses() *engine.Definition {
	return engine.Define(engine.Spec[models.CustomerAddress, customerAddressResource]{
		Type:        "customer_addresses",
		Description: "A customer address puts an address in a customer's address book.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name"),
			engine.Text("customer_email").Create(),
		),
		Render: func(m *models.CustomerAddress) *customerAddressResource {
			return &customerAddressResource{
				ID:              m.ID,
				Name:            m.Name,
				CustomerEmail:   m.CustomerEmail,
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			// Required in effect: either this or customer_email (models.CustomerAddress checks).
			{Name: "customer", Target: "customers", ForeignKey: "customer_id", Create: true, Update: true},
			{Name: "address", Target: "addresses", ForeignKey: "address_id", Create: true, Update: true, Required: true},
		},
		Access: engine.Access{
			models.RoleSalesChannel: {},
			models.RoleCustomer:     engine.AllowScoped(ownedBy("customer_id"), engine.List, engine.Retrieve, engine.Create, engine.Update, engine.Delete),
		},
		Stamp: func(p *models.Principal, m *models.CustomerAddress) {
			if p.Role == models.RoleCustomer {
				m.CustomerID = p.CustomerID
			}
		},
	})
}
