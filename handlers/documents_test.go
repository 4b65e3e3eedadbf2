package handlers_test

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestInclude(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		t.Run("three levels", func(t *testing.T) {
			e := e.in(t)
			r := e.do("GET", "/api/markets?include=price_list.prices.sku", nil).want(t, 200)
			inc := byType(r.included())
			if len(inc["price_lists"]) != 5 || len(inc["prices"]) != 30 || len(inc["skus"]) != 13 || len(inc) != 3 {
				t.Fatalf("included %d price_lists, %d prices, %d skus (%d types)", len(inc["price_lists"]), len(inc["prices"]), len(inc["skus"]), len(inc))
			}
			for _, m := range r.list() {
				if len(linkage(m, "price_list")) != 1 {
					t.Errorf("market %s: price_list linkage %v", id(m), rel(m, "price_list"))
				}
			}
			for _, pl := range inc["price_lists"] {
				want := map[string]int{"EUR": 13, "USD": 13, "XOF": 2, "AUD": 1, "TRY": 1}[attrs(pl)["currency_code"].(string)]
				if got := len(linkage(pl, "prices")); got != want {
					t.Errorf("price list %v: %d prices linked, want %d", attrs(pl)["code"], got, want)
				}
			}
			for _, p := range inc["prices"] {
				if len(linkage(p, "sku")) != 1 {
					t.Errorf("price %s: sku linkage %v", id(p), rel(p, "sku"))
				}
				// price_list was not on the path from prices: links only.
				if _, ok := rel(p, "price_list")["data"]; ok {
					t.Errorf("price %s: price_list has data without being included", id(p))
				}
			}
			for _, s := range inc["skus"] {
				if _, ok := rel(s, "prices")["data"]; ok {
					t.Errorf("sku %s: prices has data without being included", id(s))
				}
			}
		})

		t.Run("several paths, shared resources once", func(t *testing.T) {
			e := e.in(t)
			// Each sku is reached from the primary prices and from the sku's
			// prices, which are primary data themselves (all of them fit in
			// one page: the prices of the demo SKUs but the three courses).
			r := e.do("GET", "/api/prices"+q("include", "sku.prices,price_list", "page[size]", "25", "filter[q][sku_code_not_in]", "COURSE-123,COURSE-456,COURSE-789"), nil).want(t, 200)
			inc := byType(r.included())
			if len(r.list()) != 24 || len(inc["skus"]) != 10 || len(inc["price_lists"]) != 5 {
				t.Fatalf("included %d skus, %d price lists", len(inc["skus"]), len(inc["price_lists"]))
			}
			if len(inc["prices"]) != 0 {
				t.Fatalf("primary prices repeated in included: %d", len(inc["prices"]))
			}
			// included is sorted (type, id) for stable output.
			var keys []string
			for _, x := range r.included() {
				keys = append(keys, x["type"].(string)+"/"+id(x))
			}
			if !sort.StringsAreSorted(keys) {
				t.Errorf("included not in a stable order: %v", keys)
			}
		})

		t.Run("included is [] when nothing is related", func(t *testing.T) {
			e := e.in(t)
			sku := e.create(t, "skus", map[string]any{"code": "NOPRICE", "name": "Unpriced"}, nil)
			for _, path := range []string{
				"/api/skus/" + id(sku) + "?include=prices",
				"/api/skus" + q("include", "prices", "filter[q][code_eq]", "NOPRICE"),
				"/api/skus" + q("include", "prices", "filter[q][code_eq]", "NOTHING"),
				"/api/skus/" + id(sku) + "?include=",
			} {
				r := e.do("GET", path, nil).want(t, 200)
				inc, ok := r.doc["included"].([]any)
				if !ok || len(inc) != 0 {
					t.Errorf("GET %s: included must be []: %s", path, r.body)
				}
			}
			r := e.do("GET", "/api/skus/"+id(sku)+"?include=prices", nil).want(t, 200)
			if d, ok := rel(r.data(), "prices")["data"].([]any); !ok || len(d) != 0 {
				t.Errorf("empty included to-many has data []: %s", r.body)
			}
		})

		t.Run("include on single, create and update", func(t *testing.T) {
			e := e.in(t)
			eu := e.one(t, "markets", "code_eq", "eu")
			r := e.do("GET", "/api/markets/"+id(eu)+"?include=price_list", nil).want(t, 200)
			if len(r.included()) != 1 || attrs(r.included()[0])["code"] != "eu" {
				t.Fatalf("market with its price list: %s", r.body)
			}
			list := e.one(t, "price_lists", "code_eq", "us")
			r = e.do("POST", "/api/markets?include=price_list", resource("markets", "", map[string]any{"name": "Canada"},
				map[string]any{"price_list": ref("price_lists", id(list))})).want(t, 201)
			if len(r.included()) != 1 || id(r.included()[0]) != id(list) {
				t.Fatalf("created market with include: %s", r.body)
			}
			r = e.do("PATCH", "/api/markets/"+id(r.data())+"?include=price_list", resource("markets", id(r.data()), map[string]any{"name": "Kanada"}, nil)).want(t, 200)
			if len(r.included()) != 1 || attrs(r.data())["name"] != "Kanada" {
				t.Fatalf("updated market with include: %s", r.body)
			}
		})

		t.Run("bad include", func(t *testing.T) {
			for _, c := range []struct{ path, code string }{
				{"/api/markets?include=nope", "INVALID_INCLUDE"},
				{"/api/markets?include=price_list.nope", "INVALID_INCLUDE"},
				{"/api/markets?include=price_list.prices.sku.prices", "INVALID_INCLUDE"},
				{"/api/markets?include=price_list,,prices", "INVALID_INCLUDE"},
				{"/api/markets?include=price_list..prices", "INVALID_INCLUDE"},
				{"/api/skus/x?include=price_list", "INVALID_INCLUDE"},
				{"/api/markets?include[x]=price_list", "PARAM_NOT_ALLOWED"},
			} {
				t.Run(c.path, func(t *testing.T) {
					e.in(t).do("GET", c.path, nil).wantErrorAt(t, 400, c.code, strings.Split(strings.Split(c.path, "?")[1], "=")[0])
				})
			}
		})
	})
}

func TestSparseFieldsets(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		r := e.do("GET", "/api/skus?fields[skus]=code,name", nil).want(t, 200)
		for _, s := range r.list() {
			if a := attrs(s); len(a) != 2 || a["code"] == nil || a["name"] == nil {
				t.Fatalf("fields[skus]=code,name: %v", a)
			}
			if _, ok := s["relationships"]; ok {
				t.Fatalf("relationships outside the fieldset: %v", s["relationships"])
			}
			if s["links"] == nil || s["meta"] == nil {
				t.Fatalf("links and meta stay: %v", s)
			}
		}
		// The fieldset of an included type applies to included resources
		// only; the relationship named in the fieldset keeps its linkage.
		r = e.do("GET", "/api/markets?include=price_list&fields[markets]=name,price_list&fields[price_lists]=currency_code", nil).want(t, 200)
		for _, m := range r.list() {
			if a := attrs(m); len(a) != 1 || a["name"] == nil {
				t.Fatalf("market attributes %v", a)
			}
			if len(linkage(m, "price_list")) != 1 {
				t.Fatalf("market linkage %v", m["relationships"])
			}
		}
		for _, pl := range r.included() {
			if a := attrs(pl); len(a) != 1 || a["currency_code"] == nil {
				t.Fatalf("price list attributes %v", a)
			}
			if _, ok := pl["relationships"]; ok {
				t.Fatalf("price list relationships outside the fieldset")
			}
		}
		// An empty fieldset means no fields.
		r = e.do("GET", "/api/skus?fields[skus]=", nil).want(t, 200)
		if a := attrs(r.list()[0]); len(a) != 0 {
			t.Fatalf("empty fieldset: %v", a)
		}
		// A fieldset of another type leaves this one whole.
		r = e.do("GET", "/api/skus?fields[prices]=amount_cents", nil).want(t, 200)
		if len(attrs(r.list()[0])) < 10 {
			t.Fatalf("unrelated fieldset trimmed skus: %v", attrs(r.list()[0]))
		}
		for _, path := range []string{"/api/skus?fields[skus]=nope", "/api/skus?fields[nope]=code", "/api/customers?fields[customers]=password"} {
			e.do("GET", path, nil).wantError(t, 400, "INVALID_FIELD")
		}
		e.do("GET", "/api/skus?fields=code", nil).wantError(t, 400, "PARAM_NOT_ALLOWED")
	})
}

func TestSort(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		codes := func(r *response) []string {
			var out []string
			for _, v := range attrList(r.list(), "code") {
				out = append(out, v.(string))
			}
			return out
		}
		all := []string{}
		for _, v := range attrList(e.do("GET", "/api/skus?page[size]=25", nil).want(t, 200).list(), "code") {
			all = append(all, v.(string))
		}
		asc := sortedCopy(all)
		desc := slices.Clone(asc)
		slices.Reverse(desc)

		if got := codes(e.do("GET", "/api/skus?sort=code&page[size]=25", nil).want(t, 200)); !slices.Equal(got, asc) {
			t.Errorf("sort=code: %v", got)
		}
		if got := codes(e.do("GET", "/api/skus?sort=-code&page[size]=25", nil).want(t, 200)); !slices.Equal(got, desc) {
			t.Errorf("sort=-code: %v", got)
		}
		// Multi-key: the shipped SKUs first (do_not_ship false), by code
		// descending; then the courses, by code descending.
		var digital []string
		for _, v := range attrList(e.do("GET", "/api/skus?page[size]=25&filter[q][do_not_ship_true]=true", nil).want(t, 200).list(), "code") {
			digital = append(digital, v.(string))
		}
		if len(digital) != 4 {
			t.Fatalf("the demo's digital SKUs: %v", digital)
		}
		isDigital := func(c string) bool { return slices.Contains(digital, c) }
		got := codes(e.do("GET", "/api/skus?sort=do_not_ship,-code&page[size]=25", nil).want(t, 200))
		want := append(slices.DeleteFunc(slices.Clone(desc), isDigital), slices.DeleteFunc(slices.Clone(desc), func(c string) bool { return !isDigital(c) })...)
		if !slices.Equal(got, want) {
			t.Errorf("sort=do_not_ship,-code: %v, want %v", got, want)
		}
		got = codes(e.do("GET", "/api/skus?sort=-do_not_ship,code&page[size]=25", nil).want(t, 200))
		want = append(slices.DeleteFunc(slices.Clone(asc), func(c string) bool { return !isDigital(c) }), slices.DeleteFunc(slices.Clone(asc), isDigital)...)
		if !slices.Equal(got, want) {
			t.Errorf("sort=-do_not_ship,code: %v, want %v", got, want)
		}
		// Prices by amount then sorting stays stable across pages.
		var amounts []float64
		for page := 1; page <= 2; page++ {
			r := e.do("GET", "/api/prices?sort=-amount_cents,id&page[size]=10&page[number]="+strconv.Itoa(page), nil).want(t, 200)
			for _, v := range attrList(r.list(), "amount_cents") {
				amounts = append(amounts, v.(float64))
			}
		}
		if len(amounts) != 20 || !slices.IsSortedFunc(amounts, func(a, b float64) int { return int(b - a) }) {
			t.Errorf("prices by -amount_cents over two pages: %v", amounts)
		}

		for _, path := range []string{"/api/skus?sort=weight", "/api/skus?sort=nope", "/api/skus?sort=-", "/api/skus?sort=code,,name", "/api/prices?sort=amount_float", "/api/customers?sort=password"} {
			e.do("GET", path, nil).wantErrorAt(t, 400, "INVALID_SORT_CRITERIA", "sort")
		}
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		r0path := "/api/skus"
		link := func(v any) url.Values {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("link %v is not a string", v)
			}
			u, err := url.Parse(s)
			if err != nil || !strings.HasPrefix(s, testBaseURL+"/api/") || u.Path != r0path {
				t.Fatalf("link %q", s)
			}
			return u.Query()
		}
		var seen []string
		for _, c := range []struct {
			number, count int
			prev, next    string // page numbers, "" for null
		}{
			{1, 4, "", "2"},
			{2, 4, "1", "3"},
			{3, 4, "2", "4"},
			{4, 1, "3", ""},
		} {
			r := e.do("GET", "/api/skus?sort=code&page[size]=4&page[number]="+strconv.Itoa(c.number)+"&filter[q][code_not_eq]=x", nil).want(t, 200)
			if len(r.list()) != c.count {
				t.Fatalf("page %d: %d items", c.number, len(r.list()))
			}
			seen = append(seen, ids(r.list())...)
			if r.meta()["record_count"] != float64(13) || r.meta()["page_count"] != float64(4) {
				t.Fatalf("page %d: meta %v", c.number, r.meta())
			}
			l := r.links()
			if first := link(l["first"]); first.Get("page[number]") != "1" || first.Get("page[size]") != "4" || first.Get("sort") != "code" || first.Get("filter[q][code_not_eq]") != "x" {
				t.Errorf("first %v", l["first"])
			}
			if last := link(l["last"]); last.Get("page[number]") != "4" {
				t.Errorf("last %v", l["last"])
			}
			for name, want := range map[string]string{"prev": c.prev, "next": c.next} {
				if want == "" {
					if l[name] != nil {
						t.Errorf("page %d: %s = %v, want null", c.number, name, l[name])
					}
				} else if got := link(l[name]).Get("page[number]"); got != want {
					t.Errorf("page %d: %s page %s, want %s", c.number, name, got, want)
				}
			}
		}
		slices.Sort(seen)
		if len(slices.Compact(seen)) != 13 {
			t.Fatalf("pages overlap or miss records: %v", seen)
		}
		// Default page size is 10; past the end is an empty page.
		r := e.do("GET", "/api/prices", nil).want(t, 200)
		if len(r.list()) != 10 || r.meta()["page_count"] != float64(3) {
			t.Fatalf("default page: %d items, meta %v", len(r.list()), r.meta())
		}
		r = e.do("GET", "/api/prices?page[number]=9", nil).want(t, 200)
		if len(r.list()) != 0 || r.links()["next"] != nil {
			t.Fatalf("past the end: %s", r.body)
		}
		r0path = "/api/prices"
		r = e.do("GET", "/api/prices?page[size]=25&page[number]=2", nil).want(t, 200)
		if len(r.list()) != 5 || r.meta()["page_count"] != float64(2) || r.links()["next"] != nil || link(r.links()["prev"]).Get("page[number]") != "1" {
			t.Fatalf("one page of 25: %s", r.body)
		}
		r0path = "/api/customers"
		r = e.do("GET", "/api/customers", nil).want(t, 200)
		if r.meta()["record_count"] != float64(0) || r.meta()["page_count"] != float64(0) || link(r.links()["last"]).Get("page[number]") != "1" || r.links()["next"] != nil {
			t.Fatalf("empty list: meta %v links %v", r.meta(), r.links())
		}

		for _, c := range []struct{ query, code string }{
			{"page[size]=26", "INVALID_PAGE_VALUE"},
			{"page[size]=0", "INVALID_PAGE_VALUE"},
			{"page[size]=-1", "INVALID_PAGE_VALUE"},
			{"page[size]=ten", "INVALID_PAGE_VALUE"},
			{"page[number]=0", "INVALID_PAGE_VALUE"},
			{"page[number]=1.5", "INVALID_PAGE_VALUE"},
			{"page[offset]=10", "INVALID_PAGE_OBJECT"},
			{"page=2", "INVALID_PAGE_OBJECT"},
		} {
			e.do("GET", "/api/skus?"+c.query, nil).wantErrorAt(t, 400, c.code, strings.Split(c.query, "=")[0])
		}
	})
}

// TestFilters checks every predicate, the _any forms, _or_ between
// attributes and filters across relationships, on the demo data.
func TestFilters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ, key, value string
		want            int
	}{
		{"skus", "code_eq", "MUGXXXXX000000FFFFFFXX", 1},
		{"skus", "code_eq", "mugxxxxx000000ffffffxx", 0},
		{"skus", "code_not_eq", "MUGXXXXX000000FFFFFFXX", 12},
		{"skus", "code_in", "MUGXXXXX000000FFFFFFXX,CAPXXXXX000000FFFFFFXX,NONE", 2},
		{"skus", "code_not_in", "MUGXXXXX000000FFFFFFXX,CAPXXXXX000000FFFFFFXX", 11},
		{"prices", "amount_cents_eq", "1400", 2},
		{"prices", "amount_cents_not_eq", "1400", 28},
		{"prices", "amount_cents_lt", "1400", 3},
		{"prices", "amount_cents_lteq", "1400", 5},
		{"prices", "amount_cents_gt", "10900", 4},
		{"prices", "amount_cents_gteq", "10900", 5},
		{"prices", "amount_cents_in", "500,600,700", 2},
		{"prices", "amount_cents_not_in", "500,600", 28},
		{"skus", "name_cont", "shirt", 2},
		{"skus", "name_cont", "SHIRT", 2},
		{"skus", "name_cont", "%", 0},
		{"skus", "code_cont", "_", 0},
		{"skus", "code_start", "TSHIRT", 2},
		{"skus", "code_end", "XX", 5},
		{"skus", "name_not_cont", "shirt", 11},
		{"skus", "code_not_start", "TSHIRT", 11},
		{"skus", "code_not_end", "XX", 8},
		{"skus", "description_not_cont", "cotton", 10},
		{"skus", "reference_null", "true", 8},
		{"skus", "reference_null", "false", 5},
		{"skus", "reference_not_null", "true", 5},
		{"skus", "reference_present", "true", 4},
		{"skus", "reference_present", "false", 9},
		{"skus", "reference_blank", "true", 9},
		{"skus", "description_null", "true", 0},
		{"skus", "image_url_null", "1", 13},
		{"skus", "do_not_ship_true", "true", 4},
		{"skus", "do_not_ship_true", "false", 9},
		{"skus", "do_not_ship_false", "true", 9},
		{"skus", "do_not_ship_eq", "true", 4},
		{"skus", "code_eq_any", "MUGXXXXX000000FFFFFFXX,CAPXXXXX000000FFFFFFXX", 2},
		{"skus", "code_start_any", "TSHIRT,CAP", 3},
		{"skus", "name_cont_any", "mug,cap,nothing", 2},
		{"skus", "name_cont_all", "black,logo", 4},
		{"prices", "amount_cents_lt_any", "600,1300", 3},
		{"prices", "amount_cents_gt_any", "60000,15000", 3},
		{"skus", "name_cont", "co", 1},
		{"skus", "description_cont", "co", 6},
		{"skus", "name_or_description_cont", "co", 7},
		{"skus", "code_or_name_start", "Black,CAP", 0},
		{"skus", "code_or_name_start_any", "Black,CAP", 4},
		{"skus", "id_not_in", "a,b", 13},
		{"skus", "created_at_gteq", "2000-01-01", 13},
		{"skus", "created_at_lt", "2000-01-01T00:00:00Z", 0},
		{"skus", "created_at_null", "true", 0},
		{"prices", "price_list_code_eq", "ci", 2},
		{"prices", "price_list_currency_code_in", "XOF,USD", 15},
		{"prices", "sku_code_eq", "MUGXXXXX000000FFFFFFXX", 2},
		{"prices", "sku_do_not_ship_true", "true", 9},
		{"prices", "sku_code_or_price_list_code_eq", "ci", 2},
		{"skus", "prices_amount_cents_gt", "10000", 3},
		{"price_lists", "prices_amount_cents_gt", "60000", 2},
		{"markets", "price_list_currency_code_eq", "XOF", 1},
		{"markets", "price_list_code_not_eq", "eu", 4},
		{"markets", "disabled_at_null", "true", 5},
		{"markets", "code_or_name_cont", "states", 1},
	}
	eachDB(t, true, func(t *testing.T, e *env) {
		// Give two SKUs a reference: one real, one empty string.
		for code, ref := range map[string]string{"MUGXXXXX000000FFFFFFXX": "ext-1", "CAPXXXXX000000FFFFFFXX": ""} {
			sku := e.one(t, "skus", "code_eq", code)
			e.do("PATCH", "/api/skus/"+id(sku), resource("skus", id(sku), map[string]any{"reference": ref}, nil)).want(t, 200)
		}
		for _, c := range cases {
			t.Run(c.typ+"/"+c.key+"="+c.value, func(t *testing.T) {
				e := e.in(t)
				r := e.do("GET", "/api/"+c.typ+q("filter[q]["+c.key+"]", c.value, "page[size]", "25"), nil).want(t, 200)
				// A page holds 25 at most; record_count counts them all.
				if got := len(r.list()); got != min(c.want, 25) || r.meta()["record_count"] != float64(c.want) {
					t.Fatalf("%d results (record_count %v), want %d\n%s", got, r.meta()["record_count"], c.want, r.body)
				}
			})
		}
		t.Run("filters combine with AND", func(t *testing.T) {
			e := e.in(t)
			r := e.do("GET", "/api/prices"+q("filter[q][price_list_code_eq]", "eu", "filter[q][amount_cents_gteq]", "2900"), nil).want(t, 200)
			if got := attrList(r.list(), "amount_cents"); len(got) != 8 {
				t.Fatalf("EUR prices >= 2900: %v", got)
			}
		})
		t.Run("id filter", func(t *testing.T) {
			e := e.in(t)
			mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
			if got := e.one(t, "skus", "id_eq", id(mug)); id(got) != id(mug) {
				t.Fatalf("id_eq: %v", got)
			}
			if n := e.count(t, "/api/prices"+q("filter[q][sku_id_eq]", id(mug))); n != 2 {
				t.Fatalf("sku_id_eq: %d prices", n)
			}
			if n := e.count(t, "/api/prices"+q("filter[q][sku_id_in]", id(mug)+",nope")); n != 2 {
				t.Fatalf("sku_id_in: %d prices", n)
			}
		})
	})
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ, key, value, code string
	}{
		{"skus", "nope_eq", "x", "FILTER_NOT_ALLOWED"},
		{"skus", "code_like", "x", "FILTER_NOT_ALLOWED"},
		{"skus", "code", "x", "FILTER_NOT_ALLOWED"},
		{"skus", "weight_eq", "1", "FILTER_NOT_ALLOWED"},       // not filterable
		{"skus", "metadata_eq", "x", "FILTER_NOT_ALLOWED"},     // not filterable
		{"skus", "code_or_nope_eq", "x", "FILTER_NOT_ALLOWED"}, // one side unknown
		{"customers", "password_eq", "secret", "FILTER_NOT_ALLOWED"},
		{"prices", "price_list_nope_eq", "x", "FILTER_NOT_ALLOWED"},
		{"prices", "sku_prices_amount_cents_eq", "1", "FILTER_NOT_ALLOWED"}, // two hops
		{"prices", "amount_cents_eq", "abc", "INVALID_FILTER_VALUE"},
		{"prices", "amount_cents_in", "1,x", "INVALID_FILTER_VALUE"},
		{"prices", "amount_cents_lt", "1.5", "INVALID_FILTER_VALUE"},
		{"prices", "amount_cents_cont", "1", "INVALID_FILTER_VALUE"},
		{"skus", "created_at_gt", "yesterday", "INVALID_FILTER_VALUE"},
		{"skus", "do_not_ship_true", "maybe", "INVALID_FILTER_VALUE"},
		{"skus", "do_not_ship_eq", "maybe", "INVALID_FILTER_VALUE"},
		{"skus", "code_null", "perhaps", "INVALID_FILTER_VALUE"},
		{"skus", "prices_amount_cents_gt", "ten", "INVALID_FILTER_VALUE"},
	}
	eachDB(t, true, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.typ+"/"+c.key, func(t *testing.T) {
				param := "filter[q][" + c.key + "]"
				e.in(t).do("GET", "/api/"+c.typ+q(param, c.value), nil).wantErrorAt(t, 400, c.code, param)
			})
		}
		for _, param := range []string{"filter[code_eq]", "filter[q]", "filter[q][a][b]", "filter[x][code_eq]"} {
			e.do("GET", "/api/skus"+q(param, "x"), nil).wantErrorAt(t, 400, "FILTER_NOT_ALLOWED", param)
		}
		// Several problems are reported together, with a 400.
		r := e.do("GET", "/api/skus"+q("filter[q][nope_eq]", "x", "sort", "nope", "include", "nope"), nil).want(t, 400)
		if n := len(r.doc["errors"].([]any)); n != 3 {
			t.Fatalf("%d errors, want 3: %s", n, r.body)
		}
	})
}
