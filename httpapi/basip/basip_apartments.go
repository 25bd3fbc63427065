package basip

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/doord/doord/httpapi/core"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// BAS-IP apartments are native apartments: apartment_address is the
// native address (BAS-IP's ranges), apartment_name the name, residents
// the users whose apartments list holds it, identifiers (one apartment's
// detail only) those residents' identifiers.

const basipNoApartment = "Apartment not found"

type basipAddress struct {
	Building int `json:"building"`
	Unit     int `json:"unit"`
	Floor    int `json:"floor"`
	Room     int `json:"room"`
}

type basipResidents struct {
	Count int      `json:"count"`
	Users []uint64 `json:"users"`
}

// basipAptIdents are an apartment's identifiers, as BAS-IP groups them:
// physicals are cards, UKEYs and faces, input_numbers the codes typed on
// the keypad (PINs).
type basipAptIdents struct {
	Physicals    basipRefs `json:"physicals"`
	InputNumbers basipRefs `json:"input_numbers"`
}

type basipApartment struct {
	UID              uint64          `json:"uid"`
	ApartmentAddress basipAddress    `json:"apartment_address"`
	ApartmentName    string          `json:"apartment_name"`
	Residents        basipResidents  `json:"residents"`
	Identifiers      *basipAptIdents `json:"identifiers,omitempty"`
}

// basipAptView shows a. detail (GET and PATCH of one apartment, BAS-IP's
// "detailed information") adds the residents' identifiers; lists leave
// them out, as reading them costs one read per resident.
func (s *Dialect) basipAptView(a *store.Apartment, detail bool) (basipApartment, error) {
	uids, err := s.st.ApartmentResidents(a.ID)
	if err != nil {
		return basipApartment{}, err
	}
	if uids == nil {
		uids = []uint64{}
	}
	out := basipApartment{UID: a.ID, ApartmentName: a.Name,
		ApartmentAddress: basipAddress(a.Address),
		Residents:        basipResidents{Count: len(uids), Users: uids}}
	if !detail {
		return out, nil
	}
	// The residents' identifiers and those bound to the apartment itself
	// (with or without a user), each once.
	var phys, codes []uint64
	seen := map[uint64]bool{}
	add := func(cs []store.Credential) {
		for _, c := range cs {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			switch c.Type {
			case store.CredCard, store.CredUKey, store.CredFaceID:
				phys = append(phys, c.ID)
			case store.CredPIN:
				codes = append(codes, c.ID)
			}
		}
	}
	for _, uid := range uids {
		cs, err := s.st.ListCredentials(uid)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the residents were read
		}
		if err != nil {
			return out, err
		}
		add(cs)
	}
	for cursor := ""; ; {
		cs, next, err := s.st.ListCredentialPage(store.CredentialFilter{Apartment: a.ID, Cursor: cursor, Limit: 1000})
		if err != nil {
			return out, err
		}
		add(cs)
		if next == "" {
			break
		}
		cursor = next
	}
	out.Identifiers = &basipAptIdents{Physicals: newBasipRefs(phys), InputNumbers: newBasipRefs(codes)}
	return out, nil
}

// applyBasipApartment reads apartment_address (building required; unit,
// floor and room default to 0) and apartment_name.
func applyBasipApartment(b *bbody, a *store.Apartment) {
	ab, _ := b.obj("apartment_address", true)
	if b.err != nil {
		return
	}
	var addr [4]int64
	for i, f := range []struct {
		name     string
		max      int64
		required bool
	}{{"building", 9999, true}, {"unit", 99, false}, {"floor", 98, false}, {"room", 99, false}} {
		if ab.integer(f.name, &addr[i], f.required) && ab.err == nil {
			min := int64(0)
			if f.name == "building" {
				min = 1
			}
			if addr[i] < min || addr[i] > f.max {
				ab.failf("apartment_address.%s must be %d to %d", f.name, min, f.max)
			}
		}
	}
	b.merge(ab)
	var name string
	if b.str("apartment_name", &name, false) && utf8.RuneCountInString(name) > core.MaxName {
		b.failf("apartment_name must be at most %d characters", core.MaxName)
	}
	if b.err != nil {
		return
	}
	a.Name = strings.TrimSpace(name)
	a.Address = store.Address{Building: int(addr[0]), Unit: int(addr[1]), Floor: int(addr[2]), Room: int(addr[3])}
}

func apartmentConflict(err error) error {
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return bErr(400, basipDupApt)
	}
	return err
}

func (s *Dialect) basipCreateApartment(r *core.Request) error {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	var a store.Apartment
	applyBasipApartment(b, &a)
	if err := b.error(); err != nil {
		return err
	}
	if err := s.st.CreateApartment(&a); err != nil {
		return apartmentConflict(err)
	}
	return basipOK(r, createdUID{a.ID})
}

func (s *Dialect) apartmentParam(r *core.Request) (store.Apartment, error) {
	id, err := basipID(r, "apt", basipNoApartment)
	if err != nil {
		return store.Apartment{}, err
	}
	a, err := s.st.GetApartment(id)
	if errors.Is(err, store.ErrNotFound) {
		return a, bErr(404, basipNoApartment)
	}
	return a, err
}

func (s *Dialect) basipGetApartment(r *core.Request) error {
	a, err := s.apartmentParam(r)
	if err != nil {
		return err
	}
	v, err := s.basipAptView(&a, true)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

// basipPatchApartment replaces address and name, as the user PATCH does.
func (s *Dialect) basipPatchApartment(r *core.Request) error {
	cur, err := s.apartmentParam(r)
	if err != nil {
		return err
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	a, err := s.st.UpdateApartment(cur.ID, func(a *store.Apartment) error {
		b.err = nil
		applyBasipApartment(b, a)
		return b.error()
	})
	if err != nil {
		return apartmentConflict(err)
	}
	v, err := s.basipAptView(&a, true)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

func (s *Dialect) basipDeleteApartment(r *core.Request) error {
	a, err := s.apartmentParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteApartment(a.ID); err != nil {
		return err
	}
	return basipOK(r, basipEmpty)
}

var basipAptSortFields = []string{"uid", "apartment_name"}

func (s *Dialect) basipListApartments(r *core.Request) error {
	q, err := parseListQuery(r, basipAptSortFields, "uid")
	if err != nil {
		return err
	}
	where, err := aptWhere(q.filter)
	if err != nil {
		return err
	}
	sort := listing.ID
	if q.field == "apartment_name" {
		sort = listing.Text(listing.AptName)
	}
	ids, total, err := s.page(listing.Apartments, q, listing.Query{Sort: sort, Where: where})
	if err != nil {
		return err
	}
	items := make([]basipApartment, 0, len(ids))
	for _, id := range ids {
		a, err := s.st.GetApartment(id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the page was read
		}
		if err != nil {
			return err
		}
		v, err := s.basipAptView(&a, false)
		if err != nil {
			return err
		}
		items = append(items, v)
	}
	return basipOK(r, newBasipList(q, total, basipAptSortFields, items))
}

// basipAttachApartment is POST (add) and DELETE (remove)
// /api/v1/apartment/item/{apt}/user/{uid}.
func (s *Dialect) basipAttachApartment(add bool) core.Handler {
	return func(r *core.Request) error {
		a, err := s.apartmentParam(r)
		if err != nil {
			return err
		}
		u, err := s.basipUserParam(r)
		if err != nil {
			return err
		}
		_, err = s.st.UpdateUser(u.ID, r.Op.Username, func(u *store.User) error {
			u.Apartments = core.EditIDs(u.Apartments, a.ID, add)
			if len(u.Apartments) > core.MaxRefs {
				return bErr(400, "A user can be in at most 64 apartments")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return basipOK(r, basipEmpty)
	}
}
