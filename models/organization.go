package models

import (
	"gorm.io/gorm"
)

// Organization is the merchant a Kasse installation serves. There is one;
// its id goes in every resource's meta.organization_id.
type Organization struct {
	Base
	Name string
	Slug string
}

// EnsureOrganization returns the installation's organization, creating it
// on first start.
func EnsureOrganization(tx *gorm.DB) (*Organization, error) {
	var org Organization
	found, err := findBy(tx, &org, "1 = 1")
	if err != nil || found {
		return &org, err
	}
	org = Organization{Name: "Kasse", Slug: "kasse"}
	if err := tx.Create(&org).Error; err != nil {
		return nil, err
	}
	return &org, nil
}
