// Command bench is `make bench`: it loads a generated catalog (1,000 SKUs,
// or -skus 1000000) into a database, serves it with Kasse and with the
// hand-written baseline (bench/baseline), checks that both answer each
// measured request with the same document, then loads both with hey,
// interleaved (baseline, Kasse, baseline, … for every request, -rounds
// times) and prints req/s, p50 and p99 (medians of the rounds), SQL
// statements per request and peak RSS, with Kasse/baseline ratios.
// docs/performance.md has the method and this machine's results. It is
// never part of make test.
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
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"kasse/bench/catalog"
	"kasse/db"
	"kasse/models"
)

type config struct {
	skus       int
	database   string
	dir        string
	kasse      string
	baseline   string
	hey        string
	duration   time.Duration
	clients    int
	rounds     int
	statements int
	only       string
}

func main() {
	var c config
	flag.IntVar(&c.skus, "skus", 1000, "generated SKUs (1000000 for the large catalog)")
	flag.StringVar(&c.database, "database", "sqlite", `"sqlite", or the URL of a PostgreSQL server on which the harness (re)creates the database kasse_bench_<skus>`)
	flag.StringVar(&c.dir, "dir", filepath.Join(os.TempDir(), "kasse-bench"), "where SQLite catalogs (kept between runs) and server logs go")
	flag.StringVar(&c.kasse, "kasse", "bin/kasse", "the kasse binary")
	flag.StringVar(&c.baseline, "baseline", "bin/kasse-baseline", "the baseline binary")
	flag.StringVar(&c.hey, "hey", "bin/hey", "the hey binary")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "load time of each run")
	flag.IntVar(&c.clients, "c", 8, "concurrent clients")
	flag.IntVar(&c.rounds, "rounds", 5, "rounds (each runs every request on both servers)")
	flag.IntVar(&c.statements, "statements", 200, "requests sent one at a time to count statements per request")
	flag.StringVar(&c.only, "only", "", "measure only the requests whose name matches this regular expression")
	flag.Parse()
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// request is one measured read.
type request struct {
	name, path string
}

// server is a running server under test.
type server struct {
	name   string
	origin string
	cmd    *exec.Cmd
	token  string // Kasse's bearer token, sent to both; the baseline checks none
}

func run(ctx context.Context, c config, out io.Writer) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	dbURL, err := prepare(ctx, c)
	if err != nil {
		return err
	}
	kasse, err := startKasse(ctx, c, dbURL)
	if err != nil {
		return err
	}
	defer stop(kasse)
	orderID, err := ensureOrder(kasse)
	if err != nil {
		return err
	}
	base, err := startServer(c, "baseline", dbURL, c.baseline, "--database-url", dbURL)
	if err != nil {
		return err
	}
	defer stop(base)
	// Both servers get the same request, token included: the ~1 KB header
	// costs the load generator and the server's header parsing the same
	// on both, so the ratio measures what Kasse does with it.
	base.token = kasse.token
	servers := []*server{base, kasse}

	middle := fmt.Sprintf("bsku%08d", c.skus/2)
	requests := []request{
		{"SKU list, 10, include=prices", "/api/skus?include=prices"},
		{"one SKU", "/api/skus/" + middle},
		{"SKU list, 25", "/api/skus?page%5Bsize%5D=25"},
		{"SKU list, 10, sort=-created_at", "/api/skus?sort=-created_at"},
		// 100 matches at every catalog size, as in BenchmarkSkuPage1.
		{"SKU list, 10, code_start", "/api/skus?filter%5Bq%5D%5Bcode_start%5D=" + catalog.Code(c.skus / 2)[:11]},
		{"order, include=line_items,market", "/api/orders/" + orderID + "?include=line_items,market"},
	}
	if c.only != "" {
		only, err := regexp.Compile(c.only)
		if err != nil {
			return fmt.Errorf("-only: %w", err)
		}
		requests = slices.DeleteFunc(requests, func(r request) bool { return !only.MatchString(r.name) })
	}
	for _, r := range requests {
		a, err := get(base, r.path)
		if err != nil {
			return err
		}
		b, err := get(kasse, r.path)
		if err != nil {
			return err
		}
		if err := sameDocument(a, base.origin, b, kasse.origin); err != nil {
			return fmt.Errorf("%s: baseline and Kasse: %w", r.name, err)
		}
	}
	fmt.Fprintf(out, "catalog: %d generated SKUs (+ the demo's %d) and an order of %d line items on %s; the documents of both servers are equal\n", c.skus, len(models.DemoCatalog), benchLineItems, dialectName(dbURL))
	fmt.Fprintf(out, "load: hey, %d clients, %s per run, %d rounds, interleaved; medians of the rounds (the ratios: of each round's pair)\n\n", c.clients, c.duration, c.rounds)

	results := map[string]map[string][]result{}
	for round := 0; round < c.rounds; round++ {
		for _, r := range requests {
			order := servers
			if round%2 == 1 {
				order = []*server{kasse, base}
			}
			for _, s := range order {
				res, err := load(ctx, c, s, r.path)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", r.name, s.name, err)
				}
				if results[r.name] == nil {
					results[r.name] = map[string][]result{}
				}
				results[r.name][s.name] = append(results[r.name][s.name], res)
			}
		}
	}
	statements := map[string]float64{}
	for _, r := range requests {
		n, err := statementsPerRequest(kasse, r.path, c.statements)
		if err != nil {
			return err
		}
		statements[r.name] = n
	}
	fmt.Fprintln(out, "| request | baseline req/s | p50 | p99 | Kasse req/s | p50 | p99 | Kasse/baseline | Kasse p99/baseline | statements Kasse (baseline) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range requests {
		bs, ks := results[r.name]["baseline"], results[r.name]["kasse"]
		b, k, ratio := median(bs), median(ks), roundRatios(bs, ks)
		fmt.Fprintf(out, "| %s | %.0f | %s | %s | %.0f | %s | %s | %.2f | %.2f | %.1f (%d) |\n", r.name,
			b.rps, ms(b.p50), ms(b.p99), k.rps, ms(k.p50), ms(k.p99), ratio.rps, ratio.p99, statements[r.name], baselineStatements(r, c.skus, dbURL))
	}
	rb, err := peakRSS(base.cmd.Process.Pid)
	if err != nil {
		return err
	}
	rk, err := peakRSS(kasse.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\npeak RSS: baseline %.0f MiB, Kasse %.0f MiB (%.1f×)\n", rb, rk, rk/rb)
	return nil
}

// baselineStatements is what the baseline runs per request: a bounded
// count (and EXPLAIN for the estimate above the bound on PostgreSQL), the
// page, the SKUs' stock and, with include=prices, the prices; the SKU and
// its stock for one SKU; the order, its line items and its market for the
// order.
func baselineStatements(r request, skus int, dbURL string) int {
	if strings.HasPrefix(r.path, "/api/skus/") {
		return 2
	}
	if strings.HasPrefix(r.path, "/api/orders/") {
		return 3
	}
	n := 3
	if skus+len(models.DemoCatalog) > 1000 && !strings.HasPrefix(dbURL, "sqlite:") && !strings.Contains(r.path, "code_start") {
		n++
	}
	if strings.Contains(r.path, "include=prices") {
		n++
	}
	return n
}

func dialectName(url string) string {
	if strings.HasPrefix(url, "sqlite:") {
		return "SQLite"
	}
	return "PostgreSQL"
}

// prepare makes a migrated database with the demo data and the generated
// catalog, reusing one a previous run left with the same number of SKUs.
func prepare(ctx context.Context, c config) (string, error) {
	var dbURL string
	if c.database == "sqlite" {
		dbURL = "sqlite:" + filepath.Join(c.dir, fmt.Sprintf("catalog-%d.db", c.skus))
	} else {
		u, err := url.Parse(c.database)
		if err != nil {
			return "", fmt.Errorf("-database: %w", err)
		}
		name := fmt.Sprintf("kasse_bench_%d", c.skus)
		u.Path = "/" + name
		dbURL = u.String()
		if n, err := countSkus(dbURL); err == nil && n == c.skus+len(models.DemoCatalog) {
			return dbURL, nil
		}
		admin, err := db.Open(db.Config{URL: c.database})
		if err != nil {
			return "", err
		}
		defer db.Close(admin)
		if err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			return "", err
		}
		if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
			return "", err
		}
	}
	if n, err := countSkus(dbURL); err == nil && n == c.skus+len(models.DemoCatalog) {
		return dbURL, nil
	}
	if strings.HasPrefix(dbURL, "sqlite:") {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(strings.TrimPrefix(dbURL, "sqlite:") + suffix)
		}
	}
	started := time.Now()
	cmd := exec.CommandContext(ctx, c.kasse, "seed", "--demo", "--database-url", dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("kasse seed: %v\n%s", err, out)
	}
	gdb, err := db.Open(db.Config{URL: dbURL})
	if err != nil {
		return "", err
	}
	defer db.Close(gdb)
	sqlDB, err := gdb.DB()
	if err != nil {
		return "", err
	}
	if err := catalog.Load(ctx, sqlDB, catalog.Dialect(db.DialectOfDB(gdb)), c.skus); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: loaded %d SKUs in %s\n", c.skus, time.Since(started).Round(time.Second))
	return dbURL, nil
}

func countSkus(dbURL string) (int, error) {
	gdb, err := db.Open(db.Config{URL: dbURL})
	if err != nil {
		return 0, err
	}
	defer db.Close(gdb)
	var n int
	err = gdb.Raw("SELECT COUNT(*) FROM skus").Scan(&n).Error
	return n, err
}

// startKasse creates an integration application, serves the database
// with Kasse (no rate limit, metrics on) and gets a token.
func startKasse(ctx context.Context, c config, dbURL string) (*server, error) {
	out, err := exec.CommandContext(ctx, c.kasse, "apps", "create", "--kind", "integration", "--name", "bench", "--json", "--database-url", dbURL).Output()
	if err != nil {
		return nil, fmt.Errorf("kasse apps create: %w", err)
	}
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(out, &app); err != nil {
		return nil, err
	}
	s, err := startServer(c, "kasse", dbURL, c.kasse, "serve", "--database-url", dbURL, "--api-rate-limit", "0", "--log-level", "warn", "--metrics-addr", "")
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.ClientSecret})
	resp, err := http.Post(s.origin+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		stop(s)
		return nil, err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		stop(s)
		return nil, fmt.Errorf("no token (%s): %v", resp.Status, err)
	}
	s.token = tok.AccessToken
	return s, nil
}

// startServer starts bin with args plus --addr on a free loopback port
// (and, for Kasse, --metrics-addr on another) and waits until it answers.
func startServer(c config, name, dbURL, bin string, args ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if a == "--metrics-addr" {
			metrics, err := freeAddr()
			if err != nil {
				return nil, err
			}
			args[i+1] = metrics
		}
	}
	logFile, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append(args, "--addr", addr)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, origin: "http://" + addr, cmd: cmd}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(s.origin + "/api/skus/none"); err == nil {
			resp.Body.Close()
			return s, nil
		}
	}
	stop(s)
	return nil, fmt.Errorf("%s did not answer on %s (see %s)", name, addr, logFile.Name())
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func stop(s *server) {
	if s != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

func (s *server) newRequest(path string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, s.origin+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.api+json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	return req, nil
}

func get(s *server, path string) ([]byte, error) {
	req, err := s.newRequest(path)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s on %s: %s\n%s", path, s.name, resp.Status, body)
	}
	return body, err
}

// result is one hey run.
type result struct{ rps, p50, p99 float64 } // p50, p99 in seconds

var (
	rpsLine     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latencyLine = regexp.MustCompile(`(?m)^\s+(50|99)% in ([0-9.]+) secs`)
	statusLine  = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+(\d+) responses`)
)

func load(ctx context.Context, c config, s *server, path string) (result, error) {
	args := []string{"-z", c.duration.String(), "-c", strconv.Itoa(c.clients), "-H", "Accept: application/vnd.api+json"}
	if s.token != "" {
		args = append(args, "-H", "Authorization: Bearer "+s.token)
	}
	out, err := exec.CommandContext(ctx, c.hey, append(args, s.origin+path)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("hey: %v\n%s", err, out)
	}
	return parseHey(out)
}

func parseHey(out []byte) (result, error) {
	var r result
	m := rpsLine.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in hey's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, l := range latencyLine.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(l[2]), 64)
		if string(l[1]) == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	for _, st := range statusLine.FindAllSubmatch(out, -1) {
		if string(st[1]) != "200" {
			return r, fmt.Errorf("%s answers with status %s:\n%s", "a server", st[1], out)
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return r, fmt.Errorf("no 50%% and 99%% latencies in hey's output (hey leaves them out of short runs: a longer -duration):\n%s", out)
	}
	return r, nil
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	return result{rps: pick(func(r result) float64 { return r.rps }), p50: pick(func(r result) float64 { return r.p50 }), p99: pick(func(r result) float64 { return r.p99 })}
}

// roundRatios is the median of each round's Kasse/baseline ratios. The two
// runs of a round are adjacent in time, so a machine whose speed drifts
// between rounds (shared cores) moves both; the ratio of the medians would
// pair runs minutes apart.
func roundRatios(base, kasse []result) result {
	rs := make([]result, len(base))
	for i := range base {
		rs[i] = result{rps: kasse[i].rps / base[i].rps, p50: kasse[i].p50 / base[i].p50, p99: kasse[i].p99 / base[i].p99}
	}
	return median(rs)
}

func ms(seconds float64) string { return fmt.Sprintf("%.1f ms", seconds*1000) }

// statementsPerRequest sends n requests one at a time and divides the
// growth of Kasse's kasse_db_statements_total by n.
func statementsPerRequest(s *server, path string, n int) (float64, error) {
	before, err := statementsTotal(s)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if _, err := get(s, path); err != nil {
			return 0, err
		}
	}
	after, err := statementsTotal(s)
	return (after - before) / float64(n), err
}

func statementsTotal(s *server) (float64, error) {
	var metrics string
	for i, a := range s.cmd.Args {
		if a == "--metrics-addr" {
			metrics = s.cmd.Args[i+1]
		}
	}
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "kasse_db_statements_total "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, errors.New("no kasse_db_statements_total in /metrics")
}

// peakRSS is a process's peak resident set (VmHWM) in MiB.
func peakRSS(pid int) (float64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
}
