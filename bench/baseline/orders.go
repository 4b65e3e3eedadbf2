package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"kasse/models"
)

const orderColumns = "id, number, status, payment_status, fulfillment_status, guest, customer_email, language_code, currency_code, tax_included, country_code, " +
	"cart_url, return_url, terms_url, privacy_url, market_id, subtotal_amount_cents, discount_amount_cents, shipping_amount_cents, payment_method_amount_cents, " +
	"total_tax_amount_cents, total_amount_cents, total_amount_with_taxes_cents, place_total_amount_cents, tax_rate, freight_taxable, payment_method_taxable, " +
	"subtotal_tax_amount_cents, shipping_tax_amount_cents, payment_method_tax_amount_cents, subtotal_taxable_amount_cents, shipping_taxable_amount_cents, " +
	"payment_method_taxable_amount_cents, total_taxable_amount_cents, skus_count, shipments_count, placed_at, approved_at, cancelled_at, archived_at, " +
	"payment_updated_at, fulfillment_updated_at, refreshed_at, expires_at, checkout_token, reference, reference_origin, metadata, created_at, updated_at"

// orderRelationships are the relationships Kasse renders on every order.
var orderRelationships = []string{"market", "customer", "shipping_address", "billing_address", "available_payment_methods", "payment_method",
	"line_items", "payment_source", "transactions", "authorizations", "captures", "voids", "refunds", "shipments", "default_shipping_method"}

// order serves GET /api/orders/{id} with include empty, market,
// line_items or both: the order, then one query per included type, as
// Kasse needs at the least.
func (s *server) order(ctx context.Context, id, include string) (map[string]any, error) {
	withLines, withMarket := false, false
	if include != "" {
		for _, name := range strings.Split(include, ",") {
			switch name {
			case "line_items":
				withLines = true
			case "market":
				withMarket = true
			default:
				return nil, fmt.Errorf("include %q", name)
			}
		}
	}
	var (
		number                                                                                         int64
		status, paymentStatus, fulfillmentStatus, currency, marketID                                   string
		guest, taxIncluded, freightTaxable, paymentMethodTaxable                                       bool
		email, language, country, cartURL, returnURL, termsURL, privacyURL, checkoutToken, ref, origin *string
		subtotal, discount, shipping, paymentMethod, totalTax, total, totalWithTaxes                   int64
		subtotalTax, shippingTax, paymentMethodTax, subtotalTaxable, shippingTaxable                   int64
		paymentMethodTaxableCents, totalTaxable                                                        int64
		placeTotal                                                                                     *int64
		taxRate                                                                                        *float64
		skusCount, shipmentsCount                                                                      int64
		placed, approved, cancelled, archived, paymentUpdated, fulfillmentUpdated, refreshed, expires  *time.Time
		metadata                                                                                       []byte
		created, updated                                                                               time.Time
	)
	err := s.db.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = "+s.ph(1), id).Scan(
		&id, &number, &status, &paymentStatus, &fulfillmentStatus, &guest, &email, &language, &currency, &taxIncluded, &country,
		&cartURL, &returnURL, &termsURL, &privacyURL, &marketID, &subtotal, &discount, &shipping, &paymentMethod,
		&totalTax, &total, &totalWithTaxes, &placeTotal, &taxRate, &freightTaxable, &paymentMethodTaxable,
		&subtotalTax, &shippingTax, &paymentMethodTax, &subtotalTaxable, &shippingTaxable,
		&paymentMethodTaxableCents, &totalTaxable, &skusCount, &shipmentsCount, &placed, &approved, &cancelled, &archived,
		&paymentUpdated, &fulfillmentUpdated, &refreshed, &expires, &checkoutToken, &ref, &origin, &metadata, &created, &updated)
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{
		"number": number, "status": status, "payment_status": paymentStatus, "fulfillment_status": fulfillmentStatus,
		"guest": guest, "editable": status == models.OrderDraft || status == models.OrderPending || status == models.OrderEditing,
		"customer_email": email, "language_code": language, "currency_code": currency, "tax_included": taxIncluded,
		"country_code": country, "cart_url": cartURL, "return_url": returnURL, "terms_url": termsURL, "privacy_url": privacyURL,
		"place_total_amount_cents": placeTotal, "place_total_amount_float": nil, "formatted_place_total_amount": nil,
		"tax_rate": taxRate, "freight_taxable": freightTaxable, "payment_method_taxable": paymentMethodTaxable,
		"skus_count": skusCount, "shipments_count": shipmentsCount,
		"placed_at": stampOrNil(placed), "approved_at": stampOrNil(approved), "cancelled_at": stampOrNil(cancelled),
		"archived_at": stampOrNil(archived), "payment_updated_at": stampOrNil(paymentUpdated),
		"fulfillment_updated_at": stampOrNil(fulfillmentUpdated), "refreshed_at": stampOrNil(refreshed), "expires_at": stampOrNil(expires),
		"checkout_url": nil, "created_at": stamp(created), "updated_at": stamp(updated),
		"reference": ref, "reference_origin": origin, "metadata": object(metadata),
	}
	// Kasse's amount triples; adjustments, gift cards, fees and duties are
	// always 0 there.
	for _, a := range []struct {
		name  string
		cents int64
	}{
		{"subtotal_amount", subtotal}, {"shipping_amount", shipping}, {"payment_method_amount", paymentMethod},
		{"discount_amount", discount}, {"total_tax_amount", totalTax}, {"total_amount", total},
		{"total_amount_with_taxes", totalWithTaxes}, {"adjustment_amount", 0}, {"gift_card_amount", 0},
		{"subtotal_tax_amount", subtotalTax}, {"shipping_tax_amount", shippingTax}, {"payment_method_tax_amount", paymentMethodTax},
		{"adjustment_tax_amount", 0}, {"total_taxable_amount", totalTaxable}, {"subtotal_taxable_amount", subtotalTaxable},
		{"shipping_taxable_amount", shippingTaxable}, {"payment_method_taxable_amount", paymentMethodTaxableCents},
		{"adjustment_taxable_amount", 0}, {"fees_amount", 0}, {"duty_amount", 0},
	} {
		triple(attrs, a.name, models.Money{Cents: a.cents, Currency: currency})
	}
	if placeTotal != nil {
		m := models.Money{Cents: *placeTotal, Currency: currency}
		attrs["place_total_amount_float"], attrs["formatted_place_total_amount"] = m.Float(), m.Formatted()
	}
	if checkoutToken != nil {
		attrs["checkout_url"] = s.base + models.CheckoutPath(*checkoutToken)
	}
	self := s.base + "/api/orders/" + id
	rels := links(self, orderRelationships...)
	doc := map[string]any{"data": map[string]any{
		"type": "orders", "id": id, "links": map[string]any{"self": self},
		"attributes": attrs, "relationships": rels, "meta": s.meta(),
	}}
	if !withLines && !withMarket {
		return doc, nil
	}
	included := []any{}
	if withLines {
		lines, err := s.lineItems(ctx, id)
		if err != nil {
			return nil, err
		}
		linkage := make([]any, len(lines))
		for i, li := range lines {
			linkage[i] = map[string]any{"type": "line_items", "id": li.(map[string]any)["id"]}
		}
		rels["line_items"].(map[string]any)["data"] = linkage
		included = append(included, lines...)
	}
	if withMarket {
		market, err := s.market(ctx, marketID)
		if err != nil {
			return nil, err
		}
		rels["market"].(map[string]any)["data"] = map[string]any{"type": "markets", "id": marketID}
		included = append(included, market)
	}
	sort.Slice(included, func(i, j int) bool {
		a, b := included[i].(map[string]any), included[j].(map[string]any)
		if a["type"] != b["type"] {
			return a["type"].(string) < b["type"].(string)
		}
		return a["id"].(string) < b["id"].(string)
	})
	doc["included"] = included
	return doc, nil
}

// lineItems are an order's line items in Kasse's include order (creation,
// then id), rendered.
func (s *server) lineItems(ctx context.Context, orderID string) ([]any, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, item_type, sku_code, name, image_url, quantity, currency_code, unit_amount_cents, compare_at_amount_cents, "+
		"options_amount_cents, discount_cents, total_amount_cents, tax_amount_cents, tax_rate, reference, reference_origin, metadata, created_at, updated_at "+
		"FROM line_items WHERE order_id = "+s.ph(1)+" ORDER BY created_at ASC, id ASC", orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []any{}
	for rows.Next() {
		var id, itemType, currency string
		var skuCode, name, imageURL, ref, origin *string
		var quantity, unit, options, discount, total, tax int64
		var compare *int64
		var taxRate *float64
		var metadata []byte
		var created, updated time.Time
		if err := rows.Scan(&id, &itemType, &skuCode, &name, &imageURL, &quantity, &currency, &unit, &compare,
			&options, &discount, &total, &tax, &taxRate, &ref, &origin, &metadata, &created, &updated); err != nil {
			return nil, err
		}
		attrs := map[string]any{
			"sku_code": skuCode, "name": name, "image_url": imageURL, "quantity": quantity, "item_type": itemType,
			"currency_code": currency, "compare_at_amount_cents": compare, "compare_at_amount_float": nil, "formatted_compare_at_amount": nil,
			"tax_rate": taxRate, "created_at": stamp(created), "updated_at": stamp(updated),
			"reference": ref, "reference_origin": origin, "metadata": object(metadata),
		}
		for _, a := range []struct {
			name  string
			cents int64
		}{{"unit_amount", unit}, {"options_amount", options}, {"discount", discount}, {"total_amount", total}, {"tax_amount", tax}} {
			triple(attrs, a.name, models.Money{Cents: a.cents, Currency: currency})
		}
		if compare != nil {
			m := models.Money{Cents: *compare, Currency: currency}
			attrs["compare_at_amount_float"], attrs["formatted_compare_at_amount"] = m.Float(), m.Formatted()
		}
		self := s.base + "/api/line_items/" + id
		out = append(out, map[string]any{
			"type": "line_items", "id": id, "links": map[string]any{"self": self}, "attributes": attrs,
			"relationships": links(self, "order", "item", "sku"), "meta": s.meta(),
		})
	}
	return out, rows.Err()
}

// market is one market, rendered; an integration sees its shared secret.
func (s *server) market(ctx context.Context, id string) (map[string]any, error) {
	var number int64
	var name, secret string
	var code, pixel, checkoutURL, pricesURL, validationURL, ref, origin *string
	var private bool
	var cutoff *int64
	var disabled *time.Time
	var includes, metadata []byte
	var created, updated time.Time
	if err := s.db.QueryRowContext(ctx, "SELECT number, name, code, facebook_pixel_id, checkout_url, external_prices_url, external_order_validation_url, "+
		"private, shipping_cost_cutoff, disabled_at, shared_secret, external_includes, reference, reference_origin, metadata, created_at, updated_at "+
		"FROM markets WHERE id = "+s.ph(1), id).Scan(&number, &name, &code, &pixel, &checkoutURL, &pricesURL, &validationURL,
		&private, &cutoff, &disabled, &secret, &includes, &ref, &origin, &metadata, &created, &updated); err != nil {
		return nil, err
	}
	self := s.base + "/api/markets/" + id
	return map[string]any{
		"type": "markets", "id": id, "links": map[string]any{"self": self},
		"attributes": map[string]any{
			"number": number, "name": name, "code": code, "facebook_pixel_id": pixel, "checkout_url": checkoutURL,
			"external_prices_url": pricesURL, "external_order_validation_url": validationURL, "private": private,
			"shipping_cost_cutoff": cutoff, "disabled_at": stampOrNil(disabled), "shared_secret": secret,
			"external_includes": array(includes), "created_at": stamp(created), "updated_at": stamp(updated),
			"reference": ref, "reference_origin": origin, "metadata": object(metadata),
		},
		"relationships": links(self, "price_list", "default_shipping_method", "tax_calculator"),
		"meta":          s.meta(),
	}, nil
}

// triple sets Kasse's three renderings of an amount: name_cents,
// name_float and formatted_name.
func triple(attrs map[string]any, name string, m models.Money) {
	attrs[name+"_cents"], attrs[name+"_float"], attrs["formatted_"+name] = m.Cents, m.Float(), m.Formatted()
}

// links are relationships without linkage: their related and self links.
func links(self string, names ...string) map[string]any {
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = map[string]any{"links": map[string]any{"related": self + "/" + n, "self": self + "/relationships/" + n}}
	}
	return out
}

func stampOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
}

// array is a JSON array column as Kasse shows it: [] when empty.
func array(raw []byte) []any {
	out := []any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}
