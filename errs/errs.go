// Package errs is Kasse's closed vocabulary of failures. Every layer returns
// *errs.Error values (or plain errors, which become a generic 500); the
// serializers package maps them once to JSON:API error objects.
package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Code names a kind of failure. The set is closed: the codes follow the
// reference API (JSONAPI::Resources' text codes) plus Kasse's own.
type Code string

// The codes Kasse answers with, and the HTTP status each carries.
const (
	BadRequest           Code = "BAD_REQUEST"
	InvalidDataFormat    Code = "INVALID_DATA_FORMAT"
	ParamNotAllowed      Code = "PARAM_NOT_ALLOWED"
	InvalidFieldValue    Code = "INVALID_FIELD_VALUE"
	InvalidField         Code = "INVALID_FIELD"
	InvalidInclude       Code = "INVALID_INCLUDE"
	InvalidSortCriteria  Code = "INVALID_SORT_CRITERIA"
	FilterNotAllowed     Code = "FILTER_NOT_ALLOWED"
	InvalidFilterValue   Code = "INVALID_FILTER_VALUE"
	InvalidPageObject    Code = "INVALID_PAGE_OBJECT"
	InvalidPageValue     Code = "INVALID_PAGE_VALUE"
	KeyNotIncludedInURL  Code = "KEY_NOT_INCLUDED_IN_URL"
	Unauthorized         Code = "UNAUTHORIZED"
	InvalidToken         Code = "INVALID_TOKEN"
	Forbidden            Code = "FORBIDDEN"
	RecordNotFound       Code = "RECORD_NOT_FOUND"
	RouteNotFound        Code = "ROUTE_NOT_FOUND"
	MethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	NotAcceptable        Code = "NOT_ACCEPTABLE"
	TypeMismatch         Code = "TYPE_MISMATCH"
	Conflict             Code = "CONFLICT"
	RequestTooLarge      Code = "REQUEST_ENTITY_TOO_LARGE"
	RequestTimeout       Code = "REQUEST_TIMEOUT"
	UnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	ValidationError      Code = "VALIDATION_ERROR"
	AlreadyPurchased     Code = "ALREADY_PURCHASED"
	NoAvailableProvider  Code = "NO_AVAILABLE_PROVIDER"
	Locked               Code = "LOCKED"
	TooManyRequests      Code = "TOO_MANY_REQUESTS"
	InternalServerError  Code = "INTERNAL_SERVER_ERROR"
	ProviderUnavailable  Code = "PROVIDER_UNAVAILABLE"
	Unavailable          Code = "SERVICE_UNAVAILABLE"
	// The Idempotency-Key codes (DESIGN §7).
	IdempotencyKeyInvalid  Code = "IDEMPOTENCY_KEY_INVALID"
	IdempotencyKeyMissing  Code = "IDEMPOTENCY_KEY_MISSING"
	IdempotencyKeyMismatch Code = "IDEMPOTENCY_KEY_MISMATCH"
	IdempotencyKeyInUse    Code = "IDEMPOTENCY_KEY_IN_USE"
)

// codeInfo is the HTTP status and the human title of each code.
var codeInfo = map[Code]struct {
	status int
	title  string
}{
	BadRequest:             {http.StatusBadRequest, "Bad request"},
	InvalidDataFormat:      {http.StatusBadRequest, "Invalid data format"},
	ParamNotAllowed:        {http.StatusBadRequest, "Param not allowed"},
	InvalidFieldValue:      {http.StatusBadRequest, "Invalid field value"},
	InvalidField:           {http.StatusBadRequest, "Invalid field"},
	InvalidInclude:         {http.StatusBadRequest, "Invalid include"},
	InvalidSortCriteria:    {http.StatusBadRequest, "Invalid sort criteria"},
	FilterNotAllowed:       {http.StatusBadRequest, "Filter not allowed"},
	InvalidFilterValue:     {http.StatusBadRequest, "Invalid filter value"},
	InvalidPageObject:      {http.StatusBadRequest, "Invalid page object"},
	InvalidPageValue:       {http.StatusBadRequest, "Invalid page value"},
	KeyNotIncludedInURL:    {http.StatusBadRequest, "Key is not included in URL"},
	Unauthorized:           {http.StatusUnauthorized, "Access denied"},
	InvalidToken:           {http.StatusUnauthorized, "Invalid token"},
	Forbidden:              {http.StatusForbidden, "Forbidden"},
	RecordNotFound:         {http.StatusNotFound, "Record not found"},
	RouteNotFound:          {http.StatusNotFound, "Route not found"},
	MethodNotAllowed:       {http.StatusMethodNotAllowed, "Method not allowed"},
	NotAcceptable:          {http.StatusNotAcceptable, "Not acceptable"},
	TypeMismatch:           {http.StatusConflict, "Type mismatch"},
	Conflict:               {http.StatusConflict, "Conflict"},
	RequestTimeout:         {http.StatusRequestTimeout, "Request timeout"},
	RequestTooLarge:        {http.StatusRequestEntityTooLarge, "Request entity too large"},
	UnsupportedMediaType:   {http.StatusUnsupportedMediaType, "Unsupported media type"},
	ValidationError:        {http.StatusUnprocessableEntity, "Validation error"},
	AlreadyPurchased:       {http.StatusUnprocessableEntity, "Already purchased"},
	NoAvailableProvider:    {http.StatusUnprocessableEntity, "No available provider"},
	Locked:                 {http.StatusLocked, "Locked"},
	TooManyRequests:        {http.StatusTooManyRequests, "Too many requests"},
	InternalServerError:    {http.StatusInternalServerError, "Internal server error"},
	ProviderUnavailable:    {http.StatusBadGateway, "Payment provider unavailable"},
	IdempotencyKeyInvalid:  {http.StatusBadRequest, "Invalid idempotency key"},
	IdempotencyKeyMissing:  {http.StatusBadRequest, "Idempotency key missing"},
	IdempotencyKeyMismatch: {http.StatusUnprocessableEntity, "Idempotency key reused"},
	IdempotencyKeyInUse:    {http.StatusConflict, "Idempotency key in use"},
	Unavailable:            {http.StatusServiceUnavailable, "Service unavailable"},
}

// Codes lists every code, for documentation and tests.
func Codes() []Code {
	out := make([]Code, 0, len(codeInfo))
	for c := range codeInfo {
		out = append(out, c)
	}
	return out
}

// Status is the HTTP status a code answers with.
func (c Code) Status() int {
	if info, ok := codeInfo[c]; ok {
		return info.status
	}
	return http.StatusInternalServerError
}

// Title is the short, fixed, human summary of a code.
func (c Code) Title() string {
	if info, ok := codeInfo[c]; ok {
		return info.title
	}
	return "Internal server error"
}

// Error is one failure a client can act on. Pointer is a JSON Pointer into
// the request body; Parameter names the query parameter at fault.
type Error struct {
	Code      Code
	Detail    string
	Pointer   string
	Parameter string
	Header    string
	Meta      map[string]any
}

func (e *Error) Error() string {
	if e.Pointer != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Detail, e.Pointer)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// List is several client errors answered together (for example every
// validation failure of one body).
type List []*Error

func (l List) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	return fmt.Sprintf("%s (and %d more)", l[0].Error(), len(l)-1)
}

// New builds an error with a formatted detail.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// At returns a copy of e pointing at a member of the request body.
func (e *Error) At(pointer string) *Error {
	c := *e
	c.Pointer = pointer
	return &c
}

// AtParam returns a copy of e naming the query parameter at fault.
func (e *Error) AtParam(name string) *Error {
	c := *e
	c.Parameter = name
	return &c
}

// AttributePointer is the JSON Pointer of an attribute in a request body.
func AttributePointer(name string) string { return "/data/attributes/" + name }

// RelationshipPointer is the JSON Pointer of a relationship in a request body.
func RelationshipPointer(name string) string { return "/data/relationships/" + name }

// Invalid is a 422 on one attribute.
func Invalid(attribute, detail string) *Error {
	return &Error{Code: ValidationError, Detail: attribute + " - " + detail, Pointer: AttributePointer(attribute)}
}

// NotFound is a 404 for a resource of the given type and id.
func NotFound(resourceType, id string) *Error {
	return &Error{Code: RecordNotFound, Detail: fmt.Sprintf("The resource %s with id %q was not found", resourceType, id)}
}

// As unpacks err into client errors; ok is false for anything else (an
// internal failure).
func As(err error) (List, bool) {
	var list List
	if errors.As(err, &list) {
		return list, true
	}
	var e *Error
	if errors.As(err, &e) {
		return List{e}, true
	}
	return nil, false
}
