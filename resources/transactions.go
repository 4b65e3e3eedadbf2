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
	Number               string         `jsonapi:"attr,number" kasse:"filter,sort"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type" kasse:"column=payment_source_type,filter"`
	CurrencyCode         string         `jsonapi:"attr,currency_code" kasse:"filter"`
	AmountCents          int64          `jsonapi:"attr,amount_cents" kasse:"filter,sort"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded" kasse:"filter"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code" kasse:"filter"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id" kasse:"filter"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference            *string        `jsonapi:"attr,reference" kasse:"filter,sort"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin" kasse:"filter,sort"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func transactions() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, transactionResource]{
		Type:          "transactions",
		Description:   "Every provider call on a payment: authorizations, captures, voids and refunds, made by triggers only.",
		Actions:       engine.Actions{List: true, Retrieve: true},
		ParentOrder:   "order_id",
		Relationships: transactionRelationships(),
		Access:        transactionAccess(engine.List, engine.Retrieve),
		Derive: func(t *models.Transaction, out *transactionResource) {
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
		},
	})
}

// authorizationResource is an authorization with its balances.
type authorizationResource struct {
	ID                     string         `jsonapi:"primary,authorizations"`
	Number                 string         `jsonapi:"attr,number" kasse:"filter,sort"`
	PaymentMethodType      string         `jsonapi:"attr,payment_method_type" kasse:"column=payment_source_type,filter"`
	CurrencyCode           string         `jsonapi:"attr,currency_code" kasse:"filter"`
	AmountCents            int64          `jsonapi:"attr,amount_cents" kasse:"filter,sort"`
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
	Succeeded              bool           `jsonapi:"attr,succeeded" kasse:"filter"`
	Message                *string        `jsonapi:"attr,message"`
	ErrorCode              *string        `jsonapi:"attr,error_code" kasse:"filter"`
	ErrorDetail            *string        `jsonapi:"attr,error_detail"`
	Token                  *string        `jsonapi:"attr,token"`
	GatewayTransactionID   *string        `jsonapi:"attr,gateway_transaction_id" kasse:"filter"`
	CvvCode                *string        `jsonapi:"attr,cvv_code"`
	CvvMessage             *string        `jsonapi:"attr,cvv_message"`
	AvsCode                *string        `jsonapi:"attr,avs_code"`
	AvsMessage             *string        `jsonapi:"attr,avs_message"`
	FraudReview            *string        `jsonapi:"attr,fraud_review"`
	CaptureAmountRequested *int64         `jsonapi:"attr,_capture_amount_cents,omitempty" kasse:"update,writeonly,column=action_amount_cents,writers=integration"`
	CreatedAt              engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt              engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference              *string        `jsonapi:"attr,reference" kasse:"filter,sort"`
	ReferenceOrigin        *string        `jsonapi:"attr,reference_origin" kasse:"filter,sort"`
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
		Derive: func(t *models.Transaction, out *authorizationResource) {
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
		},
	})
}

// captureResource is a capture with what is left to refund.
type captureResource struct {
	ID                    string         `jsonapi:"primary,captures"`
	Number                string         `jsonapi:"attr,number" kasse:"filter,sort"`
	PaymentMethodType     string         `jsonapi:"attr,payment_method_type" kasse:"column=payment_source_type,filter"`
	CurrencyCode          string         `jsonapi:"attr,currency_code" kasse:"filter"`
	AmountCents           int64          `jsonapi:"attr,amount_cents" kasse:"filter,sort"`
	AmountFloat           float64        `jsonapi:"attr,amount_float"`
	FormattedAmount       string         `jsonapi:"attr,formatted_amount"`
	RefundAmountCents     int64          `jsonapi:"attr,refund_amount_cents"`
	RefundAmountFloat     float64        `jsonapi:"attr,refund_amount_float"`
	FormattedRefundAmount string         `jsonapi:"attr,formatted_refund_amount"`
	RefundBalanceCents    int64          `jsonapi:"attr,refund_balance_cents"`
	RefundBalanceFloat    float64        `jsonapi:"attr,refund_balance_float"`
	FormattedRefundBal    string         `jsonapi:"attr,formatted_refund_balance"`
	Succeeded             bool           `jsonapi:"attr,succeeded" kasse:"filter"`
	Message               *string        `jsonapi:"attr,message"`
	ErrorCode             *string        `jsonapi:"attr,error_code" kasse:"filter"`
	ErrorDetail           *string        `jsonapi:"attr,error_detail"`
	Token                 *string        `jsonapi:"attr,token"`
	GatewayTransactionID  *string        `jsonapi:"attr,gateway_transaction_id" kasse:"filter"`
	RefundAmountRequested *int64         `jsonapi:"attr,_refund_amount_cents,omitempty" kasse:"update,writeonly,column=action_amount_cents,writers=integration"`
	CreatedAt             engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt             engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference             *string        `jsonapi:"attr,reference" kasse:"filter,sort"`
	ReferenceOrigin       *string        `jsonapi:"attr,reference_origin" kasse:"filter,sort"`
	Metadata              map[string]any `jsonapi:"attr,metadata"`
}

func captures() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, captureResource]{
		Type:        "captures",
		Description: "A capture of an authorization, with what is left to refund (refund_balance).",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
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
		Derive: func(t *models.Transaction, out *captureResource) {
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
			balance := int64(0)
			if t.Succeeded {
				balance = t.AmountCents - t.UsedAmountCents
			}
			out.RefundAmountCents = t.UsedAmountCents
			out.RefundAmountFloat, out.FormattedRefundAmount = money(t.UsedAmountCents, t.CurrencyCode)
			out.RefundBalanceCents = balance
			out.RefundBalanceFloat, out.FormattedRefundBal = money(balance, t.CurrencyCode)
		},
	})
}

// voidResource and refundResource show the plain transaction attributes.
type voidResource struct {
	ID                   string         `jsonapi:"primary,voids"`
	Number               string         `jsonapi:"attr,number" kasse:"filter,sort"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type" kasse:"column=payment_source_type,filter"`
	CurrencyCode         string         `jsonapi:"attr,currency_code" kasse:"filter"`
	AmountCents          int64          `jsonapi:"attr,amount_cents" kasse:"filter,sort"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded" kasse:"filter"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code" kasse:"filter"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id" kasse:"filter"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference            *string        `jsonapi:"attr,reference" kasse:"filter,sort"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin" kasse:"filter,sort"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func voids() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, voidResource]{
		Type:        "voids",
		Description: "A void of an authorization.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Within:      transactionKind(models.TxVoid),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "reference_authorization", Target: "authorizations", ForeignKey: "reference_authorization_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
		Derive: func(t *models.Transaction, out *voidResource) {
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
		},
	})
}

type refundResource struct {
	ID                   string         `jsonapi:"primary,refunds"`
	Number               string         `jsonapi:"attr,number" kasse:"filter,sort"`
	PaymentMethodType    string         `jsonapi:"attr,payment_method_type" kasse:"column=payment_source_type,filter"`
	CurrencyCode         string         `jsonapi:"attr,currency_code" kasse:"filter"`
	AmountCents          int64          `jsonapi:"attr,amount_cents" kasse:"filter,sort"`
	AmountFloat          float64        `jsonapi:"attr,amount_float"`
	FormattedAmount      string         `jsonapi:"attr,formatted_amount"`
	Succeeded            bool           `jsonapi:"attr,succeeded" kasse:"filter"`
	Message              *string        `jsonapi:"attr,message"`
	ErrorCode            *string        `jsonapi:"attr,error_code" kasse:"filter"`
	ErrorDetail          *string        `jsonapi:"attr,error_detail"`
	Token                *string        `jsonapi:"attr,token"`
	GatewayTransactionID *string        `jsonapi:"attr,gateway_transaction_id" kasse:"filter"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference            *string        `jsonapi:"attr,reference" kasse:"filter,sort"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin" kasse:"filter,sort"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func refunds() *engine.Definition {
	return engine.Define(engine.Spec[models.Transaction, refundResource]{
		Type:        "refunds",
		Description: "A refund of (part of) a capture.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Within:      transactionKind(models.TxRefund),
		ParentOrder: "order_id",
		Relationships: transactionRelationships(
			engine.Relationship{Name: "reference_capture", Target: "captures", ForeignKey: "reference_capture_id"},
		),
		Access: transactionAccess(engine.List, engine.Retrieve),
		Derive: func(t *models.Transaction, out *refundResource) {
			out.AmountFloat, out.FormattedAmount = money(t.AmountCents, t.CurrencyCode)
		},
	})
}
