package basip

// The multi-apartment panels' API 1.x (/api/v0, firmware up to 3.7.0)
// shows an identifier's fields again under `base`, the shape of its
// create body: artonit-com (C# COMLibrBAS) reads list_items[0].base.lock
// and base.identifier_number from GET /api/v0/access/identifiers/items/list.

import (
	"bytes"
	"encoding/json"

	"github.com/doord/doord/httpapi/core"
)

const v0Prefix = "/api/v0/"

// basipIdentBase is an identifier's `base` on /api/v0.
type basipIdentBase struct {
	IdentifierOwner  basipOwner `json:"identifier_owner"`
	IdentifierType   string     `json:"identifier_type"`
	IdentifierNumber string     `json:"identifier_number"`
	Lock             string     `json:"lock"`
	Valid            basipValid `json:"valid"`
}

// withBase adds base to v on an /api/v0 request.
func withBase(r *core.Request, v *basipIdentifier) {
	if !bytes.HasPrefix(r.Ctx.Path(), []byte(v0Prefix)) {
		return
	}
	v.Base = &basipIdentBase{IdentifierOwner: v.IdentifierOwner, IdentifierType: v.IdentifierType,
		IdentifierNumber: v.IdentifierNumber, Lock: v.Lock, Valid: v.Valid}
}

// liftBase takes the fields of a `base` object into the body itself (a
// field given at the top wins): a PATCH in the v0 shape, as pin-rotator
// (Jokemachine/Change-pin-BasIpAERO basip/client.py) sends it first,
// {"base":{identifier_owner, identifier_type, identifier_number, lock}}.
func (b *bbody) liftBase() {
	raw, ok := b.f["base"]
	if !ok {
		return
	}
	var base map[string]json.RawMessage
	if json.Unmarshal(raw, &base) != nil || base == nil {
		return // not an object: an unknown field, ignored
	}
	for k, v := range base {
		if _, top := b.f[k]; !top {
			b.f[k] = v
		}
	}
}
