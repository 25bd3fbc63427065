package httpapi

import (
	"encoding/json"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// The names the native handlers use for what lives in core since the
// BAS-IP dialect moved to its own package: both dialects share it.

// need is what a route needs from the caller (core.Need).
type need = core.Need

const (
	accPublic = core.Public // no token (health, login)
	accLogin  = core.Login  // any valid session, even one that must change its password
	accRead   = core.Read
	accPeople = core.People
	accDoors  = core.Doors
	accAdmin  = core.Admin
)

// DoorView is a door's configuration and live state (core.DoorView).
type DoorView = core.DoorView

const (
	maxName      = core.MaxName
	maxInfo      = core.MaxInfo
	maxRefs      = core.MaxRefs
	maxListLimit = core.MaxListLimit
)

// writeJSON answers with v as JSON.
func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) error {
	return core.WriteJSON(ctx, status, v)
}

func isNull(r json.RawMessage) bool { return core.IsNull(r) }

func editIDs(ids []uint64, id uint64, add bool) []uint64 { return core.EditIDs(ids, id, add) }

func parseClock(s string) (int, bool) { return core.ParseClock(s) }

func validEventType(t string) bool { return core.ValidEventType(t) }

func shownValue(t store.CredentialType, v string, role store.Role) string {
	return core.ShownValue(t, v, role)
}

func keepsValue(raw json.RawMessage, c *store.Credential) bool { return core.KeepsValue(raw, c) }
