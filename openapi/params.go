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

// filterValueSchema is the schema of an `_eq` filter's value for an
// attribute type, as the server parses it.
func filterValueSchema(t engine.AttrType) (*Schema, bool) {
	switch t {
	case engine.String:
		return &Schema{Type: "string"}, true
	case engine.Integer:
		return &Schema{Type: "integer"}, true
	case engine.Float:
		return &Schema{Type: "number"}, true
	case engine.Boolean:
		return &Schema{Type: "string", Pattern: booleanPattern, Description: "true or false (also t, f, yes, no, 1, 0; any case)"}, true
	case engine.DateTime:
		return &Schema{Type: "string", Description: "an ISO 8601 time (2026-01-01T12:00:00.000Z) or date (2026-01-01)"}, true
	}
	return nil, false // JSON attributes take no value predicates
}

// booleanPattern matches what the server reads as a boolean in a query.
const booleanPattern = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Tt]|[Ff]|[Yy][Ee][Ss]|[Nn][Oo]|1|0)$"

// predicateDescription explains the filter scheme once per list operation.
func predicateDescription() string {
	var names []string
	for _, p := range db.Predicates() {
		names = append(names, "`"+string(p)+"`")
	}
	slices.Sort(names)
	return fmt.Sprintf("Filters are `filter[q][<attribute>_<predicate>]=<value>` (Ransack's syntax, as the reference's). "+
		"The parameters below are the `_eq` filters, one per attribute this operation can filter on; every listed attribute takes every predicate: %s. "+
		"`in`, `not_in` and the `_any`/`_all` forms take a comma-separated list; `null`, `not_null`, `present`, `blank`, `true` and `false` take true (false inverts); "+
		"text predicates (`cont`, `start`, `end` and their negations) and `present`/`blank` apply to text attributes, `true`/`false` to booleans. "+
		"Attributes may be joined with `_or_` (`filter[q][name_or_code_cont]=mug`). Several filters are combined with AND, at most %d per request. "+
		"An unknown filter is 400 FILTER_NOT_ALLOWED; a value of the wrong type is 400 INVALID_FILTER_VALUE.",
		strings.Join(names, ", "), maxFilters)
}
