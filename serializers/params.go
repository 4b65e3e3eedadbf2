// Package serializers is Kasse's generic JSON:API machinery: it parses query
// parameters and request bodies, and renders documents (resources, linkage,
// compound documents, sparse fieldsets, links, pagination, errors) over
// github.com/google/jsonapi. It knows no concrete resource type.
package serializers

import (
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"kasse/errs"
)

// Bounds on what one request may ask for.
const (
	DefaultPageSize = 10
	MaxPageSize     = 25
	MaxIncludeDepth = 3
	MaxFilters      = 20
	MaxIncludes     = 20
)

// SortKey is one `sort` entry.
type SortKey struct {
	Field string
	Desc  bool
}

// Page is the requested window of a list.
type Page struct {
	Number int
	Size   int
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// Params are a request's JSON:API query parameters, checked for syntax and
// bounds; names are checked against the registry by the caller.
type Params struct {
	Include    [][]string          // dot paths, split
	HasInclude bool                // `include` was given (even empty): `included` must appear
	Fields     map[string][]string // fields[type] → names (an empty list means none)
	Sort       []SortKey
	Page       Page
	Filters    map[string]string // filter[q][key] → value
	// FilterKeys keeps the filter keys in request order for stable queries.
	FilterKeys []string
}

var bracketed = regexp.MustCompile(`^([a-z_]+)((?:\[[^\[\]]*\])*)$`)

// splitKey turns "filter[q][code_eq]" into ("filter", ["q", "code_eq"]).
func splitKey(key string) (string, []string, bool) {
	m := bracketed.FindStringSubmatch(key)
	if m == nil {
		return "", nil, false
	}
	var parts []string
	rest := m[2]
	for rest != "" {
		end := strings.IndexByte(rest, ']')
		parts = append(parts, rest[1:end])
		rest = rest[end+1:]
	}
	return m[1], parts, true
}

// isSpecName reports whether a parameter name is reserved by JSON:API
// (only a-z): an unknown one must be refused. Names with another character
// (camelCase, `ns:x`) are implementation-specific and ignored.
func isSpecName(name string) bool {
	for _, r := range name {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return name != ""
}

// ParseParams reads the JSON:API query parameters of a request.
func ParseParams(q url.Values) (Params, error) {
	// Fields and Filters are made when the query has one: most reads have
	// neither, and a nil map reads as an empty one.
	p := Params{Page: Page{Number: 1, Size: DefaultPageSize}}
	var problems errs.List
	bad := func(code errs.Code, param, format string, args ...any) {
		problems = append(problems, errs.New(code, format, args...).AtParam(param))
	}
	for key, values := range q {
		value := ""
		if len(values) > 0 {
			value = values[len(values)-1]
		}
		base, parts, ok := splitKey(key)
		if !ok {
			name := key
			if i := strings.IndexByte(key, '['); i >= 0 {
				name = key[:i]
			}
			if isSpecName(name) {
				bad(errs.ParamNotAllowed, key, "%s is not allowed", key)
			}
			continue
		}
		switch base {
		case "include":
			if len(parts) != 0 {
				bad(errs.ParamNotAllowed, key, "%s is not allowed", key)
				continue
			}
			p.HasInclude = true
			if value == "" {
				continue
			}
			paths := strings.Split(value, ",")
			if len(paths) > MaxIncludes {
				bad(errs.InvalidInclude, key, "at most %d include paths are allowed", MaxIncludes)
				continue
			}
			for _, path := range paths {
				segs := strings.Split(path, ".")
				if len(segs) > MaxIncludeDepth {
					bad(errs.InvalidInclude, key, "%s is deeper than %d relationships", path, MaxIncludeDepth)
					continue
				}
				for _, s := range segs {
					if s == "" {
						bad(errs.InvalidInclude, key, "%q is not a valid include path", path)
						segs = nil
						break
					}
				}
				if segs != nil {
					p.Include = append(p.Include, segs)
				}
			}
		case "fields":
			if len(parts) != 1 || parts[0] == "" {
				bad(errs.ParamNotAllowed, key, "%s is not allowed: use fields[type]=a,b", key)
				continue
			}
			names := []string{}
			if value != "" {
				names = strings.Split(value, ",")
			}
			if p.Fields == nil {
				p.Fields = map[string][]string{}
			}
			p.Fields[parts[0]] = names
		case "sort":
			if len(parts) != 0 {
				bad(errs.ParamNotAllowed, key, "%s is not allowed", key)
				continue
			}
			for _, f := range strings.Split(value, ",") {
				if f == "" || f == "-" {
					bad(errs.InvalidSortCriteria, key, "empty sort field")
					continue
				}
				desc := strings.HasPrefix(f, "-")
				p.Sort = append(p.Sort, SortKey{Field: strings.TrimPrefix(f, "-"), Desc: desc})
			}
		case "page":
			if len(parts) != 1 || (parts[0] != "number" && parts[0] != "size") {
				bad(errs.InvalidPageObject, key, "%s is not allowed: use page[number] and page[size]", key)
				continue
			}
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				bad(errs.InvalidPageValue, key, "%s must be a positive integer", key)
				continue
			}
			if parts[0] == "size" {
				if n > MaxPageSize {
					bad(errs.InvalidPageValue, key, "page[size] must be at most %d", MaxPageSize)
					continue
				}
				p.Page.Size = n
			} else {
				if n > math.MaxInt/MaxPageSize {
					// Offset() would overflow.
					bad(errs.InvalidPageValue, key, "page[number] must be at most %d", math.MaxInt/MaxPageSize)
					continue
				}
				p.Page.Number = n
			}
		case "filter":
			if len(parts) != 2 || parts[0] != "q" || parts[1] == "" {
				bad(errs.FilterNotAllowed, key, "%s is not allowed: use filter[q][attribute_predicate]", key)
				continue
			}
			if _, dup := p.Filters[parts[1]]; !dup {
				p.FilterKeys = append(p.FilterKeys, parts[1])
			}
			if p.Filters == nil {
				p.Filters = map[string]string{}
			}
			p.Filters[parts[1]] = value
		default:
			if isSpecName(base) {
				bad(errs.ParamNotAllowed, key, "%s is not allowed", key)
			}
		}
	}
	if len(p.Filters) > MaxFilters {
		bad(errs.FilterNotAllowed, "filter", "at most %d filters are allowed", MaxFilters)
	}
	if len(problems) > 0 {
		return p, problems
	}
	slices.Sort(p.FilterKeys)
	return p, nil
}
