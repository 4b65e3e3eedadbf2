package models

import (
	"strings"

	money "github.com/Rhymond/go-money"
)

// Currency is an ISO 4217 currency as Kasse uses it: minor units with the
// standard exponent (JPY and XOF 0, EUR 2, KWD 3).
type Currency struct{ c *money.Currency }

// LookupCurrency finds an ISO 4217 currency by its code; ok is false for an
// unknown code.
func LookupCurrency(code string) (Currency, bool) {
	c := money.GetCurrency(strings.ToUpper(code))
	if c == nil {
		return Currency{}, false
	}
	return Currency{c}, true
}

// Exponent is the number of minor-unit digits.
func (c Currency) Exponent() int { return c.c.Fraction }

// Money is an amount in minor units of a currency.
type Money struct {
	Cents    int64
	Currency string
}

// Float is the amount in major units: the derived `*_float` fields.
func (m Money) Float() float64 {
	c, ok := LookupCurrency(m.Currency)
	if !ok {
		return float64(m.Cents) / 100
	}
	return c.c.Formatter().ToMajorUnits(m.Cents)
}

// Formatted is the amount for people: the derived `formatted_*` fields
// ("€10.00", "5,000 CFA", "1.500 .د.ك").
func (m Money) Formatted() string {
	return money.New(m.Cents, strings.ToUpper(m.Currency)).Display()
}
