package openapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"

	"kasse/db"
	"kasse/engine"
	"kasse/models"
	"kasse/openapi"
	"kasse/resources"
	"kasse/serializers"
)

// regenerate is what the drift test tells a developer to run.
const regenerate = "go run ./cmd/kasse openapi --out docs/openapi.json"

// TestCommittedDocumentIsCurrent fails when docs/openapi.json is not what
// the registry generates: a resource, attribute or rule changed and the
// document was not generated again.
func TestCommittedDocumentIsCurrent(t *testing.T) {
	want, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		t.Fatalf("docs/openapi.json: %v; generate it with `%s` (or make openapi) and commit it", err, regenerate)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(gotLines) && line < len(wantLines) && gotLines[line] == wantLines[line] {
		line++
	}
	show := func(lines []string) string {
		if line >= len(lines) {
			return "(end of file)"
		}
		return strings.TrimSpace(lines[line])
	}
	t.Fatalf("docs/openapi.json is out of date with the resource registry: run `%s` (or make openapi) and commit it.\n"+
		"First difference at line %d:\n  committed: %s\n  generated: %s", regenerate, line+1, show(gotLines), show(wantLines))
}

// maxBytesPerType bounds docs/openapi.json per registered type:
// generators and editors read the document whole (openapi-typescript,
// oapi-codegen, Redoc), and one that repeats a parameter or schema per
// operation grows past what they take well. The bound grows with the API
// (26 types fitted in 1 MB; each type's paths, schemas and parameters are
// about 33 KB), never with repetition: share a component instead of
// raising it.
const maxBytesPerType = 35_000

// maxBytesPerFacade bounds what each compat facade adds to the document:
// its hand-written paths, schemas and error bodies (6 to 13 KB each when
// they were added). A facade repeats nothing per type, so it is a fixed
// allowance beside the per-type bound.
const maxBytesPerFacade = 15_000

// TestDocumentSize keeps the generated document under maxBytesPerType
// for each registered type plus maxBytesPerFacade for each facade, and
// each facade under its allowance.
func TestDocumentSize(t *testing.T) {
	registry := resources.Default()
	spec, err := openapi.JSON(registry, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bound := maxBytesPerType*len(registry.All()) + maxBytesPerFacade*len(openapi.CompatFacades)
	if len(spec) >= bound {
		t.Fatalf("docs/openapi.json is %d bytes, the bound is under %d (%d types × %d + %d facades × %d): share what repeats (a component parameter, schema or response) instead of writing it per operation or per type",
			len(spec), bound, len(registry.All()), maxBytesPerType, len(openapi.CompatFacades), maxBytesPerFacade)
	}
	t.Logf("docs/openapi.json: %d bytes (bound %d)", len(spec), bound)
	none, err := openapi.JSON(registry, openapi.Options{Compat: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if bound := maxBytesPerType * len(registry.All()); len(none) >= bound {
		t.Errorf("without the facades the document is %d bytes, the bound is under %d (%d types × %d)", len(none), bound, len(registry.All()), maxBytesPerType)
	}
	for _, name := range openapi.CompatFacades {
		one, err := openapi.JSON(registry, openapi.Options{Compat: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		if added := len(one) - len(none); added >= maxBytesPerFacade {
			t.Errorf("the %s facade adds %d bytes, the bound is under %d", name, added, maxBytesPerFacade)
		} else {
			t.Logf("the %s facade: %d bytes", name, added)
		}
	}
}

// TestFormat: short objects and arrays on one line, the rest one member a
// line; the bytes are the same JSON value.
func TestFormat(t *testing.T) {
	spec, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(openapi.Generate(resources.Default(), openapi.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var formatted, want any
	if err := json.Unmarshal(spec, &formatted); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(plain, &want); err != nil || !reflect.DeepEqual(formatted, want) {
		t.Fatal("the formatted document is not the JSON value it was made from")
	}
	for i, line := range strings.Split(string(spec), "\n") {
		if strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
			t.Fatalf("line %d is indented with spaces or ends with one: %q", i+1, line)
		}
	}
	if !bytes.Contains(spec, []byte(`"tags": ["orders"],`)) || !bytes.Contains(spec, []byte(`{"$ref": "#/components/parameters/fields"}`)) {
		t.Error("short arrays and references are not written on one line")
	}
}

// TestGenerateIsDeterministic: the same registry gives the same bytes, and
// the server URL is the only thing Options change besides the facades
// (TestCompatOption).
func TestGenerateIsDeterministic(t *testing.T) {
	a, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := openapi.JSON(resources.Default(), openapi.Options{ServerURL: openapi.DefaultServerURL + "/"})
	if !bytes.Equal(a, b) {
		t.Fatal("two generations of the same registry differ")
	}
	other, _ := openapi.JSON(resources.Default(), openapi.Options{ServerURL: "https://shop.example"})
	if got := strings.ReplaceAll(string(other), "https://shop.example", openapi.DefaultServerURL); got != string(a) {
		t.Fatal("the server URL changes more than the URLs that name it")
	}
	if !bytes.HasSuffix(a, []byte("}\n")) {
		t.Fatal("the document does not end with a newline")
	}
}

// TestDocumentIsValidOpenAPI31 checks the document against the OpenAPI
// 3.1 schema, with the validator library the HTTP tests use.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	spec, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	if ok, problems := schema_validation.ValidateOpenAPIDocument(doc); !ok {
		for _, p := range problems {
			t.Errorf("%s: %s", p.Message, p.Reason)
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(spec, &raw); err != nil || raw["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v (%v), want 3.1.0", raw["openapi"], err)
	}
}

func TestSchemaName(t *testing.T) {
	for _, c := range []struct{ typ, want string }{
		{"orders", "order"},
		{"line_items", "lineItem"},
		{"price_lists", "priceList"},
		{"customer_addresses", "customerAddress"},
		{"addresses", "address"},
		{"skus", "sku"},
		{"prices", "price"},
		{"payment_methods", "paymentMethod"},
		{"checkout_com_payments", "checkoutComPayment"},
		{"shipping_categories", "shippingCategory"},
		{"customer_payment_sources", "customerPaymentSource"},
	} {
		if got := openapi.SchemaName(c.typ); got != c.want {
			t.Errorf("SchemaName(%q) = %q, want %q", c.typ, got, c.want)
		}
	}
}

// doc generates the default registry's document as plain JSON values.
func doc(t *testing.T, reg *engine.Registry) map[string]any {
	t.Helper()
	spec, err := openapi.JSON(reg, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(spec, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// at walks a JSON value by keys, failing when one is missing.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("no %s", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

func has(v any, keys ...string) bool {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

func strings_(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestPathsAreTheRoutes: each type has exactly the endpoints its actions
// and relationships give it, with the statuses its handler answers (the
// compat facades' paths: TestCompatOperations).
func TestPathsAreTheRoutes(t *testing.T) {
	reg := resources.Default()
	d := doc(t, reg)
	paths := at(t, d, "paths").(map[string]any)
	want := map[string]bool{"/oauth/token": true, "/oauth/revoke": true, "/.well-known/jwks.json": true, "/healthz": true, "/readyz": true, "/openapi.json": true}
	maps.Copy(want, facadePaths())
	for _, def := range reg.All() {
		base := "/api/" + def.Type
		if def.Actions.List || def.Actions.Create || def.Actions.Singleton {
			want[base] = true
		}
		if def.Actions.Retrieve || def.Actions.Update || def.Actions.Delete {
			want[base+"/{id}"] = true
		}
		for _, r := range def.Relationships {
			want[base+"/{id}/"+r.Name] = true
			want[base+"/{id}/relationships/"+r.Name] = true
		}
	}
	for p := range paths {
		if !want[p] {
			t.Errorf("the document has %s, which the router does not serve", p)
		}
	}
	for p := range want {
		if _, ok := paths[p]; !ok {
			t.Errorf("the document lacks %s", p)
		}
	}
	for _, def := range reg.All() {
		base, item := "/api/"+def.Type, "/api/"+def.Type+"/{id}"
		baseGet := []string{"200", "400", "401", "406", "5XX"}
		if def.Actions.Singleton {
			baseGet = []string{"200", "400", "401", "404", "406", "5XX"}
		}
		for _, c := range []struct {
			path, method string
			offered      bool
			statuses     []string
		}{
			// A singleton's one resource is at its collection's path.
			{base, "get", def.Actions.List || def.Actions.Singleton, baseGet},
			{base, "post", def.Actions.Create, []string{"201", "400", "401", "403", "404", "406", "409", "413", "415", "422", "5XX"}},
			{item, "get", def.Actions.Retrieve, []string{"200", "400", "401", "404", "406", "5XX"}},
			{item, "patch", def.Actions.Update, []string{"200", "400", "401", "404", "406", "409", "413", "415", "422", "5XX"}},
			// A DELETE answers 400 and 409 too: an invalid Idempotency-Key, one in use.
			{item, "delete", def.Actions.Delete, []string{"204", "400", "401", "404", "406", "409", "415", "422", "5XX"}},
		} {
			if has(paths, c.path, c.method) != c.offered {
				t.Errorf("%s %s in the document: %v, offered: %v", c.method, c.path, !c.offered, c.offered)
				continue
			}
			if !c.offered {
				continue
			}
			responses := at(t, paths, c.path, c.method, "responses").(map[string]any)
			for _, s := range c.statuses {
				if _, ok := responses[s]; !ok {
					t.Errorf("%s %s does not document %s", c.method, c.path, s)
				}
			}
			for s := range responses {
				if !slices.Contains(c.statuses, s) {
					t.Errorf("%s %s documents %s, which it never answers", c.method, c.path, s)
				}
			}
		}
		for _, r := range def.Relationships {
			linkage := at(t, paths, base+"/{id}/relationships/"+r.Name).(map[string]any)
			for _, m := range []string{"post", "delete"} {
				if has(linkage, m) != r.ToMany {
					t.Errorf("%s %s/{id}/relationships/%s: documented %v, to-many %v", m, base, r.Name, has(linkage, m), r.ToMany)
				}
			}
			if !has(linkage, "get") || !has(linkage, "patch") {
				t.Errorf("%s/{id}/relationships/%s lacks GET or PATCH", base, r.Name)
			}
			_, changes := at(t, linkage, "patch", "responses").(map[string]any)["204"]
			if changes != (!r.ToMany && r.Update && r.ForeignKey != "") {
				t.Errorf("PATCH %s/{id}/relationships/%s answers 204: %v", base, r.Name, changes)
			}
		}
	}
}

// TestOnlyOfferedActions documents a type that offers only list and
// retrieve: no POST, PATCH or DELETE, and no Create or Update schema.
func TestOnlyOfferedActions(t *testing.T) {
	reg := engine.NewRegistry(readOnlyMarkets())
	d := doc(t, reg)
	paths := at(t, d, "paths").(map[string]any)
	for _, p := range []string{"/api/markets", "/api/markets/{id}"} {
		for _, m := range []string{"post", "patch", "delete"} {
			if has(paths, p, m) {
				t.Errorf("%s %s is documented but not offered", m, p)
			}
		}
		if !has(paths, p, "get") {
			t.Errorf("GET %s is offered but not documented", p)
		}
	}
	schemas := at(t, d, "components", "schemas").(map[string]any)
	for _, name := range []string{"marketCreate", "marketUpdate"} {
		if _, ok := schemas[name]; ok {
			t.Errorf("%s is in the document of a type that cannot be written", name)
		}
	}
}

// readOnlyMarket is a markets representation for a type that can only be
// listed and retrieved.
type readOnlyMarket struct {
	ID   string `jsonapi:"primary,markets"`
	Name string `jsonapi:"attr,name"`
}

func readOnlyMarkets() *engine.Definition {
	return engine.Define(engine.Spec[models.Market, readOnlyMarket]{
		Type:       "markets",
		Actions:    engine.Actions{List: true, Retrieve: true},
		Attributes: []engine.Attr{engine.Text("name").Filter().Sort()},
		Render:     func(m *models.Market) *readOnlyMarket { return &readOnlyMarket{ID: m.ID, Name: m.Name} },
		Access: engine.Access{
			models.RoleSalesChannel: engine.Allow(engine.Retrieve),
			models.RoleCustomer:     engine.Allow(engine.Retrieve),
		},
	})
}

// TestSchemas checks the reference's schema names and what each holds.
func TestSchemas(t *testing.T) {
	reg := resources.Default()
	d := doc(t, reg)
	schemas := at(t, d, "components", "schemas").(map[string]any)
	for _, def := range reg.All() {
		name := openapi.SchemaName(def.Type)
		for _, suffix := range []string{"", "Response", "ResponseList", "Create", "Update"} {
			offered := map[string]bool{"Create": def.Actions.Create, "Update": def.Actions.Update, "ResponseList": def.Actions.List}
			if o, ok := offered[suffix]; ok && !o {
				continue
			}
			if _, ok := schemas[name+suffix]; !ok {
				t.Errorf("no schema %s%s", name, suffix)
			}
		}
		attrs := at(t, schemas, name, "properties", "attributes", "properties").(map[string]any)
		for _, a := range def.Attributes {
			s := attrs[a.Name].(map[string]any)
			if ro, _ := s["readOnly"].(bool); ro != a.ReadOnly() {
				t.Errorf("%s.%s readOnly %v, want %v", def.Type, a.Name, ro, a.ReadOnly())
			}
			if wo, _ := s["writeOnly"].(bool); wo != a.WriteOnly {
				t.Errorf("%s.%s writeOnly %v, want %v", def.Type, a.Name, wo, a.WriteOnly)
			}
		}
		if def.Actions.Create {
			data := at(t, schemas, name+"Create", "properties", "data").(map[string]any)
			if has(data, "properties", "id") {
				t.Errorf("%sCreate takes an id", name)
			}
			createAttrs := at(t, data, "properties", "attributes").(map[string]any)
			var required []string
			if r, ok := createAttrs["required"]; ok {
				required = strings_(r)
			}
			for _, a := range def.Attributes {
				if _, ok := at(t, createAttrs, "properties").(map[string]any)[a.Name]; ok != a.Create {
					t.Errorf("%sCreate has %s: %v, creatable: %v", name, a.Name, ok, a.Create)
				}
				if slices.Contains(required, a.Name) != a.Required {
					t.Errorf("%sCreate requires %s: %v, want %v", name, a.Name, !a.Required, a.Required)
				}
				if s, ok := at(t, createAttrs, "properties").(map[string]any)[a.Name].(map[string]any); ok && a.Type == engine.String {
					if got, _ := s["maxLength"].(float64); int(got) != a.MaxLength || a.MaxLength == 0 {
						t.Errorf("%sCreate %s maxLength %v, want %d", name, a.Name, s["maxLength"], a.MaxLength)
					}
				}
			}
			for _, tr := range def.Triggers {
				if _, ok := at(t, createAttrs, "properties").(map[string]any)[tr.Name]; ok != tr.OnCreate {
					t.Errorf("%sCreate has trigger %s: %v, allowed on create: %v", name, tr.Name, ok, tr.OnCreate)
				}
			}
		}
		if def.Actions.Update {
			data := at(t, schemas, name+"Update", "properties", "data").(map[string]any)
			if !slices.Contains(strings_(data["required"]), "id") {
				t.Errorf("%sUpdate does not require the id", name)
			}
			props := at(t, data, "properties", "attributes", "properties").(map[string]any)
			for _, a := range def.Attributes {
				if _, ok := props[a.Name]; ok != a.Update {
					t.Errorf("%sUpdate has %s: %v, updatable: %v", name, a.Name, ok, a.Update)
				}
			}
			for _, tr := range def.Triggers {
				s, ok := props[tr.Name].(map[string]any)
				if !ok || s["writeOnly"] != true {
					t.Errorf("%sUpdate: trigger %s missing or not writeOnly", name, tr.Name)
				}
			}
		}
		if def.Actions.List {
			list := at(t, schemas, name+"ResponseList", "properties").(map[string]any)
			for _, k := range []string{"data", "included", "meta", "links"} {
				if _, ok := list[k]; !ok {
					t.Errorf("%sResponseList has no %s", name, k)
				}
			}
		}
	}
	meta := at(t, schemas, "listMeta", "required")
	links := at(t, schemas, "listLinks", "required")
	if fmt.Sprint(meta) != "[record_count record_count_exact page_count]" || fmt.Sprint(links) != "[self first prev next last]" {
		t.Errorf("list meta requires %v, links %v", meta, links)
	}
	size := at(t, d, "components", "parameters", "pageSize", "schema").(map[string]any)
	if size["minimum"] != 1.0 || size["maximum"] != float64(serializers.MaxPageSize) || size["default"] != float64(serializers.DefaultPageSize) {
		t.Errorf("page[size] schema %v, want minimum 1, maximum 25, default 10", size)
	}
	bearer := at(t, d, "components", "securitySchemes", "bearerAuth").(map[string]any)
	if bearer["scheme"] != "bearer" || bearer["bearerFormat"] != "JWT" {
		t.Errorf("bearerAuth %v", bearer)
	}
	for _, flow := range []string{"clientCredentials", "password"} {
		if u := at(t, d, "components", "securitySchemes", "oauth2", "flows", flow, "tokenUrl"); u != openapi.DefaultServerURL+"/oauth/token" {
			t.Errorf("%s tokenUrl %v", flow, u)
		}
	}
}

// compile asks the server's own parameter checks about params.
func compile(t *testing.T, reg *engine.Registry, def *engine.Definition, params serializers.Params) error {
	t.Helper()
	if params.Fields == nil {
		params.Fields = map[string][]string{}
	}
	if params.Filters == nil {
		params.Filters = map[string]string{}
	}
	params.Page = serializers.Page{Number: 1, Size: 10}
	_, err := reg.Compile(def, params)
	return err
}

// TestParametersAreWhatTheServerAccepts holds the document's include paths,
// sparse fieldsets, sort fields and filters to the server's own checks, so
// the generator cannot drift from the query compiler: each listed value is
// accepted, and the patterns accept exactly those values.
func TestParametersAreWhatTheServerAccepts(t *testing.T) {
	reg := resources.Default()
	d := doc(t, reg)
	params := at(t, d, "components", "parameters").(map[string]any)
	pattern := func(name string) *regexp.Regexp {
		return regexp.MustCompile(at(t, params, name, "schema", "pattern").(string))
	}
	for _, def := range reg.All() {
		name := openapi.SchemaName(def.Type)
		t.Run(def.Type, func(t *testing.T) {
			paths := openapi.IncludePaths(reg, def)
			if paths == nil {
				paths = []string{}
			}
			include := pattern(name + "Include")
			for _, p := range paths {
				if err := compile(t, reg, def, serializers.Params{Include: [][]string{strings.Split(p, ".")}}); err != nil {
					t.Errorf("include=%s is listed but refused: %v", p, err)
				}
				if !include.MatchString(p) || !include.MatchString(p+","+paths[0]) {
					t.Errorf("the include pattern refuses %s", p)
				}
				if strings.Count(p, ".") == 2 {
					continue
				}
				// One step further than listed: refused by both.
				bad := p + ".nope"
				if err := compile(t, reg, def, serializers.Params{Include: [][]string{strings.Split(bad, ".")}}); err == nil {
					t.Errorf("include=%s is not listed but accepted", bad)
				}
				if include.MatchString(bad) {
					t.Errorf("the include pattern accepts %s", bad)
				}
			}
			for _, bad := range []string{"nope", ",", "a..b"} {
				if include.MatchString(bad) {
					t.Errorf("the include pattern accepts %q", bad)
				}
			}
			if !include.MatchString("") {
				t.Error("the include pattern refuses an empty include")
			}
			// Every include path the server accepts is listed: walk the
			// relationships as the server does, up to the depth limit.
			var walk func(d *engine.Definition, prefix []string)
			walk = func(d *engine.Definition, prefix []string) {
				if len(prefix) == serializers.MaxIncludeDepth {
					return
				}
				for _, r := range d.Relationships {
					p := append(slices.Clone(prefix), r.Name)
					if compile(t, reg, def, serializers.Params{Include: [][]string{p}}) == nil && !slices.Contains(paths, strings.Join(p, ".")) {
						t.Errorf("include=%s is accepted but not listed", strings.Join(p, "."))
					}
					target, _ := reg.Lookup(r.Target)
					walk(target, p)
				}
			}
			walk(def, nil)

			if !has(params, "fields") || at(t, params, "fields", "style") != "deepObject" {
				t.Error("no fields parameter, or not a deep object")
			}
			fields := regexp.MustCompile(at(t, d, "components", "schemas", "fieldsets", "properties", def.Type, "pattern").(string))
			names := openapi.FieldNames(def)
			for _, f := range names {
				if err := compile(t, reg, def, serializers.Params{Fields: map[string][]string{def.Type: {f}}}); err != nil {
					t.Errorf("fields[%s]=%s is listed but refused: %v", def.Type, f, err)
				}
				if !fields.MatchString(f) || !fields.MatchString(names[0]+","+f) {
					t.Errorf("the fields[%s] pattern refuses %s", def.Type, f)
				}
			}
			for _, a := range def.Attributes {
				if a.WriteOnly {
					if compile(t, reg, def, serializers.Params{Fields: map[string][]string{def.Type: {a.Name}}}) == nil || fields.MatchString(a.Name) {
						t.Errorf("fields[%s]=%s names a write-only attribute but is accepted", def.Type, a.Name)
					}
				}
			}

			if def.Actions.List {
				sort := pattern(name + "Sort")
				for _, f := range openapi.SortFields(def) {
					if err := compile(t, reg, def, serializers.Params{Sort: []serializers.SortKey{{Field: f, Desc: true}}}); err != nil {
						t.Errorf("sort=-%s is listed but refused: %v", f, err)
					}
					if !sort.MatchString("-"+f) || !sort.MatchString("id,"+f) {
						t.Errorf("the sort pattern refuses %s", f)
					}
				}
				for _, a := range def.Attributes {
					accepted := compile(t, reg, def, serializers.Params{Sort: []serializers.SortKey{{Field: a.Name}}}) == nil
					if accepted != slices.Contains(openapi.SortFields(def), a.Name) || accepted != sort.MatchString(a.Name) {
						t.Errorf("sort=%s: accepted %v, listed %v", a.Name, accepted, !accepted)
					}
				}
				if sort.MatchString("") || sort.MatchString("nope") {
					t.Error("the sort pattern accepts an empty or unknown field")
				}
			}

			if def.Actions.Singleton {
				return // a singleton has no list, so no filters
			}
			filters := openapi.Filters(reg, def)
			schemas := at(t, d, "components", "schemas").(map[string]any)
			if def.Actions.List && at(t, params, name+"Filter", "name") != "filter[q]" {
				t.Errorf("%sFilter names %v", name, at(t, params, name+"Filter", "name"))
			}
			query := at(t, schemas, name+"FilterQuery", "patternProperties").(map[string]any)
			compiled := map[string]*regexp.Regexp{}
			for p := range query {
				compiled[p] = regexp.MustCompile(p)
			}
			// matching is the value schemas of the patterns key matches.
			matching := func(key string) []map[string]any {
				var out []map[string]any
				for p, s := range query {
					if compiled[p].MatchString(key) {
						ref := strings.TrimPrefix(s.(map[string]any)["$ref"].(string), "#/components/schemas/")
						out = append(out, schemas[ref].(map[string]any))
					}
				}
				return out
			}
			valueOK := func(s map[string]any, v string) bool {
				p, _ := s["pattern"].(string)
				return p == "" || regexp.MustCompile(p).MatchString(v)
			}
			samples := map[engine.AttrType]string{engine.String: "x", engine.Integer: "12", engine.Float: "1.5",
				engine.Boolean: "true", engine.DateTime: "2026-01-01T00:00:00.000Z", engine.Object: "x", engine.Array: "x"}
			for _, f := range filters {
				// Every predicate: listed exactly when the server takes it,
				// and with a value schema that takes a good value.
				for _, pred := range db.Predicates() {
					key := f.Name + "_" + string(pred)
					sample := samples[f.Type]
					if pred.TakesBoolean() {
						sample = "true"
					} else if pred.TakesList() {
						sample += "," + sample
					}
					accepted := compile(t, reg, def, serializers.Params{Filters: map[string]string{key: sample}, FilterKeys: []string{key}}) == nil
					schemas := matching(key)
					if accepted != (len(schemas) > 0) {
						t.Errorf("filter[q][%s]=%s: accepted %v, listed %v", key, sample, accepted, len(schemas) > 0)
					}
					for _, s := range schemas {
						if !valueOK(s, sample) {
							t.Errorf("filter[q][%s]: the value schema refuses %s", key, sample)
						}
						if f.Type == engine.Integer && !pred.TakesBoolean() && valueOK(s, "x") {
							t.Errorf("filter[q][%s]: the value schema takes x for an integer", key)
						}
					}
				}
			}
			if len(filters) > 1 && filters[0].Type == filters[1].Type {
				key := filters[0].Name + "_or_" + filters[1].Name + "_eq"
				if len(matching(key)) == 0 || compile(t, reg, def, serializers.Params{Filters: map[string]string{key: "x"}, FilterKeys: []string{key}}) != nil {
					t.Errorf("filter[q][%s] is not listed and accepted", key)
				}
			}
			for _, bad := range []string{"nope_eq", "id", "id_or_eq", "id_eq_or_id_eq", "id_nope"} {
				if len(matching(bad)) > 0 {
					t.Errorf("filter[q][%s] is listed", bad)
				}
			}
			// Every attribute name the server filters on is listed: own
			// attributes and ids, and one hop across each relationship.
			candidates := []string{"id"}
			for _, a := range def.Attributes {
				candidates = append(candidates, a.Name)
			}
			for _, r := range def.Relationships {
				candidates = append(candidates, r.Name+"_id")
				target, _ := reg.Lookup(r.Target)
				for _, a := range target.Attributes {
					candidates = append(candidates, r.Name+"_"+a.Name)
				}
				for _, tr := range target.Relationships {
					candidates = append(candidates, r.Name+"_"+tr.Name+"_id")
				}
			}
			for _, c := range candidates {
				listed := slices.ContainsFunc(filters, func(f openapi.Filter) bool { return f.Name == c })
				accepted := compile(t, reg, def, serializers.Params{Filters: map[string]string{c + "_null": "true"}, FilterKeys: []string{c + "_null"}}) == nil
				if listed != accepted {
					t.Errorf("filter on %s: listed %v, accepted %v", c, listed, accepted)
				}
			}
			if compile(t, reg, def, serializers.Params{Filters: map[string]string{"nope_eq": "x"}, FilterKeys: []string{"nope_eq"}}) == nil {
				t.Error("an unknown filter is accepted")
			}
		})
	}
}

// TestBooleanFilterPattern accepts what the server reads as a boolean.
func TestBooleanFilterPattern(t *testing.T) {
	reg := resources.Default()
	d := doc(t, reg)
	re := regexp.MustCompile(at(t, d, "components", "schemas", "filterBoolean", "pattern").(string))
	for _, v := range []string{"true", "TRUE", "t", "Yes", "1", "false", "F", "no", "0"} {
		if !re.MatchString(v) {
			t.Errorf("%q is refused", v)
		}
	}
	for _, v := range []string{"", "maybe", "2", "truee"} {
		if re.MatchString(v) {
			t.Errorf("%q is accepted", v)
		}
	}
}
