package engine

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// MaxBatch is the most creates one batch runs.
const MaxBatch = 60

// Op is one create of a batch: a resource body of Def, built once the
// earlier ops' ids are known (ids[i] is op i's), so that it can relate to
// them.
type Op struct {
	Def  *Definition
	Body func(ids []string) (*serializers.ResourceBody, error)
	// Match, when set, reuses the oldest row of Def that the caller may
	// retrieve and whose columns hold these values, instead of creating
	// one (a customer matched by email).
	Match map[string]any
}

// Batch creates ops in order, in one transaction, on behalf of p: each as
// Create would (access, attributes, relationships, rules, parent lock,
// events, the grant's scope), all of them or none. It returns each op's
// id. This is what the checkout facades turn a request into: one wire
// request, several resources, no partial write.
//
// Under an idempotency claim the last op's id is recorded; a request taken
// over after its server died returns that id (the others "") without
// creating anything again. Matches of the same values take turns (a lock
// per table and values, to the end of the transaction); one that still
// loses a race to another writer of the row (a unique violation) runs the
// batch once more, which then finds it.
func (e *Engine) Batch(ctx context.Context, p *models.Principal, ops []Op) ([]string, error) {
	if len(ops) == 0 || len(ops) > MaxBatch {
		return nil, errs.New(errs.ValidationError, "a batch has 1 to %d creates", MaxBatch)
	}
	last := ops[len(ops)-1].Def
	claim := models.IdempotencyClaimFrom(ctx)
	if id, ok := claim.Created(last.Type); ok {
		scope, _ := last.Permit(p, Create)
		if _, err := e.resumeCreate(ctx, p, last, id, scope); err != nil {
			var committed *CommittedError
			if !errors.As(err, &committed) {
				return nil, err
			}
		}
		ids := make([]string, len(ops))
		ids[len(ids)-1] = id
		return ids, nil
	}
	var after []func(context.Context) error
	var ids []string
	run := func(tx *gorm.DB) error {
		ids, after = make([]string, 0, len(ops)), nil
		for i, op := range ops {
			id, work, err := e.batchOp(ctx, tx, p, op, ids)
			if err != nil {
				return &OpError{Index: i, Err: err}
			}
			ids, after = append(ids, id), append(after, work...)
		}
		return claim.RecordCreated(tx, last.Type, ids[len(ids)-1])
	}
	err := e.transact(ctx, run)
	if db.IsUniqueViolation(err) && matches(ops) {
		err = e.transact(ctx, run)
	}
	if err != nil {
		var failed *OpError
		if errors.As(err, &failed) {
			return nil, &OpError{Index: failed.Index, Err: translate(failed.Err)}
		}
		return nil, translate(err)
	}
	for _, fn := range after {
		if err := fn(context.WithoutCancel(ctx)); err != nil {
			return ids, &CommittedError{ID: ids[len(ids)-1], Err: err}
		}
	}
	return ids, nil
}

// OpError is the failure of a batch's op Index (its errors' pointers are
// into that op's body).
type OpError struct {
	Index int
	Err   error
}

func (e *OpError) Error() string { return e.Err.Error() }

func (e *OpError) Unwrap() error { return e.Err }

func matches(ops []Op) bool {
	for _, op := range ops {
		if op.Match != nil {
			return true
		}
	}
	return false
}

// batchOp runs one op in tx: a match, or a create.
func (e *Engine) batchOp(ctx context.Context, tx *gorm.DB, p *models.Principal, op Op, ids []string) (string, []func(context.Context) error, error) {
	def := op.Def
	if op.Match != nil {
		if scope, ok := def.readScope(p); ok {
			// Concurrent batches matching the same values take turns, so
			// the second finds the row the first created.
			key := def.Table
			for _, column := range sortedKeys(op.Match) {
				key += fmt.Sprintf("|%s=%v", column, op.Match[column])
			}
			if err := db.LockKey(tx, "batch-match:"+key); err != nil {
				return "", nil, err
			}
			where := def.within(scope)
			for _, column := range sortedKeys(op.Match) {
				where = append(where, db.Condition{{Column: column, Predicate: db.Eq, Values: []any{op.Match[column]}}})
			}
			slice := def.newSlice()
			if err := db.Find(ctx, tx, def.Table, slice, db.Query{Where: where, Order: []db.Order{{Column: "created_at"}, {Column: "id"}}, Limit: 1}); err != nil {
				return "", nil, err
			}
			if rows := def.elements(slice); len(rows) > 0 {
				return def.ID(rows[0]), nil, nil
			}
		}
	}
	scope, allowed := def.Permit(p, Create)
	if !allowed {
		return "", nil, ErrDenied(def, Create)
	}
	body, err := op.Body(ids)
	if err != nil {
		return "", nil, err
	}
	body.Type = def.Type
	call := &Call{Ctx: ctx, Tx: tx, Principal: p, engine: e, def: def}
	model, err := e.createIn(call, body, scope)
	if err != nil {
		return "", nil, err
	}
	return def.ID(model), call.after, nil
}
