package handlers

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"kasse/auth"
	"kasse/errs"
	"kasse/models"
)

// Authenticate requires a valid bearer access token on every API request
// and puts its principal in the context. No token and a bad token are both
// 401; only a bad or expired one says INVALID_TOKEN, the code clients
// refresh on.
func (a *api) Authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		header := c.GetHeader("Authorization")
		scheme, token, found := strings.Cut(header, " ")
		if header == "" {
			e := errs.New(errs.Unauthorized, "send an access token: Authorization: Bearer <token> (get one at POST /oauth/token)")
			e.Header = "Authorization"
			c.Header("WWW-Authenticate", `Bearer realm="kasse"`)
			a.fail(c, e)
			return
		}
		if !found || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
			e := errs.New(errs.InvalidToken, "the Authorization header must be: Bearer <token>")
			e.Header = "Authorization"
			c.Header("WWW-Authenticate", `Bearer realm="kasse", error="invalid_token"`)
			a.fail(c, e)
			return
		}
		p, err := a.cfg.Auth.Verify(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="kasse", error="invalid_token"`)
			a.fail(c, err)
			return
		}
		setPrincipal(c, p)
		c.Next()
	}
}

// setPrincipal records who the request acts for in the request's state,
// which RequestID, the router's first middleware, put there.
func setPrincipal(c *gin.Context, p *models.Principal) {
	stateOf(c.Request.Context()).principal = p
}

// principal is who the request acts for (set by Authenticate).
func principal(c *gin.Context) *models.Principal {
	if st := stateOf(c.Request.Context()); st != nil {
		return st.principal
	}
	return nil
}

// token serves POST /oauth/token with a JSON or form body. Errors follow
// RFC 6749 (`error`, `error_description`) and carry the reference's
// `errors` array too, so both kinds of client read them.
func (a *api) token(c *gin.Context) {
	var req auth.TokenRequest
	if !a.readOAuth(c, &req, "token request", &req.ClientID, &req.ClientSecret) || !a.limitToken(c, &req) {
		return
	}
	resp, err := a.cfg.Auth.Token(c.Request.Context(), req)
	if err != nil {
		a.oauthAnswer(c, err)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// revoke serves POST /oauth/revoke (RFC 7009) with a JSON or form body,
// as @commercelayer/js-auth's revoke sends it: client_id, client_secret
// for a confidential client (or HTTP Basic), and the token. Any token,
// known or not, is answered 200 with an empty object.
func (a *api) revoke(c *gin.Context) {
	var req auth.RevokeRequest
	if !a.readOAuth(c, &req, "revocation request", &req.ClientID, &req.ClientSecret) {
		return
	}
	if err := a.cfg.Auth.Revoke(c.Request.Context(), req); err != nil {
		a.oauthAnswer(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{})
}

// readOAuth starts an OAuth endpoint's answer: never cached (it is about
// credentials), the per-IP limit, then the JSON or form body into dst,
// with the client's id and secret from HTTP Basic when the body has none.
// It reports false once it has answered (a limit, a body it cannot read).
func (a *api) readOAuth(c *gin.Context, dst any, what string, clientID, clientSecret *string) bool {
	c.Header("Cache-Control", "no-store")
	if !a.limitToken(c, nil) {
		return false
	}
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	var err error
	switch mediaType {
	case "application/json", "application/vnd.api+json":
		err = c.ShouldBindJSON(dst)
	case "application/x-www-form-urlencoded", "multipart/form-data":
		err = c.ShouldBind(dst)
	default:
		err = fmt.Errorf("send the %s as JSON or as a form", what)
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			a.fail(c, err)
			return false
		}
		a.oauthFail(c, &auth.OAuthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the body could not be read: " + err.Error()})
		return false
	}
	if user, pass, ok := c.Request.BasicAuth(); ok && *clientID == "" {
		*clientID, *clientSecret = user, pass
	}
	return true
}

// oauthAnswer answers an OAuth endpoint's failure: an OAuth error as
// OAuth does, anything else (an outage) as every other endpoint does.
func (a *api) oauthAnswer(c *gin.Context, err error) {
	var oe *auth.OAuthError
	if errors.As(err, &oe) {
		a.oauthFail(c, oe)
		return
	}
	a.fail(c, err)
}

// oauthFail answers an OAuth error as RFC 6749 does, with the reference's
// errors array for JSON:API clients.
func (a *api) oauthFail(c *gin.Context, oe *auth.OAuthError) {
	code := errs.Unauthorized
	switch oe.Status {
	case http.StatusBadRequest:
		code = errs.BadRequest
	case http.StatusTooManyRequests:
		code = errs.TooManyRequests
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(oe.Status, gin.H{
		"error":             oe.Code,
		"error_description": oe.Description,
		"errors": []gin.H{{
			"status": strconv.Itoa(oe.Status), "code": string(code), "title": oe.Code, "detail": oe.Description,
		}},
	})
}
