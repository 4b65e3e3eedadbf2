package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for curl in the shell that
// TestDocsCommands runs the docs' commands in (see curlShim).
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "curl" {
		os.Exit(curlShim(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// docsNotRun is how a doc marks an sh block the docs test cannot run: an
// HTML comment on the line just before the block's fence, with the reason,
// `<!-- docs-test: not run: needs a Checkout.com account -->`. Keep such
// blocks rare: everything the sandbox gateway and a local server can do is
// run.
var docsNotRun = regexp.MustCompile(`^<!-- docs-test: not run: (\S.*\S) -->$`)

// docBlock is one ```sh block of a doc.
type docBlock struct {
	line   int    // of the opening fence, from 1
	text   string // the commands
	notRun string // the reason the doc gives for not running it, or ""
}

// docBlocks lists the sh blocks of a Markdown file.
func docBlocks(md string) []docBlock {
	var out []docBlock
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```sh" {
			continue
		}
		b := docBlock{line: i + 1}
		if i > 0 {
			if m := docsNotRun.FindStringSubmatch(lines[i-1]); m != nil {
				b.notRun = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// makeOnly says whether a block only runs make (make run, make test, make
// openapi): the docs test starts the server itself, as make run does.
func (b docBlock) makeOnly() bool {
	for _, l := range strings.Split(b.text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "make ") {
			return false
		}
	}
	return true
}

// curlCount is how many curl commands a block runs.
func curlCount(text string) int {
	return len(regexp.MustCompile(`(?m)(^\s*|\$\()curl `).FindAllString(text, -1))
}

// docsGiven are the variables a reader fills in from what `make run`
// printed, and what a doc writes for them: the test gives its own values
// and checks that the doc still writes these.
var docsGiven = map[string]string{
	"BASE":               readmeOrigin,
	"CLIENT_ID":          "…",
	"INTEGRATION_ID":     "…",
	"INTEGRATION_SECRET": "…",
}

var assignment = regexp.MustCompile(`^([A-Z_]+)=(\S*)(\s+#.*)?$`)

// docScript is the shell script of a doc's runnable blocks, in order (a
// block's variables are the next one's), with the given variables' lines
// left to the environment the test sets.
func docScript(name string, blocks []docBlock) (script string, curls int, err error) {
	var b strings.Builder
	b.WriteString("set -e\n")
	for _, blk := range blocks {
		if blk.notRun != "" || blk.makeOnly() {
			continue
		}
		fmt.Fprintf(&b, "# %s:%d\n", name, blk.line)
		for _, l := range strings.Split(blk.text, "\n") {
			if m := assignment.FindStringSubmatch(l); m != nil {
				if want, given := docsGiven[m[1]]; given {
					if m[2] != want {
						return "", 0, fmt.Errorf("%s:%d: %s=%s, want %s=%s (the test gives its own value)", name, blk.line, m[1], m[2], m[1], want)
					}
					continue
				}
			}
			b.WriteString(l + "\n")
		}
		curls += curlCount(blk.text)
	}
	return b.String(), curls, nil
}

// TestDocBlocks: the docs test finds sh blocks, their not-run marks and
// the given variables.
func TestDocBlocks(t *testing.T) {
	md := "# T\n\n```sh\nBASE=http://127.0.0.1:8080   # or where KASSE_ADDR says\nCLIENT_ID=…\ncurl -s \"$BASE/healthz\"\n```\n\n" +
		"<!-- docs-test: not run: needs a live Stripe account -->\n```sh\ncurl -s https://api.stripe.com\n```\n\n" +
		"```sh\nmake run\n```\n\n```json\n{\"curl \": 1}\n```\n\n```sh\nX=$(curl -s \"$BASE/readyz\" | wc -c)\n```\n"
	blocks := docBlocks(md)
	if len(blocks) != 4 {
		t.Fatalf("%d blocks, want 4: %+v", len(blocks), blocks)
	}
	if blocks[1].notRun != "needs a live Stripe account" || blocks[0].notRun != "" {
		t.Errorf("not-run reasons %q %q", blocks[0].notRun, blocks[1].notRun)
	}
	if !blocks[2].makeOnly() || blocks[0].makeOnly() {
		t.Error("makeOnly")
	}
	script, curls, err := docScript("t.md", blocks)
	if err != nil {
		t.Fatal(err)
	}
	if curls != 2 || strings.Contains(script, "BASE=") || strings.Contains(script, "stripe") || strings.Contains(script, "make run") {
		t.Errorf("%d curls, script:\n%s", curls, script)
	}
	if _, _, err := docScript("t.md", docBlocks("```sh\nBASE=http://127.0.0.1:9090\n```\n")); err == nil {
		t.Error("a doc that sets BASE to another origin is accepted")
	}
}

// TestDocsCommands runs every sh block of docs/*.md that is not marked
// (docsNotRun) and does more than run make: each doc's blocks in one
// shell, in order, against its own freshly seeded `kasse serve` (started
// as `KASSE_ADDR=… make run` would start it, on a free port), with the
// demo applications' credentials in CLIENT_ID, INTEGRATION_ID and
// INTEGRATION_SECRET and the server's URL in BASE. curl is this test
// binary (curlShim): every curl must answer 2xx, or the script stops.
// python3 is the docs' JSON tool, as they say.
func TestDocsCommands(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	if err := os.Symlink(self, filepath.Join(shims, "curl")); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := "docs/" + filepath.Base(file)
		blocks := docBlocks(string(raw))
		script, curls, err := docScript(name, blocks)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if b.notRun != "" {
				t.Logf("%s:%d is not run: %s", name, b.line, b.notRun)
			}
		}
		if curls == 0 {
			continue
		}
		ran++
		t.Run(filepath.Base(file), func(t *testing.T) {
			for _, tool := range []string{"sh", "python3"} {
				if _, err := exec.LookPath(tool); err != nil {
					t.Fatalf("the docs' commands need %s on PATH: %v", tool, err)
				}
			}
			t.Chdir(t.TempDir()) // seed keeps the demo credentials beside the database
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "kasse.db")
			if _, _, err := runCmd(t, noEnv, "seed", "--demo", "--database-url", dbURL); err != nil {
				t.Fatalf("seed --demo: %v", err)
			}
			s := startServe(t, envFrom(map[string]string{"KASSE_ADDR": "127.0.0.1:0", "DATABASE_URL": dbURL, "KASSE_WEBHOOKS_ALLOW_PRIVATE": "true"}))
			logFile := filepath.Join(t.TempDir(), "curl.log")
			env := append(os.Environ(), "PATH="+shims+string(os.PathListSeparator)+os.Getenv("PATH"), "BASE="+s.url, "KASSE_DOCS_CURL_LOG="+logFile)
			for _, line := range s.stdout {
				switch m := demoLine.FindStringSubmatch(line); {
				case m == nil:
				case m[1] == "sales_channel":
					env = append(env, "CLIENT_ID="+m[2])
				default:
					env = append(env, "INTEGRATION_ID="+m[2], "INTEGRATION_SECRET="+m[3])
				}
			}
			cmd := exec.Command("sh", "-c", script)
			cmd.Env = env
			cmd.Dir = t.TempDir()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			log, _ := os.ReadFile(logFile)
			if err != nil {
				out := stdout.String()
				if len(out) > 2000 {
					out = "…" + out[len(out)-2000:]
				}
				t.Fatalf("%s's commands failed (%v).\ncurl calls:\n%s\nstderr:\n%s\nstdout (its end):\n%s", name, err, log, stderr.String(), out)
			}
			if got := strings.Count(string(log), "\n"); got != curls {
				t.Errorf("%s has %d curl commands, %d ran:\n%s", name, curls, got, log)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no doc has a curl command to run")
	}
}

// curlShim is curl, as far as the docs use it (parseCurl's options), for
// the docs test: it sends the request to the loopback server only (any
// other host is refused), writes what curl writes (-i: the status line and
// headers first), appends "METHOD URL STATUS" to $KASSE_DOCS_CURL_LOG, and
// exits 22 — curl's --fail code — on a status of 400 or more, so that the
// docs' shell stops at the first failing command.
func curlShim(args []string, stdout, stderr io.Writer) int {
	cmd, err := parseCurl(args)
	if err != nil {
		fmt.Fprintf(stderr, "curl (docs test): %v\n", err)
		return 2
	}
	u, err := url.Parse(cmd.url)
	if err != nil || u.Hostname() != "127.0.0.1" {
		fmt.Fprintf(stderr, "curl (docs test): %q is not the local server: the docs test reaches loopback only\n", cmd.url)
		return 3
	}
	req, err := http.NewRequest(cmd.method, cmd.url, strings.NewReader(cmd.body))
	if err != nil {
		fmt.Fprintf(stderr, "curl (docs test): %v\n", err)
		return 3
	}
	for _, h := range cmd.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(stderr, "curl (docs test): header %q has no colon\n", h)
			return 2
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "curl (docs test): %v\n", err)
		return 7
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		fmt.Fprintf(stderr, "curl (docs test): %v\n", err)
		return 56
	}
	if cmd.include {
		fmt.Fprintf(stdout, "%s %s\r\n", res.Proto, res.Status)
		res.Header.Write(stdout)
		fmt.Fprint(stdout, "\r\n")
	}
	stdout.Write(body)
	if path := os.Getenv("KASSE_DOCS_CURL_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%s %s %d\n", cmd.method, cmd.url, res.StatusCode)
			f.Close()
		}
	}
	if res.StatusCode >= 400 {
		fmt.Fprintf(stderr, "curl (docs test): %s %s answered %d: %s\n", cmd.method, cmd.url, res.StatusCode, body)
		return 22
	}
	return 0
}
