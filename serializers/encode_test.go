package serializers_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"kasse/serializers"
)

// TestEncoderMatchesEncodingJSON holds the encoder's strings and floats to
// encoding/json's (SetEscapeHTML(false), as handlers always sent them),
// on the hard cases and on random strings of every byte.
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `"quoted" \back\`, "<html>&amp;", "\b\f\n\r\t\x00\x01\x1f\x7f", "\u2028\u2029", "é ü 日本 🎉",
		"\xff\xfe", "a\xc3", "\xed\xa0\x80", "\u00e9\u0301"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		if got, want := string(serializers.AppendString(nil, s)), encodeJSON(t, s); got != want {
			t.Fatalf("string %q: encoder %s, encoding/json %s", s, got, want)
		}
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-6, 9.99e-7, 1e-7, 123456789, 1e20, 1e21, 1.5e300, -2.5e-300,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-10, 33.333333333333336}
	for range 1000 {
		floats = append(floats, math.Float64frombits(rng.Uint64()))
	}
	for _, f := range floats {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		got, err := serializers.AppendFloat(nil, f, 64)
		if err != nil || string(got) != encodeJSON(t, f) {
			t.Fatalf("float64 %v: encoder %s (%v), encoding/json %s", f, got, err, encodeJSON(t, f))
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			continue
		}
		got, err = serializers.AppendFloat(nil, float64(f32), 32)
		if err != nil || string(got) != encodeJSON(t, f32) {
			t.Fatalf("float32 %v: encoder %s (%v), encoding/json %s", f32, got, err, encodeJSON(t, f32))
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := serializers.AppendFloat(nil, f, 64); err == nil {
			t.Errorf("float %v encoded without an error", f)
		}
	}
}

// TestDocumentKeyOrder: AppendJSON writes a document's and its resources'
// members in the order encoding/json wrote the structs they were (jsonapi,
// data, included, links, meta; type, id, links, attributes,
// relationships, meta) and every other object's keys sorted, as it wrote
// maps; an Encoder writes the same bytes through MarshalJSON.
func TestDocumentKeyOrder(t *testing.T) {
	doc, err := serializers.Many([]*serializers.Node{articleGraph()}, serializers.ListMeta{RecordCount: 1, Page: serializers.Page{Number: 1, Size: 10}, URL: mustURL(t, "http://x/api/articles")},
		serializers.Options{BaseURL: baseURL, Include: [][]string{{"author"}, {"comments", "author"}, {"comments", "article"}}, HasInclude: true,
			Fields: map[string][]string{"people": {"name", "articles"}}, ResourceMeta: resourceMeta(t, map[string]any{"mode": "test", "organization_id": "o"})})
	if err != nil {
		t.Fatal(err)
	}
	out, err := doc.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var marshaled bytes.Buffer // as encoding/json writes a Marshaler: compacted, HTML not escaped
	enc := json.NewEncoder(&marshaled)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, marshaled.Bytes()) {
		t.Fatalf("AppendJSON\n%s\nan Encoder\n%s", out, marshaled.Bytes())
	}
	structOrders := [][]string{{"jsonapi", "data", "included", "links", "meta"}, {"type", "id", "links", "attributes", "relationships", "meta"}}
	dec := json.NewDecoder(bytes.NewReader(out))
	var stack [][]string // the keys of each open object; nil for arrays
	objects := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, []string{})
			expectKey = true
			objects++
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			expectKey = false
			continue
		case json.Delim('}'), json.Delim(']'):
			keys := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if tok == json.Delim('}') && !slices.IsSorted(keys) && !slices.ContainsFunc(structOrders, func(order []string) bool { return inOrder(keys, order) }) {
				t.Errorf("object keys %v: neither sorted nor a struct's order", keys)
			}
			expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
			continue
		}
		if expectKey {
			stack[len(stack)-1] = append(stack[len(stack)-1], tok.(string))
			expectKey = false
		} else {
			expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
		}
	}
	if objects < 20 {
		t.Fatalf("walked %d objects of %s", objects, out)
	}
}

// inOrder says whether keys are a subsequence of order.
func inOrder(keys, order []string) bool {
	i := 0
	for _, k := range keys {
		for i < len(order) && order[i] != k {
			i++
		}
		if i == len(order) {
			return false
		}
		i++
	}
	return true
}
