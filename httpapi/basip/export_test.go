package basip

// Names the external contract tests (package basip_test) use.

// User is a BAS-IP user as the list and item routes answer it.
type User = basipUser

var CanonicalSchedule = canonicalSchedule
