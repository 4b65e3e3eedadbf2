package serializers

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"kasse/errs"
)

// ResourceBody is a decoded `{"data": {…}}` request body that remembers
// which keys were sent: an absent attribute is not in Attributes, a null one
// maps to the raw JSON `null`.
type ResourceBody struct {
	Type          string
	ID            *string
	Attributes    map[string]json.RawMessage
	Relationships map[string]RelationshipBody
}

// RelationshipBody is one relationship of a request body.
type RelationshipBody struct {
	// Data is the raw `data` member; nil when `data` was absent.
	Data json.RawMessage
}

// IsNull reports whether the relationship was cleared with `data: null`.
func (r RelationshipBody) IsNull() bool { return bytes.Equal(bytes.TrimSpace(r.Data), []byte("null")) }

// One decodes a to-one linkage; nil means `null`.
func (r RelationshipBody) One(pointer string) (*Identifier, error) {
	if r.Data == nil {
		return nil, errs.New(errs.InvalidDataFormat, "a relationship needs a data member").At(pointer)
	}
	if r.IsNull() {
		return nil, nil
	}
	var id Identifier
	if err := strictUnmarshal(r.Data, &id); err != nil || id.Type == "" || id.ID == "" {
		return nil, errs.New(errs.InvalidDataFormat, "data must be a resource identifier {\"type\",\"id\"} or null").At(pointer + "/data")
	}
	return &id, nil
}

// Many decodes a to-many linkage.
func (r RelationshipBody) Many(pointer string) ([]Identifier, error) {
	if r.Data == nil {
		return nil, errs.New(errs.InvalidDataFormat, "a relationship needs a data member").At(pointer)
	}
	var ids []Identifier
	if err := strictUnmarshal(r.Data, &ids); err != nil || ids == nil {
		return nil, errs.New(errs.InvalidDataFormat, "data must be an array of resource identifiers").At(pointer + "/data")
	}
	for i, id := range ids {
		if id.Type == "" || id.ID == "" {
			return nil, errs.New(errs.InvalidDataFormat, "each identifier needs a type and an id").At(pointer + "/data/" + itoa(i))
		}
	}
	return ids, nil
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// strictUnmarshal decodes one JSON value and refuses anything after it.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.New(errs.InvalidDataFormat, "unexpected content after the JSON document")
	}
	return nil
}

// DecodeResource reads a resource document body for POST or PATCH.
func DecodeResource(body []byte) (*ResourceBody, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(body, &top); err != nil || top == nil {
		return nil, errs.New(errs.InvalidDataFormat, "the body must be a JSON:API document: {\"data\": {\"type\": …, \"attributes\": {…}}}")
	}
	for key := range top {
		if key != "data" && key != "meta" && key != "jsonapi" {
			return nil, errs.New(errs.ParamNotAllowed, "%s is not allowed at the top level of a request", key).At("/" + key)
		}
	}
	rawData, ok := top["data"]
	if !ok {
		return nil, errs.New(errs.InvalidDataFormat, "the body needs a data member").At("/data")
	}
	var data map[string]json.RawMessage
	if err := strictUnmarshal(rawData, &data); err != nil || data == nil {
		return nil, errs.New(errs.InvalidDataFormat, "data must be a resource object").At("/data")
	}
	out := &ResourceBody{Attributes: map[string]json.RawMessage{}, Relationships: map[string]RelationshipBody{}}
	for key, raw := range data {
		switch key {
		case "type":
			if err := json.Unmarshal(raw, &out.Type); err != nil || out.Type == "" {
				return nil, errs.New(errs.InvalidDataFormat, "type must be a non-empty string").At("/data/type")
			}
		case "id":
			var id string
			if err := json.Unmarshal(raw, &id); err != nil || string(raw) == "null" {
				return nil, errs.New(errs.InvalidDataFormat, "id must be a string").At("/data/id")
			}
			out.ID = &id
		case "attributes":
			if err := strictUnmarshal(raw, &out.Attributes); err != nil || out.Attributes == nil {
				return nil, errs.New(errs.InvalidDataFormat, "attributes must be an object").At("/data/attributes")
			}
		case "relationships":
			var rels map[string]map[string]json.RawMessage
			if err := strictUnmarshal(raw, &rels); err != nil || rels == nil {
				return nil, errs.New(errs.InvalidDataFormat, "relationships must be an object of relationship objects").At("/data/relationships")
			}
			for name, rel := range rels {
				if rel == nil {
					return nil, errs.New(errs.InvalidDataFormat, "a relationship must be an object with data").At(errs.RelationshipPointer(name))
				}
				out.Relationships[name] = RelationshipBody{Data: rel["data"]}
			}
		case "meta", "links", "lid":
			// Allowed by the spec; nothing to do with them on write.
		default:
			return nil, errs.New(errs.ParamNotAllowed, "%s is not allowed in a resource object", key).At("/data/" + key)
		}
	}
	if out.Type == "" {
		return nil, errs.New(errs.InvalidDataFormat, "data needs a type").At("/data/type")
	}
	return out, nil
}

// DecodeRelationship reads a relationship endpoint body: `{"data": …}`.
func DecodeRelationship(body []byte) (RelationshipBody, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(body, &top); err != nil || top == nil {
		return RelationshipBody{}, errs.New(errs.InvalidDataFormat, "the body must be {\"data\": …}")
	}
	raw, ok := top["data"]
	if !ok {
		return RelationshipBody{}, errs.New(errs.InvalidDataFormat, "the body needs a data member").At("/data")
	}
	return RelationshipBody{Data: raw}, nil
}

// DecodeValue decodes one attribute value into dest, strictly: 1.5 into an
// integer or "x" into a number is an error the caller reports at pointer.
// Text with a NUL character is refused too: PostgreSQL cannot store it.
func DecodeValue(raw json.RawMessage, dest any) error {
	if err := strictUnmarshal(raw, dest); err != nil {
		return err
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		var v any
		if json.Unmarshal(raw, &v) == nil && containsNUL(v) {
			return errs.New(errs.InvalidFieldValue, "text must not contain NUL characters")
		}
	}
	return nil
}

// containsNUL says whether a decoded JSON value has a NUL character in a
// string or an object key.
func containsNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []any:
		for _, x := range v {
			if containsNUL(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range v {
			if strings.ContainsRune(k, 0) || containsNUL(x) {
				return true
			}
		}
	}
	return false
}
