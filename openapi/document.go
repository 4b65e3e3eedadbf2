package openapi

// The OpenAPI 3.1 objects Kasse's document uses, in the order their
// members are written. Maps are written with sorted keys, so the same
// registry always gives the same bytes.

// Document is an OpenAPI 3.1 document.
type Document struct {
	OpenAPI           string                `json:"openapi"`
	JSONSchemaDialect string                `json:"jsonSchemaDialect"`
	Info              Info                  `json:"info"`
	Servers           []Server              `json:"servers"`
	Security          []SecurityRequirement `json:"security"`
	Tags              []Tag                 `json:"tags"`
	Paths             map[string]*PathItem  `json:"paths"`
	Components        Components            `json:"components"`
}

// Info describes the API.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
}

// Server is a base URL the API is served on.
type Server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// SecurityRequirement names the schemes (and scopes) an operation takes.
type SecurityRequirement map[string][]string

// Tag groups operations; Kasse has one per resource type.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// PathItem is the operations on one path.
type PathItem struct {
	Parameters []*Parameter `json:"parameters,omitempty"`
	Get        *Operation   `json:"get,omitempty"`
	Post       *Operation   `json:"post,omitempty"`
	Patch      *Operation   `json:"patch,omitempty"`
	Delete     *Operation   `json:"delete,omitempty"`
}

// Operation is one method on one path.
type Operation struct {
	Tags        []string             `json:"tags,omitempty"`
	Summary     string               `json:"summary"`
	Description string               `json:"description,omitempty"`
	OperationID string               `json:"operationId"`
	Parameters  []*Parameter         `json:"parameters,omitempty"`
	RequestBody *RequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*Response `json:"responses"`
	// Security overrides the document's: a pointer to an empty list says
	// the operation needs no token.
	Security *[]SecurityRequirement `json:"security,omitempty"`
}

// Parameter is a path, query or header parameter, or a reference to one.
type Parameter struct {
	Ref         string  `json:"$ref,omitempty"`
	Name        string  `json:"name,omitempty"`
	In          string  `json:"in,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema,omitempty"`
	// Style and Explode say how an object parameter is serialized:
	// deepObject, exploded, for `filter[q][…]`.
	Style   string `json:"style,omitempty"`
	Explode bool   `json:"explode,omitempty"`
	// AllowReserved says the values may hold reserved characters as they
	// are: the commas of `fields[skus]=code,name` and of list filters.
	AllowReserved bool `json:"allowReserved,omitempty"`
	// SortFields lists the fields a sort parameter takes.
	SortFields []string `json:"x-kasse-sort-fields,omitempty"`
}

// RequestBody is an operation's body.
type RequestBody struct {
	Description string                `json:"description,omitempty"`
	Required    bool                  `json:"required"`
	Content     map[string]*MediaType `json:"content"`
}

// Response is one status an operation answers with, or a reference to one.
type Response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]*Header    `json:"headers,omitempty"`
	Content     map[string]*MediaType `json:"content,omitempty"`
}

// Header is a response header, or a reference to one.
type Header struct {
	Ref         string  `json:"$ref,omitempty"`
	Description string  `json:"description,omitempty"`
	Schema      *Schema `json:"schema,omitempty"`
}

// MediaType is a body's schema for one content type.
type MediaType struct {
	Schema *Schema `json:"schema"`
}

// Components holds what operations refer to.
type Components struct {
	Schemas         map[string]*Schema         `json:"schemas"`
	Parameters      map[string]*Parameter      `json:"parameters"`
	Responses       map[string]*Response       `json:"responses"`
	Headers         map[string]*Header         `json:"headers"`
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes"`
}

// SecurityScheme is how a client authenticates.
type SecurityScheme struct {
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	// Name and In locate an apiKey scheme's key: a header's name.
	Name         string      `json:"name,omitempty"`
	In           string      `json:"in,omitempty"`
	Scheme       string      `json:"scheme,omitempty"`
	BearerFormat string      `json:"bearerFormat,omitempty"`
	Flows        *OAuthFlows `json:"flows,omitempty"`
}

// OAuthFlows are the OAuth 2 grants the token endpoint offers.
type OAuthFlows struct {
	ClientCredentials *OAuthFlow `json:"clientCredentials,omitempty"`
	Password          *OAuthFlow `json:"password,omitempty"`
}

// OAuthFlow is one OAuth 2 grant.
type OAuthFlow struct {
	TokenURL   string            `json:"tokenUrl"`
	RefreshURL string            `json:"refreshUrl,omitempty"`
	Scopes     map[string]string `json:"scopes"`
}

// Schema is a JSON Schema (2020-12, as OpenAPI 3.1 uses it), or a
// reference to one.
type Schema struct {
	Ref              string             `json:"$ref,omitempty"`
	Type             any                `json:"type,omitempty"` // a name, or a list of names
	Const            any                `json:"const,omitempty"`
	Enum             []any              `json:"enum,omitempty"`
	Format           string             `json:"format,omitempty"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description,omitempty"`
	ReadOnly         bool               `json:"readOnly,omitempty"`
	WriteOnly        bool               `json:"writeOnly,omitempty"`
	Pattern          string             `json:"pattern,omitempty"`
	Minimum          *int               `json:"minimum,omitempty"`
	ExclusiveMinimum *int               `json:"exclusiveMinimum,omitempty"`
	Maximum          *int               `json:"maximum,omitempty"`
	MinLength        *int               `json:"minLength,omitempty"`
	MaxLength        *int               `json:"maxLength,omitempty"`
	Default          any                `json:"default,omitempty"`
	Required         []string           `json:"required,omitempty"`
	Properties       map[string]*Schema `json:"properties,omitempty"`
	MaxProperties    *int               `json:"maxProperties,omitempty"`
	// AdditionalProperties is a *bool (allowed or not) or a *Schema
	// (what each other member must be: a map's values).
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	PatternProperties    map[string]*Schema `json:"patternProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	OneOf                []*Schema          `json:"oneOf,omitempty"`
	Examples             []any              `json:"examples,omitempty"`
	// Writers lists the only roles that may write an attribute or send a
	// trigger, when not every role that may write the type can.
	Writers []string `json:"x-kasse-writers,omitempty"`
}

func ref(kind, name string) string { return "#/components/" + kind + "/" + name }

func schemaRef(name string) *Schema { return &Schema{Ref: ref("schemas", name)} }

func intp(n int) *int { return &n }

func boolp(b bool) *bool { return &b }
