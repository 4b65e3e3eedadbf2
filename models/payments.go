package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Payment source kinds: the resource type of each. They share the
// payment_sources table; an order's payment_source points to one.
const (
	SourceCheckoutCom  = "checkout_com_payments"
	SourceStripe       = "stripe_payments"
	SourceWireTransfer = "wire_transfers"
)

// SourceKinds lists the payment source kinds.
var SourceKinds = []string{SourceCheckoutCom, SourceStripe, SourceWireTransfer}

// Payment source statuses (Kasse's own, behind payment_response).
const (
	SourcePending    = "pending" // created; the provider's answer is not known yet
	SourceAction     = "requires_action"
	SourceAuthorized = "authorized" // the provider authorized the amount
	SourceCaptured   = "captured"   // authorized and captured at once
	SourceDeclined   = "declined"
)

// PaymentSource is a payment attached to an order: a tokenized card
// payment (checkout_com_payments, stripe_payments) or a wire transfer.
type PaymentSource struct {
	Base
	Kind              string
	OrderID           string
	PaymentGatewayID  *string
	Status            string
	AmountCents       int64
	CurrencyCode      string
	MismatchedAmounts bool
	Token             *string
	PublicKey         *string
	PaymentType       *string
	SessionID         *string
	SuccessURL        *string `gorm:"column:success_url"`
	FailureURL        *string `gorm:"column:failure_url"`
	SourceID          *string
	CustomerToken     *string
	RedirectURI       *string `gorm:"column:redirect_uri"`
	PaymentResponse   db.JSONObject
	PaymentInstrument db.JSONObject
	GatewayPaymentID  *string
	AutoCapture       bool
	StripeOptions     db.JSONObject
	ReturnURL         *string `gorm:"column:return_url"`
	ReceiptEmail      *string
	ClientSecret      *string
	ChargeID          *string

	// ReleaseVoidID is the pending void that a new payment began on the
	// payment it replaced (set by AfterWrite): it is finished with the
	// provider once the write commits.
	ReleaseVoidID string `gorm:"-"`
	// attachTo is the order a new payment attaches to, locked and read by
	// BeforeWrite on create: only a new payment becomes the order's payment
	// source (a `_refresh` of a replaced one must not take the order back).
	attachTo *Order
}

// TableName puts every payment source kind in one table.
func (PaymentSource) TableName() string { return "payment_sources" }

// cardNumber matches what looks like a card number: Kasse never accepts
// one, only provider tokens.
var cardNumber = regexp.MustCompile(`^[0-9][0-9 -]{11,22}[0-9]$`)

// BeforeWrite attaches a new payment to its order: the order must be a
// cart whose payment method takes this kind of source; the amount is the
// order's total now; the gateway is the payment method's.
func (ps *PaymentSource) BeforeWrite(tx *gorm.DB, creating bool) error {
	if ps.Token != nil && cardNumber.MatchString(strings.TrimSpace(*ps.Token)) {
		return errs.Invalid("token", "card numbers are never accepted: send a provider token")
	}
	ps.attachTo = nil
	if !creating {
		return nil
	}
	order, err := LockOrder(tx, ps.OrderID)
	if err != nil {
		return err
	}
	ps.attachTo = order
	if !order.Editable() {
		return errs.New(errs.ValidationError, "the order is %s: a payment can be attached only to a draft or pending order", order.Status).At(errs.RelationshipPointer("order"))
	}
	if order.PaymentMethodID == nil {
		return errs.New(errs.ValidationError, "order - has no payment method: set the order's payment_method first").At(errs.RelationshipPointer("order"))
	}
	var pm PaymentMethod
	if err := tx.Where("id = ?", *order.PaymentMethodID).Take(&pm).Error; err != nil {
		return err
	}
	if pm.PaymentSourceType != ps.Kind {
		return errs.New(errs.ValidationError, "order - its payment method takes %s, not %s", pm.PaymentSourceType, ps.Kind).At(errs.RelationshipPointer("order"))
	}
	if pm.PaymentGatewayID == nil {
		return errs.New(errs.ValidationError, "order - its payment method has no payment gateway").At(errs.RelationshipPointer("order"))
	}
	var gw PaymentGateway
	if err := tx.Where("id = ?", *pm.PaymentGatewayID).Take(&gw).Error; err != nil {
		return err
	}
	if gw.DisabledAt != nil {
		return errs.New(errs.ValidationError, "order - the payment gateway %s is disabled", gw.Name).At(errs.RelationshipPointer("order"))
	}
	if ps.Kind == SourceCheckoutCom && ps.PaymentType == nil {
		// The current shape needs the 3DS return URLs; the legacy one
		// (with payment_type) made them optional.
		var v collect
		if ps.SuccessURL == nil || strings.TrimSpace(*ps.SuccessURL) == "" {
			_ = v.add(errs.Invalid("success_url", "can't be blank"))
		}
		if ps.FailureURL == nil || strings.TrimSpace(*ps.FailureURL) == "" {
			_ = v.add(errs.Invalid("failure_url", "can't be blank"))
		}
		if err := v.err(); err != nil {
			return err
		}
	}
	ps.PaymentGatewayID, ps.AmountCents, ps.CurrencyCode, ps.AutoCapture = &gw.ID, order.TotalAmountWithTaxesCents, order.CurrencyCode, pm.AutoCapture
	ps.PublicKey = gw.PublicKey
	ps.Status = SourcePending
	if ps.Kind == SourceWireTransfer {
		// Nothing to authorize: the money arrives by bank transfer.
		ps.Status = SourceAuthorized
	}
	return nil
}

// AfterWrite makes a new payment the order's payment source (an update
// changes nothing on the order), releasing
// the hold of the payment it replaces: an authorized one is voided (its
// void is begun here and finished after commit); a captured one cannot be
// replaced.
func (ps *PaymentSource) AfterWrite(tx *gorm.DB) error {
	order := ps.attachTo
	if order == nil {
		return nil
	}
	if order.PaymentSourceID != nil && *order.PaymentSourceID != ps.ID {
		var err error
		if ps.ReleaseVoidID, err = releaseSource(tx, order, *order.PaymentSourceID); err != nil {
			return err
		}
	}
	return tx.Model(&Order{}).Where("id = ? AND (payment_source_id IS NULL OR payment_source_id <> ?)", ps.OrderID, ps.ID).
		Updates(map[string]any{"payment_source_type": ps.Kind, "payment_source_id": ps.ID, "updated_at": db.Now()}).Error
}

// releaseSource begins the void of the authorization a replaced payment
// holds, if any, and returns the void's id.
func releaseSource(tx *gorm.DB, o *Order, replacedID string) (string, error) {
	old, err := loadSource(tx, replacedID)
	if err != nil {
		return "", err
	}
	switch old.Status {
	case SourceCaptured:
		return "", errs.New(errs.ValidationError, "order - its payment %s is already captured: it cannot be replaced", old.ID).At(errs.RelationshipPointer("order"))
	case SourceAuthorized:
	default:
		return "", nil // nothing held yet; if it is authorized later, record voids it
	}
	var auth Transaction
	err = tx.Where("payment_source_id = ? AND kind = ? AND succeeded = ?", old.ID, TxAuthorization, true).Order("created_at DESC, number DESC").Take(&auth).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil // a wire transfer: authorized on place, nothing to release before
	}
	if err != nil {
		return "", err
	}
	balance, err := BalanceOf(tx, &auth)
	if err != nil || balance.Voided || balance.Captured {
		return "", err
	}
	void, err := BeginVoid(tx, o, &auth)
	if err != nil || void == nil {
		return "", err
	}
	return void.ID, nil
}

// Retry readies a payment for another authorization (`_authorize`, a new
// token): a declined one becomes pending again; an authorized one stays.
func (ps *PaymentSource) Retry(tx *gorm.DB) error {
	switch ps.Status {
	case SourceAuthorized, SourceCaptured:
		return errs.New(errs.ValidationError, "the payment is already %s", ps.Status)
	case SourceDeclined, SourceAction:
		ps.Status, ps.RedirectURI = SourcePending, nil
	}
	if ps.Kind == SourceCheckoutCom && (ps.Token == nil || strings.TrimSpace(*ps.Token) == "") {
		return errs.Invalid("token", "can't be blank")
	}
	return tx.Save(ps).Error
}

// authorizeKey is the idempotency key of an authorization attempt: stable
// for one token (a retry after a timeout replays it), new for a new one.
func (ps *PaymentSource) authorizeKey() string {
	sum := sha256.Sum256([]byte(deref(ps.Token)))
	return "kasse_" + ps.ID + "_authorize_" + hex.EncodeToString(sum[:6])
}

// Authorized says whether the payment holds money for the order.
func (ps *PaymentSource) Authorized() bool {
	return ps.Status == SourceAuthorized || ps.Status == SourceCaptured
}

// Transaction kinds: the resource type of each. They share the
// transactions table, whose parent resource lists them all.
const (
	TxAuthorization = "authorizations"
	TxCapture       = "captures"
	TxVoid          = "voids"
	TxRefund        = "refunds"
)

// Transaction statuses (Kasse's own; `succeeded` is the reference's flag).
const (
	TxPending   = "pending"   // recorded before the provider call
	TxSucceeded = "succeeded" // the provider confirmed it
	TxFailed    = "failed"    // the provider refused it
	TxUnknown   = "unknown"   // the provider did not answer: `_refresh` settles it
)

// Transaction is one provider call on a payment: an authorization,
// capture, void or refund.
type Transaction struct {
	Base
	Kind                     string
	Number                   string
	OrderID                  string
	PaymentSourceID          string
	PaymentSourceType        string
	CurrencyCode             string
	AmountCents              int64
	Status                   string
	Succeeded                bool
	Message                  *string
	ErrorCode                *string
	ErrorDetail              *string
	GatewayTransactionID     *string
	ReferenceAuthorizationID *string
	ReferenceCaptureID       *string
	// CancelsOrder marks the void an order's `_cancel` began: the order is
	// cancelled when it succeeds.
	CancelsOrder bool

	// Balances, computed by LoadBalances for display.
	UsedAmountCents int64 `gorm:"-"` // captured (authorizations) or refunded (captures), pending included
	Voided          bool  `gorm:"-"`
	// ActionAmountCents is `_capture_amount_cents` or `_refund_amount_cents`
	// sent with the trigger (0: the whole balance).
	ActionAmountCents *int64 `gorm:"-"`
}

// LoadBalances computes the balances of authorizations and captures in one
// query for all of them.
func LoadBalances(tx *gorm.DB, txs []*Transaction) error {
	var ids []string
	for _, t := range txs {
		if t.Kind == TxAuthorization || t.Kind == TxCapture {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		Parent string
		Kind   string
		Amount int64
	}
	err := db.Scan(tx.Model(&Transaction{}).
		Select("COALESCE(reference_capture_id, reference_authorization_id) AS parent, kind, COALESCE(SUM(amount_cents), 0) AS amount").
		Where("(reference_authorization_id IN ? OR reference_capture_id IN ?) AND status <> ?", ids, ids, TxFailed).
		Group("COALESCE(reference_capture_id, reference_authorization_id), kind"), &rows)
	if err != nil {
		return err
	}
	byID := map[string]*Transaction{}
	for _, t := range txs {
		byID[t.ID] = t
	}
	for _, r := range rows {
		t := byID[r.Parent]
		if t == nil {
			continue
		}
		switch {
		case t.Kind == TxAuthorization && r.Kind == TxCapture, t.Kind == TxCapture && r.Kind == TxRefund:
			t.UsedAmountCents += r.Amount
		case t.Kind == TxAuthorization && r.Kind == TxVoid:
			t.Voided = true
		}
	}
	return nil
}

// Holds says whether the transaction counts against a balance: it
// succeeded, or its outcome is not known yet.
func (t *Transaction) Holds() bool { return t.Status != TxFailed }

// newTransaction records a transaction on an order, numbered after it.
func newTransaction(tx *gorm.DB, o *Order, ps *PaymentSource, kind string, amount int64) (*Transaction, error) {
	var n int64
	if err := tx.Model(&Transaction{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
		return nil, err
	}
	t := &Transaction{Kind: kind, Number: fmt.Sprintf("%d/T/%03d", o.Number, n+1), OrderID: o.ID, PaymentSourceID: ps.ID,
		PaymentSourceType: ps.Kind, CurrencyCode: ps.CurrencyCode, AmountCents: amount, Status: TxPending}
	return t, tx.Create(t).Error
}

// settle writes a provider's answer on a transaction.
func (t *Transaction) settle(res *ProviderResult, callErr error) {
	var pe *ProviderError
	switch {
	case callErr == nil && (res.Outcome == Approved || res.Outcome == Pending):
		// Pending is an action the provider accepted (Checkout.com answers
		// 202 to captures and refunds): final unless a webhook says otherwise.
		t.Status, t.Succeeded = TxSucceeded, true
	case callErr == nil:
		t.Status, t.Succeeded = TxFailed, false
	case errors.As(callErr, &pe) && !pe.Temporary:
		t.Status, t.Succeeded = TxFailed, false
		t.ErrorCode, t.Message = &pe.Code, &pe.Message
		return
	default:
		t.Status, t.Succeeded = TxUnknown, false
		msg := "the payment provider did not answer: send _refresh to settle"
		t.Message = &msg
		return
	}
	if res.ActionID != "" {
		t.GatewayTransactionID = &res.ActionID
	} else if res.PaymentID != "" && t.Kind == TxAuthorization {
		t.GatewayTransactionID = &res.PaymentID
	}
	msg := res.Message
	if msg == "" {
		msg = res.Status
	}
	if msg != "" {
		t.Message = &msg
	}
	if res.ResponseCode != "" {
		t.ErrorCode = &res.ResponseCode
	}
}

// Balance is what is left of an authorization to capture (or void), or of
// a capture to refund, counting transactions whose outcome is unknown.
type Balance struct {
	Amount   int64 // the authorization's or capture's amount
	Used     int64 // captured (or refunded) so far, pending included
	Voided   bool
	Captured bool // some capture holds
}

// Remaining is what may still be captured or refunded.
func (b Balance) Remaining() int64 {
	if b.Voided {
		return 0
	}
	return b.Amount - b.Used
}

// BalanceOf computes a transaction's balance from rows.
func BalanceOf(tx *gorm.DB, t *Transaction) (Balance, error) {
	b := Balance{Amount: t.AmountCents}
	if !t.Succeeded {
		return Balance{}, nil
	}
	var children []Transaction
	column := "reference_authorization_id"
	if t.Kind == TxCapture {
		column = "reference_capture_id"
	}
	if err := tx.Where(column+" = ? AND status <> ?", t.ID, TxFailed).Find(&children).Error; err != nil {
		return b, err
	}
	for _, c := range children {
		switch {
		case t.Kind == TxAuthorization && c.Kind == TxCapture:
			b.Used += c.AmountCents
			b.Captured = true
		case t.Kind == TxAuthorization && c.Kind == TxVoid:
			b.Voided = true
		case t.Kind == TxCapture && c.Kind == TxRefund:
			b.Used += c.AmountCents
		}
	}
	return b, nil
}
