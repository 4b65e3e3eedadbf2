package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// canonical decodes a JSON:API document and replaces the server's origin
// in every string with "{origin}", so that two servers' documents compare
// equal when they say the same thing: object key order and whitespace do
// not matter, array order does.
func canonical(body []byte, origin string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return replaceOrigin(doc, origin), nil
}

func replaceOrigin(v any, origin string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = replaceOrigin(e, origin)
		}
	case []any:
		for i, e := range t {
			t[i] = replaceOrigin(e, origin)
		}
	case string:
		return strings.ReplaceAll(t, origin, "{origin}")
	}
	return v
}

// sameDocument compares two servers' answers to one request; the error
// names the first differences found (at most five).
func sameDocument(a []byte, originA string, b []byte, originB string) error {
	ca, err := canonical(a, originA)
	if err != nil {
		return err
	}
	cb, err := canonical(b, originB)
	if err != nil {
		return err
	}
	var diffs []string
	diff("", ca, cb, &diffs)
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("documents differ: %s", strings.Join(diffs, "; "))
}

// diff collects the paths where a and b differ.
func diff(path string, a, b any, out *[]string) {
	if len(*out) >= 5 {
		return
	}
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			va, inA := ma[k]
			vb, inB := mb[k]
			switch {
			case !inA:
				*out = append(*out, path+"/"+k+" only in the second")
			case !inB:
				*out = append(*out, path+"/"+k+" only in the first")
			default:
				diff(path+"/"+k, va, vb, out)
			}
		}
		return
	}
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if okA && okB && len(la) == len(lb) {
		for i := range la {
			diff(fmt.Sprintf("%s/%d", path, i), la[i], lb[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: %v ≠ %v", path, short(a), short(b)))
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
