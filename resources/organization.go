package resources

import (
	"net/url"

	"kasse/engine"
	"kasse/models"
)

// organizationResource is the organization on the wire: the reference's
// singleton at GET /api/organization, read-only.
type organizationResource struct {
	ID                          string         `jsonapi:"primary,organization"`
	Name                        string         `jsonapi:"attr,name"`
	Slug                        string         `jsonapi:"attr,slug"`
	Domain                      *string        `jsonapi:"attr,domain"`
	AddressesPhoneRequired      bool           `jsonapi:"attr,addresses_phone_required"`
	OrdersSalesChannelGuestOnly bool           `jsonapi:"attr,orders_sales_channel_guest_only"`
	CreatedAt                   engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt                   engine.Time    `jsonapi:"attr,updated_at"`
	Reference                   *string        `jsonapi:"attr,reference"`
	ReferenceOrigin             *string        `jsonapi:"attr,reference_origin"`
	Metadata                    map[string]any `jsonapi:"attr,metadata"`
}

func organization() *engine.Definition {
	return engine.Define(engine.Spec[models.Organization, organizationResource]{
		Type:        "organization",
		Description: "The merchant this installation serves: one, read-only (its settings are what Kasse does).",
		Actions:     engine.Actions{Retrieve: true, Singleton: true},
		Attributes: readOnlyBase(
			engine.Text("name"),
			engine.Text("slug"),
			engine.Text("domain").Doc("The host of the API's origin."),
			engine.Bool("addresses_phone_required").Doc("Always true: an address needs a phone."),
			engine.Bool("orders_sales_channel_guest_only").Doc("Always true: a sales channel token without a customer reads and updates guest orders only."),
		),
		Render: func(m *models.Organization) *organizationResource {
			return &organizationResource{
				ID:                          m.ID,
				Name:                        m.Name,
				Slug:                        m.Slug,
				AddressesPhoneRequired:      true,
				OrdersSalesChannelGuestOnly: true,
				CreatedAt:                   engine.TimeOf(m.CreatedAt),
				UpdatedAt:                   engine.TimeOf(m.UpdatedAt),
				Reference:                   m.Reference,
				ReferenceOrigin:             m.ReferenceOrigin,
				Metadata:                    engine.ObjectOf(m.Metadata),
			}
		},
		Links: func(_ *models.Organization, out *organizationResource, base string) {
			if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
				host := u.Hostname()
				out.Domain = &host
			}
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Allow(engine.Retrieve),
			models.RoleCustomer:     engine.Allow(engine.Retrieve),
		},
	})
}
