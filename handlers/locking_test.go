package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"kasse/serializers"
)

// request is one request of a burst.
type request struct {
	method, path string
	body         any
}

// burst sends every request at once, each from its own goroutine through
// the real router, and returns the statuses and bodies in order.
func burst(t *testing.T, e *env, token string, reqs []request) ([]int, [][]byte) {
	t.Helper()
	statuses, bodies := make([]int, len(reqs)), make([][]byte, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		raw, err := json.Marshal(r.body)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(r.method, r.path, bytes.NewReader(raw))
			req.Header.Set("Accept", serializers.MediaType)
			req.Header.Set("Content-Type", serializers.MediaType)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			<-start
			e.router.ServeHTTP(rec, req)
			statuses[i], bodies[i] = rec.Code, rec.Body.Bytes()
		}()
	}
	close(start)
	wg.Wait()
	return statuses, bodies
}

// TestParentOrderLock races quantity changes on an order's line items
// against `_refresh` of the order. A line item write used to lock the line
// item, then the order; `_refresh` locks the order, then writes its line
// items: on PostgreSQL the two deadlocked and one answered 500. The engine
// now locks the order first for every type that belongs to one, so every
// request succeeds and the totals add up.
func TestParentOrderLock(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		me, _ := e.customer(t, "locks@example.com")
		oid := id(me.newOrder(t, nil))
		prices := map[string]int64{tshirtCode: 2900, mugCode: 1200}
		items := []string{id(me.addItem(t, oid, tshirtCode, 1)), id(me.addItem(t, oid, mugCode, 1))}
		codes := []string{tshirtCode, mugCode}

		const n = 30
		var reqs []request
		for i := range n {
			li := items[i%len(items)]
			reqs = append(reqs,
				request{"PATCH", "/api/line_items/" + li, resource("line_items", li, map[string]any{"quantity": 1 + i}, nil)},
				request{"PATCH", "/api/orders/" + oid, resource("orders", oid, map[string]any{"_refresh": true}, nil)},
			)
		}
		statuses, bodies := burst(t, e, me.token, reqs)
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Errorf("%s %s: status %d\n%s", reqs[i].method, reqs[i].path, s, bodies[i])
			}
		}

		r := me.do(t, "GET", "/api/orders/"+oid+"?include=line_items", nil).want(t, 200)
		var quantity, subtotal int64
		for _, li := range r.included() {
			q, total := num(li, "quantity"), num(li, "total_amount_cents")
			code, _ := attrs(li)["sku_code"].(string)
			if want := q * prices[code]; total != want {
				t.Errorf("line item %s: quantity %d, total %d, want %d", code, q, total, want)
			}
			quantity += q
			subtotal += total
		}
		if len(r.included()) != len(codes) {
			t.Fatalf("the order has %d line items, want %d: %s", len(r.included()), len(codes), r.body)
		}
		o := r.data()
		if num(o, "skus_count") != quantity || num(o, "subtotal_amount_cents") != subtotal || num(o, "total_amount_cents") != subtotal {
			t.Errorf("order totals %v do not add up to its line items (quantity %d, subtotal %d)", attrs(o), quantity, subtotal)
		}
		if t.Failed() {
			t.Logf("the order: %s", r.body)
		}
	})
}
