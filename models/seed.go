package models

import (
	"gorm.io/gorm"

	"kasse/db"
)

// DemoSku is one SKU of the demo catalog with its prices per currency.
type DemoSku struct {
	Code, Name, Description string
	DoNotShip               bool
	Prices                  map[string]int64 // currency → minor units
	// OnePerCustomer and Reference make a course: bought once per
	// customer, known to the course platform by its numeric reference.
	OnePerCustomer bool
	Reference      string
}

// DemoCatalog is what `kasse seed --demo` loads: markets eu (EUR), us (USD),
// ci (XOF, Côte d'Ivoire), au (AUD, Australia, prices without taxes) and tr
// (TRY, Türkiye), a price list each, and SKUs priced in them: among them
// three courses sold once per customer, with the numeric references a
// course platform knows them by.
var DemoCatalog = []DemoSku{
	{Code: "TSHIRTMM000000FFFFFFXL", Name: "Black Men T-shirt with White Logo (XL)", Description: "A soft cotton T-shirt.", Prices: map[string]int64{"EUR": 2900, "USD": 3200, "XOF": 19000, "TRY": 89900}},
	{Code: "TSHIRTWM000000FFFFFFM", Name: "Black Women T-shirt with White Logo (M)", Description: "A soft cotton T-shirt.", Prices: map[string]int64{"EUR": 2900, "USD": 3200}},
	{Code: "HOODIEUL000000FFFFFFL", Name: "Black Unisex Hoodie (L)", Description: "A warm hoodie.", Prices: map[string]int64{"EUR": 5900, "USD": 6500}},
	{Code: "CAPXXXXX000000FFFFFFXX", Name: "Black Cap with White Logo", Description: "One size fits all.", Prices: map[string]int64{"EUR": 1900, "USD": 2100}},
	{Code: "MUGXXXXX000000FFFFFFXX", Name: "White Mug with Black Logo", Description: "Holds 350 ml.", Prices: map[string]int64{"EUR": 1200, "USD": 1400}},
	{Code: "TOTEBAGX000000FFFFFFXX", Name: "Natural Tote Bag", Description: "Organic cotton.", Prices: map[string]int64{"EUR": 1500, "USD": 1700}},
	{Code: "STICKERS000000FFFFFFXX", Name: "Sticker Pack", Description: "Ten vinyl stickers.", Prices: map[string]int64{"EUR": 500, "USD": 600}},
	{Code: "NOTEBOOK000000FFFFFFA5", Name: "Dotted Notebook (A5)", Description: "120 pages.", Prices: map[string]int64{"EUR": 1400, "USD": 1600}},
	{Code: "COURSEGO000000000000XX", Name: "Online Course: Go for Payments", Description: "Digital: nothing is shipped.", DoNotShip: true, Prices: map[string]int64{"EUR": 9900, "USD": 10900, "XOF": 65000}},
	{Code: "WH-100", Name: "Wireless Headphones", Description: "Over-ear, 30 hours of battery.", Prices: map[string]int64{"EUR": 7900, "USD": 8500, "AUD": 11900}},
	{Code: "COURSE-123", Name: "JavaScript Fundamentals", Description: "Online course: nothing is shipped.", DoNotShip: true, Prices: map[string]int64{"EUR": 4999, "USD": 4999}, OnePerCustomer: true, Reference: "123"},
	{Code: "COURSE-456", Name: "Advanced TypeScript", Description: "Online course: nothing is shipped.", DoNotShip: true, Prices: map[string]int64{"EUR": 7999, "USD": 7999}, OnePerCustomer: true, Reference: "456"},
	{Code: "COURSE-789", Name: "Node.js in Production", Description: "Online course: nothing is shipped.", DoNotShip: true, Prices: map[string]int64{"EUR": 6999, "USD": 6999}, OnePerCustomer: true, Reference: "789"},
}

// demoMarkets are the demo markets: code, name, currency, and the price
// of their standard shipping and the order amount over which it is free.
var demoMarkets = []struct {
	Code, Name, Currency string
	Shipping, FreeOver   int64
}{
	{"eu", "Europe", "EUR", 700, 9900},
	{"us", "United States", "USD", 800, 10000},
	{"ci", "Côte d'Ivoire", "XOF", 2000, 50000},
	{"au", "Australia", "AUD", 995, 15000},
	{"tr", "Türkiye", "TRY", 9990, 200000},
}

// DemoStock is how many of each demo SKU the demo warehouse holds: as
// many as one line item may ask for.
const DemoStock = MaxLineItemQuantity

// SeedDemo loads the demo catalog once (with a sandbox gateway, a manual
// one, in every market a card payment method on the sandbox, a bank
// transfer one and a standard shipping method, the market's default; a
// warehouse holding DemoStock of every SKU; and for eu a manual tax
// calculator taxing Italy at 22 % and Germany at 19 %, shipping
// included): it does nothing when the demo
// market eu already exists. It reports whether it loaded anything.
func SeedDemo(tx *gorm.DB) (bool, error) {
	if _, err := EnsureOrganization(tx); err != nil {
		return false, err
	}
	present, err := exists(tx, &Market{}, "", "code = ?", "eu")
	if err != nil || present {
		return false, err
	}
	sandboxSecret := db.RandomString(32)
	sandbox := &PaymentGateway{Kind: GatewaySandbox, Name: "Kasse sandbox", WebhookEndpointSecret: &sandboxSecret}
	manual := &PaymentGateway{Kind: GatewayManual, Name: "Bank transfer"}
	for _, g := range []*PaymentGateway{sandbox, manual} {
		if err := save(tx, g); err != nil {
			return false, err
		}
	}
	listIDs, marketIDs := map[string]string{}, map[string]string{}
	for _, m := range demoMarkets {
		code := m.Code
		// Australian prices are quoted without GST, as merchants there
		// often send them (the taxes come on top).
		list := &PriceList{Name: m.Name + " (" + m.Currency + ")", Code: &code, CurrencyCode: m.Currency, TaxIncluded: m.Code != "au"}
		if err := save(tx, list); err != nil {
			return false, err
		}
		listIDs[m.Currency] = list.ID
		market := &Market{Name: m.Name, Code: &code, PriceListID: list.ID}
		if err := save(tx, market); err != nil {
			return false, err
		}
		marketIDs[m.Code] = market.ID
		freeOver := m.FreeOver
		shipping := &ShippingMethod{Name: "Standard Shipping", Scheme: "flat", PriceAmountCents: m.Shipping, FreeOverAmountCents: &freeOver, MarketID: &market.ID}
		if err := save(tx, shipping); err != nil {
			return false, err
		}
		market.DefaultShippingMethodID = &shipping.ID
		if err := tx.Model(market).Update("default_shipping_method_id", shipping.ID).Error; err != nil {
			return false, err
		}
		currency := m.Currency
		card, wire := "Card (sandbox)", "Bank transfer"
		methods := []*PaymentMethod{
			{Name: &card, PaymentSourceType: SourceCheckoutCom, CurrencyCode: &currency, MarketID: &market.ID, PaymentGatewayID: &sandbox.ID},
			{Name: &wire, PaymentSourceType: SourceWireTransfer, CurrencyCode: &currency, MarketID: &market.ID, PaymentGatewayID: &manual.ID, PaymentMethodType: MethodBankTransfer},
		}
		if m.Code == "ci" {
			// Mobile money in XOF: a 0.5 % fee, 100 XOF at least.
			mobile, minimum := "Mobile money (sandbox)", int64(100)
			methods = append(methods, &PaymentMethod{Name: &mobile, PaymentSourceType: SourceCheckoutCom, CurrencyCode: &currency, MarketID: &market.ID,
				PaymentGatewayID: &sandbox.ID, PaymentMethodType: MethodMobileMoney, FeePercentage: 0.5, MinAmountCents: &minimum})
		}
		for _, pm := range methods {
			if err := save(tx, pm); err != nil {
				return false, err
			}
		}
	}
	warehouseCode := "warehouse"
	warehouse := &StockLocation{Name: "Warehouse", Code: &warehouseCode, LabelFormat: "PDF"}
	if err := save(tx, warehouse); err != nil {
		return false, err
	}
	vat := &TaxCalculator{Kind: TaxCalculatorManual, Name: "EU VAT"}
	if err := save(tx, vat); err != nil {
		return false, err
	}
	it, de := "IT", "DE"
	for _, r := range []*TaxRule{
		{ManualTaxCalculatorID: vat.ID, Name: "Italy", TaxRate: 0.22, CountryCodeRegex: &it, FreightTaxable: true},
		{ManualTaxCalculatorID: vat.ID, Name: "Germany", TaxRate: 0.19, CountryCodeRegex: &de, FreightTaxable: true},
	} {
		if err := save(tx, r); err != nil {
			return false, err
		}
	}
	if err := tx.Model(&Market{}).Where("id = ?", marketIDs["eu"]).Update("tax_calculator_id", vat.ID).Error; err != nil {
		return false, err
	}
	for _, s := range DemoCatalog {
		desc := s.Description
		sku := &Sku{Code: s.Code, Name: s.Name, Description: &desc, DoNotShip: s.DoNotShip, LimitOnePerCustomer: s.OnePerCustomer}
		if s.Reference != "" {
			ref := s.Reference
			sku.Reference = &ref
		}
		if err := save(tx, sku); err != nil {
			return false, err
		}
		if err := save(tx, &StockItem{StockLocationID: warehouse.ID, SkuID: sku.ID, Quantity: DemoStock}); err != nil {
			return false, err
		}
		for _, m := range demoMarkets {
			amount, ok := s.Prices[m.Currency]
			if !ok {
				continue
			}
			if err := save(tx, &Price{PriceListID: listIDs[m.Currency], SkuID: sku.ID, AmountCents: amount}); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// save applies a model's rules and inserts it, as the API does.
func save(tx *gorm.DB, model any) error {
	if w, ok := model.(Writer); ok {
		if err := w.BeforeWrite(tx, true); err != nil {
			return err
		}
	}
	if err := tx.Create(model).Error; err != nil {
		return err
	}
	if w, ok := model.(AfterWriter); ok {
		return w.AfterWrite(tx)
	}
	return nil
}
