package serializers

import (
	"reflect"
	"strings"
	"sync"
	"time"
)

// plan is how one representation type becomes a resource's type, id and
// attributes: its google/jsonapi tags read once per type, at its first
// render, instead of on every call to jsonapi.Marshal. It gives what
// jsonapi.Marshal gives (TestPlanMatchesGoogleJSONAPI and the resources'
// oracle test hold it to that, byte for byte); a type using what a plan
// does not cover (relations, links, client ids, time.Time attributes, a
// non-string id) has no plan and goes through jsonapi.Marshal.
type plan struct {
	typ   string
	id    int // field index of the primary key
	attrs []planAttr
}

type planAttr struct {
	name      string
	field     int
	omitEmpty bool
	zero      any // the field's zero value, for omitempty
}

var plans sync.Map // reflect.Type → *plan (nil: none)

// planOf returns the plan of v's type, or nil when v has none.
func planOf(v any) *plan {
	t := reflect.TypeOf(v)
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := buildPlan(t)
	plans.Store(t, p)
	return p
}

var timeType, timePtrType = reflect.TypeOf(time.Time{}), reflect.TypeOf(&time.Time{})

func buildPlan(t reflect.Type) *plan {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	st := t.Elem()
	p := &plan{id: -1}
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		tag := f.Tag.Get("jsonapi")
		if tag == "" {
			continue
		}
		args := strings.Split(tag, ",")
		switch {
		case args[0] == "primary" && len(args) >= 2 && f.Type.Kind() == reflect.String && p.id < 0:
			p.typ, p.id = args[1], i
		case args[0] == "attr" && len(args) >= 2 && f.Type != timeType && f.Type != timePtrType:
			a := planAttr{name: args[1], field: i}
			for _, opt := range args[2:] {
				switch opt {
				case "omitempty":
					a.omitEmpty = true
				default:
					return nil // iso8601, rfc3339…: jsonapi's own formats
				}
			}
			if a.omitEmpty {
				a.zero = reflect.Zero(f.Type).Interface()
			}
			p.attrs = append(p.attrs, a)
		default:
			return nil
		}
	}
	if p.id < 0 {
		return nil
	}
	return p
}

// apply reads v's type, id and attributes as jsonapi.Marshal would.
func (p *plan) apply(v any) (typ, id string, attrs map[string]any) {
	rv := reflect.ValueOf(v).Elem()
	attrs = make(map[string]any, len(p.attrs))
	for _, a := range p.attrs {
		value := rv.Field(a.field).Interface()
		if a.omitEmpty && reflect.DeepEqual(value, a.zero) {
			continue
		}
		attrs[a.name] = value
	}
	return p.typ, rv.Field(p.id).String(), attrs
}
