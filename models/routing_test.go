package models

import (
	"slices"
	"testing"
	"time"
)

func outcomes(approved, declined, technical int) []string {
	var out []string
	for range technical {
		out = append(out, AttemptTechnical)
	}
	for range declined {
		out = append(out, AttemptDeclined)
	}
	for range approved {
		out = append(out, AttemptApproved)
	}
	return out
}

func TestScore(t *testing.T) {
	for _, tc := range []struct {
		name                          string
		approved, declined, technical int
		want                          int
	}{
		{"new gateway", 0, 0, 0, 50},
		{"one approval", 1, 0, 0, 67},
		{"one failure", 0, 1, 0, 33},
		{"all approved, few", 8, 0, 0, 90},
		{"all approved, full window", 200, 0, 0, 100},
		{"half", 50, 50, 0, 50},
		{"technical failures count against", 90, 0, 10, 89},
		{"declines count against", 90, 10, 0, 89},
		{"mostly failing", 10, 0, 190, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := GatewayStats{Outcomes: outcomes(tc.approved, tc.declined, tc.technical)}.Score()
			if got != tc.want {
				t.Fatalf("score %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCircuitOpen(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	five := []string{AttemptTechnical, AttemptTechnical, AttemptTechnical, AttemptTechnical, AttemptTechnical}
	for _, tc := range []struct {
		name     string
		outcomes []string
		age      time.Duration
		want     bool
	}{
		{"five timeouts just now", five, time.Second, true},
		{"five timeouts, cooled down", five, CircuitCooldown, false},
		{"four timeouts", five[:4], time.Second, false},
		{"a success among the newest five", []string{AttemptTechnical, AttemptApproved, AttemptTechnical, AttemptTechnical, AttemptTechnical, AttemptTechnical}, time.Second, false},
		{"declines are no outage", []string{AttemptDeclined, AttemptDeclined, AttemptDeclined, AttemptDeclined, AttemptDeclined}, time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := GatewayStats{Outcomes: tc.outcomes, LastAt: now.Add(-tc.age)}
			if got := st.CircuitOpen(now); got != tc.want {
				t.Fatalf("open %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRank is the table of candidates → eligibility, reason and order.
func TestRank(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	i64 := func(v int64) *int64 { return &v }
	sandbox := &PaymentGateway{Kind: GatewaySandbox}
	sandbox.ID = "gw_sandbox"
	sandbox2 := &PaymentGateway{Kind: GatewaySandbox}
	sandbox2.ID = "gw_sandbox2"
	stripe := &PaymentGateway{Kind: GatewayStripe}
	stripe.ID = "gw_stripe"
	manual := &PaymentGateway{Kind: GatewayManual}
	manual.ID = "gw_manual"
	off := now
	disabled := &PaymentGateway{Kind: GatewaySandbox, Switch: Switch{DisabledAt: &off}}
	disabled.ID = "gw_off"
	method := func(id string, gw *PaymentGateway, typ string, opts func(*PaymentMethod)) routeMethod {
		pm := PaymentMethod{PaymentMethodType: typ}
		pm.ID, pm.CreatedAt = id, now
		if opts != nil {
			opts(&pm)
		}
		return routeMethod{PaymentMethod: pm, gateway: gw}
	}
	stats := map[string]GatewayStats{
		"gw_sandbox":  {Outcomes: outcomes(90, 10, 0), LastAt: now},
		"gw_sandbox2": {Outcomes: outcomes(50, 50, 0), LastAt: now},
		"gw_stripe":   {Outcomes: outcomes(0, 0, 5), LastAt: now.Add(-time.Second)},
	}
	in := RouteInput{MarketID: "m", Currency: "XOF", MethodType: MethodMobileMoney, AmountCents: 5000}
	for _, tc := range []struct {
		name     string
		method   routeMethod
		in       RouteInput
		eligible bool
		score    int
		reason   string
	}{
		{"eligible", method("pm_a", sandbox, MethodMobileMoney, nil), in, true, 89, "eligible"},
		{"no gateway", method("pm_b", nil, MethodMobileMoney, nil), in, false, 0, "the payment method has no payment gateway"},
		{"another type", method("pm_c", sandbox, MethodCard, nil), in, false, 89, "the payment method takes card, not mobile_money"},
		{"gateway cannot", method("pm_d", stripe, MethodMobileMoney, nil), in, false, 14, "stripe_gateways gateways do not take mobile_money"},
		{"manual takes transfers only", method("pm_e", manual, MethodCard, nil), RouteInput{Currency: "XOF", MethodType: MethodCard, AmountCents: 5000}, false, 50, "manual_gateways gateways do not take card"},
		{"below minimum", method("pm_f", sandbox, MethodMobileMoney, func(pm *PaymentMethod) { pm.MinAmountCents = i64(10000) }), in, false, 89, "the amount 5,000 CFA is below the minimum 10,000 CFA"},
		{"above maximum", method("pm_g", sandbox, MethodMobileMoney, func(pm *PaymentMethod) { pm.MaxAmountCents = i64(1000) }), in, false, 89, "the amount 5,000 CFA is above the maximum 1,000 CFA"},
		{"gateway disabled", method("pm_h", disabled, MethodMobileMoney, nil), in, false, 50, "the payment gateway is disabled"},
		{"method disabled", method("pm_i", sandbox, MethodMobileMoney, func(pm *PaymentMethod) { pm.DisabledAt = &off }), in, false, 89, "the payment method is disabled"},
		{"not the pinned gateway", method("pm_j", sandbox, MethodMobileMoney, nil), RouteInput{Currency: "XOF", MethodType: MethodMobileMoney, AmountCents: 5000, PinnedGatewayID: "gw_sandbox2"}, false, 89, "the session is pinned to payment gateway gw_sandbox2"},
		{"circuit open", method("pm_k", stripe, MethodCard, nil), RouteInput{Currency: "XOF", MethodType: MethodCard, AmountCents: 5000}, false, 14, "unavailable: its last 5 attempts in XOF were technical failures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rank(tc.method, tc.in, stats, now)
			if got.Eligible != tc.eligible || got.Score != tc.score || got.Reason != tc.reason {
				t.Fatalf("got eligible %v score %d reason %q, want %v %d %q", got.Eligible, got.Score, got.Reason, tc.eligible, tc.score, tc.reason)
			}
		})
	}

	// The order: eligible first, by score, then routing_priority, then age.
	cands := []RouteCandidate{
		{PaymentMethodID: "refused", Eligible: false, Score: 99},
		{PaymentMethodID: "low", Eligible: true, Score: 40},
		{PaymentMethodID: "tie-old", Eligible: true, Score: 80, priority: 1, created: now.Add(-time.Hour)},
		{PaymentMethodID: "tie-new", Eligible: true, Score: 80, priority: 1, created: now},
		{PaymentMethodID: "tie-priority", Eligible: true, Score: 80, priority: 5, created: now},
		{PaymentMethodID: "best", Eligible: true, Score: 90},
	}
	SortCandidates(cands)
	var order []string
	for _, c := range cands {
		order = append(order, c.PaymentMethodID)
	}
	if want := []string{"best", "tie-priority", "tie-old", "tie-new", "low", "refused"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

func TestFee(t *testing.T) {
	for _, tc := range []struct {
		fixed  int64
		pct    float64
		amount int64
		want   int64
	}{
		{0, 0.5, 5000, 25},    // XOF 5000 at 0.5 %
		{0, 0.5, 4999, 25},    // 24.995 rounds half up
		{0, 0.5, 4899, 24},    // 24.495
		{0, 0.5, 4900, 25},    // 24.5 rounds up
		{30, 2.9, 10000, 320}, // card-style fixed + percentage
		{0, 0, 10000, 0},
		{100, 0, 10000, 100},
		{0, 1.25, 1, 0},
	} {
		pm := PaymentMethod{FeeFixedCents: tc.fixed, FeePercentage: tc.pct}
		if got := pm.Fee(tc.amount); got != tc.want {
			t.Errorf("fee of %d at %v%% + %d = %d, want %d", tc.amount, tc.pct, tc.fixed, got, tc.want)
		}
	}
}
