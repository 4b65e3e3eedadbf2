package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Statement is one statement run on a database, as its observers see it.
type Statement struct {
	SQL  string
	Vars []any
}

// observers is the plugin Open installs on every handle: who is told of
// each statement, whether gorm ran it or Rows did.
type observers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*func(Statement)]
}

const observersName = "kasse:observers"

func (*observers) Name() string              { return observersName }
func (*observers) Initialize(*gorm.DB) error { return nil }

func (o *observers) notify(s Statement) {
	if l := o.list.Load(); l != nil {
		for _, fn := range *l {
			(*fn)(s)
		}
	}
}

// installObservers registers the plugin and the gorm callbacks that tell
// it of gorm's statements (queries, rows, raw statements and writes; not a
// subquery's dry run, which is part of another statement).
func installObservers(gdb *gorm.DB) error {
	o := &observers{}
	if err := gdb.Use(o); err != nil {
		return err
	}
	cb := gdb.Callback()
	tell := func(tx *gorm.DB) {
		if !tx.DryRun {
			o.notify(Statement{SQL: tx.Statement.SQL.String(), Vars: tx.Statement.Vars})
		}
	}
	for _, register := range []func() error{
		func() error { return cb.Query().After("gorm:query").Register(observersName, tell) },
		func() error { return cb.Row().After("gorm:row").Register(observersName, tell) },
		func() error { return cb.Raw().After("gorm:raw").Register(observersName, tell) },
		func() error { return cb.Create().After("gorm:create").Register(observersName, tell) },
		func() error { return cb.Update().After("gorm:update").Register(observersName, tell) },
		func() error { return cb.Delete().After("gorm:delete").Register(observersName, tell) },
	} {
		if err := register(); err != nil {
			return err
		}
	}
	return nil
}

func observersOf(tx *gorm.DB) *observers {
	o, _ := tx.Config.Plugins[observersName].(*observers)
	return o
}

// ObserveStatements calls fn with every statement run on gdb (a handle
// from Open) from now on, until the returned function is called. fn must
// not keep Vars, which are the statement's own.
func ObserveStatements(gdb *gorm.DB, fn func(Statement)) (stop func()) {
	o := observersOf(gdb)
	if o == nil {
		panic("db: ObserveStatements needs a handle from db.Open")
	}
	entry := &fn
	o.mu.Lock()
	defer o.mu.Unlock()
	var list []*func(Statement)
	if l := o.list.Load(); l != nil {
		list = append(list, *l...)
	}
	list = append(list, entry)
	o.list.Store(&list)
	return func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		var kept []*func(Statement)
		for _, e := range *o.list.Load() {
			if e != entry {
				kept = append(kept, e)
			}
		}
		o.list.Store(&kept)
	}
}

// Rows runs a query on tx's connection (its transaction, when it is one)
// without gorm's statement builder: query's `?` are bound to args, a
// slice argument (other than []byte) expanding to a parenthesised list,
// as gorm binds them. The statement is observed and logged (when slow or
// failed) as gorm's are, and its error translated as gorm translates it.
// An argument that is not a plain value (a subquery) sends the query
// through gorm's Raw.
func Rows(ctx context.Context, tx *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	if tx.Error != nil {
		return nil, tx.Error
	}
	text, vars, ok := bind(dialectOf(tx), query, args)
	if !ok {
		return tx.WithContext(ctx).Raw(query, args...).Rows()
	}
	begin := time.Now()
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, text, vars...)
	if err != nil {
		if translator, ok := tx.Dialector.(gorm.ErrorTranslator); ok && tx.Config.TranslateError {
			err = translator.Translate(err)
		}
	}
	if o := observersOf(tx); o != nil {
		o.notify(Statement{SQL: text, Vars: vars})
	}
	if tx.Logger != nil {
		tx.Logger.Trace(ctx, begin, func() (string, int64) {
			sql, values := text, vars
			if filter, ok := tx.Logger.(gorm.ParamsFilter); ok { // keeps the values out, as gorm does
				sql, values = filter.ParamsFilter(ctx, text, vars...)
			}
			return tx.Dialector.Explain(sql, values...), -1
		}, err)
	}
	return rows, err
}

// bind writes query's placeholders for the dialect ($1… on PostgreSQL)
// and flattens the list arguments; ok is false for an argument bind does
// not take as a value, or when the placeholders and arguments disagree.
func bind(dialect Dialect, query string, args []any) (string, []any, bool) {
	if dialect == SQLite && allPlain(args) {
		return query, args, true // SQLite's placeholders stay `?`: nothing to number or expand
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	vars := make([]any, 0, len(args))
	next := 0
	placeholder := func(v any) {
		vars = append(vars, v)
		if dialect == Postgres {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(vars)))
		} else {
			b.WriteByte('?')
		}
	}
	for rest := query; ; {
		// Copy up to the next placeholder, skipping over quoted literals
		// and identifiers whole.
		i := strings.IndexAny(rest, "?'\"")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		if c := rest[i]; c != '?' {
			end := strings.IndexByte(rest[i+1:], c)
			if end < 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:i+end+2])
			rest = rest[i+end+2:]
			continue
		}
		b.WriteString(rest[:i])
		rest = rest[i+1:]
		if next == len(args) {
			return "", nil, false
		}
		arg := args[next]
		next++
		if plainValue(arg) {
			placeholder(arg)
			continue
		}
		// A list: one placeholder per item, in parentheses.
		var n int
		var item func(int) any
		switch v := arg.(type) {
		case []any:
			n, item = len(v), func(j int) any { return v[j] }
		case []string: // ids, the usual list
			n, item = len(v), func(j int) any { return v[j] }
		default:
			rv := reflect.ValueOf(arg)
			if rv.Kind() != reflect.Slice {
				return "", nil, false
			}
			n, item = rv.Len(), func(j int) any { return rv.Index(j).Interface() }
		}
		b.WriteByte('(')
		if n == 0 {
			b.WriteString("NULL")
		}
		for j := range n {
			if j > 0 {
				b.WriteByte(',')
			}
			v := item(j)
			if !plainValue(v) {
				return "", nil, false
			}
			placeholder(v)
		}
		b.WriteByte(')')
	}
	if next != len(args) {
		return "", nil, false
	}
	return b.String(), vars, true
}

func allPlain(args []any) bool {
	for _, a := range args {
		if !plainValue(a) {
			return false
		}
	}
	return true
}

// plainValue tells a value the driver binds as it is (a named string or
// number type included) from a list or a subquery.
func plainValue(v any) bool {
	switch v.(type) {
	case nil, string, int, int32, int64, float64, bool, time.Time, []byte, driver.Valuer:
		return true
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
