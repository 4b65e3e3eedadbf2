package resources

import (
	"context"
	"encoding/json"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
)

func sourceKind(kind string) []engine.Condition {
	return []engine.Condition{{{Column: "kind", Predicate: engine.Eq, Values: []any{kind}}}}
}

func sourceAccess() engine.Access {
	return engine.Access{
		models.RoleSalesChannel: engine.AllowScoped(throughOrder(cartOfGuest), engine.Create, engine.Retrieve, engine.Update),
		models.RoleCustomer:     engine.AllowScoped(throughOrder(ordersOfCustomer), engine.Create, engine.Retrieve, engine.Update),
	}
}

func stampSource(kind string) func(*models.Principal, *models.PaymentSource) {
	return func(_ *models.Principal, ps *models.PaymentSource) { ps.Kind = kind }
}

// authorizeAfterCommit asks the provider once the payment's row is
// committed: never inside a transaction.
func authorizeAfterCommit(c *engine.Call, ps *models.PaymentSource) {
	if ps.Status != models.SourcePending || c.PaymentFlow() == nil {
		return
	}
	id := ps.ID
	c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Authorize(ctx, id) })
}

// releaseAfterCommit finishes, once committed, the void a new payment
// began on the authorized payment it replaced (see PaymentSource.AfterWrite).
func releaseAfterCommit(c *engine.Call, ps *models.PaymentSource) {
	if ps.ReleaseVoidID == "" || c.PaymentFlow() == nil {
		return
	}
	id := ps.ReleaseVoidID
	c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Release(ctx, id) })
}

func sourceTrigger(run func(c *engine.Call, ps *models.PaymentSource) error) func(c *engine.Call, ps *models.PaymentSource, _ json.RawMessage) error {
	return func(c *engine.Call, ps *models.PaymentSource, _ json.RawMessage) error {
		if c.PaymentFlow() == nil {
			return errNoGateways()
		}
		return run(c, ps)
	}
}

// refreshAfterCommit re-reads the payment and retries the transactions
// whose outcome is unknown (the `_refresh` trigger).
func refreshAfterCommit(c *engine.Call, ps *models.PaymentSource) error {
	id := ps.ID
	c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Refresh(ctx, id) })
	return nil
}

// checkoutComPaymentResource is a Checkout.com payment on the wire, in the
// reference's current shape; the legacy payment_type and session_id are
// accepted too.
type checkoutComPaymentResource struct {
	ID                string         `jsonapi:"primary,checkout_com_payments"`
	PublicKey         *string        `jsonapi:"attr,public_key"`
	Token             *string        `jsonapi:"attr,token"`
	PaymentSession    map[string]any `jsonapi:"attr,payment_session"`
	PaymentType       *string        `jsonapi:"attr,payment_type,omitempty"`
	SessionID         *string        `jsonapi:"attr,session_id"`
	SuccessURL        *string        `jsonapi:"attr,success_url"`
	FailureURL        *string        `jsonapi:"attr,failure_url"`
	SourceID          *string        `jsonapi:"attr,source_id"`
	CustomerToken     *string        `jsonapi:"attr,customer_token"`
	RedirectURI       *string        `jsonapi:"attr,redirect_uri"`
	PaymentResponse   map[string]any `jsonapi:"attr,payment_response"`
	MismatchedAmounts bool           `jsonapi:"attr,mismatched_amounts"`
	PaymentInstrument map[string]any `jsonapi:"attr,payment_instrument"`
	CreatedAt         engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt         engine.Time    `jsonapi:"attr,updated_at"`
	Reference         *string        `jsonapi:"attr,reference"`
	ReferenceOrigin   *string        `jsonapi:"attr,reference_origin"`
	Metadata          map[string]any `jsonapi:"attr,metadata"`
}

// sourceRelationships are every payment source's relationships.
func sourceRelationships() []engine.Relationship {
	return []engine.Relationship{
		{Name: "order", Target: "orders", ForeignKey: "order_id", Create: true, Required: true},
		{Name: "payment_gateway", Target: "payment_gateways", ForeignKey: "payment_gateway_id"},
	}
}

func checkoutComPayments() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentSource, checkoutComPaymentResource]{
		Type: "checkout_com_payments",
		Description: "A tokenized card payment processed by the order's payment method's gateway (Checkout.com, or the sandbox). " +
			"Creating it with a token authorizes the order's total at once; redirect_uri is set when the customer must pass 3DS.",
		Actions: engine.AllActions,
		Attributes: base(
			engine.Text("public_key"),
			engine.Text("token").Create().Update(),
			engine.JSONObject("payment_session"),
			engine.Text("payment_type").Create().Update().WriteOnly(),
			engine.Text("session_id").Create().Update(),
			engine.URL("success_url").Create().Update(),
			engine.URL("failure_url").Create().Update(),
			engine.Text("source_id"),
			engine.Text("customer_token"),
			engine.URL("redirect_uri"),
			engine.JSONObject("payment_response"),
			engine.Bool("mismatched_amounts"),
			engine.JSONObject("payment_instrument"),
		),
		Render: func(ps *models.PaymentSource) *checkoutComPaymentResource {
			return &checkoutComPaymentResource{
				ID:                ps.ID,
				PublicKey:         ps.PublicKey,
				Token:             ps.Token,
				SessionID:         ps.SessionID,
				SuccessURL:        ps.SuccessURL,
				FailureURL:        ps.FailureURL,
				SourceID:          ps.SourceID,
				CustomerToken:     ps.CustomerToken,
				RedirectURI:       ps.RedirectURI,
				PaymentResponse:   engine.ObjectOf(ps.PaymentResponse),
				MismatchedAmounts: ps.MismatchedAmounts,
				PaymentInstrument: engine.ObjectOf(ps.PaymentInstrument),
				CreatedAt:         engine.TimeOf(ps.CreatedAt),
				UpdatedAt:         engine.TimeOf(ps.UpdatedAt),
				Reference:         ps.Reference,
				ReferenceOrigin:   ps.ReferenceOrigin,
				Metadata:          engine.ObjectOf(ps.Metadata),
			}
		},
		Within:        sourceKind(models.SourceCheckoutCom),
		Stamp:         stampSource(models.SourceCheckoutCom),
		Relationships: sourceRelationships(),
		ParentOrder:   "order_id",
		Access:        sourceAccess(),
		OnCreate: func(c *engine.Call, ps *models.PaymentSource) error {
			releaseAfterCommit(c, ps)
			if ps.Token != nil && *ps.Token != "" {
				authorizeAfterCommit(c, ps)
			}
			return nil
		},
		Triggers: []engine.Trigger[models.PaymentSource]{
			{Name: "_authorize", Description: "Send this attribute (with a token) to authorize the payment; kept for the clients that still send it.",
				Run: sourceTrigger(func(c *engine.Call, ps *models.PaymentSource) error {
					if err := ps.Retry(c.Tx); err != nil {
						return err
					}
					authorizeAfterCommit(c, ps)
					return nil
				})},
			{Name: "_details", Description: "Send this attribute after the customer came back from 3DS: Kasse reads the payment's outcome from the provider.",
				Run: sourceTrigger(func(c *engine.Call, ps *models.PaymentSource) error {
					id, session := ps.ID, deref(ps.SessionID)
					c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Details(ctx, id, session) })
					return nil
				})},
			{Name: "_refresh", Description: "Send this attribute to re-read the payment from the provider and settle transactions whose outcome is unknown (a fallback for missed webhooks).",
				Run: sourceTrigger(refreshAfterCommit)},
		},
	})
}

// stripePaymentResource is a Stripe payment (a PaymentIntent).
type stripePaymentResource struct {
	ID                string         `jsonapi:"primary,stripe_payments"`
	StripeID          *string        `jsonapi:"attr,stripe_id"`
	ClientSecret      *string        `jsonapi:"attr,client_secret"`
	PublishableKey    *string        `jsonapi:"attr,publishable_key"`
	Options           map[string]any `jsonapi:"attr,options"`
	ReturnURL         *string        `jsonapi:"attr,return_url"`
	ReceiptEmail      *string        `jsonapi:"attr,receipt_email"`
	ChargeID          *string        `jsonapi:"attr,charge_id"`
	PaymentMethod     map[string]any `jsonapi:"attr,payment_method"`
	MismatchedAmounts bool           `jsonapi:"attr,mismatched_amounts"`
	PaymentInstrument map[string]any `jsonapi:"attr,payment_instrument"`
	CreatedAt         engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt         engine.Time    `jsonapi:"attr,updated_at"`
	Reference         *string        `jsonapi:"attr,reference"`
	ReferenceOrigin   *string        `jsonapi:"attr,reference_origin"`
	Metadata          map[string]any `jsonapi:"attr,metadata"`
}

func stripePayments() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentSource, stripePaymentResource]{
		Type: "stripe_payments",
		Description: "A Stripe PaymentIntent for the order's total. Without options.payment_method the intent is created for the browser to confirm " +
			"with Stripe.js (client_secret); with a pm_… it is confirmed at once. _refresh reads its outcome.",
		Actions: engine.AllActions,
		Attributes: base(
			engine.Text("stripe_id"),
			engine.Text("client_secret"),
			engine.Text("publishable_key"),
			engine.JSONObject("options").Create().Update().Column("stripe_options"),
			engine.URL("return_url").Create().Update(),
			engine.Text("receipt_email").Create(),
			engine.Text("charge_id"),
			engine.JSONObject("payment_method"),
			engine.Bool("mismatched_amounts"),
			engine.JSONObject("payment_instrument"),
		),
		Render: func(m *models.PaymentSource) *stripePaymentResource {
			return &stripePaymentResource{
				ID:                m.ID,
				StripeID:          m.GatewayPaymentID,
				ClientSecret:      m.ClientSecret,
				PublishableKey:    m.PublicKey,
				Options:           engine.ObjectOf(m.StripeOptions),
				ReturnURL:         m.ReturnURL,
				ReceiptEmail:      m.ReceiptEmail,
				ChargeID:          m.ChargeID,
				PaymentMethod:     engine.ObjectOf(m.PaymentInstrument),
				MismatchedAmounts: m.MismatchedAmounts,
				PaymentInstrument: engine.ObjectOf(m.PaymentInstrument),
				CreatedAt:         engine.TimeOf(m.CreatedAt),
				UpdatedAt:         engine.TimeOf(m.UpdatedAt),
				Reference:         m.Reference,
				ReferenceOrigin:   m.ReferenceOrigin,
				Metadata:          engine.ObjectOf(m.Metadata),
			}
		},
		Within:        sourceKind(models.SourceStripe),
		Stamp:         stampSource(models.SourceStripe),
		Relationships: sourceRelationships(),
		ParentOrder:   "order_id",
		Access:        sourceAccess(),
		OnCreate: func(c *engine.Call, ps *models.PaymentSource) error {
			releaseAfterCommit(c, ps)
			if method, ok := ps.StripeOptions["payment_method"].(string); ok && method != "" {
				ps.Token = &method
				if err := c.Tx.Save(ps).Error; err != nil {
					return err
				}
			}
			authorizeAfterCommit(c, ps)
			return nil
		},
		Triggers: []engine.Trigger[models.PaymentSource]{
			{Name: "_update", Description: "Send this attribute to update the PaymentIntent with the payment's options (a new payment_method retries it).",
				Run: sourceTrigger(func(c *engine.Call, ps *models.PaymentSource) error {
					if method, ok := ps.StripeOptions["payment_method"].(string); ok && method != "" && method != deref(ps.Token) {
						ps.Token = &method
						if err := ps.Retry(c.Tx); err != nil {
							return err
						}
						authorizeAfterCommit(c, ps)
					}
					return nil
				})},
			{Name: "_refresh", Description: "Send this attribute to read the PaymentIntent's outcome from Stripe and settle transactions whose outcome is unknown.",
				Run: sourceTrigger(refreshAfterCommit)},
		},
	})
}

// wireTransferResource is a payment by bank transfer (manual gateway).
type wireTransferResource struct {
	ID                string         `jsonapi:"primary,wire_transfers"`
	MismatchedAmounts bool           `jsonapi:"attr,mismatched_amounts"`
	CreatedAt         engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt         engine.Time    `jsonapi:"attr,updated_at"`
	Reference         *string        `jsonapi:"attr,reference"`
	ReferenceOrigin   *string        `jsonapi:"attr,reference_origin"`
	Metadata          map[string]any `jsonapi:"attr,metadata"`
}

func wireTransfers() *engine.Definition {
	return engine.Define(engine.Spec[models.PaymentSource, wireTransferResource]{
		Type:        "wire_transfers",
		Description: "A payment by bank transfer through a manual gateway: the order is placed unpaid-but-authorized and captured when the money arrives.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Bool("mismatched_amounts"),
		),
		Render: func(m *models.PaymentSource) *wireTransferResource {
			return &wireTransferResource{
				ID:                m.ID,
				MismatchedAmounts: m.MismatchedAmounts,
				CreatedAt:         engine.TimeOf(m.CreatedAt),
				UpdatedAt:         engine.TimeOf(m.UpdatedAt),
				Reference:         m.Reference,
				ReferenceOrigin:   m.ReferenceOrigin,
				Metadata:          engine.ObjectOf(m.Metadata),
			}
		},
		Within:        sourceKind(models.SourceWireTransfer),
		Stamp:         stampSource(models.SourceWireTransfer),
		Relationships: sourceRelationships(),
		ParentOrder:   "order_id",
		Access:        sourceAccess(),
		OnCreate: func(c *engine.Call, ps *models.PaymentSource) error {
			releaseAfterCommit(c, ps)
			return nil
		},
	})
}

func errNoGateways() error {
	return errs.New(errs.ValidationError, "no payment gateways are configured on this server")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
