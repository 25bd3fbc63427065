package basip

import (
	"errors"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

// Binding an identifier to an apartment (android-panels 2.12.0
// create-identifier-entity follow-ups; camdroid-panels post-apartment):
//
//	POST /apartment/item/{apt}/identifier/{id}      bind (replaces a binding)
//	POST /apartment/item/unbind/identifier/{id}     unbind
//
// The binding is the credential's own apartment (store Credential.Apartment):
// the identifier shows it as its `apartment`, whatever its user's are. It
// is no access rule (no doc says it changes access): the identifier opens
// the same doors bound or not.
func (s *Dialect) basipBindApartment(bind bool) core.Handler {
	return func(r *core.Request) error {
		var apt uint64
		if bind {
			a, err := s.apartmentParam(r)
			if err != nil {
				return err
			}
			apt = a.ID
		}
		c, err := s.identifierParam(r)
		if err != nil {
			return err
		}
		_, err = s.st.UpdateCredential(c.ID, func(x *store.Credential) error { x.Apartment = apt; return nil })
		var re *store.RefError
		switch {
		case errors.Is(err, store.ErrNotFound):
			return bErr(404, basipNoIdent) // deleted meanwhile
		case errors.As(err, &re) && re.Field == "apartment":
			return bErr(404, basipNoApartment) // deleted meanwhile
		case err != nil:
			return err
		}
		return basipOK(r, basipEmpty)
	}
}
