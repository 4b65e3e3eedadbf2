package main

import (
	"strings"
	"testing"
)

func TestSameDocument(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string // "" for equal, else a substring of the error
	}{
		{"key order, spacing and origin do not matter",
			`{"data":{"id":"1","links":{"self":"http://a:1/api/skus/1"}},"meta":{"n":1}}`,
			`{ "meta": {"n": 1}, "data": {"links": {"self": "http://b:2/api/skus/1"}, "id": "1"} }`, ""},
		{"a different value", `{"data":{"id":"1"}}`, `{"data":{"id":"2"}}`, "/data/id: 1 ≠ 2"},
		{"a missing key", `{"data":{"id":"1","x":null}}`, `{"data":{"id":"1"}}`, "/data/x only in the first"},
		{"array order matters", `{"data":[1,2]}`, `{"data":[2,1]}`, "/data/0: 1 ≠ 2"},
		{"numbers compare as written", `{"n":1.0}`, `{"n":1}`, "/n: 1.0 ≠ 1"},
		{"null is not absent", `{"a":null}`, `{}`, "/a only in the first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sameDocument([]byte(tt.a), "http://a:1", []byte(tt.b), "http://b:2")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("want equal, got %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("want an error with %q, got %v", tt.want, err)
			}
		})
	}
}
