package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/gin-gonic/gin"

	"kasse/auth"
	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/openapi"
	"kasse/serializers"
)

// DefaultBodyLimit is the largest request body accepted (1 MiB).
const DefaultBodyLimit = 1 << 20

// Pinger checks that a dependency answers (the database, for /readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config is what the router needs.
type Config struct {
	// Engine serves the registry's types (built by the caller over the
	// database, with its BaseURL and Payments set).
	Engine *engine.Engine
	// Database answers /readyz; nil reports the database unreachable.
	Database  Pinger
	Registry  *engine.Registry
	Auth      *auth.Service
	BaseURL   string // absolute origin used in every link
	Logger    *slog.Logger
	BodyLimit int64
	// ResourceMeta goes in every resource's meta (mode, organization_id).
	ResourceMeta map[string]any
	// Payments runs provider calls (nil: orders are placed unpaid and
	// payments cannot be authorized).
	Payments *models.Payments
	// Sandbox serves the sandbox gateway's 3DS page under /sandbox/.
	Sandbox http.Handler
	// Checkout runs the hosted checkout pages under /checkout/ (nil: no
	// pages; a session's checkout_url then answers 404).
	Checkout *models.CheckoutSessions
	// RateLimits are the request limits (zero values: none).
	RateLimits RateLimits
	// Metrics counts and times requests (nil: not measured).
	Metrics *Metrics
	// CORSOrigins are the origins whose browser pages may call the API
	// (none: no CORS).
	CORSOrigins []string
	// Idempotency keeps the answers to writes sent with an
	// Idempotency-Key.
	Idempotency *models.Idempotency
	// Compat names the checkout facades to mount (models.CompatFacades;
	// nil: all of them; empty: none). They need Checkout.
	Compat []string
}

// api serves the generic JSON:API endpoints.
type api struct {
	engine *engine.Engine
	cfg    Config
	log    *slog.Logger
	meta   serializers.ResourceMeta // cfg.ResourceMeta, encoded once
}

// NewRouter builds the HTTP handler: health probes, the token endpoint and
// its keys, the OpenAPI document (GET /openapi.json), and for every
// registered type its collection, resource, related and relationship
// endpoints.
func NewRouter(cfg Config) *gin.Engine {
	if cfg.Engine == nil || cfg.Registry == nil || cfg.Auth == nil || cfg.Idempotency == nil {
		panic("handlers: Config needs an Engine, a Registry, Auth and Idempotency")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	meta, err := serializers.NewResourceMeta(cfg.ResourceMeta)
	if err != nil {
		panic("handlers: Config.ResourceMeta: " + err.Error())
	}
	a := &api{engine: cfg.Engine, cfg: cfg, log: cfg.Logger, meta: meta}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	_ = r.SetTrustedProxies(nil) // no proxy is trusted unless configured
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(RequestID(), AccessLog(cfg.Logger), Recovery(cfg.Logger), SecurityHeaders(cfg.BaseURL), BodyLimit(cfg.BodyLimit))
	if cfg.Metrics != nil {
		r.Use(cfg.Metrics.middleware())
	}
	if len(cfg.CORSOrigins) > 0 {
		r.Use(CORS(cfg.CORSOrigins))
	}
	r.NoRoute(func(c *gin.Context) {
		fail(c, a.log, errs.New(errs.RouteNotFound, "no route matches %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		fail(c, a.log, errs.New(errs.MethodNotAllowed, "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		if cfg.Database == nil || cfg.Database.Ping(c.Request.Context()) != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
	})

	r.POST("/oauth/token", a.token)
	r.POST("/oauth/revoke", a.revoke)
	r.POST("/webhooks/payment_gateways/:id", a.gatewayWebhook)
	if cfg.Sandbox != nil {
		r.Any("/sandbox/*path", HTMLPage(), gin.WrapH(cfg.Sandbox))
	}
	a.checkoutRoutes(r)
	a.compatRoutes(r)
	r.GET("/.well-known/jwks.json", func(c *gin.Context) { c.JSON(http.StatusOK, cfg.Auth.JWKS()) })
	// The document is built on first request: building it at start-up
	// would slow every start (and every test router) for a page few read.
	spec := sync.OnceValue(func() []byte { return openAPIDocument(cfg) })
	r.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", spec()) })

	organizationID, _ := cfg.ResourceMeta["organization_id"].(string)
	apiGroup := r.Group("/api", Negotiate(cfg.Logger), a.Authenticate(), a.LimitAPI(), a.Idempotent(cfg.Idempotency, organizationID))
	for _, def := range cfg.Registry.All() {
		a.routes(apiGroup, def)
	}
	return r
}

// openAPIDocument is the OpenAPI document of the registry served, naming
// this server's origin. A registry that cannot be described is a
// programming error, found at start-up.
func openAPIDocument(cfg Config) []byte {
	compat := cfg.Compat
	if cfg.Checkout == nil {
		compat = []string{} // no pages: no facades
	}
	spec, err := openapi.JSON(cfg.Registry, openapi.Options{ServerURL: cfg.BaseURL, Compat: compat})
	if err != nil {
		panic("OpenAPI document: " + err.Error())
	}
	return spec
}

func (a *api) routes(g *gin.RouterGroup, def *engine.Definition) {
	base := "/" + def.Type
	if def.Actions.Singleton {
		g.GET(base, a.showSingleton(def))
	}
	if def.Actions.List {
		g.GET(base, a.list(def))
	}
	if def.Actions.Create {
		g.POST(base, a.create(def))
	}
	if def.Actions.Retrieve {
		g.GET(base+"/:id", a.show(def))
	}
	if def.Actions.Update {
		g.PATCH(base+"/:id", a.update(def))
	}
	if def.Actions.Delete {
		g.DELETE(base+"/:id", a.destroy(def))
	}
	for _, rel := range def.Relationships {
		g.GET(base+"/:id/"+rel.Name, a.related(def, rel))
		g.GET(base+"/:id/relationships/"+rel.Name, a.linkage(def, rel))
		if rel.ToMany {
			g.PATCH(base+"/:id/relationships/"+rel.Name, a.changeToMany(def, rel))
			g.POST(base+"/:id/relationships/"+rel.Name, a.changeToMany(def, rel))
			g.DELETE(base+"/:id/relationships/"+rel.Name, a.changeToMany(def, rel))
		} else {
			g.PATCH(base+"/:id/relationships/"+rel.Name, a.setToOne(def, rel))
		}
	}
}

// mediaTypeHeader is the Content-Type of every document, shared (see
// SecurityHeaders).
var mediaTypeHeader = []string{serializers.MediaType}

// documentBuffers hold encoded documents between requests; one that grew
// past maxPooledDocument is left to the collector.
var documentBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledDocument = 1 << 20

// write sends a JSON:API document, encoded into a pooled buffer.
func write(c *gin.Context, status int, doc *serializers.Document) {
	buf := documentBuffers.Get().(*[]byte)
	out, err := doc.AppendJSON((*buf)[:0])
	if err != nil {
		panic(err) // a value JSON cannot hold (NaN): a bug, answered 500
	}
	h := c.Writer.Header()
	h["Content-Type"] = mediaTypeHeader
	c.Status(status)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		c.Writer.WriteHeaderNow()
	} else {
		_, _ = c.Writer.Write(out) // a client gone away is nobody's to answer
	}
	if cap(out) <= maxPooledDocument {
		*buf = out
		documentBuffers.Put(buf)
	}
}

func (a *api) fail(c *gin.Context, err error) { fail(c, a.log, err) }

// requestURL is the absolute URL of the request, on the configured origin.
func (a *api) requestURL(c *gin.Context) *url.URL {
	u, err := url.Parse(a.cfg.BaseURL + c.Request.URL.RequestURI())
	if err != nil {
		return &url.URL{Path: c.Request.URL.Path}
	}
	return u
}

// query parses and checks the query parameters against def.
func (a *api) query(c *gin.Context, def *engine.Definition) (serializers.Params, engine.Query, bool) {
	params, err := serializers.ParseParams(c.Request.URL.Query())
	if err != nil {
		a.fail(c, err)
		return params, engine.Query{}, false
	}
	q, err := a.cfg.Registry.Compile(def, params)
	if err != nil {
		a.fail(c, err)
		return params, q, false
	}
	return params, q, true
}

func (a *api) options(params serializers.Params, q engine.Query) serializers.Options {
	return serializers.Options{BaseURL: a.cfg.BaseURL, Include: q.Include, HasInclude: params.HasInclude, Fields: params.Fields, ResourceMeta: a.meta}
}

func (a *api) body(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return body, true
}

func (a *api) list(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, q, ok := a.query(c, def)
		if !ok {
			return
		}
		nodes, count, err := a.engine.List(c.Request.Context(), principal(c), def, q)
		a.renderList(c, params, q, nodes, count, err)
	}
}

func (a *api) renderList(c *gin.Context, params serializers.Params, q engine.Query, nodes []*serializers.Node, count engine.Count, err error) {
	if err != nil {
		a.fail(c, err)
		return
	}
	doc, err := serializers.Many(nodes, serializers.ListMeta{RecordCount: count.Records, Estimated: !count.Exact, Page: q.Page, URL: a.requestURL(c)}, a.options(params, q))
	if err != nil {
		a.fail(c, err)
		return
	}
	write(c, http.StatusOK, doc)
}

// renderOne answers with one resource: as p may retrieve it (200), or as
// p just wrote it (201 and 200 after writes).
func (a *api) renderOne(c *gin.Context, status int, def *engine.Definition, id string, params serializers.Params, q engine.Query, written bool) {
	get := a.engine.Get
	if written {
		get = a.engine.GetWritten
	}
	node, err := get(c.Request.Context(), principal(c), def, id, q)
	if err != nil {
		a.fail(c, err)
		return
	}
	doc, err := serializers.One(node, a.options(params, q))
	if err != nil {
		a.fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", serializers.SelfLink(a.cfg.BaseURL, def.Type, id))
	}
	write(c, status, doc)
}

func (a *api) show(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, q, ok := a.query(c, def)
		if !ok {
			return
		}
		a.renderOne(c, http.StatusOK, def, c.Param("id"), params, q, false)
	}
}

// showSingleton serves GET /api/{type} of a singleton type: its one row.
func (a *api) showSingleton(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, q, ok := a.query(c, def)
		if !ok {
			return
		}
		node, err := a.engine.GetSingleton(c.Request.Context(), principal(c), def, q)
		a.renderRelatedOne(c, params, q, node, err)
	}
}

func (a *api) create(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, q, ok := a.query(c, def)
		if !ok {
			return
		}
		raw, ok := a.body(c)
		if !ok {
			return
		}
		body, err := serializers.DecodeResource(raw)
		if err != nil {
			a.fail(c, err)
			return
		}
		id, err := a.engine.Create(c.Request.Context(), principal(c), def, body)
		var committed *engine.CommittedError
		if errors.As(err, &committed) {
			// Created: answer with the resource, whose state tells what
			// the failed follow-up left to settle.
			a.log.WarnContext(c.Request.Context(), "created, but its after-commit work failed", slog.String("request_id", RequestIDFrom(c.Request.Context())),
				slog.String("type", def.Type), slog.String("id", id), slog.String("error", committed.Err.Error()))
			err = nil
		}
		if err != nil {
			a.fail(c, err)
			return
		}
		a.renderOne(c, http.StatusCreated, def, id, params, q, true)
	}
}

func (a *api) update(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, q, ok := a.query(c, def)
		if !ok {
			return
		}
		raw, ok := a.body(c)
		if !ok {
			return
		}
		body, err := serializers.DecodeResource(raw)
		if err != nil {
			a.fail(c, err)
			return
		}
		id := c.Param("id")
		if err := a.engine.Update(c.Request.Context(), principal(c), def, id, body); err != nil {
			a.fail(c, err)
			return
		}
		a.renderOne(c, http.StatusOK, def, id, params, q, true)
	}
}

func (a *api) destroy(def *engine.Definition) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.engine.Delete(c.Request.Context(), principal(c), def, c.Param("id")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// related serves GET /api/{type}/{id}/{relationship}: the related resource,
// or a paginated, filterable list of them.
func (a *api) related(def *engine.Definition, rel *engine.Relationship) gin.HandlerFunc {
	if len(rel.Polymorphic) > 0 {
		return a.relatedPolymorphic(def, rel)
	}
	target, _ := a.cfg.Registry.Lookup(rel.Target)
	return func(c *gin.Context) {
		params, q, ok := a.query(c, target)
		if !ok {
			return
		}
		cond, err := a.engine.RelatedScope(c.Request.Context(), principal(c), def, c.Param("id"), rel)
		if err != nil {
			a.fail(c, err)
			return
		}
		if rel.ToMany {
			nodes, count, err := a.engine.ListRelated(c.Request.Context(), principal(c), target, q, cond)
			a.renderList(c, params, q, nodes, count, err)
			return
		}
		var node *serializers.Node
		if cond != nil { // the resource cond selects on target; nil: the relationship is empty
			node, err = a.engine.OneRelated(c.Request.Context(), principal(c), target, q, cond)
		}
		a.renderRelatedOne(c, params, q, node, err)
	}
}

// renderRelatedOne answers a to-one related endpoint with node (nil: data
// null, as for an empty relationship or one pointing to what the caller
// may not see), or the error reading it.
func (a *api) renderRelatedOne(c *gin.Context, params serializers.Params, q engine.Query, node *serializers.Node, err error) {
	if err != nil {
		a.fail(c, err)
		return
	}
	doc, err := serializers.One(node, a.options(params, q))
	if err != nil {
		a.fail(c, err)
		return
	}
	write(c, http.StatusOK, doc)
}

// relatedPolymorphic serves the related endpoint of a polymorphic to-one
// (an order's payment_source): the query is checked against the type the
// relationship points to now.
func (a *api) relatedPolymorphic(def *engine.Definition, rel *engine.Relationship) gin.HandlerFunc {
	return func(c *gin.Context) {
		params, err := serializers.ParseParams(c.Request.URL.Query())
		if err != nil {
			a.fail(c, err)
			return
		}
		target, cond, err := a.engine.PolymorphicTarget(c.Request.Context(), principal(c), def, c.Param("id"), rel)
		if err != nil {
			a.fail(c, err)
			return
		}
		q := engine.Query{}
		if target != nil {
			if q, err = a.cfg.Registry.Compile(target, params); err != nil {
				a.fail(c, err)
				return
			}
		}
		var node *serializers.Node
		if cond != nil { // the resource cond selects on target; nil: the relationship is empty
			node, err = a.engine.OneRelated(c.Request.Context(), principal(c), target, q, cond)
		}
		a.renderRelatedOne(c, params, q, node, err)
	}
}

// gatewayWebhook serves a payment gateway's webhook endpoint
// (webhook_endpoint_url): the signature is checked on the raw body by the
// gateway's adapter, and each event applied once.
func (a *api) gatewayWebhook(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return
	}
	res, err := a.cfg.Payments.HandleWebhook(c.Request.Context(), c.Param("id"), c.Request.Header, body)
	var refused *models.WebhookRefusedError
	switch {
	case errors.Is(err, models.ErrNoWebhookHere):
		a.fail(c, errs.New(errs.RouteNotFound, "no payment gateway webhook here"))
	case errors.As(err, &refused):
		a.log.WarnContext(c.Request.Context(), "gateway webhook refused", "request_id", RequestIDFrom(c.Request.Context()), "gateway", refused.GatewayID, "reason", refused.Err.Error())
		c.JSON(http.StatusUnauthorized, gin.H{"error": "invalid_signature"})
	case err != nil:
		a.fail(c, err)
	default:
		c.JSON(http.StatusOK, gin.H{"received": true, "duplicate": res.Duplicate})
	}
}

func (a *api) relationshipLinks(def *engine.Definition, id string, rel *engine.Relationship) (string, string) {
	self := serializers.SelfLink(a.cfg.BaseURL, def.Type, id)
	return self + "/relationships/" + rel.Name, self + "/" + rel.Name
}

// linkage serves GET /api/{type}/{id}/relationships/{relationship}.
func (a *api) linkage(def *engine.Definition, rel *engine.Relationship) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := serializers.ParseParams(c.Request.URL.Query()); err != nil {
			a.fail(c, err)
			return
		}
		id := c.Param("id")
		ids, err := a.engine.Linkage(c.Request.Context(), principal(c), def, id, rel)
		if err != nil {
			a.fail(c, err)
			return
		}
		self, related := a.relationshipLinks(def, id, rel)
		write(c, http.StatusOK, serializers.LinkageDocument(ids, rel.ToMany, self, related))
	}
}

// setToOne serves PATCH on a to-one relationship endpoint.
func (a *api) setToOne(def *engine.Definition, rel *engine.Relationship) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw, ok := a.body(c)
		if !ok {
			return
		}
		body, err := serializers.DecodeRelationship(raw)
		if err != nil {
			a.fail(c, err)
			return
		}
		if err := a.engine.SetToOne(c.Request.Context(), principal(c), def, c.Param("id"), rel, body); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// changeToMany serves PATCH/POST/DELETE on a to-many relationship endpoint.
// Kasse's to-many relationships are owned by the related resources, so
// they are changed there: the spec's 403 for an unsupported change.
func (a *api) changeToMany(def *engine.Definition, rel *engine.Relationship) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := a.engine.Linkage(c.Request.Context(), principal(c), def, c.Param("id"), rel); err != nil {
			a.fail(c, err)
			return
		}
		a.fail(c, engine.ErrToManyReadOnly(def, rel))
	}
}
