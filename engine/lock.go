package engine

import (
	"context"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
	"kasse/models"
)

// transact runs fn in one database transaction. When PostgreSQL aborts it
// for a deadlock or a serialization failure (db.IsRetryable), fn runs once
// more in a fresh transaction; a second such failure is a 503 the client
// may retry, never a 500. fn must start from scratch on every attempt.
func (e *Engine) transact(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := e.DB.WithContext(ctx).Transaction(fn)
	if !db.IsRetryable(err) {
		return err
	}
	err = e.DB.WithContext(ctx).Transaction(fn)
	if db.IsRetryable(err) {
		return errs.New(errs.Unavailable, "the database could not order this write with a concurrent one: send it again")
	}
	return err
}

// lockedFind loads a row for writing, holding its lock to the end of tx.
// For a type that belongs to an order the order is locked first: the order
// of the row id names within scope is locked (models.LockOrder's read,
// the row's order id read in a subquery, which locks nothing), and only
// then is the row locked and read, within scope. Every writer of an order
// and its children so takes the order's lock before any child's, whatever
// it was asked to change.
func (e *Engine) lockedFind(ctx context.Context, tx *gorm.DB, def *Definition, id string, scope []db.Condition) (any, error) {
	if def.ParentOrder == "" {
		return e.find(ctx, db.ForUpdate(tx), def, id, scope)
	}
	if !validText(id) {
		return nil, errs.NotFound(def.Type, id)
	}
	parent, err := db.Apply(tx.Session(&gorm.Session{NewDB: true}).Table(def.Table).Select(def.ParentOrder), def.Table,
		append(def.within(scope), db.Condition{{Column: "id", Predicate: db.Eq, Values: []any{id}}}))
	if err != nil {
		return nil, err
	}
	order, err := models.LockOrderOf(tx, parent)
	if err != nil {
		return nil, err
	}
	model, err := e.find(ctx, db.ForUpdate(tx), def, id, scope)
	if err != nil {
		return nil, err
	}
	if now := parentOrderID(def, model); order == nil || now != order.ID {
		// The row changed orders, or appeared, since the order was locked
		// (no endpoint moves one): lock the order it belongs to now as
		// well.
		if order, err = lockOrder(tx, now); err != nil {
			return nil, err
		}
	}
	handOver(model, order)
	return model, nil
}

// lockParent locks the order a model about to be created belongs to, for
// the same lock order as updates, and hands it to the model (an
// models.OrderChild), whose rules then need not read it again. locked is
// the order the body's relationship check already locked, if any.
func lockParent(tx *gorm.DB, def *Definition, model any, locked *models.Order) error {
	if def.ParentOrder == "" {
		return nil
	}
	id := parentOrderID(def, model)
	if locked != nil && locked.ID == id {
		handOver(model, locked)
		return nil
	}
	order, err := lockOrder(tx, id)
	handOver(model, order)
	return err
}

// handOver gives an order child the order locked and read for it.
func handOver(model any, order *models.Order) {
	if child, ok := model.(models.OrderChild); ok && order != nil {
		child.LockedOrder(order)
	}
}

func parentOrderID(def *Definition, model any) string {
	id, _ := def.column(model, def.ParentOrder).(string)
	return id
}

func lockOrder(tx *gorm.DB, id string) (*models.Order, error) {
	if id == "" {
		return nil, nil
	}
	return models.LockOrder(tx, id)
}
