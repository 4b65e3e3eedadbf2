package db

import (
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

type boundStatus string

// TestBind: Rows binds as gorm's Raw does: numbered placeholders on
// PostgreSQL, lists expanded (an empty one to NULL), a `?` inside a quoted
// literal or identifier left alone, and anything but plain values (or a
// count that does not match, on PostgreSQL; SQLite binds by position
// itself) left to gorm.
func TestBind(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		dialect  Dialect
		query    string
		args     []any
		wantSQL  string
		wantVars []any
		ok       bool
	}{
		{"sqlite values", SQLite, "a = ? AND b = ?", []any{"x", 2}, "a = ? AND b = ?", []any{"x", 2}, true},
		{"postgres values", Postgres, "a = ? AND b = ? AND c = ?", []any{"x", int64(2), at}, "a = $1 AND b = $2 AND c = $3", []any{"x", int64(2), at}, true},
		{"list", Postgres, "id IN ? AND n > ?", []any{[]any{"a", "b"}, 3}, "id IN ($1,$2) AND n > $3", []any{"a", "b", 3}, true},
		{"typed list", SQLite, "id IN ?", []any{[]string{"a", "b", "c"}}, "id IN (?,?,?)", []any{"a", "b", "c"}, true},
		{"empty list", Postgres, "id IN ?", []any{[]any{}}, "id IN (NULL)", []any{}, true},
		{"quoted", Postgres, `x LIKE ? ESCAPE '\' AND "we?ird" = '?' AND y = ?`, []any{"a%", 1}, `x LIKE $1 ESCAPE '\' AND "we?ird" = '?' AND y = $2`, []any{"a%", 1}, true},
		{"named type", Postgres, "s = ?", []any{boundStatus("placed")}, "s = $1", []any{boundStatus("placed")}, true},
		{"doubled quote", Postgres, `a = 'it''s ?' AND b = ?`, []any{1}, `a = 'it''s ?' AND b = $1`, []any{1}, true},
		{"string list", Postgres, "id IN ? AND x = ?", []any{[]string{"a", "b"}, "y"}, "id IN ($1,$2) AND x = $3", []any{"a", "b", "y"}, true},
		{"empty string list", Postgres, "id IN ?", []any{[]string{}}, "id IN (NULL)", []any{}, true},
		{"int list", Postgres, "n IN ?", []any{[]int{1, 2}}, "n IN ($1,$2)", []any{1, 2}, true},
		{"unterminated quote", Postgres, "a = ? AND 'x", []any{1}, "a = $1 AND 'x", []any{1}, true},
		{"bytes", SQLite, "b = ?", []any{[]byte("raw")}, "b = ?", []any{[]byte("raw")}, true},
		{"nil", SQLite, "b IS ?", []any{nil}, "b IS ?", []any{nil}, true},
		{"too few args", Postgres, "a = ? AND b = ?", []any{1}, "", nil, false},
		{"too many args", Postgres, "a = ?", []any{1, 2}, "", nil, false},
		{"not a value", SQLite, "a IN ?", []any{struct{ X int }{1}}, "", nil, false},
		{"list of non-values", SQLite, "a IN ?", []any{[]any{struct{}{}}}, "", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sql, vars, ok := bind(tt.dialect, tt.query, tt.args)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if sql != tt.wantSQL || !reflect.DeepEqual(vars, tt.wantVars) {
				t.Errorf("bound %q %#v, want %q %#v", sql, vars, tt.wantSQL, tt.wantVars)
			}
		})
	}
}

type PlannedBase struct {
	ID string
}

type planned struct {
	PlannedBase
	Name string
}

type PlannedPointerBase struct{ ID string }

type unplanned struct {
	*PlannedPointerBase
	Name string
}

// TestPlanOf: a model whose fields are all reachable by offset gets a plan
// (Find scans it itself, not through gorm); one embedding a pointer does
// not.
func TestPlanOf(t *testing.T) {
	tx := &gorm.DB{Config: &gorm.Config{NamingStrategy: schema.NamingStrategy{}}}
	plan, err := planOf(tx, reflect.TypeFor[planned]())
	if err != nil || plan == nil || plan.fields["name"] == nil || plan.fields["name"].set == nil {
		t.Fatalf("planned: %+v, %v", plan, err)
	}
	if plan, err := planOf(tx, reflect.TypeFor[unplanned]()); err != nil || plan != nil {
		t.Errorf("a pointer-embedded model got a plan: %+v, %v", plan, err)
	}
}
