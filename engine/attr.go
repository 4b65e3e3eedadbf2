package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The default maximum lengths of text attributes, in characters (Unicode
// code points, as JSON Schema's maxLength counts them). A longer value in a
// body is 422 VALIDATION_ERROR, in a filter 400 INVALID_FILTER_VALUE,
// before anything reaches the database. docs/api-conventions.md has the
// table.
const (
	// MaxName bounds codes, names, emails, phone numbers, tokens and ids:
	// what Text declares unless Max says otherwise.
	MaxName = 255
	// MaxURL bounds URLs: what URL declares.
	MaxURL = 2048
	// MaxFreeText bounds free text a person writes (a description, notes).
	MaxFreeText = 10_000
)

// Attr is one attribute of a declaration (Spec.Attributes). It is
// made by the function naming its wire type (Text, URL, Enum, Int, Number,
// Bool, Timestamp, JSONObject, JSONArray) and refined by its methods, each
// returning the changed copy:
//
//	engine.Text("name").Create().Update().Required().Filter().Sort()
//	engine.Int("quantity").Create().Update().Required()
//	engine.Enum("status", "draft", "placed").Filter().Sort()
//
// Its name is the `jsonapi:"attr,<name>"` field of the representation that
// shows it; Define panics unless every declared attribute has its field and
// every attr field its declaration. Whether it may be null follows from that
// field's Go type (a pointer, map or slice). An attribute a body writes,
// or a filter or sort reads, is stored in the model column of its name
// (gorm's naming) unless Column names another; the engine decodes a sent
// value straight into that column's field. What the type shows is the
// type's Render function's business.
type Attr struct {
	a      Attribute
	column string
}

func newAttr(name string, t AttrType) Attr { return Attr{a: Attribute{Name: name, Type: t}} }

// Text is a string attribute of at most MaxName characters.
func Text(name string) Attr {
	a := newAttr(name, String)
	a.a.MaxLength = MaxName
	return a
}

// URL is a string attribute holding a URL: at most MaxURL characters.
func URL(name string) Attr { return Text(name).Max(MaxURL) }

// Enum is a string attribute that takes one of values.
func Enum(name string, values ...string) Attr {
	a := Text(name)
	a.a.Enum = slices.Clone(values)
	return a
}

// Int is an integer attribute (amounts in minor units, counts).
func Int(name string) Attr { return newAttr(name, Integer) }

// Number is a floating-point attribute.
func Number(name string) Attr { return newAttr(name, Float) }

// Bool is a boolean attribute.
func Bool(name string) Attr { return newAttr(name, Boolean) }

// Timestamp is a date-time attribute (engine.Time in the representation).
func Timestamp(name string) Attr { return newAttr(name, DateTime) }

// JSONObject is an attribute holding a JSON object (metadata, rules).
func JSONObject(name string) Attr { return newAttr(name, Object) }

// JSONArray is an attribute holding a JSON array.
func JSONArray(name string) Attr { return newAttr(name, Array) }

// Create lets a create body set the attribute.
func (a Attr) Create() Attr { a.a.Create = true; return a }

// Update lets an update body change the attribute.
func (a Attr) Update() Attr { a.a.Update = true; return a }

// Required makes a create body send the attribute, not blank.
func (a Attr) Required() Attr { a.a.Required = true; return a }

// Filter lets `filter[q][<name>_<predicate>]` test the attribute.
func (a Attr) Filter() Attr { a.a.Filter = true; return a }

// Sort lets `sort` order by the attribute.
func (a Attr) Sort() Attr { a.a.Sort = true; return a }

// WriteOnly keeps the attribute out of every response (a secret, a
// password, an amount a trigger reads).
func (a Attr) WriteOnly() Attr { a.a.WriteOnly = true; return a }

// Writers restricts who may write the attribute to integrations and roles.
func (a Attr) Writers(roles ...string) Attr { a.a.Writers = slices.Clone(roles); return a }

// Readers restricts who sees the attribute to integrations and roles
// (none: integrations only); others get it as null.
func (a Attr) Readers(roles ...string) Attr {
	a.a.Readers = append([]string{}, roles...)
	return a
}

// Column stores the attribute in a model column named otherwise
// (stripe_id in gateway_payment_id).
func (a Attr) Column(column string) Attr { a.column = column; return a }

// NullClears lets a body send null for an attribute shown as a value: it
// is stored in a nullable column of its own (an override of a derived
// amount), which null clears, while the representation always shows the
// effective value.
func (a Attr) NullClears() Attr { a.a.NullWrite = true; return a }

// Max sets a text attribute's maximum length in characters.
func (a Attr) Max(n int) Attr { a.a.MaxLength = n; return a }

// Doc describes the attribute in the OpenAPI document.
func (a Attr) Doc(description string) Attr { a.a.Description = description; return a }

// TimeOf shows a timestamp column (for Render).
func TimeOf(t time.Time) Time { return Time{Time: t} }

// TimeOrNil shows a nullable timestamp column: nil stays nil.
func TimeOrNil(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{Time: *t}
}

// ObjectOf shows a JSON object column: a missing object is {}, as the
// reference shows it.
func ObjectOf(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// ArrayOf shows a JSON array column: a missing array is [].
func ArrayOf(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// reprAttrs lists a representation's `jsonapi:"attr,…"` fields by name,
// checking its primary tag against typ.
func reprAttrs(typ string, rt reflect.Type) (map[string]int, []string) {
	byName := map[string]int{}
	var order []string
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := strings.Split(f.Tag.Get("jsonapi"), ",")
		switch {
		case len(tag) < 2:
			continue
		case tag[0] == "primary" && tag[1] != typ:
			panic(fmt.Sprintf("%s: representation says type %s", typ, tag[1]))
		case tag[0] == "primary":
		case tag[0] == "attr":
			if _, dup := byName[tag[1]]; dup {
				panic(fmt.Sprintf("%s: two %s fields show attribute %s", typ, rt.Name(), tag[1]))
			}
			byName[tag[1]] = i
			order = append(order, tag[1])
		default:
			panic(fmt.Sprintf("%s.%s: only primary and attr tags are used; relationships are declared in the Spec", typ, f.Name))
		}
	}
	return byName, order
}

// defineAttributes turns the declared attributes into the Definition's, in
// the representation's field order, checking them against the representation
// (each attr field declared, each declaration shown, the Go types fit)
// and the model (every stored attribute has its column, of a fitting type).
func defineAttributes(typ string, decl []Attr, rt reflect.Type, mt reflect.Type, cols map[string][]int) []*Attribute {
	fields, order := reprAttrs(typ, rt)
	declared := map[string]*Attribute{}
	for _, d := range decl {
		a := d.a
		where := typ + "." + a.Name
		if _, dup := declared[a.Name]; dup {
			panic(fmt.Sprintf("%s: declared twice", where))
		}
		idx, ok := fields[a.Name]
		if !ok {
			panic(fmt.Sprintf("%s: declared, but %s has no field tagged `jsonapi:\"attr,%s\"`", where, rt.Name(), a.Name))
		}
		f := rt.Field(idx)
		if tag, ok := f.Tag.Lookup("kasse"); ok {
			panic(fmt.Sprintf("%s: kasse tags are not read (%s has %q): declare the flags in Spec.Attributes", where, f.Name, tag))
		}
		a.reprField = []int{idx}
		a.Nullable = checkKind(where, a.Type, f.Type, reprTypeFits)
		checkFlags(where, &a)
		if column := storedColumn(d); column != "" {
			a.Column = checkColumn(where, column, cols)
			a.modelField = cols[column]
			if a.Create || a.Update {
				nullable := checkKind(where+" (model column "+column+")", a.Type, mt.FieldByIndex(a.modelField).Type, modelTypeFits)
				if a.NullWrite && !nullable {
					panic(where + ": NullClears needs a nullable model column")
				}
			}
		}
		declared[a.Name] = &a
	}
	out := make([]*Attribute, 0, len(order))
	for _, name := range order {
		a, ok := declared[name]
		if !ok {
			panic(fmt.Sprintf("%s.%s: %s shows it (`jsonapi:\"attr,%s\"`) but Attributes does not declare it", typ, name, rt.Name(), name))
		}
		out = append(out, a)
	}
	return out
}

// storedColumn is the model column an attribute is written to or filtered
// and sorted on: Column, or its own name; "" for one only shown.
func storedColumn(d Attr) string {
	switch {
	case d.column != "":
		return d.column
	case d.a.Create || d.a.Update || d.a.Filter || d.a.Sort:
		return d.a.Name
	}
	return ""
}

// checkFlags refuses flags that contradict each other or the type.
func checkFlags(where string, a *Attribute) {
	switch {
	case a.Required && !a.Create:
		panic(where + ": Required without Create")
	case a.WriteOnly && a.ReadOnly():
		panic(where + ": WriteOnly, but neither Create nor Update")
	case a.WriteOnly && (a.Filter || a.Sort):
		panic(where + ": a WriteOnly attribute cannot be filtered or sorted on")
	case a.Type != String && (a.MaxLength != 0 || a.Enum != nil):
		panic(where + ": Max and Enum apply to text attributes only")
	case a.Type == String && a.MaxLength <= 0:
		panic(where + ": a text attribute needs a positive Max")
	case a.Writers != nil && a.ReadOnly():
		panic(where + ": Writers on an attribute nobody may write")
	case a.NullWrite && (a.ReadOnly() || a.Nullable || a.Required):
		panic(where + ": NullClears is for a writable, optional attribute shown with a value")
	}
}

// typeFits says whether a Go type (not a pointer) can hold an attribute
// type.
type typeFits func(AttrType, reflect.Type) bool

func reprTypeFits(t AttrType, rt reflect.Type) bool {
	if t == DateTime {
		return rt == reprTimeType
	}
	if t == Object && rt.Kind() == reflect.Struct && rt.Implements(jsonMarshalerType) {
		// An object that writes itself (skus.inventory).
		return true
	}
	return kindFits(t, rt)
}

var jsonMarshalerType = reflect.TypeFor[json.Marshaler]()

func modelTypeFits(t AttrType, rt reflect.Type) bool {
	if t == DateTime {
		return rt == timeType
	}
	return kindFits(t, rt)
}

func kindFits(t AttrType, rt reflect.Type) bool {
	switch t {
	case String:
		return rt.Kind() == reflect.String
	case Integer:
		return rt.Kind() >= reflect.Int && rt.Kind() <= reflect.Int64
	case Float:
		return rt.Kind() == reflect.Float64 || rt.Kind() == reflect.Float32
	case Boolean:
		return rt.Kind() == reflect.Bool
	case Object:
		return rt.Kind() == reflect.Map && rt.Key().Kind() == reflect.String
	case Array:
		return rt.Kind() == reflect.Slice
	}
	return false
}

// checkKind panics unless rt (or what it points to) holds t, and says
// whether rt admits null.
func checkKind(where string, t AttrType, rt reflect.Type, fits typeFits) bool {
	elem, nullable := rt, rt.Kind() == reflect.Map || rt.Kind() == reflect.Slice
	if rt.Kind() == reflect.Pointer {
		elem, nullable = rt.Elem(), true
	}
	if !fits(t, elem) {
		panic(fmt.Sprintf("%s: declared %s, but its Go type is %s", where, t, rt))
	}
	return nullable
}
