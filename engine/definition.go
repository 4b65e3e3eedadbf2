package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"gorm.io/gorm"

	"kasse/db"
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

// Time is the representation type of a timestamp attribute (ISO 8601 in
// UTC with milliseconds).
type Time = serializers.Time

// Attribute is one declared attribute (Spec.Attributes, made from an Attr)
// as the type-agnostic engine, the handlers and the OpenAPI document see
// it.
type Attribute struct {
	Name     string
	Type     AttrType
	Nullable bool
	// NullWrite lets a body send null for an attribute that is always
	// shown with a value (Attr.NullClears): null clears its stored column.
	NullWrite bool
	Create    bool
	Update    bool
	Required  bool // required on create
	Filter    bool
	Sort      bool
	WriteOnly bool
	Enum      []string
	Writers   []string // roles that may write it besides integration; nil: any role that may write the type
	Readers   []string // roles that see it besides integration; nil: any role that sees the type
	Column    string   // the model column it is stored in; "" when derived
	// MaxLength is a text attribute's maximum length in characters
	// (0 for other types), checked on writes and filters.
	MaxLength   int
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

// Actions are the endpoints a type offers.
type Actions struct {
	List, Retrieve, Create, Update, Delete bool
	// Singleton types have one row, retrieved at GET /api/{type} without
	// an id (the organization); Retrieve must be set too, and List must
	// not (the path is the one row's).
	Singleton bool
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
	// Attributes declares the attributes, one Attr each: every
	// `jsonapi:"attr,…"` field of R exactly once (see Attr).
	Attributes []Attr
	// Render shows a model as its representation, the id and every
	// attribute set explicitly, derived ones (amount_float, full_name)
	// included; the engine only clears the write-only attributes
	// afterwards, whatever Render set, and adds Links.
	Render func(model *M) *R
	// Access is who may do what; see Access.
	Access Access
	// Stamp sets, on create, what the creator implies (a customer's own id
	// on the address book entry it creates).
	Stamp func(p *models.Principal, model *M)
	// Links fills attributes that are URLs on Kasse's own origin.
	Links func(model *M, out *R, baseURL string)
	// Load computes, in one batch for every model about to be shown, what
	// Render needs from other rows (balances from child transactions).
	Load func(tx *gorm.DB, models []*M) error
	// Check runs in the write's transaction before the model's own rules,
	// for checks that need the engine or the operator's settings (a
	// webhook's include paths and callback URL).
	Check func(c *Call, model *M, creating bool) error
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
	// RequireIdempotencyKey makes an Idempotency-Key header mandatory on
	// the type's create (400 IDEMPOTENCY_KEY_MISSING without one).
	RequireIdempotencyKey bool
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
	// RequireIdempotencyKey is Spec.RequireIdempotencyKey.
	RequireIdempotencyKey bool
	fixed                 []db.Condition
	specs                 []serializers.RelationshipSpec // what the serializer needs of Relationships, built once

	reprType  reflect.Type
	modelType reflect.Type
	idField   []int
	render    func(model any, baseURL string) any
	// restricted are the attributes only some roles see (Readers).
	restricted []*Attribute
	load       func(tx *gorm.DB, models []any) error
	stamp      func(p *models.Principal, model any)
	onCreate   func(c *Call, model any) error
	check      func(c *Call, model any, creating bool) error
	newModel   func() any
	newSlice   func() any
	elements   func(slice any) []any
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
func (d *Definition) Node(p *models.Principal, model any, baseURL string) *serializers.Node {
	value := d.render(model, baseURL)
	if value != nil && len(d.restricted) > 0 && (p == nil || p.Role != models.RoleIntegration) {
		rv := reflect.ValueOf(value).Elem()
		for _, a := range d.restricted {
			if p == nil || !slices.Contains(a.Readers, p.Role) {
				f := rv.FieldByIndex(a.reprField)
				f.Set(reflect.Zero(f.Type()))
			}
		}
	}
	return &serializers.Node{Value: value, Relationships: d.specs}
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
