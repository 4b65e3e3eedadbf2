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
// For a type that belongs to an order the order is locked first: the row's
// order id is read without a lock, the order is locked (models.LockOrder),
// and only then is the row locked and read again, within scope. Every
// writer of an order and its children so takes the order's lock before any
// child's, whatever it was asked to change.
func (e *Engine) lockedFind(ctx context.Context, tx *gorm.DB, def *Definition, id string, scope []db.Condition) (any, error) {
	if def.ParentOrder == "" {
		return e.find(ctx, db.ForUpdate(tx), def, id, scope)
	}
	unlocked, err := e.find(ctx, tx, def, id, scope)
	if err != nil {
		return nil, err
	}
	locked := parentOrderID(def, unlocked)
	order, err := lockOrder(tx, locked)
	if err != nil {
		return nil, err
	}
	model, err := e.find(ctx, db.ForUpdate(tx), def, id, scope)
	if err != nil {
		return nil, err
	}
	if now := parentOrderID(def, model); now != locked {
		// The row changed orders between the two reads (no endpoint moves
		// one): lock the order it belongs to now as well.
		if order, err = lockOrder(tx, now); err != nil {
			return nil, err
		}
	}
	handOver(model, order)
	return model, nil
}

// lockParent locks the order a model about to be created belongs to, for
// the same lock order as updates, and hands it to the model (an
// models.OrderChild), whose rules then need not read it again.
func lockParent(tx *gorm.DB, def *Definition, model any) error {
	if def.ParentOrder == "" {
		return nil
	}
	order, err := lockOrder(tx, parentOrderID(def, model))
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
