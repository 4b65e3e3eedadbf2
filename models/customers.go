package models

import (
	"net/mail"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// CustomerStatuses are the reference's customer statuses.
var CustomerStatuses = []string{"prospect", "acquired", "repeat"}

// Customer is a shopper with an email and, optionally, a password.
type Customer struct {
	Base
	Email            string
	Password         *string `gorm:"-"` // write-only; only its digest is stored
	PasswordDigest   *string
	Status           string
	ShopperReference *string
	ProfileID        *string
	TaxExemptionCode *string
	TotalOrdersCount int
}

// MinPasswordLength is the shortest password a customer may set.
const MinPasswordLength = 8

// BeforeWrite normalizes the email, keeps it unique, hashes a new password
// and fills the generated references.
func (c *Customer) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	if addr, err := mail.ParseAddress(c.Email); err != nil || addr.Address != c.Email {
		_ = v.add(errs.Invalid("email", "is not a valid email address"))
	} else if err := v.add(unique(tx, &Customer{}, c.ID, "email", "email", c.Email)); err != nil {
		return err
	}
	if c.Password != nil {
		if len(*c.Password) < MinPasswordLength {
			_ = v.add(errs.Invalid("password", "is too short (minimum is 8 characters)"))
		} else if len(*c.Password) > 72 {
			_ = v.add(errs.Invalid("password", "is too long (maximum is 72 characters)"))
		} else {
			digest, err := bcrypt.GenerateFromPassword([]byte(*c.Password), bcrypt.DefaultCost)
			if err != nil {
				return err
			}
			s := string(digest)
			c.PasswordDigest = &s
		}
		c.Password = nil
	}
	if creating {
		if c.Status == "" {
			c.Status = "prospect"
		}
		if c.ShopperReference == nil {
			s := db.RandomString(16)
			c.ShopperReference = &s
		}
		if c.ProfileID == nil {
			s := db.RandomString(16)
			c.ProfileID = &s
		}
	}
	return v.err()
}

// HasPassword says whether the customer can sign in with a password.
func (c *Customer) HasPassword() bool { return c.PasswordDigest != nil }

// CheckPassword reports whether password is the customer's. A customer
// without a password takes as long to refuse as a wrong password.
func (c *Customer) CheckPassword(password string) bool {
	if c.PasswordDigest == nil {
		SpendPasswordCheck(password)
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(*c.PasswordDigest), []byte(password)) == nil
}

// dummyDigest is what a sign-in with no password to check is compared
// against, at the cost real passwords are hashed with.
var dummyDigest = sync.OnceValue(func() []byte {
	d, _ := bcrypt.GenerateFromPassword([]byte("kasse: no such password"), bcrypt.DefaultCost)
	return d
})

// SpendPasswordCheck takes the time of a password check and matches
// nothing, so that a sign-in with an unknown email cannot be told from
// one with a wrong password by how long it takes.
func SpendPasswordCheck(password string) {
	_ = bcrypt.CompareHashAndPassword(dummyDigest(), []byte(password))
}

// Address is a postal address, personal or business.
type Address struct {
	Base
	// OwnerCustomerID is the customer who created the address, if one did:
	// it lets that customer read it before it is in their address book.
	OwnerCustomerID *string
	Business        bool
	FirstName       *string
	LastName        *string
	Company         *string
	Line1           string  `gorm:"column:line_1"`
	Line2           *string `gorm:"column:line_2"`
	City            string
	ZipCode         *string
	StateCode       *string
	CountryCode     string
	Phone           string
	Email           *string
	Notes           *string
	Lat             *float64
	Lng             *float64
	BillingInfo     *string
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// BeforeWrite checks the name fields a personal or business address needs.
func (a *Address) BeforeWrite(tx *gorm.DB, creating bool) error {
	var v collect
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	if !countryCode.MatchString(a.CountryCode) {
		_ = v.add(errs.Invalid("country_code", "must be an ISO 3166-1 alpha-2 code"))
	}
	blank := func(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
	if a.Business {
		if blank(a.Company) {
			_ = v.add(errs.Invalid("company", "can't be blank for a business address"))
		}
	} else {
		if blank(a.FirstName) {
			_ = v.add(errs.Invalid("first_name", "can't be blank"))
		}
		if blank(a.LastName) {
			_ = v.add(errs.Invalid("last_name", "can't be blank"))
		}
	}
	return v.err()
}

// AfterWrite keeps the names shown on customer addresses in step.
func (a *Address) AfterWrite(tx *gorm.DB) error {
	return tx.Model(&CustomerAddress{}).Where("address_id = ?", a.ID).
		Updates(map[string]any{"name": a.Name(), "updated_at": db.Now()}).Error
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// FullName is the company for a business address, else first and last name.
func (a *Address) FullName() string {
	if a.Business {
		return deref(a.Company)
	}
	return strings.TrimSpace(deref(a.FirstName) + " " + deref(a.LastName))
}

// FullAddress is the address on one line.
func (a *Address) FullAddress() string {
	parts := []string{a.Line1}
	if l2 := deref(a.Line2); l2 != "" {
		parts = append(parts, l2)
	}
	cityLine := strings.TrimSpace(deref(a.ZipCode) + " " + a.City)
	if st := deref(a.StateCode); st != "" {
		cityLine += " " + st
	}
	parts = append(parts, cityLine+" ("+a.CountryCode+")")
	if a.Phone != "" {
		parts = append(parts, a.Phone)
	}
	return strings.Join(parts, ", ")
}

// Name is the reference's one-line label: full name and address.
func (a *Address) Name() string {
	return a.FullName() + ", " + a.FullAddress()
}

// CustomerAddress puts an address in a customer's address book.
type CustomerAddress struct {
	Base
	Name          *string
	CustomerEmail *string
	CustomerID    string
	AddressID     string
}

// BeforeWrite finds the customer by email when no customer relationship was
// given, and copies the labels shown on the resource.
func (ca *CustomerAddress) BeforeWrite(tx *gorm.DB, creating bool) error {
	var customer Customer
	switch {
	case ca.CustomerID != "":
		found, err := findBy(tx, &customer, "id = ?", ca.CustomerID)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFound("customers", ca.CustomerID).At(errs.RelationshipPointer("customer"))
		}
	case ca.CustomerEmail != nil:
		found, err := findBy(tx, &customer, "email = ?", strings.ToLower(strings.TrimSpace(*ca.CustomerEmail)))
		if err != nil {
			return err
		}
		if !found {
			return errs.Invalid("customer_email", "no customer has this email")
		}
	default:
		return errs.New(errs.ValidationError, "customer - can't be blank: give a customer relationship or a customer_email").At(errs.RelationshipPointer("customer"))
	}
	ca.CustomerID, ca.CustomerEmail = customer.ID, &customer.Email
	var address Address
	found, err := findBy(tx, &address, "id = ?", ca.AddressID)
	if err != nil {
		return err
	}
	if !found {
		return errs.NotFound("addresses", ca.AddressID).At(errs.RelationshipPointer("address"))
	}
	name := address.Name()
	ca.Name = &name
	taken, err := exists(tx, &CustomerAddress{}, ca.ID, "customer_id = ? AND address_id = ?", ca.CustomerID, ca.AddressID)
	if err != nil {
		return err
	}
	if taken {
		return errs.New(errs.ValidationError, "address - is already in this customer's address book").At(errs.RelationshipPointer("address"))
	}
	// An address with no owner is one guests may read by id: once in an
	// address book it is the customer's.
	if address.OwnerCustomerID == nil {
		return tx.Model(&Address{}).Where("id = ? AND owner_customer_id IS NULL", address.ID).
			Update("owner_customer_id", customer.ID).Error
	}
	return nil
}
