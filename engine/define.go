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
	timeType     = reflect.TypeOf(time.Time{})
	reprTimeType = reflect.TypeOf(serializers.Time{})
)

// Define turns a resource file's Spec into a Definition, checking the
// declared attributes against R's `jsonapi:"attr,…"` fields and the model's
// columns, and the relationships' keys against the model. A mistake here is
// a programming error and panics at start-up.
func Define[M any, R any](s Spec[M, R]) *Definition {
	var zeroM M
	var zeroR R
	mt, rt := reflect.TypeOf(zeroM), reflect.TypeOf(zeroR)
	sch, err := schema.Parse(&zeroM, &sync.Map{}, namer)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", s.Type, err))
	}
	d := &Definition{Type: s.Type, Description: s.Description, Actions: s.Actions, Table: sch.Table, Access: s.Access, reprType: rt, modelType: mt}
	if s.Actions.Singleton && (!s.Actions.Retrieve || s.Actions.List || s.Actions.Create) {
		panic(s.Type + ": a singleton offers retrieve, and neither list nor create")
	}
	checkAccess(d)
	d.fixed = s.Within
	cols := modelColumns(mt)
	d.idField = cols["id"]
	d.ParentOrder = checkColumn(s.Type+" ParentOrder", s.ParentOrder, cols)
	d.RequireIdempotencyKey = s.RequireIdempotencyKey
	d.Relationships = defineRelationships(s.Type, s.Relationships, cols)
	d.specs = d.RelationshipSpecs()
	d.Attributes = defineAttributes(s.Type, s.Attributes, rt, mt, cols)
	d.Triggers = defineTriggers(s.Triggers)
	defineHooks(d, s)
	defineStorage[M](d)
	defineRender(d, s)
	checkRender[M](d)
	return d
}

// checkRender renders a model once at start-up, so that a type mismatch
// between model and representation, or a Render that forgets the id,
// fails there rather than on the first request.
func checkRender[M any](d *Definition) {
	m := new(M)
	reflect.ValueOf(m).Elem().FieldByIndex(d.idField).SetString("start-up")
	out := reflect.ValueOf(d.render(m, ""))
	if out.IsNil() {
		panic(d.Type + ": Render returned nil")
	}
	if id := out.Elem().Field(primaryIndex(d.reprType)).String(); id != "start-up" {
		panic(fmt.Sprintf("%s: Render must set the representation's id (got %q)", d.Type, id))
	}
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

// defineRender renders with the Spec's Render function, clears the
// write-only attributes (a secret never leaves, whatever Render set) and
// adds Links.
func defineRender[M any, R any](d *Definition, s Spec[M, R]) {
	if s.Render == nil {
		panic(d.Type + ": the Spec has no Render function")
	}
	render, links := s.Render, s.Links
	var writeOnly [][]int
	for _, a := range d.Attributes {
		if a.WriteOnly {
			writeOnly = append(writeOnly, a.reprField)
		}
		if a.Readers != nil {
			d.restricted = append(d.restricted, a)
		}
	}
	d.render = func(model any, baseURL string) any {
		out := render(model.(*M))
		if out == nil {
			return out
		}
		rv := reflect.ValueOf(out).Elem()
		for _, idx := range writeOnly {
			f := rv.FieldByIndex(idx)
			f.Set(reflect.Zero(f.Type()))
		}
		if links != nil {
			links(model.(*M), out, baseURL)
		}
		return out
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
