package checkoutcom

import (
	"fmt"
	"strings"

	"kasse/models"
)

// Checkout.com's amount rules (https://www.checkout.com/docs/resources/calculating-the-amount)
// differ from ISO 4217 exponents, in which Kasse keeps amounts:
//
//   - full-value currencies (no minor unit) are the ISO exponent-0 ones,
//     except CLP, which Checkout.com takes in hundredths;
//   - BHD IQD JOD KWD LYD OMR TND take thousandths whose last digit must be 0;
//   - every other currency takes hundredths (CLF, ISO exponent 4, too).
var (
	fullValue = set("BIF DJF GNF ISK JPY KMF KRW PYG RWF UGX VUV VND XAF XOF XPF")
	thousands = set("BHD IQD JOD KWD LYD OMR TND")
)

// maxAmount is the largest amount Checkout.com accepts (9 digits).
const maxAmount = 999_999_999

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// exponent is the number of minor-unit digits Checkout.com uses for a currency.
func exponent(code string) int {
	switch {
	case fullValue[code]:
		return 0
	case thousands[code]:
		return 3
	}
	return 2
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// toProvider converts an amount in ISO minor units to Checkout.com's
// units. An amount Checkout.com cannot express is a non-temporary error.
func toProvider(amount int64, currency string) (int64, error) {
	code := strings.ToUpper(currency)
	c, ok := models.LookupCurrency(code)
	if !ok {
		return 0, &models.ProviderError{Code: "currency_not_supported", Message: fmt.Sprintf("unknown currency %q", currency)}
	}
	if amount < 0 {
		return 0, &models.ProviderError{Code: "amount_invalid", Message: "the amount is negative"}
	}
	iso, cko := c.Exponent(), exponent(code)
	out := amount
	switch {
	case cko > iso:
		f := pow10(cko - iso)
		if amount > maxAmount/f {
			return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf("%d %s is more than Checkout.com accepts (9 digits)", amount, code)}
		}
		out = amount * f
	case cko < iso:
		f := pow10(iso - cko)
		if amount%f != 0 {
			return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf("Checkout.com takes %s in units of 1/%d: %d minor units cannot be expressed", code, pow10(cko), amount)}
		}
		out = amount / f
	}
	if thousands[code] && out%10 != 0 {
		return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf("Checkout.com needs %s amounts whose last digit is 0 (got %d)", code, out)}
	}
	if out > maxAmount {
		return 0, &models.ProviderError{Code: "amount_invalid", Message: fmt.Sprintf("%d %s is more than Checkout.com accepts (9 digits)", amount, code)}
	}
	return out, nil
}

// fromProvider converts an amount in Checkout.com's units back to ISO
// minor units; an unknown or missing currency leaves it as it is.
func fromProvider(amount int64, currency string) int64 {
	code := strings.ToUpper(currency)
	c, ok := models.LookupCurrency(code)
	if !ok || code == "" {
		return amount
	}
	iso, cko := c.Exponent(), exponent(code)
	switch {
	case cko > iso:
		return amount / pow10(cko-iso)
	case cko < iso:
		return amount * pow10(iso-cko)
	}
	return amount
}
