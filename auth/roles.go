package auth

import (
	"strconv"

	"github.com/doord/doord/store"
)

// Action is a class of HTTP operation for role checks. Handlers name the
// action they perform and the middleware asks Allowed; the mapping from role
// to actions lives here, in one table, rather than in every handler.
//
// The zero Action is not an action: a handler that forgets to set one is
// refused for every role.
type Action int

const (
	ActRead        Action = iota + 1 // read anything but secrets: users, credentials, doors, events
	ActWritePeople                   // users, credentials, time profiles, apartments
	ActDoors                         // open a door, change its mode, drive the simulator
	ActAdmin                         // operators, settings, backups
)

func (a Action) String() string {
	switch a {
	case ActRead:
		return "read"
	case ActWritePeople:
		return "write-people"
	case ActDoors:
		return "doors"
	case ActAdmin:
		return "admin"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Allowed reports whether role r may perform action a: admin everything,
// operator read, people and doors, viewer read only. An unknown role (also a
// differently cased one such as "Admin") or action is refused.
func Allowed(r store.Role, a Action) bool {
	switch r {
	case store.RoleAdmin:
		return a >= ActRead && a <= ActAdmin
	case store.RoleOperator:
		return a == ActRead || a == ActWritePeople || a == ActDoors
	case store.RoleViewer:
		return a == ActRead
	}
	return false
}

// ValidRole reports whether r is one of the roles doord knows, exactly
// spelled.
func ValidRole(r store.Role) bool {
	switch r {
	case store.RoleAdmin, store.RoleOperator, store.RoleViewer:
		return true
	}
	return false
}
