package serializers_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kasse/errs"
	"kasse/serializers"
)

// checkClientError asserts err is one or more 400-class client errors.
func checkClientError(t *testing.T, err error) errs.List {
	t.Helper()
	list, ok := errs.As(err)
	if !ok || len(list) == 0 {
		t.Fatalf("error %v (%T) is not a client error", err, err)
	}
	for _, e := range list {
		if e.Code.Status() != 400 {
			t.Fatalf("error %v has status %d, want 400", e, e.Code.Status())
		}
		if e.Detail == "" {
			t.Fatalf("error %s has no detail", e.Code)
		}
	}
	return list
}

func FuzzDecodeResource(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"type":"articles","id":"1","attributes":{"title":"x","body":null},"relationships":{"author":{"data":{"type":"people","id":"9"}},"tags":{"data":[{"type":"tags","id":"2"}]},"editor":{"data":null}}}}`,
		`{"data":{"type":"articles"},"meta":{},"jsonapi":{"version":"1.1"}}`,
		`{"data":{"type":"a","lid":"x","links":{},"meta":{}}}`,
		`{"data":{"type":"a","relationships":{"b":{}}}}`,
		`{"data":{"type":"a","relationships":{"b":null}}}`,
		`{"data":{"type":"a","id":null}}`,
		`{"data":{"type":"a","attributes":[]}}`,
		`{"data":{"type":"a"}} x`,
		`{"data":null}`,
		`{}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := serializers.DecodeResource(body)
		if err != nil {
			if res != nil {
				t.Fatalf("DecodeResource returned both %+v and %v", res, err)
			}
			list := checkClientError(t, err)
			if p := list[0].Pointer; p != "" && !strings.HasPrefix(p, "/") {
				t.Fatalf("pointer %q is not a JSON Pointer", p)
			}
			return
		}
		if res == nil {
			t.Fatal("DecodeResource returned neither a body nor an error")
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if res.Type == "" || res.Attributes == nil || res.Relationships == nil {
			t.Fatalf("accepted body decoded to %+v", res)
		}
		// encoding/json agrees on type and id.
		var plain struct {
			Data struct {
				Type string  `json:"type"`
				ID   *string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &plain); err != nil {
			t.Fatalf("accepted body %q does not decode into a plain struct: %v", body, err)
		}
		if plain.Data.Type != res.Type || !reflect.DeepEqual(plain.Data.ID, res.ID) {
			t.Fatalf("type/id = %q/%v, encoding/json says %q/%v", res.Type, res.ID, plain.Data.Type, plain.Data.ID)
		}
		for name, raw := range res.Attributes {
			if !json.Valid(raw) {
				t.Fatalf("attribute %s raw value %q is not valid JSON", name, raw)
			}
		}
		for name, rel := range res.Relationships {
			if rel.Data != nil && !json.Valid(rel.Data) {
				t.Fatalf("relationship %s data %q is not valid JSON", name, rel.Data)
			}
			ptr := "/data/relationships/" + name
			one, err := rel.One(ptr)
			switch {
			case err != nil:
				checkClientError(t, err)
			case one == nil:
				if !rel.IsNull() {
					t.Fatalf("relationship %s: One = nil for non-null data %q", name, rel.Data)
				}
			case one.Type == "" || one.ID == "":
				t.Fatalf("relationship %s: One = %+v", name, one)
			}
			many, err := rel.Many(ptr)
			if err != nil {
				checkClientError(t, err)
				continue
			}
			if many == nil {
				t.Fatalf("relationship %s: Many = nil without an error", name)
			}
			for _, id := range many {
				if id.Type == "" || id.ID == "" {
					t.Fatalf("relationship %s: Many has %+v", name, id)
				}
			}
		}
	})
}

func FuzzParseParams(f *testing.F) {
	for _, seed := range []string{
		"",
		"include=author,comments.author&fields[articles]=title,body&sort=-created_at,code&page[number]=2&page[size]=25",
		"filter[q][code_eq]=A&filter[q][name_cont]=b&filter[x]=1",
		"include=a.b.c.d&page[size]=26&page[offset]=1&foo=1&myParam=2",
		"include=a,,b&sort=-&page[number]=9223372036854775807",
		"fields%5Bpeople%5D=&page%5Bnumber%5D=0&filter[q]=x&a[b[c]]=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// ParseQuery keeps what it could parse along with its error.
		q, _ := url.ParseQuery(raw)
		got, err := serializers.ParseParams(q)
		again, errAgain := serializers.ParseParams(q)
		if err != nil {
			if errAgain == nil {
				t.Fatalf("second parse of %q succeeded after %v", raw, err)
			}
			list := checkClientError(t, err)
			if len(list) != len(checkClientError(t, errAgain)) {
				t.Fatalf("parsing %q twice gave %v and %v", raw, err, errAgain)
			}
			for _, e := range list {
				if _, ok := q[e.Parameter]; !ok && e.Parameter != "filter" {
					t.Fatalf("error %v names parameter %q, not in the query %v", e, e.Parameter, q)
				}
			}
			return
		}
		if errAgain != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("parsing %q twice gave %+v and %+v (%v)", raw, got, again, errAgain)
		}
		if got.Page.Number < 1 || got.Page.Size < 1 || got.Page.Size > serializers.MaxPageSize || got.Page.Offset() < 0 {
			t.Fatalf("page %+v out of bounds (offset %d)", got.Page, got.Page.Offset())
		}
		if _, asked := q["include"]; asked != got.HasInclude {
			t.Fatalf("HasInclude = %v for query %v", got.HasInclude, q)
		}
		if len(got.Include) > serializers.MaxIncludes {
			t.Fatalf("%d include paths", len(got.Include))
		}
		for _, path := range got.Include {
			if len(path) < 1 || len(path) > serializers.MaxIncludeDepth || slices.Contains(path, "") {
				t.Fatalf("include path %q", path)
			}
		}
		for _, k := range got.Sort {
			if k.Field == "" {
				t.Fatalf("empty sort field in %+v", got.Sort)
			}
		}
		if len(got.Filters) > serializers.MaxFilters {
			t.Fatalf("%d filters", len(got.Filters))
		}
		keys := slices.Sorted(mapKeysOf(got.Filters))
		if !slices.Equal(keys, got.FilterKeys) {
			t.Fatalf("FilterKeys = %q, want the sorted filter keys %q", got.FilterKeys, keys)
		}
		for typ := range got.Fields {
			if typ == "" {
				t.Fatalf("fields for an empty type: %+v", got.Fields)
			}
		}
	})
}
