package serializers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"kasse/errs"
	"kasse/serializers"
)

func TestErrorsClientErrors(t *testing.T) {
	validation := errs.Invalid("code", "is already taken")
	notFound := errs.NotFound("customers", "c_1")
	param := errs.New(errs.InvalidInclude, "nope is not a relationship").AtParam("include")
	header := &errs.Error{Code: errs.UnsupportedMediaType, Detail: "charset is not allowed", Header: "Content-Type", Meta: map[string]any{"allowed": "application/vnd.api+json"}}
	unauthorized := errs.New(errs.Unauthorized, "no token")
	unavailable := errs.New(errs.Unavailable, "down")

	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       []serializers.ErrorObject
	}{
		{
			name:       "single validation error keeps its pointer",
			err:        validation,
			wantStatus: http.StatusUnprocessableEntity,
			want: []serializers.ErrorObject{{
				Status: "422", Code: "VALIDATION_ERROR", Title: "Validation error", Detail: "code - is already taken",
				Source: map[string]any{"pointer": "/data/attributes/code"},
			}},
		},
		{
			name:       "not found has no source",
			err:        notFound,
			wantStatus: http.StatusNotFound,
			want: []serializers.ErrorObject{{
				Status: "404", Code: "RECORD_NOT_FOUND", Title: "Record not found", Detail: `The resource customers with id "c_1" was not found`,
			}},
		},
		{
			name:       "parameter source",
			err:        param,
			wantStatus: http.StatusBadRequest,
			want: []serializers.ErrorObject{{
				Status: "400", Code: "INVALID_INCLUDE", Title: "Invalid include", Detail: "nope is not a relationship",
				Source: map[string]any{"parameter": "include"},
			}},
		},
		{
			name:       "header source and meta",
			err:        header,
			wantStatus: http.StatusUnsupportedMediaType,
			want: []serializers.ErrorObject{{
				Status: "415", Code: "UNSUPPORTED_MEDIA_TYPE", Title: "Unsupported media type", Detail: "charset is not allowed",
				Source: map[string]any{"header": "Content-Type"}, Meta: map[string]any{"allowed": "application/vnd.api+json"},
			}},
		},
		{
			name:       "wrapped client error",
			err:        fmt.Errorf("create customer: %w", validation),
			wantStatus: http.StatusUnprocessableEntity,
			want: []serializers.ErrorObject{{
				Status: "422", Code: "VALIDATION_ERROR", Title: "Validation error", Detail: "code - is already taken",
				Source: map[string]any{"pointer": "/data/attributes/code"},
			}},
		},
		{
			name:       "same statuses keep the status",
			err:        errs.List{validation, errs.Invalid("name", "can't be blank")},
			wantStatus: http.StatusUnprocessableEntity,
			want: []serializers.ErrorObject{
				{Status: "422", Code: "VALIDATION_ERROR", Title: "Validation error", Detail: "code - is already taken", Source: map[string]any{"pointer": "/data/attributes/code"}},
				{Status: "422", Code: "VALIDATION_ERROR", Title: "Validation error", Detail: "name - can't be blank", Source: map[string]any{"pointer": "/data/attributes/name"}},
			},
		},
		{
			name:       "mixed 4xx statuses choose 400, each object keeps its own",
			err:        errs.List{validation, notFound},
			wantStatus: http.StatusBadRequest,
			want: []serializers.ErrorObject{
				{Status: "422", Code: "VALIDATION_ERROR", Title: "Validation error", Detail: "code - is already taken", Source: map[string]any{"pointer": "/data/attributes/code"}},
				{Status: "404", Code: "RECORD_NOT_FOUND", Title: "Record not found", Detail: `The resource customers with id "c_1" was not found`},
			},
		},
		{
			name:       "mixed 4xx with the odd one last",
			err:        errs.List{unauthorized, unauthorized, notFound},
			wantStatus: http.StatusBadRequest,
			want: []serializers.ErrorObject{
				{Status: "401", Code: "UNAUTHORIZED", Title: "Access denied", Detail: "no token"},
				{Status: "401", Code: "UNAUTHORIZED", Title: "Access denied", Detail: "no token"},
				{Status: "404", Code: "RECORD_NOT_FOUND", Title: "Record not found", Detail: `The resource customers with id "c_1" was not found`},
			},
		},
		{
			name:       "a 5xx client code keeps its status",
			err:        unavailable,
			wantStatus: http.StatusServiceUnavailable,
			want:       []serializers.ErrorObject{{Status: "503", Code: "SERVICE_UNAVAILABLE", Title: "Service unavailable", Detail: "down"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotStatus, gotDoc, gotInternal := serializers.Errors(tt.err)
			if gotInternal {
				t.Error("internal = true, want false for a client error")
			}
			if gotStatus != tt.wantStatus {
				t.Errorf("status = %d, want %d", gotStatus, tt.wantStatus)
			}
			if !reflect.DeepEqual(gotDoc.Errors, tt.want) {
				t.Errorf("errors =\n%+v\nwant\n%+v", gotDoc.Errors, tt.want)
			}
		})
	}
}

func TestErrorsInternal(t *testing.T) {
	secret := "pq: password authentication failed for user kasse at 10.0.0.3"
	tests := []struct {
		name string
		err  error
	}{
		{"plain error", errors.New(secret)},
		{"wrapped plain error", fmt.Errorf("load order: %w", errors.New(secret))},
		{"empty list", errs.List{}},
		{"nil error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotStatus, gotDoc, gotInternal := serializers.Errors(tt.err)
			if !gotInternal {
				t.Error("internal = false, want true")
			}
			if gotStatus != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", gotStatus)
			}
			if len(gotDoc.Errors) != 1 {
				t.Fatalf("errors = %+v, want one", gotDoc.Errors)
			}
			got := gotDoc.Errors[0]
			if got.Status != "500" || got.Code != "INTERNAL_SERVER_ERROR" || got.Title != "Internal server error" || got.Detail == "" {
				t.Errorf("error object = %+v, want a generic 500", got)
			}
			if got.Source != nil || got.Meta != nil {
				t.Errorf("error object = %+v, want no source or meta", got)
			}
			body, err := json.Marshal(gotDoc)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"pq:", "password", "10.0.0.3", "load order"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("body %s leaks %q", body, leak)
				}
			}
		})
	}
}

func TestErrorDocumentJSON(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "source omitted when empty",
			err:  errs.New(errs.Forbidden, "no"),
			want: `{"errors":[{"status":"403","code":"FORBIDDEN","title":"Forbidden","detail":"no"}]}`,
		},
		{
			name: "pointer, parameter and header together",
			err:  &errs.Error{Code: errs.BadRequest, Detail: "d", Pointer: "/data", Parameter: "p", Header: "H"},
			want: `{"errors":[{"status":"400","code":"BAD_REQUEST","title":"Bad request","detail":"d","source":{"header":"H","parameter":"p","pointer":"/data"}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc, _ := serializers.Errors(tt.err)
			got, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorsEveryCode(t *testing.T) {
	for _, code := range errs.Codes() {
		gotStatus, gotDoc, gotInternal := serializers.Errors(errs.New(code, "detail of %s", code))
		if gotInternal {
			t.Errorf("%s: internal = true", code)
		}
		if gotStatus != code.Status() {
			t.Errorf("%s: status = %d, want %d", code, gotStatus, code.Status())
		}
		if len(gotDoc.Errors) != 1 {
			t.Fatalf("%s: %d error objects", code, len(gotDoc.Errors))
		}
		got := gotDoc.Errors[0]
		if got.Status != fmt.Sprint(code.Status()) || got.Code != string(code) || got.Title != code.Title() || got.Detail != "detail of "+string(code) {
			t.Errorf("%s: error object = %+v", code, got)
		}
	}
}
