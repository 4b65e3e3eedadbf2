package models

import (
	"context"
	"time"

	"kasse/db"
	"kasse/errs"
)

// Reconciliation defaults: what `serve` uses unless told otherwise.
const (
	// DefaultReconcileAge is how long a payment or transaction may stay
	// unsettled before the reconciler asks the provider about it: longer
	// than any provider call (so it never races one still in flight by
	// design, although that would be safe: every call is idempotent and
	// every answer is applied under the order lock after a re-read).
	DefaultReconcileAge = 2 * time.Minute
	// DefaultReconcileBatch bounds one pass.
	DefaultReconcileBatch = 100
)

// Reconciled counts what one reconciliation pass looked at.
type Reconciled struct {
	Payments     int // pending payments re-read from their provider
	Transactions int // pending or unknown captures, voids and refunds retried
}

// Reconcile settles what a crash, a timeout or a lost webhook left
// unsettled: payments still pending (or waiting for 3DS) and captures,
// voids and refunds still pending or unknown, last changed more than
// olderThan ago, at most limit of each, oldest first. It is what
// `_refresh` does, run by the server on a ticker so that no intent stays
// pending forever. A provider's refusal or silence is the row's outcome,
// not an error; the first infrastructure failure is returned after the
// pass.
func (p *Payments) Reconcile(ctx context.Context, olderThan time.Duration, limit int) (Reconciled, error) {
	var done Reconciled
	if limit <= 0 {
		limit = DefaultReconcileBatch
	}
	cutoff := db.Now().Add(-olderThan)
	gdb := p.DB.WithContext(ctx)
	var sources []string
	if err := gdb.Model(&PaymentSource{}).
		Where("status IN ? AND kind <> ? AND updated_at < ?", []string{SourcePending, SourceAction}, SourceWireTransfer, cutoff).
		Order("updated_at").Limit(limit).Pluck("id", &sources).Error; err != nil {
		return done, err
	}
	var transactions []string
	if err := gdb.Model(&Transaction{}).
		Where("status IN ? AND kind <> ? AND updated_at < ?", []string{TxPending, TxUnknown}, TxAuthorization, cutoff).
		Order("updated_at").Limit(limit).Pluck("id", &transactions).Error; err != nil {
		return done, err
	}
	var failure error
	keep := func(err error) {
		if _, client := errs.As(err); err != nil && !client && failure == nil {
			failure = err
		}
	}
	for _, id := range sources {
		if ctx.Err() != nil {
			break
		}
		err := p.Refresh(ctx, id)
		keep(err)
		if err == nil {
			done.Payments++
		}
	}
	for _, id := range transactions {
		if ctx.Err() != nil {
			break
		}
		err := p.Finish(ctx, id)
		keep(err)
		if _, client := errs.As(err); err == nil || client {
			done.Transactions++
		}
	}
	return done, failure
}
