package models

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// CheckoutSessions runs the hosted checkout page's flow: opening a
// session's page, paying on it (with failover across the routed
// candidates), the return from a provider's page, settling a session from
// its payment, and expiry. Every step locks the order first, then the
// session, and calls providers (through Payments) outside transactions.
type CheckoutSessions struct {
	Payments *Payments
	// Hosted starts a payment on a provider's own hosted page (Checkout.com
	// HPP, Stripe Checkout); nil when no adapter offers one.
	Hosted func(ctx context.Context, gatewayID string, req HostedRequest) (*HostedResult, error)
}

// HostedRequest asks a provider for a hosted payment page.
type HostedRequest struct {
	AmountCents    int64
	Currency       string
	Reference      string
	Description    string
	CustomerEmail  string
	Locale         string
	SuccessURL     string
	FailureURL     string
	CancelURL      string
	Capture        bool
	Installments   int
	IdempotencyKey string
	SourceID       string    // Kasse's payment source: the provider echoes it (HostedSourceKey)
	Country        string    // ISO 3166 alpha-2 billing country, "" when unknown
	ExpiresAt      time.Time // the session's expiry: the page need not outlive it
}

// HostedResult is a provider's hosted page: where to send the customer,
// and the provider's id of it (hpp_…, cs_…).
type HostedResult struct {
	ID          string
	RedirectURL string
}

// ErrCheckoutSessionNotFound is the answer for an unknown page token.
var ErrCheckoutSessionNotFound = errors.New("no such checkout session")

// CheckoutPage is what the hosted page shows.
type CheckoutPage struct {
	Session *CheckoutSession
	Status  string // the current status (expired once past expires_at)
	Order   *Order
	Lines   []LineItem
	Method  *PaymentMethod
	Gateway *PaymentGateway
	Source  *PaymentSource // the latest payment, if any
	// Redirect is where the browser goes when opening the page settled
	// the payment it was waiting for (success_url, failure_url): the
	// processing page reloads itself until then.
	Redirect string
}

// PayInput is what the page's form sent. The card fields exist only for
// the sandbox's test form and are never stored or logged.
type PayInput struct {
	CSRFToken    string
	CardNumber   string
	CardExpiry   string
	CardCVC      string
	Phone        string
	Email        string // the receipt's address; fills the session's and the order's when they have none
	Installments int
}

// Settlement outcomes.
const (
	settledNothing   = ""
	settledTechnical = "technical"
)

func (s *CheckoutSessions) db(ctx context.Context) *gorm.DB { return s.Payments.DB.WithContext(ctx) }

// byToken reads a session by its page token.
func (s *CheckoutSessions) byToken(ctx context.Context, token string) (*CheckoutSession, error) {
	var sess CheckoutSession
	found, err := findBy(s.db(ctx), &sess, "token = ?", token)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrCheckoutSessionNotFound
	}
	return &sess, nil
}

// locked runs fn with the session's order and then the session locked.
func (s *CheckoutSessions) locked(ctx context.Context, id string, fn func(tx *gorm.DB, order *Order, sess *CheckoutSession) error) error {
	var unlocked CheckoutSession
	if err := s.db(ctx).Where("id = ?", id).Take(&unlocked).Error; err != nil {
		return err
	}
	return s.db(ctx).Transaction(func(tx *gorm.DB) error {
		order, err := LockOrder(tx, unlocked.OrderID)
		if err != nil {
			return err
		}
		var sess CheckoutSession
		if err := db.ForUpdate(tx).Where("id = ?", id).Take(&sess).Error; err != nil {
			return err
		}
		return fn(tx, order, &sess)
	})
}

// Open reads a session for its page. Opening moves created to pending; a
// session waiting for an asynchronous payment (mobile money) asks the
// provider again, so the page the customer reloads shows the outcome, or
// sends the browser on (Redirect) once the payment settled.
func (s *CheckoutSessions) Open(ctx context.Context, token string) (*CheckoutPage, error) {
	ctx = detach(ctx)
	sess, err := s.byToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	waiting := false
	switch {
	case sess.Status == SessionCreated && now.Before(sess.ExpiresAt):
		err = s.locked(ctx, sess.ID, func(tx *gorm.DB, _ *Order, locked *CheckoutSession) error {
			if locked.Status != SessionCreated {
				return nil
			}
			return saveSession(tx, locked, SessionPending)
		})
	case sess.Status == SessionProcessing && sess.PaymentSourceID != nil && now.Before(sess.ExpiresAt):
		waiting = true
		err = s.refreshPayment(ctx, sess)
	}
	if err != nil {
		return nil, err
	}
	p, err := s.page(ctx, sess.ID)
	if err == nil && waiting {
		p.Redirect = sessionRedirect(p.Session)
	}
	return p, err
}

// page loads what the page shows, in a handful of queries.
func (s *CheckoutSessions) page(ctx context.Context, id string) (*CheckoutPage, error) {
	q := s.db(ctx)
	var sess CheckoutSession
	if err := q.Where("id = ?", id).Take(&sess).Error; err != nil {
		return nil, err
	}
	p := &CheckoutPage{Session: &sess, Status: sess.CurrentStatus(db.Now())}
	var order Order
	if err := q.Where("id = ?", sess.OrderID).Take(&order).Error; err != nil {
		return nil, err
	}
	p.Order = &order
	if err := q.Where("order_id = ?", order.ID).Order("created_at, id").Limit(100).Find(&p.Lines).Error; err != nil {
		return nil, err
	}
	if sess.PaymentMethodID != nil {
		var pm PaymentMethod
		if found, err := findBy(q, &pm, "id = ?", *sess.PaymentMethodID); err != nil {
			return nil, err
		} else if found {
			p.Method = &pm
		}
	}
	if sess.PaymentGatewayID != nil {
		var gw PaymentGateway
		if found, err := findBy(q, &gw, "id = ?", *sess.PaymentGatewayID); err != nil {
			return nil, err
		} else if found {
			p.Gateway = &gw
		}
	}
	if sess.PaymentSourceID != nil {
		var ps PaymentSource
		if found, err := findBy(q, &ps, "id = ?", *sess.PaymentSourceID); err != nil {
			return nil, err
		} else if found {
			p.Source = &ps
		}
	}
	return p, nil
}

// saveSession writes a session's status and the columns the flow changes.
func saveSession(tx *gorm.DB, sess *CheckoutSession, status string) error {
	sess.Status, sess.UpdatedAt = status, db.Now()
	return tx.Model(sess).Select("status", "payment_gateway_id", "payment_method_id", "payment_source_type", "payment_source_id",
		"installments", "amount_cents", "currency_code", "fee_amount_cents", "net_amount_cents", "failure_reason", "completed_at",
		"routing", "updated_at").Updates(sess).Error
}

// ReturnURL is where a provider's page (3DS, HPP) sends the customer back.
func ReturnURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + CheckoutPath(token) + "/return"
}

// Pay pays a session with what its page's form sent, on the routed
// candidates in order: a technical failure (timeout, 5xx, connection
// refused) moves the attempt to the next one, a decline never does. It
// returns where the browser goes next: the provider's page (3DS, hosted
// checkout), the merchant's success_url, or "" for the page again.
func (s *CheckoutSessions) Pay(ctx context.Context, baseURL, token string, in PayInput) (string, error) {
	ctx = detach(ctx)
	sess, err := s.byToken(ctx, token)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(in.CSRFToken), []byte(sess.CSRFToken)) != 1 {
		return "", errs.New(errs.Forbidden, "the form has expired: reload the page and pay again")
	}
	if err := payable(sess); err != nil {
		return "", err
	}
	if in.Installments == 0 {
		in.Installments = 1
	}
	if in.Installments < 1 || in.Installments > sess.MaxInstallments {
		return "", errs.Invalid("installments", "choose between 1 and the session's max_installments")
	}
	if err := s.rememberEmail(ctx, sess, in.Email); err != nil {
		return "", err
	}
	candidates := sess.candidates()
	start := 0
	for i, c := range candidates {
		if sess.PaymentMethodID != nil && c.PaymentMethodID == *sess.PaymentMethodID {
			start = i
		}
	}
	if len(candidates) == 0 {
		return "", errs.New(errs.NoAvailableProvider, "the checkout session has no payment method to pay with")
	}
	// The attempt starts at the session's current choice (a pinned session
	// has no other). Failover goes to the next candidates the submitted
	// form can pay: a card typed on the sandbox's form cannot go to a
	// provider's hosted page, nor a hosted page's submission to the sandbox.
	candidates = candidates[start:]
	if sess.PinnedGateway {
		candidates = candidates[:1]
	}
	var same []RouteCandidate
	for _, c := range candidates {
		if formOf(c) == formOf(candidates[0]) {
			same = append(same, c)
		}
	}
	candidates = same
	for i, c := range candidates {
		pay, err := sessionToken(sess, c, in, i > 0)
		if err != nil {
			return "", err
		}
		if pay.hosted {
			redirect, sourceID, technical, err := s.payHosted(ctx, baseURL, sess, c, in)
			if !technical {
				return redirect, err
			}
			if ferr := s.failOver(ctx, sess.ID, c, sourceID); ferr != nil {
				return "", ferr
			}
			if i+1 == len(candidates) {
				return "", err
			}
			continue
		}
		sourceID, err := s.begin(ctx, baseURL, sess.ID, c, pay.token, in.Installments)
		if err != nil {
			return "", err
		}
		if err := s.Payments.Authorize(ctx, sourceID); err != nil {
			return "", err
		}
		outcome, redirect, err := s.Settle(ctx, sess.ID)
		if err != nil {
			return "", err
		}
		if outcome != settledTechnical || i+1 == len(candidates) {
			return redirect, nil
		}
		if err := s.failOver(ctx, sess.ID, c, sourceID); err != nil {
			return "", err
		}
	}
	return "", nil
}

// rememberEmail keeps the email the page's form sent on the session and
// its order, where they have none.
func (s *CheckoutSessions) rememberEmail(ctx context.Context, sess *CheckoutSession, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || (sess.CustomerEmail != nil && *sess.CustomerEmail != "") {
		return nil
	}
	if !validEmail(email) {
		return errs.Invalid("email", "is not a valid email address")
	}
	return s.locked(ctx, sess.ID, func(tx *gorm.DB, order *Order, locked *CheckoutSession) error {
		if locked.CustomerEmail == nil {
			if err := tx.Model(locked).Update("customer_email", email).Error; err != nil {
				return err
			}
		}
		if order.CustomerEmail == nil {
			return tx.Model(order).Update("customer_email", email).Error
		}
		return nil
	})
}

// formOf is the form of the page that pays a candidate: the sandbox's,
// the manual gateway's instructions, or a provider's hosted page.
func formOf(c RouteCandidate) string {
	switch c.GatewayType {
	case GatewaySandbox, GatewayManual:
		return c.GatewayType
	}
	return "hosted"
}

// payable refuses a payment on a session that cannot take one now.
func payable(sess *CheckoutSession) error {
	switch status := sess.CurrentStatus(db.Now()); status {
	case SessionCreated, SessionPending, SessionFailed:
		return nil
	case SessionProcessing:
		return errs.New(errs.Conflict, "a payment is already in progress for this checkout session: wait for its outcome")
	default:
		return errs.New(errs.ValidationError, "the checkout session is %s", status)
	}
}

// sessionPayment is how one candidate is paid: a provider token, or the
// provider's own hosted page.
type sessionPayment struct {
	token  string
	hosted bool
}

// sessionToken turns the form into what the candidate's gateway takes.
func sessionToken(sess *CheckoutSession, c RouteCandidate, in PayInput, failover bool) (sessionPayment, error) {
	switch {
	case c.GatewayType == GatewayManual || sess.PaymentMethodType == MethodBankTransfer:
		return sessionPayment{}, nil
	case c.GatewayType != GatewaySandbox:
		return sessionPayment{hosted: true}, nil
	case sess.PaymentMethodType == MethodMobileMoney:
		phone := strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
		if phone == "" && sess.CustomerPhone != nil {
			phone = *sess.CustomerPhone
		}
		if !e164.MatchString(phone) {
			return sessionPayment{}, errs.Invalid("phone", "must be an E.164 phone number such as +2250700000001")
		}
		return sessionPayment{token: SandboxMobileMoneyToken(phone)}, nil
	}
	token, err := SandboxCardToken(in.CardNumber, in.CardExpiry, in.CardCVC, db.Now())
	if err != nil {
		return sessionPayment{}, err
	}
	if failover && token == SandboxTokenTimeout {
		// The timeout card times out on the first gateway tried only, so
		// that failover to the next one can be seen (docs/routing.md).
		token = SandboxTokenApproved
	}
	return sessionPayment{token: token}, nil
}

// begin records a payment attempt on a candidate: the order's payment
// method becomes the candidate's, a new payment source (replacing any
// earlier one, whose hold is released) is attached, and the session is
// processing. It returns the payment source to authorize.
func (s *CheckoutSessions) begin(ctx context.Context, baseURL, id string, c RouteCandidate, token string, installments int) (string, error) {
	var sourceID, releaseID string
	err := s.locked(ctx, id, func(tx *gorm.DB, order *Order, sess *CheckoutSession) error {
		if err := payable(sess); err != nil {
			return err
		}
		if err := sess.choose(tx, order, c); err != nil {
			return err
		}
		if err := tx.Save(order).Error; err != nil {
			return err
		}
		var pm PaymentMethod
		if err := tx.Where("id = ?", c.PaymentMethodID).Take(&pm).Error; err != nil {
			return err
		}
		back := ReturnURL(baseURL, sess.Token)
		ps := &PaymentSource{Kind: pm.PaymentSourceType, OrderID: order.ID, SuccessURL: &back, FailureURL: &back}
		if token != "" {
			ps.Token = &token
		}
		if err := save(tx, ps); err != nil {
			return err
		}
		sourceID, releaseID = ps.ID, ps.ReleaseVoidID
		sess.PaymentSourceID, sess.PaymentSourceType, sess.Installments, sess.FailureReason = &ps.ID, &ps.Kind, &installments, nil
		sess.setChosen(c)
		return saveSession(tx, sess, SessionProcessing)
	})
	if err != nil {
		return "", err
	}
	if releaseID != "" {
		if err := s.Payments.Release(ctx, releaseID); err != nil {
			return "", err
		}
	}
	return sourceID, nil
}

// failOver records a technical failure of a candidate and readies the
// session for the next one.
func (s *CheckoutSessions) failOver(ctx context.Context, id string, c RouteCandidate, sourceID string) error {
	return s.locked(ctx, id, func(tx *gorm.DB, _ *Order, sess *CheckoutSession) error {
		if sess.Status != SessionProcessing || sess.PaymentSourceID == nil || *sess.PaymentSourceID != sourceID {
			return nil
		}
		now := db.Now()
		if err := recordAttempt(tx, c.GatewayID, sess.CurrencyCode, AttemptTechnical, &sess.ID); err != nil {
			return err
		}
		sess.addAttempt(c.GatewayID, AttemptTechnical, now)
		return saveSession(tx, sess, SessionPending)
	})
}

// payHosted sends the customer to the provider's own page
// (models/hosted.go); technical says the provider did not answer.
func (s *CheckoutSessions) payHosted(ctx context.Context, baseURL string, sess *CheckoutSession, c RouteCandidate, in PayInput) (redirect, sourceID string, technical bool, err error) {
	if s.Hosted == nil {
		return "", "", false, errs.New(errs.ValidationError, "the %s gateway's hosted payment page is not available on this server", c.GatewayType)
	}
	if sourceID, err = s.begin(ctx, baseURL, sess.ID, c, "", in.Installments); err != nil {
		return "", "", false, err
	}
	redirect, technical, err = s.startHosted(ctx, baseURL, sess, c, sourceID, in.Installments)
	return redirect, sourceID, technical, err
}

// Return settles a session when a provider's page (3DS, hosted checkout)
// sends the customer back, verifying the outcome with the provider
// server-side, never trusting the query string.
func (s *CheckoutSessions) Return(ctx context.Context, token string, query url.Values) (string, error) {
	ctx = detach(ctx)
	sess, err := s.byToken(ctx, token)
	if err != nil {
		return "", err
	}
	if sess.PaymentSourceID != nil && sess.Status == SessionProcessing {
		providerSession := query.Get("cko-session-id")
		if providerSession == "" {
			providerSession = query.Get("cko-payment-id")
		}
		if providerSession == "" {
			providerSession = query.Get("session_id")
		}
		if err := s.Payments.Details(ctx, *sess.PaymentSourceID, providerSession); err != nil {
			if _, client := errs.As(err); !client {
				return "", err
			}
		}
		if query.Get(HostedCancelParam) != "" {
			if err := s.cancelHosted(ctx, sess.ID); err != nil {
				return "", err
			}
		}
	}
	_, redirect, err := s.Settle(ctx, sess.ID)
	return redirect, err
}

// CancelPage cancels a session from its page ("cancel and return to the
// merchant") and returns the failure_url to go to ("" for the page).
func (s *CheckoutSessions) CancelPage(ctx context.Context, token, csrf string) (string, error) {
	ctx = detach(ctx)
	sess, err := s.byToken(ctx, token)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(csrf), []byte(sess.CSRFToken)) != 1 {
		return "", errs.New(errs.Forbidden, "the form has expired: reload the page")
	}
	redirect := ""
	err = s.locked(ctx, sess.ID, func(tx *gorm.DB, _ *Order, locked *CheckoutSession) error {
		if locked.Status == SessionProcessing {
			return errs.New(errs.Conflict, "a payment is in progress: wait for its outcome")
		}
		if err := locked.Cancel(tx); err != nil {
			return err
		}
		if err := saveSession(tx, locked, SessionCancelled); err != nil {
			return err
		}
		redirect = sessionRedirect(locked)
		return nil
	})
	return redirect, err
}

// Refresh is the `_refresh` trigger: ask the provider again about the
// session's payment, then settle the session.
func (s *CheckoutSessions) Refresh(ctx context.Context, id string) error {
	ctx = detach(ctx)
	var sess CheckoutSession
	if err := s.db(ctx).Where("id = ?", id).Take(&sess).Error; err != nil {
		return err
	}
	if sess.PaymentSourceID == nil {
		return nil
	}
	return s.refreshPayment(ctx, &sess)
}

func (s *CheckoutSessions) refreshPayment(ctx context.Context, sess *CheckoutSession) error {
	if err := s.Payments.Refresh(ctx, *sess.PaymentSourceID); err != nil {
		if _, client := errs.As(err); !client {
			return err
		}
	}
	_, _, err := s.Settle(ctx, sess.ID)
	return err
}

// SettleBySource settles the open session whose payment is sourceID, if
// any: Payments calls it after recording a provider's answer (a webhook,
// a `_refresh`, the reconciler), so a session completes however its
// payment settles.
func (s *CheckoutSessions) SettleBySource(ctx context.Context, sourceID string) error {
	var ids []string
	if err := s.db(ctx).Model(&CheckoutSession{}).Where("payment_source_id = ? AND status IN ?", sourceID, []string{SessionProcessing, SessionExpired, SessionCancelled}).Limit(1).Pluck("id", &ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if _, _, err := s.Settle(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Settle applies the session's payment to the session: an authorized (or
// captured) payment places the order and completes the session, with its
// fee; a declined one fails it (the customer may pay again); a payment
// waiting for the customer gives the provider's page to go to. It returns
// settledTechnical when the provider did not answer.
func (s *CheckoutSessions) Settle(ctx context.Context, id string) (outcome, redirect string, err error) {
	var voidID string
	err = s.locked(ctx, id, func(tx *gorm.DB, order *Order, sess *CheckoutSession) error {
		redirect = sessionRedirect(sess)
		if sess.PaymentSourceID == nil || (sess.Status != SessionProcessing && !sess.Final()) {
			return nil
		}
		ps, err := loadSource(tx, *sess.PaymentSourceID)
		if err != nil {
			return err
		}
		if sess.Status != SessionProcessing {
			// Authorized after the session expired or was cancelled (a 3DS
			// challenge finished late): release the hold.
			if sess.Status != SessionCompleted && ps.Status == SourceAuthorized && order.Editable() {
				void, err := BeginVoid(tx, order, nil)
				if err == nil && void != nil {
					voidID = void.ID
				}
				if _, client := errs.As(err); client {
					err = nil
				}
				return err
			}
			return nil
		}
		now := db.Now()
		switch {
		case ps.Authorized():
			outcome = SessionCompleted
			voidID, err = s.complete(tx, order, sess, ps, now)
		case ps.Status == SourceDeclined:
			outcome = SessionFailed
			err = s.fail(tx, sess, declineReason(ps), now, true)
		case ps.Status == SourceAction:
			redirect = deref(ps.RedirectURI)
		case ps.PaymentResponse["error"] == "provider_unavailable":
			outcome = settledTechnical
		}
		if err == nil && outcome != "" && outcome != settledTechnical {
			redirect = sessionRedirect(sess)
		}
		return err
	})
	if err == nil && voidID != "" {
		err = s.Payments.Release(ctx, voidID)
	}
	return outcome, redirect, err
}

// sessionRedirect is where a session's browser goes in its status.
func sessionRedirect(sess *CheckoutSession) string {
	switch sess.Status {
	case SessionCompleted:
		return WithQuery(sess.SuccessURL, sess.ID)
	case SessionCancelled, SessionExpired:
		if sess.FailureURL != nil {
			return WithQuery(*sess.FailureURL, sess.ID)
		}
	}
	return ""
}

func declineReason(ps *PaymentSource) string {
	for _, key := range []string{"response_summary", "message", "status"} {
		if v, ok := ps.PaymentResponse[key].(string); ok && v != "" {
			return "declined: " + v
		}
	}
	return "declined"
}

// complete places the order for an authorized payment and completes the
// session. A bank transfer leaves the session processing until the back
// office captures. When the order cannot be placed (it was changed or a
// one-per-customer SKU was bought meanwhile) the authorization is voided
// and the session fails with why.
func (s *CheckoutSessions) complete(tx *gorm.DB, order *Order, sess *CheckoutSession, ps *PaymentSource, now time.Time) (string, error) {
	if order.Editable() {
		if err := order.PlaceForCheckout(tx, s.Payments); err != nil {
			list, client := errs.As(err)
			if !client {
				return "", err
			}
			void, verr := BeginVoid(tx, order, nil)
			if verr != nil {
				return "", verr
			}
			voidID := ""
			if void != nil {
				voidID = void.ID
			}
			return voidID, s.fail(tx, sess, "the order could not be placed: "+list[0].Detail, now, false)
		}
		if err := tx.Save(order).Error; err != nil {
			return "", err
		}
	}
	if ps.Kind == SourceWireTransfer && order.PaymentStatus != PaymentPaid {
		return "", nil
	}
	var pm PaymentMethod
	if sess.PaymentMethodID != nil {
		if _, err := findBy(tx, &pm, "id = ?", *sess.PaymentMethodID); err != nil {
			return "", err
		}
	}
	fee := pm.Fee(sess.AmountCents)
	net := sess.AmountCents - fee
	sess.FeeAmountCents, sess.NetAmountCents, sess.CompletedAt = &fee, &net, &now
	if sess.PaymentGatewayID != nil {
		if err := recordAttempt(tx, *sess.PaymentGatewayID, sess.CurrencyCode, AttemptApproved, &sess.ID); err != nil {
			return "", err
		}
		sess.addAttempt(*sess.PaymentGatewayID, AttemptApproved, now)
	}
	if err := saveSession(tx, sess, SessionCompleted); err != nil {
		return "", err
	}
	return "", sess.finish(tx, SessionCompleted, "checkout_sessions.complete")
}

// fail records a failed attempt: the customer may pay again until expiry.
func (s *CheckoutSessions) fail(tx *gorm.DB, sess *CheckoutSession, reason string, now time.Time, declined bool) error {
	sess.FailureReason = &reason
	if declined && sess.PaymentGatewayID != nil {
		if err := recordAttempt(tx, *sess.PaymentGatewayID, sess.CurrencyCode, AttemptDeclined, &sess.ID); err != nil {
			return err
		}
		sess.addAttempt(*sess.PaymentGatewayID, AttemptDeclined, now)
	}
	if err := saveSession(tx, sess, SessionFailed); err != nil {
		return err
	}
	return sess.finish(tx, SessionFailed, "checkout_sessions.fail")
}

// ExpireDue expires the open sessions past their expires_at, at most limit
// of them, and returns how many it expired. Each is expired under its
// order's lock after re-reading it, so however many instances run this at
// once, a session expires once: one event, one callback. An authorization
// the expired session's payment holds (its order not placed) is voided.
func (s *CheckoutSessions) ExpireDue(ctx context.Context, limit int) (int, error) {
	var ids []string
	if err := s.db(ctx).Model(&CheckoutSession{}).Where("status IN ? AND expires_at <= ?", openSessionStatuses, db.Now()).
		Order("expires_at").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	expired := 0
	for _, id := range ids {
		var voidID string
		err := s.locked(ctx, id, func(tx *gorm.DB, order *Order, sess *CheckoutSession) error {
			if sess.Final() || sess.CurrentStatus(db.Now()) != SessionExpired {
				return nil
			}
			if order.Editable() && order.PaymentSourceID != nil {
				void, err := BeginVoid(tx, order, nil)
				if err != nil {
					if _, client := errs.As(err); !client {
						return err
					}
				} else if void != nil {
					voidID = void.ID
				}
			}
			expired++
			if err := saveSession(tx, sess, SessionExpired); err != nil {
				return err
			}
			return sess.finish(tx, SessionExpired, "checkout_sessions.expire")
		})
		if err != nil {
			return expired, err
		}
		if voidID != "" {
			if err := s.Payments.Release(ctx, voidID); err != nil {
				return expired, err
			}
		}
	}
	return expired, nil
}

// Callbacks reads and records the merchant callbacks, for the workers.
type Callbacks struct {
	DB *gorm.DB
}

// Load reads a callback, its session and the secret that signs it (the
// session's market's shared_secret); nil when the session is gone.
func (c *Callbacks) Load(ctx context.Context, id string) (*CheckoutCallback, string, error) {
	var cb CheckoutCallback
	found, err := findBy(c.DB.WithContext(ctx), &cb, "id = ?", id)
	if err != nil || !found {
		return nil, "", err
	}
	var rows []struct {
		SharedSecret string
		UUID         string `gorm:"column:uuid"`
		Compat       *string
	}
	err = db.Scan(c.DB.WithContext(ctx).Model(&Market{}).Joins("JOIN checkout_sessions ON checkout_sessions.market_id = markets.id").
		Where("checkout_sessions.id = ?", cb.CheckoutSessionID).Limit(1).
		Select("markets.shared_secret, checkout_sessions.uuid, checkout_sessions.compat"), &rows)
	if err != nil || len(rows) == 0 {
		return nil, "", err
	}
	cb.sessionUUID, cb.compat = rows[0].UUID, deref(rows[0].Compat)
	return &cb, rows[0].SharedSecret, nil
}

// Record stores one attempt's answer.
func (c *Callbacks) Record(ctx context.Context, cb *CheckoutCallback, code int, message string, ok bool) error {
	now := db.Now()
	updates := map[string]any{"attempts": gorm.Expr("attempts + 1"), "response_message": message, "updated_at": now}
	if code != 0 {
		updates["response_code"] = code
	}
	if ok {
		updates["delivered_at"] = now
	}
	return c.DB.WithContext(ctx).Model(&CheckoutCallback{}).Where("id = ?", cb.ID).Updates(updates).Error
}
