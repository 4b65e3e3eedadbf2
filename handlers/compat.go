package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// The checkout facades (docs/checkout-apis.md) serve four hosted-checkout
// APIs' wire formats over checkout_sessions: each turns a request into
// one engine batch (orders, line items, a session…) and renders its answer
// from those resources. They keep no state and no rules of their own.

// compatErrors writes an error in a facade's format: list is nil for an
// internal error (a generic 500).
type compatErrors func(c *gin.Context, status int, list errs.List)

const (
	compatErrorsKey = "kasse.compat.errors"
	// compatKeyKey holds the facade's idempotency-key rule (compatKeyRule).
	compatKeyKey = "kasse.compat.key"
)

// compatKeyRule is a facade's Idempotency-Key rule.
type compatKeyRule struct {
	required bool
	maxLen   int // longer than MaxIdempotencyKeyLength: kept as its digest
}

// compatErrorsOf is the facade error format the request answers in, or nil.
func compatErrorsOf(c *gin.Context) compatErrors {
	v, ok := c.Get(compatErrorsKey)
	if !ok {
		return nil
	}
	f, _ := v.(compatErrors)
	return f
}

// compatFormat makes the rest of the chain answer errors in f's format.
func compatFormat(f compatErrors) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(compatErrorsKey, f)
		c.Next()
	}
}

// compatKey sets the facade's Idempotency-Key rule for Idempotent.
func compatKey(required bool, maxLen int) gin.HandlerFunc {
	rule := compatKeyRule{required: required, maxLen: maxLen}
	return func(c *gin.Context) {
		c.Set(compatKeyKey, rule)
		c.Next()
	}
}

func compatKeyOf(c *gin.Context) (compatKeyRule, bool) {
	v, ok := c.Get(compatKeyKey)
	rule, _ := v.(compatKeyRule)
	return rule, ok
}

// requireRole refuses a principal of another role with err.
func requireRole(a *api, role string, detail string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); p == nil || p.Role != role {
			a.fail(c, errs.New(errs.Unauthorized, "%s", detail))
			return
		}
		c.Next()
	}
}

// apiKeyAuth authenticates the checkout links facade's X-API-KEY and
// X-API-SECRET: an integration application's client id and secret.
func (a *api) apiKeyAuth() gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := a.cfg.Auth.Client(c.Request.Context(), c.GetHeader("X-API-KEY"), c.GetHeader("X-API-SECRET"))
		if err != nil {
			a.fail(c, err)
			return
		}
		setPrincipal(c, p)
		c.Next()
	}
}

// compatRoutes mounts the facades cfg.Compat names (nil: all).
func (a *api) compatRoutes(r *gin.Engine) {
	if a.cfg.Checkout == nil {
		return
	}
	organizationID, _ := a.cfg.ResourceMeta["organization_id"].(string)
	idem := a.Idempotent(a.cfg.Idempotency, organizationID)
	on := func(name string) bool { return a.cfg.Compat == nil || slices.Contains(a.cfg.Compat, name) }
	if on(models.CompatCourses) {
		g := r.Group("/api/v1", compatFormat(coursesErrors), a.Authenticate(),
			requireRole(a, models.RoleCustomer, "a customer's access token is required (POST /oauth/token with grant_type=password)"), a.LimitAPI(), compatKey(false, 0), idem)
		g.POST("/checkout", a.coursesCheckout)
	}
	if on(models.CompatMobileMoney) {
		g := r.Group("/v1", compatFormat(mobileMoneyErrors), a.Authenticate(),
			requireRole(a, models.RoleIntegration, "an integration's access token is required"), a.LimitAPI(), compatKey(true, mobileMoneyMaxKey), idem)
		g.POST("/checkouts", a.mobileMoneyCreate)
		g.GET("/checkouts/:id", a.mobileMoneyGet)
	}
	if on(models.CompatSessions) {
		g := r.Group("/api/v1", compatFormat(sessionsErrors), a.Authenticate(),
			requireRole(a, models.RoleIntegration, "an integration's access token is required"), a.LimitAPI(), compatKey(true, 0), idem)
		g.POST("/sessions", a.sessionsCreate)
		g.GET("/sessions/:sessionId", a.sessionsGet)
	}
	if on(models.CompatLinks) {
		g := r.Group("/api", compatFormat(linksErrors), a.apiKeyAuth(), a.LimitAPI(), compatKey(false, 0), idem)
		g.POST("/checkout", a.linksCreate)
		g.GET("/checkout/:checkoutId", a.linksGet)
	}
}

// decodeCompat reads a facade's JSON body into dst (numbers as
// json.Number, unknown members ignored as those APIs do). A body that is
// not one JSON object is 400.
func (a *api) decodeCompat(c *gin.Context, dst any) bool {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		detail := "the body must be one JSON object"
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			detail = typeErr.Field + " must be " + jsonKind(typeErr.Type.Kind().String())
		}
		a.fail(c, errs.New(errs.BadRequest, "%s", detail))
		return false
	}
	if dec.More() {
		a.fail(c, errs.New(errs.BadRequest, "the body must be one JSON object"))
		return false
	}
	return true
}

// jsonKind names a Go kind as JSON does.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case kind == "slice":
		return "an array"
	}
	return "an object"
}

// attributes builds a request body's attributes from values (nil values
// are left out).
func attributes(values map[string]any) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		if v == nil {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			panic("handlers: attribute " + k + ": " + err.Error())
		}
		out[k] = raw
	}
	return out
}

// toOne is a to-one relationship body.
func toOne(typ, id string) serializers.RelationshipBody {
	raw, _ := json.Marshal(serializers.Identifier{Type: typ, ID: id})
	return serializers.RelationshipBody{Data: raw}
}

// op is an engine batch op of the registered type typ.
func (a *api) op(typ string, body func(ids []string) (*serializers.ResourceBody, error)) engine.Op {
	def, ok := a.cfg.Registry.Lookup(typ)
	if !ok {
		panic("handlers: no type " + typ)
	}
	return engine.Op{Def: def, Body: body}
}

// fixed is an op body that needs no earlier id.
func fixed(attrs map[string]any, rels map[string]serializers.RelationshipBody) func([]string) (*serializers.ResourceBody, error) {
	return func([]string) (*serializers.ResourceBody, error) {
		return &serializers.ResourceBody{Attributes: attributes(attrs), Relationships: rels}, nil
	}
}

// batch runs a facade's ops; a create that committed but whose follow-up
// failed still answers with what it created (it is logged).
func (a *api) batch(c *gin.Context, facade string, ops []engine.Op) ([]string, error) {
	ids, err := a.engine.Batch(models.WithCompat(c.Request.Context(), facade), principal(c), ops)
	var committed *engine.CommittedError
	if errors.As(err, &committed) {
		a.log.WarnContext(c.Request.Context(), "created, but its after-commit work failed", "request_id", RequestIDFrom(c.Request.Context()), "error", committed.Err.Error())
		err = nil
	}
	return ids, err
}

// created reads the session a facade's batch just created, for its
// answer (the batch's rules already let the caller create it).
func (a *api) created(c *gin.Context, ids []string) (*models.SessionView, error) {
	return a.cfg.Checkout.View(c.Request.Context(), ids[len(ids)-1])
}

// view reads a session a facade's GET renders (by id or uuid), once the
// engine's rules say the caller may read it.
func (a *api) view(c *gin.Context, id string) (*models.SessionView, error) {
	v, err := a.cfg.Checkout.View(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	def, _ := a.cfg.Registry.Lookup("checkout_sessions")
	if _, err := a.engine.Get(c.Request.Context(), principal(c), def, v.Session.ID, engine.Query{}); err != nil {
		return nil, errs.NotFound("checkout_sessions", id)
	}
	return v, nil
}

// checkoutURL is a session's page.
func (a *api) checkoutURL(s *models.CheckoutSession) string {
	return strings.TrimRight(a.cfg.BaseURL, "/") + models.CheckoutPath(s.Token)
}

// rfc3339 is a facade timestamp (UTC, seconds).
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfc3339OrNil(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := rfc3339(*t)
	return &s
}

// decimal is an amount in major units as a JSON number.
func decimal(cents int64, currency string) json.Number {
	return json.Number(models.Money{Cents: cents, Currency: currency}.Major())
}

// opFailure splits a batch error into the op that failed (-1: none) and
// its client errors.
func opFailure(err error) (int, errs.List, bool) {
	index := -1
	var failed *engine.OpError
	if errors.As(err, &failed) {
		index = failed.Index
	}
	list, ok := errs.As(err)
	return index, list, ok
}

// pointerName is the attribute or relationship a JSON:API pointer names
// ("/data/attributes/customer_phone" → customer_phone).
func pointerName(pointer string) string {
	i := strings.LastIndex(pointer, "/")
	return pointer[i+1:]
}

// details are the errors' details, in order: the messages of the
// facade formats that list them or join them.
func details(list errs.List) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Detail
	}
	return out
}

// createAmountSession runs an amount-only facade's create: the session's
// attributes (problems: what the facade's own reading refused), one op,
// errors named by fields. It answers the failures itself.
func (a *api) createAmountSession(c *gin.Context, facade string, attrs map[string]any, problems errs.List, fields map[string]string) (*models.SessionView, bool) {
	if len(problems) > 0 {
		a.fail(c, problems)
		return nil, false
	}
	ids, err := a.batch(c, facade, []engine.Op{a.op("checkout_sessions", fixed(attrs, nil))})
	if err != nil {
		a.fail(c, compatFields(err, fields, ""))
		return nil, false
	}
	v, err := a.created(c, ids)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return v, true
}
