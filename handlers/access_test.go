package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"kasse/engine"
	"kasse/models"
	"kasse/resources"
)

// accessMatrix is what each role may do with each type, besides the
// integration role, which may do everything a type offers. A new type
// fails TestAccessMatrix until its row is written here.
var accessMatrix = map[string]map[string][]engine.Verb{
	"organization":       {models.RoleSalesChannel: {engine.Retrieve}, models.RoleCustomer: {engine.Retrieve}},
	"markets":            {models.RoleSalesChannel: {engine.Retrieve}, models.RoleCustomer: {engine.Retrieve}},
	"price_lists":        {models.RoleSalesChannel: {engine.Retrieve}, models.RoleCustomer: {engine.Retrieve}},
	"prices":             {models.RoleSalesChannel: {engine.List, engine.Retrieve}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"skus":               {models.RoleSalesChannel: {engine.List, engine.Retrieve}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"customers":          {models.RoleSalesChannel: {engine.Create}, models.RoleCustomer: {engine.List, engine.Retrieve, engine.Update}},
	"addresses":          {models.RoleSalesChannel: {engine.Create, engine.Retrieve}, models.RoleCustomer: {engine.List, engine.Retrieve, engine.Create, engine.Update, engine.Delete}},
	"customer_addresses": {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve, engine.Create, engine.Update, engine.Delete}},
	"payment_methods":    {models.RoleSalesChannel: {engine.Retrieve}, models.RoleCustomer: {engine.Retrieve}},
	"orders":             {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.List, engine.Create, engine.Retrieve, engine.Update}},
	"checkout_sessions":  {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.List, engine.Create, engine.Retrieve, engine.Update}},
	"line_items":         {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update, engine.Delete}, models.RoleCustomer: {engine.List, engine.Create, engine.Retrieve, engine.Update, engine.Delete}},
	"shipping_methods":   {models.RoleSalesChannel: {engine.List, engine.Retrieve}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"shipments":          {models.RoleSalesChannel: {engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.List, engine.Retrieve, engine.Update}},
	// Stock is the back office's: storefronts see skus.inventory.
	"stock_locations": {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"stock_items":     {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	// Tax calculators are the back office's: storefronts see the taxes.
	"tax_calculators":        {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"manual_tax_calculators": {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"tax_rules":              {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	// Gateways are the back office's: others may only read one by id
	// (name and kind; secrets are write-only) to follow a payment's link.
	"payment_gateways":      {models.RoleSalesChannel: {engine.Retrieve}, models.RoleCustomer: {engine.Retrieve}},
	"checkout_com_gateways": {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"stripe_gateways":       {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"manual_gateways":       {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"sandbox_gateways":      {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	// Payments: whoever reaches the order pays for it.
	"checkout_com_payments": {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.Create, engine.Retrieve, engine.Update}},
	"stripe_payments":       {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.Create, engine.Retrieve, engine.Update}},
	"wire_transfers":        {models.RoleSalesChannel: {engine.Create, engine.Retrieve, engine.Update}, models.RoleCustomer: {engine.Create, engine.Retrieve, engine.Update}},
	// Transactions: customers read their orders'; triggers are back office.
	"transactions":   {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"authorizations": {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"captures":       {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"voids":          {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	"refunds":        {models.RoleSalesChannel: {}, models.RoleCustomer: {engine.List, engine.Retrieve}},
	// Webhooks are the back office's alone.
	"webhooks":        {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"events":          {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
	"event_callbacks": {models.RoleSalesChannel: {}, models.RoleCustomer: {}},
}

// roleEnv holds a token per role and the ids of resources the customer
// does not own.
type roleEnv struct {
	*env
	tokens map[string]string
	other  map[string]string // type → id of a resource owned by someone else
	me     string            // the customer's id
}

func newRoleEnv(t *testing.T, e *env) *roleEnv {
	t.Helper()
	re := &roleEnv{env: e, tokens: map[string]string{models.RoleIntegration: e.token}, other: map[string]string{}}
	mine := e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "me@example.com", "password": "my-password"}, nil)).want(t, 201)
	re.me = id(mine.data())
	re.tokens[models.RoleSalesChannel] = e.tokenFor(models.KindSalesChannel, "market:code:eu", "", "")
	re.tokens[models.RoleCustomer] = e.tokenFor(models.KindSalesChannel, "market:code:eu", "me@example.com", "my-password")

	other := e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "other@example.com"}, nil)).want(t, 201)
	address := e.do("POST", "/api/addresses", resource("addresses", "", map[string]any{
		"first_name": "Other", "last_name": "Person", "line_1": "1 Elsewhere", "city": "Rome", "country_code": "IT", "phone": "+39 06 0000",
	}, nil)).want(t, 201)
	book := e.do("POST", "/api/customer_addresses", resource("customer_addresses", "", nil, map[string]any{
		"customer": ref("customers", id(other.data())), "address": ref("addresses", id(address.data())),
	})).want(t, 201)
	re.other["customers"], re.other["addresses"], re.other["customer_addresses"] = id(other.data()), id(address.data()), id(book.data())
	eu := e.one(t, "markets", "code_eq", "eu")
	order := e.do("POST", "/api/orders", resource("orders", "", map[string]any{"customer_email": "other@example.com"}, map[string]any{"market": ref("markets", id(eu))})).want(t, 201)
	item := e.do("POST", "/api/line_items", resource("line_items", "", map[string]any{"sku_code": "MUGXXXXX000000FFFFFFXX", "quantity": 1}, map[string]any{"order": ref("orders", id(order.data()))})).want(t, 201)
	method := e.do("POST", "/api/payment_methods", resource("payment_methods", "", map[string]any{"payment_source_type": "wire_transfers", "price_amount_cents": 0}, nil)).want(t, 201)
	re.other["orders"], re.other["line_items"], re.other["payment_methods"] = id(order.data()), id(item.data()), id(method.data())
	re.other["checkout_sessions"] = id(e.do("POST", "/api/checkout_sessions", resource("checkout_sessions", "", map[string]any{"success_url": "https://shop.example/ok"},
		map[string]any{"order": ref("orders", re.other["orders"])}), "Idempotency-Key", "access-fixture").want(t, 201).data())
	for _, typ := range []string{"markets", "price_lists", "prices", "skus", "payment_gateways", "sandbox_gateways", "manual_gateways"} {
		re.other[typ] = id(e.do("GET", "/api/"+typ, nil).want(t, 200).list()[0])
	}
	re.other["checkout_com_gateways"] = id(e.do("POST", "/api/checkout_com_gateways", resource("checkout_com_gateways", "", map[string]any{"name": "CKO", "secret_key": "sk_sbox_x"}, nil)).want(t, 201).data())
	re.other["stripe_gateways"] = id(e.do("POST", "/api/stripe_gateways", resource("stripe_gateways", "", map[string]any{"name": "Stripe", "login": "sk_test_x"}, nil)).want(t, 201).data())
	// Payments and transactions of the other order, written as the
	// payment flow would have.
	for _, kind := range models.SourceKinds {
		ps := &models.PaymentSource{Kind: kind, OrderID: re.other["orders"], Status: models.SourcePending, CurrencyCode: "EUR"}
		if err := e.db.Create(ps).Error; err != nil {
			t.Fatal(err)
		}
		re.other[kind] = ps.ID
	}
	for i, kind := range []string{models.TxAuthorization, models.TxCapture, models.TxVoid, models.TxRefund} {
		tx := &models.Transaction{Kind: kind, Number: fmt.Sprintf("other/T/%d", i), OrderID: re.other["orders"], PaymentSourceID: re.other[models.SourceWireTransfer],
			PaymentSourceType: models.SourceWireTransfer, CurrencyCode: "EUR", AmountCents: 100, Status: models.TxSucceeded, Succeeded: true}
		if err := e.db.Create(tx).Error; err != nil {
			t.Fatal(err)
		}
		re.other[kind] = tx.ID
		if i == 0 {
			re.other["transactions"] = tx.ID
		}
	}
	hook := &models.Webhook{Topic: "orders.place", CallbackURL: "https://hooks.example/kasse", SharedSecret: models.NewSharedSecret(), CircuitState: models.CircuitClosed}
	if err := e.db.Create(hook).Error; err != nil {
		t.Fatal(err)
	}
	callback := &models.EventCallback{WebhookID: hook.ID, CallbackURL: hook.CallbackURL}
	if err := e.db.Create(callback).Error; err != nil {
		t.Fatal(err)
	}
	re.other["webhooks"], re.other["event_callbacks"] = hook.ID, callback.ID
	re.other["events"] = id(e.do("GET", "/api/events", nil).want(t, 200).list()[0])
	re.other["organization"] = id(e.do("GET", "/api/organization", nil).want(t, 200).data())
	re.other["shipping_methods"] = id(e.do("GET", "/api/shipping_methods", nil).want(t, 200).list()[0])
	re.other["stock_locations"] = id(e.do("POST", "/api/stock_locations", resource("stock_locations", "", map[string]any{"name": "Other"}, nil)).want(t, 201).data())
	re.other["stock_items"] = id(e.do("POST", "/api/stock_items", resource("stock_items", "", map[string]any{"sku_code": "STICKERS000000FFFFFFXX", "quantity": 5},
		map[string]any{"stock_location": ref("stock_locations", re.other["stock_locations"])})).want(t, 201).data())
	re.other["manual_tax_calculators"] = id(e.do("POST", "/api/manual_tax_calculators", resource("manual_tax_calculators", "", map[string]any{"name": "Other"}, nil)).want(t, 201).data())
	re.other["tax_calculators"] = re.other["manual_tax_calculators"]
	re.other["tax_rules"] = id(e.do("POST", "/api/tax_rules", resource("tax_rules", "", map[string]any{"name": "Other", "tax_rate": 0.1},
		map[string]any{"manual_tax_calculator": ref("manual_tax_calculators", re.other["manual_tax_calculators"])})).want(t, 201).data())
	re.other["shipments"] = id(e.do("GET", "/api/orders/"+re.other["orders"]+"/shipments", nil).want(t, 200).list()[0])
	return re
}

func (re *roleEnv) as(role, method, path string, body any) *response {
	return re.do(method, path, body, "Authorization", "Bearer "+re.tokens[role])
}

// TestAccessMatrix checks, for every registered type × role × verb, that
// the registry's rules are the expected ones and that a refused action is
// refused over HTTP: 401 for a collection (list, create), 404 for one
// resource (retrieve, update, delete), so ids cannot be probed.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		re := newRoleEnv(t, e)
		principals := map[string]*models.Principal{
			models.RoleSalesChannel: {Role: models.RoleSalesChannel, MarketIDs: []string{"m"}},
			models.RoleCustomer:     {Role: models.RoleCustomer, MarketIDs: []string{"m"}, CustomerID: "c"},
			models.RoleIntegration:  {Role: models.RoleIntegration},
		}
		for _, def := range resources.Default().All() {
			rows, ok := accessMatrix[def.Type]
			if !ok {
				t.Errorf("%s has no row in accessMatrix: write down what each role may do", def.Type)
				continue
			}
			target := re.other[def.Type]
			if target == "" {
				t.Fatalf("no fixture of %s", def.Type)
			}
			for _, role := range models.Roles {
				for _, verb := range engine.Verbs {
					want := def.Offers(verb) && (role == models.RoleIntegration || slices.Contains(rows[role], verb))
					if _, got := def.Permit(principals[role], verb); got != want {
						t.Errorf("%s %s %s: registry allows=%v, want %v", def.Type, role, verb, got, want)
					}
					if want || !def.Offers(verb) {
						continue
					}
					var r *response
					switch verb {
					case engine.List:
						r = re.as(role, "GET", "/api/"+def.Type, nil)
						r.wantError(t, http.StatusUnauthorized, "UNAUTHORIZED")
					case engine.Create:
						r = re.as(role, "POST", "/api/"+def.Type, resource(def.Type, "", map[string]any{}, nil))
						r.wantError(t, http.StatusUnauthorized, "UNAUTHORIZED")
					case engine.Retrieve:
						re.as(role, "GET", "/api/"+def.Type+"/"+target, nil).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
					case engine.Update:
						re.as(role, "PATCH", "/api/"+def.Type+"/"+target, resource(def.Type, target, map[string]any{}, nil)).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
					case engine.Delete:
						re.as(role, "DELETE", "/api/"+def.Type+"/"+target, nil).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
					}
				}
			}
		}
	})
}

// TestBOLA: a customer reaches only its own records; guests cannot list
// what they may only create.
func TestBOLA(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		re := newRoleEnv(t, e)
		const cu, sc = models.RoleCustomer, models.RoleSalesChannel
		for _, typ := range []string{"customers", "addresses", "customer_addresses"} {
			path := "/api/" + typ + "/" + re.other[typ]
			re.as(cu, "GET", path, nil).wantError(t, 404, "RECORD_NOT_FOUND")
			re.as(cu, "PATCH", path, resource(typ, re.other[typ], map[string]any{"reference": "x"}, nil)).wantError(t, 404, "RECORD_NOT_FOUND")
			if typ != "customers" {
				re.as(cu, "DELETE", path, nil).wantError(t, 404, "RECORD_NOT_FOUND")
			}
		}
		re.as(cu, "GET", "/api/customers/"+re.other["customers"]+"/customer_addresses", nil).wantError(t, 404, "RECORD_NOT_FOUND")

		// Lists hold only the customer's own records.
		list := re.as(cu, "GET", "/api/customers", nil).want(t, 200).list()
		if len(list) != 1 || id(list[0]) != re.me {
			t.Fatalf("customer list: %v", list)
		}
		if n := len(re.as(cu, "GET", "/api/customer_addresses", nil).want(t, 200).list()); n != 0 {
			t.Fatalf("customer sees %d address book entries of others", n)
		}

		// A customer builds its own address book; pointing an entry at
		// another customer or another's address is refused and writes nothing.
		addr := re.as(cu, "POST", "/api/addresses", resource("addresses", "", map[string]any{
			"first_name": "Me", "last_name": "Myself", "line_1": "2 Home St", "city": "Milan", "country_code": "IT", "phone": "+39 02 0000",
		}, nil)).want(t, 201)
		myAddress := id(addr.data())
		re.as(cu, "GET", "/api/addresses/"+myAddress, nil).want(t, 200)
		entry := re.as(cu, "POST", "/api/customer_addresses", resource("customer_addresses", "", nil, map[string]any{"address": ref("addresses", myAddress)})).want(t, 201)
		if got := re.as(cu, "GET", "/api/customer_addresses/"+id(entry.data())+"?include=customer", nil).want(t, 200).included(); len(got) != 1 || id(got[0]) != re.me {
			t.Fatalf("entry's customer: %v", got)
		}
		re.as(cu, "POST", "/api/customer_addresses", resource("customer_addresses", "", nil, map[string]any{
			"customer": ref("customers", re.other["customers"]), "address": ref("addresses", myAddress),
		})).wantError(t, 404, "RECORD_NOT_FOUND")
		re.as(cu, "POST", "/api/customer_addresses", resource("customer_addresses", "", nil, map[string]any{"address": ref("addresses", re.other["addresses"])})).
			wantError(t, 404, "RECORD_NOT_FOUND")
		if n := len(re.as(cu, "GET", "/api/customer_addresses", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("customer has %d entries, want 1", n)
		}

		// Guests sign customers up but cannot list or read them.
		signup := re.as(sc, "POST", "/api/customers", resource("customers", "", map[string]any{"email": "new@example.com", "password": "new-password"}, nil)).want(t, 201)
		if attrs(signup.data())["email"] != "new@example.com" {
			t.Fatalf("signup response: %s", signup.body)
		}
		re.as(sc, "GET", "/api/customers", nil).wantError(t, 401, "UNAUTHORIZED")
		re.as(sc, "GET", "/api/customers/"+id(signup.data()), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		// A role may not write what is not its to write.
		r := re.as(sc, "POST", "/api/customers", resource("customers", "", map[string]any{"email": "x@example.com", "tax_exemption_code": "EX"}, nil))
		if e := r.wantError(t, 400, "PARAM_NOT_ALLOWED"); e["source"].(map[string]any)["pointer"] != "/data/attributes/tax_exemption_code" {
			t.Fatalf("pointer: %v", e)
		}
	})
}

// TestMarketScope: a sales channel sees the catalog of its market only: a
// SKU with no price there is invisible, and includes carry only its prices.
func TestMarketScope(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		re := newRoleEnv(t, e)
		sku := e.do("POST", "/api/skus", resource("skus", "", map[string]any{"code": "XOFONLY", "name": "Sold in Abidjan"}, nil)).want(t, 201)
		ci := e.one(t, "price_lists", "code_eq", "ci")
		e.do("POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 5000}, map[string]any{
			"sku": ref("skus", id(sku.data())), "price_list": ref("price_lists", id(ci)),
		})).want(t, 201)

		eu := re.tokens[models.RoleSalesChannel]
		ciToken := e.tokenFor(models.KindSalesChannel, "market:code:ci", "", "")
		get := func(token, path string) *response { return e.do("GET", path, nil, "Authorization", "Bearer "+token) }

		get(eu, "/api/skus/"+id(sku.data())).wantError(t, 404, "RECORD_NOT_FOUND")
		get(ciToken, "/api/skus/"+id(sku.data())).want(t, 200)
		euSkus := get(eu, "/api/skus?page[size]=25&include=prices").want(t, 200)
		for _, s := range euSkus.list() {
			if attrs(s)["code"] == "XOFONLY" {
				t.Fatal("eu sees a SKU with no EUR price")
			}
		}
		for _, p := range euSkus.included() {
			if attrs(p)["currency_code"] != "EUR" {
				t.Fatalf("eu sees a %v price", attrs(p)["currency_code"])
			}
		}
		for _, p := range get(eu, "/api/prices?page[size]=25").want(t, 200).list() {
			if attrs(p)["currency_code"] != "EUR" {
				t.Fatalf("eu lists a %v price", attrs(p)["currency_code"])
			}
		}
		if got := len(get(ciToken, "/api/skus").want(t, 200).list()); got != 3 {
			t.Fatalf("ci sees %d SKUs, want the 3 priced in XOF", got)
		}
		// Markets outside the scope are not there.
		us := e.one(t, "markets", "code_eq", "us")
		get(eu, "/api/markets/"+id(us)).wantError(t, 404, "RECORD_NOT_FOUND")
		get(eu, "/api/markets/"+id(e.one(t, "markets", "code_eq", "eu"))+"?include=price_list").want(t, 200)
	})
}

func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		e.do("GET", "/api/skus", nil, "Authorization", "").wantError(t, 401, "UNAUTHORIZED")
		e.do("GET", "/api/skus", nil, "Authorization", "Bearer nope").wantError(t, 401, "INVALID_TOKEN")
		e.do("GET", "/api/skus", nil, "Authorization", "Basic abc").wantError(t, 401, "INVALID_TOKEN")
		e.do("GET", "/api/skus", nil).want(t, 200)
	})
}
