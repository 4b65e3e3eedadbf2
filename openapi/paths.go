package openapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"kasse/auth"
	"kasse/engine"
	"kasse/serializers"
)

// jsonAPI is the media type of every /api body.
const jsonAPI = serializers.MediaType

// The error statuses operations answer with, and the component names of
// their responses.
var errorResponses = map[int]string{
	http.StatusBadRequest:            "badRequest",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "notFound",
	http.StatusNotAcceptable:         "notAcceptable",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "requestEntityTooLarge",
	http.StatusUnsupportedMediaType:  "unsupportedMediaType",
	http.StatusUnprocessableEntity:   "unprocessableEntity",
}

// errorDescriptions say when each status happens.
var errorDescriptions = map[int]string{
	http.StatusBadRequest:            "The query parameters or the body are malformed or name what does not exist; errors of several 4xx statuses together are a 400 too.",
	http.StatusUnauthorized:          "No token, or an invalid, expired or revoked one (INVALID_TOKEN: get a new token), or an action the token's role may never take on this type.",
	http.StatusForbidden:             "An action JSON:API allows but Kasse refuses: client-generated ids, or a change through a relationship endpoint that Kasse makes through the related resources.",
	http.StatusNotFound:              "No such resource, or one the token may not see (never 403: ids cannot be probed).",
	http.StatusNotAcceptable:         "The Accept header does not allow application/vnd.api+json without parameters.",
	http.StatusConflict:              "The body's type, or a relationship's type, is not the one the endpoint or the relationship takes; or a request with the same Idempotency-Key is still running (retry after Retry-After seconds).",
	http.StatusRequestEntityTooLarge: "The body is larger than the server's limit (1 MiB by default).",
	http.StatusUnsupportedMediaType:  "The body is not sent as application/vnd.api+json, or with media type parameters other than profile.",
	http.StatusUnprocessableEntity:   "The body is well-formed but breaks a rule: a missing required value, an unknown enum value, a taken code, a trigger not allowed in the resource's state.",
}

// common registers the shared headers, error responses and security schemes.
func (g *generator) common() {
	c := &g.doc.Components
	c.Headers["X-Request-Id"] = &Header{Description: "The request's id (the client's X-Request-Id when it is 1 to 128 of A-Z a-z 0-9 . _ : -, a new one otherwise); the server's logs name it.", Schema: &Schema{Type: "string"}}
	c.Headers["Location"] = &Header{Description: "The new resource's absolute URL.", Schema: &Schema{Type: "string", Format: "uri"}}
	c.Headers["WWW-Authenticate"] = &Header{Description: `Bearer realm="kasse", with error="invalid_token" for a bad token.`, Schema: &Schema{Type: "string"}}
	for status, name := range errorResponses {
		var codes []string
		for _, code := range sortedCodes() {
			if code.Status() == status {
				codes = append(codes, string(code))
			}
		}
		desc := errorDescriptions[status]
		if len(codes) > 0 {
			desc += " Codes: " + strings.Join(codes, ", ") + "."
		}
		r := &Response{Description: desc, Headers: requestIDHeader(), Content: map[string]*MediaType{jsonAPI: {Schema: g.errorResponse()}}}
		if status == http.StatusUnauthorized {
			r.Headers["WWW-Authenticate"] = &Header{Ref: ref("headers", "WWW-Authenticate")}
		}
		c.Responses[name] = r
	}
	// Every operation answers 5xx the same way: one range response (500
	// included) instead of a 500 and a 5XX on each of them.
	var server []string
	for _, code := range sortedCodes() {
		if code.Status() >= 500 && code.Status() < 600 {
			server = append(server, fmt.Sprintf("%s (%d)", code, code.Status()))
		}
	}
	c.Responses[serverErrorRange] = &Response{Description: "Something went wrong on the server (500) or upstream of it (a payment provider that does not answer, a service that is unavailable); " +
		"the X-Request-Id header identifies the request in the server's logs. Codes: " + strings.Join(server, ", ") + ".",
		Headers: requestIDHeader(), Content: map[string]*MediaType{jsonAPI: {Schema: g.errorResponse()}}}
	tokenURL := g.server + "/oauth/token"
	c.SecuritySchemes = map[string]*SecurityScheme{
		"bearerAuth": {Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "An access token from POST /oauth/token: a JWT signed with a key published at /.well-known/jwks.json. Its application's kind (integration or sales_channel) and owner (a customer) decide what it may do."},
		"oauth2": {Type: "oauth2",
			Description: "The token endpoint's grants. A sales channel token needs a market scope (market:code:eu or market:id:<id>); the password grant signs a customer in with a sales channel client and also returns a refresh token (grant_type=refresh_token).",
			Flows: &OAuthFlows{
				ClientCredentials: &OAuthFlow{TokenURL: tokenURL, Scopes: map[string]string{}},
				Password:          &OAuthFlow{TokenURL: tokenURL, RefreshURL: tokenURL, Scopes: map[string]string{}},
			}},
		"clientSecretBasic": {Type: "http", Scheme: "basic",
			Description: "The token endpoint also takes client_id and client_secret as HTTP Basic credentials."},
	}
}

func requestIDHeader() map[string]*Header {
	return map[string]*Header{"X-Request-Id": {Ref: ref("headers", "X-Request-Id")}}
}

// serverErrorRange names the 5XX response component: every operation's
// answer to a 5xx status.
const serverErrorRange = "serverError"

// responses builds an operation's responses: the success ones given, a
// reference to the error response of each 4xx status, and the 5XX range.
func (g *generator) responses(success map[string]*Response, statuses ...int) map[string]*Response {
	out := map[string]*Response{}
	for code, r := range success {
		out[code] = r
	}
	for _, s := range statuses {
		out[strconv.Itoa(s)] = &Response{Ref: ref("responses", errorResponses[s])}
	}
	out["5XX"] = &Response{Ref: ref("responses", serverErrorRange)}
	return out
}

func ok(description string, schema *Schema) *Response {
	return &Response{Description: description, Headers: requestIDHeader(), Content: map[string]*MediaType{jsonAPI: {Schema: schema}}}
}

// sharedOK is a 200 response with schema, registered once under the
// schema's component name, so every operation answering with that schema
// refers to one response.
func (g *generator) sharedOK(description string, schema *Schema) *Response {
	name := strings.TrimPrefix(schema.Ref, "#/components/schemas/")
	if name == schema.Ref {
		return ok(description, schema)
	}
	if _, done := g.doc.Components.Responses[name]; !done {
		g.doc.Components.Responses[name] = ok(description, schema)
	}
	return &Response{Ref: ref("responses", name)}
}

func noContent(description string) *Response {
	return &Response{Description: description, Headers: requestIDHeader()}
}

// jsonAPIBody is a request body: a JSON:API document, which Kasse also
// reads when sent as application/json (what generic HTTP clients send).
func jsonAPIBody(description string, schema *Schema) *RequestBody {
	return &RequestBody{Description: description, Required: true, Content: map[string]*MediaType{jsonAPI: {Schema: schema}, "application/json": {Schema: schema}}}
}

// The statuses each kind of operation can answer with besides success.
var (
	readStatuses   = []int{400, 401, 404, 406}
	listStatuses   = []int{400, 401, 406}
	createStatuses = []int{400, 401, 403, 404, 406, 409, 413, 415, 422}
	updateStatuses = []int{400, 401, 404, 406, 409, 413, 415, 422}
	deleteStatuses = []int{401, 404, 406, 415, 422}
	// A to-one relationship PATCH: a read-only relationship is refused
	// with 403 before anything else.
	setToOneStatuses     = []int{400, 401, 404, 406, 409, 413, 415, 422}
	readOnlyToOne        = []int{400, 401, 403, 406, 413, 415}
	toManyChangeStatuses = []int{401, 403, 404, 406, 415}
)

// param returns a reference to a component parameter, registering it the
// first time.
func (g *generator) param(name string, build func() *Parameter) *Parameter {
	if _, ok := g.doc.Components.Parameters[name]; !ok {
		g.doc.Components.Parameters[name] = build()
	}
	return &Parameter{Ref: ref("parameters", name)}
}

func (g *generator) includeParam(def *engine.Definition) *Parameter {
	return g.param(SchemaName(def.Type)+"Include", func() *Parameter {
		desc := fmt.Sprintf("Related resources to add to `included`: a comma-separated list of at most %d relationship paths, dot-joined up to %d deep; "+
			"the pattern accepts exactly the paths %s takes. An unknown path is 400 INVALID_INCLUDE. "+
			"When include is given (even empty), `included` is present.", serializers.MaxIncludes, maxIncludeDepth, def.Type)
		if len(def.Relationships) == 0 {
			desc = def.Type + " has no relationships: include may only be empty."
		}
		return &Parameter{Name: "include", In: "query", Description: desc,
			Schema: &Schema{Type: "string", Pattern: includePattern(g.reg, def)}}
	})
}

// fieldsParam is the `fields` parameter every operation that answers with
// resources takes: sparse fieldsets, `fields[<type>]=a,b`, as one deep
// object whose properties are the registered types (the server takes any
// of them, in primary and included resources alike, and refuses others).
// One shared parameter, not one per type: the document names it once.
func (g *generator) fieldsParam() *Parameter {
	return g.param("fields", func() *Parameter {
		return &Parameter{Name: "fields", In: "query", Style: "deepObject", Explode: true, AllowReserved: true,
			Description: "Sparse fieldsets: `fields[<type>]=a,b` keeps only those attributes and relationships of that type, comma-separated " +
				"(empty keeps none), in primary and included resources alike. Each type's pattern lists its fields (write-only attributes are never shown). " +
				"An unknown type or field is 400 INVALID_FIELD.",
			Schema: g.schema("fieldsets", func() *Schema {
				props := map[string]*Schema{}
				for _, def := range g.defs {
					props[def.Type] = &Schema{Type: "string", Pattern: listPattern(FieldNames(def), "", true)}
				}
				return &Schema{Type: "object", Description: "The fields to show, per type.", Properties: props, AdditionalProperties: boolp(false)}
			})}
	})
}

func (g *generator) sortParam(def *engine.Definition) *Parameter {
	return g.param(SchemaName(def.Type)+"Sort", func() *Parameter {
		fields := SortFields(def)
		return &Parameter{Name: "sort", In: "query",
			Description: "Sort fields, comma-separated, each prefixed with - for descending: " + strings.Join(fields, ", ") + ". Without sort the order is created_at; id breaks ties. Anything else is 400 INVALID_SORT_CRITERIA.",
			Schema:      &Schema{Type: "string", Pattern: listPattern(fields, "-?", false)}, SortFields: fields}
	})
}

func (g *generator) pageParams() []*Parameter {
	number := g.param("pageNumber", func() *Parameter {
		return &Parameter{Name: "page[number]", In: "query", Description: "The page to return, from 1; a page past the last is an empty list. Not a positive integer: 400 INVALID_PAGE_VALUE.",
			Schema: &Schema{Type: "integer", Minimum: intp(1), Default: 1}}
	})
	size := g.param("pageSize", func() *Parameter {
		return &Parameter{Name: "page[size]", In: "query", Description: fmt.Sprintf("Resources per page, at most %d: otherwise 400 INVALID_PAGE_VALUE.", maxPageSize),
			Schema: &Schema{Type: "integer", Minimum: intp(1), Maximum: intp(maxPageSize), Default: defaultPageSize}}
	})
	return []*Parameter{number, size}
}

// filterParam is a list's `filter[q]` parameter: `filter[q][<name>_<predicate>]`
// as one deep object (what openapi-fetch and oapi-codegen's clients send
// by default), whose keys the {type}FilterQuery schema's patterns match
// exactly: every predicate of every filterable attribute.
func (g *generator) filterParam(def *engine.Definition) *Parameter {
	return g.param(SchemaName(def.Type)+"Filter", func() *Parameter {
		return &Parameter{Name: "filter[q]", In: "query", Style: "deepObject", Explode: true, AllowReserved: true,
			Description: predicateDescription(def.Type), Schema: g.filterSchema(def)}
	})
}

// listParams are a list operation's query parameters for def's resources.
func (g *generator) listParams(def *engine.Definition) []*Parameter {
	out := []*Parameter{g.includeParam(def), g.fieldsParam(), g.sortParam(def)}
	out = append(out, g.pageParams()...)
	return append(out, g.filterParam(def))
}

// oneParams are the query parameters of an operation that answers with
// one resource of def.
func (g *generator) oneParams(def *engine.Definition) []*Parameter {
	return []*Parameter{g.includeParam(def), g.fieldsParam()}
}

// idParam is the id in every /api/{type}/{id}… path: one shared parameter.
func (g *generator) idParam() *Parameter {
	return g.param("id", func() *Parameter {
		return &Parameter{Name: "id", In: "path", Required: true, Description: "The resource's id.", Schema: &Schema{Type: "string"}}
	})
}

func (g *generator) path(p string) *PathItem {
	item, ok := g.doc.Paths[p]
	if !ok {
		item = &PathItem{}
		g.doc.Paths[p] = item
	}
	return item
}

// typePaths adds the endpoints def offers: exactly the routes the router
// registers for it.
func (g *generator) typePaths(def *engine.Definition) {
	name, plural, one := SchemaName(def.Type), pascal(def.Type), singularWords(def.Type)
	tags := []string{def.Type}
	base := "/api/" + def.Type
	item := base + "/{id}"
	if def.Actions.Singleton {
		g.path(base).Get = &Operation{Tags: tags, OperationID: "retrieve" + upperFirst(name), Summary: "Retrieve the " + one,
			Description: "The one " + one + " of this installation. " + roles(def, engine.Retrieve),
			Parameters:  g.oneParams(def),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("The "+one+", as the token sees it.", g.response(def))}, readStatuses...)}
	}
	if def.Actions.List {
		g.path(base).Get = &Operation{Tags: tags, OperationID: "list" + plural, Summary: "List " + human(def.Type),
			Description: "A page of the " + human(def.Type) + " the token may see. " + roles(def, engine.List) + " Filters: see the filter parameter.",
			Parameters:  g.listParams(def),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("A page of "+human(def.Type)+".", g.responseList(def))}, listStatuses...)}
	}
	if def.Actions.Create {
		created := ok("The new "+one+", as the token that created it sees it.", g.response(def))
		created.Headers["Location"] = &Header{Ref: ref("headers", "Location")}
		g.path(base).Post = &Operation{Tags: tags, OperationID: "create" + upperFirst(name), Summary: "Create " + article(one),
			Description: roles(def, engine.Create),
			Parameters:  g.oneParams(def),
			RequestBody: jsonAPIBody("The "+one+" to create.", g.write(def, true)),
			Responses:   g.responses(map[string]*Response{"201": created}, createStatuses...)}
	}
	if def.Actions.Retrieve || def.Actions.Update || def.Actions.Delete || len(def.Relationships) > 0 {
		g.path(item).Parameters = []*Parameter{g.idParam()}
	}
	if def.Actions.Retrieve {
		opID := "retrieve" + upperFirst(name)
		if def.Actions.Singleton {
			opID += "ById"
		}
		g.path(item).Get = &Operation{Tags: tags, OperationID: opID, Summary: "Retrieve " + article(one),
			Description: roles(def, engine.Retrieve),
			Parameters:  g.oneParams(def),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("The "+one+", as the token sees it.", g.response(def))}, readStatuses...)}
	}
	if def.Actions.Update {
		g.path(item).Patch = &Operation{Tags: tags, OperationID: "update" + upperFirst(name), Summary: "Update " + article(one),
			Description: "Changes what the body sends, and runs the triggers it sends, in one transaction with the row locked. " + roles(def, engine.Update),
			Parameters:  g.oneParams(def),
			RequestBody: jsonAPIBody("What to change.", g.write(def, false)),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("The "+one+", as the token sees it.", g.response(def))}, updateStatuses...)}
	}
	if def.Actions.Delete {
		g.path(item).Delete = &Operation{Tags: tags, OperationID: "delete" + upperFirst(name), Summary: "Delete " + article(one),
			Description: roles(def, engine.Delete),
			Responses:   g.responses(map[string]*Response{"204": noContent("Deleted.")}, deleteStatuses...)}
	}
	for _, r := range def.Relationships {
		g.relationshipPaths(def, r)
	}
}

func (g *generator) relationshipPaths(def *engine.Definition, r *engine.Relationship) {
	target, _ := g.reg.Lookup(r.Target)
	name, relName, one := upperFirst(SchemaName(def.Type)), pascal(r.Name), singularWords(def.Type)
	tags := []string{def.Type}
	idParams := []*Parameter{g.idParam()}
	related := "/api/" + def.Type + "/{id}/" + r.Name
	linkage := "/api/" + def.Type + "/{id}/relationships/" + r.Name
	g.path(related).Parameters = idParams
	g.path(linkage).Parameters = idParams
	if r.ToMany {
		g.path(related).Get = &Operation{Tags: tags, OperationID: "list" + name + relName, Summary: "List the " + human(r.Name) + " of " + article(one),
			Description: "A page of the " + human(r.Name) + " (" + r.Target + ") of the " + one + ", as far as the token may see them; it takes the parameters of a list of " + r.Target + ", filters included.",
			Parameters:  g.listParams(target),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("A page of "+human(r.Target)+".", g.responseList(target))}, readStatuses...)}
	} else if len(r.Polymorphic) > 0 {
		include := &Parameter{Name: "include", In: "query", Schema: &Schema{Type: "string"},
			Description: "Related resources of the " + human(r.Name) + " to add to `included`, checked against the type it points to now (one of " + strings.Join(r.Polymorphic, ", ") + "); see that type's include parameter."}
		g.path(related).Get = &Operation{Tags: tags, OperationID: "retrieve" + name + relName, Summary: "Retrieve the " + human(r.Name) + " of " + article(one),
			Description: "The related resource, of one of " + strings.Join(r.Polymorphic, ", ") + ", or null when there is none.",
			Parameters:  []*Parameter{include, g.fieldsParam()},
			Responses:   g.responses(map[string]*Response{"200": ok("The related resource or null.", g.polymorphicResponse(def, r))}, readStatuses...)}
	} else {
		g.path(related).Get = &Operation{Tags: tags, OperationID: "retrieve" + name + relName, Summary: "Retrieve the " + human(r.Name) + " of " + article(one),
			Description: "The related " + singularWords(r.Target) + ", or null when there is none.",
			Parameters:  g.oneParams(target),
			Responses:   g.responses(map[string]*Response{"200": g.sharedOK("The related "+singularWords(r.Target)+" or null.", g.relatedResponse(target))}, readStatuses...)}
	}
	g.path(linkage).Get = &Operation{Tags: tags, OperationID: "retrieve" + name + relName + "Relationship", Summary: "Retrieve the linkage of the " + human(r.Name) + " of " + article(one),
		Description: "The identifiers the relationship holds, as far as the token may see them.",
		Responses:   g.responses(map[string]*Response{"200": g.sharedOK("The linkage.", g.linkageResponse(def, r))}, readStatuses...)}
	if r.ToMany {
		refused := "Always 403 FORBIDDEN once the " + one + " is found: " + r.Name + " are changed through the " + r.Target + " themselves."
		for _, m := range []struct {
			verb string
			op   **Operation
		}{{"replace", &g.path(linkage).Patch}, {"add", &g.path(linkage).Post}, {"remove", &g.path(linkage).Delete}} {
			*m.op = &Operation{Tags: tags, OperationID: m.verb + name + relName + "Relationship", Summary: upperFirst(m.verb) + " " + human(r.Name) + " of " + article(one) + " (refused)",
				Description: refused, Responses: g.responses(nil, toManyChangeStatuses...)}
		}
		return
	}
	op := &Operation{Tags: tags, OperationID: "update" + name + relName + "Relationship", Summary: "Set the " + human(r.Name) + " of " + article(one),
		RequestBody: jsonAPIBody("The new related resource, or null to clear it.", g.relationshipUpdate(def, r))}
	if r.Update && r.ForeignKey != "" {
		op.Description = "Points the " + one + " to another " + singularWords(r.Target) + " (null clears an optional relationship), as a PATCH of the " + one + " would. " + roles(def, engine.Update)
		op.Responses = g.responses(map[string]*Response{"204": noContent("Changed.")}, setToOneStatuses...)
	} else {
		op.Description = "Always 403 FORBIDDEN: " + r.Name + " cannot be changed once the " + one + " exists."
		op.Responses = g.responses(nil, readOnlyToOne...)
	}
	g.path(linkage).Patch = op
}

// servicePaths adds the endpoints outside /api: the token endpoint, the
// keys, the probes and this document.
func (g *generator) servicePaths() {
	none := &[]SecurityRequirement{}
	jsonContent := func(s *Schema) map[string]*MediaType { return map[string]*MediaType{"application/json": {Schema: s}} }
	tokenRequest := g.schema("tokenRequest", func() *Schema {
		str := func(d string) *Schema { return &Schema{Type: "string", Description: d} }
		return &Schema{Type: "object", Required: []string{"grant_type"}, Properties: map[string]*Schema{
			"grant_type":    {Type: "string", Enum: []any{auth.GrantClientCredentials, auth.GrantPassword, auth.GrantRefreshToken}},
			"client_id":     str("The application's client id (or send it with HTTP Basic)."),
			"client_secret": str("The application's secret; sales channels are public clients and send none."),
			"scope":         str("For sales channels: the market, market:code:<code> or market:id:<id>."),
			"username":      str("password grant: the customer's email."),
			"password":      {Type: "string", WriteOnly: true, Description: "password grant: the customer's password."},
			"refresh_token": str("refresh_token grant: the refresh token a password grant returned."),
		}}
	})
	tokenResponse := g.schema("tokenResponse", func() *Schema {
		return &Schema{Type: "object", Required: []string{"access_token", "token_type", "expires_in", "scope", "created_at"}, Properties: map[string]*Schema{
			"access_token":  {Type: "string", Description: "A JWT to send as Authorization: Bearer <access_token>."},
			"token_type":    {Type: "string", Const: "bearer"},
			"expires_in":    {Type: "integer", Description: "Seconds until it expires."},
			"scope":         {Type: "string"},
			"created_at":    {Type: "integer", Description: "Unix time."},
			"refresh_token": {Type: "string", Description: "password grant only: one use, returns a new one."},
			"owner_id":      {Type: "string", Description: "The signed-in customer's id."},
			"owner_type":    {Type: "string", Const: "customer"},
		}, AdditionalProperties: boolp(false)}
	})
	oauthError := g.schema("oauthError", func() *Schema {
		return &Schema{Type: "object", Description: "An RFC 6749 error, with the reference's errors array too.", Required: []string{"error", "error_description", "errors"}, Properties: map[string]*Schema{
			"error":             {Type: "string", Enum: []any{"invalid_request", "invalid_client", "invalid_grant", "invalid_scope", "unauthorized_client", "unsupported_grant_type"}},
			"error_description": {Type: "string"},
			"errors":            {Type: "array", MinItems: intp(1), Items: g.errorObject()},
		}, AdditionalProperties: boolp(false)}
	})
	noStore := func(r *Response) *Response {
		r.Headers["Cache-Control"] = &Header{Description: "no-store", Schema: &Schema{Type: "string", Const: "no-store"}}
		return r
	}
	oauthFailure := func(d string) *Response {
		return noStore(&Response{Description: d, Headers: requestIDHeader(), Content: jsonContent(oauthError)})
	}
	tokenOp := &Operation{Tags: []string{"authentication"}, OperationID: "createToken", Summary: "Get an access token",
		Description: "OAuth 2 token endpoint. client_credentials for integration and sales channel applications; password (a customer's email and password, with a sales channel client) also returns a refresh token; refresh_token exchanges it once. The body is JSON or a form.",
		Security:    &[]SecurityRequirement{{}, {"clientSecretBasic": {}}},
		RequestBody: &RequestBody{Required: true, Content: map[string]*MediaType{
			"application/json":                  {Schema: tokenRequest},
			"application/vnd.api+json":          {Schema: tokenRequest},
			"application/x-www-form-urlencoded": {Schema: tokenRequest},
			"multipart/form-data":               {Schema: tokenRequest},
		}},
		Responses: map[string]*Response{
			"200": noStore(&Response{Description: "A token.", Headers: requestIDHeader(), Content: jsonContent(tokenResponse)}),
			"400": oauthFailure("invalid_request, unsupported_grant_type, invalid_grant, invalid_scope or unauthorized_client."),
			"401": oauthFailure("invalid_client: unknown client, wrong secret or revoked application."),
			"413": {Ref: ref("responses", errorResponses[413])},
			"5XX": {Ref: ref("responses", serverErrorRange)},
		}}
	g.path("/oauth/token").Post = tokenOp

	revokeRequest := g.schema("revokeRequest", func() *Schema {
		return &Schema{Type: "object", Required: []string{"client_id", "token"}, Properties: map[string]*Schema{
			"client_id":       {Type: "string", Description: "The application's client id (or send it with HTTP Basic)."},
			"client_secret":   {Type: "string", WriteOnly: true, Description: "The application's secret; sales channels are public clients and send none."},
			"token":           {Type: "string", WriteOnly: true, Description: "An access token or a refresh token the application was issued."},
			"token_type_hint": {Type: "string", Description: "access_token or refresh_token; optional, and not needed: the server tells them apart."},
		}}
	})
	revokeOp := &Operation{Tags: []string{"authentication"}, OperationID: "revokeToken", Summary: "Revoke a token",
		Description: "OAuth 2 token revocation (RFC 7009), as @commercelayer/js-auth's revoke calls it. An access token is refused (401 INVALID_TOKEN) by every instance from then on; a refresh token can no longer be exchanged. Any token, known or not, is answered 200 with an empty object. The body is JSON or a form.",
		Security:    &[]SecurityRequirement{{}, {"clientSecretBasic": {}}},
		RequestBody: &RequestBody{Required: true, Content: map[string]*MediaType{
			"application/json":                  {Schema: revokeRequest},
			"application/vnd.api+json":          {Schema: revokeRequest},
			"application/x-www-form-urlencoded": {Schema: revokeRequest},
			"multipart/form-data":               {Schema: revokeRequest},
		}},
		Responses: map[string]*Response{
			"200": noStore(&Response{Description: "Revoked, or nothing to revoke.", Headers: requestIDHeader(), Content: jsonContent(&Schema{Type: "object", AdditionalProperties: boolp(false)})}),
			"400": oauthFailure("invalid_request: no client_id or token, or a body that cannot be read."),
			"401": oauthFailure("invalid_client: unknown client, wrong secret or revoked application."),
			"413": {Ref: ref("responses", errorResponses[413])},
			"5XX": {Ref: ref("responses", serverErrorRange)},
		}}
	g.path("/oauth/revoke").Post = revokeOp

	jwks := g.schema("jwks", func() *Schema {
		return &Schema{Type: "object", Required: []string{"keys"}, Properties: map[string]*Schema{
			"keys": {Type: "array", Items: &Schema{Type: "object", Required: []string{"kty", "kid", "use", "alg", "n", "e"}, Properties: map[string]*Schema{
				"kty": {Type: "string", Const: "RSA"}, "kid": {Type: "string"}, "use": {Type: "string", Const: "sig"},
				"alg": {Type: "string"}, "n": {Type: "string"}, "e": {Type: "string"},
			}}},
		}}
	})
	g.path("/.well-known/jwks.json").Get = &Operation{Tags: []string{"authentication"}, OperationID: "getJWKS", Summary: "The token signing keys",
		Description: "The public keys that verify access tokens (RFC 7517); a token's kid header names its key. Rotated keys stay until their tokens expire.",
		Security:    none,
		Responses:   map[string]*Response{"200": {Description: "The keys.", Headers: requestIDHeader(), Content: jsonContent(jwks)}}}

	status := func(values ...any) *Schema {
		return &Schema{Type: "object", Required: []string{"status"}, Properties: map[string]*Schema{"status": {Type: "string", Enum: values}}}
	}
	g.path("/healthz").Get = &Operation{Tags: []string{"operations"}, OperationID: "getHealth", Summary: "Liveness probe", Security: none,
		Description: "200 while the process serves requests.",
		Responses:   map[string]*Response{"200": {Description: "Alive.", Headers: requestIDHeader(), Content: jsonContent(status("ok"))}}}
	ready := status("ok", "unavailable")
	ready.Required = append(ready.Required, "database")
	ready.Properties["database"] = &Schema{Type: "string", Enum: []any{"ok", "unreachable"}}
	g.path("/readyz").Get = &Operation{Tags: []string{"operations"}, OperationID: "getReadiness", Summary: "Readiness probe", Security: none,
		Description: "200 when the database answers, 503 otherwise.",
		Responses: map[string]*Response{
			"200": {Description: "Ready.", Headers: requestIDHeader(), Content: jsonContent(ready)},
			"503": {Description: "The database does not answer.", Headers: requestIDHeader(), Content: jsonContent(ready)},
		}}
	g.path("/openapi.json").Get = &Operation{Tags: []string{"operations"}, OperationID: "getOpenAPI", Summary: "This document", Security: none,
		Description: "The OpenAPI document, generated from the resource registry when the server starts, with this server's base URL.",
		Responses:   map[string]*Response{"200": {Description: "An OpenAPI 3.1 document.", Headers: requestIDHeader(), Content: jsonContent(freeObject())}}}
}
