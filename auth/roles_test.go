package auth

import (
	"testing"

	"github.com/doord/doord/store"
)

func TestAllowed(t *testing.T) {
	actions := []Action{ActRead, ActWritePeople, ActDoors, ActAdmin}
	for _, tc := range []struct {
		role store.Role
		want [4]bool // read, people, doors, admin
	}{
		{store.RoleAdmin, [4]bool{true, true, true, true}},
		{store.RoleOperator, [4]bool{true, true, true, false}},
		{store.RoleViewer, [4]bool{true, false, false, false}},
		{"", [4]bool{}},
		{"Admin", [4]bool{}},
		{"root", [4]bool{}},
		{"admin ", [4]bool{}},
	} {
		for i, a := range actions {
			if got := Allowed(tc.role, a); got != tc.want[i] {
				t.Errorf("Allowed(%q, %v) = %v, want %v", tc.role, a, got, tc.want[i])
			}
		}
		for _, a := range []Action{0, -1, ActAdmin + 1} {
			if Allowed(tc.role, a) {
				t.Errorf("Allowed(%q, %v) = true for an action that does not exist", tc.role, a)
			}
		}
		if got, want := ValidRole(tc.role), tc.want[0]; got != want {
			t.Errorf("ValidRole(%q) = %v, want %v", tc.role, got, want)
		}
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{
		ActRead: "read", ActWritePeople: "write-people", ActDoors: "doors", ActAdmin: "admin", 0: "Action(0)",
	} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, want)
		}
	}
}
