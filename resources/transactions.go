package resources

import (
	"context"
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// Every transaction kind shares the model and the table.
func transactionKind(kind string) []engine.Condition {
	return []engine.Condition{{{Column: "kind", Predicate: engine.Eq, Values: []any{kind}}}}
}

// Customers read the transactions of their orders; guests none.
func transactionAccess(verbs ...engine.Verb) engine.Access {
	return engine.Access{
		models.RoleSalesChannel: {},
		models.RoleCustomer:     engine.AllowScoped(throughOrder(ordersOfCustomer), verbs...),
	}
}

func transactionRelationships(extra ...engine.Relationship) []engine.Relationship {
	return append([]engine.Relationship{
		{Name: "order", Target: "orders", ForeignKey: "order_id"},
		{Name: "payment_source", Polymorphic: models.SourceKinds, TypeColumn: "payment_source_type", ForeignKey: "payment_source_id"},
	}, extra...)
}

func money(cents int64, currency string) (float64, string) {
	m := models.Money{Cents: cents, Currency: currency}
	return m.Float(), m.Formatted()
}

// transactionResource is the parent type listing every transaction.
type transactionResource struct {
	ID                   string         `jsonapi:"primary,transactions"`
	Number               string         `jsonapi:"attr,number"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type"`
	CurrencyCode         string         `jsonapi:"attr,currency_code"`
	AmountCents          int64          `jsonapi:"attr,amount_cents"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at"`
	Reference            *string        `jsonapi:"attr,reference"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

// plainTransactionAttributes are the attributes of a transaction without
// balances: the parent type's, a void's and a refund's.
func plainTransactionAttributes() []engine.Attr {
	return readOnlyBase(
		engine.Text("number").Filter().Sort(),
		engine.Text("payment_method_type").Filter().Column("payment_source_type"),
		engine.Text("currency_code").Filter(),
		engine.Int("amount_cents").Filter().Sort(),
		engine.Number("amount_float"),
		engine.Text("formatted_amount"),
		engine.Bool("succeeded").Filter(),
		engine.Text("message"),
		engine.Text("error_code").Filter(),
		engine.Text("error_detail"),
		engine.Text("token"),
		engine.Text("gateway_transaction_id").Filter(),
	)
}

// plainTransaction renders a transaction without balances. voidResource
// and refundResource have the same fields (google/jsonapi needs a struct
// per type for its primary tag), so they are conversions of it.
func plainTransaction(t *models.Transaction) *transactionResource {
	out := &transactionResource{
		ID:                   t.ID,
		Number:               t.Number,
		PaymentMethodType:    t.PaymentSourceType,
		CurrencyCode:         t.CurrencyCode,
		AmountCents:          t.AmountCents,
		Succeeded:            t.Succeeded,
		Message:              t.Message,
		ErrorCode:            t.ErrorCode,
		ErrorDetail:          t.ErrorDetail,
		GatewayTransactionID: t.GatewayTransactionID,
		CreatedAt:            engine.TimeOf(t.CreatedAt),
		UpdatedAt:            engine.TimeOf(t.UpdatedAt),
		Reference:            t.Reference,
		ReferenceOrigin:      t.ReferenceOrigin,
		Metadata:             engine.ObjectOf(t.Metadata),
	}
	out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
	return out
}

func transactions() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, transactionResource]{
		Type:          "transactions",
		Description:   "Every provider call on a payment: authorizations, captures, voids and refunds, made by triggers only.",
		Actions:       engine.Actions{List: true, Retrieve: true},
		Attributes:    plainTransactionAttributes(),
		Render:        plainTransaction,
		ParentOrder:   "order_id",
		Relationships: transactionRelationships(),
		Access:        transactionAccess(engine.List, engine.Retrieve),
	})
}

// authorizationResource is an authorization with its balances.
type authorizationResource struct {
	ID                     string         `jsonapi:"primary,authorizations"`
	Number                 string         `jsonapi:"attr,number"`
	PaymentMethodType      string         `jsonapi:"attr,payment_method_type"`
	CurrencyCode           string         `jsonapi:"attr,currency_code"`
	AmountCents            int64          `jsonapi:"attr,amount_cents"`
	AmountFloat            float64        `jsonapi:"attr,amount_float"`
	FormattedAmount        string         `jsonapi:"attr,formatted_amount"`
	CaptureAmountCents     int64          `jsonapi:"attr,capture_amount_cents"`
	CaptureAmountFloat     float64        `jsonapi:"attr,capture_amount_float"`
	FormattedCaptureAmount string         `jsonapi:"attr,formatted_capture_amount"`
	CaptureBalanceCents    int64          `jsonapi:"attr,capture_balance_cents"`
	CaptureBalanceFloat    float64        `jsonapi:"attr,capture_balance_float"`
	FormattedCaptureBal    string         `jsonapi:"attr,formatted_capture_balance"`
	VoidBalanceCents       int64          `jsonapi:"attr,void_balance_cents"`
	VoidBalanceFloat       float64        `jsonapi:"attr,void_balance_float"`
	FormattedVoidBalance   string         `jsonapi:"attr,formatted_void_balance"`
	Succeeded              bool           `jsonapi:"attr,succeeded"`
	Message                *string        `jsonapi:"attr,message"`
	ErrorCode              *string        `jsonapi:"attr,error_code"`
	ErrorDetail            *string        `jsonapi:"attr,error_detail"`
	Token                  *string        `jsonapi:"attr,token"`
	GatewayTransactionID   *string        `jsonapi:"attr,gateway_transaction_id"`
	CvvCode                *string        `jsonapi:"attr,cvv_code"`
	CvvMessage             *string        `jsonapi:"attr,cvv_message"`
	AvsCode                *string        `jsonapi:"attr,avs_code"`
	AvsMessage             *string        `jsonapi:"attr,avs_message"`
	FraudReview            *string        `jsonapi:"attr,fraud_review"`
	CaptureAmountRequested *int64         `jsonapi:"attr,_capture_amount_cents,omitempty"`
	CreatedAt              engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt              engine.Time    `jsonapi:"attr,updated_at"`
	Reference              *string        `jsonapi:"attr,reference"`
	ReferenceOrigin        *string        `jsonapi:"attr,reference_origin"`
	Metadata               map[string]any `jsonapi:"attr,metadata"`
}

// transactionAction begins a capture, void or refund under the order's
// lock and finishes it with the provider once committed.
func transactionAction(begin func(c *engine.Call, o *models.Order, t *models.Transaction) (*models.Transaction, error)) func(c *engine.Call, t *models.Transaction, _ json.RawMessage) error {
	return func(c *engine.Call, t *models.Transaction, _ json.RawMessage) error {
		if c.PaymentFlow() == nil {
			return errNoGateways()
		}
		o, err := models.LockOrder(c.Tx, t.OrderID)
		if err != nil {
			return err
		}
		action, err := begin(c, o, t)
		if err != nil {
			return err
		}
		id := action.ID
		c.AfterCommit(func(ctx context.Context) error { return c.PaymentFlow().Finish(ctx, id) })
		return nil
	}
}

func amountOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func authorizations() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, authorizationResource]{
		Type:        "authorizations",
		Description: "An authorization of a payment, with what is left to capture (capture_balance) or void.",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
		Attributes: readOnlyBase(
			engine.Text("number").Filter().Sort(),
			engine.Text("payment_method_type").Filter().Column("payment_source_type"),
			engine.Text("currency_code").Filter(),
			engine.Int("amount_cents").Filter().Sort(),
			engine.Number("amount_float"),
			engine.Text("formatted_amount"),
			engine.Int("capture_amount_cents"),
			engine.Number("capture_amount_float"),
			engine.Text("formatted_capture_amount"),
			engine.Int("capture_balance_cents"),
			engine.Number("capture_balance_float"),
			engine.Text("formatted_capture_balance"),
			engine.Int("void_balance_cents"),
			engine.Number("void_balance_float"),
			engine.Text("formatted_void_balance"),
			engine.Bool("succeeded").Filter(),
			engine.Text("message"),
			engine.Text("error_code").Filter(),
			engine.Text("error_detail"),
			engine.Text("token"),
			engine.Text("gateway_transaction_id").Filter(),
			engine.Text("cvv_code"),
			engine.Text("cvv_message"),
			engine.Text("avs_code"),
			engine.Text("avs_message"),
			engine.Text("fraud_review"),
			engine.Int("_capture_amount_cents").Update().WriteOnly().Writers(models.RoleIntegration).Column("action_amount_cents"),
		),
		Render: func(t *models.Transaction) *authorizationResource {
			out := &authorizationResource{
				ID:                   t.ID,
				Number:               t.Number,
				PaymentMethodType:    t.PaymentSourceType,
				CurrencyCode:         t.CurrencyCode,
				AmountCents:          t.AmountCents,
				Succeeded:            t.Succeeded,
				Message:              t.Message,
				ErrorCode:            t.ErrorCode,
				ErrorDetail:          t.ErrorDetail,
				GatewayTransactionID: t.GatewayTransactionID,
				CreatedAt:            engine.TimeOf(t.CreatedAt),
				UpdatedAt:            engine.TimeOf(t.UpdatedAt),
				Reference:            t.Reference,
				ReferenceOrigin:      t.ReferenceOrigin,
				Metadata:             engine.ObjectOf(t.Metadata),
			}
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
			balance, void := int64(0), int64(0)
			if t.Succeeded && !t.Voided {
				balance = t.AmountCents - t.UsedAmountCents
				if t.UsedAmountCents == 0 {
					void = t.AmountCents
				}
			}
			out.CaptureAmountCents = t.UsedAmountCents
			out.CaptureAmountFloat, out.FormattedCaptureAmount = money(t.UsedAmountCents, t.CurrencyCode)
			out.CaptureBalanceCents = balance
			out.CaptureBalanceFloat, out.FormattedCaptureBal = money(balance, t.CurrencyCode)
			out.VoidBalanceCents = void
			out.VoidBalanceFloat, out.FormattedVoidBalance = money(void, t.CurrencyCode)
			return out
		},
		Within:      transactionKind(models.TxAuthorization),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "captures", Target: "captures", ToMany: true, InverseKey: "reference_authorization_id"},
			engine.Relationship{Name: "voids", Target: "voids", ToMany: true, InverseKey: "reference_authorization_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
		Load:   models.LoadBalances,
		Triggers: []engine.Trigger[models.Transaction]{
			{Name: "_capture", Writers: backOffice, Description: "Send this attribute to capture the authorization (all of its balance, or _capture_amount_cents).",
				Run: transactionAction(func(c *engine.Call, o *models.Order, t *models.Transaction) (*models.Transaction, error) {
					return models.BeginCapture(c.Tx, o, t, amountOf(t.ActionAmountCents))
				})},
			{Name: "_void", Writers: backOffice, Description: "Send this attribute to void the authorization (nothing may have been captured).",
				Run: transactionAction(func(c *engine.Call, o *models.Order, t *models.Transaction) (*models.Transaction, error) {
					return models.BeginVoid(c.Tx, o, t)
				})},
		},
	})
}

// captureResource is a capture with what is left to refund.
type captureResource struct {
	ID                    string         `jsonapi:"primary,captures"`
	Number                string         `jsonapi:"attr,number"`
	PaymentMethodType     string         `jsonapi:"attr,payment_method_type"`
	CurrencyCode          string         `jsonapi:"attr,currency_code"`
	AmountCents           int64          `jsonapi:"attr,amount_cents"`
	AmountFloat           float64        `jsonapi:"attr,amount_float"`
	FormattedAmount       string         `jsonapi:"attr,formatted_amount"`
	RefundAmountCents     int64          `jsonapi:"attr,refund_amount_cents"`
	RefundAmountFloat     float64        `jsonapi:"attr,refund_amount_float"`
	FormattedRefundAmount string         `jsonapi:"attr,formatted_refund_amount"`
	RefundBalanceCents    int64          `jsonapi:"attr,refund_balance_cents"`
	RefundBalanceFloat    float64        `jsonapi:"attr,refund_balance_float"`
	FormattedRefundBal    string         `jsonapi:"attr,formatted_refund_balance"`
	Succeeded             bool           `jsonapi:"attr,succeeded"`
	Message               *string        `jsonapi:"attr,message"`
	ErrorCode             *string        `jsonapi:"attr,error_code"`
	ErrorDetail           *string        `jsonapi:"attr,error_detail"`
	Token                 *string        `jsonapi:"attr,token"`
	GatewayTransactionID  *string        `jsonapi:"attr,gateway_transaction_id"`
	RefundAmountRequested *int64         `jsonapi:"attr,_refund_amount_cents,omitempty"`
	CreatedAt             engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt             engine.Time    `jsonapi:"attr,updated_at"`
	Reference             *string        `jsonapi:"attr,reference"`
	ReferenceOrigin       *string        `jsonapi:"attr,reference_origin"`
	Metadata              map[string]any `jsonapi:"attr,metadata"`
}

func captures() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, captureResource]{
		Type:        "captures",
		Description: "A capture of an authorization, with what is left to refund (refund_balance).",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
		Attributes: readOnlyBase(
			engine.Text("number").Filter().Sort(),
			engine.Text("payment_method_type").Filter().Column("payment_source_type"),
			engine.Text("currency_code").Filter(),
			engine.Int("amount_cents").Filter().Sort(),
			engine.Number("amount_float"),
			engine.Text("formatted_amount"),
			engine.Int("refund_amount_cents"),
			engine.Number("refund_amount_float"),
			engine.Text("formatted_refund_amount"),
			engine.Int("refund_balance_cents"),
			engine.Number("refund_balance_float"),
			engine.Text("formatted_refund_balance"),
			engine.Bool("succeeded").Filter(),
			engine.Text("message"),
			engine.Text("error_code").Filter(),
			engine.Text("error_detail"),
			engine.Text("token"),
			engine.Text("gateway_transaction_id").Filter(),
			engine.Int("_refund_amount_cents").Update().WriteOnly().Writers(models.RoleIntegration).Column("action_amount_cents"),
		),
		Render: func(t *models.Transaction) *captureResource {
			out := &captureResource{
				ID:                   t.ID,
				Number:               t.Number,
				PaymentMethodType:    t.PaymentSourceType,
				CurrencyCode:         t.CurrencyCode,
				AmountCents:          t.AmountCents,
				Succeeded:            t.Succeeded,
				Message:              t.Message,
				ErrorCode:            t.ErrorCode,
				ErrorDetail:          t.ErrorDetail,
				GatewayTransactionID: t.GatewayTransactionID,
				CreatedAt:            engine.TimeOf(t.CreatedAt),
				UpdatedAt:            engine.TimeOf(t.UpdatedAt),
				Reference:            t.Reference,
				ReferenceOrigin:      t.ReferenceOrigin,
				Metadata:             engine.ObjectOf(t.Metadata),
			}
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
			balance := int64(0)
			if t.Succeeded {
				balance = t.AmountCents - t.UsedAmountCents
			}
			out.RefundAmountCents = t.UsedAmountCents
			out.RefundAmountFloat, out.FormattedRefundAmount = money(t.UsedAmountCents, t.CurrencyCode)
			out.RefundBalanceCents = balance
			out.RefundBalanceFloat, out.FormattedRefundBal = money(balance, t.CurrencyCode)
			return out
		},
		Within:      transactionKind(models.TxCapture),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "reference_authorization", Target: "authorizations", ForeignKey: "reference_authorization_id"},
			engine.Relationship{Name: "refunds", Target: "refunds", ToMany: true, InverseKey: "reference_capture_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
		Load:   models.LoadBalances,
		Triggers: []engine.Trigger[models.Transaction]{
			{Name: "_refund", Writers: backOffice, Description: "Send this attribute to refund the capture (all of its balance, or _refund_amount_cents).",
				Run: transactionAction(func(c *engine.Call, o *models.Order, t *models.Transaction) (*models.Transaction, error) {
					return models.BeginRefund(c.Tx, o, t, amountOf(t.ActionAmountCents))
				})},
		},
	})
}

// voidResource and refundResource show the plain transaction attributes.
type voidResource struct {
	ID                   string         `jsonapi:"primary,voids"`
	Number               string         `jsonapi:"attr,number"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type"`
	CurrencyCode         string         `jsonapi:"attr,currency_code"`
	AmountCents          int64          `jsonapi:"attr,amount_cents"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at"`
	Reference            *string        `jsonapi:"attr,reference"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func voids() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, voidResource]{
		Type:        "voids",
		Description: "A void of an authorization.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Attributes:  plainTransactionAttributes(),
		Render:      func(t *models.Transaction) *voidResource { return (*voidResource)(plainTransaction(t)) },
		Within:      transactionKind(models.TxVoid),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "reference_authorization", Target: "authorizations", ForeignKey: "reference_authorization_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
	})
}

type refundResource struct {
	ID                   string         `jsonapi:"primary,refunds"`
	Number               string         `jsonapi:"attr,number"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type"`
	CurrencyCode         string         `jsonapi:"attr,currency_code"`
	AmountCents          int64          `jsonapi:"attr,amount_cents"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at"`
	Reference            *string        `jsonapi:"attr,reference"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func refunds() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, refundResource]{
		Type:        "refunds",
		Description: "A refund of (part of) a capture.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Attributes:  plainTransactionAttributes(),
		Render:      func(t *models.Transaction) *refundResource { return (*refundResource)(plainTransaction(t)) },
		Within:      transactionKind(models.TxRefund),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "reference_capture", Target: "captures", ForeignKey: "reference_capture_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
	})
}
