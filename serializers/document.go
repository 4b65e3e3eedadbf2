package serializers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"

	"github.com/google/jsonapi"
)

// MediaType is JSON:API's media type.
const MediaType = "application/vnd.api+json"

// RelationshipSpec declares one relationship of a node: every declared
// relationship gets links; its data appears only when it was included.
type RelationshipSpec struct {
	Name   string
	ToMany bool
}

// Node is one resource as the engine loaded it: its google/jsonapi-tagged
// representation, its declared relationships, and the related nodes loaded
// for the requested include paths.
type Node struct {
	Value         any // a struct with `jsonapi:"primary,…"` and `jsonapi:"attr,…"` tags
	Relationships []RelationshipSpec
	// Related holds what was loaded per relationship name; a loaded empty
	// to-one is an empty slice, an unloaded relationship is absent.
	Related map[string][]*Node

	typ, id string
	attrs   map[string]any
}

// Identifier is a resource identifier object.
type Identifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Resource is a resource object as it goes on the wire.
type Resource struct {
	Type          string                   `json:"type"`
	ID            string                   `json:"id"`
	Links         map[string]string        `json:"links"`
	Attributes    map[string]any           `json:"attributes"`
	Relationships map[string]*Relationship `json:"relationships,omitempty"`
	Meta          map[string]any           `json:"meta,omitempty"`
}

// Relationship is a relationship object: links always, data when included.
type Relationship struct {
	Links  map[string]string
	Loaded bool
	ToMany bool
	Data   []Identifier
}

// MarshalJSON writes `data` only for included relationships, as `null` or
// an identifier for to-one and as an array for to-many.
func (r *Relationship) MarshalJSON() ([]byte, error) {
	out := map[string]any{"links": r.Links}
	if r.Loaded {
		switch {
		case r.ToMany:
			data := r.Data
			if data == nil {
				data = []Identifier{}
			}
			out["data"] = data
		case len(r.Data) == 0:
			out["data"] = nil
		default:
			out["data"] = r.Data[0]
		}
	}
	return json.Marshal(out)
}

// Document is a top-level JSON:API document with primary data.
type Document struct {
	JSONAPI  map[string]any     `json:"jsonapi,omitempty"`
	Data     any                `json:"data"`
	Included *[]*Resource       `json:"included,omitempty"`
	Links    map[string]*string `json:"links,omitempty"`
	Meta     map[string]any     `json:"meta,omitempty"`
}

// Options say how to render a document.
type Options struct {
	BaseURL      string              // absolute origin, e.g. http://127.0.0.1:8080
	Include      [][]string          // requested include paths
	HasInclude   bool                // `included` must be present, even empty
	Fields       map[string][]string // sparse fieldsets
	ResourceMeta map[string]any      // meta on every resource (mode, organization_id)
}

// SelfLink is the canonical URL of a resource.
func SelfLink(baseURL, typ, id string) string {
	return baseURL + "/api/" + typ + "/" + url.PathEscape(id)
}

// prepare reads the node's type, id and attributes once: through its
// type's plan, or else google/jsonapi.
func (n *Node) prepare() error {
	if n.attrs != nil {
		return nil
	}
	if rv := reflect.ValueOf(n.Value); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if p := planOf(n.Value); p != nil {
			n.typ, n.id, n.attrs = p.apply(n.Value)
			return nil
		}
	}
	payload, err := jsonapi.Marshal(n.Value)
	if err != nil {
		return fmt.Errorf("marshal %T: %w", n.Value, err)
	}
	one, ok := payload.(*jsonapi.OnePayload)
	if !ok || one.Data == nil {
		return fmt.Errorf("marshal %T: not a single resource", n.Value)
	}
	n.typ, n.id, n.attrs = one.Data.Type, one.Data.ID, one.Data.Attributes
	if n.attrs == nil {
		n.attrs = map[string]any{}
	}
	return nil
}

// Key is the node's (type, id).
func (n *Node) Key() (string, string, error) {
	if err := n.prepare(); err != nil {
		return "", "", err
	}
	return n.typ, n.id, nil
}

// IncludeTree is include paths as a tree of relationship names.
type IncludeTree map[string]IncludeTree

// TreeOf builds the tree of include paths.
func TreeOf(paths [][]string) IncludeTree {
	t := IncludeTree{}
	for _, path := range paths {
		cur := t
		for _, seg := range path {
			next, ok := cur[seg]
			if !ok {
				next = IncludeTree{}
				cur[seg] = next
			}
			cur = next
		}
	}
	return t
}

// renderer accumulates one document's included resources.
type renderer struct {
	opts     Options
	primary  map[Identifier]bool
	included map[Identifier]*Resource
	// primaryExtra holds primary resources as rendered when reached again
	// through an include path, to merge their linkage into the data.
	primaryExtra map[Identifier]*Resource
}

func (r *renderer) resource(n *Node, tree IncludeTree) (*Resource, error) {
	if err := n.prepare(); err != nil {
		return nil, err
	}
	self := SelfLink(r.opts.BaseURL, n.typ, n.id)
	res := &Resource{Type: n.typ, ID: n.id, Links: map[string]string{"self": self}, Attributes: map[string]any{}, Meta: r.opts.ResourceMeta}
	fields, sparse := r.opts.Fields[n.typ]
	keep := func(name string) bool { return !sparse || slices.Contains(fields, name) }
	for k, v := range n.attrs {
		if keep(k) {
			res.Attributes[k] = v
		}
	}
	for _, spec := range n.Relationships {
		sub, included := tree[spec.Name]
		if !keep(spec.Name) {
			// Sparse fieldsets hide the relationship, but included
			// resources reached through it are still part of the document.
			if included {
				if _, err := r.linkage(n, spec, sub); err != nil {
					return nil, err
				}
			}
			continue
		}
		rel := &Relationship{ToMany: spec.ToMany, Links: map[string]string{
			"self":    self + "/relationships/" + spec.Name,
			"related": self + "/" + spec.Name,
		}}
		if included {
			data, err := r.linkage(n, spec, sub)
			if err != nil {
				return nil, err
			}
			rel.Loaded, rel.Data = true, data
		}
		if res.Relationships == nil {
			res.Relationships = map[string]*Relationship{}
		}
		res.Relationships[spec.Name] = rel
	}
	return res, nil
}

// linkage renders the related nodes of an included relationship into the
// included set (once per type and id) and returns their identifiers.
func (r *renderer) linkage(n *Node, spec RelationshipSpec, sub IncludeTree) ([]Identifier, error) {
	related, ok := n.Related[spec.Name]
	if !ok {
		return nil, fmt.Errorf("relationship %s of %s %s was included but not loaded", spec.Name, n.typ, n.id)
	}
	ids := make([]Identifier, 0, len(related))
	for _, rn := range related {
		typ, id, err := rn.Key()
		if err != nil {
			return nil, err
		}
		key := Identifier{Type: typ, ID: id}
		ids = append(ids, key)
		if r.primary[key] {
			// Already primary data: never repeated in `included`, but its
			// own included relationships are still walked, and their
			// linkage is merged into the primary resource (full linkage).
			if len(sub) > 0 {
				res, err := r.resource(rn, sub)
				if err != nil {
					return nil, err
				}
				if prev, seen := r.primaryExtra[key]; seen {
					mergeRelationships(prev, res)
				} else {
					r.primaryExtra[key] = res
				}
			}
			continue
		}
		res, err := r.resource(rn, sub)
		if err != nil {
			return nil, err
		}
		if prev, seen := r.included[key]; seen {
			mergeRelationships(prev, res)
			continue
		}
		r.included[key] = res
	}
	return ids, nil
}

// mergeRelationships keeps the linkage of every path that reached a
// resource, so a resource included through two paths shows both.
func mergeRelationships(into, from *Resource) {
	for name, rel := range from.Relationships {
		if existing, ok := into.Relationships[name]; !ok || (!existing.Loaded && rel.Loaded) {
			if into.Relationships == nil {
				into.Relationships = map[string]*Relationship{}
			}
			into.Relationships[name] = rel
		}
	}
}

func (r *renderer) finish(doc *Document, data []*Resource) {
	for _, res := range data {
		if extra, ok := r.primaryExtra[Identifier{Type: res.Type, ID: res.ID}]; ok {
			mergeRelationships(res, extra)
		}
	}
	if !r.opts.HasInclude && len(r.included) == 0 {
		return
	}
	list := make([]*Resource, 0, len(r.included))
	for _, res := range r.included {
		list = append(list, res)
	}
	// A stable order (type, then id) instead of google/jsonapi's random one.
	slices.SortFunc(list, func(a, b *Resource) int {
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	doc.Included = &list
}

func newRenderer(opts Options, primary []*Node) (*renderer, error) {
	r := &renderer{opts: opts, primary: map[Identifier]bool{}, included: map[Identifier]*Resource{}, primaryExtra: map[Identifier]*Resource{}}
	for _, n := range primary {
		typ, id, err := n.Key()
		if err != nil {
			return nil, err
		}
		r.primary[Identifier{Type: typ, ID: id}] = true
	}
	return r, nil
}

// One renders a document whose primary data is one resource, or null when
// node is nil.
func One(node *Node, opts Options) (*Document, error) {
	doc := &Document{}
	if node == nil {
		if opts.HasInclude {
			doc.Included = &[]*Resource{}
		}
		return doc, nil
	}
	r, err := newRenderer(opts, []*Node{node})
	if err != nil {
		return nil, err
	}
	res, err := r.resource(node, TreeOf(opts.Include))
	if err != nil {
		return nil, err
	}
	doc.Data = res
	r.finish(doc, []*Resource{res})
	return doc, nil
}

// ListMeta is what a paginated list knows about itself.
type ListMeta struct {
	RecordCount int64
	// Estimated says RecordCount is an estimate (meta.record_count_exact
	// false), not a count.
	Estimated bool
	Page      Page
	URL       *url.URL // the request URL, absolute, for pagination links
}

// Many renders a paginated collection with meta.record_count,
// meta.record_count_exact, meta.page_count and first/prev/next/last links.
func Many(nodes []*Node, list ListMeta, opts Options) (*Document, error) {
	r, err := newRenderer(opts, nodes)
	if err != nil {
		return nil, err
	}
	tree := TreeOf(opts.Include)
	data := make([]*Resource, 0, len(nodes))
	for _, n := range nodes {
		res, err := r.resource(n, tree)
		if err != nil {
			return nil, err
		}
		data = append(data, res)
	}
	pageCount := PageCount(list.RecordCount, list.Page.Size)
	doc := &Document{
		Data:  data,
		Meta:  map[string]any{"record_count": list.RecordCount, "record_count_exact": !list.Estimated, "page_count": pageCount},
		Links: PaginationLinks(list.URL, list.Page, pageCount),
	}
	r.finish(doc, data)
	return doc, nil
}

// PageCount is how many pages of size hold count records.
func PageCount(count int64, size int) int64 {
	if size <= 0 {
		return 0
	}
	return (count + int64(size) - 1) / int64(size)
}

// PaginationLinks builds first/prev/next/last from the request URL, keeping
// its other query parameters; prev and next are null at the ends.
func PaginationLinks(u *url.URL, page Page, pageCount int64) map[string]*string {
	link := func(number int64) *string {
		c := *u
		q := c.Query()
		q.Set("page[number]", strconv.FormatInt(number, 10))
		q.Set("page[size]", strconv.Itoa(page.Size))
		c.RawQuery = q.Encode()
		s := c.String()
		return &s
	}
	last := pageCount
	if last < 1 {
		last = 1
	}
	links := map[string]*string{"self": link(int64(page.Number)), "first": link(1), "last": link(last), "prev": nil, "next": nil}
	if page.Number > 1 {
		prev := int64(page.Number - 1)
		if prev > last {
			prev = last
		}
		links["prev"] = link(prev)
	}
	if int64(page.Number) < last {
		links["next"] = link(int64(page.Number + 1))
	}
	return links
}

// LinkageDocument renders a relationship endpoint: identifiers as primary
// data, with self and related links.
func LinkageDocument(ids []Identifier, toMany bool, self, related string) *Document {
	doc := &Document{Links: map[string]*string{"self": &self, "related": &related}}
	switch {
	case toMany:
		if ids == nil {
			ids = []Identifier{}
		}
		doc.Data = ids
	case len(ids) == 0:
		doc.Data = nil
	default:
		doc.Data = ids[0]
	}
	return doc
}
