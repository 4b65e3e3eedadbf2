package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// filterQueries finds the `filter[q]` parameter's schema of each GET
// operation in the document, by path. libopenapi-validator does not read
// a deep-object parameter whose name has brackets (`filter[q]`), so the
// contract checks these values itself (checkFilters).
type filterQueries struct {
	compiler *jsonschema.Compiler
	ops      []filterOp
	compiled map[string]*jsonschema.Schema // by schema reference
}

type filterOp struct {
	path   *regexp.Regexp // the path template, {id} matching one segment
	schema string         // openapi.json#/components/schemas/…FilterQuery
}

func newFilterQueries(spec []byte, compiler *jsonschema.Compiler) (*filterQueries, error) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name   string `json:"name"`
				Schema struct {
					Ref string `json:"$ref"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	f := &filterQueries{compiler: compiler, compiled: map[string]*jsonschema.Schema{}}
	for template, item := range doc.Paths {
		raw, ok := item["get"]
		if !ok {
			continue
		}
		var op struct {
			Parameters []struct {
				Ref string `json:"$ref"`
			} `json:"parameters"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			return nil, fmt.Errorf("GET %s: %v", template, err)
		}
		for _, p := range op.Parameters {
			param, ok := doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			if !ok || param.Name != "filter[q]" {
				continue
			}
			re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(template), "[^/]+") + "$"
			f.ops = append(f.ops, filterOp{path: regexp.MustCompile(re), schema: "openapi.json" + param.Schema.Ref})
		}
	}
	return f, nil
}

// check holds a request's `filter[q][…]` keys and values to the filter
// schema of its operation: the server must refuse (4xx) a filter the
// document refuses, and must not answer 400 FILTER_NOT_ALLOWED to one the
// document declares. It returns what is wrong, or "".
func (f *filterQueries) check(req *http.Request, status int, body []byte) (string, error) {
	query := map[string]any{}
	for key, values := range req.URL.Query() {
		if name, ok := strings.CutPrefix(key, "filter[q]["); ok && strings.HasSuffix(name, "]") && len(values) > 0 {
			query[strings.TrimSuffix(name, "]")] = values[0]
		}
	}
	if len(query) == 0 || req.Method != http.MethodGet {
		return "", nil
	}
	var op *filterOp
	for i := range f.ops {
		if f.ops[i].path.MatchString(req.URL.Path) {
			op = &f.ops[i]
			break
		}
	}
	if op == nil {
		return "", nil // no list here: the server refuses the filter as any unknown parameter
	}
	schema, ok := f.compiled[op.schema]
	if !ok {
		var err error
		if schema, err = f.compiler.Compile(op.schema); err != nil {
			return "", err
		}
		f.compiled[op.schema] = schema
	}
	refused := schema.Validate(query)
	switch {
	case refused != nil && status < 400:
		return fmt.Sprintf("the server answered %d to filters the OpenAPI document refuses: %v", status, refused), nil
	case refused == nil && status == http.StatusBadRequest && strings.Contains(string(body), `"FILTER_NOT_ALLOWED"`):
		return fmt.Sprintf("the OpenAPI document declares these filters, the server refuses them: %s", body), nil
	}
	return "", nil
}

// TestContractChecksFilters: the contract refuses an exchange where the
// server and the document disagree on a filter, either way.
func TestContractChecksFilters(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	// 20 filters are the most a request may have (serializers.MaxFilters).
	var twenty []string
	for _, p := range []string{"eq", "not_eq", "start", "end", "cont", "not_cont", "not_start", "not_end", "lt", "gt",
		"lteq", "gteq", "eq_any", "in", "not_in", "start_any", "end_any", "cont_any", "lt_any", "gt_any"} {
		twenty = append(twenty, "filter[q][code_"+p+"]=x")
	}
	notAllowed := `{"errors":[{"status":"400","code":"FILTER_NOT_ALLOWED","title":"Filter not allowed","detail":"x"}]}`
	for _, tc := range []struct {
		query  string
		status int
		body   string
		wrong  bool
	}{
		{"filter[q][code_start]=TSHIRT", 200, "", false},
		{"filter[q][name_or_description_cont]=logo&filter[q][created_at_gt]=2026-01-01", 200, "", false},
		{"filter[q][nope_eq]=x", 200, "", true},
		{"filter[q][code_start]=x", 400, notAllowed, true},
		{"filter[q][nope_eq]=x", 400, notAllowed, false},
		{"filter[q][do_not_ship_true]=maybe", 200, "", true},
		{"filter[q][code_true]=true", 200, "", true}, // true/false are for booleans
		{strings.Join(twenty, "&"), 200, "", false},
		{strings.Join(twenty, "&") + "&filter[q][name_eq]=x", 200, "", true},
	} {
		req := httptest.NewRequest(http.MethodGet, testBaseURL+"/api/skus?"+tc.query, nil)
		c.mu.Lock()
		problem, err := c.filters.check(req, tc.status, []byte(tc.body))
		c.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if (problem != "") != tc.wrong {
			t.Errorf("%s answered %d: problem %q, want one: %v", tc.query, tc.status, problem, tc.wrong)
		}
	}
	// A related list takes its target type's filters.
	req := httptest.NewRequest(http.MethodGet, testBaseURL+"/api/skus/abc/prices?filter[q][amount_cents_gt]=abc", nil)
	if problem, _ := c.filters.check(req, 200, nil); problem == "" {
		t.Error("a non-integer amount_cents_gt on /api/skus/{id}/prices is not caught")
	}
}
