package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// Gateways share one model and table; each concrete type sees its kind.
func gatewayKind(kind string) []engine.Condition {
	return []engine.Condition{{{Column: "kind", Predicate: engine.Eq, Values: []any{kind}}}}
}

func gatewayTriggers() []engine.Trigger[models.PaymentGateway] {
	return []engine.Trigger[models.PaymentGateway]{
		{Name: "_disable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as disabled.",
			Run: func(c *engine.Call, g *models.PaymentGateway, _ json.RawMessage) error { return g.Disable(c.Tx) }},
		{Name: "_enable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as enabled.",
			Run: func(c *engine.Call, g *models.PaymentGateway, _ json.RawMessage) error { return g.Enable(c.Tx) }},
	}
}

// webhookURL is where a gateway's provider sends its webhooks.
func webhookURL(baseURL string, g *models.PaymentGateway) *string {
	if g.ID == "" {
		return nil
	}
	u := baseURL + "/webhooks/payment_gateways/" + g.ID
	return &u
}

// Gateways are managed by integrations only: no other role sees them.
var integrationOnly = engine.Access{models.RoleSalesChannel: {}, models.RoleCustomer: {}}

func stampKind(kind string) func(*models.Principal, *models.PaymentGateway) {
	return func(_ *models.Principal, g *models.PaymentGateway) { g.Kind = kind }
}

// paymentGatewayResource is the parent type listing every gateway.
type paymentGatewayResource struct {
	ID              string         `jsonapi:"primary,payment_gateways"`
	Name            string         `jsonapi:"attr,name"`
	ForcePayments   bool           `jsonapi:"attr,force_payments"`
	DisabledAt      *engine.Time   `jsonapi:"attr,disabled_at"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

// Anyone may read a gateway by id (its name and kind: its secrets are
// write-only), so a payment's payment_gateway can be followed.
var readableByID = engine.Access{models.RoleSalesChannel: engine.Allow(engine.Retrieve), models.RoleCustomer: engine.Allow(engine.Retrieve)}

func paymentGateways() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentGateway, paymentGatewayResource]{
		Type:        "payment_gateways",
		Description: "Every configured payment gateway, whatever its kind (read-only: manage them through their own types).",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Attributes: readOnlyBase(
			engine.Text("name").Filter().Sort(),
			engine.Bool("force_payments").Filter(),
			engine.Timestamp("disabled_at").Filter().Sort(),
		),
		Render: func(m *models.PaymentGateway) *paymentGatewayResource {
			return &paymentGatewayResource{
				ID:              m.ID,
				Name:            m.Name,
				ForcePayments:   m.ForcePayments,
				DisabledAt:      engine.TimeOrNil(m.DisabledAt),
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "payment_methods", Target: "payment_methods", ToMany: true, InverseKey: "payment_gateway_id"},
		},
		Access: readableByID,
	})
}

// checkoutComGatewayResource is a Checkout.com account; its keys are
// write-only.
type checkoutComGatewayResource struct {
	ID                    string         `jsonapi:"primary,checkout_com_gateways"`
	Name                  string         `jsonapi:"attr,name"`
	ForcePayments         bool           `jsonapi:"attr,force_payments"`
	DisabledAt            *engine.Time   `jsonapi:"attr,disabled_at"`
	SecretKey             *string        `jsonapi:"attr,secret_key,omitempty"`
	PublicKey             *string        `jsonapi:"attr,public_key,omitempty"`
	WebhookEndpointID     *string        `jsonapi:"attr,webhook_endpoint_id"`
	WebhookEndpointSecret *string        `jsonapi:"attr,webhook_endpoint_secret,omitempty"`
	WebhookEndpointURL    *string        `jsonapi:"attr,webhook_endpoint_url"`
	CreatedAt             engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt             engine.Time    `jsonapi:"attr,updated_at"`
	Reference             *string        `jsonapi:"attr,reference"`
	ReferenceOrigin       *string        `jsonapi:"attr,reference_origin"`
	Metadata              map[string]any `jsonapi:"attr,metadata"`
}

func checkoutComGateways() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentGateway, checkoutComGatewayResource]{
		Type:        "checkout_com_gateways",
		Description: "A Checkout.com account. secret_key, public_key and webhook_endpoint_secret (the key Checkout.com signs webhooks with) are write-only.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Bool("force_payments").Create().Update().Filter(),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Text("secret_key").Create().Update().Required().WriteOnly(),
			engine.Text("public_key").Create().Update().WriteOnly(),
			engine.Text("webhook_endpoint_id"),
			engine.Text("webhook_endpoint_secret").Create().Update().WriteOnly(),
			engine.URL("webhook_endpoint_url"),
		),
		Render: func(m *models.PaymentGateway) *checkoutComGatewayResource {
			return &checkoutComGatewayResource{
				ID:              m.ID,
				Name:            m.Name,
				ForcePayments:   m.ForcePayments,
				DisabledAt:      engine.TimeOrNil(m.DisabledAt),
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Within: gatewayKind(models.GatewayCheckoutCom),
		Stamp:  stampKind(models.GatewayCheckoutCom),
		Relationships: []engine.Relationship{
			{Name: "payment_methods", Target: "payment_methods", ToMany: true, InverseKey: "payment_gateway_id"},
			{Name: "checkout_com_payments", Target: "checkout_com_payments", ToMany: true, InverseKey: "payment_gateway_id"},
		},
		Access:   integrationOnly,
		Triggers: gatewayTriggers(),
		Links: func(g *models.PaymentGateway, out *checkoutComGatewayResource, base string) {
			out.WebhookEndpointURL = webhookURL(base, g)
		},
	})
}

// stripeGatewayResource is a Stripe account; login is its secret key.
type stripeGatewayResource struct {
	ID                    string         `jsonapi:"primary,stripe_gateways"`
	Name                  string         `jsonapi:"attr,name"`
	ForcePayments         bool           `jsonapi:"attr,force_payments"`
	DisabledAt            *engine.Time   `jsonapi:"attr,disabled_at"`
	Login                 *string        `jsonapi:"attr,login,omitempty"`
	PublishableKey        *string        `jsonapi:"attr,publishable_key,omitempty"`
	ConnectedAccount      *string        `jsonapi:"attr,connected_account"`
	AutoPayments          bool           `jsonapi:"attr,auto_payments"`
	WebhookEndpointID     *string        `jsonapi:"attr,webhook_endpoint_id"`
	WebhookEndpointSecret *string        `jsonapi:"attr,webhook_endpoint_secret,omitempty"`
	WebhookEndpointURL    *string        `jsonapi:"attr,webhook_endpoint_url"`
	CreatedAt             engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt             engine.Time    `jsonapi:"attr,updated_at"`
	Reference             *string        `jsonapi:"attr,reference"`
	ReferenceOrigin       *string        `jsonapi:"attr,reference_origin"`
	Metadata              map[string]any `jsonapi:"attr,metadata"`
}

func stripeGateways() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentGateway, stripeGatewayResource]{
		Type:        "stripe_gateways",
		Description: "A Stripe account. login (the secret key), publishable_key and webhook_endpoint_secret (whsec_…) are write-only.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Bool("force_payments").Create().Update().Filter(),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Text("login").Create().Update().Required().WriteOnly(),
			engine.Text("publishable_key").Create().Update().WriteOnly(),
			engine.Text("connected_account").Create().Update(),
			engine.Bool("auto_payments").Create().Update(),
			engine.Text("webhook_endpoint_id"),
			engine.Text("webhook_endpoint_secret").Create().Update().WriteOnly(),
			engine.URL("webhook_endpoint_url"),
		),
		Render: func(m *models.PaymentGateway) *stripeGatewayResource {
			return &stripeGatewayResource{
				ID:               m.ID,
				Name:             m.Name,
				ForcePayments:    m.ForcePayments,
				DisabledAt:       engine.TimeOrNil(m.DisabledAt),
				ConnectedAccount: m.ConnectedAccount,
				AutoPayments:     m.AutoPayments,
				CreatedAt:        engine.TimeOf(m.CreatedAt),
				UpdatedAt:        engine.TimeOf(m.UpdatedAt),
				Reference:        m.Reference,
				ReferenceOrigin:  m.ReferenceOrigin,
				Metadata:         engine.ObjectOf(m.Metadata),
			}
		},
		Within: gatewayKind(models.GatewayStripe),
		Stamp:  stampKind(models.GatewayStripe),
		Relationships: []engine.Relationship{
			{Name: "payment_methods", Target: "payment_methods", ToMany: true, InverseKey: "payment_gateway_id"},
			{Name: "stripe_payments", Target: "stripe_payments", ToMany: true, InverseKey: "payment_gateway_id"},
		},
		Access:   integrationOnly,
		Triggers: gatewayTriggers(),
		Links: func(g *models.PaymentGateway, out *stripeGatewayResource, base string) {
			out.WebhookEndpointURL = webhookURL(base, g)
		},
	})
}

// manualGatewayResource is a gateway without a provider (wire transfers).
type manualGatewayResource struct {
	ID              string         `jsonapi:"primary,manual_gateways"`
	Name            string         `jsonapi:"attr,name"`
	ForcePayments   bool           `jsonapi:"attr,force_payments"`
	DisabledAt      *engine.Time   `jsonapi:"attr,disabled_at"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

func manualGateways() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentGateway, manualGatewayResource]{
		Type:        "manual_gateways",
		Description: "A gateway without a provider: wire transfers, settled by the merchant.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Bool("force_payments").Create().Update().Filter(),
			engine.Timestamp("disabled_at").Filter().Sort(),
		),
		Render: func(m *models.PaymentGateway) *manualGatewayResource {
			return &manualGatewayResource{
				ID:              m.ID,
				Name:            m.Name,
				ForcePayments:   m.ForcePayments,
				DisabledAt:      engine.TimeOrNil(m.DisabledAt),
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Within: gatewayKind(models.GatewayManual),
		Stamp:  stampKind(models.GatewayManual),
		Relationships: []engine.Relationship{
			{Name: "payment_methods", Target: "payment_methods", ToMany: true, InverseKey: "payment_gateway_id"},
		},
		Access:   integrationOnly,
		Triggers: gatewayTriggers(),
	})
}

// sandboxGatewayResource is Kasse's built-in test gateway (an extension).
type sandboxGatewayResource struct {
	ID                    string         `jsonapi:"primary,sandbox_gateways"`
	Name                  string         `jsonapi:"attr,name"`
	ForcePayments         bool           `jsonapi:"attr,force_payments"`
	DisabledAt            *engine.Time   `jsonapi:"attr,disabled_at"`
	WebhookEndpointSecret *string        `jsonapi:"attr,webhook_endpoint_secret,omitempty"`
	WebhookEndpointURL    *string        `jsonapi:"attr,webhook_endpoint_url"`
	CreatedAt             engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt             engine.Time    `jsonapi:"attr,updated_at"`
	Reference             *string        `jsonapi:"attr,reference"`
	ReferenceOrigin       *string        `jsonapi:"attr,reference_origin"`
	Metadata              map[string]any `jsonapi:"attr,metadata"`
}

func sandboxGateways() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentGateway, sandboxGatewayResource]{
		Type: "sandbox_gateways",
		Description: "Kasse's built-in test gateway (a Kasse extension): it processes checkout_com_payments without any network. " +
			"Test tokens: tok_sandbox_approved, tok_sandbox_declined, tok_sandbox_3ds (a challenge page on Kasse), tok_sandbox_timeout.",
		Actions: engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Bool("force_payments").Create().Update().Filter(),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Text("webhook_endpoint_secret").Create().Update().WriteOnly(),
			engine.URL("webhook_endpoint_url"),
		),
		Render: func(m *models.PaymentGateway) *sandboxGatewayResource {
			return &sandboxGatewayResource{
				ID:              m.ID,
				Name:            m.Name,
				ForcePayments:   m.ForcePayments,
				DisabledAt:      engine.TimeOrNil(m.DisabledAt),
				CreatedAt:       engine.TimeOf(m.CreatedAt),
				UpdatedAt:       engine.TimeOf(m.UpdatedAt),
				Reference:       m.Reference,
				ReferenceOrigin: m.ReferenceOrigin,
				Metadata:        engine.ObjectOf(m.Metadata),
			}
		},
		Within: gatewayKind(models.GatewaySandbox),
		Stamp:  stampKind(models.GatewaySandbox),
		Relationships: []engine.Relationship{
			{Name: "payment_methods", Target: "payment_methods", ToMany: true, InverseKey: "payment_gateway_id"},
			{Name: "checkout_com_payments", Target: "checkout_com_payments", ToMany: true, InverseKey: "payment_gateway_id"},
		},
		Access:   integrationOnly,
		Triggers: gatewayTriggers(),
		Links: func(g *models.PaymentGateway, out *sandboxGatewayResource, base string) {
			out.WebhookEndpointURL = webhookURL(base, g)
		},
	})
}
