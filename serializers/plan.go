package serializers

import (
	"reflect"
	"slices"
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
	encode    encodeFunc
	omitEmpty bool
	zero      any // the field's zero value, for omitempty
}

// empty says whether omitempty leaves v out: google/jsonapi's test, a
// value deeply equal to its type's zero (-0.0 is 0.0, an empty slice is not
// a nil one), without boxing the scalars.
func (a *planAttr) empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Pointer:
		return v.IsZero()
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	}
	return reflect.DeepEqual(v.Interface(), a.zero)
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
			a := planAttr{name: args[1], field: i, encode: encodeFuncOf(f.Type)}
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
	// In key order, as encoding/json writes a map's.
	slices.SortStableFunc(p.attrs, func(a, b planAttr) int { return strings.Compare(a.name, b.name) })
	return p
}

// id reads v's id.
func (p *plan) idOf(v any) string {
	return reflect.ValueOf(v).Elem().Field(p.id).String()
}

// appendAttributes appends v's attributes object as jsonapi.Marshal's
// attributes would encode, keeping only the names keep accepts.
func (p *plan) appendAttributes(dst []byte, v any, keep func(string) bool) ([]byte, error) {
	rv := reflect.ValueOf(v).Elem()
	dst = append(dst, '{')
	first := true
	for i := range p.attrs {
		a := &p.attrs[i]
		if !keep(a.name) {
			continue
		}
		f := rv.Field(a.field)
		if a.omitEmpty && a.empty(f) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, a.name)
		dst = append(dst, ':')
		var err error
		if dst, err = a.encode(dst, f); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}
