package models

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Payment method types: the kind of payment a payment method takes and a
// checkout session asks for (Kasse extensions, docs/routing.md).
const (
	MethodCard         = "card"
	MethodMobileMoney  = "mobile_money"
	MethodBankTransfer = "bank_transfer"
)

// PaymentMethodTypes lists the payment method types.
var PaymentMethodTypes = []string{MethodCard, MethodMobileMoney, MethodBankTransfer}

// gatewayMethods are the payment method types each gateway kind takes.
var gatewayMethods = map[string][]string{
	GatewaySandbox:     PaymentMethodTypes,
	GatewayCheckoutCom: {MethodCard},
	GatewayStripe:      {MethodCard},
	GatewayManual:      {MethodBankTransfer},
}

// Gateway attempt outcomes, which routing scores.
const (
	AttemptApproved  = "approved"
	AttemptDeclined  = "declined"
	AttemptTechnical = "technical" // timeout, 5xx, connection refused: the gateway's fault
)

// GatewayAttempt is one payment attempt's outcome on a gateway in a
// currency: the history the routing score reads.
type GatewayAttempt struct {
	ID                string `gorm:"primaryKey;size:32"`
	PaymentGatewayID  string
	CurrencyCode      string
	Outcome           string
	CheckoutSessionID *string
	CreatedAt         time.Time
}

// TableName is the attempts table.
func (GatewayAttempt) TableName() string { return "gateway_attempts" }

// recordAttempt stores an attempt's outcome for routing.
func recordAttempt(tx *gorm.DB, gatewayID, currency, outcome string, sessionID *string) error {
	return tx.Create(&GatewayAttempt{ID: db.NewID(), PaymentGatewayID: gatewayID, CurrencyCode: currency, Outcome: outcome,
		CheckoutSessionID: sessionID, CreatedAt: db.Now()}).Error
}

// Routing constants (docs/routing.md).
const (
	// ScoreWindow is how many recent attempts per gateway and currency
	// the score reads.
	ScoreWindow = 200
	// CircuitStreak consecutive technical failures open a gateway's
	// circuit for CircuitCooldown after the last of them.
	CircuitStreak   = 5
	CircuitCooldown = time.Minute
)

// GatewayStats are a gateway's recent outcomes in one currency, newest
// first.
type GatewayStats struct {
	Outcomes []string
	LastAt   time.Time // when the newest attempt was made
}

// Score is the routing score, 0–100: the Laplace-smoothed approval rate
// over the window, round(100 × (approved + 1) / (attempts + 2)), so a new
// gateway scores 50 and no gateway reaches 0 or 100 on few attempts.
// Declines and technical failures both count against it.
func (s GatewayStats) Score() int {
	approved := 0
	for _, o := range s.Outcomes {
		if o == AttemptApproved {
			approved++
		}
	}
	return int(math.Floor(100*float64(approved+1)/float64(len(s.Outcomes)+2) + 0.5))
}

// CircuitOpen says whether the newest CircuitStreak attempts were all
// technical failures and the newest is less than CircuitCooldown old.
func (s GatewayStats) CircuitOpen(now time.Time) bool {
	if len(s.Outcomes) < CircuitStreak || now.Sub(s.LastAt) >= CircuitCooldown {
		return false
	}
	for _, o := range s.Outcomes[:CircuitStreak] {
		if o != AttemptTechnical {
			return false
		}
	}
	return true
}

// RouteCandidate is one payment method routing considered.
type RouteCandidate struct {
	PaymentMethodID string `json:"payment_method_id"`
	GatewayID       string `json:"gateway_id"`
	GatewayType     string `json:"gateway_type"`
	Eligible        bool   `json:"eligible"`
	Score           int    `json:"score"`
	Reason          string `json:"reason"`
	priority        int
	created         time.Time
}

// RouteInput is what routing decides on.
type RouteInput struct {
	MarketID, Currency, MethodType string
	AmountCents                    int64
	PinnedGatewayID                string // "" unless an integration pinned one
}

// routeMethod is a payment method with its gateway, as routing reads it.
type routeMethod struct {
	PaymentMethod
	gateway *PaymentGateway
}

// Route ranks the payment methods of a market and currency for a session:
// every candidate with its eligibility, score and reason, the eligible
// ones first in the order payments try them (score, then
// routing_priority, then age). It reads the methods, their gateways and
// the gateways' recent outcomes in three queries.
func Route(tx *gorm.DB, in RouteInput, now time.Time) ([]RouteCandidate, error) {
	var methods []PaymentMethod
	if err := tx.Where("(market_id = ? OR market_id IS NULL) AND (currency_code = ? OR currency_code IS NULL)", in.MarketID, in.Currency).
		Order("created_at, id").Limit(100).Find(&methods).Error; err != nil {
		return nil, err
	}
	var gatewayIDs []string
	for _, m := range methods {
		if m.PaymentGatewayID != nil && !slices.Contains(gatewayIDs, *m.PaymentGatewayID) {
			gatewayIDs = append(gatewayIDs, *m.PaymentGatewayID)
		}
	}
	gateways := map[string]*PaymentGateway{}
	stats := map[string]GatewayStats{}
	if len(gatewayIDs) > 0 {
		var gws []PaymentGateway
		if err := tx.Where("id IN ?", gatewayIDs).Find(&gws).Error; err != nil {
			return nil, err
		}
		for i := range gws {
			gateways[gws[i].ID] = &gws[i]
		}
		var err error
		if stats, err = recentOutcomes(tx, gatewayIDs, in.Currency); err != nil {
			return nil, err
		}
	}
	out := make([]RouteCandidate, 0, len(methods))
	for _, m := range methods {
		rm := routeMethod{PaymentMethod: m}
		if m.PaymentGatewayID != nil {
			rm.gateway = gateways[*m.PaymentGatewayID]
		}
		out = append(out, rank(rm, in, stats, now))
	}
	SortCandidates(out)
	return out, nil
}

// rank judges one payment method for the input.
func rank(m routeMethod, in RouteInput, stats map[string]GatewayStats, now time.Time) RouteCandidate {
	c := RouteCandidate{PaymentMethodID: m.ID, priority: m.RoutingPriority, created: m.CreatedAt}
	refuse := func(format string, args ...any) RouteCandidate {
		c.Eligible, c.Reason = false, fmt.Sprintf(format, args...)
		return c
	}
	if m.gateway == nil {
		return refuse("the payment method has no payment gateway")
	}
	c.GatewayID, c.GatewayType = m.gateway.ID, m.gateway.Kind
	st := stats[m.gateway.ID]
	c.Score = st.Score()
	methodType := m.PaymentMethodType
	if methodType == "" {
		methodType = MethodCard
	}
	switch {
	case m.DisabledAt != nil:
		return refuse("the payment method is disabled")
	case m.gateway.DisabledAt != nil:
		return refuse("the payment gateway is disabled")
	case in.PinnedGatewayID != "" && in.PinnedGatewayID != m.gateway.ID:
		return refuse("the session is pinned to payment gateway %s", in.PinnedGatewayID)
	case methodType != in.MethodType:
		return refuse("the payment method takes %s, not %s", methodType, in.MethodType)
	case !slices.Contains(gatewayMethods[m.gateway.Kind], in.MethodType):
		return refuse("%s gateways do not take %s", m.gateway.Kind, in.MethodType)
	case m.MinAmountCents != nil && in.AmountCents < *m.MinAmountCents:
		return refuse("the amount %s is below the minimum %s", Money{in.AmountCents, in.Currency}.Formatted(), Money{*m.MinAmountCents, in.Currency}.Formatted())
	case m.MaxAmountCents != nil && in.AmountCents > *m.MaxAmountCents:
		return refuse("the amount %s is above the maximum %s", Money{in.AmountCents, in.Currency}.Formatted(), Money{*m.MaxAmountCents, in.Currency}.Formatted())
	case st.CircuitOpen(now):
		return refuse("unavailable: its last %d attempts in %s were technical failures", CircuitStreak, in.Currency)
	}
	c.Eligible, c.Reason = true, "eligible"
	return c
}

// SortCandidates puts the eligible candidates first, by score, then
// routing_priority (higher first), then the older payment method; the
// ineligible ones follow in the same order.
func SortCandidates(cs []RouteCandidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		switch {
		case a.Eligible != b.Eligible:
			return a.Eligible
		case a.Score != b.Score:
			return a.Score > b.Score
		case a.priority != b.priority:
			return a.priority > b.priority
		case !a.created.Equal(b.created):
			return a.created.Before(b.created)
		}
		return a.PaymentMethodID < b.PaymentMethodID
	})
}

// recentOutcomes reads the newest ScoreWindow outcomes of each gateway in
// the currency, in one query.
func recentOutcomes(tx *gorm.DB, gatewayIDs []string, currency string) (map[string]GatewayStats, error) {
	var rows []struct {
		PaymentGatewayID string
		Outcome          string
		CreatedAt        time.Time
	}
	err := db.Scan(tx.Raw(`SELECT payment_gateway_id, outcome, created_at FROM (
		SELECT payment_gateway_id, outcome, created_at,
			ROW_NUMBER() OVER (PARTITION BY payment_gateway_id ORDER BY created_at DESC, id DESC) AS n
		FROM gateway_attempts WHERE payment_gateway_id IN ? AND currency_code = ?) recent
		WHERE n <= ? ORDER BY payment_gateway_id, n`, gatewayIDs, currency, ScoreWindow), &rows)
	if err != nil {
		return nil, err
	}
	out := map[string]GatewayStats{}
	for _, r := range rows {
		st := out[r.PaymentGatewayID]
		if len(st.Outcomes) == 0 {
			st.LastAt = r.CreatedAt
		}
		st.Outcomes = append(st.Outcomes, r.Outcome)
		out[r.PaymentGatewayID] = st
	}
	return out, nil
}

// Eligible returns the eligible candidates, in order.
func Eligible(cs []RouteCandidate) []RouteCandidate {
	var out []RouteCandidate
	for _, c := range cs {
		if c.Eligible {
			out = append(out, c)
		}
	}
	return out
}

// noAvailableProvider is the 422 when no candidate is eligible, with each
// candidate's reason in meta.candidates.
func noAvailableProvider(cs []RouteCandidate, methodType string) error {
	e := errs.New(errs.NoAvailableProvider, "no payment method of this market and currency can take this %s payment: see meta.candidates for why each was refused", methodType)
	list := make([]any, len(cs))
	for i, c := range cs {
		list[i] = map[string]any{"payment_method_id": c.PaymentMethodID, "gateway_id": c.GatewayID, "gateway_type": c.GatewayType, "eligible": false, "score": c.Score, "reason": c.Reason}
	}
	e.Meta = map[string]any{"candidates": list}
	return e
}

// Fee is what a payment method charges for an amount: fee_fixed_cents
// plus fee_percentage % of the amount rounded half up (XOF 5000 at 0.5 %
// is 25). The percentage is read to four decimals, so the arithmetic is
// exact in integers.
func (pm *PaymentMethod) Fee(amountCents int64) int64 {
	pctE4 := int64(math.Round(pm.FeePercentage * 10000)) // 0.5 % → 5000
	// amount × pct / 100 = amount × pctE4 / 1,000,000, rounded half up.
	return pm.FeeFixedCents + (amountCents*pctE4+500000)/1000000
}
