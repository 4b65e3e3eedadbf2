package models_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/errs"
	"kasse/models"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		cents     int64
		currency  string
		wantFloat float64
		wantText  string
	}{
		{1999, "EUR", 19.99, "€19.99"},
		{1999, "USD", 19.99, "$19.99"},
		{1500, "JPY", 1500, "¥1,500"},
		{19000, "XOF", 19000, "19,000 CFA"},
		{1500, "KWD", 1.5, "1.500 .د.ك"},
		{-250, "EUR", -2.5, "-€2.50"},
	}
	for _, tt := range tests {
		m := models.Money{Cents: tt.cents, Currency: tt.currency}
		if got := m.Float(); got != tt.wantFloat {
			t.Errorf("%d %s: Float() = %v, want %v", tt.cents, tt.currency, got, tt.wantFloat)
		}
		if got := m.Formatted(); got != tt.wantText {
			t.Errorf("%d %s: Formatted() = %q, want %q", tt.cents, tt.currency, got, tt.wantText)
		}
	}
}

func TestCurrencyExponents(t *testing.T) {
	for code, want := range map[string]int{"EUR": 2, "USD": 2, "JPY": 0, "XOF": 0, "KWD": 3, "eur": 2} {
		c, ok := models.LookupCurrency(code)
		if !ok {
			t.Fatalf("%s unknown", code)
		}
		if got := c.Exponent(); got != want {
			t.Errorf("%s exponent = %d, want %d", code, got, want)
		}
	}
	if _, ok := models.LookupCurrency("XXY"); ok {
		t.Error("XXY should be unknown")
	}
}

func TestAddressNames(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name        string
		a           models.Address
		fullName    string
		fullAddress string
	}{
		{"personal", models.Address{FirstName: s("Ada"), LastName: s("Lovelace"), Line1: "1 Main St", City: "London", ZipCode: s("N1"), CountryCode: "GB", Phone: "+44 20 0000"}, "Ada Lovelace", "1 Main St, N1 London (GB), +44 20 0000"},
		{"business", models.Address{Business: true, Company: s("ACME"), Line1: "2 Side St", Line2: s("Floor 3"), City: "Paris", StateCode: s("IDF"), CountryCode: "FR", Phone: "+33 1"}, "ACME", "2 Side St, Floor 3, Paris IDF (FR), +33 1"},
	}
	for _, tt := range tests {
		if got := tt.a.FullName(); got != tt.fullName {
			t.Errorf("%s: FullName = %q, want %q", tt.name, got, tt.fullName)
		}
		if got := tt.a.FullAddress(); got != tt.fullAddress {
			t.Errorf("%s: FullAddress = %q, want %q", tt.name, got, tt.fullAddress)
		}
	}
}

// codes returns the error codes and pointers of a validation failure.
func pointers(t *testing.T, err error) map[string]errs.Code {
	t.Helper()
	list, ok := errs.As(err)
	if !ok {
		t.Fatalf("want a client error, got %v", err)
	}
	out := map[string]errs.Code{}
	for _, e := range list {
		out[e.Pointer] = e.Code
	}
	return out
}

func TestDomainRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if _, err := models.SeedDemo(gdb); err != nil {
			t.Fatal(err)
		}
		if loaded, err := models.SeedDemo(gdb); err != nil || loaded {
			t.Fatalf("second seed: loaded=%v err=%v, want a no-op", loaded, err)
		}

		t.Run("price resolves sku_code and copies the list currency", func(t *testing.T) {
			var list models.PriceList
			gdb.Where("code = ?", "ci").Take(&list)
			code := "HOODIEUL000000FFFFFFL"
			p := &models.Price{PriceListID: list.ID, SkuCode: &code, AmountCents: 40000}
			if err := p.BeforeWrite(gdb, true); err != nil {
				t.Fatal(err)
			}
			if p.SkuID == "" || p.CurrencyCode != "XOF" {
				t.Fatalf("got sku %q currency %q", p.SkuID, p.CurrencyCode)
			}
		})

		t.Run("a second price for the same SKU and list is refused", func(t *testing.T) {
			var existing models.Price
			gdb.Take(&existing)
			dup := &models.Price{PriceListID: existing.PriceListID, SkuID: existing.SkuID, AmountCents: 1}
			got := pointers(t, dup.BeforeWrite(gdb, true))
			if got["/data/relationships/sku"] != errs.ValidationError {
				t.Fatalf("got %v", got)
			}
		})

		t.Run("price list currency must be ISO 4217", func(t *testing.T) {
			got := pointers(t, (&models.PriceList{Name: "x", CurrencyCode: "EURO"}).BeforeWrite(gdb, true))
			if got["/data/attributes/currency_code"] != errs.ValidationError {
				t.Fatalf("got %v", got)
			}
		})

		t.Run("a price list used by a market cannot be deleted", func(t *testing.T) {
			var list models.PriceList
			gdb.Where("code = ?", "eu").Take(&list)
			if err := list.BeforeDestroy(gdb); err == nil {
				t.Fatal("want an error")
			}
		})

		t.Run("markets are numbered in sequence", func(t *testing.T) { // after the five demo markets
			var list models.PriceList
			gdb.Where("code = ?", "eu").Take(&list)
			m := &models.Market{Name: "Nordics", PriceListID: list.ID}
			if err := m.BeforeWrite(gdb, true); err != nil {
				t.Fatal(err)
			}
			if m.Number != 6 || !strings.HasPrefix(m.SharedSecret, "whsec_") || len(m.SharedSecret) != 50 {
				t.Fatalf("number %d secret %q", m.Number, m.SharedSecret)
			}
		})

		t.Run("customer email is normalized, unique, and the password hashed", func(t *testing.T) {
			pw := "correct horse"
			c := &models.Customer{Email: "  Ada@Example.COM ", Password: &pw}
			if err := c.BeforeWrite(gdb, true); err != nil {
				t.Fatal(err)
			}
			if c.Email != "ada@example.com" || c.Password != nil || !c.CheckPassword(pw) || c.CheckPassword("wrong") || c.Status != "prospect" {
				t.Fatalf("got %+v", c)
			}
			if err := gdb.Create(c).Error; err != nil {
				t.Fatal(err)
			}
			again := &models.Customer{Email: "ADA@example.com"}
			if got := pointers(t, again.BeforeWrite(gdb, true)); got["/data/attributes/email"] != errs.ValidationError {
				t.Fatalf("got %v", got)
			}
			short := "short"
			weak := &models.Customer{Email: "bob@example.com", Password: &short}
			if got := pointers(t, weak.BeforeWrite(gdb, true)); got["/data/attributes/password"] != errs.ValidationError {
				t.Fatalf("got %v", got)
			}
		})

		t.Run("address needs names by kind", func(t *testing.T) {
			got := pointers(t, (&models.Address{Line1: "x", City: "y", CountryCode: "it", Phone: "1"}).BeforeWrite(gdb, true))
			if got["/data/attributes/first_name"] == "" || got["/data/attributes/last_name"] == "" {
				t.Fatalf("got %v", got)
			}
			got = pointers(t, (&models.Address{Business: true, Line1: "x", City: "y", CountryCode: "ITA", Phone: "1"}).BeforeWrite(gdb, true))
			if got["/data/attributes/company"] == "" || got["/data/attributes/country_code"] == "" {
				t.Fatalf("got %v", got)
			}
		})
	})
}
