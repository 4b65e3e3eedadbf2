package openapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"kasse/db"
	"kasse/engine"
)

// IncludePaths lists every include path of def, as the server accepts them:
// dot-joined relationship names up to the include depth, depth first in
// declaration order; a polymorphic relationship ends a path.
func IncludePaths(reg *engine.Registry, def *engine.Definition) []string {
	var out []string
	var walk func(d *engine.Definition, prefix string, depth int)
	walk = func(d *engine.Definition, prefix string, depth int) {
		if depth == maxIncludeDepth {
			return
		}
		for _, rel := range d.Relationships {
			path := prefix + rel.Name
			out = append(out, path)
			if len(rel.Polymorphic) > 0 {
				continue
			}
			target, _ := reg.Lookup(rel.Target)
			walk(target, path+".", depth+1)
		}
	}
	walk(def, "", 0)
	return out
}

// includedTypes lists the types an include on def can add to `included`.
func includedTypes(reg *engine.Registry, def *engine.Definition) []string {
	seen := map[string]bool{}
	var walk func(d *engine.Definition, depth int)
	walk = func(d *engine.Definition, depth int) {
		if depth == maxIncludeDepth {
			return
		}
		for _, rel := range d.Relationships {
			if len(rel.Polymorphic) > 0 {
				for _, t := range rel.Polymorphic {
					seen[t] = true
				}
				continue
			}
			seen[rel.Target] = true
			target, _ := reg.Lookup(rel.Target)
			walk(target, depth+1)
		}
	}
	walk(def, 0)
	var out []string
	for _, d := range reg.All() {
		if seen[d.Type] {
			out = append(out, d.Type)
		}
	}
	return out
}

// includePattern is a regular expression that matches exactly the include
// values the server accepts as paths: a comma-separated list of include
// paths, or nothing. It nests the relationship tree, so it grows with the
// number of paths, not with their combinations.
func includePattern(reg *engine.Registry, def *engine.Definition) string {
	var tree func(d *engine.Definition, depth int) string
	tree = func(d *engine.Definition, depth int) string {
		if depth == maxIncludeDepth || len(d.Relationships) == 0 {
			return ""
		}
		alts := make([]string, 0, len(d.Relationships))
		for _, rel := range d.Relationships {
			target, _ := reg.Lookup(rel.Target)
			alt := regexp.QuoteMeta(rel.Name)
			if len(rel.Polymorphic) > 0 {
				alts = append(alts, alt)
				continue
			}
			if sub := tree(target, depth+1); sub != "" {
				alt += `(\.` + sub + `)?`
			}
			alts = append(alts, alt)
		}
		return "(" + strings.Join(alts, "|") + ")"
	}
	one := tree(def, 0)
	if one == "" {
		return "^$"
	}
	return "^(" + one + "(," + one + ")*)?$"
}

// listPattern matches a comma-separated list of names (or nothing when
// empty is allowed), each optionally prefixed.
func listPattern(names []string, prefix string, empty bool) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	one := prefix + "(" + strings.Join(quoted, "|") + ")"
	if empty {
		return "^(" + one + "(," + one + ")*)?$"
	}
	return "^" + one + "(," + one + ")*$"
}

// FieldNames lists what `fields[type]` may name: attributes that are shown
// (not write-only) and relationships.
func FieldNames(def *engine.Definition) []string {
	var out []string
	for _, a := range def.Attributes {
		if !a.WriteOnly {
			out = append(out, a.Name)
		}
	}
	for _, r := range def.Relationships {
		out = append(out, r.Name)
	}
	return out
}

// SortFields lists what `sort` may name: id and the sortable attributes.
func SortFields(def *engine.Definition) []string {
	out := []string{"id"}
	for _, a := range def.Attributes {
		if a.Sort && a.Column != "" && a.Name != "id" {
			out = append(out, a.Name)
		}
	}
	return out
}

// Filter is one name a `filter[q][<name>_<predicate>]` key may start with,
// and the type of the attribute it tests.
type Filter struct {
	Name string
	Type engine.AttrType
	// Via is the relationship a one-hop filter crosses ("" for the type's own).
	Via string
	// MaxLength is a text attribute's maximum length: a longer value is
	// 400 INVALID_FILTER_VALUE.
	MaxLength int
}

// Filters lists the attribute names def's filters accept, in the order
// the server resolves them (the first of equal names wins, as it does on
// the server): id, the filterable attributes, each to-one relationship's
// `<name>_id`, then for each relationship that can be joined the same of
// its target type prefixed with `<relationship>_` (not across a
// polymorphic one).
func Filters(reg *engine.Registry, def *engine.Definition) []Filter {
	own := func(d *engine.Definition, prefix, via string) []Filter {
		out := []Filter{{Name: prefix + "id", Type: engine.String, Via: via, MaxLength: engine.MaxName}}
		for _, a := range d.Attributes {
			if a.Filter && a.Column != "" {
				out = append(out, Filter{Name: prefix + a.Name, Type: a.Type, Via: via, MaxLength: a.MaxLength})
			}
		}
		for _, r := range d.Relationships {
			if !r.ToMany && r.ForeignKey != "" {
				out = append(out, Filter{Name: prefix + r.Name + "_id", Type: engine.String, Via: via, MaxLength: engine.MaxName})
			}
		}
		return out
	}
	all := own(def, "", "")
	for _, r := range def.Relationships {
		joinable := (!r.ToMany && r.ForeignKey != "") || r.InverseKey != ""
		if !joinable || len(r.Polymorphic) > 0 {
			continue
		}
		target, _ := reg.Lookup(r.Target)
		all = append(all, own(target, r.Name+"_", r.Name)...)
	}
	seen := map[string]bool{}
	var out []Filter
	for _, f := range all {
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f)
		}
	}
	return out
}

// A filterKind groups the attributes whose filters take the same
// predicates and values: text, integers, numbers, booleans, times, and
// JSON attributes (null and not_null only).
type filterKind struct {
	name  string // in component names: filterText, filterTextList
	types []engine.AttrType
	value *Schema // the value of a predicate that takes one, as the server parses it
	list  *Schema // a comma-separated list of such values
}

var filterKinds = []filterKind{
	{"Text", []engine.AttrType{engine.String}, &Schema{Type: "string", Description: "Text."},
		&Schema{Type: "string", Description: "Comma-separated text values."}},
	{"Integer", []engine.AttrType{engine.Integer}, &Schema{Type: "string", Pattern: `^-?[0-9]+$`, Description: "An integer."},
		&Schema{Type: "string", Pattern: `^-?[0-9]+(,-?[0-9]+)*$`, Description: "Comma-separated integers."}},
	{"Number", []engine.AttrType{engine.Float}, &Schema{Type: "string", Description: "A number."},
		&Schema{Type: "string", Description: "Comma-separated numbers."}},
	{"Boolean", []engine.AttrType{engine.Boolean}, &Schema{Type: "string", Pattern: booleanPattern, Description: booleanDescription},
		&Schema{Type: "string", Pattern: "^" + booleanAlternatives + "(," + booleanAlternatives + ")*$", Description: "Comma-separated booleans."}},
	{"Time", []engine.AttrType{engine.DateTime}, &Schema{Type: "string", Description: "An ISO 8601 time (2026-01-01T12:00:00.000Z) or date (2026-01-01)."},
		&Schema{Type: "string", Description: "Comma-separated ISO 8601 times or dates."}},
	{"JSON", []engine.AttrType{engine.Object, engine.Array}, nil, nil},
}

// FilterPredicates splits the predicates the server accepts on an
// attribute type by what their value is: one value of the type, a
// comma-separated list of them, or a flag (true or false).
func FilterPredicates(t engine.AttrType) (value, list, flag []db.Predicate) {
	for _, p := range db.Predicates() {
		switch {
		case p.TakesBoolean():
			if (p == db.Present || p == db.Blank) && t != engine.String || (p == db.True || p == db.False) && t != engine.Boolean {
				continue
			}
			flag = append(flag, p)
		case t == engine.Object || t == engine.Array:
		case p.IsText() && t != engine.String:
		case p.TakesList():
			list = append(list, p)
		default:
			value = append(value, p)
		}
	}
	return value, list, flag
}

// filterSchema is the `filter[q]` parameter's schema for def: an object
// whose pattern properties match every key the server takes (`_or_` joins
// attributes of one kind) and type its value.
func (g *generator) filterSchema(def *engine.Definition) *Schema {
	name := SchemaName(def.Type)
	return g.schema(name+"FilterQuery", func() *Schema {
		props := map[string]*Schema{}
		filters := Filters(g.reg, def)
		for _, k := range filterKinds {
			attr := filterNames(filters, k.types)
			if attr == "" {
				continue
			}
			value, list, flag := FilterPredicates(k.types[0])
			add := func(preds []db.Predicate, s *Schema) {
				if len(preds) == 0 {
					return
				}
				// Each name is followed by _or_ and another, or by the
				// predicate at the end: the names are written once.
				props["^("+attr+"(_or_|_("+predicateAlternation(preds)+")$))+$"] = s
			}
			if k.value != nil {
				add(value, g.schema("filter"+k.name, func() *Schema { c := *k.value; return &c }))
				add(list, g.schema("filter"+k.name+"List", func() *Schema { c := *k.list; return &c }))
			}
			add(flag, g.schema("filterFlag", func() *Schema {
				return &Schema{Type: "string", Pattern: booleanPattern, Description: "true to keep what the predicate says, false for the opposite (" + booleanDescription + ")."}
			}))
		}
		return &Schema{Type: "object", Description: "The filters on " + def.Type + ", each `<attribute>_<predicate>`; the patterns name exactly the keys the server takes.",
			PatternProperties: props, MaxProperties: intp(maxFilters), AdditionalProperties: boolp(false)}
	})
}

// filterNames is an alternation of the filter names of the given types,
// the names one hop away grouped under their relationship's prefix
// (`market_(code|name)`), or "" when there are none.
func filterNames(filters []Filter, types []engine.AttrType) string {
	var alts []string
	hops := map[string][]string{}
	var order []string
	for _, f := range filters {
		if !slices.Contains(types, f.Type) {
			continue
		}
		if f.Via == "" {
			alts = append(alts, regexp.QuoteMeta(f.Name))
			continue
		}
		if _, ok := hops[f.Via]; !ok {
			order = append(order, f.Via)
		}
		hops[f.Via] = append(hops[f.Via], regexp.QuoteMeta(strings.TrimPrefix(f.Name, f.Via+"_")))
	}
	for _, via := range order {
		alts = append(alts, regexp.QuoteMeta(via)+"_("+strings.Join(hops[via], "|")+")")
	}
	if len(alts) == 0 {
		return ""
	}
	return "(" + strings.Join(alts, "|") + ")"
}

// predicateAlternation is a regular expression alternation of preds, the
// _any and _all forms of a predicate written once as `base_(any|all)`.
func predicateAlternation(preds []db.Predicate) string {
	has := map[db.Predicate]bool{}
	for _, p := range preds {
		has[p] = true
	}
	var both, alts []string
	for _, p := range preds {
		base, suffix := p.Base()
		switch {
		case suffix == "_any" && has[base+"_all"]:
			both = append(both, string(base))
		case suffix == "_all" && has[base+"_any"]:
		default:
			alts = append(alts, string(p))
		}
	}
	if len(both) > 0 {
		alts = append([]string{"(" + strings.Join(both, "|") + ")_(any|all)"}, alts...)
	}
	return strings.Join(alts, "|")
}

// booleanPattern matches what the server reads as a boolean in a query.
const (
	booleanAlternatives = "([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Tt]|[Ff]|[Yy][Ee][Ss]|[Nn][Oo]|1|0)"
	booleanPattern      = "^" + booleanAlternatives + "$"
	booleanDescription  = "true or false; also t, f, yes, no, 1, 0, in any case"
)

// predicateDescription is a type's filter parameter's description; the
// document's description explains the predicates once (filterHelp).
func predicateDescription(typ string) string {
	return "Filters on " + typ + ": `filter[q][<attribute>_<predicate>]=<value>`, one deep object whose schema's patterns list every attribute " +
		"and the predicates each takes (the document's description explains them). " +
		"An unknown filter is 400 FILTER_NOT_ALLOWED; a value of the wrong type is 400 INVALID_FILTER_VALUE."
}

// filterHelp explains the filter scheme, in the document's description.
func filterHelp() string {
	var names []string
	for _, p := range db.Predicates() {
		names = append(names, "`"+string(p)+"`")
	}
	slices.Sort(names)
	return fmt.Sprintf("- Filters: `filter[q][<attribute>_<predicate>]=<value>` (Ransack's syntax, as the reference's), one deep object; "+
		"each list's filter parameter's schema lists every attribute and the predicates each takes, of: %s. "+
		"`in`, `not_in` and the `_any`/`_all` forms take a comma-separated list; `null`, `not_null`, `present`, `blank`, `true` and `false` take true (false inverts); "+
		"text predicates (`cont`, `start`, `end` and their negations) and `present`/`blank` apply to text attributes, `true`/`false` to booleans. "+
		"Attributes of one kind may be joined with `_or_` (`filter[q][name_or_code_cont]=mug`). Several filters are combined with AND, at most %d per request. "+
		"An unknown filter is 400 FILTER_NOT_ALLOWED; a value of the wrong type is 400 INVALID_FILTER_VALUE.",
		strings.Join(names, ", "), maxFilters)
}
