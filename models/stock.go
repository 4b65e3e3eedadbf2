package models

import (
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// LabelFormats are the shipping label formats a stock location may use.
var LabelFormats = []string{"PDF", "ZPL", "EPL2", "PNG"}

// StockLocation is a place that holds stock. Kasse's inventory model is
// the simplest the reference has: every market ships from one location,
// the primary one (the lowest number), and only its stock counts.
type StockLocation struct {
	Base
	Number      int
	Name        string
	Code        *string
	LabelFormat string
	SuppressEtd bool
	AddressID   *string
}

// SetDefaults gives a new stock location the reference's default label
// format.
func (l *StockLocation) SetDefaults() { l.LabelFormat = "PDF" }

// BeforeWrite numbers a new location and checks its code and format.
func (l *StockLocation) BeforeWrite(tx *gorm.DB, creating bool) error {
	if creating {
		var max int
		if err := db.Scan(tx.Model(&StockLocation{}).Select("COALESCE(MAX(number), 0)"), &max); err != nil {
			return err
		}
		l.Number = max + 1
	}
	var v collect
	if !slices.Contains(LabelFormats, l.LabelFormat) {
		_ = v.add(errs.Invalid("label_format", "must be one of "+strings.Join(LabelFormats, ", ")))
	}
	if l.Code != nil {
		if err := v.add(unique(tx, &StockLocation{}, l.ID, "code", "code", *l.Code)); err != nil {
			return err
		}
	}
	return v.err()
}

// StockItem is how many of a SKU a stock location holds.
type StockItem struct {
	Base
	StockLocationID string
	SkuID           string
	SkuCode         *string
	Quantity        int
}

// BeforeWrite resolves sku_code to a SKU when no sku relationship was
// given, and keeps one stock item per SKU and location.
func (s *StockItem) BeforeWrite(tx *gorm.DB, creating bool) error {
	code := s.SkuCode
	if code != nil && strings.TrimSpace(*code) != "" {
		trimmed := strings.TrimSpace(*code)
		code = &trimmed
	}
	sku, err := skuByIDOrCode(tx, s.SkuID, code)
	if err != nil {
		return err
	}
	s.SkuID, s.SkuCode = sku.ID, &sku.Code
	var v collect
	if s.Quantity < 0 {
		_ = v.add(errs.Invalid("quantity", "must be greater than or equal to 0"))
	}
	taken, err := exists(tx, &StockItem{}, s.ID, "stock_location_id = ? AND sku_id = ?", s.StockLocationID, s.SkuID)
	if err != nil {
		return err
	}
	if taken {
		_ = v.add(errs.New(errs.ValidationError, "sku - already has a stock item in this stock location").At(errs.RelationshipPointer("sku")))
	}
	return v.err()
}

// StockLineItem records what a placed order took from a stock item, so
// that cancelling it gives exactly that back, once.
type StockLineItem struct {
	Record
	OrderID     string
	StockItemID string
	Quantity    int
	ReleasedAt  *time.Time
}

// primaryStockLocation is the location every market ships from: the
// lowest-numbered. ok is false when the installation has none, and then
// stock is not tracked.
func primaryStockLocation(tx *gorm.DB) (loc StockLocation, ok bool, err error) {
	err = tx.Order("number").Limit(1).Take(&loc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return loc, false, nil
	}
	return loc, err == nil, err
}

// primaryLocation is the primary stock location's id as an order's write
// read it; ok is false when there is none.
type primaryLocation struct {
	id string
	ok bool
}

// stockLocation is the primary stock location's id (ok false: none), read
// once per order value: a line item's write checks the stock and creates
// the shipment from it.
func (o *Order) stockLocation(tx *gorm.DB) (id string, ok bool, err error) {
	if o.location == nil {
		loc, ok, err := primaryStockLocation(tx)
		if err != nil {
			return "", false, err
		}
		o.location = &primaryLocation{id: loc.ID, ok: ok}
	}
	return o.location.id, o.location.ok, nil
}

// Inventory is a SKU's stock as the reference shows it (skus.inventory).
type Inventory struct {
	Available bool
	// Quantity is nil for a SKU whose stock is not tracked (do_not_track,
	// or no stock location at all).
	Quantity *int
}

// LoadInventories reads the inventory of skus (Sku.Inventory) in one
// query.
func LoadInventories(tx *gorm.DB, skus []*Sku) error {
	if len(skus) == 0 {
		return nil
	}
	ids := make([]string, len(skus))
	for i, s := range skus {
		ids[i] = s.ID
	}
	// One row per stock item of these SKUs at the primary location, or one
	// row with no SKU when it has none of them; no row: no location at all.
	// Scanned by hand: every SKU read runs it, and two columns need no
	// reflection.
	rows, err := db.Rows(tx.Statement.Context, tx, "SELECT si.sku_id, si.quantity FROM (SELECT id FROM stock_locations ORDER BY number LIMIT 1) p "+
		"LEFT JOIN stock_items si ON si.stock_location_id = p.id AND si.sku_id IN ?", ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	tracked := false
	held := make(map[string]int, len(skus))
	for rows.Next() {
		var skuID sql.NullString
		var quantity sql.NullInt64
		if err := rows.Scan(&skuID, &quantity); err != nil {
			return err
		}
		tracked = true
		if skuID.Valid && quantity.Valid {
			held[skuID.String] = int(quantity.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range skus {
		if !tracked || s.DoNotTrack {
			s.Inventory = &Inventory{Available: true}
			continue
		}
		q := held[s.ID]
		s.Inventory = &Inventory{Available: q > 0, Quantity: &q}
	}
	return nil
}

// outOfStock is the 422 for a quantity the primary location cannot cover.
func outOfStock(code string, available int) error {
	return errs.Invalid("quantity", "is out of stock: "+code+" has "+strconv.Itoa(max(available, 0))+" available")
}

// checkStock refuses a line item whose SKU's quantity in the order (this
// item's and the order's other items of the SKU, others when the write
// has read them) exceeds the primary location's stock of it.
func (li *LineItem) checkStock(tx *gorm.DB, order *Order, sku *Sku, others *int) error {
	if sku.DoNotTrack {
		return nil
	}
	if others == nil {
		var sum struct{ Quantity int }
		if err := db.Scan(tx.Model(&LineItem{}).Select("COALESCE(SUM(quantity), 0) AS quantity").
			Where("order_id = ? AND item_id = ? AND id <> ?", li.OrderID, sku.ID, li.ID), &sum); err != nil {
			return err
		}
		others = &sum.Quantity
	}
	available, tracked, err := order.heldAtPrimary(tx, sku.ID)
	if err != nil || !tracked {
		return err
	}
	if *others+li.Quantity > available {
		return outOfStock(sku.Code, available-*others)
	}
	return nil
}

// heldAtPrimary is how many of a SKU the primary stock location holds
// (tracked false: there is none). Unless the order's write has read the
// location, the location and its stock item are read in one query, and
// the location kept (stockLocation).
func (o *Order) heldAtPrimary(tx *gorm.DB, skuID string) (held int, tracked bool, err error) {
	if o.location == nil {
		var row struct {
			LocationID *string
			Quantity   *int
		}
		if err := db.Scan(tx.Raw("SELECT p.id AS location_id, si.quantity FROM (SELECT id FROM stock_locations ORDER BY number LIMIT 1) p "+
			"LEFT JOIN stock_items si ON si.stock_location_id = p.id AND si.sku_id = ?", skuID), &row); err != nil {
			return 0, false, err
		}
		o.location = &primaryLocation{id: deref(row.LocationID), ok: row.LocationID != nil}
		if row.Quantity != nil {
			held = *row.Quantity
		}
		return held, o.location.ok, nil
	}
	if !o.location.ok {
		return 0, false, nil
	}
	var item StockItem
	found, err := findBy(tx, &item, "stock_location_id = ? AND sku_id = ?", o.location.id, skuID)
	if err != nil || !found {
		return 0, true, err
	}
	return item.Quantity, true, nil
}

// decrementStock takes the order's tracked items from the primary
// location when it is placed: each stock item in SKU order (so two
// placements lock them in one order), only if it still holds enough,
// recording what it took. A stock item that no longer covers the order
// fails the placement with a 422.
func (o *Order) decrementStock(tx *gorm.DB) error {
	location, tracked, err := o.stockLocation(tx)
	if err != nil || !tracked {
		return err
	}
	var needs []struct {
		SkuID    string
		Code     string
		Quantity int
	}
	if err := db.Scan(tx.Model(&LineItem{}).Select("skus.id AS sku_id, skus.code AS code, SUM(line_items.quantity) AS quantity").
		Joins("JOIN skus ON skus.id = line_items.item_id").
		Where("line_items.order_id = ? AND line_items.item_type = ? AND skus.do_not_track = ?", o.ID, "skus", false).
		Group("skus.id, skus.code").Order("skus.id"), &needs); err != nil {
		return err
	}
	now := db.Now()
	for _, n := range needs {
		var item StockItem
		found, err := findBy(tx, &item, "stock_location_id = ? AND sku_id = ?", location, n.SkuID)
		if err != nil {
			return err
		}
		if !found {
			return outOfStock(n.Code, 0)
		}
		res := tx.Model(&StockItem{}).Where("id = ? AND quantity >= ?", item.ID, n.Quantity).
			Updates(map[string]any{"quantity": gorm.Expr("quantity - ?", n.Quantity), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var left StockItem
			if err := tx.Where("id = ?", item.ID).Take(&left).Error; err != nil {
				return err
			}
			return outOfStock(n.Code, left.Quantity)
		}
		if err := tx.Create(&StockLineItem{OrderID: o.ID, StockItemID: item.ID, Quantity: n.Quantity}).Error; err != nil {
			return err
		}
	}
	return nil
}

// releaseStock gives a cancelled order's stock back, once.
func (o *Order) releaseStock(tx *gorm.DB) error {
	var taken []StockLineItem
	if err := tx.Where("order_id = ? AND released_at IS NULL", o.ID).Order("stock_item_id").Find(&taken).Error; err != nil {
		return err
	}
	now := db.Now()
	for _, t := range taken {
		if err := tx.Model(&StockItem{}).Where("id = ?", t.StockItemID).
			Updates(map[string]any{"quantity": gorm.Expr("quantity + ?", t.Quantity), "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&StockLineItem{}).Where("id = ?", t.ID).Updates(map[string]any{"released_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
	}
	return nil
}
