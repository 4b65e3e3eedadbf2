package models

import (
	"math"
	"math/big"
	"regexp"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// TaxCalculatorManual is the kind of the manual tax calculators, the one
// kind Kasse has: its tax rules set the rates.
const TaxCalculatorManual = "manual_tax_calculators"

// TaxCalculator computes an order's taxes; a market uses one.
type TaxCalculator struct {
	Base
	Kind string
	Name string
}

// BeforeDestroy unsets the calculator of the markets that use it.
func (c *TaxCalculator) BeforeDestroy(tx *gorm.DB) error {
	return tx.Model(&Market{}).Where("tax_calculator_id = ?", c.ID).
		Updates(map[string]any{"tax_calculator_id": nil, "updated_at": db.Now()}).Error
}

// TaxRule is a rate a manual tax calculator applies to the orders shipped
// (or, with nothing to ship, billed) to the countries its pattern matches.
type TaxRule struct {
	Base
	ManualTaxCalculatorID string
	Name                  string
	TaxRate               float64
	CountryCodeRegex      *string
	FreightTaxable        bool
	PaymentMethodTaxable  bool
}

// BeforeWrite checks the rate and the pattern.
func (r *TaxRule) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	if r.TaxRate < 0 || r.TaxRate > 1 || math.IsNaN(r.TaxRate) {
		_ = v.add(errs.Invalid("tax_rate", "must be between 0 and 1 (0.22 is 22 %)"))
	}
	if r.CountryCodeRegex != nil {
		if _, err := regexp.Compile(*r.CountryCodeRegex); err != nil {
			_ = v.add(errs.Invalid("country_code_regex", "is not a regular expression"))
		}
	}
	var c TaxCalculator
	found, err := findBy(tx, &c, "id = ? AND kind = ?", r.ManualTaxCalculatorID, TaxCalculatorManual)
	if err != nil {
		return err
	}
	if !found {
		_ = v.add(errs.NotFound("manual_tax_calculators", r.ManualTaxCalculatorID).At(errs.RelationshipPointer("manual_tax_calculator")))
	}
	return v.err()
}

// matches says whether the rule applies to country: its pattern matches
// the whole code (no pattern: every country).
func (r *TaxRule) matches(country string) bool {
	if r.CountryCodeRegex == nil || *r.CountryCodeRegex == "" {
		return true
	}
	re, err := regexp.Compile("^(?:" + *r.CountryCodeRegex + ")$")
	return err == nil && re.MatchString(country)
}

// ratePPM is a rate in millionths (0.22 is 220000), so taxes are computed
// in integers.
func ratePPM(rate float64) int64 { return int64(math.Round(rate * 1e6)) }

// TaxOf is the tax in an amount of minor units at a rate: with
// taxIncluded, the part of the amount that is tax (amount × r / (1 + r));
// otherwise the tax to add (amount × r). Rounded half up to a minor unit.
func TaxOf(amount int64, rate float64, taxIncluded bool) int64 {
	ppm := ratePPM(rate)
	num := new(big.Int).Mul(big.NewInt(amount), big.NewInt(ppm))
	den := big.NewInt(1_000_000)
	if taxIncluded {
		den.Add(den, big.NewInt(ppm))
	}
	// half up: floor((2·num + den) / (2·den)) for non-negative amounts.
	num.Mul(num, big.NewInt(2)).Add(num, den)
	den.Mul(den, big.NewInt(2))
	return new(big.Int).Div(num, den).Int64()
}

// taxRule is the rule of the order's market's calculator that applies to
// the order's country, or nil: no calculator, no country or no rule.
func (o *Order) taxRule(tx *gorm.DB) (*TaxRule, error) {
	if o.CountryCode == nil {
		return nil, nil
	}
	market, err := o.orderMarket(tx)
	if err != nil || market.TaxCalculatorID == nil {
		return nil, err
	}
	var rules []TaxRule
	if err := tx.Where("manual_tax_calculator_id = ?", *market.TaxCalculatorID).Order("created_at, id").Find(&rules).Error; err != nil {
		return nil, err
	}
	for i := range rules {
		if rules[i].matches(*o.CountryCode) {
			return &rules[i], nil
		}
	}
	return nil, nil
}

// hasTaxCalculator says whether the order's market has a tax calculator.
func (o *Order) hasTaxCalculator(tx *gorm.DB) (bool, error) {
	return exists(tx, &Market{}, "", "id = ? AND tax_calculator_id IS NOT NULL", o.MarketID)
}

// computeTaxes sets the cart's taxes from its market's tax calculator:
// each line item's tax is rounded half up on its own, and the order's
// subtotal tax is their sum, so the lines add up to it exactly; shipping
// and the payment method are taxed (at the same rate, rounded once each)
// when the rule says they are. Without a rule, taxes are 0. lines are the
// order's (readLines), oldest first.
func (o *Order) computeTaxes(tx *gorm.DB, lines []orderLine) error {
	var rule *TaxRule
	if o.ExternalTaxAmountCents == nil {
		var err error
		if rule, err = o.taxRule(tx); err != nil {
			return err
		}
	}
	// With an integration's tax no rule applies: the lines and parts
	// carry none of it (Recompute sets the total).
	o.TaxRate, o.FreightTaxable, o.PaymentMethodTaxable = nil, false, false
	o.SubtotalTaxAmountCents, o.ShippingTaxAmountCents, o.PaymentMethodTaxAmountCents = 0, 0, 0
	var rate float64
	if rule != nil {
		rate = rule.TaxRate
		o.TaxRate, o.FreightTaxable, o.PaymentMethodTaxable = &rate, rule.FreightTaxable, rule.PaymentMethodTaxable
	}
	for i := range lines {
		li := &lines[i].LineItem
		if li.ItemType != "skus" {
			continue
		}
		var tax int64
		var liRate *float64
		if rule != nil {
			tax, liRate = TaxOf(li.TotalAmountCents, rate, o.TaxIncluded), &rate
		}
		o.SubtotalTaxAmountCents += tax
		if li.TaxAmountCents != tax || !sameRate(li.TaxRate, liRate) {
			if err := tx.Model(&LineItem{}).Where("id = ?", li.ID).
				Updates(map[string]any{"tax_amount_cents": tax, "tax_rate": liRate, "updated_at": db.Now()}).Error; err != nil {
				return err
			}
		}
	}
	if rule != nil && rule.FreightTaxable {
		o.ShippingTaxAmountCents = TaxOf(o.ShippingAmountCents, rate, o.TaxIncluded)
	}
	if rule != nil && rule.PaymentMethodTaxable {
		o.PaymentMethodTaxAmountCents = TaxOf(o.PaymentMethodAmountCents, rate, o.TaxIncluded)
	}
	return nil
}

func sameRate(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// taxable is the part of amount that is taxed, net of its tax: the amount
// less the tax when prices include it, the amount otherwise; 0 when it is
// not taxed.
func (o *Order) taxable(amount, tax int64, taxed bool) int64 {
	switch {
	case !taxed:
		return 0
	case o.TaxIncluded:
		return amount - tax
	default:
		return amount
	}
}

// sumTaxes derives the order's tax totals from its parts.
func (o *Order) sumTaxes() {
	taxed := o.TaxRate != nil
	o.TotalTaxAmountCents = o.SubtotalTaxAmountCents + o.ShippingTaxAmountCents + o.PaymentMethodTaxAmountCents
	o.SubtotalTaxableAmountCents = o.taxable(o.SubtotalAmountCents, o.SubtotalTaxAmountCents, taxed)
	o.ShippingTaxableAmountCents = o.taxable(o.ShippingAmountCents, o.ShippingTaxAmountCents, taxed && o.FreightTaxable)
	o.PaymentMethodTaxableAmountCents = o.taxable(o.PaymentMethodAmountCents, o.PaymentMethodTaxAmountCents, taxed && o.PaymentMethodTaxable)
	o.TotalTaxableAmountCents = o.SubtotalTaxableAmountCents + o.ShippingTaxableAmountCents + o.PaymentMethodTaxableAmountCents
}

// orderCountry is the country of the order's shipping address, or of its
// billing address when it has none.
func (o *Order) orderCountry(tx *gorm.DB) (*string, error) {
	for _, id := range []*string{o.ShippingAddressID, o.BillingAddressID} {
		if id == nil {
			continue
		}
		var a Address
		found, err := findBy(tx, &a, "id = ?", *id)
		if err != nil {
			return nil, err
		}
		if found {
			return &a.CountryCode, nil
		}
	}
	return nil, nil
}
