// Package resources declares every resource type Kasse serves, one file per
// type: its google/jsonapi-tagged representation, its attributes and their
// flags, relationships, filters, sorts, triggers (each calling a models
// method) and access rules. The declarations are turned into definitions by
// engine.Define and assembled here into the Default registry, which the
// handlers serve and the OpenAPI document describes. Nothing here reads or
// writes the database itself: the engine does.
package resources

import (
	"kasse/engine"
	"kasse/models"
)

// Default is every resource type Kasse serves. Adding a resource means
// writing its file in this package and naming it here.
func Default() *engine.Registry {
	return engine.NewRegistry(
		organization(),
		markets(),
		priceLists(),
		prices(),
		skus(),
		customers(),
		addresses(),
		customerAddresses(),
		paymentMethods(),
		shippingMethods(),
		shipments(),
		stockLocations(),
		stockItems(),
		taxCalculators(),
		manualTaxCalculators(),
		taxRules(),
		orders(),
		lineItems(),
		paymentGateways(),
		checkoutComGateways(),
		stripeGateways(),
		manualGateways(),
		sandboxGateways(),
		checkoutComPayments(),
		stripePayments(),
		wireTransfers(),
		transactions(),
		authorizations(),
		captures(),
		voids(),
		refunds(),
		webhooks(),
		events(),
		eventCallbacks(),
		checkoutSessions(),
	)
}

// Scope helpers shared by the catalog and customer resources.

// priceListsOfMarkets selects rows whose column holds one of the principal's
// markets' price lists (column is a price_list_id).
func priceListsOfMarkets(column string) engine.Scope {
	return func(p *models.Principal) []engine.Condition {
		return []engine.Condition{{{Path: []engine.Hop{{Table: "markets", LocalKey: column, RemoteKey: "price_list_id"}}, Column: "id", Predicate: engine.In, Values: ids(p.MarketIDs)}}}
	}
}

// ownedBy selects rows whose column is the principal's customer id.
func ownedBy(column string) engine.Scope {
	return func(p *models.Principal) []engine.Condition {
		return []engine.Condition{{{Column: column, Predicate: engine.Eq, Values: []any{p.CustomerID}}}}
	}
}

func ids(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	if len(out) == 0 {
		out = append(out, "") // matches nothing
	}
	return out
}

// base is a type's own attributes and those every resource has:
// created_at and updated_at, and reference, reference_origin and metadata,
// which a body may write.
func base(own ...engine.Attr) []engine.Attr {
	return append(own,
		engine.Timestamp("created_at").Filter().Sort(),
		engine.Timestamp("updated_at").Filter().Sort(),
		engine.Text("reference").Create().Update().Filter().Sort(),
		engine.Text("reference_origin").Create().Update().Filter().Sort(),
		engine.JSONObject("metadata").Create().Update(),
	)
}

// readOnlyBase is base for the types no body writes (transactions, the
// payment_gateways list).
func readOnlyBase(own ...engine.Attr) []engine.Attr {
	return append(own,
		engine.Timestamp("created_at").Filter().Sort(),
		engine.Timestamp("updated_at").Filter().Sort(),
		engine.Text("reference").Filter().Sort(),
		engine.Text("reference_origin").Filter().Sort(),
		engine.JSONObject("metadata"),
	)
}
