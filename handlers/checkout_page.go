package handlers

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Rhymond/go-money"
	"github.com/gin-gonic/gin"

	"kasse/errs"
	"kasse/models"
)

// checkoutCSP is the hosted checkout page's Content-Security-Policy:
// everything from Kasse's own origin only (its one stylesheet), no
// script at all, never framed.
const checkoutCSP = "default-src 'self'; script-src 'none'; frame-ancestors 'none'; base-uri 'none'"

//go:embed checkout/*.html checkout/*.css
var checkoutFiles embed.FS

var checkoutTemplates = template.Must(template.New("checkout").Funcs(template.FuncMap{
	"t": func(l pageTexts, key string) string { return l.get(key) },
}).ParseFS(checkoutFiles, "checkout/*.html"))

var checkoutCSS = func() []byte {
	b, err := checkoutFiles.ReadFile("checkout/checkout.css")
	if err != nil {
		panic(err)
	}
	return b
}()

// pageToken is the shape of a session's page token: anything else is no
// page, before the database is asked.
var pageToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkoutRoutes serves the hosted checkout page (docs/checkout-sessions.md):
//
//	GET  /checkout/{token}          the page (opening it moves created → pending)
//	POST /checkout/{token}          pay with the form
//	GET  /checkout/{token}/return   back from the provider's page (3DS, hosted checkout)
//	POST /checkout/{token}/cancel   give up: the session is cancelled
func (a *api) checkoutRoutes(r *gin.Engine) {
	g := r.Group("/checkout", pageHeaders(checkoutCSP))
	g.GET("/assets/checkout.css", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Data(http.StatusOK, "text/css; charset=utf-8", checkoutCSS)
	})
	g.GET("/:token", a.checkoutPage)
	g.POST("/:token", a.checkoutPay)
	g.GET("/:token/return", a.checkoutReturn)
	g.POST("/:token/cancel", a.checkoutCancel)
}

// checkoutView is what the templates render.
type checkoutView struct {
	L            pageTexts
	Lang         string
	Token        string
	CSRF         string
	Status       string
	Merchant     string
	Lines        []checkoutLine
	Subtotal     string
	Shipping     string
	Tax          string
	Total        string
	TimeLeft     string
	Method       string // card, mobile_money, bank_transfer
	Form         string // sandbox_card, sandbox_mobile_money, hosted, bank_transfer
	Gateway      string
	Phone        string
	Email        string
	Installments []int
	Error        string
	Failure      string
	FailureURL   string
	SuccessURL   string
	ActionURL    string // a pending 3DS challenge
	Fee          string
	Reference    string
	Description  string
}

type checkoutLine struct {
	Name     string
	Quantity int
	Amount   string
}

func (a *api) checkoutService() *models.CheckoutSessions { return a.cfg.Checkout }

// checkoutToken reads the page token, answering 404 for a malformed one.
func (a *api) checkoutToken(c *gin.Context) (string, bool) {
	token := c.Param("token")
	if !pageToken.MatchString(token) || a.checkoutService() == nil {
		a.checkoutMessage(c, http.StatusNotFound, "en", "not_found")
		return "", false
	}
	return token, true
}

func (a *api) checkoutPage(c *gin.Context) {
	token, ok := a.checkoutToken(c)
	if !ok {
		return
	}
	page, err := a.checkoutService().Open(c.Request.Context(), token)
	if err != nil {
		a.checkoutFailure(c, err, "en")
		return
	}
	if page.Redirect != "" {
		c.Redirect(http.StatusSeeOther, page.Redirect)
		return
	}
	a.renderCheckout(c, page, "", http.StatusOK)
}

func (a *api) checkoutPay(c *gin.Context) {
	token, ok := a.checkoutToken(c)
	if !ok {
		return
	}
	in := models.PayInput{CSRFToken: c.PostForm("csrf_token"), CardNumber: c.PostForm("card_number"), CardExpiry: c.PostForm("card_expiry"),
		CardCVC: c.PostForm("card_cvc"), Phone: c.PostForm("phone"), Email: c.PostForm("email")}
	if n := c.PostForm("installments"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil {
			v = -1
		}
		in.Installments = v
	}
	redirect, err := a.checkoutService().Pay(c.Request.Context(), a.cfg.BaseURL, token, in)
	if err != nil {
		if list, client := errs.As(err); client && list[0].Code == errs.ValidationError && list[0].Pointer != "" {
			// A form mistake (a card number that is not a test card, a bad
			// expiry): the form again, with what to fix.
			page, perr := a.checkoutService().Open(c.Request.Context(), token)
			if perr != nil {
				a.checkoutFailure(c, perr, "en")
				return
			}
			a.renderCheckout(c, page, list[0].Detail, http.StatusUnprocessableEntity)
			return
		}
	}
	a.checkoutRedirect(c, token, redirect, err)
}

func (a *api) checkoutReturn(c *gin.Context) {
	token, ok := a.checkoutToken(c)
	if !ok {
		return
	}
	redirect, err := a.checkoutService().Return(c.Request.Context(), token, c.Request.URL.Query())
	a.checkoutRedirect(c, token, redirect, err)
}

func (a *api) checkoutCancel(c *gin.Context) {
	token, ok := a.checkoutToken(c)
	if !ok {
		return
	}
	redirect, err := a.checkoutService().CancelPage(c.Request.Context(), token, c.PostForm("csrf_token"))
	a.checkoutRedirect(c, token, redirect, err)
}

// checkoutRedirect ends a page action: a failure page, or 303 to where the
// flow goes next (the page itself when nowhere else).
func (a *api) checkoutRedirect(c *gin.Context, token, redirect string, err error) {
	if err != nil {
		a.checkoutFailure(c, err, "en")
		return
	}
	if redirect == "" {
		redirect = models.CheckoutPath(token)
	}
	c.Redirect(http.StatusSeeOther, redirect)
}

// checkoutFailure answers a page request that failed: a person reads it,
// so it is a page, never a JSON:API document.
func (a *api) checkoutFailure(c *gin.Context, err error, lang string) {
	if errors.Is(err, models.ErrCheckoutSessionNotFound) {
		a.checkoutMessage(c, http.StatusNotFound, lang, "not_found")
		return
	}
	list, client := errs.As(err)
	if !client {
		a.log.Error("checkout page", "error", err.Error(), "request_id", c.Writer.Header().Get("X-Request-Id"))
		status := http.StatusInternalServerError
		if models.IsUnavailable(err) {
			status = http.StatusServiceUnavailable
			c.Header("Retry-After", "2")
		}
		a.checkoutMessage(c, status, lang, "unavailable")
		return
	}
	status := list[0].Code.Status()
	view := checkoutView{L: texts(lang), Lang: lang, Error: list[0].Detail}
	c.Status(status)
	a.executeCheckout(c, "message.html", view)
}

func (a *api) checkoutMessage(c *gin.Context, status int, lang, key string) {
	view := checkoutView{L: texts(lang), Lang: lang, Error: texts(lang).get(key)}
	c.Status(status)
	a.executeCheckout(c, "message.html", view)
}

func (a *api) executeCheckout(c *gin.Context, name string, view checkoutView) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := checkoutTemplates.ExecuteTemplate(c.Writer, name, view); err != nil {
		a.log.Error("checkout template", "error", err.Error())
	}
}

// renderCheckout shows a session in its status: the form (created,
// pending, failed), a waiting page (processing), the receipt
// (completed), or 410 once it expired.
func (a *api) renderCheckout(c *gin.Context, page *models.CheckoutPage, formError string, status int) {
	sess, order := page.Session, page.Order
	lang := languageOf(sess.Locale)
	view := checkoutView{L: texts(lang), Lang: lang, Token: sess.Token, CSRF: sess.CSRFToken, Status: page.Status,
		Method: sess.PaymentMethodType, Error: formError, Phone: deref(sess.CustomerPhone), Email: deref(sess.CustomerEmail),
		Description: deref(sess.Description), Reference: deref(sess.Reference), SuccessURL: models.WithQuery(sess.SuccessURL, sess.ID)}
	if sess.FailureURL != nil {
		view.FailureURL = models.WithQuery(*sess.FailureURL, sess.ID)
	}
	if sess.FailureReason != nil {
		view.Failure = *sess.FailureReason
	}
	format := func(cents int64) string { return FormatAmount(cents, order.CurrencyCode, lang) }
	for _, li := range page.Lines {
		view.Lines = append(view.Lines, checkoutLine{Name: deref(li.Name), Quantity: li.Quantity, Amount: format(li.TotalAmountCents)})
	}
	view.Subtotal, view.Shipping, view.Tax, view.Total = format(order.SubtotalAmountCents), format(order.ShippingAmountCents), format(order.TotalTaxAmountCents), format(sess.AmountCents)
	if sess.FeeAmountCents != nil {
		view.Fee = format(*sess.FeeAmountCents)
	}
	view.TimeLeft = timeLeft(time.Until(sess.ExpiresAt), view.L)
	if page.Gateway != nil {
		view.Gateway = page.Gateway.Kind
	}
	view.Form = formOf(sess.PaymentMethodType, view.Gateway)
	for i := 1; i <= sess.MaxInstallments && sess.MaxInstallments > 1; i++ {
		view.Installments = append(view.Installments, i)
	}
	if page.Source != nil && page.Source.Status == models.SourceAction && page.Source.RedirectURI != nil {
		view.ActionURL = *page.Source.RedirectURI
	}
	name := "form.html"
	switch page.Status {
	case models.SessionExpired:
		name, status = "expired.html", http.StatusGone
	case models.SessionCancelled:
		name = "cancelled.html"
	case models.SessionCompleted:
		name = "receipt.html"
	case models.SessionProcessing:
		name = "processing.html"
		if view.ActionURL == "" {
			// Waiting for the provider (mobile money, a webhook): the page
			// reloads by itself, without JavaScript.
			c.Header("Refresh", "2")
		}
	}
	c.Status(status)
	a.executeCheckout(c, name, view)
}

// formOf is the form a session's page shows for its gateway.
func formOf(method, gateway string) string {
	switch {
	case method == models.MethodBankTransfer || gateway == models.GatewayManual:
		return "bank_transfer"
	case gateway != models.GatewaySandbox:
		return "hosted"
	case method == models.MethodMobileMoney:
		return "sandbox_mobile_money"
	}
	return "sandbox_card"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// languageOf is the page's language for a locale: English or French,
// anything else English.
func languageOf(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "fr") {
		return "fr"
	}
	return "en"
}

func timeLeft(d time.Duration, l pageTexts) string {
	if d <= 0 {
		return l.get("expired_short")
	}
	minutes := int(d.Round(time.Minute) / time.Minute)
	if minutes < 1 {
		return l.get("less_than_a_minute")
	}
	return fmt.Sprintf(l.get("minutes_left"), minutes)
}

// FormatAmount shows an amount in minor units for a page's language:
// English "€1,234.50", "5,000 CFA"; French "1 234,50 €", "5 000 CFA"
// (the currency's ISO 4217 exponent decides the decimals).
func FormatAmount(cents int64, currency, lang string) string {
	cur := money.GetCurrency(strings.ToUpper(currency))
	if cur == nil {
		return strconv.FormatInt(cents, 10) + " " + currency
	}
	group, decimal := ",", "."
	if lang == "fr" {
		group, decimal = "\u202f", ","
	}
	neg := cents < 0
	if neg {
		cents = -cents
	}
	digits := strconv.FormatInt(cents, 10)
	for len(digits) <= cur.Fraction {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-cur.Fraction], digits[len(digits)-cur.Fraction:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	number := b.String()
	if cur.Fraction > 0 {
		number += decimal + frac
	}
	if neg {
		number = "-" + number
	}
	symbol := cur.Grapheme
	if lang == "fr" || len([]rune(symbol)) > 1 {
		return number + "\u00a0" + symbol
	}
	return symbol + number
}
