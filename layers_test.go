package kasse_test

// The dependency rule of DESIGN.md §2, checked on the real import graph
// (`go list -json ./...`) and the real source, so that it cannot rot.
// docs/layers.md explains it. Only non-test code is checked: _test.go
// files (and so test-only packages such as this one) may import anything.
//
// A layer is the first path element under the module: kasse/db/dbtest is
// in layer db, kasse/gateways/stripe in layer gateways, kasse/cmd/kasse in
// layer cmd. A package may always import its own layer's packages and errs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mayImport is, for each layer, the other project layers its non-test
// code may import. "*" is anything (cmd wires everything together). A
// package in a layer missing from this table fails the test: a new layer
// must be placed in the rule first. Beyond DESIGN.md's arrows, handlers
// also use serializers (they parse queries and write documents) and the
// engine (they call it), and openapi (a consumer of the registry, like
// handlers) may read db's filter predicate names.
var mayImport = map[string][]string{
	"cmd":         {"*"},
	"handlers":    {"resources", "engine", "auth", "openapi", "models", "serializers"},
	"openapi":     {"resources", "engine", "auth", "models", "serializers", "db"}, // db: only the filter predicate names (db.Predicates)
	"resources":   {"engine", "models"},
	"engine":      {"serializers", "models", "db"},
	"auth":        {"models"},
	"deliveries":  {"engine", "models", "serializers"},
	"gateways":    {"models"},
	"serializers": {},
	"models":      {"db"},
	"db":          {},
	"errs":        {},
	// bench: the benchmark harness, its catalog generator and the
	// hand-written baseline server (make bench; never imported).
	"bench": {"db", "models"},
}

// importableByAll is imported by any layer; it must import no project
// package itself.
const importableByAll = "errs"

// onlyIn lists the third-party imports only some layers may use (cmd is
// exempt: it may import anything). A prefix ending in "/" is a path
// prefix; otherwise the path itself or anything under it.
var onlyIn = []struct {
	prefix string
	layers []string
}{
	{"gorm.io/", []string{"db", "models", "engine"}},
	{"github.com/gin-gonic/", []string{"handlers"}},
	{"github.com/google/jsonapi", []string{"serializers"}},
	// Database drivers: only db opens connections.
	{"gorm.io/driver/", []string{"db"}},
	{"github.com/glebarez/", []string{"db", "bench"}}, // bench: the baseline server opens its own
	{"github.com/jackc/", []string{"db", "bench"}},
	{"modernc.org/sqlite", []string{"db"}},
}

// sqlIn lists the layers whose non-test code may hold SQL text (cmd is
// not exempt).
var sqlIn = []string{"models", "db", "bench"} // bench: the catalog generator and the baseline's hand-written SQL

const module = "kasse"

type goPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	Error      *struct{ Err string }
}

// projectPackages lists the module's packages with their non-test imports.
func projectPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,GoFiles,CgoFiles,Imports,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		if len(p.GoFiles)+len(p.CgoFiles) == 0 {
			continue // test files only (this package)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// layerOf names the layer of a project import path ("" when it is not one).
func layerOf(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	layer, _, _ := strings.Cut(rest, "/")
	return layer
}

func matches(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// TestDependencyRule checks every non-test import of every package
// against mayImport and onlyIn, and reports every violation as
// "package imports path: rule".
func TestDependencyRule(t *testing.T) {
	for layer, allowed := range mayImport {
		for _, other := range allowed {
			if _, ok := mayImport[other]; !ok && other != "*" {
				t.Errorf("rule table: %s may import %q, which is no layer of the table", layer, other)
			}
		}
	}
	report(t, "imports breaking the dependency rule", importViolations(projectPackages(t)))
}

// importViolations lists what in pkgs' imports the rule forbids.
func importViolations(pkgs []goPackage) []string {
	var violations []string
	for _, p := range pkgs {
		layer := layerOf(p.ImportPath)
		allowed, known := mayImport[layer]
		if !known {
			violations = append(violations, fmt.Sprintf("%s: in no layer of the rule table (add layer %q to mayImport)", p.ImportPath, layer))
			continue
		}
		anything := slices.Contains(allowed, "*")
		for _, imp := range p.Imports {
			if other := layerOf(imp); other != "" {
				switch {
				case layer == importableByAll:
					violations = append(violations, fmt.Sprintf("%s imports %s: %s imports no project package", p.ImportPath, imp, importableByAll))
				case anything || other == layer || other == importableByAll || slices.Contains(allowed, other):
				default:
					violations = append(violations, fmt.Sprintf("%s imports %s: %s may import only %s", p.ImportPath, imp, layer, listOr(allowed)))
				}
				continue
			}
			for _, rule := range onlyIn {
				if !anything && matches(imp, rule.prefix) && !slices.Contains(rule.layers, layer) {
					violations = append(violations, fmt.Sprintf("%s imports %s: only %s may import %s", p.ImportPath, imp, strings.Join(rule.layers, ", "), rule.prefix))
				}
			}
		}
	}
	return violations
}

// TestDependencyRuleReports: the checks themselves find what they must,
// so that a bug in them cannot pass the rule silently.
func TestDependencyRuleReports(t *testing.T) {
	got := importViolations([]goPackage{
		{ImportPath: "kasse/handlers", Imports: []string{"gorm.io/gorm", "kasse/db", "kasse/errs", "kasse/models", "github.com/gin-gonic/gin"}},
		{ImportPath: "kasse/errs", Imports: []string{"kasse/models"}},
		{ImportPath: "kasse/models", Imports: []string{"gorm.io/gorm", "gorm.io/driver/postgres", "github.com/google/jsonapi"}},
		{ImportPath: "kasse/gateways/stripe", Imports: []string{"kasse/models", "kasse/gateways", "kasse/db"}},
		{ImportPath: "kasse/cmd/kasse", Imports: []string{"gorm.io/gorm", "kasse/db", "github.com/gin-gonic/gin"}},
		{ImportPath: "kasse/utils", Imports: nil},
	})
	want := []string{
		"kasse/handlers imports gorm.io/gorm: only db, models, engine may import gorm.io/",
		"kasse/handlers imports kasse/db: handlers may import only resources, engine, auth, openapi, models, serializers, errs",
		"kasse/errs imports kasse/models: errs imports no project package",
		"kasse/models imports gorm.io/driver/postgres: only db may import gorm.io/driver/",
		"kasse/models imports github.com/google/jsonapi: only serializers may import github.com/google/jsonapi",
		"kasse/gateways/stripe imports kasse/db: gateways may import only models, errs",
		`kasse/utils: in no layer of the rule table (add layer "utils" to mayImport)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("reported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	src := `package x
func f(tx *gorm.DB) {
	tx.Where("id = ?", 1).Order("created_at, id")
	_ = "SELECT 1"
	_ = "retired_at IS NULL"
	_ = "created_at DESC"
	_ = "DELETE" // an HTTP method
	_ = "/api/skus?include=prices"
	_ = "order them by date, where it is set"
	r.Group("/api")
}`
	got = sqlViolations(token.NewFileSet(), "kasse/x", "x.go", src)
	want = []string{
		`x.go:3: SQL text in kasse/x (argument of Order): "created_at, id"`,
		`x.go:3: SQL text in kasse/x (argument of Where): "id = ?"`,
		`x.go:4: SQL text in kasse/x (a statement): "SELECT 1"`,
		`x.go:5: SQL text in kasse/x (a clause): "retired_at IS NULL"`,
		`x.go:6: SQL text in kasse/x (a sort): "created_at DESC"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("reported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// SQL text, recognized by a few patterns with few false positives: case
// matters (SQL keywords in capitals, as Kasse writes them).
var sqlPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a statement", regexp.MustCompile(`^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|(CREATE|DROP)\s+(TABLE|SCHEMA|VIEW|SEQUENCE|EXTENSION|(UNIQUE\s+)?INDEX)\b|ALTER\s+TABLE\s|TRUNCATE\s|WITH\s+\w+\s+AS\s*\()`)},
	{"a clause", regexp.MustCompile(`(^|\s)(FROM|WHERE|JOIN|GROUP\s+BY|ORDER\s+BY|HAVING|RETURNING|ON\s+CONFLICT|FOR\s+(UPDATE|SHARE)|IS\s+(NOT\s+)?NULL)(\s|$)`)},
	{"a condition with a placeholder", regexp.MustCompile(`(^|\w)\s*(=|<>|!=|<=|>=|<|>)\s*\?|\s(IN|LIKE|ILIKE)\s*\(?\?`)},
	{"a sort", regexp.MustCompile(`\w\s+(ASC|DESC)\b`)},
}

// queryMethods are gorm's methods that take SQL text: a string literal
// passed to one of them is SQL even when no pattern sees it
// (Order("created_at, id")). Group is left out: gin has one too.
var queryMethods = map[string]bool{
	"Where": true, "Or": true, "Not": true, "Order": true, "Having": true,
	"Joins": true, "InnerJoins": true, "Raw": true, "Exec": true, "Select": true, "Distinct": true,
}

// TestSQLOnlyInModelsAndDB scans the string literals of every non-test
// file outside sqlIn for SQL text.
func TestSQLOnlyInModelsAndDB(t *testing.T) {
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var violations []string
	fset := token.NewFileSet()
	for _, p := range projectPackages(t) {
		if slices.Contains(sqlIn, layerOf(p.ImportPath)) {
			continue
		}
		for _, name := range append(slices.Clone(p.GoFiles), p.CgoFiles...) {
			path := filepath.Join(p.Dir, name)
			rel, err := filepath.Rel(root, path)
			if err != nil {
				rel = path
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			violations = append(violations, sqlViolations(fset, p.ImportPath, rel, src)...)
		}
	}
	report(t, "SQL text outside "+strings.Join(sqlIn, " and "), violations)
}

// sqlViolations lists the SQL text in one file of package pkg.
func sqlViolations(fset *token.FileSet, pkg, name string, src any) []string {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", name, err)}
	}
	var violations []string
	seen := map[token.Pos]bool{}
	flag := func(lit *ast.BasicLit, why string) {
		if !seen[lit.Pos()] {
			seen[lit.Pos()] = true
			violations = append(violations, fmt.Sprintf("%s:%d: SQL text in %s (%s): %s", name, fset.Position(lit.Pos()).Line, pkg, why, short(lit.Value)))
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || !queryMethods[sel.Sel.Name] || len(n.Args) == 0 {
				return true
			}
			ast.Inspect(n.Args[0], func(m ast.Node) bool {
				if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					flag(lit, "argument of "+sel.Sel.Name)
				}
				return true
			})
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(n.Value)
			if err != nil {
				return true
			}
			for _, pat := range sqlPatterns {
				if pat.re.MatchString(s) {
					flag(n, pat.what)
					break
				}
			}
		}
		return true
	})
	return violations
}

func listOr(layers []string) string {
	if len(layers) == 0 {
		return importableByAll
	}
	return strings.Join(append(slices.Clone(layers), importableByAll), ", ")
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func report(t *testing.T, what string, violations []string) {
	t.Helper()
	slices.Sort(violations)
	violations = slices.Compact(violations)
	for _, v := range violations {
		t.Error(v)
	}
	if len(violations) > 0 {
		t.Logf("%d %s (the rule: docs/layers.md; its table is at the top of layers_test.go)", len(violations), what)
	}
}
