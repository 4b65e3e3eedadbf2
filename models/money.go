package models

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

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
	f := formatOf(m.Currency)
	if f.fraction == 0 {
		return float64(m.Cents)
	}
	return float64(m.Cents) / math.Pow10(f.fraction)
}

// Formatted is the amount for people: the derived `formatted_*` fields
// ("€10.00", "5,000 CFA", "1.500 .د.ك"), exactly as go-money's Display
// writes it (TestFormattedMatchesGoMoney) but in one allocation: renders
// format a few of them per resource.
func (m Money) Formatted() string {
	f := formatOf(m.Currency)
	if f.goMoney {
		return money.New(m.Cents, strings.ToUpper(m.Currency)).Display()
	}
	abs := m.Cents
	if abs < 0 {
		abs = -abs
	}
	var digitsBuf [24]byte
	digits := strconv.AppendInt(digitsBuf[:0], abs, 10)
	pad := 0 // zeros in front, so that a digit stands before the decimal mark
	if len(digits) <= f.fraction {
		pad = f.fraction - len(digits) + 1
	}
	digit := func(i int) byte {
		if i < pad {
			return '0'
		}
		return digits[i-pad]
	}
	whole := len(digits) + pad - f.fraction
	var buf [64]byte
	out := buf[:0]
	if m.Cents < 0 {
		out = append(out, '-')
	}
	out = append(out, f.before...)
	for i := range whole {
		if i > 0 && f.thousand != "" && (whole-i)%3 == 0 {
			out = append(out, f.thousand...)
		}
		out = append(out, digit(i))
	}
	if f.fraction > 0 {
		out = append(out, f.decimal...)
		for i := whole; i < whole+f.fraction; i++ {
			out = append(out, digit(i))
		}
	}
	out = append(out, f.after...)
	return string(out)
}

// moneyFormat is a currency's go-money format, its template split around
// the amount with the symbol in place.
type moneyFormat struct {
	fraction                         int
	decimal, thousand, before, after string
	goMoney                          bool // a template the split cannot follow: go-money formats it
}

var moneyFormats sync.Map // upper-case code → *moneyFormat, for known currencies only

// formatOf is code's format: go-money's currency, or its default for an
// unknown code (2 decimals, the code as symbol after the amount).
func formatOf(code string) *moneyFormat {
	code = strings.ToUpper(code)
	if f, ok := moneyFormats.Load(code); ok {
		return f.(*moneyFormat)
	}
	c := money.GetCurrency(code)
	known := c != nil
	if !known {
		c = &money.Currency{Decimal: ".", Thousand: ",", Code: code, Fraction: 2, Grapheme: code, Template: "1$"}
	}
	f := &moneyFormat{fraction: c.Fraction, decimal: c.Decimal, thousand: c.Thousand}
	// go-money puts the amount in place of the template's first "1", then
	// the symbol in place of the first "$" of the result.
	one := strings.Index(c.Template, "1")
	switch before, after := c.Template[:max(one, 0)], c.Template[one+1:]; {
	case one < 0 || strings.Contains(c.Decimal+c.Thousand, "$"):
		f.goMoney = true
	case strings.Contains(before, "$"):
		f.before, f.after = strings.Replace(before, "$", c.Grapheme, 1), after
	default:
		f.before, f.after = before, strings.Replace(after, "$", c.Grapheme, 1)
	}
	if known {
		moneyFormats.Store(code, f)
	}
	return f
}

// MaxMajorDigits bounds the integer digits ParseMajor reads: an amount up
// to 10^12 major units fits minor units in an int64 for every exponent.
const MaxMajorDigits = 12

// ParseMajor reads a decimal amount in major units ("140.76", "5000",
// "1e2" refused) exactly into minor units of currency: no float on the
// way. More decimals than the currency's exponent allow (XOF "10.5", EUR
// "1.234") is an error, as are signs other than a leading minus and
// exponents.
func ParseMajor(s string, currency string) (int64, error) {
	c, ok := LookupCurrency(currency)
	if !ok {
		return 0, errors.New("is in an unknown currency")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dotted := strings.Cut(s, ".")
	if whole == "" || (dotted && frac == "") || len(whole) > MaxMajorDigits || !allDigits(whole) || !allDigits(frac) {
		return 0, errors.New("must be a decimal number such as 140.76")
	}
	frac = strings.TrimRight(frac, "0")
	exp := c.Exponent()
	if len(frac) > exp {
		if exp == 0 {
			return 0, fmt.Errorf("must be a whole number: %s has no minor unit", strings.ToUpper(currency))
		}
		return 0, fmt.Errorf("has more than %d decimals, which %s does not allow", exp, strings.ToUpper(currency))
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errors.New("is too large")
	}
	if neg {
		n = -n
	}
	return n, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Major is the amount in major units as an exact decimal ("140.76",
// "5000", "0.05"): what the facades whose APIs speak major units send as
// a JSON number.
func (m Money) Major() string {
	exp := 2
	if c, ok := LookupCurrency(m.Currency); ok {
		exp = c.Exponent()
	}
	sign, n := "", m.Cents
	if n < 0 {
		sign, n = "-", -n
	}
	digits := strconv.FormatInt(n, 10)
	if exp == 0 {
		return sign + digits
	}
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-exp], strings.TrimRight(digits[len(digits)-exp:], "0")
	if frac == "" {
		return sign + whole
	}
	return sign + whole + "." + frac
}
