package httpapi

import (
	"strconv"

	"github.com/doord/doord/store"
)

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

func (s *Server) createApartment(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var a store.Apartment
	applyApartment(o, &a, true)
	if err := o.err(); err != nil {
		return err
	}
	if err := s.st.CreateApartment(&a); err != nil {
		return err
	}
	return created(r, aptBasePath+strconv.FormatUint(a.ID, 10), apartmentOut{Apartment: a, Residents: residents{Users: []string{}}})
}

func (s *Server) getApartment(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	a, err := s.st.GetApartment(id)
	if err != nil {
		return err
	}
	out, err := s.aptOut(a)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, out)
}

func (s *Server) listApartments(r *request) error {
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	as, next, err := s.st.ListApartments(string(r.ctx.QueryArgs().Peek("cursor")), limit)
	if err != nil {
		return err
	}
	out := make([]apartmentOut, 0, len(as))
	for _, a := range as {
		ao, err := s.aptOut(a)
		if err != nil {
			return err
		}
		out = append(out, ao)
	}
	return writeJSON(r.ctx, 200, listOut[apartmentOut]{Items: out, NextCursor: nextCursor(next)})
}

func (s *Server) updateApartment(replace bool) handlerFunc {
	return func(r *request) error {
		id, err := uintParam(r, "id")
		if err != nil {
			return err
		}
		o, err := parseObject(r.ctx.PostBody())
		if err != nil {
			return err
		}
		a, err := s.st.UpdateApartment(id, func(a *store.Apartment) error {
			o.errs = o.errs[:0]
			applyApartment(o, a, replace)
			return o.err()
		})
		if err != nil {
			return err
		}
		out, err := s.aptOut(a)
		if err != nil {
			return err
		}
		return writeJSON(r.ctx, 200, out)
	}
}

func (s *Server) deleteApartment(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteApartment(id); err != nil {
		return err
	}
	return noContent(r)
}
