package models

import (
	"crypto/rand"
	"encoding/hex"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Checkout session statuses (docs/checkout-sessions.md). Completed,
// expired and cancelled are final; a failed session may be paid again on
// its page until it expires.
const (
	SessionCreated    = "created"
	SessionPending    = "pending"    // the customer opened the page
	SessionProcessing = "processing" // a payment was submitted; the provider has not settled it
	SessionCompleted  = "completed"
	SessionFailed     = "failed"
	SessionExpired    = "expired"
	SessionCancelled  = "cancelled"
)

// The checkout facades (docs/checkout-apis.md), as --compat names them.
const (
	CompatCourses     = "courses"
	CompatMobileMoney = "mobile_money"
	CompatSessions    = "sessions"
	CompatLinks       = "links"
)

// CompatFacades are the facades, in the order the docs list them.
var CompatFacades = []string{CompatCourses, CompatMobileMoney, CompatSessions, CompatLinks}

// SessionStatuses lists the statuses.
var SessionStatuses = []string{SessionCreated, SessionPending, SessionProcessing, SessionCompleted, SessionFailed, SessionExpired, SessionCancelled}

// openSessionStatuses are the statuses a session can leave.
var openSessionStatuses = []string{SessionCreated, SessionPending, SessionProcessing, SessionFailed}

// Session TTL bounds, in seconds.
const (
	MinSessionTTL     = 300
	MaxSessionTTL     = 86400
	DefaultSessionTTL = 1800
	MaxInstallments   = 36
)

// ItemAdjustment is the item_type of the line item that carries an
// amount-only session's amount.
const ItemAdjustment = "adjustments"

// CheckoutSession is a hosted payment page for an order (Kasse's own
// resource). Token is the page's unguessable address; the routing
// decision and its attempts are kept in Routing.
type CheckoutSession struct {
	Base
	// UUID is the session's second, UUID-shaped id, for the facades whose
	// APIs show UUIDs (docs/checkout-apis.md).
	UUID string `gorm:"column:uuid"`
	// Compat is the facade that opened the session (CompatLinks…), or nil.
	Compat                 *string
	Token                  string
	CSRFToken              string `gorm:"column:csrf_token"`
	Status                 string
	OrderID                string
	MarketID               *string
	CustomerID             *string
	AmountOnly             bool
	PaymentGatewayID       *string
	PinnedGateway          bool
	PaymentMethodID        *string
	PaymentSourceType      *string
	PaymentSourceID        *string
	SuccessURL             string  `gorm:"column:success_url"`
	FailureURL             *string `gorm:"column:failure_url"`
	CallbackURL            *string `gorm:"column:callback_url"`
	ExpiresIn              int
	ExpiresAt              time.Time
	PaymentMethodType      string
	CustomerEmail          *string
	CustomerPhone          *string
	Locale                 string
	MaxInstallments        int
	InterestPaidByCustomer bool
	Installments           *int
	Description            *string
	AmountCents            int64
	CurrencyCode           string
	FeeAmountCents         *int64
	NetAmountCents         *int64
	FailureReason          *string
	CompletedAt            *time.Time
	Routing                db.JSONObject
}

// TableName is the sessions table.
func (CheckoutSession) TableName() string { return "checkout_sessions" }

// SetDefaults gives a new session the documented defaults.
func (s *CheckoutSession) SetDefaults() {
	s.ExpiresIn, s.PaymentMethodType, s.MaxInstallments = DefaultSessionTTL, MethodCard, 1
}

// CurrentStatus is the status a reader sees: a session still open after
// its expires_at is expired, even before the expiry job has run.
func (s *CheckoutSession) CurrentStatus(now time.Time) string {
	if slices.Contains(openSessionStatuses, s.Status) && !now.Before(s.ExpiresAt) {
		return SessionExpired
	}
	return s.Status
}

// Final says whether the session can no longer change.
func (s *CheckoutSession) Final() bool {
	return s.Status == SessionCompleted || s.Status == SessionExpired || s.Status == SessionCancelled
}

// SessionTopic is the event topic of a session status
// (completed → checkout_sessions.complete).
func SessionTopic(status string) string {
	verb := map[string]string{SessionCompleted: "complete", SessionFailed: "fail", SessionExpired: "expire", SessionCancelled: "cancel"}[status]
	if verb == "" {
		verb = status
	}
	return "checkout_sessions." + verb
}

// CheckoutPath is the hosted page's path for a session token.
func CheckoutPath(token string) string { return "/checkout/" + token }

var (
	e164   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	locale = regexp.MustCompile(`^[a-z]{2,3}([_-][A-Za-z]{2,4})?$`)
)

// randomToken is 32 random bytes in hex: 256 bits.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// absoluteURL checks an http(s) URL attribute.
func absoluteURL(name string, raw *string, required bool) error {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		if required {
			return errs.Invalid(name, "can't be blank")
		}
		return nil
	}
	u, err := url.Parse(*raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errs.Invalid(name, "must be an absolute http or https URL")
	}
	return nil
}

func validEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email
}

// checkFields checks what a create sends, all failures at once.
func (s *CheckoutSession) checkFields() error {
	var v collect
	_ = v.add(absoluteURL("success_url", &s.SuccessURL, false))
	_ = v.add(absoluteURL("failure_url", s.FailureURL, false))
	_ = v.add(absoluteURL("callback_url", s.CallbackURL, false))
	if s.ExpiresIn < MinSessionTTL || s.ExpiresIn > MaxSessionTTL {
		_ = v.add(errs.Invalid("expires_in", "must be between 300 and 86400 seconds"))
	}
	if !slices.Contains(PaymentMethodTypes, s.PaymentMethodType) {
		_ = v.add(errs.Invalid("payment_method_type", "must be one of "+strings.Join(PaymentMethodTypes, ", ")))
	}
	if s.CustomerPhone != nil {
		phone := strings.ReplaceAll(strings.TrimSpace(*s.CustomerPhone), " ", "")
		s.CustomerPhone = &phone
		if !e164.MatchString(phone) {
			_ = v.add(errs.Invalid("customer_phone", "must be an E.164 phone number such as +2250700000001"))
		}
	} else if s.PaymentMethodType == MethodMobileMoney {
		_ = v.add(errs.Invalid("customer_phone", "can't be blank for a mobile_money session"))
	}
	if s.CustomerEmail != nil {
		email := strings.ToLower(strings.TrimSpace(*s.CustomerEmail))
		s.CustomerEmail = &email
		if !validEmail(email) {
			_ = v.add(errs.Invalid("customer_email", "is not a valid email address"))
		}
	}
	if s.Locale != "" && !locale.MatchString(s.Locale) {
		_ = v.add(errs.Invalid("locale", "must be a language tag such as en, fr_CI or en_AU"))
	}
	if s.MaxInstallments < 1 || s.MaxInstallments > MaxInstallments {
		_ = v.add(errs.Invalid("max_installments", "must be between 1 and 36"))
	}
	return v.err()
}

// BeforeWrite runs a new session's rules (its order, or the order behind an
// amount-only session; routing; the amount), under the order's lock. An
// update changes only reference, reference_origin and metadata.
func (s *CheckoutSession) BeforeWrite(tx *gorm.DB, creating bool) error {
	if !creating {
		return nil
	}
	if err := s.checkFields(); err != nil {
		return err
	}
	order, err := s.sessionOrder(tx)
	if err != nil {
		return err
	}
	if err := s.checkOrder(tx, order); err != nil {
		return err
	}
	if s.Locale == "" {
		s.Locale = "en"
		if order.LanguageCode != nil && locale.MatchString(*order.LanguageCode) {
			s.Locale = *order.LanguageCode
		}
	}
	if err := s.route(tx, order, db.Now()); err != nil {
		return err
	}
	s.Token, s.CSRFToken, s.UUID = randomToken(), randomToken(), uuid.NewString()
	s.Status = SessionCreated
	s.OrderID, s.MarketID, s.CustomerID = order.ID, &order.MarketID, order.CustomerID
	s.ExpiresAt = db.Now().Add(time.Duration(s.ExpiresIn) * time.Second)
	order.CheckoutToken = &s.Token
	return tx.Save(order).Error
}

// sessionOrder is the session's order, locked: the one it names, or a new
// one for an amount-only session.
func (s *CheckoutSession) sessionOrder(tx *gorm.DB) (*Order, error) {
	if s.OrderID == "" {
		return s.amountOnlyOrder(tx)
	}
	if s.AmountCents != 0 || s.CurrencyCode != "" || s.MarketID != nil {
		return nil, errs.New(errs.ValidationError, "amount_cents, currency_code and market are for amount-only sessions: a session for an order takes its amount from the order").At(errs.RelationshipPointer("order"))
	}
	return LockOrder(tx, s.OrderID)
}

// amountOnlyOrder creates the order behind an amount-only session: its
// market (given, or the one market selling the currency) and one line
// item of item_type adjustments carrying the amount.
func (s *CheckoutSession) amountOnlyOrder(tx *gorm.DB) (*Order, error) {
	var v collect
	s.CurrencyCode = strings.ToUpper(strings.TrimSpace(s.CurrencyCode))
	if s.CurrencyCode == "" {
		_ = v.add(errs.Invalid("currency_code", "can't be blank: send an order, or amount_cents and currency_code"))
	} else if _, ok := LookupCurrency(s.CurrencyCode); !ok {
		_ = v.add(errs.Invalid("currency_code", "is not an ISO 4217 currency code"))
	}
	if s.AmountCents <= 0 {
		_ = v.add(errs.Invalid("amount_cents", "must be greater than 0"))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	market, err := s.amountMarket(tx)
	if err != nil {
		return nil, err
	}
	order := &Order{MarketID: market.ID, CustomerEmail: s.CustomerEmail, Base: Base{Reference: s.Reference, ReferenceOrigin: s.ReferenceOrigin}}
	if err := save(tx, order); err != nil {
		return nil, err
	}
	name := "Payment"
	if s.Description != nil && strings.TrimSpace(*s.Description) != "" {
		name = *s.Description
	}
	item := &LineItem{OrderID: order.ID, ItemType: ItemAdjustment, Name: &name, Quantity: 1, CurrencyCode: order.CurrencyCode, UnitAmountCents: s.AmountCents}
	item.computeTotal()
	if err := tx.Create(item).Error; err != nil {
		return nil, err
	}
	s.AmountOnly = true
	return LockOrder(tx, order.ID)
}

// amountMarket resolves an amount-only session's market.
func (s *CheckoutSession) amountMarket(tx *gorm.DB) (*Market, error) {
	var markets []Market
	q := tx.Joins("JOIN price_lists ON price_lists.id = markets.price_list_id").
		Where("price_lists.currency_code = ? AND markets.disabled_at IS NULL", s.CurrencyCode)
	if s.MarketID != nil {
		q = q.Where("markets.id = ?", *s.MarketID)
	}
	if err := q.Order("markets.created_at").Limit(2).Find(&markets).Error; err != nil {
		return nil, err
	}
	switch {
	case len(markets) == 0 && s.MarketID != nil:
		return nil, errs.New(errs.ValidationError, "market - does not sell in %s (or is disabled)", s.CurrencyCode).At(errs.RelationshipPointer("market"))
	case len(markets) == 0:
		return nil, errs.Invalid("currency_code", "no enabled market sells in "+s.CurrencyCode)
	case len(markets) > 1:
		return nil, errs.New(errs.ValidationError, "market - several markets sell in %s: name one", s.CurrencyCode).At(errs.RelationshipPointer("market"))
	}
	return &markets[0], nil
}

// checkOrder refuses an order a session cannot be opened for.
func (s *CheckoutSession) checkOrder(tx *gorm.DB, order *Order) error {
	if !order.Editable() {
		return errs.New(errs.ValidationError, "order - is %s: a checkout session is for a draft or pending order", order.Status).At(errs.RelationshipPointer("order"))
	}
	if s.CustomerEmail != nil && order.CustomerEmail == nil {
		order.CustomerEmail = s.CustomerEmail
	}
	if err := order.Recompute(tx); err != nil {
		return err
	}
	if order.SubtotalAmountCents <= 0 {
		return errs.New(errs.ValidationError, "order - has no line items to pay for").At(errs.RelationshipPointer("order"))
	}
	return order.checkOnePerCustomer(tx, "")
}

// route chooses the session's payment method and gateway, sets the
// order's payment method to it and takes the amount from the order's
// total; none eligible is NO_AVAILABLE_PROVIDER.
func (s *CheckoutSession) route(tx *gorm.DB, order *Order, now time.Time) error {
	in := RouteInput{MarketID: order.MarketID, Currency: order.CurrencyCode, MethodType: s.PaymentMethodType, AmountCents: order.TotalAmountWithTaxesCents}
	if s.PaymentGatewayID != nil {
		in.PinnedGatewayID, s.PinnedGateway = *s.PaymentGatewayID, true
	}
	candidates, err := Route(tx, in, now)
	if err != nil {
		return err
	}
	eligible := Eligible(candidates)
	if len(eligible) == 0 {
		return noAvailableProvider(candidates, s.PaymentMethodType)
	}
	if err := s.choose(tx, order, eligible[0]); err != nil {
		return err
	}
	s.Routing = routingDocument(eligible[0], candidates, nil)
	return nil
}

// choose makes a candidate the session's payment method: the order's too,
// its amount the order's total with that method.
func (s *CheckoutSession) choose(tx *gorm.DB, order *Order, c RouteCandidate) error {
	pmID, gwID := c.PaymentMethodID, c.GatewayID
	if order.PaymentMethodID == nil || *order.PaymentMethodID != pmID {
		// Only another payment method changes the totals (its price).
		order.PaymentMethodID = &pmID
		if err := order.Recompute(tx); err != nil {
			return err
		}
	}
	s.PaymentMethodID, s.PaymentGatewayID = &pmID, &gwID
	s.AmountCents, s.CurrencyCode = order.TotalAmountWithTaxesCents, order.CurrencyCode
	return nil
}

// routingDocument is the routing attribute.
func routingDocument(chosen RouteCandidate, candidates []RouteCandidate, attempts []any) db.JSONObject {
	list := make([]any, len(candidates))
	for i, c := range candidates {
		list[i] = map[string]any{"payment_method_id": c.PaymentMethodID, "gateway_id": c.GatewayID, "gateway_type": c.GatewayType,
			"eligible": c.Eligible, "score": c.Score, "reason": c.Reason}
	}
	if attempts == nil {
		attempts = []any{}
	}
	return db.JSONObject{"payment_method_id": chosen.PaymentMethodID, "gateway_id": chosen.GatewayID, "gateway_type": chosen.GatewayType,
		"score": chosen.Score, "candidates": list, "attempts": attempts}
}

// candidates are the eligible candidates the routing attribute recorded,
// in order.
func (s *CheckoutSession) candidates() []RouteCandidate {
	var out []RouteCandidate
	list, _ := s.Routing["candidates"].([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		if eligible, _ := m["eligible"].(bool); !eligible {
			continue
		}
		c := RouteCandidate{Eligible: true, Reason: "eligible"}
		c.PaymentMethodID, _ = m["payment_method_id"].(string)
		c.GatewayID, _ = m["gateway_id"].(string)
		c.GatewayType, _ = m["gateway_type"].(string)
		if f, ok := m["score"].(float64); ok {
			c.Score = int(f)
		} else if n, ok := m["score"].(int); ok {
			c.Score = n
		}
		out = append(out, c)
	}
	return out
}

// addAttempt appends an attempt to routing.attempts.
func (s *CheckoutSession) addAttempt(gatewayID, outcome string, at time.Time) {
	if s.Routing == nil {
		s.Routing = db.JSONObject{}
	}
	list, _ := s.Routing["attempts"].([]any)
	s.Routing["attempts"] = append(list, map[string]any{"gateway_id": gatewayID, "outcome": outcome, "at": at.UTC().Format("2006-01-02T15:04:05.000Z")})
}

// setChosen records the candidate now used in routing.
func (s *CheckoutSession) setChosen(c RouteCandidate) {
	if s.Routing == nil {
		s.Routing = db.JSONObject{}
	}
	s.Routing["payment_method_id"], s.Routing["gateway_id"], s.Routing["gateway_type"], s.Routing["score"] = c.PaymentMethodID, c.GatewayID, c.GatewayType, c.Score
}

// CheckoutCallback is one callback to a session's callback_url: a signed
// form POST sent through the outbox (package deliveries), with retries.
type CheckoutCallback struct {
	Record
	CheckoutSessionID string
	Status            string
	CallbackURL       string `gorm:"column:callback_url"`
	Attempts          int
	ResponseCode      *int
	ResponseMessage   *string
	DeliveredAt       *time.Time

	// sessionUUID and compat are the session's (read by Callbacks.Load).
	sessionUUID, compat string
}

// Form is the callback's form body: checkout_session_id and status, and
// for a session the checkout links facade opened, the checkoutId its
// merchants read (docs/checkout-apis.md).
func (cb *CheckoutCallback) Form() url.Values {
	form := url.Values{"checkout_session_id": {cb.CheckoutSessionID}, "status": {cb.Status}}
	if cb.compat == CompatLinks {
		form.Set("checkoutId", cb.sessionUUID)
	}
	return form
}

// TableName is the callbacks table.
func (CheckoutCallback) TableName() string { return "checkout_callbacks" }

// announce fires a session event and its callback, in tx.
func (s *CheckoutSession) announce(tx *gorm.DB, topic string) error {
	if err := Emit(tx, topic, "checkout_sessions", s.ID); err != nil {
		return err
	}
	if s.CallbackURL == nil || *s.CallbackURL == "" {
		return nil
	}
	return tx.Create(&CheckoutCallback{CheckoutSessionID: s.ID, Status: s.Status, CallbackURL: *s.CallbackURL}).Error
}

// finish moves an open session to a final or failed status and announces
// it; the order's checkout_url is cleared once no session is open.
func (s *CheckoutSession) finish(tx *gorm.DB, status, topic string) error {
	s.Status = status
	if status != SessionFailed {
		if err := tx.Model(&Order{}).Where("id = ? AND checkout_token = ?", s.OrderID, s.Token).Update("checkout_token", nil).Error; err != nil {
			return err
		}
	}
	return s.announce(tx, topic)
}

// Cancel is the `_cancel` trigger: any open session becomes cancelled.
func (s *CheckoutSession) Cancel(tx *gorm.DB) error {
	if s.Final() || s.CurrentStatus(db.Now()) == SessionExpired {
		return errs.New(errs.ValidationError, "the checkout session is %s: only an open session can be cancelled", s.CurrentStatus(db.Now()))
	}
	return s.finish(tx, SessionCancelled, "checkout_sessions.cancel")
}

// WithQuery adds checkout_session_id to a merchant URL.
func WithQuery(raw, sessionID string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("checkout_session_id", sessionID)
	u.RawQuery = q.Encode()
	return u.String()
}
