package engine

import (
	"fmt"

	"kasse/db"
	"kasse/errs"
	"kasse/models"
)

// Verb is an action on a resource type.
type Verb string

// The verbs access rules are written for.
const (
	List     Verb = "list"
	Retrieve Verb = "retrieve"
	Create   Verb = "create"
	Update   Verb = "update"
	Delete   Verb = "delete"
)

// Verbs lists every verb.
var Verbs = []Verb{List, Retrieve, Create, Update, Delete}

// The vocabulary scopes and computed relationships are written in: the db
// package's conditions (terms ANDed across a slice, ORed within one), so
// resource files need not import db.
type (
	Condition = db.Condition
	Term      = db.Term
	Hop       = db.Hop
	Predicate = db.Predicate
)

// The predicates scopes use.
const (
	Eq      = db.Eq
	NotEq   = db.NotEq
	In      = db.In
	NotIn   = db.NotIn
	Null    = db.Null
	NotNull = db.NotNull
)

// Scope selects the rows a principal may act on; nil selects all.
type Scope func(p *models.Principal) []db.Condition

// Grants maps the verbs a role may use to the rows it may use them on.
type Grants map[Verb]Scope

// Access is a type's rules per role. The integration role may do every
// action the type offers; every other role must be declared (an empty
// Grants denies everything), so a resource cannot ship without rules.
type Access map[string]Grants

// Allow grants verbs on every row.
func Allow(verbs ...Verb) Grants { return AllowScoped(nil, verbs...) }

// AllowScoped grants verbs on the rows scope selects.
func AllowScoped(scope Scope, verbs ...Verb) Grants {
	g := Grants{}
	for _, v := range verbs {
		g[v] = scope
	}
	return g
}

// Merge combines grants (later ones win on the same verb).
func Merge(grants ...Grants) Grants {
	out := Grants{}
	for _, g := range grants {
		for v, s := range g {
			out[v] = s
		}
	}
	return out
}

// Offers says whether the type has the endpoint for a verb at all.
func (d *Definition) Offers(v Verb) bool {
	switch v {
	case List:
		return d.Actions.List
	case Retrieve:
		return d.Actions.Retrieve
	case Create:
		return d.Actions.Create
	case Update:
		return d.Actions.Update
	case Delete:
		return d.Actions.Delete
	}
	return false
}

// Permit says whether p may use verb on the type, and on which rows.
// A nil principal (a trusted internal caller) may do everything.
func (d *Definition) Permit(p *models.Principal, v Verb) ([]db.Condition, bool) {
	if !d.Offers(v) {
		return nil, false
	}
	if p == nil || p.Role == models.RoleIntegration {
		return nil, true
	}
	scope, ok := d.Access[p.Role][v]
	if !ok {
		return nil, false
	}
	if scope == nil {
		return nil, true
	}
	return scope(p), true
}

// readScope is what p may see of the type, for includes, related
// endpoints and relationship targets: its retrieve rule.
func (d *Definition) readScope(p *models.Principal) ([]db.Condition, bool) {
	return d.Permit(p, Retrieve)
}

// ErrDenied is the answer to an action a role may not take on a whole
// collection (list, create): 401 "Access denied", as the reference answers.
// Actions on one resource the caller may not see answer 404 instead.
func ErrDenied(d *Definition, v Verb) error {
	return errs.New(errs.Unauthorized, "you are not allowed to %s %s", v, d.Type)
}

func checkAccess(d *Definition) {
	for _, role := range models.Roles {
		if role == models.RoleIntegration {
			continue
		}
		grants, ok := d.Access[role]
		if !ok {
			panic(fmt.Sprintf("%s declares no access rules for the %s role", d.Type, role))
		}
		for v := range grants {
			if !d.Offers(v) {
				panic(fmt.Sprintf("%s grants %s to %s but offers no %s endpoint", d.Type, v, role, v))
			}
		}
	}
}
