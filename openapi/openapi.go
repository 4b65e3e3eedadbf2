// Package openapi generates Kasse's OpenAPI 3.1 document from the resource
// registry: for every registered type its collection, resource, related and
// relationship paths (only those the type offers), their query parameters
// (include paths, sparse fieldsets, sort fields, pagination, filters), the
// request bodies ({type}Create, {type}Update) and responses ({type},
// {type}Response, {type}ResponseList) with read-only, write-only and trigger
// attributes, every status each operation answers with, the JSON:API error
// schema, the token endpoint and its security schemes. Nothing here is
// written by hand per type: a resource added to the registry appears in the
// document when it is generated again (`kasse openapi --out
// docs/openapi.json`).
package openapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"kasse/engine"
	"kasse/serializers"
)

// DefaultServerURL is the server the committed document names: what
// `make run` serves on.
const DefaultServerURL = "http://127.0.0.1:8080"

// Version is the version of the API the document describes.
const Version = "0.1.0"

// Options say how to generate the document.
type Options struct {
	// ServerURL is the absolute origin the API is served on (the server's
	// --base-url); DefaultServerURL when empty.
	ServerURL string
	// Compat names the compat facades to describe (CompatFacades): nil
	// describes all of them (the committed document), an empty slice none.
	Compat []string
}

// generator builds one document.
type generator struct {
	reg  *engine.Registry
	defs []*engine.Definition
	doc  *Document
	// server is the origin the document names.
	server string
	// facadePaths are the compat facades' paths, which the passes over
	// /api paths (idempotentWrites) leave alone.
	facadePaths map[string]bool
}

// Generate builds the OpenAPI document of every type in reg, and of the
// compat facades opts names (unknown names are skipped; JSON refuses them).
func Generate(reg *engine.Registry, opts Options) *Document {
	server := strings.TrimRight(opts.ServerURL, "/")
	if server == "" {
		server = DefaultServerURL
	}
	g := &generator{reg: reg, defs: reg.All(), server: server}
	g.doc = &Document{
		OpenAPI:           "3.1.0",
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Info: Info{
			Title:       "Kasse API",
			Version:     Version,
			Summary:     "A self-hostable commerce resource server speaking JSON:API.",
			Description: infoDescription + "\n" + filterHelp(),
		},
		Servers:  []Server{{URL: server}},
		Security: []SecurityRequirement{{"bearerAuth": {}}, {"oauth2": {}}},
		Paths:    map[string]*PathItem{},
		Components: Components{
			Schemas:    map[string]*Schema{},
			Parameters: map[string]*Parameter{},
			Responses:  map[string]*Response{},
			Headers:    map[string]*Header{},
		},
	}
	g.common()
	for _, def := range g.defs {
		g.doc.Tags = append(g.doc.Tags, Tag{Name: def.Type, Description: def.Description})
		g.typeComponents(def)
	}
	for _, def := range g.defs {
		g.typePaths(def)
	}
	// Before idempotentWrites, which must skip them: a facade documents
	// its own idempotency header and error bodies.
	g.compat(opts)
	g.idempotentWrites()
	g.doc.Tags = append(g.doc.Tags,
		Tag{Name: "authentication", Description: "OAuth 2 tokens (client credentials, password, refresh token) and the keys that verify them."},
		Tag{Name: "operations", Description: "Probes and this document."})
	g.servicePaths()
	return g.doc
}

// JSON is the document as tab-indented JSON (short objects and arrays on
// one line, see format) with a final newline: the bytes of
// docs/openapi.json and of GET /openapi.json.
func JSON(reg *engine.Registry, opts Options) ([]byte, error) {
	if err := opts.checkCompat(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Generate(reg, opts)); err != nil {
		return nil, err
	}
	return format(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

const infoDescription = `Kasse speaks JSON:API (application/vnd.api+json) with the conventions of Commerce Layer's API: the same type names, attribute names, URL layout, query parameters and error format.

This document is generated from Kasse's resource registry (` + "`kasse openapi`" + `); docs/api-conventions.md explains the conventions in prose.

- Every /api request needs ` + "`Authorization: Bearer <token>`" + ` with a token from POST /oauth/token. A resource the token may not see answers 404.
- Request bodies are sent as ` + "`Content-Type: application/vnd.api+json`" + ` with no media type parameters but profile (otherwise 415); an Accept header must allow application/vnd.api+json without parameters (otherwise 406).
- A path that matches no route answers 404 ROUTE_NOT_FOUND, a method the path does not offer 405 METHOD_NOT_ALLOWED, both with the error document.
- State changes are PATCHes with trigger attributes (names starting with an underscore): write-only attributes that run a domain action.`

// The serializers' bounds, as the document states them.
var (
	defaultPageSize = serializers.DefaultPageSize
	maxPageSize     = serializers.MaxPageSize
	maxIncludeDepth = serializers.MaxIncludeDepth
	maxFilters      = serializers.MaxFilters
)
