package resources

import (
	"kasse/engine"
	"kasse/models"
)

// customerResource is a customer on the wire; password is write-only.
type customerResource struct {
	ID               string         `jsonapi:"primary,customers"`
	Email            string         `jsonapi:"attr,email" kasse:"create,update,required,filter,sort"`
	Password         *string        `jsonapi:"attr,password,omitempty" kasse:"create,update,writeonly"`
	Status           string         `jsonapi:"attr,status" kasse:"stored,filter,sort,enum=prospect|acquired|repeat"`
	HasPassword      bool           `jsonapi:"attr,has_password"`
	TotalOrdersCount int            `jsonapi:"attr,total_orders_count" kasse:"filter,sort"`
	ShopperReference *string        `jsonapi:"attr,shopper_reference" kasse:"create,update"`
	ProfileID        *string        `jsonapi:"attr,profile_id" kasse:"create,update"`
	TaxExemptionCode *string        `jsonapi:"attr,tax_exemption_code" kasse:"create,update,writers=integration"`
	CreatedAt        engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt        engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference        *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin  *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata         map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
}

func customers() *engine.Definition {
	return engine.Define(engine.Spec[models.Customer, customerResource]{
		Type:        "customers",
		Description: "A customer is a shopper identified by email.",
		Actions:     engine.AllActions,
		Relationships: []engine.Relationship{
			{Name: "customer_addresses", Target: "customer_addresses", ToMany: true, InverseKey: "customer_id"},
			{Name: "orders", Target: "orders", ToMany: true, InverseKey: "customer_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Allow(engine.Create),
			models.RoleCustomer:     engine.AllowScoped(ownedBy("id"), engine.List, engine.Retrieve, engine.Update),
		},
		Derive: func(m *models.Customer, out *customerResource) {
			out.HasPassword = m.HasPassword()
		},
	})
}
