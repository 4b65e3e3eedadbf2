package openapi

import (
	"fmt"
	"slices"
	"strings"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
)

// schema registers a component schema the first time it is used and
// returns a reference to it, so the document holds only what it uses.
func (g *generator) schema(name string, build func() *Schema) *Schema {
	if _, ok := g.doc.Components.Schemas[name]; !ok {
		g.doc.Components.Schemas[name] = nil // reserve: build may refer back
		g.doc.Components.Schemas[name] = build()
	}
	return schemaRef(name)
}

// nullable widens a schema to admit null.
func nullable(s *Schema) *Schema {
	if s.Ref != "" || s.Type == nil {
		return &Schema{OneOf: []*Schema{s, {Type: "null"}}}
	}
	c := *s
	if t, ok := s.Type.(string); ok {
		c.Type = []string{t, "null"}
	}
	if c.Enum != nil {
		c.Enum = append(slices.Clone(c.Enum), nil)
	}
	return &c
}

// valueSchema is the JSON schema of an attribute type.
func valueSchema(t engine.AttrType) *Schema {
	switch t {
	case engine.Integer:
		return &Schema{Type: "integer"}
	case engine.Float:
		return &Schema{Type: "number"}
	case engine.Boolean:
		return &Schema{Type: "boolean"}
	case engine.DateTime:
		return &Schema{Type: "string", Format: "date-time"}
	case engine.Object:
		return freeObject()
	case engine.Array:
		return &Schema{Type: "array", Items: &Schema{}}
	}
	return &Schema{Type: "string"}
}

// freeObject is a JSON object with any members (metadata, meta).
func freeObject() *Schema { return &Schema{Type: "object", AdditionalProperties: boolp(true)} }

// attributeSchema is an attribute's schema in a resource object
// (request false) or in a request body, where null is allowed only for an
// optional nullable attribute (null on a required one is 422).
func attributeSchema(a *engine.Attribute, request bool) *Schema {
	s := valueSchema(a.Type)
	s.Description = a.Description
	for _, e := range a.Enum {
		s.Enum = append(s.Enum, e)
	}
	if request && a.MaxLength > 0 {
		// Only what a body sends is bounded: a shown value may be older
		// than the limit, or come from a provider.
		s.MaxLength = intp(a.MaxLength)
	}
	if (a.Nullable && !(request && a.Required)) || (request && a.NullWrite) {
		s = nullable(s)
	}
	if !request {
		s.ReadOnly = a.ReadOnly()
	}
	s.WriteOnly = a.WriteOnly
	if a.Writers != nil {
		s.Writers = slices.Clone(a.Writers)
		s.Description = strings.TrimSpace(s.Description + " Only " + strings.Join(a.Writers, " and ") + " tokens may write it (and integrations).")
	}
	return s
}

// triggerSchema is a trigger attribute: write-only, typed as the reference
// types it. A boolean trigger runs on JSON true only and is skipped on false
// or null (anything else is 400); a valued trigger runs on any value of its
// type but null.
func triggerSchema(t *engine.TriggerInfo) *Schema {
	var s *Schema
	if t.Type == engine.Boolean {
		s = &Schema{Type: []string{"boolean", "null"},
			Description: strings.TrimSpace(t.Description + " Trigger: send true to run it (false or null skips it).")}
	} else {
		value := valueSchema(t.Type)
		if t.Type == engine.String {
			value.MaxLength = intp(engine.MaxName)
		}
		s = nullable(value)
		s.Description = strings.TrimSpace(t.Description + " Trigger: runs with this value (null skips it).")
	}
	s.WriteOnly = true
	if t.Writers != nil {
		s.Writers = slices.Clone(t.Writers)
		s.Description += " Only " + strings.Join(t.Writers, " and ") + " tokens may send it."
	}
	return s
}

// identifier is `{"type": …, "id": …}` for a type.
func (g *generator) identifier(typ string) *Schema {
	return g.schema(SchemaName(typ)+"Identifier", func() *Schema {
		return &Schema{
			Type:                 "object",
			Description:          "A resource identifier of " + article(singularWords(typ)) + ".",
			Required:             []string{"type", "id"},
			Properties:           map[string]*Schema{"type": {Type: "string", Const: typ}, "id": {Type: "string", MinLength: intp(1)}},
			AdditionalProperties: boolp(false),
		}
	})
}

// identifiers is an identifier of any of types.
func (g *generator) identifiers(types []string) *Schema {
	if len(types) == 1 {
		return g.identifier(types[0])
	}
	s := &Schema{}
	for _, t := range types {
		s.OneOf = append(s.OneOf, g.identifier(t))
	}
	return s
}

// shown is the types a relationship's linkage shows: its target, or for
// a polymorphic one every type it may point to.
func shown(r *engine.Relationship) []string {
	if len(r.Polymorphic) > 0 {
		return r.Polymorphic
	}
	return []string{r.Target}
}

// accepted is the types a write may name for a relationship.
func accepted(r *engine.Relationship) []string {
	return append([]string{r.Target}, r.Accepts...)
}

// typeComponents builds the schemas every type has.
func (g *generator) typeComponents(def *engine.Definition) {
	g.resource(def)
}

// resource is the `{type}` schema: a resource object as the server renders it.
func (g *generator) resource(def *engine.Definition) *Schema {
	return g.schema(SchemaName(def.Type), func() *Schema {
		attrs := map[string]*Schema{}
		for _, a := range def.Attributes {
			attrs[a.Name] = attributeSchema(a, false)
		}
		rels := map[string]*Schema{}
		for _, r := range def.Relationships {
			kind := "to-one"
			if r.ToMany {
				kind = "to-many"
			}
			if len(r.Polymorphic) > 0 {
				kind = "polymorphic to-one"
			}
			shared := *g.relationshipObject(r)
			shared.Description = strings.TrimSpace(fmt.Sprintf("%s (%s, %s). %s", r.Name, kind, strings.Join(shown(r), " or "), r.Description))
			rels[r.Name] = &shared
		}
		props := map[string]*Schema{
			"type":       {Type: "string", Const: def.Type},
			"id":         {Type: "string", Description: "An opaque random id."},
			"links":      g.resourceLinks(),
			"attributes": {Type: "object", Description: "Every attribute but the write-only ones; sparse fieldsets (fields[" + def.Type + "]) keep only those named.", Properties: attrs, AdditionalProperties: boolp(false)},
			"meta":       g.resourceMeta(),
		}
		if len(rels) > 0 {
			props["relationships"] = &Schema{Type: "object", Description: "Every relationship has links; data appears only when it was included.", Properties: rels, AdditionalProperties: boolp(false)}
		}
		return &Schema{
			Type:                 "object",
			Title:                singularWords(def.Type),
			Description:          def.Description,
			Required:             []string{"type", "id", "links", "attributes", "meta"},
			Properties:           props,
			AdditionalProperties: boolp(false),
		}
	})
}

func (g *generator) resourceLinks() *Schema {
	return g.schema("resourceLinks", func() *Schema {
		return &Schema{Type: "object", Required: []string{"self"}, Properties: map[string]*Schema{
			"self": {Type: "string", Format: "uri", Description: "The resource's absolute URL."},
		}, AdditionalProperties: boolp(false)}
	})
}

// relationshipObject is a relationship in a resource object, shared by
// every relationship to the same types: links, and data when included.
func (g *generator) relationshipObject(r *engine.Relationship) *Schema {
	name := ""
	for _, t := range shown(r) {
		name += upperFirst(SchemaName(t))
	}
	name = lowerFirst(name)
	if r.ToMany {
		name += "ToMany"
	} else {
		name += "ToOne"
	}
	return g.schema(name, func() *Schema {
		var data *Schema
		if r.ToMany {
			data = &Schema{Type: "array", Items: g.identifiers(shown(r))}
		} else {
			data = nullable(g.identifiers(shown(r)))
		}
		data.Description = "Present only when the relationship was included."
		return &Schema{
			Type:                 "object",
			Description:          "A relationship to " + strings.Join(shown(r), " or ") + ": links, and data when it was included.",
			Required:             []string{"links"},
			Properties:           map[string]*Schema{"links": g.relationshipLinks(), "data": data},
			AdditionalProperties: boolp(false),
		}
	})
}

func (g *generator) relationshipLinks() *Schema {
	return g.schema("relationshipLinks", func() *Schema {
		return &Schema{Type: "object", Required: []string{"self", "related"}, Properties: map[string]*Schema{
			"self":    {Type: "string", Format: "uri", Description: "The relationship endpoint: /api/{type}/{id}/relationships/{relationship}."},
			"related": {Type: "string", Format: "uri", Description: "The related endpoint: /api/{type}/{id}/{relationship}."},
		}, AdditionalProperties: boolp(false)}
	})
}

func (g *generator) resourceMeta() *Schema {
	return g.schema("resourceMeta", func() *Schema {
		return &Schema{Type: "object", Required: []string{"mode", "organization_id"}, Properties: map[string]*Schema{
			"mode":            {Type: "string", Enum: []any{"test", "live"}},
			"organization_id": {Type: "string"},
		}, AdditionalProperties: boolp(true)}
	})
}

// included is `{type}Included`, the `included` member of a document whose
// primary data is def: one schema its one, list and related documents share.
func (g *generator) included(def *engine.Definition) *Schema {
	return g.schema(SchemaName(def.Type)+"Included", func() *Schema {
		types := includedTypes(g.reg, def)
		s := &Schema{Type: "array", Description: "The included resources, each once; present (maybe empty) whenever include was given."}
		switch len(types) {
		case 0:
			s.MaxItems = intp(0)
		case 1:
			s.Items = g.resourceOf(types[0])
		default:
			s.Items = &Schema{}
			for _, t := range types {
				s.Items.OneOf = append(s.Items.OneOf, g.resourceOf(t))
			}
		}
		return s
	})
}

func (g *generator) resourceOf(typ string) *Schema {
	def, _ := g.reg.Lookup(typ)
	return g.resource(def)
}

// response is `{type}Response`: one resource as primary data.
func (g *generator) response(def *engine.Definition) *Schema {
	return g.schema(SchemaName(def.Type)+"Response", func() *Schema {
		return &Schema{Type: "object", Required: []string{"data"}, Properties: map[string]*Schema{
			"data":     g.resource(def),
			"included": g.included(def),
		}, AdditionalProperties: boolp(false)}
	})
}

// polymorphicResponse is a polymorphic to-one's related endpoint's
// document: a resource of one of its types, or null.
func (g *generator) polymorphicResponse(def *engine.Definition, r *engine.Relationship) *Schema {
	return g.schema(SchemaName(def.Type)+pascal(r.Name)+"RelatedResponse", func() *Schema {
		data := &Schema{}
		var included []*Schema
		seen := map[string]bool{}
		for _, t := range r.Polymorphic {
			data.OneOf = append(data.OneOf, g.resourceOf(t))
			target, _ := g.reg.Lookup(t)
			for _, it := range includedTypes(g.reg, target) {
				if !seen[it] {
					seen[it] = true
					included = append(included, g.resourceOf(it))
				}
			}
		}
		inc := &Schema{Type: "array", Description: "The included resources, each once; present (maybe empty) whenever include was given."}
		switch len(included) {
		case 0:
			inc.MaxItems = intp(0)
		case 1:
			inc.Items = included[0]
		default:
			inc.Items = &Schema{OneOf: included}
		}
		return &Schema{Type: "object", Description: "The related " + human(r.Name) + " (one of " + strings.Join(r.Polymorphic, ", ") + "), or null.", Required: []string{"data"}, Properties: map[string]*Schema{
			"data":     nullable(data),
			"included": inc,
		}, AdditionalProperties: boolp(false)}
	})
}

// relatedResponse is a to-one related endpoint's document: the resource or null.
func (g *generator) relatedResponse(def *engine.Definition) *Schema {
	return g.schema(SchemaName(def.Type)+"RelatedResponse", func() *Schema {
		return &Schema{Type: "object", Description: "The related " + singularWords(def.Type) + ", or null when there is none.", Required: []string{"data"}, Properties: map[string]*Schema{
			"data":     nullable(g.resource(def)),
			"included": g.included(def),
		}, AdditionalProperties: boolp(false)}
	})
}

// responseList is `{type}ResponseList`: a page of resources.
func (g *generator) responseList(def *engine.Definition) *Schema {
	return g.schema(SchemaName(def.Type)+"ResponseList", func() *Schema {
		return &Schema{Type: "object", Required: []string{"data", "meta", "links"}, Properties: map[string]*Schema{
			"data":     {Type: "array", Items: g.resource(def)},
			"included": g.included(def),
			"meta":     g.listMeta(),
			"links":    g.listLinks(),
		}, AdditionalProperties: boolp(false)}
	})
}

func (g *generator) listMeta() *Schema {
	return g.schema("listMeta", func() *Schema {
		return &Schema{Type: "object", Required: []string{"record_count", "record_count_exact", "page_count"}, Properties: map[string]*Schema{
			"record_count":       {Type: "integer", Minimum: intp(0), Description: "How many resources match, on every page: exact up to 1,000, an estimate beyond (see record_count_exact)."},
			"record_count_exact": {Type: "boolean", Description: "Whether record_count is a count (true) or, above 1,000 matches, an estimate (false)."},
			"page_count":         {Type: "integer", Minimum: intp(0), Description: "How many pages of page[size] they fill (from the estimate when record_count_exact is false)."},
		}, AdditionalProperties: boolp(false)}
	})
}

func (g *generator) listLinks() *Schema {
	return g.schema("listLinks", func() *Schema {
		link := func(d string) *Schema { return &Schema{Type: "string", Format: "uri", Description: d} }
		orNull := func(d string) *Schema {
			return &Schema{Type: []string{"string", "null"}, Format: "uri", Description: d}
		}
		return &Schema{Type: "object", Required: []string{"self", "first", "prev", "next", "last"}, Properties: map[string]*Schema{
			"self":  link("This page."),
			"first": link("The first page."),
			"prev":  orNull("The previous page; null on the first."),
			"next":  orNull("The next page; null on the last."),
			"last":  link("The last page (the first when there are none)."),
		}, AdditionalProperties: boolp(false)}
	})
}

// linkageResponse is a relationship endpoint's document.
func (g *generator) linkageResponse(def *engine.Definition, r *engine.Relationship) *Schema {
	name := SchemaName(r.Target) + "RelationshipResponse"
	data := nullable(g.identifiers(shown(r)))
	switch {
	case len(r.Polymorphic) > 0:
		name = SchemaName(def.Type) + pascal(r.Name) + "RelationshipResponse"
	case r.ToMany:
		name = SchemaName(r.Target) + "RelationshipListResponse"
		data = &Schema{Type: "array", Items: g.identifier(r.Target)}
	}
	return g.schema(name, func() *Schema {
		return &Schema{Type: "object", Required: []string{"data", "links"}, Properties: map[string]*Schema{
			"data":  data,
			"links": g.relationshipLinks(),
		}, AdditionalProperties: boolp(false)}
	})
}

// relationshipUpdate is the body of PATCH on a to-one relationship endpoint.
func (g *generator) relationshipUpdate(def *engine.Definition, r *engine.Relationship) *Schema {
	types := accepted(r)
	if len(r.Polymorphic) > 0 {
		types = r.Polymorphic
	}
	name := SchemaName(r.Target) + "RelationshipUpdate"
	if len(types) > 1 {
		name = SchemaName(def.Type) + pascal(r.Name) + "RelationshipUpdate"
	}
	return g.schema(name, func() *Schema {
		return &Schema{Type: "object", Required: []string{"data"}, Properties: map[string]*Schema{
			"data": nullable(g.identifiers(types)),
		}}
	})
}

// linkage is a relationship in a request body: `{"data": identifier}`, or
// null when the relationship may be cleared.
func (g *generator) linkage(r *engine.Relationship) *Schema {
	data := g.identifiers(accepted(r))
	if !r.Required {
		data = nullable(data)
	}
	return &Schema{Type: "object", Description: strings.TrimSpace(r.Description), Required: []string{"data"}, Properties: map[string]*Schema{"data": data}}
}

// write is `{type}Create` (creating) or `{type}Update`: the attributes,
// relationships and triggers a body may send, and what it must.
func (g *generator) write(def *engine.Definition, creating bool) *Schema {
	name := SchemaName(def.Type) + "Update"
	if creating {
		name = SchemaName(def.Type) + "Create"
	}
	return g.schema(name, func() *Schema {
		attrs := map[string]*Schema{}
		var requiredAttrs, requiredRels []string
		for _, a := range def.Attributes {
			if (creating && a.Create) || (!creating && a.Update) {
				attrs[a.Name] = attributeSchema(a, true)
				if creating && a.Required {
					requiredAttrs = append(requiredAttrs, a.Name)
				}
			}
		}
		for _, t := range def.Triggers {
			if !creating || t.OnCreate {
				attrs[t.Name] = triggerSchema(t)
			}
		}
		rels := map[string]*Schema{}
		for _, r := range def.Relationships {
			if r.ToMany || r.ForeignKey == "" || (creating && !r.Create) || (!creating && !r.Update) {
				continue
			}
			rels[r.Name] = g.linkage(r)
			if creating && r.Required {
				requiredRels = append(requiredRels, r.Name)
			}
		}
		data := &Schema{Type: "object", Required: []string{"type"}, Properties: map[string]*Schema{
			"type":       {Type: "string", Const: def.Type},
			"attributes": {Type: "object", Required: requiredAttrs, Properties: attrs, AdditionalProperties: boolp(false)},
			"lid":        {Type: "string", Description: "A local id; Kasse makes ids and ignores it."},
			"meta":       freeObject(),
			"links":      freeObject(),
		}, AdditionalProperties: boolp(false)}
		if len(rels) > 0 {
			data.Properties["relationships"] = &Schema{Type: "object", Required: requiredRels, Properties: rels, AdditionalProperties: boolp(false)}
		}
		if creating {
			data.Description = "A new " + singularWords(def.Type) + ". Kasse makes the id: a client-generated id is 403 FORBIDDEN."
		} else {
			data.Required = append(data.Required, "id")
			data.Properties["id"] = &Schema{Type: "string", Description: "The id in the URL (otherwise 400 KEY_NOT_INCLUDED_IN_URL)."}
			data.Description = "What to change: only the members sent change; null clears a nullable attribute or an optional relationship."
		}
		if len(requiredAttrs) > 0 {
			data.Required = append(data.Required, "attributes")
		}
		if len(requiredRels) > 0 {
			data.Required = append(data.Required, "relationships")
		}
		return &Schema{Type: "object", Required: []string{"data"}, Properties: map[string]*Schema{
			"data":    data,
			"meta":    freeObject(),
			"jsonapi": freeObject(),
		}, AdditionalProperties: boolp(false)}
	})
}

// errorResponse is the JSON:API error document every failure answers with.
func (g *generator) errorResponse() *Schema {
	return g.schema("errorResponse", func() *Schema {
		return &Schema{Type: "object", Required: []string{"errors"}, Properties: map[string]*Schema{
			"errors": {Type: "array", MinItems: intp(1), Items: g.errorObject()},
		}, AdditionalProperties: boolp(false)}
	})
}

func (g *generator) errorObject() *Schema {
	return g.schema("error", func() *Schema {
		var codes []any
		for _, c := range sortedCodes() {
			codes = append(codes, string(c))
		}
		return &Schema{Type: "object", Description: "A JSON:API error object with the reference's codes.", Required: []string{"status", "code", "title", "detail"}, Properties: map[string]*Schema{
			"status": {Type: "string", Pattern: "^[45][0-9]{2}$", Description: "The HTTP status of this error, as a string. When a response's errors have different 4xx statuses, the response is 400."},
			"code":   {Type: "string", Enum: codes, Description: "What went wrong; docs/api-conventions.md lists each code with its status."},
			"title":  {Type: "string", Description: "The code's fixed human summary."},
			"detail": {Type: "string", Description: "What went wrong with this request."},
			"source": {Type: "object", Properties: map[string]*Schema{
				"pointer":   {Type: "string", Description: "A JSON Pointer into the request body (/data/attributes/name)."},
				"parameter": {Type: "string", Description: "The query parameter at fault."},
				"header":    {Type: "string", Description: "The request header at fault."},
			}, AdditionalProperties: boolp(false)},
			"meta": freeObject(),
		}, AdditionalProperties: boolp(false)}
	})
}

func sortedCodes() []errs.Code {
	codes := errs.Codes()
	slices.Sort(codes)
	return codes
}

// roles describes who may use a verb on a type, from its access rules.
func roles(def *engine.Definition, v engine.Verb) string {
	var out []string
	for _, role := range models.Roles {
		if role == models.RoleIntegration {
			out = append(out, role)
			continue
		}
		scope, ok := def.Access[role][v]
		switch {
		case !ok:
		case scope == nil:
			out = append(out, role)
		default:
			out = append(out, role+" (within its scope)")
		}
	}
	return "Roles: " + strings.Join(out, ", ") + "."
}
