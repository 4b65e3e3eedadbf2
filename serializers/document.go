package serializers

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

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
	// to-one is an empty slice, an unloaded relationship is absent (nil
	// when nothing was loaded: SetRelated makes it).
	Related map[string][]*Node

	typ, id  string
	prepared bool
	plan     *plan          // how Value's attributes are written, or nil:
	attrs    map[string]any // google/jsonapi's attributes of Value
}

// SetRelated records what relationship name holds, as loaded.
func (n *Node) SetRelated(name string, nodes []*Node) {
	if n.Related == nil {
		n.Related = map[string][]*Node{}
	}
	n.Related[name] = nodes
}

// Identifier is a resource identifier object.
type Identifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Resource is a resource object as it goes on the wire: its links and
// attributes are written from its node when the document is encoded.
type Resource struct {
	Type string
	ID   string
	// Relationships in name order (the order they are written in).
	Relationships []Relationship

	node    *Node
	baseURL string
	fields  []string // the sparse fieldset of its type
	sparse  bool
	meta    []byte // the encoded meta of every resource, or nil
}

// Relationship is a relationship object: links always, data when included.
type Relationship struct {
	Name string
	// Links are written as they are when set; otherwise self and related
	// are the owner's relationship URLs.
	Links  map[string]string
	Loaded bool
	ToMany bool
	Data   []Identifier
}

// keep says whether the resource shows the attribute or relationship name.
func (res *Resource) keep(name string) bool {
	return !res.sparse || slices.Contains(res.fields, name)
}

// relationship is res's relationship named name, or nil.
func (res *Resource) relationship(name string) *Relationship {
	for i := range res.Relationships {
		if res.Relationships[i].Name == name {
			return &res.Relationships[i]
		}
	}
	return nil
}

// MarshalJSON writes the resource object.
func (res *Resource) MarshalJSON() ([]byte, error) { return res.appendJSON(nil) }

// AttributesJSON is the encoded attributes object.
func (res *Resource) AttributesJSON() ([]byte, error) { return res.appendAttributes(nil) }

// appendSelf appends the resource's canonical URL (SelfLink).
func (res *Resource) appendSelf(dst []byte) []byte {
	dst = append(dst, res.baseURL...)
	dst = append(dst, "/api/"...)
	dst = append(dst, res.Type...)
	dst = append(dst, '/')
	return append(dst, url.PathEscape(res.ID)...)
}

func (res *Resource) appendAttributes(dst []byte) ([]byte, error) {
	n := res.node
	if n.plan != nil {
		return n.plan.appendAttributes(dst, n.Value, res.keep)
	}
	return appendObject(dst, n.attrs, res.keep, appendAny)
}

func (res *Resource) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, res.Type)
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, res.ID)
	dst = append(dst, `,"links":{"self":"`...)
	dst = appendEscaped(dst, res.appendSelf)
	dst = append(dst, `"},"attributes":`...)
	var err error
	if dst, err = res.appendAttributes(dst); err != nil {
		return dst, err
	}
	if len(res.Relationships) > 0 {
		dst = append(dst, `,"relationships":{`...)
		for i := range res.Relationships {
			rel := &res.Relationships[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, rel.Name)
			dst = append(dst, ':')
			dst = rel.appendJSON(dst, res)
		}
		dst = append(dst, '}')
	}
	if res.meta != nil {
		dst = append(dst, `,"meta":`...)
		dst = append(dst, res.meta...)
	}
	return append(dst, '}'), nil
}

// appendEscaped appends what write appends, escaped as the inside of a JSON
// string (links are URLs: escaping is rarely needed, and then done on a
// copy).
func appendEscaped(dst []byte, write func([]byte) []byte) []byte {
	start := len(dst)
	dst = write(dst)
	for _, b := range dst[start:] {
		if b < 0x20 || b == '"' || b == '\\' || b >= utf8.RuneSelf {
			raw := string(dst[start:])
			quoted := appendString(dst[:start], raw)
			return append(dst[:start], quoted[start+1:len(quoted)-1]...)
		}
	}
	return dst
}

// MarshalJSON writes `data` only for included relationships, as `null` or
// an identifier for to-one and as an array for to-many.
func (r *Relationship) MarshalJSON() ([]byte, error) { return r.appendJSON(nil, nil), nil }

// appendJSON writes the relationship object of owner (nil when Links are
// set).
func (r *Relationship) appendJSON(dst []byte, owner *Resource) []byte {
	dst = append(dst, '{')
	if r.Loaded {
		dst = append(dst, `"data":`...)
		switch {
		case r.ToMany:
			dst = appendIdentifiers(dst, r.Data)
		case len(r.Data) == 0:
			dst = append(dst, "null"...)
		default:
			dst = r.Data[0].appendJSON(dst)
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"links":`...)
	if r.Links != nil || owner == nil {
		return append(appendStringMap(dst, r.Links), '}')
	}
	dst = append(dst, `{"related":"`...)
	dst = appendEscaped(dst, func(b []byte) []byte {
		b = owner.appendSelf(b)
		b = append(b, '/')
		return append(b, r.Name...)
	})
	dst = append(dst, `","self":"`...)
	dst = appendEscaped(dst, func(b []byte) []byte {
		b = owner.appendSelf(b)
		b = append(b, "/relationships/"...)
		return append(b, r.Name...)
	})
	return append(dst, `"}}`...)
}

func (id Identifier) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, id.Type)
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, id.ID)
	return append(dst, '}')
}

func appendIdentifiers(dst []byte, ids []Identifier) []byte {
	dst = append(dst, '[')
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = id.appendJSON(dst)
	}
	return append(dst, ']')
}

// appendStringMap writes m as encoding/json would: null when nil, keys in
// order.
func appendStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	dst, _ = appendObject(dst, m, nil, func(dst []byte, v string) ([]byte, error) { return appendString(dst, v), nil })
	return dst
}

// Document is a top-level JSON:API document with primary data.
type Document struct {
	JSONAPI  map[string]any     `json:"jsonapi,omitempty"`
	Data     any                `json:"data"`
	Included *[]*Resource       `json:"included,omitempty"`
	Links    map[string]*string `json:"links,omitempty"`
	Meta     map[string]any     `json:"meta,omitempty"`
}

// MarshalJSON writes the document (AppendJSON without its newline).
func (d *Document) MarshalJSON() ([]byte, error) { return d.appendJSON(nil) }

// AppendJSON appends the encoded document and a newline to dst, as
// encoding/json's Encoder with SetEscapeHTML(false) would write it.
func (d *Document) AppendJSON(dst []byte) ([]byte, error) {
	dst, err := d.appendJSON(dst)
	return append(dst, '\n'), err
}

func (d *Document) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	if len(d.JSONAPI) > 0 {
		dst = append(dst, `"jsonapi":`...)
		if dst, err = appendJSON(dst, d.JSONAPI); err != nil {
			return dst, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"data":`...)
	switch data := d.Data.(type) {
	case nil:
		dst = append(dst, "null"...)
	case *Resource:
		if data == nil {
			dst = append(dst, "null"...)
		} else if dst, err = data.appendJSON(dst); err != nil {
			return dst, err
		}
	case []*Resource:
		if dst, err = appendResources(dst, data); err != nil {
			return dst, err
		}
	case Identifier:
		dst = data.appendJSON(dst)
	case []Identifier:
		if data == nil {
			dst = append(dst, "null"...)
		} else {
			dst = appendIdentifiers(dst, data)
		}
	default:
		if dst, err = appendJSON(dst, data); err != nil {
			return dst, err
		}
	}
	if d.Included != nil {
		dst = append(dst, `,"included":`...)
		if dst, err = appendResources(dst, *d.Included); err != nil {
			return dst, err
		}
	}
	if len(d.Links) > 0 {
		dst = append(dst, `,"links":`...)
		dst = appendLinks(dst, d.Links)
	}
	if len(d.Meta) > 0 {
		dst = append(dst, `,"meta":`...)
		if dst, err = appendJSON(dst, d.Meta); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendResources(dst []byte, list []*Resource) ([]byte, error) {
	if list == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, res := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if res == nil {
			dst = append(dst, "null"...)
		} else if dst, err = res.appendJSON(dst); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendLinks writes a links object, keys in order, a nil link as null.
func appendLinks(dst []byte, links map[string]*string) []byte {
	dst, _ = appendObject(dst, links, nil, func(dst []byte, v *string) ([]byte, error) {
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendString(dst, *v), nil
	})
	return dst
}

// Options say how to render a document.
type Options struct {
	BaseURL      string              // absolute origin, e.g. http://127.0.0.1:8080
	Include      [][]string          // requested include paths
	HasInclude   bool                // `included` must be present, even empty
	Fields       map[string][]string // sparse fieldsets
	ResourceMeta ResourceMeta        // meta on every resource (mode, organization_id)
}

// ResourceMeta is the meta every resource of a document carries, encoded
// once (NewResourceMeta) by whoever renders many documents with it; the
// zero value is none.
type ResourceMeta struct{ json []byte }

// NewResourceMeta encodes meta for Options.ResourceMeta.
func NewResourceMeta(meta map[string]any) (ResourceMeta, error) {
	if len(meta) == 0 {
		return ResourceMeta{}, nil
	}
	b, err := appendAny(nil, meta)
	return ResourceMeta{json: b}, err
}

// SelfLink is the canonical URL of a resource.
func SelfLink(baseURL, typ, id string) string {
	return baseURL + "/api/" + typ + "/" + url.PathEscape(id)
}

// prepare reads the node's type and id once, and how its attributes are
// written: its type's plan, or else google/jsonapi's attributes.
func (n *Node) prepare() error {
	if n.prepared {
		return nil
	}
	if rv := reflect.ValueOf(n.Value); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if p := planOf(n.Value); p != nil {
			n.typ, n.id, n.plan, n.prepared = p.typ, p.idOf(n.Value), p, true
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
	n.typ, n.id, n.attrs, n.prepared = one.Data.Type, one.Data.ID, one.Data.Attributes, true
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
	meta     []byte // opts.ResourceMeta's JSON
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
	res := &Resource{Type: n.typ, ID: n.id, node: n, baseURL: r.opts.BaseURL, meta: r.meta}
	res.fields, res.sparse = r.opts.Fields[n.typ]
	for _, spec := range n.Relationships {
		sub, included := tree[spec.Name]
		if !res.keep(spec.Name) {
			// Sparse fieldsets hide the relationship, but included
			// resources reached through it are still part of the document.
			if included {
				if _, err := r.linkage(n, spec, sub); err != nil {
					return nil, err
				}
			}
			continue
		}
		rel := Relationship{Name: spec.Name, ToMany: spec.ToMany}
		if included {
			data, err := r.linkage(n, spec, sub)
			if err != nil {
				return nil, err
			}
			rel.Loaded, rel.Data = true, data
		}
		if res.Relationships == nil {
			res.Relationships = make([]Relationship, 0, len(n.Relationships))
		}
		res.Relationships = append(res.Relationships, rel)
	}
	sortRelationships(res.Relationships)
	return res, nil
}

// sortRelationships puts relationships in name order (insertion sort: a
// few, usually declared in order already).
func sortRelationships(rels []Relationship) {
	for i := 1; i < len(rels); i++ {
		for j := i; j > 0 && rels[j].Name < rels[j-1].Name; j-- {
			rels[j], rels[j-1] = rels[j-1], rels[j]
		}
	}
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
					if r.primaryExtra == nil {
						r.primaryExtra = map[Identifier]*Resource{}
					}
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
		if r.included == nil {
			r.included = map[Identifier]*Resource{}
		}
		r.included[key] = res
	}
	return ids, nil
}

// mergeRelationships keeps the linkage of every path that reached a
// resource, so a resource included through two paths shows both.
func mergeRelationships(into, from *Resource) {
	for _, rel := range from.Relationships {
		existing := into.relationship(rel.Name)
		switch {
		case existing == nil:
			into.Relationships = append(into.Relationships, rel)
			sortRelationships(into.Relationships)
		case !existing.Loaded && rel.Loaded:
			*existing = rel
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
	// included and primaryExtra are made when a resource is included.
	r := &renderer{opts: opts, primary: make(map[Identifier]bool, len(primary))}
	r.meta = opts.ResourceMeta.json
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
