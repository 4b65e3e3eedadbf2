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
}

// DemoCatalog is what `kasse seed --demo` loads: markets eu (EUR), us (USD)
// and ci (XOF, Côte d'Ivoire), a price list each, and SKUs priced in them.
var DemoCatalog = []DemoSku{
	{"TSHIRTMM000000FFFFFFXL", "Black Men T-shirt with White Logo (XL)", "A soft cotton T-shirt.", false, map[string]int64{"EUR": 2900, "USD": 3200, "XOF": 19000}},
	{"TSHIRTWM000000FFFFFFM", "Black Women T-shirt with White Logo (M)", "A soft cotton T-shirt.", false, map[string]int64{"EUR": 2900, "USD": 3200}},
	{"HOODIEUL000000FFFFFFL", "Black Unisex Hoodie (L)", "A warm hoodie.", false, map[string]int64{"EUR": 5900, "USD": 6500}},
	{"CAPXXXXX000000FFFFFFXX", "Black Cap with White Logo", "One size fits all.", false, map[string]int64{"EUR": 1900, "USD": 2100}},
	{"MUGXXXXX000000FFFFFFXX", "White Mug with Black Logo", "Holds 350 ml.", false, map[string]int64{"EUR": 1200, "USD": 1400}},
	{"TOTEBAGX000000FFFFFFXX", "Natural Tote Bag", "Organic cotton.", false, map[string]int64{"EUR": 1500, "USD": 1700}},
	{"STICKERS000000FFFFFFXX", "Sticker Pack", "Ten vinyl stickers.", false, map[string]int64{"EUR": 500, "USD": 600}},
	{"NOTEBOOK000000FFFFFFA5", "Dotted Notebook (A5)", "120 pages.", false, map[string]int64{"EUR": 1400, "USD": 1600}},
	{"COURSEGO000000000000XX", "Online Course: Go for Payments", "Digital: nothing is shipped.", true, map[string]int64{"EUR": 9900, "USD": 10900, "XOF": 65000}},
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
		list := &PriceList{Name: m.Name + " (" + m.Currency + ")", Code: &code, CurrencyCode: m.Currency, TaxIncluded: true}
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
		sku := &Sku{Code: s.Code, Name: s.Name, Description: &desc, DoNotShip: s.DoNotShip}
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
