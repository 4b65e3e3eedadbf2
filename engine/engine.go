package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// Engine reads and writes any registered resource type.
type Engine struct {
	DB       *gorm.DB
	Registry *Registry
	// BaseURL is the origin of URL attributes (webhook_endpoint_url).
	BaseURL string
	// Payments runs the payment flow: provider calls, and the orders'
	// payment hook on place and cancel. Nil when no gateways are wired in
	// (orders are then placed unpaid).
	Payments *models.Payments
	// URLGuard checks outbound URLs (nil: https and public addresses only).
	URLGuard *models.URLGuard
}

// New serves the registry's types from gdb.
func New(gdb *gorm.DB, registry *Registry) *Engine {
	return &Engine{DB: gdb, Registry: registry}
}

// loaded pairs a model with the node it renders to.
type loaded struct {
	model any
	node  *serializers.Node
}

// nodes prepares freshly read models and renders them for p.
func (e *Engine) nodes(tx *gorm.DB, p *models.Principal, def *Definition, rows []any) ([]loaded, error) {
	if err := def.prepare(tx, rows); err != nil {
		return nil, err
	}
	out := make([]loaded, len(rows))
	for i, m := range rows {
		out[i] = loaded{model: m, node: e.node(p, def, m)}
	}
	return out, nil
}

// node renders one prepared model for p on the engine's origin.
func (e *Engine) node(p *models.Principal, def *Definition, model any) *serializers.Node {
	return def.Node(p, model, e.BaseURL)
}

func nodesOf(l []loaded) []*serializers.Node {
	out := make([]*serializers.Node, len(l))
	for i := range l {
		out[i] = l[i].node
	}
	return out
}

// ExactCountBound is how many matching resources a list counts exactly:
// beyond it, its count is an estimate (Count.Exact false), so that a page
// of a million rows costs what a page of a thousand does.
const ExactCountBound = 1000

// Count is how many resources a list matches: exact up to ExactCountBound;
// beyond it the planner's estimate on PostgreSQL, ExactCountBound+1 (a
// lower bound) on SQLite, and never less than the rows up to the end of
// the page (plus one when the page is full, so that there is a next page).
type Count struct {
	Records int64
	Exact   bool
}

// List returns one page of def's resources that p may list and that match
// q, with q's includes loaded, and their count.
func (e *Engine) List(ctx context.Context, p *models.Principal, def *Definition, q Query) ([]*serializers.Node, Count, error) {
	scope, ok := def.Permit(p, List)
	if !ok {
		return nil, Count{}, ErrDenied(def, List)
	}
	return e.list(ctx, p, def, q, scope)
}

// ListRelated returns one page of what a relationship holds (cond, from
// RelatedScope), limited to what p may see of the target type.
func (e *Engine) ListRelated(ctx context.Context, p *models.Principal, target *Definition, q Query, cond []db.Condition) ([]*serializers.Node, Count, error) {
	scope, ok := target.readScope(p)
	if !ok {
		return nil, Count{}, ErrDenied(target, List)
	}
	return e.list(ctx, p, target, q, append(scope, cond...))
}

// OneRelated returns what a to-one relationship holds (cond, from
// RelatedScope), with q's includes, or nil when it is outside what p may
// see: no count and no page, unlike a list.
func (e *Engine) OneRelated(ctx context.Context, p *models.Principal, target *Definition, q Query, cond []db.Condition) (*serializers.Node, error) {
	scope, ok := target.readScope(p)
	if !ok {
		return nil, ErrDenied(target, List)
	}
	slice := target.newSlice()
	if err := db.Find(ctx, e.DB, target.Table, slice, db.Query{Where: append(target.within(scope), cond...), Limit: 1}); err != nil {
		return nil, err
	}
	items, err := e.nodes(e.DB.WithContext(ctx), p, target, target.elements(slice))
	if err != nil || len(items) == 0 {
		return nil, err
	}
	if err := e.loadIncludes(ctx, e.DB, p, target, items, serializers.TreeOf(q.Include)); err != nil {
		return nil, err
	}
	return items[0].node, nil
}

func (e *Engine) list(ctx context.Context, p *models.Principal, def *Definition, q Query, scope []db.Condition) ([]*serializers.Node, Count, error) {
	where := append(def.within(scope), q.Where...)
	count, err := e.count(ctx, def, where)
	if err != nil {
		return nil, Count{}, err
	}
	slice := def.newSlice()
	if err := db.Find(ctx, e.DB, def.Table, slice, db.Query{Where: where, Order: q.Order, Limit: q.Page.Size, Offset: q.Page.Offset()}); err != nil {
		return nil, Count{}, err
	}
	items, err := e.nodes(e.DB.WithContext(ctx), p, def, def.elements(slice))
	if err != nil {
		return nil, Count{}, err
	}
	if err := e.loadIncludes(ctx, e.DB, p, def, items, serializers.TreeOf(q.Include)); err != nil {
		return nil, Count{}, err
	}
	if !count.Exact {
		seen := int64(q.Page.Offset() + len(items))
		if len(items) == q.Page.Size {
			seen++
		}
		count.Records = max(count.Records, seen)
	}
	return nodesOf(items), count, nil
}

// count counts what where selects exactly up to ExactCountBound, and
// estimates beyond it.
func (e *Engine) count(ctx context.Context, def *Definition, where []db.Condition) (Count, error) {
	n, err := db.CountUpTo(ctx, e.DB, def.Table, db.Query{Where: where}, ExactCountBound)
	if err != nil || n <= ExactCountBound {
		return Count{Records: n, Exact: true}, err
	}
	estimate, _, err := db.Estimate(ctx, e.DB, def.Table, db.Query{Where: where})
	if err != nil {
		return Count{}, err
	}
	return Count{Records: max(estimate, n)}, nil
}

// find loads one model by id within scope; a missing one is a 404.
func (e *Engine) find(ctx context.Context, tx *gorm.DB, def *Definition, id string, scope []db.Condition) (any, error) {
	if !validText(id) {
		return nil, errs.NotFound(def.Type, id)
	}
	slice := def.newSlice()
	where := append(def.within(scope), db.Condition{{Column: "id", Predicate: db.Eq, Values: []any{id}}})
	if err := db.Find(ctx, tx, def.Table, slice, db.Query{Where: where, Limit: 1}); err != nil {
		return nil, err
	}
	items := def.elements(slice)
	if len(items) == 0 {
		return nil, errs.NotFound(def.Type, id)
	}
	return items[0], nil
}

// Get returns one resource p may see, by id, with q's includes loaded.
func (e *Engine) Get(ctx context.Context, p *models.Principal, def *Definition, id string, q Query) (*serializers.Node, error) {
	scope, ok := def.Permit(p, Retrieve)
	if !ok {
		return nil, errs.NotFound(def.Type, id)
	}
	return e.get(ctx, p, def, id, q, scope)
}

// GetSingleton returns the one resource of a singleton type (the
// organization), with q's includes loaded.
func (e *Engine) GetSingleton(ctx context.Context, p *models.Principal, def *Definition, q Query) (*serializers.Node, error) {
	scope, ok := def.Permit(p, Retrieve)
	if !ok || !def.Actions.Singleton {
		return nil, errs.NotFound(def.Type, "")
	}
	slice := def.newSlice()
	if err := db.Find(ctx, e.DB, def.Table, slice, db.Query{Where: def.within(scope), Order: []db.Order{{Column: "created_at"}, {Column: "id"}}, Limit: 1}); err != nil {
		return nil, err
	}
	rows := def.elements(slice)
	if len(rows) == 0 {
		return nil, errs.NotFound(def.Type, "")
	}
	return e.get(ctx, p, def, def.ID(rows[0]), q, scope)
}

// GetWritten returns a resource p has just created or updated: the writer
// sees what it wrote (a guest sees the customer it signed up) even where it
// may not retrieve it later; includes still follow p's rules.
func (e *Engine) GetWritten(ctx context.Context, p *models.Principal, def *Definition, id string, q Query) (*serializers.Node, error) {
	return e.get(ctx, p, def, id, q, nil)
}

func (e *Engine) get(ctx context.Context, p *models.Principal, def *Definition, id string, q Query, scope []db.Condition) (*serializers.Node, error) {
	model, err := e.find(ctx, e.DB, def, id, scope)
	if err != nil {
		return nil, err
	}
	items, err := e.nodes(e.DB.WithContext(ctx), p, def, []any{model})
	if err != nil {
		return nil, err
	}
	if err := e.loadIncludes(ctx, e.DB, p, def, items, serializers.TreeOf(q.Include)); err != nil {
		return nil, err
	}
	return items[0].node, nil
}

// RelatedScope is the condition that selects, on the relationship's target
// type, what the relationship of parent id holds; for a to-one it needs the
// parent's foreign key. The parent must be one p may see.
func (e *Engine) RelatedScope(ctx context.Context, p *models.Principal, def *Definition, id string, rel *Relationship) ([]db.Condition, error) {
	scope, ok := def.readScope(p)
	if !ok {
		return nil, errs.NotFound(def.Type, id)
	}
	parent, err := e.find(ctx, e.DB, def, id, scope)
	if err != nil {
		return nil, err
	}
	if rel.Where != nil {
		return rel.Where(parent), nil
	}
	if rel.ToMany || rel.InverseKey != "" {
		return []db.Condition{{{Column: rel.InverseKey, Predicate: db.Eq, Values: []any{id}}}}, nil
	}
	fk := def.column(parent, rel.ForeignKey)
	if fk == nil {
		return nil, nil
	}
	return []db.Condition{{{Column: "id", Predicate: db.Eq, Values: []any{fk}}}}, nil
}

// PolymorphicTarget finds what a polymorphic to-one of one resource p may
// see points to: the target type and the condition selecting it, or nil
// when it is empty.
func (e *Engine) PolymorphicTarget(ctx context.Context, p *models.Principal, def *Definition, id string, rel *Relationship) (*Definition, []db.Condition, error) {
	scope, ok := def.readScope(p)
	if !ok {
		return nil, nil, errs.NotFound(def.Type, id)
	}
	parent, err := e.find(ctx, e.DB, def, id, scope)
	if err != nil {
		return nil, nil, err
	}
	typ, _ := def.column(parent, rel.TypeColumn).(string)
	fk := def.column(parent, rel.ForeignKey)
	target, ok := e.Registry.Lookup(typ)
	if fk == nil || !ok {
		return nil, nil, nil
	}
	return target, []db.Condition{{{Column: "id", Predicate: db.Eq, Values: []any{fk}}}}, nil
}

// Linkage returns the identifiers a relationship of one resource holds,
// as far as p may see them.
func (e *Engine) Linkage(ctx context.Context, p *models.Principal, def *Definition, id string, rel *Relationship) ([]serializers.Identifier, error) {
	target, _ := e.Registry.Lookup(rel.Target)
	var cond []db.Condition
	var err error
	if len(rel.Polymorphic) > 0 {
		target, cond, err = e.PolymorphicTarget(ctx, p, def, id, rel)
	} else {
		cond, err = e.RelatedScope(ctx, p, def, id, rel)
	}
	if err != nil || cond == nil {
		return nil, err
	}
	scope, ok := target.readScope(p)
	if !ok {
		return nil, ErrDenied(target, Retrieve)
	}
	ids, err := db.IDs(ctx, e.DB, target.Table, append(target.within(scope), cond...))
	if err != nil {
		return nil, err
	}
	out := make([]serializers.Identifier, len(ids))
	for i, rid := range ids {
		out[i] = serializers.Identifier{Type: target.Type, ID: rid}
	}
	return out, nil
}

// loadIncludes loads every include path in batches: one query per
// relationship per level, whatever the number of parents, so the query
// count depends on the include paths and never on the page's content.
func (e *Engine) loadIncludes(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, parents []loaded, tree serializers.IncludeTree) error {
	if len(parents) == 0 || len(tree) == 0 {
		return nil
	}
	names := make([]string, 0, len(tree))
	for name := range tree {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		rel := def.Relationship(name)
		if rel == nil {
			return errors.New("include path not checked: " + name)
		}
		if len(rel.Polymorphic) > 0 {
			if err := e.loadPolymorphic(ctx, tx, p, def, rel, parents); err != nil {
				return err
			}
			continue
		}
		target, _ := e.Registry.Lookup(rel.Target)
		scope, ok := target.readScope(p)
		if !ok {
			return errs.New(errs.InvalidInclude, "%s cannot be included: you may not read %s", name, target.Type).AtParam("include")
		}
		children, err := e.loadRelationship(ctx, tx, p, def, rel, target, parents, target.within(scope))
		if err != nil {
			return err
		}
		if err := e.loadIncludes(ctx, tx, p, target, children, tree[name]); err != nil {
			return err
		}
	}
	return nil
}

// loadPolymorphic batch-loads a polymorphic to-one: one query per target
// type present among the parents.
func (e *Engine) loadPolymorphic(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, rel *Relationship, parents []loaded) error {
	byType := map[string][]any{}
	for _, parent := range parents {
		parent.node.SetRelated(rel.Name, []*serializers.Node{})
		typ, _ := def.column(parent.model, rel.TypeColumn).(string)
		if fk := def.column(parent.model, rel.ForeignKey); fk != nil && slices.Contains(rel.Polymorphic, typ) {
			byType[typ] = append(byType[typ], fk)
		}
	}
	nodes := map[serializers.Identifier]*serializers.Node{}
	for _, typ := range sortedKeys(byType) {
		target, _ := e.Registry.Lookup(typ)
		scope, ok := target.readScope(p)
		if !ok {
			continue
		}
		slice := target.newSlice()
		if err := db.FindIn(ctx, tx, target.Table, slice, "id", byType[typ], nil, target.within(scope)); err != nil {
			return err
		}
		found := target.elements(slice)
		if err := target.prepare(tx, found); err != nil {
			return err
		}
		for _, m := range found {
			nodes[serializers.Identifier{Type: typ, ID: target.ID(m)}] = e.node(p, target, m)
		}
	}
	for _, parent := range parents {
		typ, _ := def.column(parent.model, rel.TypeColumn).(string)
		if fk, ok := def.column(parent.model, rel.ForeignKey).(string); ok {
			if n := nodes[serializers.Identifier{Type: typ, ID: fk}]; n != nil {
				parent.node.SetRelated(rel.Name, []*serializers.Node{n})
			}
		}
	}
	return nil
}

// related collects the distinct rows a relationship's batch loads read,
// each rendered once, for the next include level.
type related struct {
	e        *Engine
	p        *models.Principal
	tx       *gorm.DB
	target   *Definition
	byID     map[string]loaded
	distinct []loaded
}

// keep prepares freshly read rows and adds those not seen yet; it returns
// the node of every row, in order.
func (r *related) keep(rows []any) ([]*serializers.Node, error) {
	if err := r.target.prepare(r.tx, rows); err != nil {
		return nil, err
	}
	nodes := make([]*serializers.Node, 0, len(rows))
	for _, m := range rows {
		id := r.target.ID(m)
		l, ok := r.byID[id]
		if !ok {
			l = loaded{model: m, node: r.e.node(r.p, r.target, m)}
			r.byID[id] = l
			r.distinct = append(r.distinct, l)
		}
		nodes = append(nodes, l.node)
	}
	return nodes, nil
}

// includeOrder is the order of included rows: creation, then id.
var includeOrder = []db.Order{{Column: "created_at"}, {Column: "id"}}

// loadRelationship batch-loads one relationship for all parents, links
// each parent's node to its related nodes, and returns the distinct
// related items for the next level.
func (e *Engine) loadRelationship(ctx context.Context, tx *gorm.DB, p *models.Principal, def *Definition, rel *Relationship, target *Definition, parents []loaded, scope []db.Condition) ([]loaded, error) {
	r := &related{e: e, p: p, tx: tx, target: target, byID: map[string]loaded{}}
	var err error
	switch {
	case rel.Where != nil:
		err = r.loadComputed(ctx, rel, parents, scope)
	case !rel.ToMany && rel.ForeignKey != "":
		err = r.loadForeignKey(ctx, def, rel, parents, scope)
	default:
		err = r.loadInverse(ctx, def, rel, parents, scope)
	}
	return r.distinct, err
}

// loadComputed loads a computed relationship (Where): one query per
// distinct condition among the parents.
func (r *related) loadComputed(ctx context.Context, rel *Relationship, parents []loaded, scope []db.Condition) error {
	byKey := map[string][]*serializers.Node{}
	for _, p := range parents {
		cond := rel.Where(p.model)
		key := fmt.Sprintf("%v", cond)
		nodes, ok := byKey[key]
		if !ok {
			slice := r.target.newSlice()
			if err := db.Find(ctx, r.tx, r.target.Table, slice, db.Query{Where: append(slices.Clone(scope), cond...), Order: includeOrder}); err != nil {
				return err
			}
			var err error
			if nodes, err = r.keep(r.target.elements(slice)); err != nil {
				return err
			}
			byKey[key] = nodes
		}
		p.node.SetRelated(rel.Name, nodes)
	}
	return nil
}

// loadForeignKey loads a to-one stored in the parents' foreign key: one
// query for every distinct key.
func (r *related) loadForeignKey(ctx context.Context, def *Definition, rel *Relationship, parents []loaded, scope []db.Condition) error {
	var keys []any
	seen := map[any]bool{}
	for _, p := range parents {
		if fk := def.column(p.model, rel.ForeignKey); fk != nil && !seen[fk] {
			seen[fk] = true
			keys = append(keys, fk)
		}
	}
	if len(keys) > 0 {
		slice := r.target.newSlice()
		if err := db.FindIn(ctx, r.tx, r.target.Table, slice, "id", keys, includeOrder, scope); err != nil {
			return err
		}
		if _, err := r.keep(r.target.elements(slice)); err != nil {
			return err
		}
	}
	for _, p := range parents {
		p.node.SetRelated(rel.Name, []*serializers.Node{})
		if fk, ok := def.column(p.model, rel.ForeignKey).(string); ok {
			if l, ok := r.byID[fk]; ok {
				p.node.SetRelated(rel.Name, []*serializers.Node{l.node})
			}
		}
	}
	return nil
}

// loadInverse loads a relationship whose rows point back at the parents
// (InverseKey): one query for all parents. A to-one keeps the first row.
func (r *related) loadInverse(ctx context.Context, def *Definition, rel *Relationship, parents []loaded, scope []db.Condition) error {
	keys := make([]any, len(parents))
	for i, p := range parents {
		keys[i] = def.ID(p.model)
	}
	slice := r.target.newSlice()
	if err := db.FindIn(ctx, r.tx, r.target.Table, slice, rel.InverseKey, keys, includeOrder, scope); err != nil {
		return err
	}
	if _, err := r.keep(r.target.elements(slice)); err != nil {
		return err
	}
	grouped := map[string][]*serializers.Node{}
	for _, l := range r.distinct {
		owner, _ := r.target.column(l.model, rel.InverseKey).(string)
		grouped[owner] = append(grouped[owner], l.node)
	}
	for _, p := range parents {
		nodes := grouped[def.ID(p.model)]
		if nodes == nil {
			nodes = []*serializers.Node{}
		}
		if !rel.ToMany && len(nodes) > 1 {
			nodes = nodes[:1]
		}
		p.node.SetRelated(rel.Name, nodes)
	}
	return nil
}
