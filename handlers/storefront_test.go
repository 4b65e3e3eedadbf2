package handlers_test

import (
	"testing"

	"kasse/gateways"
)

// storefrontCode is the storefront test's own SKU: its prices are odd so
// that the taxes' rounding shows.
const storefrontCode = "STOREFRONT-ODD"

// storefrontTotals are an order's amounts after a step of the flow, in
// minor units of its currency; withTaxes is also shown formatted.
type storefrontTotals struct {
	subtotal, shipping, lineTax1, lineTax2, shippingTax, total, withTaxes int64
	formatted                                                             string // formatted_total_amount_with_taxes
}

// storefrontCase is one currency's storefront: its market (made by setup
// when the demo has none, or completed by it), the prices the test gives
// the market's price list, two lines, the second's quantity that reaches
// the standard shipping's free-over amount, an express method the shopper
// chooses, and the totals after each step.
type storefrontCase struct {
	currency, market, country string
	setup                     func(t *testing.T, e *env, sandbox string)
	prices                    map[string]int64
	line1, line2              string
	qty1, qty2, qtyOver       int
	expressPrice, expressFree int64
	// After the first line, the second, the second raised over the
	// free-over amount, lowered back, the addresses (taxes), the express
	// method; placing keeps the last.
	steps [6]storefrontTotals
	// The final formatted subtotal, shipping, total tax and line taxes.
	formatted [5]string
}

// taxCalculator makes a manual tax calculator with one rule, freight
// taxable, and gives it to the market.
func (e *env) taxCalculator(t *testing.T, market, name, country string, rate float64) {
	t.Helper()
	c := id(e.create(t, "manual_tax_calculators", map[string]any{"name": name}, nil))
	e.create(t, "tax_rules", map[string]any{"name": name, "tax_rate": rate, "country_code_regex": country, "freight_taxable": true},
		map[string]any{"manual_tax_calculator": ref("manual_tax_calculators", c)})
	e.integration().do(t, "PATCH", "/api/markets/"+market, resource("markets", market, nil, map[string]any{"tax_calculator": ref("manual_tax_calculators", c)})).want(t, 200)
}

// storefrontCases: EUR with the demo's EU VAT (prices include it, Italy
// 22 %), JPY in a Japan market made here (prices without tax, 10 %), XOF
// in the demo's ci market given prices without tax and an 18 % rate. Each
// has two lines whose taxes, rounded half up one by one, add up to one
// more than the subtotal's tax rounded once: the order's subtotal tax is
// the lines' sum. JPY and XOF (exponent 0) land exactly on halves.
var storefrontCases = []storefrontCase{
	{
		currency: "EUR", market: "eu", country: "IT",
		prices: map[string]int64{storefrontCode: 1995},
		line1:  storefrontCode, qty1: 2, // 3990: tax 3990 × 0.22 / 1.22 = 719.51 → 720
		line2: mugCode, qty2: 4, qtyOver: 5, // 4800: 865.57 → 866 (the subtotal's 1585.08 would be 1585); 5 make 9990 ≥ 9900
		expressPrice: 995, expressFree: 20000, // 179.43 → 179; the standard 700: 126.23 → 126
		steps: [6]storefrontTotals{
			{3990, 700, 0, 0, 0, 4690, 4690, "€46.90"},
			{8790, 700, 0, 0, 0, 9490, 9490, "€94.90"},
			{9990, 0, 0, 0, 0, 9990, 9990, "€99.90"},
			{8790, 700, 0, 0, 0, 9490, 9490, "€94.90"},
			{8790, 700, 720, 866, 126, 9490, 9490, "€94.90"},
			{8790, 995, 720, 866, 179, 9785, 9785, "€97.85"},
		},
		formatted: [5]string{"€87.90", "€9.95", "€17.65", "€7.20", "€8.66"},
	},
	{
		currency: "JPY", market: "jp", country: "JP",
		setup: func(t *testing.T, e *env, sandbox string) {
			list := id(e.create(t, "price_lists", map[string]any{"name": "Japan (JPY)", "code": "jp", "currency_code": "JPY", "tax_included": false}, nil))
			market := id(e.create(t, "markets", map[string]any{"name": "Japan", "code": "jp"}, map[string]any{"price_list": ref("price_lists", list)}))
			standard := id(e.create(t, "shipping_methods", map[string]any{"name": "Standard Shipping", "price_amount_cents": 555, "free_over_amount_cents": 10000},
				map[string]any{"market": ref("markets", market)}))
			e.integration().do(t, "PATCH", "/api/markets/"+market, resource("markets", market, nil,
				map[string]any{"default_shipping_method": ref("shipping_methods", standard)})).want(t, 200)
			e.create(t, "payment_methods", map[string]any{"name": "Card (sandbox)", "payment_source_type": "checkout_com_payments", "price_amount_cents": 0},
				map[string]any{"market": ref("markets", market), "payment_gateway": ref("sandbox_gateways", sandbox)})
			e.taxCalculator(t, market, "Japan consumption tax", "JP", 0.10)
		},
		prices: map[string]int64{storefrontCode: 1485, tshirtCode: 3305},
		line1:  storefrontCode, qty1: 3, // 4455: tax 445.5 → 446
		line2: tshirtCode, qty2: 1, qtyOver: 2, // 3305: 330.5 → 331 (the subtotal's 776 exactly); 2 make 11065 ≥ 10000
		expressPrice: 1245, expressFree: 30000, // 124.5 → 125; the standard 555: 55.5 → 56
		steps: [6]storefrontTotals{
			{4455, 555, 0, 0, 0, 5010, 5010, "¥5,010"},
			{7760, 555, 0, 0, 0, 8315, 8315, "¥8,315"},
			{11065, 0, 0, 0, 0, 11065, 11065, "¥11,065"},
			{7760, 555, 0, 0, 0, 8315, 8315, "¥8,315"},
			{7760, 555, 446, 331, 56, 8315, 8315 + 833, "¥9,148"},
			{7760, 1245, 446, 331, 125, 9005, 9005 + 902, "¥9,907"},
		},
		formatted: [5]string{"¥7,760", "¥1,245", "¥902", "¥446", "¥331"},
	},
	{
		currency: "XOF", market: "ci", country: "CI",
		setup: func(t *testing.T, e *env, _ string) {
			list := id(e.one(t, "price_lists", "code_eq", "ci"))
			e.integration().do(t, "PATCH", "/api/price_lists/"+list, resource("price_lists", list, map[string]any{"tax_included": false}, nil)).want(t, 200)
			e.taxCalculator(t, id(e.one(t, "markets", "code_eq", "ci")), "TVA Côte d'Ivoire", "CI", 0.18)
		},
		prices: map[string]int64{storefrontCode: 1025, mugCode: 9975},
		line1:  storefrontCode, qty1: 3, // 3075: tax 553.5 → 554
		line2: mugCode, qty2: 1, qtyOver: 5, // 9975: 1795.5 → 1796 (the subtotal's 2349 exactly); 5 make 52950 ≥ 50000
		expressPrice: 2525, expressFree: 100000, // 454.5 → 455; the standard 2000: 360
		steps: [6]storefrontTotals{
			{3075, 2000, 0, 0, 0, 5075, 5075, "5,075 CFA"},
			{13050, 2000, 0, 0, 0, 15050, 15050, "15,050 CFA"},
			{52950, 0, 0, 0, 0, 52950, 52950, "52,950 CFA"},
			{13050, 2000, 0, 0, 0, 15050, 15050, "15,050 CFA"},
			{13050, 2000, 554, 1796, 360, 15050, 15050 + 2710, "17,760 CFA"},
			{13050, 2525, 554, 1796, 455, 15575, 15575 + 2805, "18,380 CFA"},
		},
		formatted: [5]string{"13,050 CFA", "2,525 CFA", "2,805 CFA", "554 CFA", "1,796 CFA"},
	},
}

// TestStorefrontTotals is the storefront flow in EUR, JPY and XOF with a
// sales-channel token of each market: a cart, two line items, the
// standard shipping and its free-over amount, shipping and billing
// addresses that bring the market's taxes, another shipping method chosen
// on the shipment, a sandbox card payment, placing; the order's amounts
// are exact at every step, and its stock is taken.
func TestStorefrontTotals(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		sandboxes := e.do("GET", "/api/sandbox_gateways", nil).want(t, 200).list()
		if len(sandboxes) != 1 {
			t.Fatalf("%d sandbox gateways", len(sandboxes))
		}
		sandbox := id(sandboxes[0])
		e.create(t, "skus", map[string]any{"code": storefrontCode, "name": "Odd-priced poster"}, nil)
		warehouse := e.primary(t)
		e.setStock(t, warehouse, storefrontCode, 100)

		for _, c := range storefrontCases {
			t.Run(c.currency, func(t *testing.T) {
				e := e.in(t)
				if c.setup != nil {
					c.setup(t, e, sandbox)
				}
				market := id(e.one(t, "markets", "code_eq", c.market))
				list := e.do("GET", "/api/markets/"+market+"/price_list", nil).want(t, 200).data()
				if attrs(list)["currency_code"] != c.currency {
					t.Fatalf("%s's price list: %v", c.market, attrs(list))
				}
				for code, amount := range c.prices {
					e.create(t, "prices", map[string]any{"sku_code": code, "amount_cents": amount}, map[string]any{"price_list": ref("price_lists", id(list))})
				}
				express := id(e.create(t, "shipping_methods", map[string]any{"name": "Express " + c.currency, "price_amount_cents": c.expressPrice, "free_over_amount_cents": c.expressFree},
					map[string]any{"market": ref("markets", market)}))
				guest := e.guestIn(t, c.market)

				// The storefront sees the SKU priced and in stock.
				skus := guest.do(t, "GET", "/api/skus"+q("filter[q][code_eq]", storefrontCode, "include", "prices"), nil).want(t, 200).list()
				if len(skus) != 1 {
					t.Fatalf("%d SKUs %s in %s", len(skus), storefrontCode, c.market)
				}
				inventory, _ := attrs(skus[0])["inventory"].(map[string]any)
				stock := e.stockOf(t, warehouse, storefrontCode)
				if inventory["available"] != true || inventory["quantity"] != float64(stock) {
					t.Fatalf("inventory %v, stock %d", inventory, stock)
				}

				check := func(who *shopper, step string, o string, want storefrontTotals) map[string]any {
					t.Helper()
					r := who.do(t, "GET", "/api/orders/"+o+"?include=line_items", nil).want(t, 200)
					order, a := r.data(), attrs(r.data())
					if a["currency_code"] != c.currency || num(order, "subtotal_amount_cents") != want.subtotal || num(order, "shipping_amount_cents") != want.shipping ||
						num(order, "subtotal_tax_amount_cents") != want.lineTax1+want.lineTax2 || num(order, "shipping_tax_amount_cents") != want.shippingTax ||
						num(order, "total_tax_amount_cents") != want.lineTax1+want.lineTax2+want.shippingTax ||
						num(order, "total_amount_cents") != want.total || num(order, "total_amount_with_taxes_cents") != want.withTaxes ||
						a["formatted_total_amount_with_taxes"] != want.formatted {
						t.Fatalf("%s: want %+v, got %v", step, want, a)
					}
					lines := r.included()
					if len(lines) == 0 || len(lines) > 2 {
						t.Fatalf("%s: %d line items", step, len(lines))
					}
					for _, li := range lines {
						tax, ok := map[string]int64{c.line1: want.lineTax1, c.line2: want.lineTax2}[attrs(li)["sku_code"].(string)]
						if !ok || num(li, "tax_amount_cents") != tax {
							t.Fatalf("%s: line item %v, want tax %d", step, attrs(li), tax)
						}
					}
					return order
				}

				o := id(guest.newOrder(t, map[string]any{"customer_email": "storefront-" + c.market + "@example.com"}))
				guest.addItem(t, o, c.line1, c.qty1)
				check(guest, "the first line", o, c.steps[0])
				second := id(guest.addItem(t, o, c.line2, c.qty2))
				check(guest, "the second line", o, c.steps[1])
				setQuantity := func(n int) {
					guest.do(t, "PATCH", "/api/line_items/"+second, resource("line_items", second, map[string]any{"quantity": n}, nil)).want(t, 200)
				}
				setQuantity(c.qtyOver)
				check(guest, "over the free-over amount", o, c.steps[2])
				setQuantity(c.qty2)
				check(guest, "back under it", o, c.steps[3])

				guest.patchOrder(t, o, nil, map[string]any{
					"shipping_address": ref("addresses", guest.taxAddress(t, c.country)), "billing_address": ref("addresses", guest.taxAddress(t, c.country)),
				}).want(t, 200)
				if a := attrs(check(guest, "the addresses", o, c.steps[4])); a["country_code"] != c.country || a["freight_taxable"] != true {
					t.Fatalf("taxed order: %v", a)
				}

				shipment := guest.shipment(t, o)
				if num(shipment, "cost_amount_cents") != c.steps[4].shipping {
					t.Fatalf("the standard shipment: %v", attrs(shipment))
				}
				guest.chooseShipping(t, id(shipment), express).want(t, 200)
				if s := guest.shipment(t, o); num(s, "cost_amount_cents") != c.expressPrice || attrs(s)["currency_code"] != c.currency {
					t.Fatalf("the express shipment: %v", attrs(s))
				}
				check(guest, "the express method", o, c.steps[5])

				cards := e.do("GET", "/api/payment_methods"+q("filter[q][name_eq]", "Card (sandbox)", "filter[q][market_code_eq]", c.market), nil).want(t, 200).list()
				if len(cards) != 1 {
					t.Fatalf("%d sandbox card methods in %s", len(cards), c.market)
				}
				guest.patchOrder(t, o, nil, map[string]any{"payment_method": ref("payment_methods", id(cards[0]))}).want(t, 200)
				final := c.steps[5]
				check(guest, "the payment method", o, final)
				p := guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
				if paymentStatus(p) != "Authorized" || attrs(p.data())["mismatched_amounts"] != false {
					t.Fatalf("payment: %s", p.body)
				}

				placed := attrs(guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200).data())
				if placed["status"] != "placed" || placed["payment_status"] != "authorized" || placed["place_total_amount_cents"] != float64(final.withTaxes) {
					t.Fatalf("placed: %v", placed)
				}
				order := check(back, "placed", o, final)
				a := attrs(order)
				if got := [3]any{a["formatted_subtotal_amount"], a["formatted_shipping_amount"], a["formatted_total_tax_amount"]}; got != [3]any{c.formatted[0], c.formatted[1], c.formatted[2]} {
					t.Fatalf("formatted amounts %v, want %v", got, c.formatted[:3])
				}
				lines := back.do(t, "GET", "/api/orders/"+o+"/line_items", nil).want(t, 200).list()
				if len(lines) != 2 {
					t.Fatalf("%d line items placed", len(lines))
				}
				for _, li := range lines {
					want := map[string]string{c.line1: c.formatted[3], c.line2: c.formatted[4]}[attrs(li)["sku_code"].(string)]
					if attrs(li)["formatted_tax_amount"] != want {
						t.Fatalf("line item %v, want formatted tax %s", attrs(li), want)
					}
				}
				auths := back.do(t, "GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()
				if len(auths) != 1 || num(auths[0], "amount_cents") != final.withTaxes || attrs(auths[0])["formatted_amount"] != final.formatted {
					t.Fatalf("authorizations: %v", auths)
				}
				if left := e.stockOf(t, warehouse, storefrontCode); left != stock-int64(c.qty1) {
					t.Fatalf("stock %d after placing, had %d", left, stock)
				}
			})
		}
	})
}
