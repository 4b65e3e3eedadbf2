package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/cache"
	"github.com/pb33f/libopenapi-validator/config"
	validationerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db"
	"kasse/db/dbtest"
	"kasse/engine"
	"kasse/gateways"
	"kasse/handlers"
	"kasse/models"
	"kasse/openapi"
	"kasse/resources"
	"kasse/serializers"
)

const testBaseURL = "http://kasse.test"

// TestMain builds the OpenAPI validator (seconds under -race) while the
// first tests set up their databases. The tests run in parallel: each has
// its own databases, router and auth service. The garbage collector runs
// a quarter as often as by default (unless GOGC says otherwise): the
// suite allocates a lot and keeps little, and collecting was a quarter
// of its CPU time under -race.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	go loadContract()
	os.Exit(m.Run())
}

// env is a real router over a real database. Requests carry an
// integration token unless a test sends its own Authorization header.
type env struct {
	t      *testing.T
	db     *gorm.DB
	router http.Handler
	auth   *auth.Service
	token  string // an integration access token
	engine *engine.Engine
	meta   map[string]any // every resource's meta
	base   string         // the router's BaseURL, the origin of its links
}

// newEnv builds the router over gdb, with the demo data loaded when seed is set.
func newEnv(t *testing.T, gdb *gorm.DB, seed bool) *env {
	t.Helper()
	return newEnvWith(t, gdb, seed, handlers.Config{})
}

// newEnvWith is newEnv with a router built from cfg (Engine, Registry,
// Auth and ResourceMeta are filled in; BaseURL, the origin of links and
// payment pages, when empty; Database when nil; Payments and Sandbox when
// Payments is nil).
func newEnvWith(t *testing.T, gdb *gorm.DB, seed bool, cfg handlers.Config) *env {
	t.Helper()
	if seed {
		if _, err := models.SeedDemo(gdb); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	org, err := models.EnsureOrganization(gdb)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.New(context.Background(), &models.Identity{DB: gdb}, auth.Config{Issuer: testBaseURL, Organization: org, Test: true, SigningKey: signingKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Registry, cfg.Auth = resources.Default(), svc
	if cfg.BaseURL == "" {
		cfg.BaseURL = testBaseURL
	}
	if cfg.Idempotency == nil {
		cfg.Idempotency = &models.Idempotency{DB: gdb}
	}
	if cfg.RateLimits.Store == nil {
		cfg.RateLimits.Store = &models.RateLimits{DB: gdb}
	}
	if cfg.Database == nil {
		cfg.Database = db.Pinger{DB: gdb}
	}
	cfg.ResourceMeta = map[string]any{"mode": "test", "organization_id": org.ID}
	if cfg.Payments == nil {
		// The payment flow with every adapter, the providers' APIs being
		// the tests' own fakes (set by the tests that use them).
		providers := gateways.New(gateways.Config{BaseURL: cfg.BaseURL, CheckoutComBaseURL: "http://127.0.0.1:1", StripeBaseURL: "http://127.0.0.1:1", Timeout: 2 * time.Second,
			SandboxStore: &models.SandboxStore{DB: gdb}})
		cfg.Payments, cfg.Sandbox = &models.Payments{DB: gdb, Providers: providers}, providers.Sandbox.Handler()
	}
	if cfg.Checkout == nil {
		cfg.Checkout = &models.CheckoutSessions{Payments: cfg.Payments, Hosted: cfg.Payments.Hosted}
		cfg.Payments.Settled = cfg.Checkout.SettleBySource
	}
	cfg.Engine = engine.New(gdb, cfg.Registry)
	cfg.Engine.BaseURL, cfg.Engine.Payments = cfg.BaseURL, cfg.Payments
	router := handlers.NewRouter(cfg)
	e := &env{t: t, db: gdb, router: router, auth: svc, engine: cfg.Engine, meta: cfg.ResourceMeta, base: cfg.BaseURL}
	e.token = e.tokenFor(models.KindIntegration, "", "", "")
	return e
}

// signingKey is the one RSA key of the process, handed to every env's auth
// service: generating one per env was a seventh of the suite's CPU.
var signingKey = func() func(t *testing.T) *rsa.PrivateKey {
	once := sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	return func(t *testing.T) *rsa.PrivateKey {
		t.Helper()
		key, err := once()
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
}()

// tokenFor makes an application of kind and returns an access token for
// it (a customer's when email is set).
func (e *env) tokenFor(kind, scope, email, password string) string {
	e.t.Helper()
	app, secret, err := models.NewApplication(e.db, kind, "test "+kind, scope, false)
	if err != nil {
		e.t.Fatal(err)
	}
	req := auth.TokenRequest{GrantType: auth.GrantClientCredentials, ClientID: app.ClientID, ClientSecret: secret, Scope: scope}
	if email != "" {
		req.GrantType, req.Username, req.Password = auth.GrantPassword, email, password
	}
	resp, err := e.auth.Token(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.AccessToken
}

// eachDB runs fn on SQLite and (when configured) PostgreSQL with a fresh env.
func eachDB(t *testing.T, seed bool, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) { fn(t, newEnv(t, gdb, seed)) })
}

type response struct {
	status int
	header http.Header
	body   []byte
	doc    map[string]any
}

// do sends a request through the router. body may be a string or any value
// to JSON-encode; headers are name, value pairs that replace the defaults
// (JSON:API Accept and, with a body, Content-Type).
func (e *env) do(method, path string, body any, headers ...string) *response {
	e.t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	case []byte:
		payload = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		payload = raw
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(payload))
	req.Header.Set("Accept", serializers.MediaType)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", serializers.MediaType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	sent := req.Clone(req.Context())
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	resp := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if len(resp.body) > 0 {
		if err := json.Unmarshal(resp.body, &resp.doc); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, resp.body)
		}
	}
	checkDocument(e.t, e.base, method+" "+path, resp)
	checkContract(e.t, sent, payload, rec)
	return resp
}

// want fails unless the response has the status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	return r
}

// wantError fails unless the response is one error with status and code.
func (r *response) wantError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	r.want(t, status)
	errs, _ := r.doc["errors"].([]any)
	for _, e := range errs {
		obj := e.(map[string]any)
		if obj["code"] == code {
			return obj
		}
	}
	t.Fatalf("no error with code %s in\n%s", code, r.body)
	return nil
}

func (r *response) data() map[string]any {
	d, _ := r.doc["data"].(map[string]any)
	return d
}

func (r *response) list() []map[string]any {
	raw, _ := r.doc["data"].([]any)
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

func (r *response) included() []map[string]any {
	raw, _ := r.doc["included"].([]any)
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

func attrs(res map[string]any) map[string]any {
	a, _ := res["attributes"].(map[string]any)
	return a
}

func id(res map[string]any) string { s, _ := res["id"].(string); return s }

// resource builds a {"data": {...}} request body.
func resource(typ, id string, attributes map[string]any, relationships map[string]any) map[string]any {
	data := map[string]any{"type": typ}
	if id != "" {
		data["id"] = id
	}
	if attributes != nil {
		data["attributes"] = attributes
	}
	if relationships != nil {
		rels := map[string]any{}
		for name, v := range relationships {
			rels[name] = map[string]any{"data": v}
		}
		data["relationships"] = rels
	}
	return map[string]any{"data": data}
}

func ref(typ, id string) map[string]any { return map[string]any{"type": typ, "id": id} }

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
)

// jsonapiSchema compiles the official JSON:API 1.0 schema from the shared
// reference folder beside the repository, when it is there.
func jsonapiSchema(t *testing.T) *jsonschema.Schema {
	schemaOnce.Do(func() {
		path, err := filepath.Abs("../../shared/reference/jsonapi-1.0.schema.json")
		if err != nil {
			return
		}
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatalf("JSON:API schema: %v", err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("jsonapi.json", doc); err != nil {
			t.Fatalf("JSON:API schema: %v", err)
		}
		schema, err = c.Compile("jsonapi.json")
		if err != nil {
			t.Fatalf("JSON:API schema: %v", err)
		}
	})
	return schema
}

// checkDocument asserts the JSON:API rules every response must keep:
// Content-Type, top-level members, status strings, unique (type, id),
// full linkage of included resources, absolute links on base, and (when the
// reference is beside the repository) the official JSON Schema.
func checkDocument(t *testing.T, base, what string, r *response) {
	t.Helper()
	if r.status == http.StatusNoContent {
		if len(r.body) != 0 {
			t.Errorf("%s: 204 with a body", what)
		}
		return
	}
	if !strings.HasPrefix(what, "GET /healthz") && !strings.HasPrefix(what, "GET /readyz") {
		if ct := r.header.Get("Content-Type"); ct != serializers.MediaType {
			t.Errorf("%s: Content-Type %q, want %q", what, ct, serializers.MediaType)
		}
	} else {
		return
	}
	if r.doc == nil {
		t.Fatalf("%s: empty body with status %d", what, r.status)
	}
	_, hasData := r.doc["data"]
	_, hasErrors := r.doc["errors"]
	_, hasIncluded := r.doc["included"]
	if hasData == hasErrors {
		t.Errorf("%s: a document has exactly one of data and errors:\n%s", what, r.body)
	}
	if hasIncluded && !hasData {
		t.Errorf("%s: included without data", what)
	}
	if hasErrors {
		if r.status < 400 {
			t.Errorf("%s: errors with status %d", what, r.status)
		}
		for _, e := range r.doc["errors"].([]any) {
			obj := e.(map[string]any)
			status, ok := obj["status"].(string)
			if !ok {
				t.Errorf("%s: error status must be a string: %v", what, obj)
				continue
			}
			if len(r.doc["errors"].([]any)) == 1 && status != strconv.Itoa(r.status) {
				t.Errorf("%s: error status %s on an HTTP %d", what, status, r.status)
			}
			for _, member := range []string{"code", "title", "detail"} {
				if _, ok := obj[member].(string); !ok {
					t.Errorf("%s: error without %s: %v", what, member, obj)
				}
			}
		}
	}
	if hasData {
		checkResources(t, base, what, r.doc)
	}
	if s := jsonapiSchema(t); s != nil {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s: not valid against the JSON:API schema: %v\n%s", what, err, r.body)
		}
	}
}

type key struct{ typ, id string }

func checkResources(t *testing.T, base, what string, doc map[string]any) {
	t.Helper()
	var primary []map[string]any
	switch d := doc["data"].(type) {
	case map[string]any:
		primary = []map[string]any{d}
	case []any:
		for _, x := range d {
			primary = append(primary, x.(map[string]any))
		}
	}
	var included []map[string]any
	if inc, ok := doc["included"].([]any); ok {
		for _, x := range inc {
			included = append(included, x.(map[string]any))
		}
	}
	seen := map[key]map[string]any{}
	for _, res := range append(append([]map[string]any{}, primary...), included...) {
		k := key{fmt.Sprint(res["type"]), fmt.Sprint(res["id"])}
		if _, dup := seen[k]; dup {
			t.Errorf("%s: %v appears twice in data and included", what, k)
		}
		seen[k] = res
		if _, isResource := res["attributes"]; !isResource {
			continue // resource identifiers (relationship endpoints)
		}
		links, _ := res["links"].(map[string]any)
		self, _ := links["self"].(string)
		if !strings.HasPrefix(self, base+"/api/") {
			t.Errorf("%s: %v has no absolute links.self: %v", what, k, links)
		}
		meta, _ := res["meta"].(map[string]any)
		if meta["mode"] == nil || meta["organization_id"] == nil {
			t.Errorf("%s: %v has no meta.mode and meta.organization_id", what, k)
		}
		rels, _ := res["relationships"].(map[string]any)
		for name, r := range rels {
			rl := r.(map[string]any)["links"].(map[string]any)
			if rl["self"] != self+"/relationships/"+name || rl["related"] != self+"/"+name {
				t.Errorf("%s: %v relationship %s has wrong links %v", what, k, name, rl)
			}
		}
	}
	// Full linkage: every included resource is reached from primary data.
	reached := map[key]bool{}
	var walk func(res map[string]any)
	walk = func(res map[string]any) {
		rels, _ := res["relationships"].(map[string]any)
		for _, r := range rels {
			var ids []any
			switch d := r.(map[string]any)["data"].(type) {
			case map[string]any:
				ids = []any{d}
			case []any:
				ids = d
			}
			for _, x := range ids {
				m := x.(map[string]any)
				k := key{fmt.Sprint(m["type"]), fmt.Sprint(m["id"])}
				if reached[k] {
					continue
				}
				reached[k] = true
				if target, ok := seen[k]; ok {
					walk(target)
				}
			}
		}
	}
	for _, p := range primary {
		walk(p)
	}
	for _, inc := range included {
		k := key{fmt.Sprint(inc["type"]), fmt.Sprint(inc["id"])}
		if !reached[k] {
			t.Errorf("%s: included %v is not reached from primary data (full linkage)", what, k)
		}
	}
}

// contract is the OpenAPI document generated from the registry the
// harness serves, and a validator for it.
type contract struct {
	// mu makes validations take turns: libopenapi (v0.36) renders the
	// document's shared schema nodes in place while validating, which
	// races between parallel tests.
	mu        sync.Mutex
	validator validator.Validator
	// errorDocument is the document's error schema, for the answers to
	// requests that match no operation (404 ROUTE_NOT_FOUND, 405).
	errorDocument *jsonschema.Schema
	// filters checks `filter[q][…]`, which the validator does not read.
	filters *filterQueries
}

var (
	contractOnce sync.Once
	apiContract  *contract
	contractErr  error
)

// loadContract generates the OpenAPI document of resources.Default() (the
// registry newEnv serves) and builds a validator for it, once. (The
// openapi package's tests check the document itself against OpenAPI 3.1.)
func loadContract() (*contract, error) {
	contractOnce.Do(func() {
		spec, err := openapi.JSON(resources.Default(), openapi.Options{ServerURL: testBaseURL})
		if err != nil {
			contractErr = err
			return
		}
		doc, err := libopenapi.NewDocument(spec)
		if err != nil {
			contractErr = err
			return
		}
		schemas := &lazySchemas{}
		schemas.building.Store(true)
		v, errs := validator.NewValidator(doc, config.WithSchemaCache(schemas))
		schemas.building.Store(false)
		if len(errs) > 0 {
			contractErr = fmt.Errorf("OpenAPI validator: %v", errs)
			return
		}
		raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec))
		if err != nil {
			contractErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("openapi.json", raw); err != nil {
			contractErr = err
			return
		}
		errSchema, err := c.Compile("openapi.json#/components/schemas/errorResponse")
		if err != nil {
			contractErr = err
			return
		}
		filters, err := newFilterQueries(spec, c)
		if err != nil {
			contractErr = err
			return
		}
		apiContract = &contract{validator: v, errorDocument: errSchema, filters: filters}
	})
	return apiContract, contractErr
}

// lazySchemas is the validator's schema cache, filled as validations need
// schemas: NewValidator's warm-up would render and compile every schema of
// the document, in one goroutine that every test waits for (15 s of CPU
// under -race), though the tests use a part of them. While building is
// set it claims to hold every schema, without an entry, so the warm-up
// skips them all; a validation that finds no entry compiles the schema
// and stores it, as it does on any miss.
type lazySchemas struct {
	building atomic.Bool
	m        sync.Map // uint64 → *cache.SchemaCacheEntry
}

func (c *lazySchemas) Load(key uint64) (*cache.SchemaCacheEntry, bool) {
	if c.building.Load() {
		return nil, true
	}
	v, ok := c.m.Load(key)
	if !ok {
		return nil, false
	}
	return v.(*cache.SchemaCacheEntry), true
}

func (c *lazySchemas) Store(key uint64, value *cache.SchemaCacheEntry) { c.m.Store(key, value) }

func (c *lazySchemas) Range(f func(key uint64, value *cache.SchemaCacheEntry) bool) {
	c.m.Range(func(k, v any) bool { return f(k.(uint64), v.(*cache.SchemaCacheEntry)) })
}

// checkContract holds an exchange to the OpenAPI document: a request the
// document refuses must be refused by the server too (4xx), filters
// included (filterQueries), and every
// response must be one the document declares for its operation, status and
// content type, with a body valid against its schema. Answers to requests
// that match no operation must be the document's error document.
func checkContract(t *testing.T, req *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("OpenAPI contract: %v", err)
	}
	what := req.Method + " " + req.URL.RequestURI()
	fresh := func() *http.Request {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		return r
	}
	status := rec.Code
	c.mu.Lock()
	defer c.mu.Unlock()
	requestOK, requestProblems := c.validator.ValidateHttpRequest(fresh())
	documented := true
	for _, p := range requestProblems {
		if p.IsPathMissingError() || p.IsOperationMissingError() {
			documented = false
		}
	}
	// The server has no route: 404 ROUTE_NOT_FOUND or 405. The validator
	// forgives a trailing slash; the router does not.
	routed := status != http.StatusMethodNotAllowed && !(status == http.StatusNotFound && bytes.Contains(rec.Body.Bytes(), []byte(`"ROUTE_NOT_FOUND"`)))
	switch {
	case documented && !routed && !strings.HasSuffix(req.URL.Path, "/"):
		t.Errorf("%s: the OpenAPI document has this operation, but the server has no route for it (%d)", what, status)
		return
	case !documented && routed:
		t.Errorf("%s: the server answered %d to an operation the OpenAPI document does not have", what, status)
		return
	case !routed:
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Errorf("%s: %d without a JSON error document: %v", what, status, err)
			return
		}
		if err := c.errorDocument.Validate(inst); err != nil {
			t.Errorf("%s: the %d answer is not the document's errorResponse: %v", what, status, err)
		}
		return
	}
	if !requestOK && status < 400 {
		t.Errorf("%s: the server answered %d to a request the OpenAPI document refuses:\n%s", what, status, problemList(requestProblems))
	}
	if problem, err := c.filters.check(req, status, rec.Body.Bytes()); err != nil {
		t.Errorf("%s: the filter schema: %v", what, err)
	} else if problem != "" {
		t.Errorf("%s: %s", what, problem)
	}
	resp := rec.Result()
	if ok, problems := c.validator.ValidateHttpResponse(fresh(), resp); !ok {
		t.Errorf("%s: the %d response does not match the OpenAPI document:\n%s\n%s", what, status, problemList(problems), rec.Body.Bytes())
	}
}

func problemList(problems []*validationerrors.ValidationError) string {
	var b strings.Builder
	for _, p := range problems {
		fmt.Fprintf(&b, "  - %s", p.Message)
		if p.Reason != "" {
			fmt.Fprintf(&b, ": %s", p.Reason)
		}
		for _, f := range p.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s at %s", f.Reason, f.FieldPath)
		}
		b.WriteString("\n")
	}
	return b.String()
}
