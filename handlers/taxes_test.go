package handlers_test

import (
	"testing"

	"kasse/models"
)

// taxAddress creates an address in country with the shopper's token.
func (s *shopper) taxAddress(t *testing.T, country string) string {
	t.Helper()
	return id(s.do(t, "POST", "/api/addresses", resource("addresses", "", map[string]any{
		"first_name": "Tax", "last_name": "Payer", "line_1": "1 Via Roma", "city": "Somewhere", "country_code": country, "phone": "+39 06 0000",
	}, nil)).want(t, 201).data())
}

// TestTaxes: a manual tax calculator's rules tax a market's orders by the
// shipping country, per line item rounded half up, the lines adding up to
// the subtotal tax exactly; shipping is taxed when the rule says so;
// prices with taxes included keep the total, prices without add to it.
func TestTaxes(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		calc := e.create(t, "manual_tax_calculators", map[string]any{"name": "Test VAT"}, nil)
		if calc["type"] != "manual_tax_calculators" || attrs(calc)["name"] != "Test VAT" {
			t.Fatalf("calculator: %v", attrs(calc))
		}
		c := id(calc)
		rule := func(name string, rate float64, countries string, freight bool) {
			e.create(t, "tax_rules", map[string]any{"name": name, "tax_rate": rate, "country_code_regex": countries, "freight_taxable": freight},
				map[string]any{"manual_tax_calculator": ref("manual_tax_calculators", c)})
		}
		rule("Italy", 0.22, "IT", true)
		rule("Germany", 0.19, "DE|AT", false)
		for _, bad := range []struct {
			attributes map[string]any
			at         string
		}{
			{map[string]any{"name": "Too much", "tax_rate": 1.5}, "/data/attributes/tax_rate"},
			{map[string]any{"name": "Broken", "tax_rate": 0.1, "country_code_regex": "("}, "/data/attributes/country_code_regex"},
		} {
			e.do("POST", "/api/tax_rules", resource("tax_rules", "", bad.attributes, map[string]any{"manual_tax_calculator": ref("manual_tax_calculators", c)})).
				wantErrorAt(t, 422, "VALIDATION_ERROR", bad.at)
		}
		// The demo's EU VAT and this one.
		if list := e.do("GET", "/api/tax_calculators", nil).want(t, 200).list(); len(list) != 2 || list[1]["type"] != "tax_calculators" {
			t.Fatalf("tax calculators: %v", list)
		}
		if n := len(e.do("GET", "/api/manual_tax_calculators/"+c+"/tax_rules", nil).want(t, 200).list()); n != 2 {
			t.Fatalf("%d tax rules", n)
		}
		guest.do(t, "GET", "/api/tax_calculators", nil).wantError(t, 401, "UNAUTHORIZED")
		guest.do(t, "GET", "/api/manual_tax_calculators/"+c, nil).wantError(t, 404, "RECORD_NOT_FOUND")

		eu := id(e.one(t, "markets", "code_eq", "eu"))
		// Without a calculator (the demo us market), _update_taxes has
		// nothing to run.
		us := id(e.one(t, "markets", "code_eq", "us"))
		usOrder := id(e.create(t, "orders", nil, map[string]any{"market": ref("markets", us)}))
		back.patchOrder(t, usOrder, map[string]any{"_update_taxes": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_update_taxes")
		o := id(guest.newOrder(t, map[string]any{"customer_email": "tax@example.com"}))
		back.do(t, "PATCH", "/api/markets/"+eu, resource("markets", eu, nil, map[string]any{"tax_calculator": ref("manual_tax_calculators", c)})).want(t, 200)
		if got := linkage(e.do("GET", "/api/markets/"+eu+"?include=tax_calculator", nil).want(t, 200).data(), "tax_calculator"); len(got) != 1 || got[0] != "tax_calculators:"+c {
			t.Fatalf("market's tax calculator: %v", got)
		}

		shirts := id(guest.addItem(t, o, tshirtCode, 2)) // 5800
		mug := id(guest.addItem(t, o, mugCode, 1))       // 1200, and 700 shipping
		// No address, no country: no taxes yet.
		if order := guest.order(t, o); num(order, "total_tax_amount_cents") != 0 || attrs(order)["tax_rate"] != nil {
			t.Fatalf("before an address: %v", attrs(order))
		}
		for _, c := range []struct {
			country                               string
			rate                                  any
			shirts, mug, shipping, total, taxable int64
		}{
			// 5800 × 0.22 / 1.22 = 1045.9 → 1046; 1200 → 216.4 → 216; 700 → 126.2 → 126.
			{"IT", 0.22, 1046, 216, 126, 1388, 7700 - 1388},
			// 5800 × 0.19 / 1.19 = 926.05 → 926; 1200 → 191.6 → 192; shipping untaxed.
			{"DE", 0.19, 926, 192, 0, 1118, 7000 - 1118},
			{"AT", 0.19, 926, 192, 0, 1118, 7000 - 1118},
			// No rule for France.
			{"FR", nil, 0, 0, 0, 0, 0},
		} {
			guest.patchOrder(t, o, nil, map[string]any{"shipping_address": ref("addresses", guest.taxAddress(t, c.country))}).want(t, 200)
			r := guest.do(t, "GET", "/api/orders/"+o+"?include=line_items", nil).want(t, 200)
			a := attrs(r.data())
			if a["country_code"] != c.country || a["tax_rate"] != c.rate || num(r.data(), "subtotal_tax_amount_cents") != c.shirts+c.mug ||
				num(r.data(), "shipping_tax_amount_cents") != c.shipping || num(r.data(), "total_tax_amount_cents") != c.total ||
				num(r.data(), "total_taxable_amount_cents") != c.taxable || num(r.data(), "total_amount_with_taxes_cents") != 7700 ||
				num(r.data(), "total_amount_cents") != 7700 || a["tax_included"] != true {
				t.Fatalf("%s: %v", c.country, a)
			}
			for _, li := range r.included() {
				want := map[string]int64{shirts: c.shirts, mug: c.mug}[id(li)]
				if num(li, "tax_amount_cents") != want || attrs(li)["tax_rate"] != c.rate {
					t.Fatalf("%s: line item %v", c.country, attrs(li))
				}
			}
		}
		guest.patchOrder(t, o, map[string]any{"_update_taxes": true}, nil).want(t, 200)

		// Prices without taxes (the ci market's, in XOF): taxes add to the total.
		ci := id(e.one(t, "markets", "code_eq", "ci"))
		list := id(e.one(t, "price_lists", "code_eq", "ci"))
		back.do(t, "PATCH", "/api/price_lists/"+list, resource("price_lists", list, map[string]any{"tax_included": false}, nil)).want(t, 200)
		ciCalc := id(e.create(t, "manual_tax_calculators", map[string]any{"name": "Côte d'Ivoire"}, nil))
		e.create(t, "tax_rules", map[string]any{"name": "TVA", "tax_rate": 0.18, "country_code_regex": "CI", "freight_taxable": true},
			map[string]any{"manual_tax_calculator": ref("manual_tax_calculators", ciCalc)})
		back.do(t, "PATCH", "/api/markets/"+ci, resource("markets", ci, nil, map[string]any{"tax_calculator": ref("manual_tax_calculators", ciCalc)})).want(t, 200)
		abidjan := e.guestIn(t, "ci")
		x := id(abidjan.newOrder(t, map[string]any{"customer_email": "xof@example.com"}))
		abidjan.addItem(t, x, tshirtCode, 2) // 2 × 19000, and 2000 shipping
		abidjan.patchOrder(t, x, nil, map[string]any{"shipping_address": ref("addresses", abidjan.taxAddress(t, "CI"))}).want(t, 200)
		order := abidjan.order(t, x)
		// 38000 × 0.18 = 6840; 2000 × 0.18 = 360.
		if num(order, "subtotal_tax_amount_cents") != 6840 || num(order, "shipping_tax_amount_cents") != 360 || num(order, "total_tax_amount_cents") != 7200 ||
			num(order, "total_amount_cents") != 40000 || num(order, "total_amount_with_taxes_cents") != 47200 || attrs(order)["formatted_total_amount_with_taxes"] != "47,200 CFA" ||
			num(order, "total_taxable_amount_cents") != 40000 || attrs(order)["tax_included"] != false {
			t.Fatalf("XOF without taxes included: %v", attrs(order))
		}
	})
}

// guestIn is a guest of the market with code.
func (e *env) guestIn(t *testing.T, market string) *shopper {
	t.Helper()
	return &shopper{e: e, token: e.in(t).tokenFor(models.KindSalesChannel, "market:code:"+market, "", "")}
}
