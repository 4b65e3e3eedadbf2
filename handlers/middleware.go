// Package handlers is Kasse's HTTP layer: gin routes generated from the
// resource registry, the generic JSON:API endpoints that serve any declared
// resource, and the middleware chain (request ids, logging, recovery, body
// limits, content negotiation, and the slot where authentication goes).
package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

type ctxKey int

const requestStateKey ctxKey = iota

// requestState is what the middleware learns of a request: its id, and
// who it acts for once Authenticate knows. It goes in the request's
// context once, so the request is copied once and gin's key map is not
// made on every request.
type requestState struct {
	id        string
	principal *models.Principal
}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestStateKey).(*requestState)
	return st
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// RequestID echoes a sane incoming X-Request-Id or makes one, and puts it
// in the request context for logs.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = rand.Text()
		}
		c.Header("X-Request-Id", id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestStateKey, &requestState{id: id}))
		c.Next()
	}
}

// RequestIDFrom returns the request id carried by ctx.
func RequestIDFrom(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// AccessLog writes one structured line per request. It logs the path but
// not the query string or any header: filters can carry emails, and
// headers carry tokens.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		if !log.Enabled(c.Request.Context(), level) {
			return
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("request_id", RequestIDFrom(c.Request.Context())),
			slog.String("method", c.Request.Method),
			slog.String("path", loggedPath(c.Request.URL.Path)),
			slog.Int("status", c.Writer.Status()),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
		)
	}
}

// loggedPath is a request path as the access log keeps it: a hosted
// checkout page's token is a capability (whoever has it can pay the
// order), so only its first 8 characters are kept.
func loggedPath(path string) string {
	rest, ok := strings.CutPrefix(path, "/checkout/")
	if !ok || len(rest) < 16 {
		return path
	}
	token, tail, _ := strings.Cut(rest, "/")
	if len(token) < 16 {
		return path
	}
	if tail != "" {
		tail = "/" + tail
	}
	return "/checkout/" + token[:8] + "…" + tail
}

// Recovery turns a panic into a JSON:API 500 and logs the cause.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(c.Request.Context(), "panic", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.Any("panic", p))
				fail(c, log, errors.New("panic"))
			}
		}()
		c.Next()
	}
}

// BodyLimit caps request bodies; a larger one is answered 413 when read.
// A body that arrives too slowly (the server's read timeout) is 408, and
// one that ends before its Content-Length 400: both the client's doing,
// whoever reads the body.
func BodyLimit(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			c.Request.Body = clientBody{http.MaxBytesReader(c.Writer, c.Request.Body, limit)}
		}
		c.Next()
	}
}

// clientBody turns a request body's read failures into client errors.
type clientBody struct{ io.ReadCloser }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil, err == io.EOF, errors.As(err, &tooLarge):
		return n, err
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return n, errs.New(errs.RequestTimeout, "the request body did not arrive in time")
	}
	return n, errs.New(errs.InvalidDataFormat, "the request body could not be read: it ended before its Content-Length")
}

// Negotiate applies JSON:API content negotiation: a request body must be
// JSON:API with no media-type parameters but ext and profile (415), and
// Accept must allow JSON:API without parameters (406).
func Negotiate(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		if hasBody(c.Request) {
			if err := checkContentType(c.GetHeader("Content-Type")); err != nil {
				fail(c, log, err)
				return
			}
		}
		if err := checkAccept(c.GetHeader("Accept")); err != nil {
			fail(c, log, err)
			return
		}
		c.Next()
	}
}

func hasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
		return true
	case http.MethodDelete:
		return r.ContentLength > 0 || r.Header.Get("Content-Type") != ""
	}
	return false
}

func checkContentType(header string) error {
	unsupported := errs.New(errs.UnsupportedMediaType, "send request bodies as Content-Type: %s (or application/json)", serializers.MediaType)
	unsupported.Header = "Content-Type"
	if header == "" {
		return unsupported
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err == nil && mediaType == "application/json" {
		// Generic HTTP clients (openapi-fetch, fetch wrappers) send JSON
		// as application/json: the body is read as a JSON:API document.
		if charset, ok := params["charset"]; (ok && !strings.EqualFold(charset, "utf-8")) || len(params) > 1 || (len(params) == 1 && !ok) {
			return unsupported
		}
		return nil
	}
	if err != nil || mediaType != serializers.MediaType {
		return unsupported
	}
	for name := range params {
		if name == "ext" {
			// No extensions are supported; an unsupported ext is a 415.
			e := errs.New(errs.UnsupportedMediaType, "the JSON:API extension %q is not supported", params[name])
			e.Header = "Content-Type"
			return e
		}
		if name != "profile" {
			e := errs.New(errs.UnsupportedMediaType, "the media type parameter %q is not allowed with %s", name, serializers.MediaType)
			e.Header = "Content-Type"
			return e
		}
	}
	return nil
}

func checkAccept(header string) error {
	if header == serializers.MediaType || strings.TrimSpace(header) == "" {
		return nil // what JSON:API clients send, without parsing it
	}
	for _, part := range strings.Split(header, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*":
			return nil
		case serializers.MediaType:
			delete(params, "q")
			delete(params, "profile")
			if len(params) == 0 {
				return nil
			}
		}
	}
	e := errs.New(errs.NotAcceptable, "this API answers %s: send Accept: %s", serializers.MediaType, serializers.MediaType)
	e.Header = "Accept"
	return e
}

// RetryAfterUnavailable is the Retry-After, in seconds, of a 503.
const RetryAfterUnavailable = 2

// fail writes err as a JSON:API error document; an internal error is
// logged with its cause and answered with a generic 500.
func fail(c *gin.Context, log *slog.Logger, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = errs.New(errs.RequestTooLarge, "the request body is larger than %d bytes", tooLarge.Limit)
	}
	if _, client := errs.As(err); !client && models.IsInvalidValue(err) {
		log.WarnContext(c.Request.Context(), "the database refused a value", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.String("error", err.Error()))
		err = errs.New(errs.ValidationError, "a value in the request is too long or holds characters that cannot be stored")
	}
	if _, client := errs.As(err); !client && models.IsUnavailable(err) {
		log.WarnContext(c.Request.Context(), "service unavailable", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.String("error", err.Error()))
		err = errs.New(errs.Unavailable, "the service is unavailable for a moment (its database does not answer): retry after %d seconds", RetryAfterUnavailable)
	}
	status, doc, internal := serializers.Errors(err)
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(RetryAfterUnavailable))
	}
	if internal {
		log.ErrorContext(c.Request.Context(), "internal error", slog.String("request_id", RequestIDFrom(c.Request.Context())), slog.String("error", err.Error()))
	}
	if render := compatErrorsOf(c); render != nil {
		// A checkout facade answers in its own API's error format.
		list, _ := errs.As(err)
		if internal {
			list = nil
		}
		render(c, status, list)
		c.Abort()
		return
	}
	c.Header("Content-Type", serializers.MediaType)
	c.AbortWithStatusJSON(status, doc)
}
