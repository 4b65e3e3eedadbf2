package dbtest

import (
	"encoding/json"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db"
)

// Plan explains a statement: SQLite's EXPLAIN QUERY PLAN details, one per
// line, or the names of PostgreSQL's plan nodes with their relation and
// index ("Index Scan skus ix_skus_created_at_id").
func Plan(t testing.TB, gdb *gorm.DB, st db.Statement) []string {
	t.Helper()
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if db.DialectOfDB(gdb) == db.Postgres {
		var out string
		if err := sqlDB.QueryRow("EXPLAIN (FORMAT JSON) "+st.SQL, st.Vars...).Scan(&out); err != nil {
			t.Fatalf("explain %s: %v", st.SQL, err)
		}
		var doc []struct{ Plan pgNode }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(n pgNode)
		walk = func(n pgNode) {
			lines = append(lines, strings.TrimSpace(n.Type+" "+n.Relation+" "+n.Index))
			for _, c := range n.Plans {
				walk(c)
			}
		}
		walk(doc[0].Plan)
		return lines
	}
	rows, err := sqlDB.Query("EXPLAIN QUERY PLAN "+st.SQL, st.Vars...)
	if err != nil {
		t.Fatalf("explain %s: %v", st.SQL, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return lines
}

// pgNode is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgNode struct {
	Type     string   `json:"Node Type"`
	Relation string   `json:"Relation Name"`
	Index    string   `json:"Index Name"`
	Plans    []pgNode `json:"Plans"`
}
