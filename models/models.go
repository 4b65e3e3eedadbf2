// Package models holds Kasse's gorm models and the domain rules that belong
// to them: derived values, validation and the checks that keep the data
// consistent. Nothing here knows HTTP; failures are *errs.Error values.
package models

import (
	"errors"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Record is what every row has: an opaque id and timestamps.
type Record struct {
	ID        string `gorm:"primaryKey;size:32"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BeforeCreate gives a new row its opaque id.
func (r *Record) BeforeCreate(*gorm.DB) error {
	if r.ID == "" {
		r.ID = db.NewID()
	}
	return nil
}

// Base is what every API resource row has: a Record plus the reference,
// reference_origin and metadata fields every resource carries.
type Base struct {
	Record
	Reference       *string
	ReferenceOrigin *string
	Metadata        db.JSONObject
}

// Writer is implemented by models with rules to apply, inside the write's
// transaction, before a row is inserted or updated: derived columns and
// validation. A failure is an *errs.Error (or errs.List) for the client.
type Writer interface {
	BeforeWrite(tx *gorm.DB, creating bool) error
}

// Defaulter is implemented by models whose new rows have defaults that
// differ from Go's zero values (tax_included is true unless sent).
type Defaulter interface {
	SetDefaults()
}

// OrderChild is implemented by models whose rows belong to an order and
// whose rules read it: the engine, which locks the order first, hands
// over the order it locked and read, so the rules need not read it again.
type OrderChild interface {
	LockedOrder(o *Order)
}

// AfterWriter is implemented by models that keep other rows in step after
// they are written, in the same transaction.
type AfterWriter interface {
	AfterWrite(tx *gorm.DB) error
}

// AfterDestroyr is implemented by models that keep other rows in step after
// they are deleted, in the same transaction.
type AfterDestroyr interface {
	AfterDestroy(tx *gorm.DB) error
}

// (The hooks are named Destroy, not Delete, so that gorm, which calls
// BeforeDelete and AfterDelete hooks by itself, does not run them twice.)

// Deleter is implemented by models that refuse deletion in some states.
type Deleter interface {
	BeforeDestroy(tx *gorm.DB) error
}

// exists reports whether a row of model matches the where clause, ignoring
// the row with id except (so updates do not collide with themselves).
func exists(tx *gorm.DB, model any, except string, query string, args ...any) (bool, error) {
	q := tx.Model(model).Where(query, args...)
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	var n int64
	err := q.Limit(1).Count(&n).Error
	return n > 0, err
}

// findBy loads one row of dest's type matching the where clause; a missing
// row is (false, nil).
func findBy(tx *gorm.DB, dest any, query string, args ...any) (bool, error) {
	err := tx.Where(query, args...).Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}

// unique turns a taken value into a validation error on attribute.
func unique(tx *gorm.DB, model any, id, column, attribute string, value any) error {
	taken, err := exists(tx, model, id, column+" = ?", value)
	if err != nil {
		return err
	}
	if taken {
		return errs.Invalid(attribute, "has already been taken")
	}
	return nil
}

// collect gathers validation failures so a client sees all of them at once.
type collect struct{ list errs.List }

func (c *collect) add(err error) error {
	if err == nil {
		return nil
	}
	if list, ok := errs.As(err); ok {
		c.list = append(c.list, list...)
		return nil
	}
	return err
}

func (c *collect) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}

// Switch is the disabled_at of resources that can be turned off (markets,
// payment methods, gateways) and its `_disable` / `_enable` triggers.
type Switch struct {
	DisabledAt *time.Time
}

// Disable turns the resource off (the `_disable` trigger).
func (s *Switch) Disable(*gorm.DB) error {
	if s.DisabledAt == nil {
		now := db.Now()
		s.DisabledAt = &now
	}
	return nil
}

// Enable turns it on again (the `_enable` trigger).
func (s *Switch) Enable(*gorm.DB) error {
	s.DisabledAt = nil
	return nil
}

// IsUnavailable reports whether err is an infrastructure failure (the
// database unreachable, its pool exhausted, a timeout): a 503, never the
// client's fault.
func IsUnavailable(err error) bool { return db.IsUnavailable(err) }

// IsInvalidValue reports whether the database refused a value the request
// carried (a client error that slipped past validation).
func IsInvalidValue(err error) bool { return db.IsInvalidValue(err) }
