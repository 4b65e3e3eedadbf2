package serializers

import (
	"net/http"
	"strconv"

	"kasse/errs"
)

// ErrorObject is a JSON:API error object.
type ErrorObject struct {
	Status string         `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source map[string]any `json:"source,omitempty"`
	Meta   map[string]any `json:"meta,omitempty"`
}

// ErrorDocument is `{"errors": […]}`.
type ErrorDocument struct {
	Errors []ErrorObject `json:"errors"`
}

// Errors maps any error to its HTTP status and error document. Client
// errors keep their detail; anything else is a 500 with a generic detail
// (internal reports it so the caller can log the cause).
func Errors(err error) (status int, doc ErrorDocument, internal bool) {
	list, ok := errs.As(err)
	if !ok || len(list) == 0 {
		return http.StatusInternalServerError, ErrorDocument{Errors: []ErrorObject{{
			Status: "500",
			Code:   string(errs.InternalServerError),
			Title:  errs.InternalServerError.Title(),
			Detail: "Something went wrong on our side; the request id in the X-Request-Id header identifies it.",
		}}}, true
	}
	status = list[0].Code.Status()
	for _, e := range list[1:] {
		if s := e.Code.Status(); s != status {
			// Mixed statuses: the most generally applicable one.
			if s/100 == 4 && status/100 == 4 {
				status = http.StatusBadRequest
			}
		}
	}
	for _, e := range list {
		obj := ErrorObject{
			Status: strconv.Itoa(e.Code.Status()),
			Code:   string(e.Code),
			Title:  e.Code.Title(),
			Detail: e.Detail,
			Meta:   e.Meta,
		}
		source := map[string]any{}
		if e.Pointer != "" {
			source["pointer"] = e.Pointer
		}
		if e.Parameter != "" {
			source["parameter"] = e.Parameter
		}
		if e.Header != "" {
			source["header"] = e.Header
		}
		if len(source) > 0 {
			obj.Source = source
		}
		doc.Errors = append(doc.Errors, obj)
	}
	return status, doc, false
}
