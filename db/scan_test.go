package db_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
)

type ProbeRecord struct {
	ID        string `gorm:"primaryKey"`
	CreatedAt time.Time
}

type probeStatus string

// probe has a field of every kind Kasse's models hold, embedded as the
// models embed Base, and a hook as Order's.
type probe struct {
	ProbeRecord
	Name       string
	Nick       *string
	Count      int64
	Small      int32
	Plain      int
	MaybeCount *int64
	Flag       bool
	MaybeFlag  *bool
	Ratio      float64
	MaybeRatio *float64
	At         *time.Time
	Status     probeStatus
	Meta       db.JSONObject
	Tags       db.JSONArray
	Memo       string `gorm:"column:memo_text"`
	Ignored    string `gorm:"-"`
	found      int
}

func (p *probe) AfterFind(*gorm.DB) error {
	p.found++
	return nil
}

// TestFindScansAsGormDoes: db.Find's own scan reads every kind of column,
// NULLs in fields that cannot hold one included, into what gorm's Find
// reads, runs AfterFind, ignores a column the model lacks, and keeps the
// query's order, filter and window.
func TestFindScansAsGormDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		types := map[db.Dialect][]string{
			db.SQLite:   {"DATETIME", "INTEGER", "BOOLEAN", "REAL", "TEXT"},
			db.Postgres: {"TIMESTAMPTZ(3)", "BIGINT", "BOOLEAN", "DOUBLE PRECISION", "JSONB"},
		}[db.DialectOfDB(gdb)]
		at, integer, boolean, real, json := types[0], types[1], types[2], types[3], types[4]
		ddl := "CREATE TABLE probes (id VARCHAR(32) PRIMARY KEY, created_at " + at + " NOT NULL, name TEXT, nick TEXT, count " + integer +
			", small INTEGER, plain " + integer + ", maybe_count " + integer + ", flag " + boolean + ", maybe_flag " + boolean +
			", ratio " + real + ", maybe_ratio " + real + ", at " + at + ", status TEXT, meta " + json + ", tags " + json +
			", memo_text TEXT, extra TEXT)"
		if err := gdb.Exec(ddl).Error; err != nil {
			t.Fatal(err)
		}
		created := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
		insert := "INSERT INTO probes (id, created_at, name, nick, count, small, plain, maybe_count, flag, maybe_flag, ratio, maybe_ratio, at, status, meta, tags, memo_text, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		rows := [][]any{
			{"p1", created, "full", "nick", int64(1) << 40, 7, -3, int64(9), true, false, 1.5, 2.25, created.Add(time.Hour), "placed", `{"a":1,"b":[true,"x"]}`, `[1,"two"]`, "memo", "not a field"},
			{"p2", created.Add(time.Second), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
			{"p3", created.Add(2 * time.Second), "", "", 0, 0, 0, 0, false, true, 0, 0, created, "", `{}`, `[]`, "", ""},
		}
		for _, r := range rows {
			if err := gdb.Exec(insert, r...).Error; err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		for _, tt := range []struct {
			name  string
			query db.Query
			gorm  func(*gorm.DB) *gorm.DB
		}{
			{"all", db.Query{Order: []db.Order{{Column: "created_at"}, {Column: "id"}}},
				func(q *gorm.DB) *gorm.DB { return q.Order("created_at, id") }},
			{"filtered and windowed", db.Query{
				Where: []db.Condition{{{Column: "id", Predicate: db.In, Values: []any{"p1", "p2", "p3"}}}, {{Column: "id", Predicate: db.NotEq, Values: []any{"p3"}}}},
				Order: []db.Order{{Column: "created_at", Desc: true}}, Limit: 1, Offset: 1,
			}, func(q *gorm.DB) *gorm.DB { return q.Where("id <> ?", "p3").Order("created_at DESC").Limit(1).Offset(1) }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got, want []probe
				if err := db.Find(ctx, gdb, "probes", &got, tt.query); err != nil {
					t.Fatal(err)
				}
				if err := tt.gorm(gdb.Table("probes")).Find(&want).Error; err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 {
					t.Fatal("gorm read no rows")
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("db.Find read\n%+v\ngorm read\n%+v", got, want)
				}
				for _, p := range got {
					if p.found != 1 {
						t.Errorf("%s: AfterFind ran %d times", p.ID, p.found)
					}
				}
			})
		}
		// The slice is replaced, not appended to.
		kept := []probe{{Name: "stale"}}
		if err := db.Find(ctx, gdb, "probes", &kept, db.Query{Where: []db.Condition{{{Column: "id", Predicate: db.Eq, Values: []any{"p1"}}}}}); err != nil {
			t.Fatal(err)
		}
		if len(kept) != 1 || kept[0].ID != "p1" || kept[0].Meta["a"] != float64(1) || kept[0].Memo != "memo" {
			t.Errorf("read %+v", kept)
		}
	})
}

// TestRowsRunsInTheTransaction: Rows reads on the handle's connection, so
// inside a transaction it sees the transaction's own writes, and its
// statements reach the observers as gorm's do.
func TestRowsRunsInTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if err := gdb.Exec("CREATE TABLE notes (id VARCHAR(32) PRIMARY KEY, body TEXT)").Error; err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		seen := dbtest.RecordStatements(t, gdb)
		read := func(tx *gorm.DB) []string {
			rows, err := db.Rows(ctx, tx, "SELECT body FROM notes WHERE id IN ? ORDER BY id", []string{"n1", "n2"})
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var bodies []string
			for rows.Next() {
				var b string
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, b)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return bodies
		}
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO notes (id, body) VALUES (?, ?), (?, ?)", "n1", "one", "n2", "two").Error; err != nil {
				return err
			}
			if got := read(tx); !reflect.DeepEqual(got, []string{"one", "two"}) {
				t.Errorf("inside the transaction read %q", got)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("the transaction committed")
		}
		if got := read(gdb); len(got) != 0 {
			t.Errorf("after the rollback read %q", got)
		}
		var reads int
		for _, sql := range seen.TakeSQL() {
			if strings.HasPrefix(sql, "SELECT body FROM notes WHERE id IN (") {
				reads++
			}
		}
		if reads != 2 {
			t.Errorf("the observers saw %d of Rows' 2 reads", reads)
		}
	})
}
