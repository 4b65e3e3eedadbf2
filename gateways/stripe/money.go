package stripe

import (
	"fmt"
	"strings"

	"kasse/models"
)

// Stripe's amount rules differ from ISO 4217 for a few currencies
// (https://stripe.com/docs/currencies): Kasse keeps ISO minor units, so
// amounts are converted on the way out and on the way back in.
var (
	// zeroDecimal currencies take whole units. MGA is two-decimal in ISO
	// 4217 (and Kasse) but zero-decimal at Stripe.
	zeroDecimal = set("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF")
	// threeDecimal currencies take thousandths, whose last digit must be 0.
	threeDecimal = set("BHD", "JOD", "KWD", "OMR", "TND")
)

// Every other currency is two-decimal at Stripe, ISK included (ISO says 0:
// Stripe wants ISK 5 as 500, and only whole krónur). HUF and TWD are
// two-decimal for charges as in ISO.

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// stripeExponent is the number of decimals Stripe's amounts carry.
func stripeExponent(code string) int {
	switch {
	case zeroDecimal[code]:
		return 0
	case threeDecimal[code]:
		return 3
	}
	return 2
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// toStripeAmount converts Kasse's ISO minor units to Stripe's amount. An
// amount Stripe cannot represent (MGA 100.50, KWD 1.235) is a refusal, not
// something to round silently.
func toStripeAmount(cents int64, currency string) (int64, error) {
	code := strings.ToUpper(strings.TrimSpace(currency))
	c, ok := models.LookupCurrency(code)
	if !ok {
		return 0, &models.ProviderError{Code: "currency_invalid", Message: fmt.Sprintf("unknown currency %q", currency)}
	}
	iso, st := c.Exponent(), stripeExponent(code)
	amount := cents
	switch {
	case st > iso:
		amount = cents * pow10(st-iso)
	case st < iso:
		f := pow10(iso - st)
		if cents%f != 0 {
			return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf(
				"Stripe takes %s in units of %d minor units: %d cannot be charged", code, f, cents)}
		}
		amount = cents / f
	}
	if st == 3 && amount%10 != 0 {
		return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf(
			"Stripe needs %s amounts whose last digit is 0 (%d is not): round to the nearest ten", code, cents)}
	}
	return amount, nil
}

// fromStripeAmount converts a Stripe amount back to ISO minor units (a
// currency Kasse does not know is taken as is).
func fromStripeAmount(amount int64, currency string) int64 {
	code := strings.ToUpper(strings.TrimSpace(currency))
	c, ok := models.LookupCurrency(code)
	if !ok {
		return amount
	}
	iso, st := c.Exponent(), stripeExponent(code)
	switch {
	case st > iso:
		return amount / pow10(st-iso)
	case st < iso:
		return amount * pow10(iso-st)
	}
	return amount
}
