package engine

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"kasse/errs"
	"kasse/models"
)

// Call is what a trigger runs with: the write's transaction, who asked,
// and the engine's collaborators.
type Call struct {
	Ctx       context.Context
	Tx        *gorm.DB
	Principal *models.Principal
	engine    *Engine
	def       *Definition // the type written (nil outside writes)
	after     []func(ctx context.Context) error
}

// Payments is the payment hook orders call on place and cancel (nil until
// payments are wired in).
func (c *Call) Payments() models.PaymentHook {
	if c.engine.Payments == nil {
		return nil
	}
	return c.engine.Payments
}

// URLGuard checks outbound URLs (webhook callbacks); never nil.
func (c *Call) URLGuard() *models.URLGuard {
	if c.engine.URLGuard == nil {
		return &models.URLGuard{}
	}
	return c.engine.URLGuard
}

// CheckIncludes checks include paths on type typ as the include query
// parameter is checked: a 422 at pointer for an unknown path.
func (c *Call) CheckIncludes(typ string, paths []string, pointer string) error {
	def, ok := c.engine.Registry.Lookup(typ)
	if !ok {
		return nil
	}
	for _, p := range paths {
		if err := c.engine.Registry.checkIncludePath(def, strings.Split(p, ".")); err != nil {
			return errs.New(errs.ValidationError, "%q is not a valid include path of %s: %s", p, typ, err.Detail).At(pointer)
		}
	}
	return nil
}

// PaymentFlow is the payment flow (provider calls), or nil.
func (c *Call) PaymentFlow() *models.Payments { return c.engine.Payments }

// AfterCommit schedules work to run once the write's transaction has
// committed, in order: provider calls, which must never run inside a
// transaction. The first error is the request's answer (the write stays).
func (c *Call) AfterCommit(fn func(ctx context.Context) error) { c.after = append(c.after, fn) }

func (c *Call) runAfterCommit() error {
	for _, fn := range c.after {
		if err := fn(c.Ctx); err != nil {
			return err
		}
	}
	return nil
}

// Visible fails with a 404 at pointer unless the caller may see the
// resource of type typ and id (a trigger that takes an id must not reach
// what the caller could not read).
func (c *Call) Visible(typ, id, pointer string) error {
	def, ok := c.engine.Registry.Lookup(typ)
	if !ok {
		return fmt.Errorf("unknown type %s", typ)
	}
	scope, allowed := def.readScope(c.Principal)
	if !allowed {
		return errs.NotFound(typ, id).At(pointer)
	}
	if _, err := c.engine.find(c.Ctx, c.Tx, def, id, scope); err != nil {
		if list, ok := errs.As(err); ok {
			return list[0].At(pointer)
		}
		return err
	}
	return nil
}
