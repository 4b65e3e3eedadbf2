package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// pendingTrigger is a trigger sent in a body, run after the row is written.
type pendingTrigger struct {
	info  *TriggerInfo
	value json.RawMessage
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func typeName(t AttrType) string {
	switch t {
	case Integer:
		return "an integer"
	case Float:
		return "a number"
	case Boolean:
		return "true or false"
	case DateTime:
		return "an ISO 8601 time"
	case Object:
		return "an object"
	case Array:
		return "an array"
	}
	return "a string"
}

// apply writes the body's attributes and relationships onto model and
// returns the triggers it carries. Every problem in the body is reported at
// once, each with its source pointer. It also returns the order a new
// resource belongs to when its visibility check locked it
// (setRelationship).
func (e *Engine) apply(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, model any, body *serializers.ResourceBody, creating bool) ([]pendingTrigger, *models.Order, error) {
	var problems errs.List
	var triggers []pendingTrigger
	var parent *models.Order
	for _, name := range sortedKeys(body.Attributes) {
		raw := body.Attributes[name]
		if t := def.Trigger(name); t != nil {
			run, problem := checkTrigger(p, t, raw, creating)
			if problem != nil {
				problems = append(problems, problem)
			} else if run {
				triggers = append(triggers, pendingTrigger{info: t, value: raw})
			}
			continue
		}
		if problem := setAttribute(p, def, model, name, raw, creating); problem != nil {
			problems = append(problems, problem)
		}
	}
	for _, name := range sortedKeys(body.Relationships) {
		problem, locked, err := e.setRelationship(ctx, tx, p, def, model, name, body.Relationships[name], creating)
		if err != nil {
			return nil, nil, err
		}
		if problem != nil {
			problems = append(problems, problem)
		}
		if locked != nil {
			parent = locked
		}
	}
	if creating {
		problems = append(problems, missingRequired(def, model, body, problems)...)
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	// Triggers run in their declaration order, whatever the body's order.
	slices.SortStableFunc(triggers, func(a, b pendingTrigger) int {
		return slices.Index(def.Triggers, a.info) - slices.Index(def.Triggers, b.info)
	})
	return triggers, parent, nil
}

// mayWrite says whether p may write what writers restricts (nil: any role
// that may write the type; integrations and internal callers always may).
func mayWrite(p *models.Principal, writers []string) bool {
	return writers == nil || p == nil || p.Role == models.RoleIntegration || slices.Contains(writers, p.Role)
}

// verbing is how a problem names what the body tried.
func verbing(creating bool) string {
	if creating {
		return "set on create"
	}
	return "updated"
}

// checkTrigger says whether a trigger sent in a body runs, or why it may
// not be sent.
func checkTrigger(p *models.Principal, t *TriggerInfo, raw json.RawMessage, creating bool) (bool, *errs.Error) {
	ptr := errs.AttributePointer(t.Name)
	if !mayWrite(p, t.Writers) {
		return false, errs.New(errs.ParamNotAllowed, "%s cannot be sent by a %s", t.Name, p.Role).At(ptr)
	}
	if creating && !t.OnCreate {
		return false, errs.New(errs.ParamNotAllowed, "%s cannot be sent on create", t.Name).At(ptr)
	}
	run, err := triggerRequested(t, raw)
	if err != nil {
		return false, err.At(ptr)
	}
	var text string
	if t.Type == String && json.Unmarshal(raw, &text) == nil && tooLong(text, MaxName) {
		return false, errs.Invalid(t.Name, fmt.Sprintf("is too long (maximum is %d characters)", MaxName))
	}
	return run, nil
}

// setAttribute decodes one attribute of a body onto the model's field.
func setAttribute(p *models.Principal, def *Definition, model any, name string, raw json.RawMessage, creating bool) *errs.Error {
	ptr := errs.AttributePointer(name)
	a := def.Attribute(name)
	switch {
	case a == nil:
		return errs.New(errs.ParamNotAllowed, "%s is not an attribute of %s", name, def.Type).At(ptr)
	case !mayWrite(p, a.Writers):
		return errs.New(errs.ParamNotAllowed, "%s cannot be set by a %s", name, p.Role).At(ptr)
	case a.ReadOnly():
		return errs.New(errs.ParamNotAllowed, "%s is read-only", name).At(ptr)
	case !a.writable(creating):
		return errs.New(errs.ParamNotAllowed, "%s cannot be %s", name, verbing(creating)).At(ptr)
	}
	field := def.modelField(model, a)
	if isNull(raw) {
		if !(a.Nullable || a.NullWrite) || a.Required {
			return errs.Invalid(name, "can't be blank")
		}
		field.Set(reflect.Zero(field.Type()))
		return nil
	}
	dest := reflect.New(field.Type())
	if err := serializers.DecodeValue(raw, dest.Interface()); err != nil {
		return errs.New(errs.InvalidFieldValue, "%s must be %s", name, typeName(a.Type)).At(ptr)
	}
	if problem := checkText(a, reflect.Indirect(dest.Elem())); problem != nil {
		return problem
	}
	field.Set(dest.Elem())
	return nil
}

// checkText holds a sent text value to the attribute's maximum length and
// enum (v is invalid for a null).
func checkText(a *Attribute, v reflect.Value) *errs.Error {
	if !v.IsValid() || v.Kind() != reflect.String {
		return nil
	}
	if tooLong(v.String(), a.MaxLength) {
		return errs.Invalid(a.Name, fmt.Sprintf("is too long (maximum is %d characters)", a.MaxLength))
	}
	if len(a.Enum) > 0 && !slices.Contains(a.Enum, v.String()) {
		return errs.Invalid(a.Name, "must be one of "+strings.Join(a.Enum, ", "))
	}
	return nil
}

// tooLong says whether s has more than max characters (max 0: no limit).
func tooLong(s string, max int) bool {
	return max > 0 && len(s) > max && utf8.RuneCountInString(s) > max
}

// writable says whether a body may set the attribute on create or update.
func (a *Attribute) writable(creating bool) bool {
	if creating {
		return a.Create
	}
	return a.Update
}

// writable says whether a body may set the relationship: a stored to-one
// the type lets be set on create or update.
func (r *Relationship) writable(creating bool) bool {
	if r.ToMany || r.ForeignKey == "" {
		return false
	}
	if creating {
		return r.Create
	}
	return r.Update
}

// setRelationship sets the foreign key of a to-one sent in a body, to a
// resource p may see. A problem with the body is the first result, a
// database failure the second. The order a new resource belongs to is
// read for its visibility with its lock: the transaction's first lock
// (the other relationships' checks lock nothing), as lockParent would take
// it, so it is not read again.
func (e *Engine) setRelationship(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, model any, name string, rb serializers.RelationshipBody, creating bool) (*errs.Error, *models.Order, error) {
	ptr := errs.RelationshipPointer(name)
	rel := def.Relationship(name)
	if rel == nil {
		return errs.New(errs.ParamNotAllowed, "%s is not a relationship of %s", name, def.Type).At(ptr), nil, nil
	}
	if !rel.writable(creating) {
		return errs.New(errs.ParamNotAllowed, "relationship %s cannot be %s", name, verbing(creating)).At(ptr), nil, nil
	}
	id, err := rb.One(ptr)
	if err != nil {
		return err.(*errs.Error), nil, nil
	}
	if id == nil {
		if rel.Required {
			return errs.New(errs.ValidationError, "%s - can't be blank", name).At(ptr), nil, nil
		}
		def.setColumn(model, rel.ForeignKey, nil)
		return nil, nil, nil
	}
	if id.Type != rel.Target && !slices.Contains(rel.Accepts, id.Type) {
		return errs.New(errs.TypeMismatch, "%s must be a %s resource, not %s", name, rel.Target, id.Type).At(ptr + "/data/type"), nil, nil
	}
	parent := creating && def.ParentOrder != "" && rel.ForeignKey == def.ParentOrder && id.Type == "orders"
	read := tx
	if parent {
		read = db.ForUpdate(tx)
	}
	found, problem, err := e.checkVisible(ctx, read, p, *id, ptr+"/data/id")
	if problem != nil || err != nil {
		return problem, nil, err
	}
	def.setColumn(model, rel.ForeignKey, id.ID)
	if order, ok := found.(*models.Order); ok && parent {
		return nil, order, nil
	}
	return nil, nil, nil
}

// checkVisible is a 404 at pointer unless p may see the resource id names,
// which it returns.
func (e *Engine) checkVisible(ctx context.Context, tx *gorm.DB, p *models.Principal, id serializers.Identifier, pointer string) (any, *errs.Error, error) {
	target, _ := e.Registry.Lookup(id.Type)
	visible, ok := target.readScope(p)
	if !ok {
		return nil, errs.NotFound(target.Type, id.ID).At(pointer), nil
	}
	found, err := e.find(ctx, tx, target, id.ID, visible)
	if err != nil {
		if list, ok := errs.As(err); ok {
			return nil, list[0].At(pointer), nil
		}
		return nil, nil, err
	}
	return found, nil, nil
}

// missingRequired reports the required attributes and relationships a
// create body left out or blank (beyond the problems already found).
func missingRequired(def *Definition, model any, body *serializers.ResourceBody, found errs.List) errs.List {
	var out errs.List
	for _, a := range def.Attributes {
		if !a.Required {
			continue
		}
		ptr := errs.AttributePointer(a.Name)
		_, sent := body.Attributes[a.Name]
		reported := slices.ContainsFunc(found, func(p *errs.Error) bool { return p.Pointer == ptr })
		if (!sent || blank(def.modelField(model, a))) && !reported {
			out = append(out, errs.Invalid(a.Name, "can't be blank"))
		}
	}
	for _, rel := range def.Relationships {
		if _, sent := body.Relationships[rel.Name]; rel.Required && !sent {
			out = append(out, errs.New(errs.ValidationError, "%s - can't be blank", rel.Name).At(errs.RelationshipPointer(rel.Name)))
		}
	}
	return out
}

// blank says whether a required value is missing: nil, or text that is
// empty (0 and false are values).
func blank(v reflect.Value) bool {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return true
		}
		v = v.Elem()
	}
	return v.Kind() == reflect.String && strings.TrimSpace(v.String()) == ""
}

// triggerRequested reads a trigger's value: a boolean trigger runs on
// JSON true and is skipped on false or null; a valued trigger runs on any
// non-null value.
func triggerRequested(t *TriggerInfo, raw json.RawMessage) (bool, *errs.Error) {
	if isNull(raw) {
		return false, nil
	}
	if t.Type != Boolean {
		return true, nil
	}
	// Only JSON true runs it: 1, -1, "true" or "yes" are mistakes, and a
	// mistaken trigger (a capture, a cancel) must not run by accident.
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, errs.New(errs.InvalidFieldValue, "%s must be true (or false or null, which do nothing)", t.Name)
	}
	return v, nil
}

// write runs a model's domain rules and stores it, then its triggers.
func (e *Engine) write(call *Call, model any, creating bool, triggers []pendingTrigger) error {
	tx := call.Tx
	if def := call.def; def != nil && def.check != nil {
		if err := def.check(call, model, creating); err != nil {
			return err
		}
	}
	if w, ok := model.(models.Writer); ok {
		if err := w.BeforeWrite(tx, creating); err != nil {
			return err
		}
	}
	var err error
	if creating {
		err = tx.Create(model).Error
	} else {
		err = tx.Save(model).Error
	}
	if err != nil {
		return err
	}
	for _, t := range triggers {
		if err := t.info.run(call, model, t.value); err != nil {
			if list, ok := errs.As(err); ok {
				for i, item := range list {
					if item.Pointer == "" {
						list[i] = item.At(errs.AttributePointer(t.info.Name))
					}
				}
				return list
			}
			return err
		}
	}
	if len(triggers) > 0 {
		if err := tx.Save(model).Error; err != nil {
			return err
		}
	}
	if w, ok := model.(models.AfterWriter); ok {
		return w.AfterWrite(tx)
	}
	return nil
}

// translate turns constraint failures that slipped past the models' checks
// (a concurrent writer) into client errors.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case db.IsUniqueViolation(err):
		return errs.New(errs.ValidationError, "a resource with the same unique values already exists")
	case db.IsForeignKeyViolation(err):
		return errs.New(errs.ValidationError, "the resource is referenced by other resources, or references one that does not exist")
	}
	return err
}

// checkScope holds a written row to the scope of the grant that allowed the
// write, so a customer cannot create or move a row into someone else's
// hands.
func (e *Engine) checkScope(ctx context.Context, tx *gorm.DB, def *Definition, model any, scope []db.Condition) error {
	if scope == nil {
		return nil
	}
	id := def.ID(model)
	if _, err := e.find(ctx, tx, def, id, scope); err != nil {
		if _, ok := errs.As(err); ok {
			return errs.New(errs.RecordNotFound, "a resource this %s refers to was not found", def.Type)
		}
		return err
	}
	return nil
}

// Create inserts a resource from a request body on behalf of p and
// returns its id.
func (e *Engine) Create(ctx context.Context, p *models.Principal, def *Definition, body *serializers.ResourceBody) (string, error) {
	scope, allowed := def.Permit(p, Create)
	if !allowed {
		return "", ErrDenied(def, Create)
	}
	if body.Type != def.Type {
		return "", errs.New(errs.TypeMismatch, "type %s does not match the endpoint's type %s", body.Type, def.Type).At("/data/type")
	}
	if body.ID != nil {
		return "", errs.New(errs.Forbidden, "client-generated ids are not supported").At("/data/id")
	}
	claim := models.IdempotencyClaimFrom(ctx)
	if id, ok := claim.Created(def.Type); ok {
		return e.resumeCreate(ctx, p, def, id, scope)
	}
	call := &Call{Ctx: ctx, Principal: p, engine: e, def: def}
	var model any
	err := e.transact(ctx, func(tx *gorm.DB) error {
		call.Tx, call.after = tx, nil
		var err error
		if model, err = e.createIn(call, body, scope); err != nil {
			return err
		}
		return claim.RecordCreated(tx, def.Type, def.ID(model))
	})
	if err != nil {
		return "", translate(err)
	}
	id := def.ID(model)
	if err := call.runAfterCommit(); err != nil {
		return id, &CommittedError{ID: id, Err: err}
	}
	return id, nil
}

// createIn creates one resource in call's transaction: its attributes and
// relationships, the parent lock, its rules and triggers, its after-create
// work, the grant's scope and its create event.
func (e *Engine) createIn(call *Call, body *serializers.ResourceBody, scope []db.Condition) (any, error) {
	ctx, tx, p, def := call.Ctx, call.Tx, call.Principal, call.def
	model := e.newModel(p, def)
	triggers, locked, err := e.apply(ctx, tx, p, def, model, body, true)
	if err != nil {
		return nil, err
	}
	if err := lockParent(tx, def, model, locked); err != nil {
		return nil, err
	}
	if err := e.write(call, model, true, triggers); err != nil {
		return nil, err
	}
	if def.onCreate != nil {
		if err := def.onCreate(call, model); err != nil {
			return nil, err
		}
	}
	if err := e.checkScope(ctx, tx, def, model, scope); err != nil {
		return nil, err
	}
	return model, models.Emit(tx, def.Type+".create", def.Type, def.ID(model))
}

// resumeCreate finishes a create that an earlier run of the same
// idempotent request committed before its server died: the resource is
// not created again; its after-create work (a payment's authorization) is
// run again, which its provider idempotency key, derived from the
// resource's id, makes safe — the provider answers the first call's
// outcome instead of charging twice.
func (e *Engine) resumeCreate(ctx context.Context, p *models.Principal, def *Definition, id string, scope []db.Condition) (string, error) {
	call := &Call{Ctx: ctx, Principal: p, engine: e}
	err := e.transact(ctx, func(tx *gorm.DB) error {
		call.Tx, call.after = tx, nil
		model, err := e.find(ctx, tx, def, id, scope)
		if err != nil {
			return err
		}
		if def.onCreate != nil {
			return def.onCreate(call, model)
		}
		return nil
	})
	if err != nil {
		return "", translate(err)
	}
	if err := call.runAfterCommit(); err != nil {
		return id, &CommittedError{ID: id, Err: err}
	}
	return id, nil
}

// CommittedError is a create whose row was committed but whose
// after-commit work (a provider call, and recording its answer) failed.
// The resource exists: the answer is the resource as it stands, never an
// error a client would retry into a duplicate. What the work left
// unsettled (a payment still pending) is settled by `_refresh` or the
// reconciler.
type CommittedError struct {
	ID  string
	Err error
}

func (e *CommittedError) Error() string { return "created " + e.ID + ", then: " + e.Err.Error() }

func (e *CommittedError) Unwrap() error { return e.Err }

// newModel is a fresh model with its defaults and what its creator implies.
func (e *Engine) newModel(p *models.Principal, def *Definition) any {
	model := def.newModel()
	if d, ok := model.(models.Defaulter); ok {
		d.SetDefaults()
	}
	if def.stamp != nil && p != nil {
		def.stamp(p, model)
	}
	return model
}

// checkIdentity holds a PATCH body to the URL: the same type and id.
func checkIdentity(def *Definition, id string, body *serializers.ResourceBody) error {
	if body.Type != def.Type {
		return errs.New(errs.TypeMismatch, "type %s does not match the endpoint's type %s", body.Type, def.Type).At("/data/type")
	}
	if body.ID == nil {
		return errs.New(errs.InvalidDataFormat, "data needs the id of the resource to update").At("/data/id")
	}
	if *body.ID != id {
		return errs.New(errs.KeyNotIncludedInURL, "the id %q in the body is not the id %q in the URL", *body.ID, id).At("/data/id")
	}
	return nil
}

// Update changes only the attributes and relationships the body sent, on
// a resource p may update.
func (e *Engine) Update(ctx context.Context, p *models.Principal, def *Definition, id string, body *serializers.ResourceBody) error {
	scope, allowed := def.Permit(p, Update)
	if !allowed {
		return errs.NotFound(def.Type, id)
	}
	if err := checkIdentity(def, id, body); err != nil {
		return err
	}
	call := &Call{Ctx: ctx, Principal: p, engine: e, def: def}
	err := e.transact(ctx, func(tx *gorm.DB) error {
		call.Tx, call.after = tx, nil
		model, err := e.lockedFind(ctx, tx, def, id, scope)
		if err != nil {
			return err
		}
		triggers, _, err := e.apply(ctx, tx, p, def, model, body, false)
		if err != nil {
			return err
		}
		return e.write(call, model, false, triggers)
	})
	if err != nil {
		return translate(err)
	}
	return call.runAfterCommit()
}

// Delete removes a resource p may delete, unless its model refuses.
func (e *Engine) Delete(ctx context.Context, p *models.Principal, def *Definition, id string) error {
	scope, allowed := def.Permit(p, Delete)
	if !allowed {
		return errs.NotFound(def.Type, id)
	}
	err := e.transact(ctx, func(tx *gorm.DB) error {
		model, err := e.lockedFind(ctx, tx, def, id, scope)
		if err != nil {
			return err
		}
		if d, ok := model.(models.Deleter); ok {
			if err := d.BeforeDestroy(tx); err != nil {
				return err
			}
		}
		if err := models.Emit(tx, def.Type+".destroy", def.Type, id); err != nil {
			return err
		}
		if err := tx.Delete(model).Error; err != nil {
			return err
		}
		if d, ok := model.(models.AfterDestroyr); ok {
			return d.AfterDestroy(tx)
		}
		return nil
	})
	return translate(err)
}

// SetToOne replaces a to-one relationship through its relationship
// endpoint (PATCH /api/{type}/{id}/relationships/{name}).
func (e *Engine) SetToOne(ctx context.Context, p *models.Principal, def *Definition, id string, rel *Relationship, body serializers.RelationshipBody) error {
	if rel.ToMany || !rel.Update || rel.ForeignKey == "" {
		return errs.New(errs.Forbidden, "relationship %s of %s cannot be changed through this endpoint", rel.Name, def.Type)
	}
	resourceBody := &serializers.ResourceBody{Type: def.Type, ID: &id, Relationships: map[string]serializers.RelationshipBody{rel.Name: body}}
	err := e.Update(ctx, p, def, id, resourceBody)
	if list, ok := errs.As(err); ok {
		// Point into the relationship endpoint's body, not a resource body.
		prefix := errs.RelationshipPointer(rel.Name)
		for i, p := range list {
			if strings.HasPrefix(p.Pointer, prefix) {
				list[i] = p.At(strings.Replace(p.Pointer, prefix, "", 1))
				if list[i].Pointer == "" {
					list[i].Pointer = "/data"
				}
			}
		}
		return list
	}
	return err
}

// ErrToManyReadOnly is what relationship endpoints answer for to-many
// relationships that are changed through the related resources instead.
func ErrToManyReadOnly(def *Definition, rel *Relationship) error {
	return errs.New(errs.Forbidden, "%s of %s are changed through %s themselves, not through this endpoint", rel.Name, def.Type, rel.Target)
}
