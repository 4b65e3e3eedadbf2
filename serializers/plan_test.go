package serializers_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonapi"

	"kasse/serializers"
)

type planStatus string

type planStamp struct{ t time.Time }

// planCounter writes itself (serializers.JSONAppender); google/jsonapi,
// through encoding/json, calls its MarshalJSON.
type planCounter struct{ n int }

func (c planCounter) AppendJSON(dst []byte) []byte {
	return append(append(append(dst, `{"n":`...), strconv.Itoa(c.n)...), '}')
}
func (c planCounter) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

func (s planStamp) MarshalJSON() ([]byte, error) { return json.Marshal(s.t.Format(time.RFC3339)) }

// planned covers every kind of field Kasse's representations use.
type planned struct {
	ID         string            `jsonapi:"primary,things"`
	Name       string            `jsonapi:"attr,name"`
	Nickname   *string           `jsonapi:"attr,nickname"`
	Count      int64             `jsonapi:"attr,count"`
	Limit      *int64            `jsonapi:"attr,limit"`
	Ratio      float64           `jsonapi:"attr,ratio"`
	Weight     *float64          `jsonapi:"attr,weight"`
	Flag       bool              `jsonapi:"attr,flag"`
	Status     planStatus        `jsonapi:"attr,status"`
	Stamp      planStamp         `jsonapi:"attr,stamp"`
	StampOrNil *planStamp        `jsonapi:"attr,stamp_or_nil"`
	Metadata   map[string]any    `jsonapi:"attr,metadata"`
	Labels     []string          `jsonapi:"attr,labels"`
	Secret     *string           `jsonapi:"attr,_secret,omitempty"`
	Trigger    *bool             `jsonapi:"attr,_trigger,omitempty"`
	Options    map[string]string `jsonapi:"attr,options,omitempty"`
	At         serializers.Time  `jsonapi:"attr,at"`
	AtOrNil    *serializers.Time `jsonapi:"attr,at_or_nil"`
	Small      float32           `jsonapi:"attr,small"`
	Unsigned   uint16            `jsonapi:"attr,unsigned"`
	Raw        json.RawMessage   `jsonapi:"attr,raw"`
	Counter    planCounter       `jsonapi:"attr,counter"`
	CounterPtr *planCounter      `jsonapi:"attr,counter_or_nil"`
	Hidden     string
}

// unplanned uses what a plan leaves to google/jsonapi.
type unplanned struct {
	ID      string    `jsonapi:"primary,others"`
	Created time.Time `jsonapi:"attr,created,iso8601"`
}

// encodeJSON is v as encoding/json writes it for handlers (no HTML
// escaping).
func encodeJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// selfWriting says which of its methods wrote it: a plan must take
// AppendJSON (no error, no encoding/json), whatever MarshalJSON says.
type selfWriting struct{}

func (selfWriting) AppendJSON(dst []byte) []byte { return append(dst, `"appended"`...) }
func (selfWriting) MarshalJSON() ([]byte, error) { return []byte(`"marshaled"`), nil }

type withSelfWriting struct {
	ID    string       `jsonapi:"primary,selves"`
	Value selfWriting  `jsonapi:"attr,value"`
	Ptr   *selfWriting `jsonapi:"attr,ptr"`
	Nil   *selfWriting `jsonapi:"attr,nil"`
}

func TestPlanWritesJSONAppenders(t *testing.T) {
	_, _, attrs, ok := serializers.Planned(&withSelfWriting{ID: "s", Ptr: &selfWriting{}})
	if !ok {
		t.Fatal("no plan")
	}
	if got, want := string(attrs), `{"nil":null,"ptr":"appended","value":"appended"}`; got != want {
		t.Errorf("attributes %s, want %s", got, want)
	}
}

// TestPlanMatchesGoogleJSONAPI: a type's plan gives the type, id and
// attributes google/jsonapi gives, byte for byte once encoded, for every
// kind of field, set and unset; a type it does not cover has no plan.
func TestPlanMatchesGoogleJSONAPI(t *testing.T) {
	s, n, f, yes := "x", int64(7), 1.5, true
	stamp := planStamp{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	tests := []struct {
		name  string
		value *planned
	}{
		{"empty", &planned{ID: "a"}},
		{"full", &planned{ID: "b", Name: "n", Nickname: &s, Count: 3, Limit: &n, Ratio: 0.25, Weight: &f, Flag: true, Status: "on",
			Stamp: stamp, StampOrNil: &stamp, Metadata: map[string]any{"k": []any{1, "v"}}, Labels: []string{"l"}, Secret: &s, Trigger: &yes,
			Options: map[string]string{"o": "p"}, Hidden: "h",
			At: serializers.Time{Time: stamp.t}, AtOrNil: &serializers.Time{Time: stamp.t.Add(1500 * time.Microsecond)}, Small: 1.1, Unsigned: 9, Raw: json.RawMessage(`{ "a" : [1, 2] }`),
			Counter: planCounter{4}, CounterPtr: &planCounter{5}}},
		{"escapes and exponents", &planned{ID: "e\"<&>\u2028", Name: "<b>&amp;\"\\\n\t\x01\x7f\u2028\u2029é\xff", Status: "\u00e9\u0000", Ratio: 1e-7, Weight: new(float64), Small: 1e21,
			Metadata: map[string]any{"<k>": "&v", "n": 1e21}, Labels: []string{"\u2028"}}},
		{"empty but non-nil", &planned{ID: "c", Metadata: map[string]any{}, Labels: []string{}, Options: map[string]string{}, Nickname: new(string), Trigger: new(bool)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := jsonapi.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			want := payload.(*jsonapi.OnePayload).Data
			typ, id, attrs, ok := serializers.Planned(tt.value)
			if !ok {
				t.Fatal("no plan")
			}
			if typ != want.Type || id != want.ID {
				t.Errorf("planned %s %s, google/jsonapi %s %s", typ, id, want.Type, want.ID)
			}
			if got, want := string(attrs), encodeJSON(t, want.Attributes); got != want {
				t.Errorf("planned attributes\n%s\ngoogle/jsonapi's\n%s", got, want)
			}
		})
	}
	if _, _, _, ok := serializers.Planned(&unplanned{ID: "d"}); ok {
		t.Error("a time.Time attribute with iso8601 got a plan")
	}
	doc, err := serializers.One(&serializers.Node{Value: &unplanned{ID: "d", Created: stamp.t}}, serializers.Options{BaseURL: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := doc.Data.(*serializers.Resource).AttributesJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(attrs); got != `{"created":"2026-01-02T03:04:05Z"}` {
		t.Errorf("an unplanned type renders %s", got)
	}
}

// BenchmarkResourceAttributes compares a plan with jsonapi.Marshal on one
// full resource of 16 attributes (docs/performance.md).
func BenchmarkResourceAttributes(b *testing.B) {
	s, n := "x", int64(7)
	v := &planned{ID: "b", Name: "n", Nickname: &s, Count: 3, Limit: &n, Metadata: map[string]any{"k": "v"}, Labels: []string{"l"}}
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, ok := serializers.Planned(v); !ok {
				b.Fatal("no plan")
			}
		}
	})
	b.Run("google-jsonapi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonapi.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
