package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// The course checkout facade (docs/checkout-apis.md, A): the buyer's own
// customer token buys courses (SKUs sold once per customer, found by their
// numeric reference) in one call that returns a payment page. The placed
// order is the record of ownership.

// maxCourses bounds one purchase.
const maxCourses = 50

type coursesRequest struct {
	Courses any `json:"courses"`
}

type coursesAnswer struct {
	Status      string         `json:"status"`
	CheckoutURL string         `json:"checkout_url"`
	SessionID   string         `json:"session_id"`
	OrderID     int64          `json:"order_id"`
	TotalAmount json.Number    `json:"total_amount"`
	Currency    string         `json:"currency"`
	Courses     []coursesEntry `json:"courses"`
}

type coursesEntry struct {
	ID    any         `json:"id"`
	Title string      `json:"title"`
	Price json.Number `json:"price"`
}

// courseErrors is that API's 422: "Validation failed" with errors.courses.
func courseErrors(messages ...string) errs.List {
	list := make(errs.List, len(messages))
	for i, m := range messages {
		list[i] = errs.New(errs.ValidationError, "%s", m).AtParam("courses")
	}
	return list
}

// courseIDs reads the courses member: integers or strings, at least one,
// each once.
func courseIDs(v any) ([]string, errs.List) {
	list, isList := v.([]any)
	switch {
	case v == nil:
		return nil, courseErrors("The courses field is required.")
	case !isList:
		return nil, courseErrors("The courses must be an array.")
	case len(list) == 0:
		return nil, courseErrors("At least one course must be selected.")
	case len(list) > maxCourses:
		return nil, courseErrors(fmt.Sprintf("The courses may not have more than %d items.", maxCourses))
	}
	var ids []string
	for _, item := range list {
		var id string
		switch x := item.(type) {
		case json.Number:
			if _, err := strconv.ParseInt(x.String(), 10, 64); err != nil {
				return nil, courseErrors("Each course id must be an integer or a string.")
			}
			id = x.String()
		case string:
			id = strings.TrimSpace(x)
		}
		if id == "" || len(id) > 64 {
			return nil, courseErrors("Each course id must be an integer or a string.")
		}
		if slices.Contains(ids, id) {
			return nil, courseErrors("The courses field has a duplicate value.")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (a *api) coursesCheckout(c *gin.Context) {
	var req coursesRequest
	if !a.decodeCompat(c, &req) {
		return
	}
	ids, problems := courseIDs(req.Courses)
	if problems != nil {
		a.fail(c, problems)
		return
	}
	found, err := a.cfg.Checkout.FindCourses(c.Request.Context(), ids)
	if err != nil {
		a.fail(c, err)
		return
	}
	var invalid []string
	for _, id := range ids {
		if sku, ok := found[id]; !ok || !sku.LimitOnePerCustomer {
			invalid = append(invalid, "The selected course "+id+" is invalid.")
		}
	}
	if len(invalid) > 0 {
		a.fail(c, courseErrors(invalid...))
		return
	}
	orderOf := func(ids []string) map[string]serializers.RelationshipBody {
		return map[string]serializers.RelationshipBody{"order": toOne("orders", ids[0])}
	}
	ops := []engine.Op{a.op("orders", fixed(nil, nil))}
	for _, id := range ids {
		skuID := found[id].ID
		ops = append(ops, a.op("line_items", func(done []string) (*serializers.ResourceBody, error) {
			rels := orderOf(done)
			rels["item"] = toOne("skus", skuID)
			return &serializers.ResourceBody{Attributes: attributes(map[string]any{"quantity": 1}), Relationships: rels}, nil
		}))
	}
	ops = append(ops, a.op("checkout_sessions", func(done []string) (*serializers.ResourceBody, error) {
		return &serializers.ResourceBody{Attributes: attributes(nil), Relationships: orderOf(done)}, nil
	}))
	created, err := a.batch(c, models.CompatCourses, ops)
	if err != nil {
		a.fail(c, coursesFailure(err, ids))
		return
	}
	v, err := a.created(c, created)
	if err == nil {
		err = a.cfg.Checkout.LoadItems(c.Request.Context(), v)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	// The courses in the order they were asked for: the batch made their
	// line items in that order, but within one millisecond created_at
	// ties, and the id that breaks the tie is random.
	position := make(map[string]int, len(created))
	for i, id := range created {
		position[id] = i
	}
	slices.SortStableFunc(v.Items, func(x, y models.LineItem) int { return position[x.ID] - position[y.ID] })
	out := coursesAnswer{Status: "SUCCESS", CheckoutURL: a.checkoutURL(&v.Session), SessionID: v.Session.ID, OrderID: v.Order.Number,
		TotalAmount: decimal(v.Session.AmountCents, v.Session.CurrencyCode), Currency: v.Session.CurrencyCode, Courses: []coursesEntry{}}
	for _, li := range v.Items {
		if li.ItemID == nil {
			continue
		}
		sku := v.Skus[*li.ItemID]
		out.Courses = append(out.Courses, coursesEntry{ID: courseID(sku), Title: deref(li.Name), Price: decimal(li.UnitAmountCents, li.CurrencyCode)})
	}
	c.JSON(http.StatusOK, out)
}

// courseID is a course's id as that API shows it: the SKU's reference, a
// number when it is one.
func courseID(sku models.Sku) any {
	ref := deref(sku.Reference)
	if ref == "" {
		return sku.ID
	}
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return n
	}
	return ref
}

// coursesFailure words a batch failure as that API does: a course the
// buyer owns is 403 "Access forbidden"; a course the buyer's market does
// not sell is a 422 on courses.
func coursesFailure(err error, ids []string) error {
	index, list, ok := opFailure(err)
	if !ok {
		return err
	}
	if list[0].Code == errs.AlreadyPurchased {
		return errs.New(errs.Forbidden, "%s", list[0].Detail)
	}
	if course := index - 1; course >= 0 && course < len(ids) && list[0].Code == errs.ValidationError {
		return courseErrors("The selected course " + ids[course] + " is not available: " + list[0].Detail)
	}
	return list
}

// coursesErrors writes that API's error body: {"status": "ERROR",
// "message", "errors"}.
func coursesErrors(c *gin.Context, status int, list errs.List) {
	body := gin.H{"status": "ERROR"}
	switch {
	case len(list) == 0:
		body["message"] = "An error occurred while processing your request"
	case status == http.StatusForbidden:
		body["message"] = "Access forbidden"
	case status == http.StatusUnprocessableEntity && list[0].Parameter == "courses":
		body["message"] = "Validation failed"
		body["errors"] = gin.H{"courses": details(list)}
	case status == http.StatusUnauthorized:
		body["message"] = "Unauthenticated: " + list[0].Detail
	default:
		body["message"] = list[0].Detail
	}
	c.JSON(status, body)
}
