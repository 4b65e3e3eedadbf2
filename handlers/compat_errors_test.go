package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/gin-gonic/gin"

	"kasse/errs"
)

// TestCompatErrorBodies: each facade's error format, for the failures its
// HTTP tests cannot easily cause (a provider or database outage, a
// timeout, an internal error): the orchestrated sessions bodies are the
// reference's, exactly.
func TestCompatErrorBodies(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	cases := []struct {
		name   string
		render compatErrors
		err    error // nil: an internal error
		status int
		body   string
	}{
		{"sessions 500", sessionsErrors, nil, 500, `{"message":"Internal server error","statusCode":500}`},
		{"sessions 502", sessionsErrors, errs.New(errs.ProviderUnavailable, "the provider did not answer"), 502, `{"error":"Error","message":"Service temporarily unavailable.","code":502}`},
		{"sessions 503", sessionsErrors, errs.New(errs.Unavailable, "the database does not answer"), 503, `{"error":"Service Unavailable","message":"The service is temporarily unavailable. Please try again later","code":503}`},
		{"sessions 409", sessionsErrors, errs.New(errs.IdempotencyKeyInUse, "still running"), 409, `{"error":"Conflict","message":"The request conflicts with the current state of the resource","code":409,"details":"Resource already exists"}`},
		{"sessions 429", sessionsErrors, errs.New(errs.TooManyRequests, "slow down"), 429, `{"error":"Too Many Requests","message":"slow down","statusCode":429}`},
		{"courses 500", coursesErrors, nil, 500, `{"status":"ERROR","message":"An error occurred while processing your request"}`},
		{"courses 503", coursesErrors, errs.New(errs.Unavailable, "the database does not answer"), 503, `{"status":"ERROR","message":"the database does not answer"}`},
		{"mobile money 500", mobileMoneyErrors, nil, 500, `{"error":"server_error","message":"An internal error occurred"}`},
		{"mobile money 503", mobileMoneyErrors, errs.New(errs.Unavailable, "the database does not answer"), 503, `{"error":"service_unavailable","message":"the database does not answer"}`},
		{"links 500", linksErrors, nil, 500, `{"errorCode":"INTERNAL_ERROR","errorMessage":"An internal error occurred"}`},
		{"links 422", linksErrors, errs.New(errs.NoAvailableProvider, "no gateway"), 422, `{"errorCode":"NO_AVAILABLE_PROVIDER","errorMessage":"no gateway"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ctx, _ := gin.CreateTestContext(rec)
			ctx.Request = httptest.NewRequest(http.MethodPost, "/", nil)
			ctx.Set(compatErrorsKey, c.render)
			err := c.err
			if err == nil {
				err = errorString("boom")
			}
			fail(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), err)
			var got, want any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(c.body), &want); err != nil {
				t.Fatal(err)
			}
			if rec.Code != c.status || !reflect.DeepEqual(got, want) {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body.Bytes(), c.status, c.body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
