// Command baseline is the hand-written server `make bench` measures Kasse
// against: net/http, database/sql (pgx or the same pure-Go SQLite driver)
// and encoding/json, serving GET /api/skus (page[size], page[number],
// include=prices, sort=-created_at, filter[q][code_start]) and
// GET /api/skus/{id}, and GET /api/orders/{id} (include=line_items,market
// or a part of it), as an integration sees them, with documents
// structurally identical to Kasse's from the same rows and the same
// statements (for SKUs a bounded count, the page, one query for the SKUs'
// stock, one for the included prices; for an order the order, its line
// items, its market). It checks no token: what it leaves out is what
// Kasse's authentication costs.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/glebarez/go-sqlite"  // registers "sqlite"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"kasse/models"
)

// exactBound is Kasse's engine.ExactCountBound.
const exactBound = 1000

func main() {
	dbURL := flag.String("database-url", "", "sqlite:<path> or postgres://…")
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	base := flag.String("base-url", "", "origin of the links (default http://<addr>)")
	flag.Parse()
	if *base == "" {
		*base = "http://" + *addr
	}
	s, err := open(*dbURL, *base)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(*addr, s))
}

type server struct {
	db       *sql.DB
	postgres bool
	base     string
	org      string
}

func open(dbURL, base string) (*server, error) {
	s := &server{base: base}
	var err error
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		s.postgres = true
		s.db, err = sql.Open("pgx", dbURL)
		s.db.SetMaxOpenConns(10)
		s.db.SetMaxIdleConns(10)
	case strings.HasPrefix(dbURL, "sqlite:"):
		s.db, err = sql.Open("sqlite", strings.TrimPrefix(dbURL, "sqlite:")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
		// Kept open, as Kasse's: a new SQLite connection parses the
		// schema on its first statement.
		s.db.SetMaxOpenConns(8)
		s.db.SetMaxIdleConns(8)
	default:
		return nil, fmt.Errorf("-database-url: sqlite:<path> or postgres://…, got %q", dbURL)
	}
	if err != nil {
		return nil, err
	}
	err = s.db.QueryRow("SELECT id FROM organizations ORDER BY created_at LIMIT 1").Scan(&s.org)
	return s, err
}

// ph is the n-th placeholder (1-based) of the dialect.
func (s *server) ph(n int) string {
	if s.postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc map[string]any
	var err error
	skus, isSkus := strings.CutPrefix(r.URL.Path, "/api/skus")
	order, isOrder := strings.CutPrefix(r.URL.Path, "/api/orders/")
	switch {
	case r.Method != http.MethodGet || (!isSkus && (!isOrder || order == "" || strings.Contains(order, "/"))):
		http.NotFound(w, r)
		return
	case isOrder:
		doc, err = s.order(r.Context(), order, r.URL.Query().Get("include"))
	case skus == "":
		doc, err = s.list(r.Context(), r.URL)
	default:
		doc, err = s.one(r.Context(), strings.TrimPrefix(skus, "/"), r.URL.Query().Get("include") == "prices")
	}
	if errors.Is(err, sql.ErrNoRows) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		log.Print(err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.api+json")
	_ = json.NewEncoder(w).Encode(doc)
}

const skuColumns = "id, code, name, description, image_url, pieces_per_pack, weight, unit_of_weight, hs_tariff_number, do_not_ship, do_not_track, limit_one_per_customer, reference, reference_origin, metadata, created_at, updated_at"

type sku struct {
	id, code, name                                          string
	description, imageURL, unitOfWeight, hsTariff, ref, org *string
	piecesPerPack                                           *int64
	weight                                                  *float64
	doNotShip, doNotTrack, limitOne                         bool
	metadata                                                []byte
	createdAt, updatedAt                                    time.Time
}

func scanSkus(rows *sql.Rows) ([]sku, error) {
	defer rows.Close()
	var out []sku
	for rows.Next() {
		var k sku
		if err := rows.Scan(&k.id, &k.code, &k.name, &k.description, &k.imageURL, &k.piecesPerPack, &k.weight, &k.unitOfWeight, &k.hsTariff,
			&k.doNotShip, &k.doNotTrack, &k.limitOne, &k.ref, &k.org, &k.metadata, &k.createdAt, &k.updatedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *server) list(ctx context.Context, u *url.URL) (map[string]any, error) {
	q := u.Query()
	size, number := 10, 1
	if v := q.Get("page[size]"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	if v := q.Get("page[number]"); v != "" {
		number, _ = strconv.Atoi(v)
	}
	if size < 1 || size > 25 || number < 1 {
		return nil, fmt.Errorf("page %d of %d", number, size)
	}
	// The two list variants make bench measures besides the default:
	// sort=-created_at, and filter[q][code_start] (as Kasse writes it).
	where, order := "", "created_at ASC, id ASC"
	var args []any
	if prefix := q.Get("filter[q][code_start]"); prefix != "" {
		low := strings.ToLower(prefix)
		where = " WHERE LOWER(code) LIKE " + s.ph(1) + " ESCAPE '\\'"
		args = append(args, strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(low)+"%")
		if !s.postgres {
			end := []byte(low)
			end[len(end)-1]++
			where += " AND LOWER(code) >= ? AND LOWER(code) < ?"
			args = append(args, low, string(end))
		}
	}
	switch q.Get("sort") {
	case "":
	case "-created_at":
		order = "created_at DESC, id DESC"
	default:
		return nil, fmt.Errorf("sort %q", q.Get("sort"))
	}
	var count int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM skus"+where+" LIMIT "+strconv.Itoa(exactBound+1)+") AS bounded", args...).Scan(&count); err != nil {
		return nil, err
	}
	exact := count <= exactBound
	if !exact && s.postgres {
		var plan string
		if err := s.db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) SELECT 1 FROM skus"+where, args...).Scan(&plan); err != nil {
			return nil, err
		}
		var explained []struct {
			Plan struct {
				Rows float64 `json:"Plan Rows"`
			}
		}
		if err := json.Unmarshal([]byte(plan), &explained); err != nil || len(explained) == 0 {
			return nil, fmt.Errorf("plan %s: %v", plan, err)
		}
		count = max(count, int64(explained[0].Plan.Rows))
	}
	n := len(args)
	rows, err := s.db.QueryContext(ctx, "SELECT "+skuColumns+" FROM skus"+where+" ORDER BY "+order+" LIMIT "+s.ph(n+1)+" OFFSET "+s.ph(n+2), append(args, size, (number-1)*size)...)
	if err != nil {
		return nil, err
	}
	skus, err := scanSkus(rows)
	if err != nil {
		return nil, err
	}
	if !exact {
		seen := int64((number-1)*size + len(skus))
		if len(skus) == size {
			seen++
		}
		count = max(count, seen)
	}
	data, included, err := s.render(ctx, skus, q.Get("include") == "prices")
	if err != nil {
		return nil, err
	}
	pages := (count + int64(size) - 1) / int64(size)
	doc := map[string]any{
		"data":  data,
		"links": s.pagination(u, number, size, pages),
		"meta":  map[string]any{"record_count": count, "record_count_exact": exact, "page_count": pages},
	}
	if included != nil {
		doc["included"] = included
	}
	return doc, nil
}

func (s *server) one(ctx context.Context, id string, withPrices bool) (map[string]any, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+skuColumns+" FROM skus WHERE id = "+s.ph(1)+" LIMIT 1", id)
	if err != nil {
		return nil, err
	}
	skus, err := scanSkus(rows)
	if err != nil {
		return nil, err
	}
	if len(skus) == 0 {
		return nil, sql.ErrNoRows
	}
	data, included, err := s.render(ctx, skus, withPrices)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{"data": data[0]}
	if included != nil {
		doc["included"] = included
	}
	return doc, nil
}

// render builds the resource objects of skus and, with prices, their
// prices (one query) as included resources sorted by type and id.
func (s *server) render(ctx context.Context, skus []sku, withPrices bool) ([]any, []any, error) {
	data := make([]any, len(skus))
	inventories, err := s.inventories(ctx, skus)
	if err != nil {
		return nil, nil, err
	}
	var byOwner map[string][]any
	var included []any
	if withPrices {
		included = []any{}
		byOwner = map[string][]any{}
		if len(skus) > 0 {
			var err error
			if included, err = s.prices(ctx, skus, byOwner); err != nil {
				return nil, nil, err
			}
		}
	}
	for i, k := range skus {
		self := s.base + "/api/skus/" + k.id
		rel := map[string]any{"links": map[string]any{"related": self + "/prices", "self": self + "/relationships/prices"}}
		if withPrices {
			linkage := byOwner[k.id]
			if linkage == nil {
				linkage = []any{}
			}
			rel["data"] = linkage
		}
		data[i] = map[string]any{
			"type": "skus", "id": k.id,
			"links": map[string]any{"self": self},
			"attributes": map[string]any{
				"code": k.code, "name": k.name, "description": k.description, "image_url": k.imageURL,
				"pieces_per_pack": k.piecesPerPack, "weight": k.weight, "unit_of_weight": k.unitOfWeight,
				"hs_tariff_number": k.hsTariff, "do_not_ship": k.doNotShip, "do_not_track": k.doNotTrack,
				"limit_one_per_customer": k.limitOne, "reference": k.ref, "reference_origin": k.org,
				"metadata": object(k.metadata), "created_at": stamp(k.createdAt), "updated_at": stamp(k.updatedAt),
				"inventory": inventories[i],
			},
			"relationships": map[string]any{"prices": rel, "stock_items": map[string]any{
				"links": map[string]any{"related": self + "/stock_items", "self": self + "/relationships/stock_items"}}},
			"meta": s.meta(),
		}
	}
	return data, included, nil
}

// inventories are the SKUs' stock at the primary stock location (one
// query, as Kasse's): available, quantity and levels, or available with a
// null quantity when untracked.
func (s *server) inventories(ctx context.Context, skus []sku) ([]map[string]any, error) {
	out := make([]map[string]any, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	args := make([]any, len(skus))
	marks := make([]string, len(skus))
	for i, k := range skus {
		args[i], marks[i] = k.id, s.ph(i+1)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT si.sku_id, si.quantity FROM (SELECT id FROM stock_locations ORDER BY number LIMIT 1) p "+
		"LEFT JOIN stock_items si ON si.stock_location_id = p.id AND si.sku_id IN ("+strings.Join(marks, ", ")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tracked, held := false, map[string]int64{}
	for rows.Next() {
		var skuID *string
		var quantity *int64
		if err := rows.Scan(&skuID, &quantity); err != nil {
			return nil, err
		}
		tracked = true
		if skuID != nil && quantity != nil {
			held[*skuID] = *quantity
		}
	}
	for i, k := range skus {
		if !tracked || k.doNotTrack {
			out[i] = map[string]any{"available": true, "quantity": nil, "levels": []any{}}
			continue
		}
		q := held[k.id]
		out[i] = map[string]any{"available": q > 0, "quantity": q, "levels": []any{map[string]any{"quantity": q, "delivery_lead_times": []any{}}}}
	}
	return out, rows.Err()
}

func (s *server) prices(ctx context.Context, skus []sku, byOwner map[string][]any) ([]any, error) {
	args := make([]any, len(skus))
	marks := make([]string, len(skus))
	for i, k := range skus {
		args[i], marks[i] = k.id, s.ph(i+1)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, sku_id, sku_code, currency_code, amount_cents, compare_at_amount_cents, processed_at, rules, reference, reference_origin, metadata, created_at, updated_at FROM prices WHERE sku_id IN ("+strings.Join(marks, ", ")+") ORDER BY created_at ASC, id ASC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	included := []any{}
	for rows.Next() {
		var id, skuID, currency string
		var skuCode, ref, org *string
		var amount int64
		var compare *int64
		var processed *time.Time
		var rules, metadata []byte
		var created, updated time.Time
		if err := rows.Scan(&id, &skuID, &skuCode, &currency, &amount, &compare, &processed, &rules, &ref, &org, &metadata, &created, &updated); err != nil {
			return nil, err
		}
		byOwner[skuID] = append(byOwner[skuID], map[string]any{"type": "prices", "id": id})
		m := models.Money{Cents: amount, Currency: currency}
		attrs := map[string]any{
			"currency_code": currency, "sku_code": skuCode, "amount_cents": amount, "amount_float": m.Float(),
			"formatted_amount": m.Formatted(), "original_amount_cents": amount, "formatted_original_amount": m.Formatted(),
			"compare_at_amount_cents": compare, "compare_at_amount_float": nil, "formatted_compare_at_amount": nil,
			"rule_outcomes": nil, "processed_at": nil, "rules": object(rules), "resource_payload": nil,
			"created_at": stamp(created), "updated_at": stamp(updated), "reference": ref, "reference_origin": org,
			"metadata": object(metadata),
		}
		if compare != nil {
			c := models.Money{Cents: *compare, Currency: currency}
			attrs["compare_at_amount_float"], attrs["formatted_compare_at_amount"] = c.Float(), c.Formatted()
		}
		if processed != nil {
			attrs["processed_at"] = stamp(*processed)
		}
		self := s.base + "/api/prices/" + id
		included = append(included, map[string]any{
			"type": "prices", "id": id,
			"links":      map[string]any{"self": self},
			"attributes": attrs,
			"relationships": map[string]any{
				"price_list": map[string]any{"links": map[string]any{"related": self + "/price_list", "self": self + "/relationships/price_list"}},
				"sku":        map[string]any{"links": map[string]any{"related": self + "/sku", "self": self + "/relationships/sku"}},
			},
			"meta": s.meta(),
		})
	}
	sort.Slice(included, func(i, j int) bool {
		return included[i].(map[string]any)["id"].(string) < included[j].(map[string]any)["id"].(string)
	})
	return included, rows.Err()
}

func (s *server) meta() map[string]any {
	return map[string]any{"mode": "test", "organization_id": s.org}
}

// pagination builds first/prev/next/last/self as Kasse does: the request's
// query with page[number] and page[size] set.
func (s *server) pagination(u *url.URL, number, size int, pages int64) map[string]any {
	link := func(n int64) string {
		q := u.Query()
		q.Set("page[number]", strconv.FormatInt(n, 10))
		q.Set("page[size]", strconv.Itoa(size))
		return s.base + u.Path + "?" + q.Encode()
	}
	last := max(pages, 1)
	links := map[string]any{"self": link(int64(number)), "first": link(1), "last": link(last), "prev": nil, "next": nil}
	if number > 1 {
		links["prev"] = link(min(int64(number-1), last))
	}
	if int64(number) < last {
		links["next"] = link(int64(number + 1))
	}
	return links
}

// object is a JSON object column as Kasse shows it: {} when empty.
func object(raw []byte) map[string]any {
	out := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
