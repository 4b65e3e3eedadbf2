package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

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
// once, each with its source pointer.
func (e *Engine) apply(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, model any, body *serializers.ResourceBody, creating bool) ([]pendingTrigger, error) {
	var problems errs.List
	var triggers []pendingTrigger
	action := "updated"
	if creating {
		action = "set on create"
	}
	for _, name := range sortedKeys(body.Attributes) {
		raw := body.Attributes[name]
		ptr := errs.AttributePointer(name)
		if t := def.Trigger(name); t != nil {
			if t.Writers != nil && p != nil && p.Role != models.RoleIntegration && !slices.Contains(t.Writers, p.Role) {
				problems = append(problems, errs.New(errs.ParamNotAllowed, "%s cannot be sent by a %s", name, p.Role).At(ptr))
				continue
			}
			if creating && !t.OnCreate {
				problems = append(problems, errs.New(errs.ParamNotAllowed, "%s cannot be sent on create", name).At(ptr))
				continue
			}
			run, err := triggerRequested(t, raw)
			if err != nil {
				problems = append(problems, err.At(ptr))
			} else if run {
				triggers = append(triggers, pendingTrigger{info: t, value: raw})
			}
			continue
		}
		a := def.Attribute(name)
		if a == nil {
			problems = append(problems, errs.New(errs.ParamNotAllowed, "%s is not an attribute of %s", name, def.Type).At(ptr))
			continue
		}
		if a.Writers != nil && p != nil && p.Role != models.RoleIntegration && !slices.Contains(a.Writers, p.Role) {
			problems = append(problems, errs.New(errs.ParamNotAllowed, "%s cannot be set by a %s", name, p.Role).At(ptr))
			continue
		}
		if (creating && !a.Create) || (!creating && !a.Update) {
			if a.ReadOnly() {
				problems = append(problems, errs.New(errs.ParamNotAllowed, "%s is read-only", name).At(ptr))
			} else {
				problems = append(problems, errs.New(errs.ParamNotAllowed, "%s cannot be %s", name, action).At(ptr))
			}
			continue
		}
		field := def.modelField(model, a)
		if isNull(raw) {
			if !a.Nullable || a.Required {
				problems = append(problems, errs.Invalid(name, "can't be blank"))
				continue
			}
			field.Set(reflect.Zero(field.Type()))
			continue
		}
		dest := reflect.New(field.Type())
		if err := serializers.DecodeValue(raw, dest.Interface()); err != nil {
			problems = append(problems, errs.New(errs.InvalidFieldValue, "%s must be %s", name, typeName(a.Type)).At(ptr))
			continue
		}
		if len(a.Enum) > 0 {
			v := reflect.Indirect(dest.Elem())
			if v.IsValid() && !slices.Contains(a.Enum, v.String()) {
				problems = append(problems, errs.Invalid(name, "must be one of "+strings.Join(a.Enum, ", ")))
				continue
			}
		}
		field.Set(dest.Elem())
	}
	for _, name := range sortedKeys(body.Relationships) {
		rb := body.Relationships[name]
		ptr := errs.RelationshipPointer(name)
		rel := def.Relationship(name)
		if rel == nil {
			problems = append(problems, errs.New(errs.ParamNotAllowed, "%s is not a relationship of %s", name, def.Type).At(ptr))
			continue
		}
		if (creating && !rel.Create) || (!creating && !rel.Update) || rel.ToMany || rel.ForeignKey == "" {
			problems = append(problems, errs.New(errs.ParamNotAllowed, "relationship %s cannot be %s", name, action).At(ptr))
			continue
		}
		id, err := rb.One(ptr)
		if err != nil {
			problems = append(problems, err.(*errs.Error))
			continue
		}
		if id == nil {
			if rel.Required {
				problems = append(problems, errs.New(errs.ValidationError, "%s - can't be blank", name).At(ptr))
				continue
			}
			def.setColumn(model, rel.ForeignKey, nil)
			continue
		}
		if id.Type != rel.Target && !slices.Contains(rel.Accepts, id.Type) {
			problems = append(problems, errs.New(errs.TypeMismatch, "%s must be a %s resource, not %s", name, rel.Target, id.Type).At(ptr+"/data/type"))
			continue
		}
		target, _ := e.Registry.Lookup(id.Type)
		visible, ok := target.readScope(p)
		if !ok {
			problems = append(problems, errs.NotFound(target.Type, id.ID).At(ptr+"/data/id"))
			continue
		}
		if _, err := e.find(ctx, tx, target, id.ID, visible); err != nil {
			if list, ok := errs.As(err); ok {
				problems = append(problems, list[0].At(ptr+"/data/id"))
				continue
			}
			return nil, err
		}
		def.setColumn(model, rel.ForeignKey, id.ID)
	}
	if creating {
		for _, a := range def.Attributes {
			if !a.Required {
				continue
			}
			if _, sent := body.Attributes[a.Name]; !sent || blank(def.modelField(model, a)) {
				if !slices.ContainsFunc(problems, func(p *errs.Error) bool { return p.Pointer == errs.AttributePointer(a.Name) }) {
					problems = append(problems, errs.Invalid(a.Name, "can't be blank"))
				}
			}
		}
		for _, rel := range def.Relationships {
			if _, sent := body.Relationships[rel.Name]; rel.Required && !sent {
				problems = append(problems, errs.New(errs.ValidationError, "%s - can't be blank", rel.Name).At(errs.RelationshipPointer(rel.Name)))
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	// Triggers run in their declaration order, whatever the body's order.
	slices.SortStableFunc(triggers, func(a, b pendingTrigger) int {
		return slices.Index(def.Triggers, a.info) - slices.Index(def.Triggers, b.info)
	})
	return triggers, nil
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

// triggerRequested reads a trigger's value: a boolean trigger runs on true
// (or 1, as some clients send) and is skipped on false; a valued trigger
// runs on any non-null value.
func triggerRequested(t *TriggerInfo, raw json.RawMessage) (bool, *errs.Error) {
	if isNull(raw) {
		return false, nil
	}
	if t.Type != Boolean {
		return true, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, errs.New(errs.InvalidFieldValue, "%s must be true or false", t.Name)
	}
	switch v := v.(type) {
	case bool:
		return v, nil
	case float64:
		return v != 0, nil
	case string:
		return v == "true" || v == "1", nil
	}
	return false, errs.New(errs.InvalidFieldValue, "%s must be true or false", t.Name)
}

// write runs a model's domain rules and stores it, then its triggers.
func (e *Engine) write(call *Call, model any, creating bool, triggers []pendingTrigger) error {
	tx := call.Tx
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
	call := &Call{Ctx: ctx, Principal: p, engine: e}
	var model any
	err := e.transact(ctx, func(tx *gorm.DB) error {
		model = e.newModel(p, def)
		call.Tx, call.after = tx, nil
		triggers, err := e.apply(ctx, tx, p, def, model, body, true)
		if err != nil {
			return err
		}
		if err := lockParent(tx, def, model); err != nil {
			return err
		}
		if err := e.write(call, model, true, triggers); err != nil {
			return err
		}
		if def.onCreate != nil {
			if err := def.onCreate(call, model); err != nil {
				return err
			}
		}
		return e.checkScope(ctx, tx, def, model, scope)
	})
	if err != nil {
		return "", translate(err)
	}
	return def.ID(model), call.runAfterCommit()
}

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
	call := &Call{Ctx: ctx, Principal: p, engine: e}
	err := e.transact(ctx, func(tx *gorm.DB) error {
		call.Tx, call.after = tx, nil
		model, err := e.lockedFind(ctx, tx, def, id, scope)
		if err != nil {
			return err
		}
		triggers, err := e.apply(ctx, tx, p, def, model, body, false)
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
