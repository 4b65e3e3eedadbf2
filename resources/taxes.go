package resources

import (
	"kasse/engine"
	"kasse/models"
)

// taxCalculatorResource is the parent type listing every tax calculator.
type taxCalculatorResource struct {
	ID              string         `jsonapi:"primary,tax_calculators"`
	Name            string         `jsonapi:"attr,name"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

// manualTaxCalculatorResource is a manual tax calculator: its tax rules
// set the rates.
type manualTaxCalculatorResource struct {
	ID              string         `jsonapi:"primary,manual_tax_calculators"`
	Name            string         `jsonapi:"attr,name"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

// taxCalculatorMarkets is a calculator's markets.
var taxCalculatorMarkets = engine.Relationship{Name: "markets", Target: "markets", ToMany: true, InverseKey: "tax_calculator_id"}

func taxCalculators() *engine.Definition {
	return engine.Define(engine.Spec[models.TaxCalculator, taxCalculatorResource]{
		Type:        "tax_calculators",
		Description: "Every tax calculator, whatever its kind (read-only: manage them through their own types).",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Attributes: readOnlyBase(
			engine.Text("name").Filter().Sort(),
		),
		Render: func(c *models.TaxCalculator) *taxCalculatorResource {
			return &taxCalculatorResource{ID: c.ID, Name: c.Name, CreatedAt: engine.TimeOf(c.CreatedAt), UpdatedAt: engine.TimeOf(c.UpdatedAt),
				Reference: c.Reference, ReferenceOrigin: c.ReferenceOrigin, Metadata: engine.ObjectOf(c.Metadata)}
		},
		Relationships: []engine.Relationship{taxCalculatorMarkets},
		Access:        backOfficeOnly,
	})
}

func manualTaxCalculators() *engine.Definition {
	return engine.Define(engine.Spec[models.TaxCalculator, manualTaxCalculatorResource]{
		Type:        "manual_tax_calculators",
		Description: "A manual tax calculator: its tax rules give the rate of each country.",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
		),
		Render: func(c *models.TaxCalculator) *manualTaxCalculatorResource {
			return &manualTaxCalculatorResource{ID: c.ID, Name: c.Name, CreatedAt: engine.TimeOf(c.CreatedAt), UpdatedAt: engine.TimeOf(c.UpdatedAt),
				Reference: c.Reference, ReferenceOrigin: c.ReferenceOrigin, Metadata: engine.ObjectOf(c.Metadata)}
		},
		Within: []engine.Condition{{{Column: "kind", Predicate: engine.Eq, Values: []any{models.TaxCalculatorManual}}}},
		Stamp:  func(_ *models.Principal, c *models.TaxCalculator) { c.Kind = models.TaxCalculatorManual },
		Relationships: []engine.Relationship{
			taxCalculatorMarkets,
			{Name: "tax_rules", Target: "tax_rules", ToMany: true, InverseKey: "manual_tax_calculator_id"},
		},
		Access: backOfficeOnly,
	})
}

// taxRuleResource is a tax rule on the wire.
type taxRuleResource struct {
	ID                   string         `jsonapi:"primary,tax_rules"`
	Name                 string         `jsonapi:"attr,name"`
	TaxRate              float64        `jsonapi:"attr,tax_rate"`
	CountryCodeRegex     *string        `jsonapi:"attr,country_code_regex"`
	FreightTaxable       bool           `jsonapi:"attr,freight_taxable"`
	PaymentMethodTaxable bool           `jsonapi:"attr,payment_method_taxable"`
	CreatedAt            engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt            engine.Time    `jsonapi:"attr,updated_at"`
	Reference            *string        `jsonapi:"attr,reference"`
	ReferenceOrigin      *string        `jsonapi:"attr,reference_origin"`
	Metadata             map[string]any `jsonapi:"attr,metadata"`
}

func taxRules() *engine.Definition {
	return engine.Define(engine.Spec[models.TaxRule, taxRuleResource]{
		Type:        "tax_rules",
		Description: "A tax rule of a manual tax calculator: the rate of the countries its pattern matches (the first matching rule applies).",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Required().Filter().Sort(),
			engine.Number("tax_rate").Create().Update().Required().Filter().Sort().Doc("Between 0 and 1: 0.22 is 22 %."),
			engine.Text("country_code_regex").Create().Update().Filter().Doc("A regular expression the whole ISO 3166-1 country code of the order must match (IT, or DE|AT); none: every country."),
			engine.Bool("freight_taxable").Create().Update().Filter(),
			engine.Bool("payment_method_taxable").Create().Update().Filter(),
		),
		Render: func(r *models.TaxRule) *taxRuleResource {
			return &taxRuleResource{ID: r.ID, Name: r.Name, TaxRate: r.TaxRate, CountryCodeRegex: r.CountryCodeRegex, FreightTaxable: r.FreightTaxable,
				PaymentMethodTaxable: r.PaymentMethodTaxable, CreatedAt: engine.TimeOf(r.CreatedAt), UpdatedAt: engine.TimeOf(r.UpdatedAt),
				Reference: r.Reference, ReferenceOrigin: r.ReferenceOrigin, Metadata: engine.ObjectOf(r.Metadata)}
		},
		Relationships: []engine.Relationship{
			{Name: "manual_tax_calculator", Target: "manual_tax_calculators", ForeignKey: "manual_tax_calculator_id", Create: true, Required: true},
		},
		Access: backOfficeOnly,
	})
}
