package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// testMarket is a markets representation for the typed declaration's tests.
type testMarket struct {
	ID       string         `jsonapi:"primary,markets"`
	Name     string         `jsonapi:"attr,name"`
	Code     *string        `jsonapi:"attr,code"`
	Checkout *string        `jsonapi:"attr,checkout_url"`
	Number   int            `jsonapi:"attr,number"`
	Secret   string         `jsonapi:"attr,shared_secret,omitempty"`
	Disabled *Time          `jsonapi:"attr,disabled_at"`
	Metadata map[string]any `jsonapi:"attr,metadata"`
}

var testAccess = Access{models.RoleSalesChannel: {}, models.RoleCustomer: {}}

func testAttrs() []Attr {
	return []Attr{
		Int("number"),
		Text("name").Create().Update().Required().Filter().Sort(),
		Text("code").Create().Update().Filter().Max(12),
		URL("checkout_url").Create().Update(),
		Text("shared_secret").Create().WriteOnly(),
		Timestamp("disabled_at").Filter().Sort(),
		JSONObject("metadata").Create().Update(),
	}
}

func renderTestMarket(m *models.Market) *testMarket {
	return &testMarket{ID: m.ID, Name: m.Name, Code: m.Code, Checkout: m.CheckoutURL, Number: m.Number, Secret: m.SharedSecret,
		Disabled: TimeOrNil(m.DisabledAt), Metadata: ObjectOf(m.Metadata)}
}

func testSpec(change func(*Spec[models.Market, testMarket])) Spec[models.Market, testMarket] {
	s := Spec[models.Market, testMarket]{Type: "markets", Actions: AllActions, Access: testAccess, Attributes: testAttrs(), Render: renderTestMarket}
	if change != nil {
		change(&s)
	}
	return s
}

func TestTypedDeclaration(t *testing.T) {
	d := Define(testSpec(nil))
	var got []string
	for _, a := range d.Attributes {
		got = append(got, fmt.Sprintf("%s:%s null=%v column=%q max=%d", a.Name, a.Type, a.Nullable, a.Column, a.MaxLength))
	}
	want := []string{ // the representation's field order, whatever the declaration's
		`name:string null=false column="name" max=255`,
		`code:string null=true column="code" max=12`,
		`checkout_url:string null=true column="checkout_url" max=2048`,
		`number:integer null=false column="" max=0`,
		`shared_secret:string null=false column="shared_secret" max=255`,
		`disabled_at:datetime null=true column="disabled_at" max=0`,
		`metadata:object null=true column="metadata" max=0`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("attributes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out := d.render(&models.Market{Base: models.Base{Record: models.Record{ID: "m1"}}, Name: "EU", SharedSecret: "s3cret"}, "").(*testMarket)
	if out.ID != "m1" || out.Name != "EU" || out.Secret != "" || out.Metadata == nil {
		t.Errorf("render = %+v: want the id and name, the write-only secret cleared, metadata {}", out)
	}
}

// TestNullClears: an attribute shown with a value takes null on a write
// when it is NullClears, clearing its nullable column; otherwise null is
// "can't be blank".
func TestNullClears(t *testing.T) {
	for _, c := range []struct {
		name string
		attr Attr
		want string // the problem's detail, "" for none
	}{
		{"clears", Text("shared_secret").Create().Update().WriteOnly().Column("code").NullClears(), ""},
		{"refused without it", Text("shared_secret").Create().Update().WriteOnly().Column("code"), "shared_secret - can't be blank"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Define(testSpec(func(s *Spec[models.Market, testMarket]) {
				s.Attributes = append([]Attr(nil), s.Attributes...)
				s.Attributes[4] = c.attr
			}))
			code := "EU"
			m := &models.Market{Code: &code}
			problem := setAttribute(nil, d, m, "shared_secret", json.RawMessage("null"), false)
			switch {
			case c.want == "" && (problem != nil || m.Code != nil):
				t.Fatalf("problem %v, code %v: want the column cleared", problem, m.Code)
			case c.want != "" && (problem == nil || problem.Detail != c.want || m.Code == nil):
				t.Fatalf("problem %v, code %v: want %q and the column kept", problem, m.Code, c.want)
			}
		})
	}
}

// TestTypedDeclarationMistakes: every way a typed declaration can disagree
// with its representation or model panics at start-up, saying where.
func TestTypedDeclarationMistakes(t *testing.T) {
	replace := func(i int, a Attr) func(*Spec[models.Market, testMarket]) {
		return func(s *Spec[models.Market, testMarket]) { s.Attributes[i] = a }
	}
	for _, c := range []struct {
		name   string
		change func(*Spec[models.Market, testMarket])
		want   string
	}{
		{"undeclared field", func(s *Spec[models.Market, testMarket]) { s.Attributes = s.Attributes[1:] },
			"markets.number: testMarket shows it (`jsonapi:\"attr,number\"`) but Attributes does not declare it"},
		{"declared without a field", func(s *Spec[models.Market, testMarket]) { s.Attributes = append(s.Attributes, Bool("private")) },
			"markets.private: declared, but testMarket has no field tagged `jsonapi:\"attr,private\"`"},
		{"declared twice", func(s *Spec[models.Market, testMarket]) { s.Attributes = append(s.Attributes, Int("number")) },
			"markets.number: declared twice"},
		{"wrong type", replace(0, Text("number")), "markets.number: declared string, but its Go type is int"},
		{"wrong model type", replace(1, Int("name").Create()), "markets.name: declared integer, but its Go type is string"},
		{"model column type", replace(2, Text("code").Create().Column("number")), "markets.code (model column number): declared string, but its Go type is int"},
		{"no such column", replace(2, Text("code").Filter().Column("kode")), "markets.code: model has no column kode"},
		{"required without create", replace(1, Text("name").Update().Required()), "markets.name: Required without Create"},
		{"write-only read-only", replace(4, Text("shared_secret").WriteOnly()), "markets.shared_secret: WriteOnly, but neither Create nor Update"},
		{"max on a number", replace(0, Int("number").Max(3)), "markets.number: Max and Enum apply to text attributes only"},
		{"null clears a nullable attribute", replace(2, Text("code").Create().NullClears()), "markets.code: NullClears is for a writable, optional attribute shown with a value"},
		{"null clears a read-only attribute", replace(0, Int("number").NullClears()), "markets.number: NullClears is for a writable, optional attribute shown with a value"},
		{"null clears a column that cannot be null", replace(4, Text("shared_secret").Create().WriteOnly().NullClears()), "markets.shared_secret: NullClears needs a nullable model column"},
		{"no render", func(s *Spec[models.Market, testMarket]) { s.Render = nil }, "markets: the Spec has no Render function"},
		{"render forgets the id", func(s *Spec[models.Market, testMarket]) {
			s.Render = func(m *models.Market) *testMarket { return &testMarket{Name: m.Name} }
		}, `markets: Render must set the representation's id (got "")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := testSpec(nil)
			spec.Attributes = append([]Attr(nil), spec.Attributes...)
			c.change(&spec)
			defer func() {
				if got := fmt.Sprint(recover()); got != c.want {
					t.Errorf("panic %q\nwant  %q", got, c.want)
				}
			}()
			Define(spec)
		})
	}
}

// TestTextLimits: a text value longer than its attribute's maximum (in
// characters, not bytes) is a 422 at its pointer, before the database.
func TestTextLimits(t *testing.T) {
	d := Define(testSpec(nil))
	for _, c := range []struct {
		name, attr string
		value      any
		want       string // the problem's detail, "" for none
	}{
		{"at the limit", "name", strings.Repeat("a", 255), ""},
		{"over the limit", "name", strings.Repeat("a", 256), "name - is too long (maximum is 255 characters)"},
		{"characters, not bytes", "name", strings.Repeat("é", 255), ""},
		{"declared maximum", "code", strings.Repeat("c", 13), "code - is too long (maximum is 12 characters)"},
		{"null", "code", nil, ""},
		{"URL", "checkout_url", "https://x.test/" + strings.Repeat("p", 2033), ""},
		{"long URL", "checkout_url", "https://x.test/" + strings.Repeat("p", 2034), "checkout_url - is too long (maximum is 2048 characters)"},
		{"3,000 bytes", "name", strings.Repeat("x", 3000), "name - is too long (maximum is 255 characters)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw, _ := json.Marshal(c.value)
			problem := setAttribute(nil, d, &models.Market{}, c.attr, raw, true)
			switch {
			case c.want == "" && problem != nil:
				t.Errorf("problem %v, want none", problem)
			case c.want != "" && problem == nil:
				t.Errorf("no problem, want %q", c.want)
			case c.want != "" && (problem.Code != errs.ValidationError || problem.Detail != c.want || problem.Pointer != "/data/attributes/"+c.attr):
				t.Errorf("problem %s %q at %s, want VALIDATION_ERROR %q at /data/attributes/%s", problem.Code, problem.Detail, problem.Pointer, c.want, c.attr)
			}
		})
	}
}

// TestFilterLimits: a filter value longer than the attribute's maximum is
// a 400 INVALID_FILTER_VALUE naming the parameter.
func TestFilterLimits(t *testing.T) {
	d := Define(testSpec(nil))
	reg := NewRegistry(d)
	for _, c := range []struct {
		key, value string
		bad        bool
	}{
		{"name_eq", strings.Repeat("a", 255), false},
		{"name_eq", strings.Repeat("a", 256), true},
		{"name_cont", strings.Repeat("a", 3000), true},
		{"name_in", "a," + strings.Repeat("b", 256), true},
		{"code_start", strings.Repeat("c", 12), false},
		{"code_start", strings.Repeat("c", 13), true},
		{"id_eq", strings.Repeat("i", 256), true},
		{"name_or_code_eq", strings.Repeat("c", 20), true},
		{"name_present", "true", false},
	} {
		t.Run(c.key+fmt.Sprint(len(c.value)), func(t *testing.T) {
			_, err := reg.Compile(d, serializers.Params{Filters: map[string]string{c.key: c.value}, FilterKeys: []string{c.key}})
			list, _ := errs.As(err)
			switch {
			case !c.bad && err != nil:
				t.Errorf("error %v, want none", err)
			case c.bad && (len(list) != 1 || list[0].Code != errs.InvalidFilterValue || list[0].Parameter != "filter[q]["+c.key+"]"):
				t.Errorf("error %v, want one INVALID_FILTER_VALUE at filter[q][%s]", err, c.key)
			}
		})
	}
}

// TestTriggerTextLimit: a string trigger's value (an address id to clone)
// is bounded as a name is.
func TestTriggerTextLimit(t *testing.T) {
	trigger := &TriggerInfo{Name: "_billing_address_clone_id", Type: String, OnCreate: true}
	for _, c := range []struct {
		value string
		bad   bool
	}{{strings.Repeat("i", MaxName), false}, {strings.Repeat("i", MaxName+1), true}} {
		raw, _ := json.Marshal(c.value)
		run, problem := checkTrigger(nil, trigger, raw, true)
		if c.bad != (problem != nil) || run == c.bad {
			t.Errorf("%d characters: run %v, problem %v; want refused %v", len(c.value), run, problem, c.bad)
		}
		if problem != nil && (problem.Code != errs.ValidationError || problem.Pointer != "/data/attributes/_billing_address_clone_id") {
			t.Errorf("problem %v, want VALIDATION_ERROR at the trigger", problem)
		}
	}
}
