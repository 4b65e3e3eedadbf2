package resources

import (
	"context"
	"encoding/json"
	"time"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
)

// checkoutSessionResource is a checkout session on the wire (a Kasse
// resource: docs/checkout-sessions.md).
type checkoutSessionResource struct {
	ID                     string         `jsonapi:"primary,checkout_sessions"`
	UUID                   string         `jsonapi:"attr,uuid"`
	Compat                 *string        `jsonapi:"attr,compat"`
	Status                 string         `jsonapi:"attr,status"`
	CheckoutURL            string         `jsonapi:"attr,checkout_url"`
	SuccessURL             string         `jsonapi:"attr,success_url"`
	FailureURL             *string        `jsonapi:"attr,failure_url"`
	CallbackURL            *string        `jsonapi:"attr,callback_url"`
	ExpiresIn              int            `jsonapi:"attr,expires_in"`
	ExpiresAt              engine.Time    `jsonapi:"attr,expires_at"`
	PaymentMethodType      string         `jsonapi:"attr,payment_method_type"`
	CustomerEmail          *string        `jsonapi:"attr,customer_email"`
	CustomerPhone          *string        `jsonapi:"attr,customer_phone"`
	Locale                 string         `jsonapi:"attr,locale"`
	MaxInstallments        int            `jsonapi:"attr,max_installments"`
	InterestPaidByCustomer bool           `jsonapi:"attr,interest_paid_by_customer"`
	Installments           *int           `jsonapi:"attr,installments"`
	Description            *string        `jsonapi:"attr,description"`
	AmountCents            int64          `jsonapi:"attr,amount_cents"`
	AmountFloat            float64        `jsonapi:"attr,amount_float"`
	FormattedAmount        string         `jsonapi:"attr,formatted_amount"`
	CurrencyCode           string         `jsonapi:"attr,currency_code"`
	FeeAmountCents         *int64         `jsonapi:"attr,fee_amount_cents"`
	NetAmountCents         *int64         `jsonapi:"attr,net_amount_cents"`
	FailureReason          *string        `jsonapi:"attr,failure_reason"`
	CompletedAt            *engine.Time   `jsonapi:"attr,completed_at"`
	Routing                map[string]any `jsonapi:"attr,routing"`
	CreatedAt              engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt              engine.Time    `jsonapi:"attr,updated_at"`
	Reference              *string        `jsonapi:"attr,reference"`
	ReferenceOrigin        *string        `jsonapi:"attr,reference_origin"`
	Metadata               map[string]any `jsonapi:"attr,metadata"`
}

// guestSessions are the sessions a guest reaches: of its markets, for
// orders no customer owns.
func guestSessions(p *models.Principal) []engine.Condition {
	return []engine.Condition{
		{{Column: "market_id", Predicate: engine.In, Values: ids(p.MarketIDs)}},
		{{Column: "customer_id", Predicate: engine.Null, Values: []any{true}}},
	}
}

// checkCheckoutSession holds the rules that depend on who asks: only
// integrations open amount-only sessions or pin a gateway; an order must
// be one the caller can address; the callback URL must pass the outbound
// URL guard.
func checkCheckoutSession(c *engine.Call, s *models.CheckoutSession, creating bool) error {
	if !creating {
		return nil
	}
	if name := models.CompatFrom(c.Ctx); name != "" {
		s.Compat = &name
	}
	integration := c.Principal.Role == models.RoleIntegration
	switch {
	case s.OrderID == "" && !integration:
		return errs.New(errs.ValidationError, "order - can't be blank (amount-only sessions are for integration tokens)").At(errs.RelationshipPointer("order"))
	case s.PaymentGatewayID != nil && !integration:
		return errs.New(errs.ValidationError, "payment_gateway - only integration tokens may pin a gateway").At(errs.RelationshipPointer("payment_gateway"))
	case s.MarketID != nil && !integration:
		return errs.New(errs.ValidationError, "market - is for amount-only sessions (integration tokens)").At(errs.RelationshipPointer("market"))
	}
	if s.OrderID != "" {
		if err := c.Visible("orders", s.OrderID, errs.RelationshipPointer("order")); err != nil {
			return err
		}
	}
	if s.CallbackURL != nil && *s.CallbackURL != "" {
		return c.URLGuard().CheckURL(c.Ctx, *s.CallbackURL)
	}
	return nil
}

func checkoutSessions() *engine.Definition {
	return engine.Define(engine.Spec[models.CheckoutSession, checkoutSessionResource]{
		Type:        "checkout_sessions",
		Description: "A checkout session is a payment page Kasse hosts for an order (or an amount): one call returns its checkout_url; the customer pays there; the merchant hears the outcome by redirect, callback, webhook and status (a Kasse resource).",
		Actions:     engine.Actions{List: true, Retrieve: true, Create: true, Update: true},
		Attributes: base(
			engine.Text("uuid").Filter().Max(36).Doc("The session's UUID: the id the checkout facades whose APIs show UUIDs answer with (sessionId, checkoutId)."),
			engine.Enum("compat", models.CompatFacades...).Filter().Doc("The checkout facade that opened the session (docs/checkout-apis.md), or null."),
			engine.Enum("status", models.SessionStatuses...).Filter().Sort().Doc("created → pending (page opened) → processing (payment submitted) → completed | failed (may pay again) | expired | cancelled."),
			engine.URL("checkout_url").Doc("The hosted payment page, on Kasse's own origin; unguessable (256 random bits)."),
			engine.URL("success_url").Create().Doc("Where the customer goes after paying, with ?checkout_session_id=…; without one the page shows its receipt."),
			engine.URL("failure_url").Create().Doc("Where the customer goes on cancel or expiry, with ?checkout_session_id=…"),
			engine.URL("callback_url").Create().Doc("Receives a signed form POST (checkout_session_id, status) on every outcome."),
			engine.Int("expires_in").Create().Doc("Seconds the page stays open: 300 to 86400, default 1800."),
			engine.Timestamp("expires_at").Filter().Sort(),
			engine.Enum("payment_method_type", models.PaymentMethodTypes...).Create().Filter().Doc("card (default), mobile_money or bank_transfer."),
			engine.Text("customer_email").Create().Filter(),
			engine.Text("customer_phone").Create().Max(16).Doc("E.164 (+2250700000001); required for mobile_money."),
			engine.Text("locale").Create().Max(16).Doc("The page's language (en, fr, fr_CI, en_AU…); default the order's language_code, else en."),
			engine.Int("max_installments").Create().Doc("1 to 36 (default 1): the page offers that many installments."),
			engine.Bool("interest_paid_by_customer").Create(),
			engine.Int("installments").Doc("The installments the customer chose."),
			engine.Text("description").Create().Max(200),
			engine.Int("amount_cents").Create().Filter().Sort().Doc("The order's total; sent only for an amount-only session (integrations), with currency_code."),
			engine.Number("amount_float"),
			engine.Text("formatted_amount"),
			engine.Text("currency_code").Create().Filter().Max(3),
			engine.Int("fee_amount_cents").Doc("The payment method's fee, recorded on completion: fee_fixed_cents + fee_percentage % rounded half up."),
			engine.Int("net_amount_cents").Doc("amount_cents − fee_amount_cents."),
			engine.Text("failure_reason"),
			engine.Timestamp("completed_at").Filter().Sort(),
			engine.JSONObject("routing").Doc("The routing decision: chosen payment_method_id, gateway_id, gateway_type and score; every candidate with eligible, score and reason; the attempts (gateway_id, outcome, at)."),
		),
		Render: func(s *models.CheckoutSession) *checkoutSessionResource {
			amount := models.Money{Cents: s.AmountCents, Currency: s.CurrencyCode}
			return &checkoutSessionResource{
				ID:                     s.ID,
				UUID:                   s.UUID,
				Compat:                 s.Compat,
				Status:                 s.CurrentStatus(time.Now()),
				SuccessURL:             s.SuccessURL,
				FailureURL:             s.FailureURL,
				CallbackURL:            s.CallbackURL,
				ExpiresIn:              s.ExpiresIn,
				ExpiresAt:              engine.TimeOf(s.ExpiresAt),
				PaymentMethodType:      s.PaymentMethodType,
				CustomerEmail:          s.CustomerEmail,
				CustomerPhone:          s.CustomerPhone,
				Locale:                 s.Locale,
				MaxInstallments:        s.MaxInstallments,
				InterestPaidByCustomer: s.InterestPaidByCustomer,
				Installments:           s.Installments,
				Description:            s.Description,
				AmountCents:            s.AmountCents,
				AmountFloat:            amount.Float(),
				FormattedAmount:        amount.Formatted(),
				CurrencyCode:           s.CurrencyCode,
				FeeAmountCents:         s.FeeAmountCents,
				NetAmountCents:         s.NetAmountCents,
				FailureReason:          s.FailureReason,
				CompletedAt:            engine.TimeOrNil(s.CompletedAt),
				Routing:                engine.ObjectOf(s.Routing),
				CreatedAt:              engine.TimeOf(s.CreatedAt),
				UpdatedAt:              engine.TimeOf(s.UpdatedAt),
				Reference:              s.Reference,
				ReferenceOrigin:        s.ReferenceOrigin,
				Metadata:               engine.ObjectOf(s.Metadata),
			}
		},
		Links: func(s *models.CheckoutSession, out *checkoutSessionResource, base string) {
			out.CheckoutURL = base + models.CheckoutPath(s.Token)
		},
		Relationships: []engine.Relationship{
			{Name: "order", Target: "orders", ForeignKey: "order_id", Create: true},
			{Name: "market", Target: "markets", ForeignKey: "market_id", Create: true, Description: "The market of an amount-only session (default: the one market selling its currency)."},
			{Name: "payment_gateway", Target: "payment_gateways", ForeignKey: "payment_gateway_id", Create: true,
				Accepts:     models.GatewayKinds,
				Description: "Integrations may pin one; otherwise routing's choice."},
			{Name: "payment_method", Target: "payment_methods", ForeignKey: "payment_method_id"},
			{Name: "payment_source", Polymorphic: models.SourceKinds, TypeColumn: "payment_source_type", ForeignKey: "payment_source_id"},
		},
		Access: engine.Access{
			models.RoleSalesChannel: engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(guestSessions, engine.Retrieve, engine.Update)),
			models.RoleCustomer:     engine.Merge(engine.Allow(engine.Create), engine.AllowScoped(ownedBy("customer_id"), engine.List, engine.Retrieve, engine.Update)),
		},
		Check:                 checkCheckoutSession,
		ParentOrder:           "order_id",
		RequireIdempotencyKey: true,
		Triggers: []engine.Trigger[models.CheckoutSession]{
			{Name: "_cancel", Description: "Send this attribute to cancel an open checkout session.",
				Run: func(c *engine.Call, s *models.CheckoutSession, _ json.RawMessage) error { return s.Cancel(c.Tx) }},
			{Name: "_refresh", Description: "Send this attribute to ask the provider again about the session's payment and settle the session.",
				Run: func(c *engine.Call, s *models.CheckoutSession, _ json.RawMessage) error {
					if c.PaymentFlow() == nil {
						return errNoGateways()
					}
					id := s.ID
					c.AfterCommit(func(ctx context.Context) error {
						return (&models.CheckoutSessions{Payments: c.PaymentFlow()}).Refresh(ctx, id)
					})
					return nil
				}},
		},
	})
}
