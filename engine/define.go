package engine

import (
	"context"
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
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// AttrType is the JSON type of an attribute, as the reference names it.
type AttrType string

// The attribute types.
const (
	String   AttrType = "string"
	Integer  AttrType = "integer"
	Float    AttrType = "float"
	Boolean  AttrType = "boolean"
	DateTime AttrType = "datetime"
	Object   AttrType = "object"
	Array    AttrType = "array"
)

// Attribute is one declared attribute, read from the representation
// struct's tags: `jsonapi:"attr,name"` and `kasse:"create,update,required,
// filter,sort,writeonly,enum=a|b,column=x"`.
type Attribute struct {
	Name        string
	Type        AttrType
	Nullable    bool
	Create      bool
	Update      bool
	Required    bool // required on create
	Filter      bool
	Sort        bool
	WriteOnly   bool
	Enum        []string
	Writers     []string // roles that may write it besides integration; nil: any role that may write the type
	Column      string   // the model column it is stored in; "" when derived
	Description string

	reprField  []int
	modelField []int
}

// ReadOnly says whether the attribute can never be written.
func (a *Attribute) ReadOnly() bool { return !a.Create && !a.Update }

// Relationship is one declared relationship.
type Relationship struct {
	Name   string
	Target string // the related type
	ToMany bool
	// ForeignKey is the column on this type's table that holds a to-one's id.
	ForeignKey string
	// InverseKey is the column on the target's table that points back here
	// (a to-many, or a to-one owned by the other side).
	InverseKey string
	Create     bool
	Update     bool
	Required   bool // required on create
	// Polymorphic lists the types a polymorphic to-one may point to (an
	// order's payment_source); TypeColumn holds the type and ForeignKey the
	// id. Target is then the first of them. Polymorphic relationships are
	// read-only and end include paths.
	Polymorphic []string
	TypeColumn  string
	// Accepts lists further types a write may name for this relationship
	// (a payment method's payment_gateway given as checkout_com_gateways).
	Accepts []string
	// Where selects the related rows of one parent for relationships that
	// are computed rather than stored (available_payment_methods). Parents
	// with equal conditions share one query.
	Where       func(parent any) []db.Condition
	Description string
}

// Trigger is a write-only attribute that runs a domain action ("_disable").
type Trigger[M any] struct {
	Name        string
	Type        AttrType // Boolean unless the trigger carries a value
	OnCreate    bool     // may also be sent on create
	Writers     []string // roles that may send it besides integration; nil: any role that may write the type
	Description string
	Run         func(c *Call, model *M, value json.RawMessage) error
}

// TriggerInfo is a trigger as the type-agnostic engine sees it.
type TriggerInfo struct {
	Name        string
	Type        AttrType
	OnCreate    bool
	Writers     []string
	Description string
	run         func(c *Call, model any, value json.RawMessage) error
}

// Call is what a trigger runs with: the write's transaction, who asked,
// and the engine's collaborators.
type Call struct {
	Ctx       context.Context
	Tx        *gorm.DB
	Principal *models.Principal
	engine    *Engine
	after     []func(ctx context.Context) error
}

// Payments is the payment hook orders call on place and cancel (nil until
// payments are wired in).
func (c *Call) Payments() models.PaymentHook {
	if c.engine.Payments == nil {
		return nil
	}
	return c.engine.Payments
}

// PaymentFlow is the payment flow (provider calls), or nil.
func (c *Call) PaymentFlow() *models.Payments { return c.engine.Payments }

// AfterCommit schedules work to run once the write's transaction has
// committed, in order: provider calls, which must never run inside a
// transaction. The first error is the request's answer (the write stays).
func (c *Call) AfterCommit(fn func(ctx context.Context) error) { c.after = append(c.after, fn) }

func (c *Call) runAfterCommit() error {
	for _, fn := range c.after {
		if err := fn(c.Ctx); err != nil {
			return err
		}
	}
	return nil
}

// Visible fails with a 404 at pointer unless the caller may see the
// resource of type typ and id (a trigger that takes an id must not reach
// what the caller could not read).
func (c *Call) Visible(typ, id, pointer string) error {
	def, ok := c.engine.Registry.Lookup(typ)
	if !ok {
		return fmt.Errorf("unknown type %s", typ)
	}
	scope, allowed := def.readScope(c.Principal)
	if !allowed {
		return errs.NotFound(typ, id).At(pointer)
	}
	if _, err := c.engine.find(c.Ctx, c.Tx, def, id, scope); err != nil {
		if list, ok := errs.As(err); ok {
			return list[0].At(pointer)
		}
		return err
	}
	return nil
}

// Actions are the endpoints a type offers.
type Actions struct {
	List, Retrieve, Create, Update, Delete bool
}

// AllActions is list, retrieve, create, update and delete.
var AllActions = Actions{List: true, Retrieve: true, Create: true, Update: true, Delete: true}

// Spec is what a resource file declares; Define turns it into a Definition.
// M is the gorm model, R the representation struct.
type Spec[M any, R any] struct {
	Type          string
	Description   string
	Actions       Actions
	Relationships []Relationship
	Triggers      []Trigger[M]
	// Derive fills the representation's derived attributes (amount_float,
	// full_name, …) after the stored ones were copied from the model.
	Derive func(model *M, out *R)
	// Access is who may do what; see Access.
	Access Access
	// Stamp sets, on create, what the creator implies (a customer's own id
	// on the address book entry it creates).
	Stamp func(p *models.Principal, model *M)
	// Links fills attributes that are URLs on Kasse's own origin.
	Links func(model *M, out *R, baseURL string)
	// Load computes, in one batch for every model about to be shown, what
	// Derive needs from other rows (balances from child transactions).
	Load func(tx *gorm.DB, models []*M) error
	// OnCreate runs in the create's transaction after the row is written,
	// for work that needs the row (scheduling a provider call).
	OnCreate func(c *Call, model *M) error
	// Within holds the rows of a type that shares its table with others
	// (payment_gateways and checkout_com_gateways, transactions and
	// captures): every read and write of the type adds it.
	Within []db.Condition
	// ParentOrder is the model column holding the id of the order a row
	// belongs to (line items, payment sources, transactions). The engine
	// then locks that order before it locks the row, on every write, so
	// writers of an order and of its children take their locks in one
	// order and cannot deadlock.
	ParentOrder string
}

// Definition is one registered resource type.
type Definition struct {
	Type          string
	Description   string
	Actions       Actions
	Attributes    []*Attribute
	Relationships []*Relationship
	Triggers      []*TriggerInfo
	Table         string
	Access        Access
	// ParentOrder is Spec.ParentOrder: the column holding the order id
	// the engine locks first ("" for a type that belongs to no order).
	ParentOrder string
	fixed       []db.Condition
	specs       []serializers.RelationshipSpec // what the serializer needs of Relationships, built once

	reprType  reflect.Type
	modelType reflect.Type
	idField   []int
	render    func(model any, baseURL string) any
	load      func(tx *gorm.DB, models []any) error
	stamp     func(p *models.Principal, model any)
	onCreate  func(c *Call, model any) error
	newModel  func() any
	newSlice  func() any
	elements  func(slice any) []any
}

// within is scope plus the type's fixed conditions (a fresh slice).
func (d *Definition) within(scope []db.Condition) []db.Condition {
	out := make([]db.Condition, 0, len(d.fixed)+len(scope)+1)
	return append(append(out, d.fixed...), scope...)
}

// Attribute finds a declared attribute by name.
func (d *Definition) Attribute(name string) *Attribute {
	for _, a := range d.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Relationship finds a declared relationship by name.
func (d *Definition) Relationship(name string) *Relationship {
	for _, r := range d.Relationships {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Trigger finds a declared trigger by name.
func (d *Definition) Trigger(name string) *TriggerInfo {
	for _, t := range d.Triggers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// RelationshipSpecs is what the serializer needs of the relationships.
func (d *Definition) RelationshipSpecs() []serializers.RelationshipSpec {
	out := make([]serializers.RelationshipSpec, len(d.Relationships))
	for i, r := range d.Relationships {
		out[i] = serializers.RelationshipSpec{Name: r.Name, ToMany: r.ToMany}
	}
	return out
}

// Node renders a model as a serializer node with no relationships loaded;
// baseURL is the origin for URL attributes (webhook_endpoint_url).
func (d *Definition) Node(model any, baseURL string) *serializers.Node {
	return &serializers.Node{Value: d.render(model, baseURL), Relationships: d.specs, Related: map[string][]*serializers.Node{}}
}

// prepare runs the type's batch Load on freshly read models.
func (d *Definition) prepare(tx *gorm.DB, models []any) error {
	if d.load == nil || len(models) == 0 {
		return nil
	}
	return d.load(tx, models)
}

// ID reads a model's id.
func (d *Definition) ID(model any) string {
	return reflect.ValueOf(model).Elem().FieldByIndex(d.idField).String()
}

// column reads a model's column value (nil for a nil pointer).
func (d *Definition) column(model any, column string) any {
	idx, ok := modelColumns(d.modelType)[column]
	if !ok {
		panic(fmt.Sprintf("%s has no column %s", d.Type, column))
	}
	v := reflect.ValueOf(model).Elem().FieldByIndex(idx)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		return v.Elem().Interface()
	}
	return v.Interface()
}

// setColumn writes a model's column from a Go value of the right type.
func (d *Definition) setColumn(model any, column string, value any) {
	idx := modelColumns(d.modelType)[column]
	f := reflect.ValueOf(model).Elem().FieldByIndex(idx)
	if value == nil {
		f.Set(reflect.Zero(f.Type()))
		return
	}
	v := reflect.ValueOf(value)
	if f.Kind() == reflect.Pointer && v.Kind() != reflect.Pointer {
		p := reflect.New(f.Type().Elem())
		p.Elem().Set(v.Convert(f.Type().Elem()))
		f.Set(p)
		return
	}
	f.Set(v.Convert(f.Type()))
}

// modelField returns the addressable field of a model for an attribute.
func (d *Definition) modelField(model any, a *Attribute) reflect.Value {
	return reflect.ValueOf(model).Elem().FieldByIndex(a.modelField)
}

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
	if s.OnCreate != nil {
		onCreate := s.OnCreate
		d.onCreate = func(c *Call, model any) error { return onCreate(c, model.(*M)) }
	}
	if s.Stamp != nil {
		stamp := s.Stamp
		d.stamp = func(p *models.Principal, model any) { stamp(p, model.(*M)) }
	}
	cols := modelColumns(mt)
	d.idField = cols["id"]
	if s.ParentOrder != "" {
		if _, ok := cols[s.ParentOrder]; !ok {
			panic(fmt.Sprintf("%s: model has no parent order column %s", s.Type, s.ParentOrder))
		}
		d.ParentOrder = s.ParentOrder
	}
	for i := range s.Relationships {
		r := s.Relationships[i]
		if len(r.Polymorphic) > 0 && r.Target == "" {
			r.Target = r.Polymorphic[0]
		}
		if r.ForeignKey != "" {
			if _, ok := cols[r.ForeignKey]; !ok {
				panic(fmt.Sprintf("%s.%s: model has no column %s", s.Type, r.Name, r.ForeignKey))
			}
		}
		d.Relationships = append(d.Relationships, &r)
	}
	d.specs = d.RelationshipSpecs()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := strings.Split(f.Tag.Get("jsonapi"), ",")
		if len(tag) < 2 {
			continue
		}
		if tag[0] == "primary" {
			if tag[1] != s.Type {
				panic(fmt.Sprintf("%s: representation says type %s", s.Type, tag[1]))
			}
			continue
		}
		if tag[0] != "attr" {
			panic(fmt.Sprintf("%s.%s: only primary and attr tags are used; relationships are declared in the Spec", s.Type, f.Name))
		}
		a := &Attribute{Name: tag[1], reprField: []int{i}, Description: f.Tag.Get("doc")}
		a.Type, a.Nullable = attrTypeOf(f.Type)
		column := ""
		for _, opt := range strings.Split(f.Tag.Get("kasse"), ",") {
			switch {
			case opt == "":
			case opt == "create":
				a.Create = true
			case opt == "update":
				a.Update = true
			case opt == "required":
				a.Required = true
			case opt == "filter":
				a.Filter = true
			case opt == "sort":
				a.Sort = true
			case opt == "writeonly":
				a.WriteOnly = true
			case opt == "stored":
				column = a.Name
			case strings.HasPrefix(opt, "column="):
				column = strings.TrimPrefix(opt, "column=")
			case strings.HasPrefix(opt, "writers="):
				a.Writers = strings.Split(strings.TrimPrefix(opt, "writers="), "|")
			case strings.HasPrefix(opt, "enum="):
				a.Enum = strings.Split(strings.TrimPrefix(opt, "enum="), "|")
			default:
				panic(fmt.Sprintf("%s.%s: unknown kasse tag option %q", s.Type, a.Name, opt))
			}
		}
		if column == "" && (a.Create || a.Update || a.Filter || a.Sort) {
			column = a.Name
		}
		if column == "" {
			if _, ok := cols[a.Name]; ok {
				column = a.Name
			}
		}
		if column != "" {
			idx, ok := cols[column]
			if !ok {
				panic(fmt.Sprintf("%s.%s: model has no column %s", s.Type, a.Name, column))
			}
			a.Column, a.modelField = column, idx
		}
		d.Attributes = append(d.Attributes, a)
	}
	for i := range s.Triggers {
		t := s.Triggers[i]
		if t.Type == "" {
			t.Type = Boolean
		}
		d.Triggers = append(d.Triggers, &TriggerInfo{Name: t.Name, Type: t.Type, OnCreate: t.OnCreate, Writers: t.Writers, Description: t.Description,
			run: func(c *Call, model any, value json.RawMessage) error { return t.Run(c, model.(*M), value) }})
	}
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
	if s.Load != nil {
		load := s.Load
		d.load = func(tx *gorm.DB, models []any) error {
			typed := make([]*M, len(models))
			for i, m := range models {
				typed[i] = m.(*M)
			}
			return load(tx, typed)
		}
	}
	// Render a zero model once so a type mismatch between model and
	// representation fails at start-up, not on the first request.
	d.render(new(M), "")
	return d
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

// Registry is the set of resource types the server serves.
type Registry struct {
	byType map[string]*Definition
	order  []*Definition
}

// NewRegistry registers definitions and checks that every relationship
// points to a registered type.
func NewRegistry(defs ...*Definition) *Registry {
	r := &Registry{byType: map[string]*Definition{}}
	for _, d := range defs {
		if _, dup := r.byType[d.Type]; dup {
			panic("resource type registered twice: " + d.Type)
		}
		r.byType[d.Type] = d
		r.order = append(r.order, d)
	}
	for _, d := range defs {
		for _, rel := range d.Relationships {
			for _, target := range append(append([]string{rel.Target}, rel.Polymorphic...), rel.Accepts...) {
				if _, ok := r.byType[target]; !ok {
					panic(fmt.Sprintf("%s.%s points to unregistered type %s", d.Type, rel.Name, target))
				}
			}
			if len(rel.Polymorphic) > 0 && (rel.Create || rel.Update || rel.ToMany || rel.TypeColumn == "" || rel.ForeignKey == "") {
				panic(fmt.Sprintf("%s.%s: polymorphic relationships are read-only to-ones with a type column and a foreign key", d.Type, rel.Name))
			}
		}
	}
	return r
}

// Lookup finds a definition by type name.
func (r *Registry) Lookup(typ string) (*Definition, bool) {
	d, ok := r.byType[typ]
	return d, ok
}

// All lists the definitions in registration order.
func (r *Registry) All() []*Definition { return slices.Clone(r.order) }
