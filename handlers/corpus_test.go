package handlers_test

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"kasse/models"
)

// malformedRequest is one line of testdata/malformed_requests.jsonl.
type malformedRequest struct {
	Name        string            `json:"name"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Auth        string            `json:"auth"` // integration, guest or none
	ContentType *string           `json:"content_type"`
	Body        *string           `json:"body"`
	BodyHex     string            `json:"body_hex"`
	Headers     map[string]string `json:"headers"`
}

func readCorpus(t *testing.T) []malformedRequest {
	t.Helper()
	f, err := os.Open("testdata/malformed_requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []malformedRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r malformedRequest
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("corpus line %d: %v", len(out)+1, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMalformedCorpus sends every request of the corpus of malformed input
// (bodies of every wrong shape, NUL bytes, invalid UTF-8, over-long strings
// into indexed columns, abusive query parameters, odd headers and tokens,
// the token endpoint's edge cases) to the real router on every database:
// each is answered below 500, and /api answers are JSON:API documents.
func TestMalformedCorpus(t *testing.T) {
	t.Parallel()
	corpus := readCorpus(t)
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.tokenFor(models.KindSalesChannel, "market:code:eu", "", "")
		tokens := map[string]string{"integration": e.token, "guest": guest, "none": ""}
		statuses := map[int]int{}
		defer func() { t.Logf("%d requests answered: %v", len(corpus), statuses) }()
		for _, c := range corpus {
			var body []byte
			switch {
			case c.BodyHex != "":
				var err error
				if body, err = hex.DecodeString(c.BodyHex); err != nil {
					t.Fatalf("%s: body_hex: %v", c.Name, err)
				}
			case c.Body != nil:
				body = []byte(*c.Body)
			}
			req := httptest.NewRequest(c.Method, "/", strings.NewReader(string(body)))
			req.URL.RawPath, req.URL.Path, req.URL.RawQuery = "", "", ""
			if u, err := req.URL.Parse(c.Path); err == nil {
				req.URL = u
			} else {
				req.URL.Opaque = c.Path
			}
			req.RequestURI = c.Path
			req.Header.Set("Accept", "application/vnd.api+json")
			if c.ContentType != nil {
				req.Header.Set("Content-Type", *c.ContentType)
			}
			if tok := tokens[c.Auth]; tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			for k, v := range c.Headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			e.router.ServeHTTP(rec, req)
			statuses[rec.Code]++
			if rec.Code >= 500 {
				t.Errorf("%s: %d\n%s", c.Name, rec.Code, truncate(rec.Body.String(), 300))
				continue
			}
			if strings.HasPrefix(c.Path, "/api") && rec.Body.Len() > 0 {
				var doc map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || (doc["data"] == nil && doc["errors"] == nil && doc["meta"] == nil) {
					t.Errorf("%s: %d answered no JSON:API document: %s", c.Name, rec.Code, truncate(rec.Body.String(), 300))
				}
			}
		}
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
