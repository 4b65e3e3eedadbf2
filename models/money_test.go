package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	money "github.com/Rhymond/go-money"
)

// TestFormattedMatchesGoMoney holds Formatted and Float to go-money's
// Display and AsMajorUnits for every currency go-money knows, unknown and
// lower-case codes, and amounts of every length and sign.
func TestFormattedMatchesGoMoney(t *testing.T) {
	codes := []string{"eur", "Jpy", "QQQ", "xx", ""}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				if code := string([]rune{a, b, c}); money.GetCurrency(code) != nil {
					codes = append(codes, code)
				}
			}
		}
	}
	if len(codes) < 150 {
		t.Fatalf("found %d currencies", len(codes))
	}
	amounts := []int64{0, 1, -1, 9, 10, 99, 100, 999, 1000, 1234, -1234, 100000, 1234567, -98765432, math.MaxInt64}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		amounts = append(amounts, rng.Int64N(1e12)-5e11)
	}
	for _, code := range codes {
		for _, cents := range amounts {
			m := Money{Cents: cents, Currency: code}
			gm := money.New(cents, strings.ToUpper(code))
			if got, want := m.Formatted(), gm.Display(); got != want {
				t.Fatalf("%d %s: Formatted %q, go-money %q", cents, code, got, want)
			}
			want := gm.AsMajorUnits()
			if _, known := LookupCurrency(code); !known {
				want = float64(cents) / 100
			}
			if got := m.Float(); got != want {
				t.Fatalf("%d %s: Float %v, go-money %v", cents, code, got, want)
			}
		}
	}
}
