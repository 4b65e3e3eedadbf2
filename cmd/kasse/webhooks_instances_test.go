package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kasse/db"
	"kasse/db/dbtest"
)

// hookReceiver is a webhook endpoint on 127.0.0.1 that records every
// request (webhook-id and the resource id of its body) and answers as its
// mode says: "ok" (200), "down" (503) or "hang" (2 s, then 503).
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	mode string
	got  []hookRequest
}

type hookRequest struct {
	webhookID, resourceID string
	ok                    bool
}

func newHookReceiver(t *testing.T, mode string) *hookReceiver {
	r := &hookReceiver{mode: mode}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var doc struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &doc)
		r.mu.Lock()
		mode := r.mode
		r.mu.Unlock()
		if mode == "hang" {
			time.Sleep(2 * time.Second)
		}
		status := http.StatusOK
		if mode != "ok" {
			status = http.StatusServiceUnavailable
		}
		r.mu.Lock()
		r.got = append(r.got, hookRequest{webhookID: req.Header.Get("webhook-id"), resourceID: doc.Data.ID, ok: status == http.StatusOK})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) setMode(m string) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// delivered counts the successful deliveries per resource id and per
// webhook-id.
func (r *hookReceiver) delivered() (byResource, byMessage map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byResource, byMessage = map[string]int{}, map[string]int{}
	for _, g := range r.got {
		if g.ok {
			byResource[g.resourceID]++
			byMessage[g.webhookID]++
		}
	}
	return byResource, byMessage
}

// webhookCluster starts n instances on dbURL whose webhooks may call
// 127.0.0.1, with a fast delivery schedule, and an integration token.
func webhookCluster(t *testing.T, bin, dbURL string, n int) (*cluster, func(name string) *instance) {
	t.Helper()
	if _, stderr, err := runCmd(t, noEnv, "seed", "--demo", "--database-url", dbURL); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	integrationID, integrationSecret := app(t, dbURL, "--kind", "integration", "--name", "Back office")
	start := func(name string) *instance {
		return startInstance(t, bin, name, dbURL, "--base-url", publicOrigin, "--webhooks-allow-private",
			"--webhooks-poll-interval", "100ms", "--webhooks-retry-schedule", "500ms,500ms,1s,1s,2s,2s,2s,2s,2s,2s", "--webhooks-rescue-after", "10s")
	}
	c := &cluster{client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	for i := range n {
		c.nodes = append(c.nodes, start(fmt.Sprintf("instance %d", i+1)))
	}
	t.Cleanup(c.client.CloseIdleConnections)
	c.integration = c.token(t, fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, integrationID, integrationSecret))
	return c, start
}

// createCustomers creates n customers spread over the live nodes, a few at
// a time, and returns their ids.
func createCustomers(t *testing.T, c *cluster, nodes []int, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			node := nodes[i%len(nodes)]
			a := c.do(context.Background(), node, "POST", "/api/customers", c.integration, "", jsonapi("customers", "", map[string]any{"email": fmt.Sprintf("%s%d@example.com", prefix, i)}, nil))
			var doc struct {
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if a.err != nil || a.status != 201 || json.Unmarshal(a.body, &doc) != nil {
				errs <- fmt.Sprintf("create customer on %s: %d %v %s", c.nodes[node].name, a.status, a.err, a.body)
				return
			}
			ids[i] = doc.Data.ID
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	return ids
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWebhookInstances runs several `kasse serve` processes of the real
// binary on one database. Three instances on PostgreSQL deliver 200 events
// to a healthy receiver exactly once each; and deliveries queued while the
// receiver is down survive kill -9 of two instances: after a restart every
// event arrives (at least once, with its webhook-id).
func TestWebhookInstances(t *testing.T) {
	bin := buildKasse(t)
	t.Chdir(t.TempDir())
	dbtest.EachURL(t, func(t *testing.T, dbURL string) {
		gdb, err := db.Open(db.Config{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(gdb) })
		c, start := webhookCluster(t, bin, dbURL, 3)
		rcv := newHookReceiver(t, "ok")
		c.must(t, 0, "POST", "/api/webhooks", c.integration, jsonapi("webhooks", "", map[string]any{"topic": "customers.create", "callback_url": rcv.URL + "/hook"}, nil), 201)

		// 200 events, a healthy receiver: each delivered exactly once.
		events := 200
		if strings.HasPrefix(dbURL, "sqlite:") {
			events = 60 // one SQLite file shared by three processes: one writer at a time
		}
		began := time.Now()
		ids := createCustomers(t, c, []int{0, 1, 2}, "once", events)
		waitUntil(t, 90*time.Second, fmt.Sprintf("%d deliveries", events), func() bool {
			byResource, _ := rcv.delivered()
			return len(byResource) >= events
		})
		time.Sleep(2 * time.Second) // a duplicate would arrive by now
		byResource, byMessage := rcv.delivered()
		for _, id := range ids {
			if byResource[id] != 1 {
				t.Errorf("customer %s delivered %d times", id, byResource[id])
			}
		}
		if len(byMessage) != events {
			t.Errorf("%d distinct webhook-ids for %d events", len(byMessage), events)
		}
		var workers []string
		if err := gdb.Table("river_job").Distinct("attempted_by").Pluck("attempted_by", &workers).Error; err != nil {
			t.Fatal(err)
		}
		t.Logf("%d events delivered exactly once in %s by %d instances' workers", events, time.Since(began).Round(time.Millisecond), len(workers))

		// Queued while the receiver is down (some attempts hanging), then
		// two instances are killed: after a restart, everything arrives.
		rcv.setMode("hang")
		queued := createCustomers(t, c, []int{0, 1, 2}, "queued", 20)
		time.Sleep(time.Second) // attempts are running on every instance
		killed := time.Now()
		c.nodes[0].kill(t)
		c.nodes[1].kill(t)
		rcv.setMode("ok")
		c.nodes[0] = start("instance 4 (restarted)")
		waitUntil(t, 120*time.Second, "the queued deliveries after kill -9", func() bool {
			byResource, _ := rcv.delivered()
			for _, id := range queued {
				if byResource[id] == 0 {
					return false
				}
			}
			return true
		})
		byResource, _ = rcv.delivered()
		dups := 0
		for _, id := range queued {
			dups += byResource[id] - 1
		}
		t.Logf("20 queued deliveries arrived after kill -9 (%d delivered twice) %s after the kill", dups, time.Since(killed).Round(time.Millisecond))
	})
}
