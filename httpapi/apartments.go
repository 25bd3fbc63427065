package httpapi

import "github.com/doord/doord/store"

const aptBasePath = "/api/v1/apartments/"

// Address ranges are BAS-IP's (building 1..9999, unit ≤ 99, floor ≤ 98,
// room ≤ 99) so that an apartment fits a panel's logical address.
func applyApartment(o *object, a *store.Apartment, replace bool) {
	o.readOnly(viewFields[apartmentOut]()...)
	if replace {
		*a = store.Apartment{ID: a.ID, CreatedAt: a.CreatedAt}
	}
	o.str("name", &a.Name, maxName)
	r, ok := o.raw("address")
	if !ok {
		if replace {
			o.fail("address", "is required: {building, unit, floor, room}")
		}
		return
	}
	sub, ok := o.sub("address", r)
	if !ok {
		return
	}
	for _, f := range []struct {
		name     string
		dst      *int
		min, max uint64
	}{
		{"building", &a.Address.Building, 1, 9999},
		{"unit", &a.Address.Unit, 0, 99},
		{"floor", &a.Address.Floor, 0, 98},
		{"room", &a.Address.Room, 0, 99},
	} {
		var v uint64
		if !sub.uint(f.name, &v, f.max) {
			if replace || f.name == "building" && a.Address.Building == 0 {
				sub.failf(f.name, "is required (%d to %d)", f.min, f.max)
			}
			continue
		}
		if v < f.min {
			sub.failf(f.name, "must be from %d to %d", f.min, f.max)
			continue
		}
		*f.dst = int(v)
	}
	o.errs = append(o.errs, sub.errs...)
}

type apartmentOut struct {
	store.Apartment
	Residents residents `json:"residents"`
}

type residents struct {
	Count int      `json:"count"`
	Users []string `json:"users"`
}

func (s *Server) aptOut(a store.Apartment) (apartmentOut, error) {
	uids, err := s.st.ApartmentResidents(a.ID)
	if err != nil {
		return apartmentOut{}, err
	}
	out := apartmentOut{Apartment: a, Residents: residents{Count: len(uids), Users: []string{}}}
	for _, uid := range uids {
		if u, err := s.st.GetUserByUID(uid); err == nil {
			out.Residents.Users = append(out.Residents.Users, u.ID)
		}
	}
	return out, nil
}

// newAptOut is a new apartment's view: no one lives there yet.
func newAptOut(a store.Apartment) (apartmentOut, error) {
	return apartmentOut{Apartment: a, Residents: residents{Users: []string{}}}, nil
}

func aptID(a store.Apartment) uint64 { return a.ID }
