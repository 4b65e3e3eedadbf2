package handlers_test

import (
	"net/http"
	"testing"
)

func TestListSkusWithPrices(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		r := e.do("GET", "/api/skus?include=prices&page[size]=5", nil).want(t, http.StatusOK)
		if got := len(r.list()); got != 5 {
			t.Fatalf("got %d skus, want 5", got)
		}
		if len(r.included()) == 0 {
			t.Fatal("no prices included")
		}
		meta := r.doc["meta"].(map[string]any)
		if meta["record_count"].(float64) != 13 || meta["page_count"].(float64) != 3 {
			t.Fatalf("meta = %v", meta)
		}
	})
}
