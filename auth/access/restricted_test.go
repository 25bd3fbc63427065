package access

import "testing"

// The fleet's offline policy deny_non_security (SetRestricted): only
// users with Security are granted, a user's credential and a credential
// without a user alike are denied fleet_stale, the other rules still come
// first, and lifting it restores every decision.
func TestRestrictedGrantsSecurityUsersOnly(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	e.SetRestricted(true)
	want(t, "ordinary user", e.Present("any", cardP(1001), wed10), OutcomeDenied, ReasonFleetStale)
	want(t, "security user", e.Present("any", cardP(1011), wed10), OutcomeGranted, ReasonNone)
	want(t, "disabled user keeps its reason", e.Present("any", cardP(1002), wed10), OutcomeDenied, ReasonUserDisabled)
	e.SetRestricted(false)
	want(t, "ordinary user after lifting", e.Present("any", cardP(1001), wed10), OutcomeGranted, ReasonNone)

	u, _ := newUserlessEngine(t, EngineConfig{})
	u.SetRestricted(true)
	want(t, "credential without a user", u.Present("any", cardP(2001), wed10), OutcomeDenied, ReasonFleetStale)
}
