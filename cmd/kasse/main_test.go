package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// readmeOrigin is the origin the README's commands use; tests swap in the
// address their server listens on.
const readmeOrigin = "http://127.0.0.1:8080"

// syncBuffer is a bytes.Buffer that the server's goroutines may write to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envFrom(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func noEnv(string) string { return "" }

// runCmd runs the program to completion and returns its output.
func runCmd(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	err = run(context.Background(), args, getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// server is `kasse serve` running in the background.
type server struct {
	url       string   // where it listens, from "Kasse is serving on URL"
	linksBase string   // the origin its links use
	stdout    []string // the lines it printed on start
	stderr    *syncBuffer
	cancel    context.CancelFunc
	done      chan error

	once sync.Once
	err  error
}

var servingLine = regexp.MustCompile(`^Kasse is serving on (http://\S+) \(links use (\S+)\)$`)

// startServe runs `kasse serve args…` and waits for the address it prints.
// The server is stopped when the test ends.
func startServe(t *testing.T, getenv func(string) string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), getenv, pw, s.stderr)
		pw.Close()
		s.done <- err
	}()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() { s.stop() })
	timeout := time.After(60 * time.Second)
	// The banner ends with the line suggesting a first request.
	for len(s.stdout) == 0 || !strings.HasPrefix(s.stdout[len(s.stdout)-1], "Then: ") {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve stopped before printing its banner: %v\nstdout %q\nstderr:\n%s", s.stop(), s.stdout, s.stderr)
			}
			s.stdout = append(s.stdout, line)
		case <-timeout:
			t.Fatalf("serve printed no full banner within 60 s; stdout so far %q\nstderr:\n%s", s.stdout, s.stderr)
		}
	}
	m := servingLine.FindStringSubmatch(s.stdout[0])
	if m == nil {
		t.Fatalf("first line %q does not match %s", s.stdout[0], servingLine)
	}
	s.url, s.linksBase = m[1], m[2]
	return s
}

// stop cancels serve's context and returns what run returned, or an error
// when it did not return within 10 seconds.
func (s *server) stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(10 * time.Second):
			s.err = errors.New("run did not return within 10 s of the cancel")
		}
	})
	return s.err
}

func (s *server) hostPort() string { return strings.TrimPrefix(s.url, "http://") }

// response is an HTTP answer with its JSON body decoded.
type response struct {
	status int
	header http.Header
	body   string
	doc    map[string]any
}

func send(t *testing.T, method, url string, headers []string, body string) *response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("header %q has no colon", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.doc); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, url, err, raw)
		}
	}
	return r
}

// Accessors for decoded JSON documents; a missing member fails the test.

func obj(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %q: want an object, got %T", p, v)
		}
		v = m[p]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v: want an object, got %T (%v)", path, v, v)
	}
	return m
}

func list(t *testing.T, v any, key string) []map[string]any {
	t.Helper()
	items, ok := obj(t, v)[key].([]any)
	if !ok {
		t.Fatalf("%s: want an array, got %T", key, obj(t, v)[key])
	}
	out := make([]map[string]any, len(items))
	for i, item := range items {
		out[i] = obj(t, item)
	}
	return out
}

func str(t *testing.T, v any, path ...string) string {
	t.Helper()
	parent := obj(t, v, path[:len(path)-1]...)
	s, ok := parent[path[len(path)-1]].(string)
	if !ok {
		t.Fatalf("%v: want a string, got %T (%v)", path, parent[path[len(path)-1]], parent[path[len(path)-1]])
	}
	return s
}

func num(t *testing.T, v any, path ...string) float64 {
	t.Helper()
	parent := obj(t, v, path[:len(path)-1]...)
	n, ok := parent[path[len(path)-1]].(float64)
	if !ok {
		t.Fatalf("%v: want a number, got %T", path, parent[path[len(path)-1]])
	}
	return n
}

// includedByID indexes a compound document's included resources.
func includedByID(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range list(t, doc, "included") {
		out[str(t, r, "type")+"/"+str(t, r, "id")] = r
	}
	return out
}

// curlCommand is one `curl` command of the README, or what the docs'
// shell ran (see curlShim).
type curlCommand struct {
	method  string
	url     string // as written, with the README's origin and $VARIABLES
	headers []string
	body    string
	include bool // -i: the status line and headers before the body
}

// parseCurl reads the curl options the docs use (-g -i -s -X -H -d and a
// URL) as curl does: several -d are joined with &, -d without -X posts,
// and a -d body without a Content-Type header is a form. Any other option
// is an error: teach parseCurl about it (and curlShim, if it changes what
// is sent).
func parseCurl(args []string) (curlCommand, error) {
	cmd := curlCommand{method: http.MethodGet}
	for i := 0; i < len(args); i++ {
		switch w := args[i]; {
		case w == "-g" || w == "-s":
		case w == "-i":
			cmd.include = true
		case w == "-X" || w == "-H" || w == "-d":
			if i+1 >= len(args) {
				return cmd, fmt.Errorf("curl %s needs a value", w)
			}
			i++
			switch w {
			case "-X":
				cmd.method = args[i]
			case "-H":
				cmd.headers = append(cmd.headers, args[i])
			case "-d":
				if strings.HasPrefix(args[i], "@") {
					return cmd, fmt.Errorf("curl -d @file is not understood by this test")
				}
				if cmd.body != "" {
					cmd.body += "&" // curl joins several -d with &
				}
				cmd.body += args[i]
			}
		case strings.HasPrefix(w, "http") && cmd.url == "":
			cmd.url = w
		default:
			return cmd, fmt.Errorf("curl option %q is not understood by this test; teach parseCurl about it", w)
		}
	}
	if cmd.url == "" {
		return cmd, errors.New("curl without a URL")
	}
	if cmd.body != "" {
		if cmd.method == http.MethodGet {
			cmd.method = http.MethodPost // curl -d without -X posts
		}
		if !slices.ContainsFunc(cmd.headers, func(h string) bool { return strings.HasPrefix(strings.ToLower(h), "content-type:") }) {
			cmd.headers = append(cmd.headers, "Content-Type: application/x-www-form-urlencoded") // curl's default for -d
		}
	}
	return cmd, nil
}

// shellWords splits a command line as sh would for the README's simple
// commands: single quotes are literal, double quotes keep $VARIABLES for
// the caller to expand.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				t.Fatalf("unterminated quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// readmeCurls extracts the curl commands of the README's sh blocks.
func readmeCurls(t *testing.T, readme string) []curlCommand {
	t.Helper()
	var cmds []curlCommand
	inSh := false
	var pending string
	for _, line := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = line == "```sh"
			continue
		case !inSh:
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\")
			continue
		}
		line, pending = pending+line, ""
		if !strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			continue
		}
		cmd, err := parseCurl(shellWords(t, line)[1:])
		if err != nil {
			t.Fatalf("README: %v in %q", err, line)
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// walkthrough is the README's walk-through, in order: each step's method
// and URL as the README writes them, and what the answer must hold.
var walkthrough = []struct {
	method, url string
	status      int
	check       func(t *testing.T, w *walk, r *response)
}{
	{
		method: "POST",
		url:    readmeOrigin + "/oauth/token",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			if r.doc["token_type"] != "bearer" || r.doc["scope"] != "market:code:eu" {
				t.Errorf("token answer: %v", r.doc)
			}
			w.vars["TOKEN"] = str(t, r.doc, "access_token")
		},
	},
	{
		method: "GET",
		url:    readmeOrigin + "/api/skus?include=prices&fields[skus]=code,name,prices&fields[prices]=currency_code,formatted_amount&sort=code&page[size]=3",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			want := map[string]string{
				"CAPXXXXX000000FFFFFFXX": "EUR €19.00",
				"COURSE-123":             "EUR €49.99",
				"COURSE-456":             "EUR €79.99",
			}
			got := map[string]string{}
			included := includedByID(t, r.doc)
			for _, sku := range list(t, r.doc, "data") {
				code := str(t, sku, "attributes", "code")
				for _, id := range list(t, obj(t, sku, "relationships", "prices"), "data") {
					price := included["prices/"+str(t, id, "id")]
					if price == nil {
						t.Fatalf("SKU %s: price %v is not included", code, id["id"])
					}
					got[code] += str(t, price, "attributes", "currency_code") + " " + str(t, price, "attributes", "formatted_amount")
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("first page of SKUs with their prices in the eu market: got %v, want %v", got, want)
			}
			if num(t, r.doc, "meta", "record_count") != 13 || num(t, r.doc, "meta", "page_count") != 5 {
				t.Errorf("want 13 SKUs on 5 pages (seeding twice must not duplicate), got meta %v", r.doc["meta"])
			}
			if next, _ := obj(t, r.doc, "links")["next"].(string); !strings.HasPrefix(next, w.server.url+"/api/skus?") || !strings.Contains(next, "page%5Bnumber%5D=2") {
				t.Errorf("links.next %q: want page 2 on %s", next, w.server.url)
			}
		},
	},
	{
		method: "GET",
		url:    readmeOrigin + "/api/skus?filter[q][name_or_description_cont]=t-shirt&sort=code&fields[skus]=code,name,prices",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			skus := list(t, r.doc, "data")
			var codes []string
			for _, s := range skus {
				codes = append(codes, str(t, s, "attributes", "code"))
			}
			if want := []string{"TSHIRTMM000000FFFFFFXL", "TSHIRTWM000000FFFFFFM"}; !slices.Equal(codes, want) {
				t.Fatalf("got SKUs %v, want %v", codes, want)
			}
			id := str(t, skus[0], "id")
			related := str(t, skus[0], "relationships", "prices", "links", "related")
			if want := w.server.url + "/api/skus/" + id + "/prices"; related != want {
				t.Errorf("prices related link: got %s, want %s (links must use the address served on)", related, want)
			}
			w.vars["SKU_ID"] = id
			w.relatedLink = related
		},
	},
	{
		method: "GET",
		url:    readmeOrigin + "/api/skus/$SKU_ID/prices?fields[prices]=currency_code,amount_cents,formatted_amount",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			if !strings.HasPrefix(w.lastURL, w.relatedLink+"?") {
				t.Errorf("the README's URL %s does not follow the related link %s", w.lastURL, w.relatedLink)
			}
			var got []string
			for _, p := range list(t, r.doc, "data") {
				got = append(got, fmt.Sprint(str(t, p, "attributes", "currency_code"), " ", num(t, p, "attributes", "amount_cents"), " ", str(t, p, "attributes", "formatted_amount")))
			}
			if want := []string{"EUR 2900 €29.00"}; !slices.Equal(got, want) {
				t.Errorf("prices of the SKU that the eu token sees: got %v, want %v", got, want)
			}
		},
	},
	{
		method: "POST",
		url:    readmeOrigin + "/api/customers",
		status: 201,
		check: func(t *testing.T, w *walk, r *response) {
			self := str(t, r.doc, "data", "links", "self")
			if loc := r.header.Get("Location"); loc != self {
				t.Errorf("Location %q, want the new customer's self link %q", loc, self)
			}
			attrs := obj(t, r.doc, "data", "attributes")
			if attrs["email"] != "ada@example.com" || attrs["status"] != "prospect" || attrs["has_password"] != true {
				t.Errorf("customer attributes: %v", attrs)
			}
			if _, shown := attrs["password"]; shown {
				t.Error("the password is write-only but was shown")
			}
		},
	},
	{
		method: "POST",
		url:    readmeOrigin + "/oauth/token",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			if r.doc["owner_type"] != "customer" || r.doc["owner_id"] == "" || r.doc["token_type"] != "bearer" {
				t.Errorf("password grant answer: %v", r.doc)
			}
			w.vars["REFRESH_TOKEN"] = str(t, r.doc, "refresh_token")
		},
	},
	{
		method: "POST",
		url:    readmeOrigin + "/oauth/token",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			if next := str(t, r.doc, "refresh_token"); next == w.vars["REFRESH_TOKEN"] || r.doc["owner_type"] != "customer" {
				t.Errorf("refresh grant answer: %v", r.doc)
			}
		},
	},
	{
		method: "POST",
		url:    readmeOrigin + "/oauth/token",
		status: 200,
		check: func(t *testing.T, w *walk, r *response) {
			if r.doc["scope"] != "market:all" || r.doc["refresh_token"] != nil {
				t.Errorf("integration token answer: %v", r.doc)
			}
		},
	},
}

// customerStep is the walk-through's sign-up, which the README also shows
// answering 422 when repeated.
const customerStep = 4

// walk is the state of one run of the walk-through.
type walk struct {
	server      *server
	vars        map[string]string
	relatedLink string
	lastURL     string
}

func readREADME(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestREADMEStartsWithMakeRunAndMakeTest(t *testing.T) {
	readme := readREADME(t)
	start := strings.Index(readme, "```sh\n")
	if start < 0 || start > 200 {
		t.Fatalf("README: the first sh block should be near the top, found at byte %d", start)
	}
	block, _, _ := strings.Cut(readme[start+len("```sh\n"):], "```")
	if block != "make run\nmake test\n" {
		t.Errorf("README's first commands: got %q, want make run and make test", block)
	}
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, recipe := range []string{"./$(BIN) seed --demo", "./$(BIN) serve"} {
		if !strings.Contains(string(makefile), "\t"+recipe+"\n") {
			t.Errorf("Makefile's run target no longer runs %q, which the README shows", recipe)
		}
	}
}

// demoLine finds the demo applications' credentials in serve's banner.
var demoLine = regexp.MustCompile(`^  (integration|sales_channel) +client_id=(\S+)(?: client_secret=(\S+))?`)

// TestREADMEWalkthrough runs the README's commands: seed --demo (twice),
// serve, then every curl command of the walk-through, on each database.
func TestREADMEWalkthrough(t *testing.T) {
	readme := readREADME(t)
	cmds := readmeCurls(t, readme)
	if len(cmds) != len(walkthrough) {
		t.Fatalf("README has %d curl commands, the test knows %d: keep them in step", len(cmds), len(walkthrough))
	}
	for i, step := range walkthrough {
		if cmds[i].method != step.method || cmds[i].url != step.url {
			t.Fatalf("README command %d is %s %s; the test expects %s %s", i+1, cmds[i].method, cmds[i].url, step.method, step.url)
		}
		if !strings.Contains(readme, step.url) {
			t.Fatalf("README does not contain %s", step.url)
		}
	}
	// seed keeps the demo credentials beside a SQLite file, or in ./data.
	t.Chdir(t.TempDir())

	dbtest.EachURL(t, func(t *testing.T, dbURL string) {
		out, _, err := runCmd(t, noEnv, "seed", "--demo", "--database-url", dbURL)
		if err != nil {
			t.Fatalf("seed --demo: %v", err)
		}
		if !strings.Contains(readme, "\n"+out) || !strings.HasPrefix(out, "demo data loaded: ") {
			t.Errorf("seed printed %q, which the README does not show", out)
		}
		out, _, err = runCmd(t, noEnv, "seed", "--demo", "--database-url", dbURL)
		if err != nil {
			t.Fatalf("second seed --demo: %v", err)
		}
		if want := "demo data already present: nothing to do"; strings.TrimSpace(out) != want || !strings.Contains(readme, want) {
			t.Errorf("second seed printed %q, want %q (and the README to say so)", out, want)
		}

		s := startServe(t, noEnv, "--addr", "127.0.0.1:0", "--database-url", dbURL)
		if s.linksBase != s.url {
			t.Errorf("without --base-url links should use the address served on %s, got %s", s.url, s.linksBase)
		}
		// The README shows the banner with placeholders for what is random.
		placeholders := []string{s.hostPort(), "127.0.0.1:8080"}
		w := &walk{server: s, vars: map[string]string{}}
		for _, line := range s.stdout {
			m := demoLine.FindStringSubmatch(line)
			switch {
			case m == nil:
			case m[1] == "sales_channel":
				w.vars["CLIENT_ID"] = m[2]
				placeholders = append(placeholders, m[2], "<sales channel client id>")
			case m[3] != "":
				w.vars["INTEGRATION_ID"], w.vars["INTEGRATION_SECRET"] = m[2], m[3]
				placeholders = append(placeholders, m[2], "<integration client id>", m[3], "<integration client secret>")
			}
		}
		if w.vars["CLIENT_ID"] == "" {
			t.Fatalf("serve printed no demo sales channel client_id:\n%s", strings.Join(s.stdout, "\n"))
		}
		asREADME := strings.NewReplacer(placeholders...)
		for _, line := range s.stdout {
			if l := asREADME.Replace(line); !strings.Contains(readme, "\n"+l+"\n") {
				t.Errorf("serve printed %q; the README shows something else", l)
			}
		}

		expand := func(i int, s string) string {
			return os.Expand(s, func(name string) string {
				v, ok := w.vars[name]
				if !ok {
					t.Fatalf("README step %d uses $%s, which no earlier step provides", i+1, name)
				}
				return v
			})
		}
		request := func(i int, cmd curlCommand) *response {
			var headers []string
			for _, h := range cmd.headers {
				headers = append(headers, expand(i, h))
			}
			w.lastURL = expand(i, strings.Replace(cmd.url, readmeOrigin, s.url, 1))
			return send(t, cmd.method, w.lastURL, headers, expand(i, cmd.body))
		}
		for i, step := range walkthrough {
			r := request(i, cmds[i])
			if r.status != step.status {
				t.Fatalf("step %d: %s %s: status %d, want %d\n%s", i+1, cmds[i].method, w.lastURL, r.status, step.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); strings.HasPrefix(cmds[i].url, readmeOrigin+"/api/") && ct != "application/vnd.api+json" {
				t.Errorf("step %d: Content-Type %q", i+1, ct)
			}
			step.check(t, w, r)
		}

		// The README quotes the answer to creating the same customer again.
		r := request(customerStep, cmds[customerStep])
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(readme, "`"+strings.TrimSpace(r.body)+"`") {
			t.Errorf("creating the customer again answered %d %s, which the README does not quote", r.status, r.body)
		}
		// And says the API needs the token.
		if r := send(t, "GET", s.url+"/api/skus", nil, ""); r.status != http.StatusUnauthorized {
			t.Errorf("GET /api/skus without a token: %d, want 401", r.status)
		}

		if err := s.stop(); err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	})
}

// TestServeDrainsInFlightRequestsOnCancel starts serve from environment
// variables only, begins a request, cancels (as SIGTERM does), and checks
// that the server stops accepting connections at once, still answers the
// request in flight, and that run then returns nil.
func TestServeDrainsInFlightRequestsOnCancel(t *testing.T) {
	dbURL := dbtest.SQLiteURL(t)
	env := envFrom(map[string]string{
		"DATABASE_URL":     dbURL,
		"KASSE_ADDR":       "127.0.0.1:0",
		"KASSE_BASE_URL":   "https://shop.example/",
		"KASSE_LOG_FORMAT": "json",
		"KASSE_LOG_LEVEL":  "info",
	})
	out, stderr, err := runCmd(t, env, "apps", "create", "--kind", "integration", "--name", "Drain test", "--json")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, stderr)
	}
	var app struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal([]byte(out), &struct {
		ClientID     *string `json:"client_id"`
		ClientSecret *string `json:"client_secret"`
	}{&app.ClientID, &app.ClientSecret}); err != nil || app.ClientSecret == "" {
		t.Fatalf("apps create --json printed %q (%v)", out, err)
	}

	s := startServe(t, env)
	if s.linksBase != "https://shop.example" {
		t.Errorf("KASSE_BASE_URL: links use %q, want https://shop.example", s.linksBase)
	}
	tok := send(t, "POST", s.url+"/oauth/token", []string{"Content-Type: application/json"},
		fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, app.ClientID, app.ClientSecret))
	if tok.status != http.StatusOK {
		t.Fatalf("token: %d %s", tok.status, tok.body)
	}
	token := str(t, tok.doc, "access_token")

	conn, err := net.Dial("tcp", s.hostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	reader := bufio.NewReader(conn)
	// A first request makes sure the server has accepted this connection.
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: kasse\r\n\r\n")
	res, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}

	// Begin a create: headers and half of the body.
	body := `{"data":{"type":"skus","attributes":{"code":"DRAINED","name":"Sent across a shutdown"}}}`
	fmt.Fprintf(conn, "POST /api/skus HTTP/1.1\r\nHost: kasse\r\nAuthorization: Bearer %s\r\nContent-Type: application/vnd.api+json\r\nX-Request-Id: drain-1\r\nContent-Length: %d\r\n\r\n%s", token, len(body), body[:len(body)/2])
	time.Sleep(200 * time.Millisecond) // let the server start reading it

	s.cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.hostPort(), time.Second)
		if err != nil {
			break // no longer accepting
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 5 s after the cancel")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-s.done:
		t.Fatalf("run returned (%v) while a request was still in flight", err)
	default:
	}

	fmt.Fprint(conn, body[len(body)/2:])
	res, err = http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatalf("the request in flight was not answered: %v", err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(raw), `"self":"https://shop.example/api/skus/`) {
		t.Fatalf("in-flight create: %d %s", res.StatusCode, raw)
	}

	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %s to return after the last request", d)
	}

	// The SKU was stored, and the JSON logs tell the story.
	gdb, err := db.Open(db.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	var n int64
	if err := gdb.Model(&models.Sku{}).Where("code = ?", "DRAINED").Count(&n).Error; err != nil || n != 1 {
		t.Errorf("the drained create stored %d SKUs (%v), want 1", n, err)
	}
	var sawShutdown, sawRequest bool
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("KASSE_LOG_FORMAT=json: log line %q is not JSON", line)
		}
		sawShutdown = sawShutdown || strings.HasPrefix(fmt.Sprint(entry["msg"]), "shutting down")
		if entry["msg"] == "request" && entry["request_id"] == "drain-1" && entry["status"] == float64(201) {
			sawRequest = true
		}
	}
	if !sawShutdown || !sawRequest {
		t.Errorf("logs should show the shutdown and the drained request (request_id drain-1, 201):\n%s", s.stderr)
	}
}

func TestHelpDocumentsEveryFlagAndVariable(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"--help"}, {"-h"}} {
		out, _, err := runCmd(t, noEnv, args...)
		if err != nil || out != usage {
			t.Errorf("kasse %v: err %v, output %q; want the usage", args, err, out)
		}
	}
	lines := strings.Split(usage, "\n")
	lineOf := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "--"+name+" ") {
				return l
			}
		}
		return ""
	}
	documented := 0
	for _, cmd := range []string{"serve", "migrate", "seed"} {
		if !strings.Contains(usage, "kasse "+cmd) {
			t.Errorf("usage does not mention kasse %s", cmd)
		}
		// Which variable feeds which flag: set one variable at a time and
		// see which flag's default changes.
		defaults := func(getenv func(string) string) map[string]string {
			var s settings
			out := map[string]string{}
			flags(cmd, &s, getenv, io.Discard).VisitAll(func(f *flag.Flag) { out[f.Name] = f.DefValue })
			return out
		}
		var asked []string
		base := defaults(func(name string) string { asked = append(asked, name); return "" })
		envOf := map[string]string{}
		for _, name := range asked {
			for _, value := range []string{"$" + name, "17m"} {
				for flagName, def := range defaults(func(n string) string {
					if n == name {
						return value
					}
					return ""
				}) {
					if def != base[flagName] {
						envOf[flagName] = name
					}
				}
			}
			if !strings.Contains(usage, " "+name+" ") {
				t.Errorf("kasse %s reads %s, which the usage does not name", cmd, name)
			}
		}
		for flagName := range base {
			documented++
			line := lineOf(flagName)
			if line == "" {
				t.Errorf("usage does not document --%s (kasse %s)", flagName, cmd)
				continue
			}
			if env := envOf[flagName]; env != "" && !strings.Contains(line, " "+env+" ") {
				t.Errorf("usage line %q does not name --%s's variable %s", line, flagName, env)
			}
		}
		_, stderr, err := runCmd(t, noEnv, cmd, "-h")
		if err != nil || stderr != usage {
			t.Errorf("kasse %s -h: err %v, stderr %q; want the usage and no error", cmd, err, stderr)
		}
	}
	if documented == 0 {
		t.Fatal("no flags found")
	}
}

func TestCommandErrors(t *testing.T) {
	good := dbtest.SQLiteURL(t)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"seed without --demo", []string{"seed", "--database-url", good}, nil, "kasse seed --demo"},
		{"unknown database", []string{"migrate", "--database-url", "mysql://localhost/kasse"}, nil, "want sqlite:<path> or postgres://"},
		{"bad log level", []string{"migrate", "--log-level", "loud"}, nil, `log level "loud"`},
		{"bad log format from the environment", []string{"migrate"}, map[string]string{"KASSE_LOG_FORMAT": "xml"}, `log format "xml"`},
		{"serve flag on migrate", []string{"migrate", "--addr", "127.0.0.1:0"}, nil, "flag provided but not defined: -addr"},
		{"stray argument", []string{"migrate", "--database-url", good, "now"}, nil, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, envFrom(tt.env), tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if tt.name == "unknown command" && !strings.Contains(stderr, "Usage:") {
				t.Errorf("an unknown command should print the usage on stderr, got %q", stderr)
			}
		})
	}
	// seed without --demo loaded nothing.
	gdb, err := db.Open(db.Config{URL: good})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	var n int64
	if err := gdb.Model(&models.Market{}).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("after seed without --demo: %d markets (%v), want 0", n, err)
	}
}

// TestMigrate applies the migrations to a fresh database, then again (a
// no-op), on each engine; the flag wins over DATABASE_URL.
func TestMigrate(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, dbURL string) {
		env := envFrom(map[string]string{"DATABASE_URL": "mysql://not-used"})
		out, stderr, err := runCmd(t, env, "migrate", "--database-url", dbURL)
		if err != nil {
			t.Fatalf("migrate: %v\n%s", err, stderr)
		}
		if out != "database is up to date\n" || !strings.Contains(stderr, `msg="migrations applied"`) {
			t.Errorf("first migrate: stdout %q, stderr %q", out, stderr)
		}
		gdb, err := db.Open(db.Config{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(gdb)
		for _, model := range []any{&models.Market{}, &models.PriceList{}, &models.Price{}, &models.Sku{}, &models.Customer{}, &models.Address{}, &models.CustomerAddress{}} {
			var n int64
			if err := gdb.Model(model).Count(&n).Error; err != nil || n != 0 {
				t.Errorf("%T after migrate: %d rows, err %v; want an empty table", model, n, err)
			}
		}
		out, stderr, err = runCmd(t, env, "migrate", "--database-url", dbURL)
		if err != nil || out != "database is up to date\n" || strings.Contains(stderr, "migrations applied") {
			t.Errorf("second migrate: err %v, stdout %q, stderr %q; want nothing applied", err, out, stderr)
		}
	})
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestDocsListEveryErrorCodeAndFlag keeps docs/ in step with the code: every
// error code with its status, every flag and variable.
func TestDocsListEveryErrorCodeAndFlag(t *testing.T) {
	conventions := readDoc(t, "api-conventions.md")
	for _, code := range errs.Codes() {
		if row := fmt.Sprintf("| `%s` | %d |", code, code.Status()); !strings.Contains(conventions, row) {
			t.Errorf("docs/api-conventions.md has no row %q", row)
		}
	}
	operations := readDoc(t, "operations.md")
	for _, cmd := range []string{"serve", "migrate", "seed"} {
		var s settings
		var asked []string
		flags(cmd, &s, func(name string) string { asked = append(asked, name); return "" }, io.Discard).VisitAll(func(f *flag.Flag) {
			if !strings.Contains(operations, "`--"+f.Name+"`") {
				t.Errorf("docs/operations.md does not document --%s", f.Name)
			}
		})
		for _, name := range asked {
			if !strings.Contains(operations, "`"+name+"`") {
				t.Errorf("docs/operations.md does not document %s", name)
			}
		}
	}
}
