package db

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// A scan plan writes a result's columns straight into a model's fields,
// by offset, with a setter per field picked once from the field's Go type:
// gorm's own scan allocates a holder per column of every row and sets it
// by reflection, the largest part of a point read's CPU after the
// database's. A value a setter does not know goes through gorm's setter
// for that field, so what is read is what gorm would have read.
type scanPlan struct {
	typ       reflect.Type
	fields    map[string]*scanField // by column name
	afterFind bool
}

type scanField struct {
	offset uintptr
	set    func(p unsafe.Pointer, src any) bool // false: leave it to gorm
	gorm   *schema.Field
}

// finder is the hook gorm calls after it reads a model (Order keeps the
// amounts it read).
type finder interface{ AfterFind(*gorm.DB) error }

var scanPlans sync.Map // reflect.Type → *scanPlan, or nil when gorm must scan it

// planOf returns typ's plan, or nil when its fields cannot be reached by
// offset (a pointer to an embedded struct) and gorm must scan it.
func planOf(tx *gorm.DB, typ reflect.Type) (*scanPlan, error) {
	if p, ok := scanPlans.Load(typ); ok {
		plan, _ := p.(*scanPlan)
		return plan, nil
	}
	sch, err := schema.Parse(reflect.New(typ).Interface(), &sync.Map{}, tx.NamingStrategy)
	if err != nil {
		return nil, err
	}
	plan := &scanPlan{typ: typ, fields: map[string]*scanField{}, afterFind: reflect.PointerTo(typ).Implements(reflect.TypeFor[finder]())}
	for _, f := range sch.Fields {
		if f.DBName == "" || !f.Readable {
			continue
		}
		offset, ok := offsetOf(typ, f.StructField.Index)
		if !ok {
			scanPlans.Store(typ, (*scanPlan)(nil))
			return nil, nil
		}
		if _, taken := plan.fields[f.DBName]; taken {
			continue // the first field of a name is the one gorm sets
		}
		plan.fields[f.DBName] = &scanField{offset: offset, set: setterOf(f.FieldType), gorm: f}
	}
	scanPlans.Store(typ, plan)
	return plan, nil
}

// offsetOf is the offset of the field index path names in typ, when every
// step is a struct held by value.
func offsetOf(typ reflect.Type, index []int) (uintptr, bool) {
	var offset uintptr
	for i, n := range index {
		if typ.Kind() != reflect.Struct || n < 0 || n >= typ.NumField() {
			return 0, false // gorm's path is not a plain field path: gorm scans it
		}
		f := typ.Field(n)
		offset += f.Offset
		typ = f.Type
		if i < len(index)-1 && typ.Kind() == reflect.Pointer {
			return 0, false
		}
	}
	return offset, true
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	scannerType = reflect.TypeFor[sql.Scanner]()
)

// setterOf picks the setter of a field of type t for the values drivers
// give (database/sql's driver.Value: int64, float64, bool, []byte, string,
// time.Time, nil); nil when gorm must set every value.
func setterOf(t reflect.Type) func(unsafe.Pointer, any) bool {
	if reflect.PointerTo(t).Implements(scannerType) {
		return func(p unsafe.Pointer, src any) bool {
			return reflect.NewAt(t, p).Interface().(sql.Scanner).Scan(src) == nil
		}
	}
	if t.Kind() == reflect.Pointer {
		elem := t.Elem()
		if elem.Kind() == reflect.Pointer || reflect.PointerTo(elem).Implements(scannerType) {
			return nil
		}
		set := setterOf(elem)
		if set == nil {
			return nil
		}
		return func(p unsafe.Pointer, src any) bool {
			if src == nil {
				*(*unsafe.Pointer)(p) = nil
				return true
			}
			v := reflect.New(elem)
			if !set(v.UnsafePointer(), src) {
				return false
			}
			*(*unsafe.Pointer)(p) = v.UnsafePointer()
			return true
		}
	}
	if t == timeType {
		return func(p unsafe.Pointer, src any) bool {
			switch v := src.(type) {
			case time.Time:
				*(*time.Time)(p) = v
			case nil:
				*(*time.Time)(p) = time.Time{}
			default:
				return false
			}
			return true
		}
	}
	switch t.Kind() {
	case reflect.String:
		return func(p unsafe.Pointer, src any) bool {
			switch v := src.(type) {
			case string:
				*(*string)(p) = v
			case []byte:
				*(*string)(p) = string(v)
			case nil:
				*(*string)(p) = ""
			default:
				return false
			}
			return true
		}
	case reflect.Bool:
		return func(p unsafe.Pointer, src any) bool {
			switch v := src.(type) {
			case bool:
				*(*bool)(p) = v
			case int64:
				*(*bool)(p) = v != 0
			case nil:
				*(*bool)(p) = false
			default:
				return false
			}
			return true
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		size := t.Size()
		return func(p unsafe.Pointer, src any) bool {
			var n int64
			switch v := src.(type) {
			case int64:
				n = v
			case nil:
			case []byte:
				parsed, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil {
					return false
				}
				n = parsed
			case string:
				parsed, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return false
				}
				n = parsed
			default:
				return false
			}
			switch size {
			case 8:
				*(*int64)(p) = n
			case 4:
				if n < math.MinInt32 || n > math.MaxInt32 {
					return false
				}
				*(*int32)(p) = int32(n)
			default:
				return false
			}
			return true
		}
	case reflect.Float64:
		return func(p unsafe.Pointer, src any) bool {
			switch v := src.(type) {
			case float64:
				*(*float64)(p) = v
			case int64:
				*(*float64)(p) = float64(v)
			case nil:
				*(*float64)(p) = 0
			default:
				return false
			}
			return true
		}
	}
	return nil
}

// columnScan is the destination of one column of the row being scanned.
type columnScan struct {
	row   *unsafe.Pointer
	field *scanField
	ctx   context.Context
	typ   reflect.Type
}

func (c *columnScan) Scan(src any) error {
	if c.field == nil {
		return nil // a column the model does not hold, as gorm ignores it
	}
	p := unsafe.Add(*c.row, c.field.offset)
	if c.field.set != nil && c.field.set(p, src) {
		return nil
	}
	if b, ok := src.([]byte); ok {
		src = append([]byte(nil), b...) // the driver's bytes are valid only during Scan
	}
	if err := c.field.gorm.Set(c.ctx, reflect.NewAt(c.typ, *c.row).Elem(), src); err != nil {
		return fmt.Errorf("db: column %s: %w", c.field.gorm.DBName, err)
	}
	return nil
}

// sliceOfStructs is the slice dest points to, when it is a pointer to a
// slice of structs: what scanAll reads into.
func sliceOfStructs(dest any) (reflect.Value, bool) {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Slice || v.Elem().Type().Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	return v.Elem(), true
}

// scanAll reads every row into slice (of a model type whose plan is
// plan), replacing what it held, and runs the models' AfterFind; limit
// (0: none) is how many rows it can hold at most.
func scanAll(ctx context.Context, tx *gorm.DB, rows *sql.Rows, slice reflect.Value, plan *scanPlan, limit int) (err error) {
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	typ := plan.typ
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	var row unsafe.Pointer
	scans := make([]columnScan, len(columns))
	dests := make([]any, len(columns))
	for i, name := range columns {
		scans[i] = columnScan{row: &row, field: plan.fields[name], ctx: ctx, typ: typ}
		dests[i] = &scans[i]
	}
	slice.SetLen(0)
	if hint := min(limit, 100); hint > 0 && slice.Cap() < hint {
		// The page's rows at once, not by doubling.
		slice.Set(reflect.MakeSlice(slice.Type(), 0, hint))
	}
	for rows.Next() {
		slice.Set(reflect.Append(slice, reflect.Zero(typ)))
		row = slice.Index(slice.Len() - 1).Addr().UnsafePointer()
		if err := rows.Scan(dests...); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if plan.afterFind {
		for i := range slice.Len() {
			if err := slice.Index(i).Addr().Interface().(finder).AfterFind(tx); err != nil {
				return err
			}
		}
	}
	return nil
}
