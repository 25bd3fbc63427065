package core

import (
	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
)

// Need is what a route needs from the caller.
type Need int

const (
	Public Need = iota // no token (health, logins)
	Login              // any valid session, even one that must change its password
	Read
	People
	Doors
	Admin
)

// Allowed reports whether role may call a route that needs n (Public and
// Login need no role). Both dialects authorize through it, so a role
// may do the same in either.
func Allowed(role store.Role, n Need) bool {
	var act auth.Action
	switch n {
	case Public, Login:
		return true
	case Read:
		act = auth.ActRead
	case People:
		act = auth.ActWritePeople
	case Doors:
		act = auth.ActDoors
	default:
		act = auth.ActAdmin
	}
	return auth.Allowed(role, act)
}
