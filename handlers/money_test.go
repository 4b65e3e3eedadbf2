package handlers_test

import (
	"strings"
	"testing"
)

// TestMoney checks the derived amounts of prices in currencies with 0, 2
// and 3 minor-unit digits.
func TestMoney(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		kwd := e.create(t, "price_lists", map[string]any{"name": "Kuwait", "code": "kw", "currency_code": "KWD"}, nil)
		mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		e.create(t, "prices", map[string]any{"amount_cents": 1500, "compare_at_amount_cents": 2250},
			map[string]any{"price_list": ref("price_lists", id(kwd)), "sku": ref("skus", id(mug))})

		shirt := "TSHIRTMM000000FFFFFFXL"
		for _, c := range []struct {
			list, sku, currency string
			cents               float64
			float               float64
			formatted           string
		}{
			{"ci", shirt, "XOF", 19000, 19000, "19,000"},
			{"ci", "COURSEGO000000000000XX", "XOF", 65000, 65000, "65,000"},
			{"eu", shirt, "EUR", 2900, 29, "29.00"},
			{"us", "STICKERS000000FFFFFFXX", "USD", 600, 6, "6.00"},
			{"kw", "MUGXXXXX000000FFFFFFXX", "KWD", 1500, 1.5, "1.500"},
		} {
			t.Run(c.currency+"/"+c.sku, func(t *testing.T) {
				e := e.in(t)
				r := e.do("GET", "/api/prices"+q("filter[q][price_list_code_eq]", c.list, "filter[q][sku_code_eq]", c.sku), nil).want(t, 200)
				if len(r.list()) != 1 {
					t.Fatalf("%d prices", len(r.list()))
				}
				a := attrs(r.list()[0])
				if a["currency_code"] != c.currency || a["amount_cents"] != c.cents || a["amount_float"] != c.float || a["original_amount_cents"] != c.cents {
					t.Fatalf("amounts: %v", a)
				}
				f, _ := a["formatted_amount"].(string)
				if !strings.Contains(f, c.formatted) || f != a["formatted_original_amount"] {
					t.Fatalf("formatted_amount %q, want it to show %q", f, c.formatted)
				}
				if c.currency == "XOF" && (strings.Contains(f, ".") || strings.Contains(f, "00,00")) {
					t.Fatalf("XOF has no minor unit: %q", f)
				}
				if c.currency == "KWD" {
					if a["compare_at_amount_cents"] != float64(2250) || a["compare_at_amount_float"] != 2.25 || !strings.Contains(a["formatted_compare_at_amount"].(string), "2.250") {
						t.Fatalf("compare at: %v", a)
					}
				} else if a["compare_at_amount_float"] != nil || a["formatted_compare_at_amount"] != nil {
					t.Fatalf("compare at without compare_at_amount_cents: %v", a)
				}
			})
		}

		t.Run("currency follows the price list", func(t *testing.T) {
			e := e.in(t)
			e.do("PATCH", "/api/price_lists/"+id(kwd), resource("price_lists", id(kwd), map[string]any{"currency_code": "jpy"}, nil)).want(t, 200)
			p := e.one(t, "prices", "price_list_code_eq", "kw")
			if a := attrs(p); a["currency_code"] != "JPY" || a["amount_float"] != float64(1500) {
				t.Fatalf("after the list changed currency: %v", a)
			}
		})

		t.Run("a free price", func(t *testing.T) {
			e := e.in(t)
			sku := e.create(t, "skus", map[string]any{"code": "FREEBIE", "name": "Free sticker"}, nil)
			eu := e.one(t, "price_lists", "code_eq", "eu")
			p := e.create(t, "prices", map[string]any{"amount_cents": 0}, map[string]any{"price_list": ref("price_lists", id(eu)), "sku": ref("skus", id(sku))})
			if a := attrs(p); a["amount_cents"] != float64(0) || a["amount_float"] != float64(0) || !strings.Contains(a["formatted_amount"].(string), "0.00") {
				t.Fatalf("free price: %v", a)
			}
		})
	})
}
