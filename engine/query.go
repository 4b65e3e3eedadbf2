package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kasse/db"
	"kasse/errs"
	"kasse/serializers"
)

// Query is a request's parameters checked against a type's declarations
// and compiled for the database.
type Query struct {
	Include [][]string
	Where   []db.Condition
	Order   []db.Order
	Page    serializers.Page
}

// Compile checks params against def (include paths, sparse fieldsets,
// sort fields, filters) and compiles them. Every problem is a 400 naming the
// parameter.
func (r *Registry) Compile(def *Definition, p serializers.Params) (Query, error) {
	// Room for the sort keys, the default order and the tie-breaker.
	q := Query{Page: p.Page, Order: make([]db.Order, 0, len(p.Sort)+2)}
	var problems errs.List
	for _, path := range p.Include {
		if err := r.checkIncludePath(def, path); err != nil {
			problems = append(problems, err)
			continue
		}
		q.Include = append(q.Include, path)
	}
	for typ, names := range p.Fields {
		d, ok := r.Lookup(typ)
		if !ok {
			problems = append(problems, errs.New(errs.InvalidField, "%s is not a resource type", typ).AtParam("fields["+typ+"]"))
			continue
		}
		for _, n := range names {
			a := d.Attribute(n)
			if (a == nil || a.WriteOnly) && d.Relationship(n) == nil {
				problems = append(problems, errs.New(errs.InvalidField, "%s is not a field of %s", n, typ).AtParam("fields["+typ+"]"))
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range p.Sort {
		col, ok := def.sortColumn(s.Field)
		if !ok {
			problems = append(problems, errs.New(errs.InvalidSortCriteria, "%s is not a valid sort criteria for %s", s.Field, def.Type).AtParam("sort"))
			continue
		}
		if !seen[col] {
			q.Order = append(q.Order, db.Order{Column: col, Desc: s.Desc})
			seen[col] = true
		}
	}
	if len(q.Order) == 0 {
		q.Order = append(q.Order, db.Order{Column: "created_at"})
	}
	if !seen["id"] {
		// A unique tie-breaker keeps pages stable. It runs in the last
		// key's direction, so that an index on (created_at, id) serves
		// sort=-created_at as it serves the default order.
		q.Order = append(q.Order, db.Order{Column: "id", Desc: q.Order[len(q.Order)-1].Desc})
	}
	for _, key := range p.FilterKeys {
		cond, err := r.compileFilter(def, key, p.Filters[key])
		if err != nil {
			problems = append(problems, err)
			continue
		}
		q.Where = append(q.Where, cond)
	}
	if len(problems) > 0 {
		return q, problems
	}
	return q, nil
}

func (r *Registry) checkIncludePath(def *Definition, path []string) *errs.Error {
	cur := def
	for i, name := range path {
		rel := cur.Relationship(name)
		if rel == nil {
			return errs.New(errs.InvalidInclude, "%s is not a relationship of %s", strings.Join(path[:i+1], "."), cur.Type).AtParam("include")
		}
		if len(rel.Polymorphic) > 0 && i < len(path)-1 {
			return errs.New(errs.InvalidInclude, "%s is polymorphic: an include path must end there", strings.Join(path[:i+1], ".")).AtParam("include")
		}
		cur, _ = r.Lookup(rel.Target)
	}
	return nil
}

func (d *Definition) sortColumn(name string) (string, bool) {
	if name == "id" {
		return "id", true
	}
	a := d.Attribute(name)
	if a == nil || !a.Sort || a.Column == "" {
		return "", false
	}
	return a.Column, true
}

// filterTarget is an attribute a filter may test, possibly across a
// relationship.
type filterTarget struct {
	path   []db.Hop
	column string
	typ    AttrType
	max    int // a text attribute's maximum length
}

// resolveFilterAttribute finds what a filter attribute name refers to: an
// own filterable attribute, id, a to-one relationship's id (`market_id`),
// or a filterable attribute of a related type (`sku_code`, `prices_amount_cents`).
func (r *Registry) resolveFilterAttribute(def *Definition, name string, depth int) (filterTarget, bool) {
	if name == "id" {
		return filterTarget{column: "id", typ: String, max: MaxName}, true
	}
	if a := def.Attribute(name); a != nil && a.Filter && a.Column != "" {
		return filterTarget{column: a.Column, typ: a.Type, max: a.MaxLength}, true
	}
	for _, rel := range def.Relationships {
		if !rel.ToMany && rel.ForeignKey != "" && name == rel.Name+"_id" {
			return filterTarget{column: rel.ForeignKey, typ: String, max: MaxName}, true
		}
	}
	if depth > 0 {
		return filterTarget{}, false
	}
	for _, rel := range def.Relationships {
		prefix := rel.Name + "_"
		if !strings.HasPrefix(name, prefix) || len(rel.Polymorphic) > 0 {
			continue
		}
		target, _ := r.Lookup(rel.Target)
		inner, ok := r.resolveFilterAttribute(target, strings.TrimPrefix(name, prefix), depth+1)
		if !ok {
			continue
		}
		var hop db.Hop
		switch {
		case !rel.ToMany && rel.ForeignKey != "":
			hop = db.Hop{Table: target.Table, LocalKey: rel.ForeignKey, RemoteKey: "id"}
		case rel.InverseKey != "":
			hop = db.Hop{Table: target.Table, LocalKey: "id", RemoteKey: rel.InverseKey}
		default:
			continue
		}
		inner.path = append([]db.Hop{hop}, inner.path...)
		return inner, true
	}
	return filterTarget{}, false
}

// compileFilter turns `filter[q][code_or_name_cont]=x` into a condition.
func (r *Registry) compileFilter(def *Definition, key, value string) (db.Condition, *errs.Error) {
	param := "filter[q][" + key + "]"
	for _, pred := range db.Predicates() {
		suffix := "_" + string(pred)
		if !strings.HasSuffix(key, suffix) {
			continue
		}
		names := strings.Split(strings.TrimSuffix(key, suffix), "_or_")
		var targets []filterTarget
		for _, n := range names {
			t, ok := r.resolveFilterAttribute(def, n, 0)
			if !ok {
				targets = nil
				break
			}
			targets = append(targets, t)
		}
		if targets == nil {
			continue
		}
		var cond db.Condition
		for _, t := range targets {
			values, err := filterValues(t, pred, value)
			if err != nil {
				return nil, errs.New(errs.InvalidFilterValue, "%s: %s", key, err.Error()).AtParam(param)
			}
			cond = append(cond, db.Term{Path: t.path, Column: t.column, Predicate: pred, Values: values})
		}
		return cond, nil
	}
	return nil, errs.New(errs.FilterNotAllowed, "%s is not a valid filter for %s", key, def.Type).AtParam(param)
}

type filterValueError string

func (e filterValueError) Error() string { return string(e) }

// filterValues types a filter's value for the attribute and predicate.
func filterValues(target filterTarget, pred db.Predicate, raw string) ([]any, error) {
	typ := target.typ
	if !validText(raw) {
		return nil, filterValueError("expected UTF-8 text without NUL characters")
	}
	if pred.TakesBoolean() {
		switch {
		case (pred == db.Present || pred == db.Blank) && typ != String:
			return nil, filterValueError("present and blank apply to text attributes only")
		case (pred == db.True || pred == db.False) && typ != Boolean:
			return nil, filterValueError("true and false apply to boolean attributes only")
		}
		b, err := parseBool(raw)
		if err != nil {
			return nil, err
		}
		return []any{b}, nil
	}
	parts := []string{raw}
	if pred.TakesList() {
		parts = strings.Split(raw, ",")
	}
	if pred.IsText() {
		if typ != String {
			return nil, filterValueError("text predicates apply to text attributes only")
		}
	}
	out := make([]any, 0, len(parts))
	for _, s := range parts {
		if typ == String && tooLong(s, target.max) {
			return nil, filterValueError(fmt.Sprintf("a value is longer than the attribute's maximum of %d characters", target.max))
		}
		v, err := parseValue(typ, s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// validText says whether s can be sent to the database as text: PostgreSQL
// refuses invalid UTF-8 and NUL characters.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "t", "yes":
		return true, nil
	case "false", "0", "f", "no":
		return false, nil
	}
	return false, filterValueError("expected true or false, got " + strconv.Quote(s))
}

func parseValue(typ AttrType, s string) (any, error) {
	switch typ {
	case Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, filterValueError("expected an integer, got " + strconv.Quote(s))
		}
		return n, nil
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, filterValueError("expected a number, got " + strconv.Quote(s))
		}
		return f, nil
	case Boolean:
		return parseBool(s)
	case DateTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, filterValueError("expected an ISO 8601 time, got " + strconv.Quote(s))
	case Object, Array:
		return nil, filterValueError("JSON attributes cannot be filtered")
	}
	return s, nil
}
