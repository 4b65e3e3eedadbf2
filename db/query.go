package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Predicate is a Ransack-style value test ("eq", "cont", "null", …).
type Predicate string

// The predicates Kasse's filters accept. Each of the comparison and text
// ones also has an `_any` form (OR over a comma list) and an `_all` form
// (AND over it).
const (
	Eq       Predicate = "eq"
	NotEq    Predicate = "not_eq"
	In       Predicate = "in"
	NotIn    Predicate = "not_in"
	Lt       Predicate = "lt"
	Lteq     Predicate = "lteq"
	Gt       Predicate = "gt"
	Gteq     Predicate = "gteq"
	Cont     Predicate = "cont"
	NotCont  Predicate = "not_cont"
	Start    Predicate = "start"
	NotStart Predicate = "not_start"
	End      Predicate = "end"
	NotEnd   Predicate = "not_end"
	Null     Predicate = "null"
	NotNull  Predicate = "not_null"
	Present  Predicate = "present"
	Blank    Predicate = "blank"
	True     Predicate = "true"
	False    Predicate = "false"
)

// valuePredicates take a value of the attribute's type and have _any/_all forms.
var valuePredicates = []Predicate{Eq, NotEq, Lt, Lteq, Gt, Gteq, Cont, NotCont, Start, NotStart, End, NotEnd}

// allPredicates is every predicate name, longest first, built once.
var allPredicates = func() []Predicate {
	out := []Predicate{In, NotIn, Null, NotNull, Present, Blank, True, False}
	for _, p := range valuePredicates {
		out = append(out, p, p+"_any", p+"_all")
	}
	slices.SortStableFunc(out, func(a, b Predicate) int { return len(b) - len(a) })
	return out
}()

// Predicates lists every predicate name, longest first so that suffix
// matching ("not_eq" before "eq") is unambiguous.
func Predicates() []Predicate { return slices.Clone(allPredicates) }

// Base strips an _any/_all suffix: the predicate the values are tested with.
func (p Predicate) Base() (Predicate, string) {
	s := string(p)
	for _, suffix := range []string{"_any", "_all"} {
		if strings.HasSuffix(s, suffix) {
			return Predicate(strings.TrimSuffix(s, suffix)), suffix
		}
	}
	return p, ""
}

// TakesList says whether the predicate's value is a comma-separated list.
func (p Predicate) TakesList() bool {
	_, suffix := p.Base()
	return p == In || p == NotIn || suffix != ""
}

// TakesBoolean says whether the predicate's value is a flag (null=true)
// rather than a value of the attribute's type.
func (p Predicate) TakesBoolean() bool {
	switch p {
	case Null, NotNull, Present, Blank, True, False:
		return true
	}
	return false
}

// IsText says whether the predicate matches text patterns.
func (p Predicate) IsText() bool {
	base, _ := p.Base()
	switch base {
	case Cont, NotCont, Start, NotStart, End, NotEnd:
		return true
	}
	return false
}

// Hop crosses to a related table: the current table's LocalKey must be IN
// the related Table's RemoteKey values that pass the rest of the term.
type Hop struct {
	Table     string
	LocalKey  string
	RemoteKey string
}

// Term is one attribute test, possibly on a related table.
type Term struct {
	Path      []Hop
	Column    string
	Predicate Predicate
	Values    []any
}

// Condition is terms joined with OR (Ransack's `a_or_b_pred`).
type Condition []Term

// Order is one sort key.
type Order struct {
	Column string
	Desc   bool
}

// Query is a list request against one table, already validated and typed.
type Query struct {
	Where  []Condition
	Order  []Order
	Limit  int
	Offset int
}

// Apply adds the query's conditions (not its order or window) to tx.
func Apply(tx *gorm.DB, table string, conds []Condition) (*gorm.DB, error) {
	b := termBuilder{dialect: dialectOf(tx)}
	for _, cond := range conds {
		var parts []string
		var args []any
		for _, term := range cond {
			sql, targs, err := b.term(quote(table), term, 0)
			if err != nil {
				return nil, err
			}
			parts = append(parts, sql)
			args = append(args, targs...)
		}
		if len(parts) == 0 {
			continue
		}
		tx = tx.Where("("+strings.Join(parts, " OR ")+")", args...)
	}
	return tx, nil
}

// dialectOf tells which engine a gorm handle talks to.
func dialectOf(tx *gorm.DB) Dialect {
	if tx.Dialector != nil && tx.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// termBuilder writes terms as SQL for one dialect.
type termBuilder struct{ dialect Dialect }

// term writes one term on the table (or alias) ref. A hop to a related
// table is a correlated EXISTS on an alias of its own (h1, h2, … by depth),
// which both engines drive from the related table's index on RemoteKey
// row by row, and stop at the first match: unlike `IN (SELECT …)`, which
// SQLite materialises in full on every call.
func (b termBuilder) term(ref string, term Term, depth int) (string, []any, error) {
	if len(term.Path) == 0 {
		return b.predicate(ref+"."+quote(term.Column), term.Predicate, term.Values)
	}
	hop := term.Path[0]
	alias := quote(fmt.Sprintf("h%d", depth+1))
	inner, args, err := b.term(alias, Term{Path: term.Path[1:], Column: term.Column, Predicate: term.Predicate, Values: term.Values}, depth+1)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM %s %s WHERE %s.%s = %s.%s AND %s)", quote(hop.Table), alias, alias, quote(hop.RemoteKey), ref, quote(hop.LocalKey), inner), args, nil
}

// quote quotes an identifier; identifiers come from the registry, never
// from the request, but quoting keeps reserved words ("number") safe.
func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

// prefixEnd is the least string above every string that starts with
// prefix, in byte order (SQLite's BINARY collation): the prefix with its
// last byte incremented. UTF-8 never holds 0xff, so only an empty prefix
// has none.
func prefixEnd(prefix string) (string, bool) {
	if prefix == "" || prefix[len(prefix)-1] == 0xff {
		return "", false
	}
	end := []byte(prefix)
	end[len(end)-1]++
	return string(end), true
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (b termBuilder) predicate(col string, p Predicate, values []any) (string, []any, error) {
	base, suffix := p.Base()
	if suffix != "" {
		if len(values) == 0 {
			return "", nil, fmt.Errorf("predicate %s needs values", p)
		}
		joiner := " OR "
		if suffix == "_all" {
			joiner = " AND "
		}
		var parts []string
		var args []any
		for _, v := range values {
			s, a, err := b.predicate(col, base, []any{v})
			if err != nil {
				return "", nil, err
			}
			parts = append(parts, s)
			args = append(args, a...)
		}
		return "(" + strings.Join(parts, joiner) + ")", args, nil
	}
	flag := func() bool {
		if len(values) == 1 {
			if b, ok := values[0].(bool); ok {
				return b
			}
		}
		return true
	}
	one := func() (any, error) {
		if len(values) != 1 {
			return nil, fmt.Errorf("predicate %s takes one value", p)
		}
		return values[0], nil
	}
	text := func(pattern func(string) string) (string, []any, error) {
		v, err := one()
		if err != nil {
			return "", nil, err
		}
		return "LOWER(" + col + ") LIKE ? ESCAPE '\\'", []any{pattern(strings.ToLower(fmt.Sprint(v)))}, nil
	}
	negate := func(s string, a []any, err error) (string, []any, error) {
		if err != nil {
			return "", nil, err
		}
		return "(" + col + " IS NULL OR NOT (" + s + "))", a, nil
	}
	switch p {
	case Eq, NotEq, Lt, Lteq, Gt, Gteq:
		v, err := one()
		if err != nil {
			return "", nil, err
		}
		var op string
		switch p {
		case NotEq:
			return "(" + col + " IS NULL OR " + col + " <> ?)", []any{v}, nil
		case Eq:
			op = " = ?"
		case Lt:
			op = " < ?"
		case Lteq:
			op = " <= ?"
		case Gt:
			op = " > ?"
		case Gteq:
			op = " >= ?"
		}
		return col + op, []any{v}, nil
	case In, NotIn:
		if len(values) == 0 {
			return "", nil, fmt.Errorf("predicate %s needs values", p)
		}
		if p == NotIn {
			return "(" + col + " IS NULL OR " + col + " NOT IN ?)", []any{values}, nil
		}
		return col + " IN ?", []any{values}, nil
	case Cont:
		return text(func(s string) string { return "%" + likeEscape(s) + "%" })
	case Start:
		sql, args, err := text(func(s string) string { return likeEscape(s) + "%" })
		if err != nil || b.dialect != SQLite {
			// PostgreSQL serves the LIKE prefix itself from a
			// text_pattern_ops index on LOWER(column).
			return sql, args, err
		}
		// SQLite's LIKE optimisation needs a bare column, never
		// LOWER(column): the same prefix as a range of LOWER(column),
		// which an index on that expression serves; the LIKE keeps the
		// exact meaning.
		low := strings.ToLower(fmt.Sprint(values[0]))
		high, ok := prefixEnd(low)
		if !ok {
			return sql, args, nil
		}
		return "(" + sql + " AND LOWER(" + col + ") >= ? AND LOWER(" + col + ") < ?)", append(args, low, high), nil
	case End:
		return text(func(s string) string { return "%" + likeEscape(s) })
	case NotCont:
		return negate(text(func(s string) string { return "%" + likeEscape(s) + "%" }))
	case NotStart:
		return negate(text(func(s string) string { return likeEscape(s) + "%" }))
	case NotEnd:
		return negate(text(func(s string) string { return "%" + likeEscape(s) }))
	case Null, NotNull:
		isNull := (p == Null) == flag()
		if isNull {
			return col + " IS NULL", nil, nil
		}
		return col + " IS NOT NULL", nil, nil
	case Present, Blank:
		present := (p == Present) == flag()
		if present {
			return "(" + col + " IS NOT NULL AND " + col + " <> '')", nil, nil
		}
		return "(" + col + " IS NULL OR " + col + " = '')", nil, nil
	case True, False:
		want := (p == True) == flag()
		if want {
			return col + " = ?", []any{true}, nil
		}
		return "(" + col + " IS NULL OR " + col + " = ?)", []any{false}, nil
	}
	return "", nil, fmt.Errorf("unknown predicate %q", p)
}

// Find runs a list query into dest (a pointer to a slice of models). For
// a slice of structs it writes the SELECT itself, runs it with Rows and
// scans by a plan (scan.go). On a handle from ForUpdate it locks the rows on
// PostgreSQL (SQLite's write transaction is its lock).
func Find(ctx context.Context, tx *gorm.DB, table string, dest any, q Query) error {
	slice, ok := sliceOfStructs(dest)
	var plan *scanPlan
	if ok {
		var err error
		if plan, err = planOf(tx, slice.Type().Elem()); err != nil {
			return err
		}
	}
	if plan == nil {
		return gormFind(ctx, tx, table, dest, q)
	}
	sql, args, err := selectSQL(tx, table, q)
	if err != nil {
		return err
	}
	rows, err := Rows(ctx, tx, sql, args...)
	if err != nil {
		return err
	}
	return scanAll(ctx, tx, rows, slice, plan, q.Limit)
}

// selectSQL writes q as `SELECT * FROM table WHERE … ORDER BY … LIMIT …`
// with `?` placeholders (gorm numbers them and expands lists), as gorm's
// Find would have written it.
func selectSQL(tx *gorm.DB, table string, q Query) (string, []any, error) {
	b := termBuilder{dialect: dialectOf(tx)}
	var sql strings.Builder
	var args []any
	quoted := quote(table)
	sql.Grow(128)
	sql.WriteString("SELECT * FROM ")
	sql.WriteString(quoted)
	joiner := " WHERE "
	for _, cond := range q.Where {
		if len(cond) == 0 {
			continue
		}
		sql.WriteString(joiner)
		joiner = " AND "
		sql.WriteString("(")
		for i, term := range cond {
			text, targs, err := b.term(quoted, term, 0)
			if err != nil {
				return "", nil, err
			}
			if i > 0 {
				sql.WriteString(" OR ")
			}
			sql.WriteString(text)
			args = append(args, targs...)
		}
		sql.WriteString(")")
	}
	for i, o := range q.Order {
		if i == 0 {
			sql.WriteString(" ORDER BY ")
		} else {
			sql.WriteString(",")
		}
		sql.WriteString(quoted)
		sql.WriteString(".")
		sql.WriteString(quote(o.Column))
		if o.Desc {
			sql.WriteString(" DESC")
		} else {
			sql.WriteString(" ASC")
		}
	}
	if q.Limit > 0 {
		sql.WriteString(" LIMIT " + strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		sql.WriteString(" OFFSET " + strconv.Itoa(q.Offset))
	}
	if _, locking := tx.Statement.Clauses["FOR"]; locking && b.dialect == Postgres {
		sql.WriteString(" FOR UPDATE")
	}
	return sql.String(), args, nil
}

// gormFind is Find through gorm's query builder and scan.
func gormFind(ctx context.Context, tx *gorm.DB, table string, dest any, q Query) error {
	query, err := Apply(tx.WithContext(ctx).Table(table), table, q.Where)
	if err != nil {
		return err
	}
	for _, o := range q.Order {
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		query = query.Order(quote(table) + "." + quote(o.Column) + dir)
	}
	if q.Limit > 0 {
		query = query.Limit(q.Limit)
	}
	if q.Offset > 0 {
		query = query.Offset(q.Offset)
	}
	return query.Find(dest).Error
}

// IDs returns the ids of the rows conds select, oldest first.
func IDs(ctx context.Context, tx *gorm.DB, table string, conds []Condition) ([]string, error) {
	query, err := Apply(tx.WithContext(ctx).Table(table), table, conds)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = query.Order(quote(table)+".created_at, "+quote(table)+".id").Pluck(quote(table)+".id", &ids).Error
	return ids, err
}

// Count counts the rows a list query matches, ignoring its window.
func Count(ctx context.Context, tx *gorm.DB, table string, q Query) (int64, error) {
	query, err := Apply(tx.WithContext(ctx).Table(table), table, q.Where)
	if err != nil {
		return 0, err
	}
	var n int64
	err = query.Count(&n).Error
	return n, err
}

// CountUpTo counts the rows a list query matches, but reads at most
// bound+1 of them: an answer above bound only says "more than bound", at a
// cost that does not grow with the table.
func CountUpTo(ctx context.Context, tx *gorm.DB, table string, q Query, bound int64) (int64, error) {
	sub, err := Apply(tx.WithContext(ctx).Table(table), table, q.Where)
	if err != nil {
		return 0, err
	}
	var n int64
	err = Scan(tx.WithContext(ctx).Raw("SELECT COUNT(*) FROM (?) AS bounded", sub.Select("1").Limit(int(bound+1))), &n)
	return n, err
}

// Estimate is the planner's estimate of how many rows a list query
// matches, read from EXPLAIN without running the query, on PostgreSQL; ok
// is false on SQLite, whose planner keeps no row estimates.
func Estimate(ctx context.Context, tx *gorm.DB, table string, q Query) (n int64, ok bool, err error) {
	if dialectOf(tx) != Postgres {
		return 0, false, nil
	}
	query, err := Apply(tx.WithContext(ctx).Table(table), table, q.Where)
	if err != nil {
		return 0, false, err
	}
	var plan string
	if err := tx.WithContext(ctx).Raw("EXPLAIN (FORMAT JSON) ?", query.Select("1")).Row().Scan(&plan); err != nil {
		return 0, false, err
	}
	var explained []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &explained); err != nil || len(explained) == 0 {
		return 0, false, fmt.Errorf("db: reading the plan's estimate: %v", err)
	}
	return int64(explained[0].Plan.Rows), true, nil
}

// FindIn loads every row of table whose column is one of values (and
// that passes the extra conditions), in one query, ordered by order: the
// batch step of include loading.
func FindIn(ctx context.Context, tx *gorm.DB, table string, dest any, column string, values []any, order []Order, extra []Condition) error {
	where := append([]Condition{{{Column: column, Predicate: In, Values: values}}}, extra...)
	return Find(ctx, tx, table, dest, Query{Where: where, Order: order})
}

// Scan runs the query of the chain tx and scans its rows into dest, as
// gorm's (*DB).Scan does but without the recorder it logs through, which
// formats every statement with its values (regular expressions over the
// SQL) even when nothing is logged: a tenth of a read's CPU. tx must be a
// chain (Raw, Model, Table…), not the root handle.
func Scan(tx *gorm.DB, dest any) error {
	rows, err := tx.Rows()
	if err != nil {
		return err
	}
	if rows.Next() {
		err = tx.ScanRows(rows, dest)
	}
	if err == nil {
		err = rows.Err()
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
