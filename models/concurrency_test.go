package models_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

// TestConcurrentPlacementsOnePerCustomer: carts of one customer (or one
// guest email) holding a once-per-customer SKU, placed at the same moment:
// exactly one is placed, every other is ALREADY_PURCHASED.
func TestConcurrentPlacementsOnePerCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newShop(t, gdb)
		sku := s.sku(course)
		sku.LimitOnePerCustomer = true
		s.must(write(gdb, sku, false))

		buyers := []struct {
			name  string
			carts func(c *models.Customer, i int) (customerID, email *string)
		}{
			{"one customer", func(c *models.Customer, _ int) (*string, *string) { return &c.ID, nil }},
			{"customer and guest email", func(c *models.Customer, i int) (*string, *string) {
				if i%2 == 0 {
					return &c.ID, nil
				}
				return nil, ptr(strings.ToUpper(c.Email))
			}},
			{"one guest email", func(c *models.Customer, _ int) (*string, *string) { return nil, ptr("guest-" + c.Email) }},
		}
		for i, b := range buyers {
			t.Run(b.name, func(t *testing.T) {
				s := s.in(t)
				customer := s.customer(fmt.Sprintf("racer%d@example.com", i))
				const carts = 6
				orders := make([]*models.Order, carts)
				for i := range orders {
					customerID, email := b.carts(customer, i)
					orders[i] = s.order("eu", email, customerID)
					s.mustAdd(orders[i], course, 1)
					s.ready(orders[i])
				}
				results := make([]error, carts)
				var wg sync.WaitGroup
				for i, o := range orders {
					wg.Add(1)
					go func() {
						defer wg.Done()
						results[i] = gdb.Transaction(func(tx *gorm.DB) error {
							locked, err := models.LockOrder(tx, o.ID)
							if err != nil {
								return err
							}
							if err := locked.Place(tx, nil); err != nil {
								return err
							}
							return tx.Save(locked).Error
						})
					}()
				}
				wg.Wait()
				placed := 0
				for _, err := range results {
					if err == nil {
						placed++
						continue
					}
					if list, ok := errs.As(err); !ok || list[0].Code != errs.AlreadyPurchased {
						t.Fatalf("a concurrent place answered %v, want ALREADY_PURCHASED", err)
					}
				}
				if placed != 1 {
					t.Fatalf("%d of %d carts placed, want exactly 1", placed, carts)
				}
			})
		}
	})
}
