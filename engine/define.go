package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"kasse/db"
	"kasse/models"
	"kasse/serializers"
)

var namer = schema.NamingStrategy{}

var columnCache sync.Map // reflect.Type → map[string][]int

// modelColumns maps column names (gorm's naming, or `gorm:"column:x"`) to
// field index paths, through embedded structs; `gorm:"-"` fields keep their
// snake_case name so write-only inputs (password) can land on them.
func modelColumns(t reflect.Type) map[string][]int {
	if cached, ok := columnCache.Load(t); ok {
		return cached.(map[string][]int)
	}
	out := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(slices.Clone(prefix), i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			name := namer.ColumnName("", f.Name)
			for _, part := range strings.Split(f.Tag.Get("gorm"), ";") {
				if strings.HasPrefix(part, "column:") {
					name = strings.TrimPrefix(part, "column:")
				}
			}
			out[name] = idx
		}
	}
	walk(t, nil)
	columnCache.Store(t, out)
	return out
}

var (
	timeType       = reflect.TypeOf(time.Time{})
	reprTimeType   = reflect.TypeOf(serializers.Time{})
	jsonObjectType = reflect.TypeOf(db.JSONObject{})
	jsonArrayType  = reflect.TypeOf(db.JSONArray{})
)

func attrTypeOf(t reflect.Type) (AttrType, bool) {
	nullable := t.Kind() == reflect.Pointer || t.Kind() == reflect.Map || t.Kind() == reflect.Slice
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reprTimeType:
		return DateTime, nullable
	case t.Kind() == reflect.String:
		return String, nullable
	case t.Kind() == reflect.Bool:
		return Boolean, nullable
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return Integer, nullable
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return Float, nullable
	case t.Kind() == reflect.Map:
		return Object, nullable
	case t.Kind() == reflect.Slice:
		return Array, nullable
	}
	panic(fmt.Sprintf("unsupported attribute type %s", t))
}

// Define turns a resource file's Spec into a Definition, reading attributes
// from R's tags and checking that every stored attribute has a model column.
// A mistake here is a programming error and panics at start-up.
func Define[M any, R any](s Spec[M, R]) *Definition {
	var zeroM M
	var zeroR R
	mt, rt := reflect.TypeOf(zeroM), reflect.TypeOf(zeroR)
	sch, err := schema.Parse(&zeroM, &sync.Map{}, namer)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", s.Type, err))
	}
	d := &Definition{Type: s.Type, Description: s.Description, Actions: s.Actions, Table: sch.Table, Access: s.Access, reprType: rt, modelType: mt}
	checkAccess(d)
	d.fixed = s.Within
	cols := modelColumns(mt)
	d.idField = cols["id"]
	d.ParentOrder = checkColumn(s.Type+" ParentOrder", s.ParentOrder, cols)
	d.Relationships = defineRelationships(s.Type, s.Relationships, cols)
	d.specs = d.RelationshipSpecs()
	d.Attributes = defineAttributes(s.Type, rt, cols)
	d.Triggers = defineTriggers(s.Triggers)
	defineHooks(d, s)
	defineStorage[M](d)
	defineRender(d, s)
	// Render a zero model once so a type mismatch between model and
	// representation fails at start-up, not on the first request.
	d.render(new(M), "")
	return d
}

// checkColumn returns column, panicking unless the model has it ("" is
// no column, and fine); where names the declaration in the message.
func checkColumn(where, column string, cols map[string][]int) string {
	if column == "" {
		return ""
	}
	if _, ok := cols[column]; !ok {
		panic(fmt.Sprintf("%s: model has no column %s", where, column))
	}
	return column
}

// defineRelationships copies the declared relationships, a polymorphic
// one targeting its first type, and checks their foreign keys.
func defineRelationships(typ string, rels []Relationship, cols map[string][]int) []*Relationship {
	var out []*Relationship
	for i := range rels {
		r := rels[i]
		if len(r.Polymorphic) > 0 && r.Target == "" {
			r.Target = r.Polymorphic[0]
		}
		checkColumn(typ+"."+r.Name, r.ForeignKey, cols)
		out = append(out, &r)
	}
	return out
}

// defineAttributes reads the attributes from the representation's fields:
// `jsonapi:"attr,name"` and the `kasse:"…"` options.
func defineAttributes(typ string, rt reflect.Type, cols map[string][]int) []*Attribute {
	var out []*Attribute
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := strings.Split(f.Tag.Get("jsonapi"), ",")
		if len(tag) < 2 {
			continue
		}
		switch tag[0] {
		case "primary":
			if tag[1] != typ {
				panic(fmt.Sprintf("%s: representation says type %s", typ, tag[1]))
			}
		case "attr":
			out = append(out, defineAttribute(typ, f, i, tag[1], cols))
		default:
			panic(fmt.Sprintf("%s.%s: only primary and attr tags are used; relationships are declared in the Spec", typ, f.Name))
		}
	}
	return out
}

// defineAttribute reads one attribute and finds its model column: the
// `column=` or `stored` option, its own name when it is writable, filtered
// or sorted, or else its own name when the model has that column.
func defineAttribute(typ string, f reflect.StructField, index int, name string, cols map[string][]int) *Attribute {
	a := &Attribute{Name: name, reprField: []int{index}, Description: f.Tag.Get("doc")}
	a.Type, a.Nullable = attrTypeOf(f.Type)
	column := ""
	for _, opt := range strings.Split(f.Tag.Get("kasse"), ",") {
		if c, ok := a.setOption(typ, opt); ok {
			column = c
		}
	}
	if column == "" && (a.Create || a.Update || a.Filter || a.Sort) {
		column = a.Name
	}
	if _, ok := cols[a.Name]; column == "" && ok {
		column = a.Name
	}
	if column != "" {
		a.Column = checkColumn(typ+"."+a.Name, column, cols)
		a.modelField = cols[column]
	}
	return a
}

// setOption applies one `kasse:"…"` option; for a column option it returns
// the column and true.
func (a *Attribute) setOption(typ, opt string) (string, bool) {
	flags := map[string]*bool{"create": &a.Create, "update": &a.Update, "required": &a.Required, "filter": &a.Filter, "sort": &a.Sort, "writeonly": &a.WriteOnly}
	name, value, valued := strings.Cut(opt, "=")
	switch {
	case opt == "":
	case flags[opt] != nil:
		*flags[opt] = true
	case opt == "stored":
		return a.Name, true
	case valued && name == "column":
		return value, true
	case valued && name == "writers":
		a.Writers = strings.Split(value, "|")
	case valued && name == "enum":
		a.Enum = strings.Split(value, "|")
	default:
		panic(fmt.Sprintf("%s.%s: unknown kasse tag option %q", typ, a.Name, opt))
	}
	return "", false
}

// defineTriggers turns typed triggers into the engine's, Boolean unless
// they say otherwise.
func defineTriggers[M any](triggers []Trigger[M]) []*TriggerInfo {
	var out []*TriggerInfo
	for i := range triggers {
		t := triggers[i]
		if t.Type == "" {
			t.Type = Boolean
		}
		out = append(out, &TriggerInfo{Name: t.Name, Type: t.Type, OnCreate: t.OnCreate, Writers: t.Writers, Description: t.Description,
			run: func(c *Call, model any, value json.RawMessage) error { return t.Run(c, model.(*M), value) }})
	}
	return out
}

// defineHooks wraps the Spec's typed hooks (OnCreate, Stamp, Load).
func defineHooks[M any, R any](d *Definition, s Spec[M, R]) {
	if onCreate := s.OnCreate; onCreate != nil {
		d.onCreate = func(c *Call, model any) error { return onCreate(c, model.(*M)) }
	}
	if check := s.Check; check != nil {
		d.check = func(c *Call, model any, creating bool) error { return check(c, model.(*M), creating) }
	}
	if stamp := s.Stamp; stamp != nil {
		d.stamp = func(p *models.Principal, model any) { stamp(p, model.(*M)) }
	}
	if load := s.Load; load != nil {
		d.load = func(tx *gorm.DB, models []any) error {
			typed := make([]*M, len(models))
			for i, m := range models {
				typed[i] = m.(*M)
			}
			return load(tx, typed)
		}
	}
}

// defineStorage gives the engine fresh models and slices of M.
func defineStorage[M any](d *Definition) {
	d.newModel = func() any { return new(M) }
	d.newSlice = func() any { return new([]M) }
	d.elements = func(slice any) []any {
		s := *(slice.(*[]M))
		out := make([]any, len(s))
		for i := range s {
			out[i] = &s[i]
		}
		return out
	}
}

// defineRender renders a model as its representation: the stored
// attributes, then Derive and Links.
func defineRender[M any, R any](d *Definition, s Spec[M, R]) {
	derive, links := s.Derive, s.Links
	d.render = func(model any, baseURL string) any {
		out := new(R)
		d.copyStored(model, out)
		if derive != nil {
			derive(model.(*M), out)
		}
		if links != nil {
			links(model.(*M), out, baseURL)
		}
		return out
	}
}

// copyStored fills the representation's stored attributes from the model.
func (d *Definition) copyStored(model any, out any) {
	mv := reflect.ValueOf(model).Elem()
	rv := reflect.ValueOf(out).Elem()
	rv.FieldByIndex([]int{primaryIndex(d.reprType)}).SetString(mv.FieldByIndex(d.idField).String())
	for _, a := range d.Attributes {
		if a.modelField == nil || a.WriteOnly {
			continue
		}
		if err := assign(rv.FieldByIndex(a.reprField), mv.FieldByIndex(a.modelField)); err != nil {
			panic(fmt.Sprintf("%s.%s: %v", d.Type, a.Name, err))
		}
	}
}

func primaryIndex(t reflect.Type) int {
	for i := 0; i < t.NumField(); i++ {
		if strings.HasPrefix(t.Field(i).Tag.Get("jsonapi"), "primary,") {
			return i
		}
	}
	panic(fmt.Sprintf("%s has no primary field", t))
}

// assign copies a model value into a representation field, converting
// timestamps and JSON columns; nil JSON objects become {} as the reference
// shows them.
func assign(dst, src reflect.Value) error {
	switch {
	case src.Type() == dst.Type():
		dst.Set(src)
	case src.Type() == timeType && dst.Type() == reprTimeType:
		dst.Set(reflect.ValueOf(serializers.Time{Time: src.Interface().(time.Time)}))
	case src.Type() == reflect.PointerTo(timeType) && dst.Type() == reflect.PointerTo(reprTimeType):
		dst.Set(reflect.ValueOf(serializers.NewTime(src.Interface().(*time.Time))))
	case src.Type() == jsonObjectType && dst.Kind() == reflect.Map:
		m := src.Interface().(db.JSONObject)
		if m == nil {
			m = db.JSONObject{}
		}
		dst.Set(reflect.ValueOf(map[string]any(m)))
	case src.Type() == jsonArrayType && dst.Kind() == reflect.Slice:
		a := src.Interface().(db.JSONArray)
		if a == nil {
			a = db.JSONArray{}
		}
		dst.Set(reflect.ValueOf([]any(a)))
	case src.Kind() == reflect.Pointer && dst.Kind() == reflect.Pointer && src.Type().Elem().ConvertibleTo(dst.Type().Elem()):
		if src.IsNil() {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		p := reflect.New(dst.Type().Elem())
		p.Elem().Set(src.Elem().Convert(dst.Type().Elem()))
		dst.Set(p)
	case src.Kind() != reflect.Pointer && dst.Kind() != reflect.Pointer && src.Type().ConvertibleTo(dst.Type()):
		dst.Set(src.Convert(dst.Type()))
	default:
		return fmt.Errorf("cannot show model field of type %s as %s", src.Type(), dst.Type())
	}
	return nil
}
