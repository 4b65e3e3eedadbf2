package serializers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"kasse/serializers"
)

// Representation structs in the style of the resources package.

type articleRep struct {
	ID    string `jsonapi:"primary,articles"`
	Title string `jsonapi:"attr,title"`
	Body  string `jsonapi:"attr,body"`
}

type personRep struct {
	ID    string `jsonapi:"primary,people"`
	Name  string `jsonapi:"attr,name"`
	Email string `jsonapi:"attr,email"`
}

type commentRep struct {
	ID   string `jsonapi:"primary,comments"`
	Text string `jsonapi:"attr,text"`
}

type tagRep struct {
	ID    string `jsonapi:"primary,tags"`
	Label string `jsonapi:"attr,label"`
}

type eventRep struct {
	ID         string             `jsonapi:"primary,events"`
	OccurredAt serializers.Time   `jsonapi:"attr,occurred_at"`
	ClosedAt   *serializers.Time  `jsonapi:"attr,closed_at"`
	Amount     *int               `jsonapi:"attr,amount"`
	Labels     []string           `jsonapi:"attr,labels"`
	Extra      map[string]float64 `jsonapi:"attr,extra"`
}

const baseURL = "http://x"

func personNode(id, name string) *serializers.Node {
	return &serializers.Node{
		Value:         &personRep{ID: id, Name: name, Email: name + "@example.com"},
		Relationships: []serializers.RelationshipSpec{{Name: "articles", ToMany: true}},
	}
}

func commentNode(id, text string, author *serializers.Node) *serializers.Node {
	return &serializers.Node{
		Value:         &commentRep{ID: id, Text: text},
		Relationships: []serializers.RelationshipSpec{{Name: "author"}, {Name: "article"}},
		Related:       map[string][]*serializers.Node{"author": {author}},
	}
}

// articleGraph builds article 1 with everything loaded:
//
//	articles/1 author → people/9 (ann); editor → loaded, empty
//	           comments → [comments/5 (author people/7 bob), comments/3 (author people/9 ann)]
//	           tags → [tags/2] (loaded, never requested in most cases)
//	comments/x article → articles/1 (the primary resource again)
//	people/9 articles → [articles/1]
func articleGraph() *serializers.Node {
	ann := personNode("9", "ann")
	bob := personNode("7", "bob")
	c5 := commentNode("5", "first", bob)
	c3 := commentNode("3", "second", ann)
	tag := &serializers.Node{Value: &tagRep{ID: "2", Label: "go"}}
	article := &serializers.Node{
		Value: &articleRep{ID: "1", Title: "Hello", Body: "World"},
		Relationships: []serializers.RelationshipSpec{
			{Name: "author"},
			{Name: "editor"},
			{Name: "comments", ToMany: true},
			{Name: "tags", ToMany: true},
		},
		Related: map[string][]*serializers.Node{
			"author":   {ann},
			"editor":   {},
			"comments": {c5, c3},
			"tags":     {tag},
		},
	}
	c5.Related["article"] = []*serializers.Node{article}
	c3.Related["article"] = []*serializers.Node{article}
	ann.Related = map[string][]*serializers.Node{"articles": {article}}
	bob.Related = map[string][]*serializers.Node{"articles": {}}
	return article
}

// wire is a rendered document decoded back from its JSON.
type wire map[string]any

func encode(t *testing.T, doc *serializers.Document) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("json.Marshal(document): %v", err)
	}
	return b
}

func decodeWire(t *testing.T, doc *serializers.Document) wire {
	t.Helper()
	var got wire
	if err := json.Unmarshal(encode(t, doc), &got); err != nil {
		t.Fatalf("decode rendered document: %v", err)
	}
	return got
}

func keyOf(res map[string]any) string {
	return fmt.Sprintf("%v/%v", res["type"], res["id"])
}

// primary returns the primary resource objects (one or many).
func (w wire) primary(t *testing.T) []map[string]any {
	t.Helper()
	switch data := w["data"].(type) {
	case nil:
		return nil
	case map[string]any:
		return []map[string]any{data}
	case []any:
		out := make([]map[string]any, 0, len(data))
		for _, d := range data {
			out = append(out, d.(map[string]any))
		}
		return out
	default:
		t.Fatalf("data is %T", data)
		return nil
	}
}

// included returns the keys of `included` in order and whether the member
// was present at all.
func (w wire) included(t *testing.T) ([]string, bool) {
	t.Helper()
	raw, ok := w["included"]
	if !ok {
		return nil, false
	}
	list, isList := raw.([]any)
	if !isList {
		t.Fatalf("included is %T, want an array", raw)
	}
	keys := []string{}
	for _, r := range list {
		keys = append(keys, keyOf(r.(map[string]any)))
	}
	return keys, true
}

// resource finds a resource object by key in data or included.
func (w wire) resource(t *testing.T, key string) map[string]any {
	t.Helper()
	for _, r := range w.primary(t) {
		if keyOf(r) == key {
			return r
		}
	}
	if list, ok := w["included"].([]any); ok {
		for _, r := range list {
			if keyOf(r.(map[string]any)) == key {
				return r.(map[string]any)
			}
		}
	}
	t.Fatalf("resource %s not in the document", key)
	return nil
}

// linkage describes a relationship's data: "-" when the relationship or its
// data member is absent, "null", or the identifiers joined by spaces
// inside brackets for to-many ("[a/1 b/2]", "[]").
func linkage(res map[string]any, name string) string {
	rels, _ := res["relationships"].(map[string]any)
	rel, ok := rels[name].(map[string]any)
	if !ok {
		return "-"
	}
	data, ok := rel["data"]
	if !ok {
		return "-"
	}
	switch d := data.(type) {
	case nil:
		return "null"
	case map[string]any:
		return keyOf(d)
	case []any:
		keys := []string{}
		for _, x := range d {
			keys = append(keys, keyOf(x.(map[string]any)))
		}
		return "[" + strings.Join(keys, " ") + "]"
	default:
		return fmt.Sprintf("?%T", data)
	}
}

// checkCompound asserts the JSON:API compound-document MUSTs: at most one
// resource object per (type, id) across data and included, and (unless
// sparse fieldsets removed linkage) full linkage of every included resource.
func checkCompound(t *testing.T, w wire, fullLinkage bool) {
	t.Helper()
	seen := map[string]bool{}
	all := map[string]map[string]any{}
	for _, r := range w.primary(t) {
		k := keyOf(r)
		if seen[k] {
			t.Errorf("%s appears twice in data", k)
		}
		seen[k], all[k] = true, r
	}
	inc, _ := w.included(t)
	for _, k := range inc {
		if seen[k] {
			t.Errorf("%s appears more than once across data and included", k)
		}
		seen[k] = true
		all[k] = w.resource(t, k)
	}
	if !fullLinkage {
		return
	}
	reached := map[string]bool{}
	queue := []string{}
	for _, r := range w.primary(t) {
		queue = append(queue, keyOf(r))
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if reached[k] {
			continue
		}
		reached[k] = true
		res, ok := all[k]
		if !ok {
			continue
		}
		rels, _ := res["relationships"].(map[string]any)
		for name := range rels {
			l := strings.Trim(linkage(res, name), "[]")
			if l == "-" || l == "null" || l == "" {
				continue
			}
			queue = append(queue, strings.Fields(l)...)
		}
	}
	for _, k := range inc {
		if !reached[k] {
			t.Errorf("included %s is not reachable through relationship data from the primary data (full linkage)", k)
		}
	}
}

func TestOneIncludePruning(t *testing.T) {
	tests := []struct {
		name         string
		include      [][]string
		hasInclude   bool
		wantIncluded []string // nil: the member must be absent
		wantLinkage  map[string]string
	}{
		{
			name:        "no include: no included member, links only",
			wantLinkage: map[string]string{"author": "-", "editor": "-", "comments": "-", "tags": "-"},
		},
		{
			name:         "include given but empty: included is []",
			hasInclude:   true,
			wantIncluded: []string{},
			wantLinkage:  map[string]string{"author": "-", "editor": "-", "comments": "-", "tags": "-"},
		},
		{
			name:         "to-one",
			include:      [][]string{{"author"}},
			hasInclude:   true,
			wantIncluded: []string{"people/9"},
			wantLinkage:  map[string]string{"author": "people/9", "editor": "-", "comments": "-", "tags": "-"},
		},
		{
			name:         "loaded empty to-one is null and includes nothing",
			include:      [][]string{{"editor"}},
			hasInclude:   true,
			wantIncluded: []string{},
			wantLinkage:  map[string]string{"author": "-", "editor": "null", "comments": "-", "tags": "-"},
		},
		{
			name:         "to-many keeps the loaded order in data, sorts included",
			include:      [][]string{{"comments"}},
			hasInclude:   true,
			wantIncluded: []string{"comments/3", "comments/5"},
			wantLinkage:  map[string]string{"author": "-", "editor": "-", "comments": "[comments/5 comments/3]", "tags": "-"},
		},
		{
			name:         "nested path includes the intermediate resources",
			include:      [][]string{{"comments", "author"}},
			hasInclude:   true,
			wantIncluded: []string{"comments/3", "comments/5", "people/7", "people/9"},
			wantLinkage:  map[string]string{"author": "-", "editor": "-", "comments": "[comments/5 comments/3]", "tags": "-"},
		},
		{
			name:         "resource reached by two paths appears once",
			include:      [][]string{{"author"}, {"comments", "author"}},
			hasInclude:   true,
			wantIncluded: []string{"comments/3", "comments/5", "people/7", "people/9"},
			wantLinkage:  map[string]string{"author": "people/9", "editor": "-", "comments": "[comments/5 comments/3]", "tags": "-"},
		},
		{
			name:         "primary resource reached through a relationship is not repeated",
			include:      [][]string{{"comments", "article"}},
			hasInclude:   true,
			wantIncluded: []string{"comments/3", "comments/5"},
			wantLinkage:  map[string]string{"author": "-", "editor": "-", "comments": "[comments/5 comments/3]", "tags": "-"},
		},
		{
			name:         "path back through the primary resource links it fully",
			include:      [][]string{{"comments", "article", "author"}},
			hasInclude:   true,
			wantIncluded: []string{"comments/3", "comments/5", "people/9"},
			wantLinkage:  map[string]string{"author": "people/9", "editor": "-", "comments": "[comments/5 comments/3]", "tags": "-"},
		},
		{
			name:         "HasInclude false but paths given still renders included",
			include:      [][]string{{"tags"}},
			wantIncluded: []string{"tags/2"},
			wantLinkage:  map[string]string{"author": "-", "editor": "-", "comments": "-", "tags": "[tags/2]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.One(articleGraph(), serializers.Options{BaseURL: baseURL, Include: tt.include, HasInclude: tt.hasInclude})
			if err != nil {
				t.Fatalf("One: %v", err)
			}
			w := decodeWire(t, doc)
			gotIncluded, present := w.included(t)
			if tt.wantIncluded == nil {
				if present {
					t.Errorf("included = %v, want the member absent", gotIncluded)
				}
			} else if !present || !reflect.DeepEqual(gotIncluded, tt.wantIncluded) {
				t.Errorf("included = %v (present %v), want %v", gotIncluded, present, tt.wantIncluded)
			}
			article := w.resource(t, "articles/1")
			for rel, want := range tt.wantLinkage {
				if got := linkage(article, rel); got != want {
					t.Errorf("articles/1 %s data = %s, want %s", rel, got, want)
				}
			}
			checkCompound(t, w, true)
		})
	}
}

func TestOneNestedLinkageOnlyForIncludedRelationships(t *testing.T) {
	doc, err := serializers.One(articleGraph(), serializers.Options{BaseURL: baseURL, Include: [][]string{{"comments"}}, HasInclude: true})
	if err != nil {
		t.Fatalf("One: %v", err)
	}
	w := decodeWire(t, doc)
	for _, key := range []string{"comments/3", "comments/5"} {
		c := w.resource(t, key)
		for _, rel := range []string{"author", "article"} {
			if got := linkage(c, rel); got != "-" {
				t.Errorf("%s %s data = %s, want absent (relationship not included)", key, rel, got)
			}
			rels := c["relationships"].(map[string]any)
			if _, ok := rels[rel]; !ok {
				t.Errorf("%s has no %s relationship; every declared relationship needs links", key, rel)
			}
		}
	}
}

func TestOneMergesLinkageOfTwoPaths(t *testing.T) {
	// people/9 is reached by "author" (no deeper path) and by
	// "comments.author.articles" (with its articles): it must appear once,
	// with the articles linkage, whichever path is walked first.
	for _, authorFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("authorFirst=%v", authorFirst), func(t *testing.T) {
			article := articleGraph()
			if !authorFirst {
				slices.Reverse(article.Relationships)
			}
			doc, err := serializers.One(article, serializers.Options{
				BaseURL:    baseURL,
				Include:    [][]string{{"author"}, {"comments", "author", "articles"}},
				HasInclude: true,
			})
			if err != nil {
				t.Fatalf("One: %v", err)
			}
			w := decodeWire(t, doc)
			gotIncluded, _ := w.included(t)
			wantIncluded := []string{"comments/3", "comments/5", "people/7", "people/9"}
			if !reflect.DeepEqual(gotIncluded, wantIncluded) {
				t.Errorf("included = %v, want %v", gotIncluded, wantIncluded)
			}
			if got, want := linkage(w.resource(t, "people/9"), "articles"), "[articles/1]"; got != want {
				t.Errorf("people/9 articles data = %s, want %s", got, want)
			}
			if got, want := linkage(w.resource(t, "people/7"), "articles"), "[]"; got != want {
				t.Errorf("people/7 articles data = %s, want %s", got, want)
			}
			checkCompound(t, w, true)
		})
	}
}

func TestIncludedOrderIsDeterministic(t *testing.T) {
	// Many related resources of several types, loaded in a scrambled order.
	var related []*serializers.Node
	var tags []*serializers.Node
	for _, id := range []string{"b", "10", "a", "9", "2", "c", "1"} {
		related = append(related, personNode(id, "p"+id))
		tags = append(tags, &serializers.Node{Value: &tagRep{ID: id, Label: id}})
	}
	build := func() *serializers.Node {
		return &serializers.Node{
			Value:         &articleRep{ID: "1"},
			Relationships: []serializers.RelationshipSpec{{Name: "tags", ToMany: true}, {Name: "readers", ToMany: true}},
			Related:       map[string][]*serializers.Node{"tags": tags, "readers": related},
		}
	}
	opts := serializers.Options{BaseURL: baseURL, Include: [][]string{{"tags"}, {"readers"}}, HasInclude: true}
	first, err := serializers.One(build(), opts)
	if err != nil {
		t.Fatalf("One: %v", err)
	}
	firstJSON := encode(t, first)
	gotIncluded, _ := decodeWire(t, first).included(t)
	// Byte order of ids, types first.
	wantIncluded := []string{
		"people/1", "people/10", "people/2", "people/9", "people/a", "people/b", "people/c",
		"tags/1", "tags/10", "tags/2", "tags/9", "tags/a", "tags/b", "tags/c",
	}
	if !reflect.DeepEqual(gotIncluded, wantIncluded) {
		t.Errorf("included = %v, want %v", gotIncluded, wantIncluded)
	}
	for i := range 30 {
		doc, err := serializers.One(build(), opts)
		if err != nil {
			t.Fatalf("One: %v", err)
		}
		if got := encode(t, doc); !bytes.Equal(got, firstJSON) {
			t.Fatalf("render %d differs:\n got %s\nwant %s", i, got, firstJSON)
		}
	}
}

func TestSparseFieldsets(t *testing.T) {
	tests := []struct {
		name    string
		include [][]string
		fields  map[string][]string
		// want: resource key → sorted attribute names and relationship names
		wantAttrs    map[string][]string
		wantRels     map[string][]string
		wantIncluded []string
	}{
		{
			name:      "attributes of the primary type only",
			fields:    map[string][]string{"articles": {"title"}},
			wantAttrs: map[string][]string{"articles/1": {"title"}},
			wantRels:  map[string][]string{"articles/1": nil},
		},
		{
			name:      "a relationship name keeps the relationship",
			fields:    map[string][]string{"articles": {"body", "author"}},
			wantAttrs: map[string][]string{"articles/1": {"body"}},
			wantRels:  map[string][]string{"articles/1": {"author"}},
		},
		{
			name:      "empty list keeps no fields",
			fields:    map[string][]string{"articles": {}},
			wantAttrs: map[string][]string{"articles/1": {}},
			wantRels:  map[string][]string{"articles/1": nil},
		},
		{
			name:      "other types are untouched",
			fields:    map[string][]string{"people": {"name"}},
			wantAttrs: map[string][]string{"articles/1": {"body", "title"}},
			wantRels:  map[string][]string{"articles/1": {"author", "comments", "editor", "tags"}},
		},
		{
			name:         "fields apply to included resources",
			include:      [][]string{{"author"}, {"comments", "author"}},
			fields:       map[string][]string{"people": {"name"}, "comments": {"text"}},
			wantAttrs:    map[string][]string{"articles/1": {"body", "title"}, "people/9": {"name"}, "people/7": {"name"}, "comments/5": {"text"}, "comments/3": {"text"}},
			wantRels:     map[string][]string{"articles/1": {"author", "comments", "editor", "tags"}, "people/9": nil, "comments/5": nil},
			wantIncluded: []string{"comments/3", "comments/5", "people/7", "people/9"},
		},
		{
			name:         "a hidden relationship still includes what was asked through it",
			include:      [][]string{{"comments", "author"}},
			fields:       map[string][]string{"articles": {"title"}},
			wantAttrs:    map[string][]string{"articles/1": {"title"}},
			wantRels:     map[string][]string{"articles/1": nil, "comments/5": {"article", "author"}},
			wantIncluded: []string{"comments/3", "comments/5", "people/7", "people/9"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.One(articleGraph(), serializers.Options{BaseURL: baseURL, Include: tt.include, HasInclude: tt.include != nil, Fields: tt.fields})
			if err != nil {
				t.Fatalf("One: %v", err)
			}
			w := decodeWire(t, doc)
			for key, want := range tt.wantAttrs {
				res := w.resource(t, key)
				attrs, ok := res["attributes"].(map[string]any)
				if !ok {
					t.Errorf("%s attributes = %v, want an object", key, res["attributes"])
					continue
				}
				got := slices.Sorted(mapKeys(attrs))
				if !slices.Equal(got, want) {
					t.Errorf("%s attributes = %v, want %v", key, got, want)
				}
			}
			for key, want := range tt.wantRels {
				res := w.resource(t, key)
				rels, present := res["relationships"].(map[string]any)
				if want == nil {
					if present {
						t.Errorf("%s relationships = %v, want the member absent", key, rels)
					}
					continue
				}
				if got := slices.Sorted(mapKeys(rels)); !slices.Equal(got, want) {
					t.Errorf("%s relationships = %v, want %v", key, got, want)
				}
			}
			if tt.wantIncluded != nil {
				got, _ := w.included(t)
				if !slices.Equal(got, tt.wantIncluded) {
					t.Errorf("included = %v, want %v", got, tt.wantIncluded)
				}
			}
			// Sparse fieldsets may legitimately break full linkage.
			checkCompound(t, w, false)
		})
	}
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// resourceMeta is NewResourceMeta for a test.
func resourceMeta(t *testing.T, meta map[string]any) serializers.ResourceMeta {
	t.Helper()
	m, err := serializers.NewResourceMeta(meta)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestResourceLinksAndMeta(t *testing.T) {
	meta := map[string]any{"mode": "test", "organization_id": "org_1"}
	doc, err := serializers.One(articleGraph(), serializers.Options{BaseURL: baseURL, Include: [][]string{{"author"}}, HasInclude: true, ResourceMeta: resourceMeta(t, meta)})
	if err != nil {
		t.Fatalf("One: %v", err)
	}
	w := decodeWire(t, doc)
	tests := []struct {
		key, self string
		rels      []string
	}{
		{"articles/1", "http://x/api/articles/1", []string{"author", "editor", "comments", "tags"}},
		{"people/9", "http://x/api/people/9", []string{"articles"}},
	}
	for _, tt := range tests {
		res := w.resource(t, tt.key)
		links := res["links"].(map[string]any)
		if got := links["self"]; got != tt.self {
			t.Errorf("%s links.self = %v, want %s", tt.key, got, tt.self)
		}
		if got := res["meta"]; !reflect.DeepEqual(got, meta) {
			t.Errorf("%s meta = %v, want %v", tt.key, got, meta)
		}
		rels := res["relationships"].(map[string]any)
		for _, name := range tt.rels {
			rel := rels[name].(map[string]any)
			got := rel["links"].(map[string]any)
			want := map[string]any{"self": tt.self + "/relationships/" + name, "related": tt.self + "/" + name}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s links = %v, want %v", tt.key, name, got, want)
			}
		}
	}
}

func TestAttributesRendering(t *testing.T) {
	occurred := time.Date(2026, 11, 21, 11, 0, 0, 123456789, time.FixedZone("CET", 3600))
	amount := 0
	node := &serializers.Node{Value: &eventRep{
		ID:         "e1",
		OccurredAt: serializers.Time{Time: occurred},
		Amount:     &amount,
		Labels:     []string{"a", "b"},
		Extra:      map[string]float64{"x": 1.5},
	}}
	doc, err := serializers.One(node, serializers.Options{BaseURL: baseURL})
	if err != nil {
		t.Fatalf("One: %v", err)
	}
	var got struct {
		Data struct {
			Attributes map[string]json.RawMessage `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(encode(t, doc), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"occurred_at": `"2026-11-21T10:00:00.123Z"`,
		"closed_at":   `null`,
		"amount":      `0`,
		"labels":      `["a","b"]`,
		"extra":       `{"x":1.5}`,
	}
	if len(got.Data.Attributes) != len(want) {
		t.Errorf("attributes = %s, want keys %v", got.Data.Attributes, want)
	}
	for k, w := range want {
		if g := string(got.Data.Attributes[k]); g != w {
			t.Errorf("attribute %s = %s, want %s", k, g, w)
		}
	}
}

func TestOneNull(t *testing.T) {
	tests := []struct {
		name       string
		hasInclude bool
		want       string
	}{
		{"no include", false, `{"data":null}`},
		{"include asked", true, `{"data":null,"included":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.One(nil, serializers.Options{BaseURL: baseURL, HasInclude: tt.hasInclude})
			if err != nil {
				t.Fatalf("One(nil): %v", err)
			}
			if got := string(encode(t, doc)); got != tt.want {
				t.Errorf("One(nil) = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		node *serializers.Node
		opts serializers.Options
	}{
		{
			name: "included relationship not loaded",
			node: &serializers.Node{Value: &articleRep{ID: "1"}, Relationships: []serializers.RelationshipSpec{{Name: "author"}}},
			opts: serializers.Options{Include: [][]string{{"author"}}, HasInclude: true},
		},
		{
			name: "nested relationship not loaded",
			node: &serializers.Node{
				Value:         &articleRep{ID: "1"},
				Relationships: []serializers.RelationshipSpec{{Name: "author"}},
				Related:       map[string][]*serializers.Node{"author": {personNode("9", "ann")}},
			},
			opts: serializers.Options{Include: [][]string{{"author", "articles"}}, HasInclude: true},
		},
		{
			name: "value is not a struct pointer",
			node: &serializers.Node{Value: articleRep{ID: "1"}},
		},
		{
			name: "value is a nil pointer",
			node: &serializers.Node{Value: (*articleRep)(nil)},
		},
		{
			name: "value is a slice",
			node: &serializers.Node{Value: []*articleRep{{ID: "1"}}},
		},
		{
			name: "related value is invalid",
			node: &serializers.Node{
				Value:         &articleRep{ID: "1"},
				Relationships: []serializers.RelationshipSpec{{Name: "author"}},
				Related:       map[string][]*serializers.Node{"author": {{Value: "ann"}}},
			},
			opts: serializers.Options{Include: [][]string{{"author"}}, HasInclude: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.BaseURL = baseURL
			if doc, err := serializers.One(tt.node, tt.opts); err == nil {
				t.Errorf("One = %s, want an error", encode(t, doc))
			}
			if doc, err := serializers.Many([]*serializers.Node{tt.node}, serializers.ListMeta{RecordCount: 1, Page: serializers.Page{Number: 1, Size: 10}, URL: mustURL(t, "http://x/api/articles")}, tt.opts); err == nil {
				t.Errorf("Many = %s, want an error", encode(t, doc))
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

func TestManyDedupeAndMeta(t *testing.T) {
	ann := personNode("9", "ann")
	a1 := &serializers.Node{
		Value:         &articleRep{ID: "1", Title: "one"},
		Relationships: []serializers.RelationshipSpec{{Name: "author"}, {Name: "see_also", ToMany: true}},
		Related:       map[string][]*serializers.Node{"author": {ann}},
	}
	a2 := &serializers.Node{
		Value:         &articleRep{ID: "2", Title: "two"},
		Relationships: []serializers.RelationshipSpec{{Name: "author"}, {Name: "see_also", ToMany: true}},
		Related:       map[string][]*serializers.Node{"author": {ann}, "see_also": {a1}},
	}
	a1.Related["see_also"] = []*serializers.Node{a2, {Value: &articleRep{ID: "3", Title: "three"}}}

	tests := []struct {
		name         string
		include      [][]string
		hasInclude   bool
		wantIncluded []string
		wantLinkage  map[string]map[string]string
	}{
		{
			name:        "no include",
			wantLinkage: map[string]map[string]string{"articles/1": {"author": "-", "see_also": "-"}},
		},
		{
			name:         "shared author appears once",
			include:      [][]string{{"author"}},
			hasInclude:   true,
			wantIncluded: []string{"people/9"},
			wantLinkage:  map[string]map[string]string{"articles/1": {"author": "people/9", "see_also": "-"}, "articles/2": {"author": "people/9"}},
		},
		{
			name:         "primary resources are not repeated in included",
			include:      [][]string{{"see_also"}},
			hasInclude:   true,
			wantIncluded: []string{"articles/3"},
			wantLinkage:  map[string]map[string]string{"articles/1": {"see_also": "[articles/2 articles/3]"}, "articles/2": {"see_also": "[articles/1]"}},
		},
		{
			name:         "paths through primary resources link them fully",
			include:      [][]string{{"see_also", "author"}},
			hasInclude:   true,
			wantIncluded: []string{"articles/3", "people/9"},
			wantLinkage:  map[string]map[string]string{"articles/1": {"author": "people/9", "see_also": "[articles/2 articles/3]"}, "articles/2": {"author": "people/9", "see_also": "[articles/1]"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.Many([]*serializers.Node{a1, a2}, serializers.ListMeta{
				RecordCount: 12,
				Page:        serializers.Page{Number: 1, Size: 2},
				URL:         mustURL(t, "http://x/api/articles?page[size]=2"),
			}, serializers.Options{BaseURL: baseURL, Include: tt.include, HasInclude: tt.hasInclude})
			if err != nil {
				t.Fatalf("Many: %v", err)
			}
			w := decodeWire(t, doc)
			var gotData []string
			for _, r := range w.primary(t) {
				gotData = append(gotData, keyOf(r))
			}
			if want := []string{"articles/1", "articles/2"}; !slices.Equal(gotData, want) {
				t.Errorf("data = %v, want %v", gotData, want)
			}
			gotIncluded, present := w.included(t)
			if tt.wantIncluded == nil && present {
				t.Errorf("included = %v, want absent", gotIncluded)
			}
			if tt.wantIncluded != nil && !slices.Equal(gotIncluded, tt.wantIncluded) {
				t.Errorf("included = %v, want %v", gotIncluded, tt.wantIncluded)
			}
			for key, rels := range tt.wantLinkage {
				for rel, want := range rels {
					if got := linkage(w.resource(t, key), rel); got != want {
						t.Errorf("%s %s data = %s, want %s", key, rel, got, want)
					}
				}
			}
			wantMeta := map[string]any{"record_count": float64(12), "record_count_exact": true, "page_count": float64(6)}
			if got := w["meta"]; !reflect.DeepEqual(got, wantMeta) {
				t.Errorf("meta = %v, want %v", got, wantMeta)
			}
			links, _ := w["links"].(map[string]any)
			for _, name := range []string{"self", "first", "prev", "next", "last"} {
				if _, ok := links[name]; !ok {
					t.Errorf("links.%s missing: %v", name, links)
				}
			}
			if links["prev"] != nil {
				t.Errorf("links.prev = %v on the first page, want null", links["prev"])
			}
			checkCompound(t, w, true)
		})
	}
}

func TestManyEmpty(t *testing.T) {
	tests := []struct {
		name       string
		hasInclude bool
		wantJSON   []string // substrings
		notJSON    []string
	}{
		{"no include", false, []string{`"data":[]`, `"record_count":0`, `"page_count":0`, `"prev":null`, `"next":null`}, []string{`"included"`}},
		{"include asked", true, []string{`"data":[]`, `"included":[]`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.Many(nil, serializers.ListMeta{Page: serializers.Page{Number: 1, Size: 10}, URL: mustURL(t, "http://x/api/articles")}, serializers.Options{BaseURL: baseURL, HasInclude: tt.hasInclude})
			if err != nil {
				t.Fatalf("Many: %v", err)
			}
			got := string(encode(t, doc))
			for _, s := range tt.wantJSON {
				if !strings.Contains(got, s) {
					t.Errorf("document %s lacks %s", got, s)
				}
			}
			for _, s := range tt.notJSON {
				if strings.Contains(got, s) {
					t.Errorf("document %s has %s", got, s)
				}
			}
		})
	}
}

// TestManyEstimatedCount: an estimated count says so in
// meta.record_count_exact, and its pages still link to a last page.
func TestManyEstimatedCount(t *testing.T) {
	tests := []struct {
		name      string
		estimated bool
		want      []string
	}{
		{"exact", false, []string{`"record_count":120`, `"record_count_exact":true`, `"page_count":12`}},
		{"estimated", true, []string{`"record_count":120`, `"record_count_exact":false`, `"page_count":12`, `page%5Bnumber%5D=12`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := serializers.Many(nil, serializers.ListMeta{RecordCount: 120, Estimated: tt.estimated, Page: serializers.Page{Number: 1, Size: 10}, URL: mustURL(t, "http://x/api/articles")}, serializers.Options{BaseURL: baseURL})
			if err != nil {
				t.Fatal(err)
			}
			got := string(encode(t, doc))
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("document %s lacks %s", got, s)
				}
			}
		})
	}
}

func TestPageCount(t *testing.T) {
	tests := []struct {
		count int64
		size  int
		want  int64
	}{
		{0, 10, 0},
		{1, 10, 1},
		{10, 10, 1},
		{11, 10, 2},
		{25, 25, 1},
		{26, 25, 2},
		{5, 0, 0},
		{5, -1, 0},
	}
	for _, tt := range tests {
		if got := serializers.PageCount(tt.count, tt.size); got != tt.want {
			t.Errorf("PageCount(%d, %d) = %d, want %d", tt.count, tt.size, got, tt.want)
		}
	}
}

func TestPaginationLinks(t *testing.T) {
	const none = "null"
	tests := []struct {
		name      string
		url       string
		page      serializers.Page
		pageCount int64
		// want page[number] of each link, or "null"
		want map[string]string
	}{
		{
			name: "middle page", url: "http://x/api/articles?page[number]=2&page[size]=5",
			page: serializers.Page{Number: 2, Size: 5}, pageCount: 4,
			want: map[string]string{"self": "2", "first": "1", "prev": "1", "next": "3", "last": "4"},
		},
		{
			name: "first page", url: "http://x/api/articles",
			page: serializers.Page{Number: 1, Size: 5}, pageCount: 3,
			want: map[string]string{"self": "1", "first": "1", "prev": none, "next": "2", "last": "3"},
		},
		{
			name: "last page", url: "http://x/api/articles?page[number]=3",
			page: serializers.Page{Number: 3, Size: 5}, pageCount: 3,
			want: map[string]string{"self": "3", "first": "1", "prev": "2", "next": none, "last": "3"},
		},
		{
			name: "single page", url: "http://x/api/articles",
			page: serializers.Page{Number: 1, Size: 10}, pageCount: 1,
			want: map[string]string{"self": "1", "first": "1", "prev": none, "next": none, "last": "1"},
		},
		{
			name: "no records: last is page 1", url: "http://x/api/articles",
			page: serializers.Page{Number: 1, Size: 10}, pageCount: 0,
			want: map[string]string{"self": "1", "first": "1", "prev": none, "next": none, "last": "1"},
		},
		{
			name: "beyond the last page: prev is the last page", url: "http://x/api/articles?page[number]=9",
			page: serializers.Page{Number: 9, Size: 10}, pageCount: 2,
			want: map[string]string{"self": "9", "first": "1", "prev": "2", "next": none, "last": "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serializers.PaginationLinks(mustURL(t, tt.url), tt.page, tt.pageCount)
			if len(got) != len(tt.want) {
				t.Errorf("links = %v, want keys of %v", got, tt.want)
			}
			for name, wantNumber := range tt.want {
				link, ok := got[name]
				if !ok {
					t.Errorf("links.%s missing", name)
					continue
				}
				if wantNumber == none {
					if link != nil {
						t.Errorf("links.%s = %s, want null", name, *link)
					}
					continue
				}
				if link == nil {
					t.Errorf("links.%s = null, want page %s", name, wantNumber)
					continue
				}
				u := mustURL(t, *link)
				if u.Scheme != "http" || u.Host != "x" || u.Path != "/api/articles" {
					t.Errorf("links.%s = %s, want http://x/api/articles?…", name, *link)
				}
				q := u.Query()
				if g := q.Get("page[number]"); g != wantNumber {
					t.Errorf("links.%s page[number] = %q, want %q", name, g, wantNumber)
				}
				if g, w := q.Get("page[size]"), fmt.Sprint(tt.page.Size); g != w {
					t.Errorf("links.%s page[size] = %q, want %q", name, g, w)
				}
				if strings.ContainsAny(u.RawQuery, "[]") {
					t.Errorf("links.%s = %s has raw brackets; want them percent-encoded", name, *link)
				}
			}
		})
	}
}

func TestPaginationLinksKeepOtherParams(t *testing.T) {
	u := mustURL(t, "http://x/api/articles?sort=-title&include=author,comments.author&fields%5Barticles%5D=title&filter[q][title_cont]=a+b&page[size]=3&page[number]=2")
	links := serializers.PaginationLinks(u, serializers.Page{Number: 2, Size: 3}, 5)
	want := url.Values{
		"sort":                  {"-title"},
		"include":               {"author,comments.author"},
		"fields[articles]":      {"title"},
		"filter[q][title_cont]": {"a b"},
		"page[size]":            {"3"},
		"page[number]":          {"3"},
	}
	got := mustURL(t, *links["next"]).Query()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("next query = %v, want %v", got, want)
	}
	// The request URL itself must not be modified.
	if got := u.Query().Get("page[number]"); got != "2" {
		t.Errorf("request URL page[number] = %q after PaginationLinks, want 2", got)
	}
}

func TestRelationshipMarshalJSON(t *testing.T) {
	links := map[string]string{"self": "s", "related": "r"}
	ids := []serializers.Identifier{{Type: "people", ID: "9"}, {Type: "people", ID: "7"}}
	tests := []struct {
		name string
		rel  serializers.Relationship
		want string
	}{
		{"not loaded to-one", serializers.Relationship{Links: links}, `{"links":{"related":"r","self":"s"}}`},
		{"not loaded to-many with data", serializers.Relationship{Links: links, ToMany: true, Data: ids}, `{"links":{"related":"r","self":"s"}}`},
		{"loaded empty to-one", serializers.Relationship{Links: links, Loaded: true}, `{"data":null,"links":{"related":"r","self":"s"}}`},
		{"loaded to-one", serializers.Relationship{Links: links, Loaded: true, Data: ids[:1]}, `{"data":{"type":"people","id":"9"},"links":{"related":"r","self":"s"}}`},
		{"loaded nil to-many", serializers.Relationship{Links: links, Loaded: true, ToMany: true}, `{"data":[],"links":{"related":"r","self":"s"}}`},
		{"loaded to-many", serializers.Relationship{Links: links, Loaded: true, ToMany: true, Data: ids}, `{"data":[{"type":"people","id":"9"},{"type":"people","id":"7"}],"links":{"related":"r","self":"s"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(&tt.rel)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLinkageDocument(t *testing.T) {
	ids := []serializers.Identifier{{Type: "tags", ID: "1"}, {Type: "tags", ID: "2"}}
	tests := []struct {
		name   string
		ids    []serializers.Identifier
		toMany bool
		want   string
	}{
		{"to-many nil", nil, true, `{"data":[],"links":{"related":"R","self":"S"}}`},
		{"to-many", ids, true, `{"data":[{"type":"tags","id":"1"},{"type":"tags","id":"2"}],"links":{"related":"R","self":"S"}}`},
		{"to-one empty", nil, false, `{"data":null,"links":{"related":"R","self":"S"}}`},
		{"to-one", ids[:1], false, `{"data":{"type":"tags","id":"1"},"links":{"related":"R","self":"S"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(encode(t, serializers.LinkageDocument(tt.ids, tt.toMany, "S", "R"))); got != tt.want {
				t.Errorf("LinkageDocument = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSelfLink(t *testing.T) {
	tests := []struct{ typ, id, want string }{
		{"articles", "1", "http://x/api/articles/1"},
		{"articles", "a b", "http://x/api/articles/a%20b"},
		{"articles", "a/b?c#d", "http://x/api/articles/a%2Fb%3Fc%23d"},
	}
	for _, tt := range tests {
		if got := serializers.SelfLink(baseURL, tt.typ, tt.id); got != tt.want {
			t.Errorf("SelfLink(%q, %q) = %s, want %s", tt.typ, tt.id, got, tt.want)
		}
	}
}

func TestTreeOf(t *testing.T) {
	got := serializers.TreeOf([][]string{{"a"}, {"a", "b"}, {"c", "d", "e"}, {"a", "b"}, {"c"}})
	want := serializers.IncludeTree{
		"a": {"b": {}},
		"c": {"d": {"e": {}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TreeOf = %v, want %v", got, want)
	}
	if got := serializers.TreeOf(nil); len(got) != 0 {
		t.Errorf("TreeOf(nil) = %v, want empty", got)
	}
}

func TestNodeKey(t *testing.T) {
	gotType, gotID, err := personNode("9", "ann").Key()
	if err != nil || gotType != "people" || gotID != "9" {
		t.Errorf("Key() = %q, %q, %v; want people, 9, nil", gotType, gotID, err)
	}
	if _, _, err := (&serializers.Node{Value: 42}).Key(); err == nil {
		t.Error("Key() of a non-struct value: want an error")
	}
}
