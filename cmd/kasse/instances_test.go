package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/gateways/checkoutcom"
	"kasse/models"
)

// publicOrigin is the one --base-url of the instances behind their
// (imaginary) load balancer; the test talks to each instance directly.
const publicOrigin = "https://kasse.example"

// buildKasse builds the real binary once for the tests that run several
// instances of it.
func buildKasse(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kasse")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the kasse binary in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// instance is one `kasse serve` process.
type instance struct {
	name   string
	url    string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// startInstance starts `kasse serve` on a free loopback port and waits for
// its banner; it is killed when the test ends.
func startInstance(t *testing.T, bin, name, dbURL string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", dbURL, "--log-level", "warn"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	inst := &instance{name: name, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = inst.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		close(inst.done)
	}()
	t.Cleanup(func() { inst.kill(t) })
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	timeout := time.After(30 * time.Second)
	for inst.url == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("%s stopped before it served:\n%s", name, inst.stderr)
			}
			if m := servingLine.FindStringSubmatch(line); m != nil {
				inst.url = m[1]
			}
		case <-timeout:
			t.Fatalf("%s printed no banner within 30 s:\n%s", name, inst.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	return inst
}

// kill ends the process at once (SIGKILL): no shutdown, no cleanup, as a
// crash would.
func (i *instance) kill(t *testing.T) {
	_ = i.cmd.Process.Kill()
	select {
	case <-i.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not exit within 10 s of SIGKILL", i.name)
	}
}

// answer is an HTTP answer as the concurrent senders collect it.
type answer struct {
	status   int
	body     []byte
	replayed bool
	err      error
}

// cluster is the instances with the tokens and HTTP client the test uses.
type cluster struct {
	nodes       []*instance
	client      *http.Client
	integration string // bearer token
	guest       string // sales channel bearer token (market eu)
}

func (c *cluster) do(ctx context.Context, node int, method, path, token, key string, body any) answer {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return answer{err: err}
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.nodes[node].url+path, bytes.NewReader(raw))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Accept", "application/vnd.api+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/vnd.api+json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: b, replayed: res.Header.Get("Idempotent-Replayed") == "true", err: err}
}

// must sends a request and wants status; it returns the decoded document.
func (c *cluster) must(t *testing.T, node int, method, path, token string, body any, status int) map[string]any {
	t.Helper()
	a := c.do(context.Background(), node, method, path, token, "", body)
	if a.err != nil || a.status != status {
		t.Fatalf("%s %s on %s: %d %v, want %d\n%s", method, path, c.nodes[node].name, a.status, a.err, status, a.body)
	}
	var doc map[string]any
	if len(a.body) > 0 {
		if err := json.Unmarshal(a.body, &doc); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, a.body)
		}
	}
	return doc
}

func jsonapi(typ, id string, attributes map[string]any, relationships map[string]string) map[string]any {
	data := map[string]any{"type": typ, "attributes": attributes}
	if id != "" {
		data["id"] = id
	}
	if len(relationships) > 0 {
		rels := map[string]any{}
		for name, target := range relationships {
			typ, id, _ := strings.Cut(target, "/")
			rels[name] = map[string]any{"data": map[string]any{"type": typ, "id": id}}
		}
		data["relationships"] = rels
	}
	return map[string]any{"data": data}
}

// token gets an access token from the first instance.
func (c *cluster) token(t *testing.T, body string) string {
	t.Helper()
	res, err := c.client.Post(c.nodes[0].url+"/oauth/token", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken
}

// app creates an application with `kasse apps create` and returns its
// client id and secret.
func app(t *testing.T, dbURL string, args ...string) (string, string) {
	t.Helper()
	out, stderr, err := runCmd(t, noEnv, append(append([]string{"apps", "create"}, args...), "--json", "--database-url", dbURL)...)
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, stderr)
	}
	var created appCreated
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("apps create printed %q: %v", out, err)
	}
	return created.ClientID, created.ClientSecret
}

// cart builds a guest cart in eu, ready to pay with the payment method.
func (c *cluster) cart(t *testing.T, node int, method string) string {
	t.Helper()
	o := c.must(t, node, "POST", "/api/orders", c.guest, jsonapi("orders", "", map[string]any{"customer_email": "instances@example.com"}, nil), 201)
	orderID := obj(t, o, "data")["id"].(string)
	c.must(t, node, "POST", "/api/line_items", c.guest, jsonapi("line_items", "", map[string]any{"sku_code": "TSHIRTMM000000FFFFFFXL", "quantity": 1},
		map[string]string{"order": "orders/" + orderID}), 201)
	a := c.must(t, node, "POST", "/api/addresses", c.guest, jsonapi("addresses", "", map[string]any{"first_name": "Ada", "last_name": "Lovelace",
		"line_1": "1 Rue de Rivoli", "city": "Paris", "country_code": "FR", "phone": "+33 1 00 00 00 00"}, nil), 201)
	c.must(t, node, "PATCH", "/api/orders/"+orderID, c.guest, jsonapi("orders", orderID, map[string]any{"_shipping_address_same_as_billing": true},
		map[string]string{"billing_address": "addresses/" + obj(t, a, "data")["id"].(string), "payment_method": "payment_methods/" + method}), 200)
	return orderID
}

func payment(orderID, token string) map[string]any {
	return jsonapi("checkout_com_payments", "", map[string]any{"token": token, "success_url": "https://shop.example/ok", "failure_url": "https://shop.example/ko"},
		map[string]string{"order": "orders/" + orderID})
}

// storm sends n requests with one Idempotency-Key, spread over the
// instances by at most workers goroutines, all within ctx.
func (c *cluster) storm(ctx context.Context, n, workers int, method, path, token, key string, body any) []answer {
	answers := make([]answer, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				answers[i] = c.do(ctx, i%len(c.nodes), method, path, token, key, body)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return answers
}

// checkStorm wants every answer to be the one stored answer (status want,
// identical bodies, all but one replayed) or 409 IDEMPOTENCY_KEY_IN_USE.
func checkStorm(t *testing.T, answers []answer, want int) []byte {
	t.Helper()
	var stored []byte
	fresh, replays, inUse := 0, 0, 0
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Fatalf("request %d: %v", i, a.err)
		case a.status == want:
			if stored == nil {
				stored = a.body
			} else if !bytes.Equal(stored, a.body) {
				t.Fatalf("request %d: a %d with another body:\n%s\nfirst:\n%s", i, want, a.body, stored)
			}
			if a.replayed {
				replays++
			} else {
				fresh++
			}
		case a.status == http.StatusConflict && bytes.Contains(a.body, []byte(`"IDEMPOTENCY_KEY_IN_USE"`)):
			inUse++
		default:
			t.Fatalf("request %d: %d %s", i, a.status, a.body)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d requests ran (not replayed), want exactly 1 (%d replays, %d in use)", fresh, replays, inUse)
	}
	t.Logf("%d requests: 1 ran, %d replayed, %d answered 409 in use", len(answers), replays, inUse)
	return stored
}

func count(t *testing.T, gdb *gorm.DB, model any, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Model(model).Where(query, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSeveralInstances runs three `kasse serve` processes of the real
// binary on one database (PostgreSQL, and one SQLite file) with the
// Checkout.com fake as their provider: one Idempotency-Key sent to all
// three at once charges once and captures once; a sandbox payment begun on
// one instance is finished on the others; and an instance killed during a
// slow provider call has its key taken over by another once its lease has
// run out.
func TestSeveralInstances(t *testing.T) {
	bin := buildKasse(t)
	// seed keeps the demo credentials beside a SQLite file, or in ./data.
	t.Chdir(t.TempDir())
	dbtest.EachURL(t, func(t *testing.T, dbURL string) {
		began := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if _, stderr, err := runCmd(t, noEnv, "seed", "--demo", "--database-url", dbURL); err != nil {
			t.Fatalf("seed: %v\n%s", err, stderr)
		}
		integrationID, integrationSecret := app(t, dbURL, "--kind", "integration", "--name", "Back office")
		storefrontID, _ := app(t, dbURL, "--kind", "sales_channel", "--name", "Storefront", "--scope", "market:code:eu")

		fake := checkoutcom.NewFake()
		t.Cleanup(fake.Close)
		// Started one after the other: the first start of a database
		// creates its organization and signing key. They share one public
		// origin, as behind a load balancer: it is their tokens' issuer.
		c := &cluster{client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
		for i := range 3 {
			c.nodes = append(c.nodes, startInstance(t, bin, fmt.Sprintf("instance %d", i+1), dbURL,
				"--base-url", publicOrigin, "--checkout-com-base-url", fake.URL, "--idempotency-lease", "2s"))
		}
		t.Cleanup(c.client.CloseIdleConnections)
		c.integration = c.token(t, fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, integrationID, integrationSecret))
		c.guest = c.token(t, fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"scope":"market:code:eu"}`, storefrontID))
		gdb, err := db.Open(db.Config{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(gdb) })

		gw := c.must(t, 0, "POST", "/api/checkout_com_gateways", c.integration, jsonapi("checkout_com_gateways", "",
			map[string]any{"name": "Checkout.com (fake)", "secret_key": fake.SecretKey, "public_key": "pk_sbox_fake"}, nil), 201)
		markets := c.must(t, 1, "GET", "/api/markets?filter[q][code_eq]=eu", c.integration, nil, 200)
		eu := list(t, markets, "data")[0]["id"].(string)
		pm := c.must(t, 2, "POST", "/api/payment_methods", c.integration, jsonapi("payment_methods", "", map[string]any{"name": "Card (Checkout.com)",
			"payment_source_type": "checkout_com_payments", "currency_code": "EUR", "price_amount_cents": 0},
			map[string]string{"market": "markets/" + eu, "payment_gateway": "checkout_com_gateways/" + obj(t, gw, "data")["id"].(string)}), 201)
		ckoMethod := obj(t, pm, "data")["id"].(string)

		t.Run("one key, 300 payments at once, one charge", func(t *testing.T) {
			o := c.cart(t, 0, ckoMethod)
			fake.SetAuthorizeDelay(500*time.Millisecond, 1) // the one call is slow: the others overlap it
			start := time.Now()
			answers := c.storm(ctx, 300, 24, "POST", "/api/checkout_com_payments", c.guest, "pay-"+o, payment(o, checkoutcom.TokenApproved))
			stored := checkStorm(t, answers, http.StatusCreated)
			t.Logf("300 POSTs in %s", time.Since(start).Round(time.Millisecond))
			if n := fake.Authorizations(); n != 1 {
				t.Fatalf("the provider was asked %d times to authorize, want once", n)
			}
			if n := count(t, gdb, &models.PaymentSource{}, "order_id = ?", o); n != 1 {
				t.Fatalf("%d payment rows for the order, want 1", n)
			}
			if !bytes.Contains(stored, []byte(`"status":"Authorized"`)) {
				t.Fatalf("the payment: %s", stored)
			}
			for node := range c.nodes {
				if a := c.do(ctx, node, "POST", "/api/checkout_com_payments", c.guest, "pay-"+o, payment(o, checkoutcom.TokenApproved)); a.status != 201 || !a.replayed || !bytes.Equal(a.body, stored) {
					t.Fatalf("a retry on %s: %d replayed=%v %s", c.nodes[node].name, a.status, a.replayed, a.body)
				}
			}

			c.must(t, 1, "PATCH", "/api/orders/"+o, c.guest, jsonapi("orders", o, map[string]any{"_place": true}, nil), 200)
			var ps models.PaymentSource
			if err := gdb.Where("order_id = ?", o).Take(&ps).Error; err != nil || ps.GatewayPaymentID == nil {
				t.Fatalf("payment row: %+v %v", ps, err)
			}
			start = time.Now()
			answers = c.storm(ctx, 100, 24, "PATCH", "/api/orders/"+o, c.integration, "capture-"+o, jsonapi("orders", o, map[string]any{"_capture": true}, nil))
			stored = checkStorm(t, answers, http.StatusOK)
			t.Logf("100 _capture PATCHes in %s", time.Since(start).Round(time.Millisecond))
			if n := fake.Calls("POST", "/payments/"+*ps.GatewayPaymentID+"/captures"); n != 1 {
				t.Fatalf("the provider was asked %d times to capture, want once", n)
			}
			if n := count(t, gdb, &models.Transaction{}, "order_id = ? AND kind = ?", o, models.TxCapture); n != 1 {
				t.Fatalf("%d capture transactions, want 1", n)
			}
			if !bytes.Contains(stored, []byte(`"payment_status":"paid"`)) {
				t.Fatalf("the captured order: %s", stored)
			}
		})

		t.Run("a sandbox payment begun on one instance, finished on the others", func(t *testing.T) {
			methods := c.must(t, 0, "GET", "/api/payment_methods?"+url.Values{"filter[q][name_eq]": {"Card (sandbox)"}, "filter[q][market_code_eq]": {"eu"}}.Encode(), c.integration, nil, 200)
			o := c.cart(t, 0, list(t, methods, "data")[0]["id"].(string))
			p := c.must(t, 0, "POST", "/api/checkout_com_payments", c.guest, payment(o, gateways.SandboxThreeDS), 201)
			pid := str(t, p, "data", "id")
			redirect := str(t, p, "data", "attributes", "redirect_uri")
			if !strings.HasPrefix(redirect, publicOrigin+"/sandbox/3ds/") {
				t.Fatalf("redirect_uri %q: want the sandbox page on %s", redirect, publicOrigin)
			}
			// The load balancer sends the customer's browser to instance 2.
			page := c.nodes[1].url + strings.TrimPrefix(redirect, publicOrigin)
			res, err := c.client.Get(page)
			if err != nil {
				t.Fatal(err)
			}
			html, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !bytes.Contains(html, []byte("3-D Secure")) {
				t.Fatalf("the 3DS page on instance 2: %d %s", res.StatusCode, html)
			}
			browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err = browser.PostForm(page, url.Values{"outcome": {"complete"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			back, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusSeeOther || back.Path != "/ok" || !strings.HasPrefix(back.Query().Get("cko-session-id"), "sid_sbx_") {
				t.Fatalf("the 3DS answer: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			p = c.must(t, 1, "PATCH", "/api/checkout_com_payments/"+pid, c.guest, jsonapi("checkout_com_payments", pid, map[string]any{"_details": true}, nil), 200)
			if status := obj(t, p, "data", "attributes", "payment_response")["status"]; status != "Authorized" {
				t.Fatalf("after _details on instance 2: %v", status)
			}
			c.must(t, 2, "PATCH", "/api/orders/"+o, c.guest, jsonapi("orders", o, map[string]any{"_place": true}, nil), 200)
			captured := c.must(t, 2, "PATCH", "/api/orders/"+o, c.integration, jsonapi("orders", o, map[string]any{"_capture": true}, nil), 200)
			if status := str(t, captured, "data", "attributes", "payment_status"); status != "paid" {
				t.Fatalf("captured on instance 3: payment_status %s", status)
			}
			var sp models.SandboxPayment
			if err := gdb.Where("id = ?", str(t, p, "data", "attributes", "payment_response", "id")).Take(&sp).Error; err != nil || sp.Status != "Captured" {
				t.Fatalf("the sandbox's own payment: %+v %v", sp, err)
			}
		})

		t.Run("an instance killed during a provider call: another takes its key over", func(t *testing.T) {
			o := c.cart(t, 1, ckoMethod)
			key, body := "pay-"+o, payment(o, checkoutcom.TokenApproved)
			authorizations, charges := fake.Authorizations(), fake.Charges()
			fake.SetAuthorizeDelay(time.Minute, 1)
			go c.do(ctx, 0, "POST", "/api/checkout_com_payments", c.guest, key, body) // answered by nobody
			for fake.Authorizations() == authorizations {
				if ctx.Err() != nil {
					t.Fatal("instance 1 never called the provider")
				}
				time.Sleep(10 * time.Millisecond)
			}
			c.nodes[0].kill(t)
			killed := time.Now()
			if a := c.do(ctx, 1, "POST", "/api/checkout_com_payments", c.guest, key, body); a.status != http.StatusConflict || !bytes.Contains(a.body, []byte("IDEMPOTENCY_KEY_IN_USE")) {
				t.Fatalf("while the dead instance's lease runs: %d %s", a.status, a.body)
			}
			var took answer
			for node := 1; ; node = 3 - node {
				took = c.do(ctx, node, "POST", "/api/checkout_com_payments", c.guest, key, body)
				if took.err != nil || took.status != http.StatusConflict {
					break
				}
				if time.Since(killed) > 15*time.Second {
					t.Fatal("no instance took the key over within 15 s of the kill (lease 2 s)")
				}
				time.Sleep(200 * time.Millisecond)
			}
			if took.err != nil || took.status != http.StatusCreated || took.replayed || !bytes.Contains(took.body, []byte(`"status":"Authorized"`)) {
				t.Fatalf("the takeover: %d %v %s", took.status, took.err, took.body)
			}
			t.Logf("taken over %s after the kill", time.Since(killed).Round(time.Millisecond))
			if again := c.do(ctx, 2, "POST", "/api/checkout_com_payments", c.guest, key, body); again.status != http.StatusCreated || !again.replayed || !bytes.Equal(again.body, took.body) {
				t.Fatalf("a retry after the takeover must replay it: %d %s", again.status, again.body)
			}

			// The takeover resumed the payment the dead instance created (the
			// key's row names it) instead of creating another: its
			// authorization was asked again with the same provider key, which
			// the provider answered with the first call's charge. One
			// payment, one charge.
			var payments []models.PaymentSource
			if err := gdb.Where("order_id = ?", o).Find(&payments).Error; err != nil || len(payments) != 1 {
				t.Fatalf("%d payments for the order (%v), want the one the dead instance created", len(payments), err)
			}
			var doc map[string]any
			if err := json.Unmarshal(took.body, &doc); err != nil {
				t.Fatal(err)
			}
			if id := str(t, doc, "data", "id"); id != payments[0].ID || payments[0].Status != models.SourceAuthorized {
				t.Fatalf("the takeover answered payment %s (%s), want %s authorized", id, payments[0].Status, payments[0].ID)
			}
			if fake.Charges() != charges+1 {
				t.Fatalf("charges %d, want %d: a takeover must not charge twice", fake.Charges(), charges+1)
			}
			if fp, ok := fake.Payment(*payments[0].GatewayPaymentID); !ok || fp.Status != "Authorized" {
				t.Fatalf("the order's charge at the provider: %+v", fp)
			}
		})
		t.Logf("three instances on %s: %s", strings.SplitN(dbURL, ":", 2)[0], time.Since(began).Round(time.Millisecond))
	})
}
