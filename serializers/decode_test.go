package serializers_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"kasse/errs"
	"kasse/serializers"
)

// clientError asserts err is exactly one client error and returns it.
func clientError(t *testing.T, err error) *errs.Error {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want a client error")
	}
	list, ok := errs.As(err)
	if !ok || len(list) != 1 {
		t.Fatalf("err = %v (%T), want one *errs.Error", err, err)
	}
	return list[0]
}

func TestDecodeResourceAbsentVersusNull(t *testing.T) {
	body := `{
		"data": {
			"type": "articles",
			"attributes": {"title": "Hello", "body": null, "count": 1.50, "tags": ["a"], "meta_info": {"k": "v"}},
			"relationships": {
				"author": {"data": {"type": "people", "id": "9"}},
				"editor": {"data": null},
				"comments": {"data": [{"type": "comments", "id": "5"}, {"type": "comments", "id": "3"}]},
				"tags": {"data": []},
				"reviewer": {"links": {"related": "http://x"}},
				"owner": {}
			}
		}
	}`
	got, err := serializers.DecodeResource([]byte(body))
	if err != nil {
		t.Fatalf("DecodeResource: %v", err)
	}
	if got.Type != "articles" {
		t.Errorf("Type = %q, want articles", got.Type)
	}
	if got.ID != nil {
		t.Errorf("ID = %q, want nil (absent)", *got.ID)
	}

	wantAttrs := map[string]string{
		"title":     `"Hello"`,
		"body":      `null`,
		"count":     `1.50`,
		"tags":      `["a"]`,
		"meta_info": `{"k": "v"}`,
	}
	gotAttrs := map[string]string{}
	for k, v := range got.Attributes {
		gotAttrs[k] = string(v)
	}
	if !reflect.DeepEqual(gotAttrs, wantAttrs) {
		t.Errorf("Attributes = %v, want %v", gotAttrs, wantAttrs)
	}
	if _, ok := got.Attributes["summary"]; ok {
		t.Error("absent attribute summary is in Attributes")
	}

	tests := []struct {
		rel        string
		wantAbsent bool // relationship not in the map at all
		wantData   string
		wantNull   bool
	}{
		{rel: "author", wantData: `{"type": "people", "id": "9"}`},
		{rel: "editor", wantData: `null`, wantNull: true},
		{rel: "comments", wantData: `[{"type": "comments", "id": "5"}, {"type": "comments", "id": "3"}]`},
		{rel: "tags", wantData: `[]`},
		{rel: "reviewer"}, // present without data
		{rel: "owner"},
		{rel: "publisher", wantAbsent: true},
	}
	for _, tt := range tests {
		rb, ok := got.Relationships[tt.rel]
		if ok == tt.wantAbsent {
			t.Errorf("relationship %s present = %v, want %v", tt.rel, ok, !tt.wantAbsent)
			continue
		}
		if gotData := string(rb.Data); gotData != tt.wantData {
			t.Errorf("relationship %s Data = %q, want %q", tt.rel, gotData, tt.wantData)
		}
		if tt.wantData == "" && rb.Data != nil {
			t.Errorf("relationship %s Data = %q, want nil (data absent)", tt.rel, rb.Data)
		}
		if gotNull := rb.IsNull(); gotNull != tt.wantNull {
			t.Errorf("relationship %s IsNull = %v, want %v", tt.rel, gotNull, tt.wantNull)
		}
	}
}

func TestDecodeResourceAccepts(t *testing.T) {
	strPtr := func(s string) *string { return &s }
	tests := []struct {
		name      string
		body      string
		wantType  string
		wantID    *string
		wantAttrs []string
		wantRels  []string
	}{
		{"minimal", `{"data":{"type":"articles"}}`, "articles", nil, nil, nil},
		{"with id", `{"data":{"type":"articles","id":"1","attributes":{"title":"x"}}}`, "articles", strPtr("1"), []string{"title"}, nil},
		{"empty id string", `{"data":{"type":"articles","id":""}}`, "articles", strPtr(""), nil, nil},
		{"top-level meta and jsonapi", `{"jsonapi":{"version":"1.1"},"meta":{"x":1},"data":{"type":"a"}}`, "a", nil, nil, nil},
		{"resource links, meta and lid", `{"data":{"type":"a","lid":"tmp","links":{"self":"x"},"meta":{"y":2}}}`, "a", nil, nil, nil},
		{"empty attributes and relationships", `{"data":{"type":"a","attributes":{},"relationships":{}}}`, "a", nil, nil, nil},
		{"surrounding whitespace", " \n\t{\"data\":{\"type\":\"a\"}}\r\n ", "a", nil, nil, nil},
		{"null attribute", `{"data":{"type":"a","attributes":{"x":null}}}`, "a", nil, []string{"x"}, nil},
		{"relationship", `{"data":{"type":"a","relationships":{"b":{"data":null},"c":{"meta":{}}}}}`, "a", nil, nil, []string{"b", "c"}},
		{"unicode type", `{"data":{"type":"\u00e9t\u00e9"}}`, "été", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.DecodeResource([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeResource(%s): %v", tt.body, err)
			}
			if got.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", got.Type, tt.wantType)
			}
			if !reflect.DeepEqual(got.ID, tt.wantID) {
				t.Errorf("ID = %v, want %v", got.ID, tt.wantID)
			}
			if got.Attributes == nil || got.Relationships == nil {
				t.Fatalf("Attributes = %v, Relationships = %v; want non-nil maps", got.Attributes, got.Relationships)
			}
			gotAttrs := slices.Sorted(mapKeysOf(got.Attributes))
			if !slices.Equal(gotAttrs, tt.wantAttrs) {
				t.Errorf("attribute keys = %v, want %v", gotAttrs, tt.wantAttrs)
			}
			gotRels := slices.Sorted(mapKeysOf(got.Relationships))
			if !slices.Equal(gotRels, tt.wantRels) {
				t.Errorf("relationship keys = %v, want %v", gotRels, tt.wantRels)
			}
		})
	}
}

func mapKeysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestDecodeResourceRejects(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantCode    errs.Code
		wantPointer string
	}{
		// not a JSON:API document
		{"empty body", ``, errs.InvalidDataFormat, ""},
		{"whitespace only", "  \n", errs.InvalidDataFormat, ""},
		{"null", `null`, errs.InvalidDataFormat, ""},
		{"array", `[{"data":{"type":"a"}}]`, errs.InvalidDataFormat, ""},
		{"string", `"data"`, errs.InvalidDataFormat, ""},
		{"number", `42`, errs.InvalidDataFormat, ""},
		{"truncated", `{"data":{"type":"a"}`, errs.InvalidDataFormat, ""},
		{"not JSON", `data=1`, errs.InvalidDataFormat, ""},
		{"trailing garbage", `{"data":{"type":"a"}} x`, errs.InvalidDataFormat, ""},
		{"trailing object", `{"data":{"type":"a"}}{}`, errs.InvalidDataFormat, ""},
		{"trailing comma", `{"data":{"type":"a"}},`, errs.InvalidDataFormat, ""},
		{"two documents", `{"data":{"type":"a"}} {"data":{"type":"b"}}`, errs.InvalidDataFormat, ""},
		// top level
		{"missing data", `{}`, errs.InvalidDataFormat, "/data"},
		{"missing data with meta", `{"meta":{}}`, errs.InvalidDataFormat, "/data"},
		{"unknown top-level member", `{"data":{"type":"a"},"included":[]}`, errs.ParamNotAllowed, "/included"},
		{"errors at top level", `{"data":{"type":"a"},"errors":[]}`, errs.ParamNotAllowed, "/errors"},
		// data
		{"data null", `{"data":null}`, errs.InvalidDataFormat, "/data"},
		{"data array", `{"data":[{"type":"a"}]}`, errs.InvalidDataFormat, "/data"},
		{"data string", `{"data":"a"}`, errs.InvalidDataFormat, "/data"},
		{"missing type", `{"data":{"attributes":{"x":1}}}`, errs.InvalidDataFormat, "/data/type"},
		{"empty data", `{"data":{}}`, errs.InvalidDataFormat, "/data/type"},
		{"empty type", `{"data":{"type":""}}`, errs.InvalidDataFormat, "/data/type"},
		{"null type", `{"data":{"type":null}}`, errs.InvalidDataFormat, "/data/type"},
		{"numeric type", `{"data":{"type":5}}`, errs.InvalidDataFormat, "/data/type"},
		{"numeric id", `{"data":{"type":"a","id":5}}`, errs.InvalidDataFormat, "/data/id"},
		{"null id", `{"data":{"type":"a","id":null}}`, errs.InvalidDataFormat, "/data/id"},
		{"null id with spaces", "{\"data\":{\"type\":\"a\",\"id\" : \n null \t}}", errs.InvalidDataFormat, "/data/id"},
		{"unknown member in data", `{"data":{"type":"a","name":"x"}}`, errs.ParamNotAllowed, "/data/name"},
		{"client-id member", `{"data":{"type":"a","client-id":"x"}}`, errs.ParamNotAllowed, "/data/client-id"},
		// attributes
		{"attributes array", `{"data":{"type":"a","attributes":[]}}`, errs.InvalidDataFormat, "/data/attributes"},
		{"attributes null", `{"data":{"type":"a","attributes":null}}`, errs.InvalidDataFormat, "/data/attributes"},
		{"attributes string", `{"data":{"type":"a","attributes":"x"}}`, errs.InvalidDataFormat, "/data/attributes"},
		{"attributes number", `{"data":{"type":"a","attributes":1}}`, errs.InvalidDataFormat, "/data/attributes"},
		// relationships
		{"relationships array", `{"data":{"type":"a","relationships":[]}}`, errs.InvalidDataFormat, "/data/relationships"},
		{"relationships null", `{"data":{"type":"a","relationships":null}}`, errs.InvalidDataFormat, "/data/relationships"},
		{"relationship not an object", `{"data":{"type":"a","relationships":{"author":5}}}`, errs.InvalidDataFormat, "/data/relationships"},
		{"relationship identifier without data", `{"data":{"type":"a","relationships":{"author":{"type":"people","id":"1"}}}}`, "", ""},
		{"relationship null", `{"data":{"type":"a","relationships":{"author":null}}}`, errs.InvalidDataFormat, "/data/relationships/author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.DecodeResource([]byte(tt.body))
			if tt.wantCode == "" {
				// Documented as accepted: only the data member of a
				// relationship object is read.
				if err != nil {
					t.Fatalf("DecodeResource(%s): %v", tt.body, err)
				}
				if rb := got.Relationships["author"]; rb.Data != nil {
					t.Errorf("author Data = %s, want nil", rb.Data)
				}
				return
			}
			if got != nil {
				t.Errorf("DecodeResource(%s) = %+v, want nil", tt.body, got)
			}
			e := clientError(t, err)
			if e.Code != tt.wantCode {
				t.Errorf("code = %s, want %s (detail %q)", e.Code, tt.wantCode, e.Detail)
			}
			if e.Pointer != tt.wantPointer {
				t.Errorf("pointer = %q, want %q", e.Pointer, tt.wantPointer)
			}
			if e.Detail == "" {
				t.Error("detail is empty")
			}
		})
	}
}

func TestRelationshipBodyOne(t *testing.T) {
	const ptr = "/data/relationships/author"
	tests := []struct {
		name        string
		data        json.RawMessage
		want        *serializers.Identifier
		wantPointer string // "" means no error
	}{
		{"identifier", json.RawMessage(`{"type":"people","id":"9"}`), &serializers.Identifier{Type: "people", ID: "9"}, ""},
		{"identifier with meta", json.RawMessage(`{"type":"people","id":"9","meta":{"x":1}}`), &serializers.Identifier{Type: "people", ID: "9"}, ""},
		{"null clears", json.RawMessage(`null`), nil, ""},
		{"null with spaces", json.RawMessage(" null "), nil, ""},
		{"data absent", nil, nil, ptr},
		{"missing id", json.RawMessage(`{"type":"people"}`), nil, ptr + "/data"},
		{"missing type", json.RawMessage(`{"id":"9"}`), nil, ptr + "/data"},
		{"empty id", json.RawMessage(`{"type":"people","id":""}`), nil, ptr + "/data"},
		{"numeric id", json.RawMessage(`{"type":"people","id":9}`), nil, ptr + "/data"},
		{"array for to-one", json.RawMessage(`[{"type":"people","id":"9"}]`), nil, ptr + "/data"},
		{"string", json.RawMessage(`"9"`), nil, ptr + "/data"},
		{"trailing garbage", json.RawMessage(`{"type":"people","id":"9"} x`), nil, ptr + "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.RelationshipBody{Data: tt.data}.One(ptr)
			if tt.wantPointer != "" {
				e := clientError(t, err)
				if e.Code != errs.InvalidDataFormat || e.Pointer != tt.wantPointer {
					t.Errorf("error = %s at %q, want INVALID_DATA_FORMAT at %q", e.Code, e.Pointer, tt.wantPointer)
				}
				if got != nil {
					t.Errorf("One = %+v, want nil with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("One: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("One = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRelationshipBodyMany(t *testing.T) {
	const ptr = "/data/relationships/tags"
	tests := []struct {
		name        string
		data        json.RawMessage
		want        []serializers.Identifier
		wantPointer string
	}{
		{"identifiers in order", json.RawMessage(`[{"type":"tags","id":"2"},{"type":"tags","id":"1"}]`), []serializers.Identifier{{Type: "tags", ID: "2"}, {Type: "tags", ID: "1"}}, ""},
		{"empty clears", json.RawMessage(`[]`), []serializers.Identifier{}, ""},
		{"data absent", nil, nil, ptr},
		{"null", json.RawMessage(`null`), nil, ptr + "/data"},
		{"object", json.RawMessage(`{"type":"tags","id":"1"}`), nil, ptr + "/data"},
		{"first without id", json.RawMessage(`[{"type":"tags"}]`), nil, ptr + "/data/0"},
		{"second without type", json.RawMessage(`[{"type":"tags","id":"1"},{"id":"2"}]`), nil, ptr + "/data/1"},
		{"null element", json.RawMessage(`[{"type":"tags","id":"1"},null]`), nil, ptr + "/data/1"},
		{"numeric id", json.RawMessage(`[{"type":"tags","id":1}]`), nil, ptr + "/data"},
		{"trailing garbage", json.RawMessage(`[] []`), nil, ptr + "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.RelationshipBody{Data: tt.data}.Many(ptr)
			if tt.wantPointer != "" {
				e := clientError(t, err)
				if e.Code != errs.InvalidDataFormat || e.Pointer != tt.wantPointer {
					t.Errorf("error = %s at %q, want INVALID_DATA_FORMAT at %q", e.Code, e.Pointer, tt.wantPointer)
				}
				return
			}
			if err != nil {
				t.Fatalf("Many: %v", err)
			}
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Many = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeRelationship(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantData    string
		wantNull    bool
		wantErr     bool
		wantPointer string
	}{
		{name: "to-one", body: `{"data":{"type":"people","id":"9"}}`, wantData: `{"type":"people","id":"9"}`},
		{name: "clear to-one", body: `{"data":null}`, wantData: `null`, wantNull: true},
		{name: "to-many", body: `{"data":[]}`, wantData: `[]`},
		{name: "with meta", body: `{"data":[],"meta":{}}`, wantData: `[]`},
		{name: "missing data", body: `{}`, wantErr: true, wantPointer: "/data"},
		{name: "not an object", body: `[]`, wantErr: true},
		{name: "null body", body: `null`, wantErr: true},
		{name: "empty body", body: ``, wantErr: true},
		{name: "trailing garbage", body: `{"data":null} null`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serializers.DecodeRelationship([]byte(tt.body))
			if tt.wantErr {
				e := clientError(t, err)
				if e.Code != errs.InvalidDataFormat || e.Pointer != tt.wantPointer {
					t.Errorf("error = %s at %q, want INVALID_DATA_FORMAT at %q", e.Code, e.Pointer, tt.wantPointer)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeRelationship: %v", err)
			}
			if string(got.Data) != tt.wantData || got.IsNull() != tt.wantNull {
				t.Errorf("Data = %s (null %v), want %s (null %v)", got.Data, got.IsNull(), tt.wantData, tt.wantNull)
			}
		})
	}
}

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		dest    func() any
		want    any
		wantErr bool
	}{
		{"int", `5`, func() any { return new(int) }, 5, false},
		{"fraction into int", `1.5`, func() any { return new(int) }, nil, true},
		{"string into int", `"5"`, func() any { return new(int) }, nil, true},
		{"string", `"x"`, func() any { return new(string) }, "x", false},
		{"number into string", `5`, func() any { return new(string) }, nil, true},
		{"bool", `true`, func() any { return new(bool) }, true, false},
		{"float", `1.25`, func() any { return new(float64) }, 1.25, false},
		{"null into pointer", `null`, func() any { s := "old"; p := &s; return &p }, (*string)(nil), false},
		{"two values", `5 6`, func() any { return new(int) }, nil, true},
		{"overflow", `300`, func() any { return new(int8) }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := tt.dest()
			err := serializers.DecodeValue(json.RawMessage(tt.raw), dest)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeValue(%s) error = %v, want error %v", tt.raw, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := reflect.ValueOf(dest).Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeValue(%s) = %#v, want %#v", tt.raw, got, tt.want)
			}
		})
	}
}
