package resources_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/jsonapi"

	"kasse/engine"
	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

var update = flag.Bool("update", false, "rewrite testdata/render/*.json from the current declarations")

// modelOf is a fresh model for each registered type.
var modelOf = map[string]func() any{
	"organization":    func() any { return new(models.Organization) },
	"tax_calculators": func() any { return new(models.TaxCalculator) }, "manual_tax_calculators": func() any { return new(models.TaxCalculator) },
	"tax_rules":        func() any { return new(models.TaxRule) },
	"shipping_methods": func() any { return new(models.ShippingMethod) }, "shipments": func() any { return new(models.Shipment) },
	"stock_locations": func() any { return new(models.StockLocation) }, "stock_items": func() any { return new(models.StockItem) },
	"markets": func() any { return new(models.Market) }, "price_lists": func() any { return new(models.PriceList) },
	"prices": func() any { return new(models.Price) }, "skus": func() any { return new(models.Sku) },
	"customers": func() any { return new(models.Customer) }, "addresses": func() any { return new(models.Address) },
	"customer_addresses": func() any { return new(models.CustomerAddress) }, "payment_methods": func() any { return new(models.PaymentMethod) },
	"orders": func() any { return new(models.Order) }, "line_items": func() any { return new(models.LineItem) },
	"payment_gateways": func() any { return new(models.PaymentGateway) }, "checkout_com_gateways": func() any { return new(models.PaymentGateway) },
	"stripe_gateways": func() any { return new(models.PaymentGateway) }, "manual_gateways": func() any { return new(models.PaymentGateway) },
	"sandbox_gateways": func() any { return new(models.PaymentGateway) }, "checkout_com_payments": func() any { return new(models.PaymentSource) },
	"stripe_payments": func() any { return new(models.PaymentSource) }, "wire_transfers": func() any { return new(models.PaymentSource) },
	"transactions": func() any { return new(models.Transaction) }, "authorizations": func() any { return new(models.Transaction) },
	"captures": func() any { return new(models.Transaction) }, "voids": func() any { return new(models.Transaction) },
	"refunds":  func() any { return new(models.Transaction) },
	"webhooks": func() any { return new(models.Webhook) }, "events": func() any { return new(models.Event) },
	"event_callbacks": func() any { return new(models.EventCallback) }, "checkout_sessions": func() any { return new(models.CheckoutSession) },
}

// fill gives every exported field of a model a distinct non-zero value
// (currencies a real code), so a render that drops or swaps a field shows.
func fill(v reflect.Value, name string, n *int) {
	*n++
	switch {
	case v.Type() == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *n*1e6, time.UTC)))
		return
	case v.Kind() == reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, n)
		v.Set(p)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), f.Name, n)
			}
		}
	case reflect.String:
		s := fmt.Sprintf("%s-%d", name, *n)
		if name == "CurrencyCode" {
			s = "EUR"
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(100 + *n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(reflect.ValueOf("key"), reflect.ValueOf(any(name)))
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), reflect.ValueOf(any(name))))
	}
}

// TestRender pins what every type renders for an empty model and for a
// model with every field set (testdata/render/<type>.json; go test
// ./resources -run TestRender -update rewrites them after a deliberate
// change).
func TestRender(t *testing.T) {
	reg := resources.Default()
	for _, def := range reg.All() {
		t.Run(def.Type, func(t *testing.T) {
			newModel, ok := modelOf[def.Type]
			if !ok {
				t.Fatalf("no model for %s in modelOf", def.Type)
			}
			empty, full := newModel(), newModel()
			n := 0
			fill(reflect.ValueOf(full).Elem(), "", &n)
			var out bytes.Buffer
			for _, m := range []any{empty, full} {
				doc, err := serializers.One(def.Node(&models.Principal{Role: models.RoleIntegration}, m, "https://kasse.test"), serializers.Options{BaseURL: "https://kasse.test"})
				if err != nil {
					t.Fatal(err)
				}
				raw, err := json.MarshalIndent(doc, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				out.Write(raw)
				out.WriteByte('\n')
			}
			path := filepath.Join("testdata", "render", def.Type+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s renders differently from %s:\n%s", def.Type, path, out.Bytes())
			}
		})
	}
}

// TestRenderMatchesGoogleJSONAPI holds the serializer's typed field plans
// to google/jsonapi, the oracle: for every registered type, empty and
// full, the type, id and attributes of the rendered resource are, once
// encoded, byte for byte what jsonapi.Marshal makes of the same
// representation.
func TestRenderMatchesGoogleJSONAPI(t *testing.T) {
	reg := resources.Default()
	for _, def := range reg.All() {
		t.Run(def.Type, func(t *testing.T) {
			empty, full := modelOf[def.Type](), modelOf[def.Type]()
			n := 0
			fill(reflect.ValueOf(full).Elem(), "", &n)
			for _, m := range []any{empty, full} {
				node := def.Node(&models.Principal{Role: models.RoleIntegration}, m, "https://kasse.test")
				doc, err := serializers.One(node, serializers.Options{BaseURL: "https://kasse.test"})
				if err != nil {
					t.Fatal(err)
				}
				payload, err := jsonapi.Marshal(node.Value)
				if err != nil {
					t.Fatal(err)
				}
				want := payload.(*jsonapi.OnePayload).Data
				got := doc.Data.(*serializers.Resource)
				gotAttrs, err := got.AttributesJSON()
				if err != nil {
					t.Fatal(err)
				}
				var wantBuf bytes.Buffer // as handlers wrote the attributes map: HTML not escaped
				enc := json.NewEncoder(&wantBuf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(want.Attributes); err != nil {
					t.Fatal(err)
				}
				wantAttrs := bytes.TrimSuffix(wantBuf.Bytes(), []byte("\n"))
				if got.Type != want.Type || got.ID != want.ID || !bytes.Equal(gotAttrs, wantAttrs) {
					t.Errorf("rendered %s %s %s\ngoogle/jsonapi %s %s %s", got.Type, got.ID, gotAttrs, want.Type, want.ID, wantAttrs)
				}
			}
		})
	}
}

// TestDeclarations pins what every attribute declares (its flags, and the
// column of one a body, a filter or a sort reaches).
func TestDeclarations(t *testing.T) {
	type attr struct {
		Name                                                string
		Type                                                engine.AttrType
		Nullable, Create, Update, Required, Filter, Sort, W bool
		Enum, Writers                                       []string
		Column                                              string
		Max                                                 int `json:",omitempty"`
	}
	got := map[string][]attr{}
	for _, def := range resources.Default().All() {
		for _, a := range def.Attributes {
			x := attr{Name: a.Name, Type: a.Type, Nullable: a.Nullable, Create: a.Create, Update: a.Update, Required: a.Required,
				Filter: a.Filter, Sort: a.Sort, W: a.WriteOnly, Enum: a.Enum, Writers: a.Writers}
			if a.Create || a.Update || a.Filter || a.Sort {
				x.Column = a.Column
			}
			got[def.Type] = append(got[def.Type], x)
		}
	}
	raw, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "declarations.json")
	if *update {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("declarations differ from %s:\n%s", path, raw)
	}
}
