package handlers_test

import (
	"testing"

	"kasse/models"
)

// TestOrganization: GET /api/organization answers every role with the one
// organization, as @commercelayer/sdk's organization.retrieve() asks for
// it; it is read-only and has no list.
func TestOrganization(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		re := newRoleEnv(t, e)
		for _, role := range models.Roles {
			r := re.as(role, "GET", "/api/organization", nil).want(t, 200)
			checkDocument(t, e.base, "organization", r)
			data := r.data()
			if data["type"] != "organization" || id(data) != e.meta["organization_id"] {
				t.Fatalf("%s: %s", role, r.body)
			}
			a := attrs(data)
			if a["name"] != "Kasse" || a["slug"] != "kasse" || a["domain"] != "kasse.test" ||
				a["addresses_phone_required"] != true || a["orders_sales_channel_guest_only"] != true {
				t.Fatalf("%s: attributes %v", role, a)
			}
			// The self link serves the same resource.
			self := data["links"].(map[string]any)["self"].(string)
			re.as(role, "GET", self[len(testBaseURL):], nil).want(t, 200)
		}
		re.as(models.RoleSalesChannel, "GET", "/api/organization?fields[organization]=name", nil).want(t, 200)
		e.do("GET", "/api/organization?include=markets", nil).wantError(t, 400, "INVALID_INCLUDE")
		e.do("PATCH", "/api/organization", resource("organization", "", map[string]any{"name": "x"}, nil)).want(t, 405)
		e.do("POST", "/api/organization", resource("organization", "", map[string]any{"name": "x"}, nil)).want(t, 405)
		e.do("GET", "/api/organization", nil, "Authorization", "").wantError(t, 401, "UNAUTHORIZED")
	})
}
