package serializers_test

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kasse/errs"
	"kasse/serializers"
)

// defaults is what ParseParams returns for an empty query.
func defaults() serializers.Params {
	return serializers.Params{
		Fields:  map[string][]string{},
		Filters: map[string]string{},
		Page:    serializers.Page{Number: 1, Size: serializers.DefaultPageSize},
	}
}

func with(f func(p *serializers.Params)) serializers.Params {
	p := defaults()
	f(&p)
	return p
}

func TestParseParamsValid(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  serializers.Params
	}{
		{"empty", "", defaults()},
		{"include paths", "include=author,comments.author", with(func(p *serializers.Params) {
			p.HasInclude = true
			p.Include = [][]string{{"author"}, {"comments", "author"}}
		})},
		{"include depth 3", "include=a.b.c", with(func(p *serializers.Params) {
			p.HasInclude = true
			p.Include = [][]string{{"a", "b", "c"}}
		})},
		{"empty include still asks for included", "include=", with(func(p *serializers.Params) { p.HasInclude = true })},
		{"20 include paths", "include=" + strings.Repeat("a,", 19) + "a", with(func(p *serializers.Params) {
			p.HasInclude = true
			for range 20 {
				p.Include = append(p.Include, []string{"a"})
			}
		})},
		{"fields", "fields[articles]=title,body&fields[people]=name", with(func(p *serializers.Params) {
			p.Fields = map[string][]string{"articles": {"title", "body"}, "people": {"name"}}
		})},
		{"percent-encoded brackets", "fields%5Barticles%5D=title&page%5Bsize%5D=2", with(func(p *serializers.Params) {
			p.Fields = map[string][]string{"articles": {"title"}}
			p.Page.Size = 2
		})},
		{"empty fields means none", "fields[people]=", with(func(p *serializers.Params) {
			p.Fields = map[string][]string{"people": {}}
		})},
		{"sort", "sort=-created_at,code", with(func(p *serializers.Params) {
			p.Sort = []serializers.SortKey{{Field: "created_at", Desc: true}, {Field: "code"}}
		})},
		{"last repeated value wins", "sort=a&sort=-b", with(func(p *serializers.Params) {
			p.Sort = []serializers.SortKey{{Field: "b", Desc: true}}
		})},
		{"page bounds", "page[number]=3&page[size]=25", with(func(p *serializers.Params) {
			p.Page = serializers.Page{Number: 3, Size: 25}
		})},
		{"page size 1", "page[size]=1", with(func(p *serializers.Params) { p.Page.Size = 1 })},
		{"filters sorted by key", "filter[q][name_cont]=b&filter[q][code_eq]=A&filter[q][id_in]=", with(func(p *serializers.Params) {
			p.Filters = map[string]string{"name_cont": "b", "code_eq": "A", "id_in": ""}
			p.FilterKeys = []string{"code_eq", "id_in", "name_cont"}
		})},
		{"20 filters", filters(20), with(func(p *serializers.Params) {
			for i := range 20 {
				k := fmt.Sprintf("f%02d_eq", i)
				p.Filters[k] = "1"
				p.FilterKeys = append(p.FilterKeys, k)
			}
		})},
		{"implementation-specific params are ignored", "myParam=1&withCount=true&ns:ext=1&foo_bar=1&Include=x&fooBar[x]=1&_=1", defaults()},
		{"empty key is ignored", "=x", defaults()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.query, err)
			}
			got, err := serializers.ParseParams(q)
			if err != nil {
				t.Fatalf("ParseParams(%q): %v", tt.query, err)
			}
			// A query without fields or filters leaves their maps nil,
			// which reads as empty.
			if got.Fields == nil {
				got.Fields = map[string][]string{}
			}
			if got.Filters == nil {
				got.Filters = map[string]string{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseParams(%q)\n got %+v\nwant %+v", tt.query, got, tt.want)
			}
		})
	}
}

func filters(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf("filter[q][f%02d_eq]=1", i))
	}
	return strings.Join(parts, "&")
}

// problem is one expected client error: its code and offending parameter.
type problem struct {
	code  errs.Code
	param string
}

func problemsOf(t *testing.T, err error) []problem {
	t.Helper()
	list, ok := errs.As(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a client error", err, err)
	}
	var out []problem
	for _, e := range list {
		if e.Code.Status() != 400 {
			t.Errorf("%s: status %d, want 400", e.Code, e.Code.Status())
		}
		if e.Detail == "" {
			t.Errorf("%s on %s has no detail", e.Code, e.Parameter)
		}
		out = append(out, problem{e.Code, e.Parameter})
	}
	slices.SortFunc(out, func(a, b problem) int { return strings.Compare(string(a.code)+a.param, string(b.code)+b.param) })
	return out
}

func TestParseParamsErrors(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  []problem
	}{
		// include
		{"include depth 4", "include=a.b.c.d", []problem{{errs.InvalidInclude, "include"}}},
		{"include depth 4 among valid paths", "include=author,a.b.c.d", []problem{{errs.InvalidInclude, "include"}}},
		{"empty include path", "include=a,,b", []problem{{errs.InvalidInclude, "include"}}},
		{"trailing comma", "include=a,", []problem{{errs.InvalidInclude, "include"}}},
		{"empty segment", "include=a..b", []problem{{errs.InvalidInclude, "include"}}},
		{"leading dot", "include=.a", []problem{{errs.InvalidInclude, "include"}}},
		{"trailing dot", "include=a.", []problem{{errs.InvalidInclude, "include"}}},
		{"21 include paths", "include=" + strings.Repeat("a,", 20) + "a", []problem{{errs.InvalidInclude, "include"}}},
		{"include with brackets", "include[x]=a", []problem{{errs.ParamNotAllowed, "include[x]"}}},
		// fields
		{"fields without type", "fields=title", []problem{{errs.ParamNotAllowed, "fields"}}},
		{"fields with empty type", "fields[]=title", []problem{{errs.ParamNotAllowed, "fields[]"}}},
		{"fields nested", "fields[a][b]=title", []problem{{errs.ParamNotAllowed, "fields[a][b]"}}},
		// sort
		{"empty sort", "sort=", []problem{{errs.InvalidSortCriteria, "sort"}}},
		{"empty sort field", "sort=a,,b", []problem{{errs.InvalidSortCriteria, "sort"}}},
		{"bare minus", "sort=-", []problem{{errs.InvalidSortCriteria, "sort"}}},
		{"sort with brackets", "sort[a]=b", []problem{{errs.ParamNotAllowed, "sort[a]"}}},
		// page
		{"size above max", "page[size]=26", []problem{{errs.InvalidPageValue, "page[size]"}}},
		{"size zero", "page[size]=0", []problem{{errs.InvalidPageValue, "page[size]"}}},
		{"size negative", "page[size]=-1", []problem{{errs.InvalidPageValue, "page[size]"}}},
		{"size empty", "page[size]=", []problem{{errs.InvalidPageValue, "page[size]"}}},
		{"number zero", "page[number]=0", []problem{{errs.InvalidPageValue, "page[number]"}}},
		{"number not an integer", "page[number]=1.5", []problem{{errs.InvalidPageValue, "page[number]"}}},
		{"number not a number", "page[number]=two", []problem{{errs.InvalidPageValue, "page[number]"}}},
		{"number out of int range", "page[number]=99999999999999999999", []problem{{errs.InvalidPageValue, "page[number]"}}},
		{"number whose offset overflows", "page[number]=9223372036854775807", []problem{{errs.InvalidPageValue, "page[number]"}}},
		{"other page member", "page[offset]=10", []problem{{errs.InvalidPageObject, "page[offset]"}}},
		{"page limit", "page[limit]=10", []problem{{errs.InvalidPageObject, "page[limit]"}}},
		{"bare page", "page=2", []problem{{errs.InvalidPageObject, "page"}}},
		{"nested page", "page[number][x]=2", []problem{{errs.InvalidPageObject, "page[number][x]"}}},
		// filter
		{"filter without q", "filter[code]=x", []problem{{errs.FilterNotAllowed, "filter[code]"}}},
		{"bare filter", "filter=x", []problem{{errs.FilterNotAllowed, "filter"}}},
		{"filter q without key", "filter[q]=x", []problem{{errs.FilterNotAllowed, "filter[q]"}}},
		{"filter q empty key", "filter[q][]=x", []problem{{errs.FilterNotAllowed, "filter[q][]"}}},
		{"filter too deep", "filter[q][a][b]=x", []problem{{errs.FilterNotAllowed, "filter[q][a][b]"}}},
		{"filter other group", "filter[p][code_eq]=x", []problem{{errs.FilterNotAllowed, "filter[p][code_eq]"}}},
		{"21 filters", filters(21), []problem{{errs.FilterNotAllowed, "filter"}}},
		// unknown names
		{"unknown lowercase", "foo=1", []problem{{errs.ParamNotAllowed, "foo"}}},
		{"unknown lowercase with brackets", "foo[bar]=1", []problem{{errs.ParamNotAllowed, "foo[bar]"}}},
		{"unknown lowercase, bad brackets", "foo[=1", []problem{{errs.ParamNotAllowed, "foo["}}},
		{"unknown lowercase, nested brackets", "a[b[c]]=1", []problem{{errs.ParamNotAllowed, "a[b[c]]"}}},
		{"misspelled include", "includes=author", []problem{{errs.ParamNotAllowed, "includes"}}},
		// several at once
		{"all problems are reported", "foo=1&page[size]=99&include=a.b.c.d&filter[x]=1&camelCase=1", []problem{
			{errs.FilterNotAllowed, "filter[x]"},
			{errs.InvalidInclude, "include"},
			{errs.InvalidPageValue, "page[size]"},
			{errs.ParamNotAllowed, "foo"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.query, err)
			}
			_, err = serializers.ParseParams(q)
			if err == nil {
				t.Fatalf("ParseParams(%q) = nil error, want %v", tt.query, tt.want)
			}
			if got := problemsOf(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseParams(%q) problems = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestPageOffset(t *testing.T) {
	tests := []struct {
		page serializers.Page
		want int
	}{
		{serializers.Page{Number: 1, Size: 10}, 0},
		{serializers.Page{Number: 2, Size: 10}, 10},
		{serializers.Page{Number: 3, Size: 25}, 50},
	}
	for _, tt := range tests {
		if got := tt.page.Offset(); got != tt.want {
			t.Errorf("%+v.Offset() = %d, want %d", tt.page, got, tt.want)
		}
	}
}
