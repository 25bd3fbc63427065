package basip

import "github.com/doord/doord/httpapi/core"

// identifierRoutes registers the identifier routes beside the ones in
// Routes: every spelling BAS-IP's doc versions and the client programs in
// the field use (README "The BAS-IP compatible API" lists them with their
// sources). Under /api/v1 (android-panels 2.x, camdroid-panels 1.x,
// multi-apartment 2.x) and, for the multi-apartment panels' API 1.x
// (firmware up to 3.7.0), under /api/v0.
func (s *Dialect) identifierRoutes(h func(method, pattern string, n core.Need, fn core.Handler)) {
	const b, b0 = "/api/v1", "/api/v0"

	// Lists: android-panels and camdroid-panels GET /access/identifier/items
	// (SmartYard, artonit-svc); /access/identifiers/items/list (v0:
	// artonit-com; pin-rotator tries it on v1 first); the link list.
	for _, p := range []string{
		b + "/access/identifier/items", b + "/access/identifier/items/list", b + "/access/identifiers/items/list",
		b + "/access/identifier/items/link",
		b0 + "/access/identifiers/items/list", b0 + "/access/identifier/items",
	} {
		h("GET", p, core.Read, s.basipListIdentifiers)
	}
	h("GET", b0+"/access/identifiers/list", core.Read, s.basipListIdentifiers)

	// Create: POST /access/identifier (docs), /access/identifiers/item
	// (v0: artonit-com; pin-rotator's first try), /access/identifiers
	// (pin-rotator's third).
	for _, p := range []string{b + "/access/identifiers/item", b + "/access/identifiers",
		b0 + "/access/identifiers/item", b0 + "/access/identifier"} {
		h("POST", p, core.People, s.basipCreateIdentifier)
	}

	// Bulk delete: SmartYard's DELETE {"uid_items"}; the v0 POST
	// …/items/delete {"count","uid_items"} (artonit-com, pin-rotator).
	h("DELETE", b+"/access/identifier/items", core.People, s.basipDeleteIdentifiers)
	for _, p := range []string{b + "/access/identifiers/items/delete", b + "/access/identifier/items/delete",
		b0 + "/access/identifiers/items/delete"} {
		h("POST", p, core.People, s.basipDeleteIdentifiers)
	}

	// By type and number (android-panels get-/delete-access-identifiers).
	h("GET", b+"/access/identifiers", core.Read, s.basipIdentifiersByType)
	h("DELETE", b+"/access/identifiers", core.People, s.basipDeleteIdentifiersByType)

	// Items under /api/v0 in both spellings (v1's are in Routes).
	for _, ids := range []string{b0 + "/access/identifiers", b0 + "/access/identifier"} {
		h("GET", ids+"/item/{id}", core.Read, s.basipGetIdentifier)
		h("PATCH", ids+"/item/{id}", core.People, s.basipPatchIdentifier)
		h("DELETE", ids+"/item/{id}", core.People, s.basipDeleteIdentifier)
		h("POST", ids+"/item/{id}/passes/reset", core.People, s.basipResetPasses)
	}
	h("GET", b0+"/login", core.Public, s.basipLogin)

	// Time profiles of an identifier, lowercase as android-panels 2.12.0
	// create-identifier-entity documents them (camelCase is in Routes).
	for _, ids := range []string{b + "/access/identifiers", b + "/access/identifier"} {
		h("POST", ids+"/item/{id}/timeprofile/{tp}", core.People, s.basipAttachIdentProfile(true))
		h("DELETE", ids+"/item/{id}/timeprofile/{tp}", core.People, s.basipAttachIdentProfile(false))
	}

	// link_id create-or-update and delete.
	h("POST", b+"/access/identifier/items/link", core.People, s.basipLinkIdentifiers)
	h("DELETE", b+"/access/identifier/items/link", core.People, s.basipUnlinkIdentifiers)
	h("POST", b+"/access/identifiers/link/delete", core.People, s.basipUnlinkIdentifiers)
}
