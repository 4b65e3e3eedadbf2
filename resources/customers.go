package resources

import (
	"kasse/engine"
	"kasse/models"
)

// customerResource is a customer on the wire; password is write-only.
type customerResource struct {
	ID               string         `jsonapi:"primary,customers"`
	Email            string         `jsonapi:"attr,email"`
	Password         *string        `jsonapi:"attr,password,omitempty"`
	Status           string         `jsonapi:"attr,status"`
	HasPassword      bool           `jsonapi:"attr,has_password"`
	TotalOrdersCount int            `jsonapi:"attr,total_orders_count"`
	ShopperReference *string        `jsonapi:"attr,shopper_reference"`
	ProfileID        *string        `jsonapi:"attr,profile_id"`
	TaxExemptionCode *string        `jsonapi:"attr,tax_exemption_code"`
	CreatedAt        engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt        engine.Time    `jsonapi:"attr,updated_at"`
	Reference        *string        `jsonapi:"attr,reference"`
	ReferenceOrigin  *string        `jsonapi:"attr,reference_origin"`
	Metadata         map[string]any `jsonapi:"attr,metadata"`
}

func customers() *engine.Definition {
	return engine.Define(engine.Spec[models.Customer, customerResource]{
		Type:        "customers",
		Description: "A customer is a shopper identified by email.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("email").Create().Update().Required().Filter().Sort(),
			engine.Text("password").Create().Update().WriteOnly().Max(72),
			engine.Enum("status", "prospect", "acquired", "repeat").Filter().Sort(),
			engine.Bool("has_password"),
			engine.Int("total_orders_count").Filter().Sort(),
			engine.Text("shopper_reference").Create().Update(),
			engine.Text("profile_id").Create().Update(),
			engine.Text("tax_exemption_code").Create().Update().Writers(models.RoleIntegration),
		),
		Render: func(m *models.Customer) *customerResource {
			return &customerResource{
				ID:               m.ID,
				HasPassword:      m.HasPassword(),
				Email:            m.Email,
				Status:           m.Status,
				TotalOrdersCount: m.TotalOrdersCount,
				ShopperReference: m.ShopperReference,
				ProfileID:        m.ProfileID,
				TaxExemptionCode: m.TaxExemptionCode,
				CreatedAt:        engine.TimeOf(m.CreatedAt),
				UpdatedAt:        engine.TimeOf(m.UpdatedAt),
				Reference:        m.Reference,
				ReferenceOrigin:  m.ReferenceOrigin,
				Metadata:         engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "customer_addresses", Target: "customer_addresses", ToMany: true, InverseKey: "customer_id"},
			{Name: "orders", Target: "orders", ToMany: true, InverseKey: "customer_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Allow(engine.Create),
			models.RoleCustomer:     engine.AllowScoped(ownedBy("id"), engine.List, engine.Retrieve, engine.Update),
		},
	})
}
