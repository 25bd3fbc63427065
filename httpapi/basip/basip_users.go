package basip

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/doord/doord/httpapi/core"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// BAS-IP users are native users: item_uid is the native uid,
// auth_factors are the native auth_factors with input_code for "pin",
// lock_number 0/1/2 is locks both/1/2, is_custom_user_access is
// custom_access. Fields BAS-IP does not know (e-mail, tags, state, …) are
// kept as they are by every BAS-IP write.

var basipToFactor = map[string]string{
	"card": "card", "input_code": "pin", "qr": "qr", "face_id": "face_id",
	"license_plate": "license_plate", "ukey": "ukey",
	"pin": "pin", "inputCode": "pin", // leniency: the native name and the identifier spelling
}

func factorToBasip(f string) string {
	if f == "pin" {
		return "input_code"
	}
	return f
}

// locksToNumber is BAS-IP's lock_number, as the list index codes it;
// -1 (a doord extension) is LocksNone: in a fleet with door rights, no
// right on this controller. It reads back as itself, so that a client's
// read-modify-write of such a user grants nothing.
func locksToNumber(l store.Locks) int {
	if l == store.LocksNone {
		return -1
	}
	return int(listing.LockCode(l))
}

func numberToLocks(n int64) store.Locks {
	switch n {
	case -1:
		return store.LocksNone
	case 1:
		return store.LocksFirst
	case 2:
		return store.LocksSecond
	}
	return store.LocksBoth
}

// basipUser is a user as BAS-IP shows it (android-panels "Get User
// Entity"): item_uid is the native uid, link_id is null (doord has no
// remote management link), identifiers are the user's identifiers in
// full. time_profiles and apartments (doord extensions) are BAS-IP's
// {count, uid_items} references.
type basipUser struct {
	ItemUID            uint64            `json:"item_uid"`
	LinkID             *string           `json:"link_id"`
	Name               string            `json:"name"`
	LockNumber         int               `json:"lock_number"`
	IsCustomUserAccess bool              `json:"is_custom_user_access"`
	Info               string            `json:"info"`
	AuthFactors        []string          `json:"auth_factors"`
	Identifiers        []basipIdentifier `json:"identifiers"`
	TimeProfiles       basipRefs         `json:"time_profiles"`
	Apartments         basipRefs         `json:"apartments"`
}

// basipUserView shows u. It reads u's credentials and first apartment:
// lists call it for the users of one page only.
func (s *Dialect) basipUserView(u *store.User, role store.Role) (basipUser, error) {
	out := basipUser{ItemUID: u.UID, Name: u.Name, Info: u.Info, LockNumber: locksToNumber(u.Locks),
		IsCustomUserAccess: u.CustomAccess, AuthFactors: []string{}, Identifiers: []basipIdentifier{},
		TimeProfiles: newBasipRefs(u.TimeProfiles), Apartments: newBasipRefs(u.Apartments)}
	for _, f := range u.AuthFactors {
		out.AuthFactors = append(out.AuthFactors, factorToBasip(f))
	}
	cs, err := s.st.ListCredentials(u.UID)
	if err != nil {
		return out, err
	}
	if len(cs) == 0 {
		return out, nil
	}
	apt, err := s.basipUserApt(u)
	if err != nil {
		return out, err
	}
	for i := range cs {
		out.Identifiers = append(out.Identifiers, s.basipIdentView(&cs[i], apt, role))
	}
	return out, nil
}

// applyBasipUser reads BAS-IP's user body into u. Every field is required,
// on create and on PATCH alike (the panel's PATCH is a replace); PATCH
// also takes auth_factor, the name in the 2.3 and 2.8 docs.
func applyBasipUser(b *bbody, u *store.User, patch bool) {
	var name, info string
	var factors []string
	var lock int64
	var custom bool
	b.str("name", &name, true)
	b.str("info", &info, true)
	factorsField := "auth_factors"
	if _, ok := b.f["auth_factors"]; !ok && patch {
		if _, ok := b.f["auth_factor"]; ok {
			factorsField = "auth_factor"
		}
	}
	b.strs(factorsField, &factors, true)
	b.integer("lock_number", &lock, true)
	b.boolean("is_custom_user_access", &custom, true)
	if b.err != nil {
		return
	}
	switch {
	case strings.TrimSpace(name) == "":
		b.failf("name must not be empty")
	case utf8.RuneCountInString(name) > core.MaxName:
		b.failf("name must be at most %d characters", core.MaxName)
	case utf8.RuneCountInString(info) > core.MaxInfo:
		b.failf("info must be at most %d characters", core.MaxInfo)
	case len(factors) == 0:
		b.failf(basipNoFactors)
	case lock < -1 || lock > 2:
		b.failf("lock_number must be 0 (both locks), 1 or 2") // -1 (none, a fleet's) too, unadvertised
	}
	native := make([]string, 0, len(factors))
	seen := map[string]bool{}
	for _, f := range factors {
		n, ok := basipToFactor[f]
		if !ok {
			b.failf("auth_factors: unknown auth factor %q (card, input_code, qr, face_id, license_plate, ukey)", f)
			return
		}
		if !seen[n] {
			seen[n] = true
			native = append(native, n)
		}
	}
	if b.err != nil {
		return
	}
	u.Name, u.Info, u.AuthFactors, u.Locks, u.CustomAccess = name, info, native, numberToLocks(lock), custom
}

func (s *Dialect) basipCreateUser(r *core.Request) error {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	u := store.User{State: store.StateActive}
	applyBasipUser(b, &u, false)
	if err := b.error(); err != nil {
		return err
	}
	dup, err := s.st.CreateUser(&u, r.Op.Username)
	if err != nil {
		return err
	}
	return basipOK(r, struct {
		ItemUID       uint64 `json:"item_uid"`
		HasDublicates bool   `json:"has_dublicates"`
	}{u.UID, dup})
}

const basipNoUser = "User not found"

// basipUserParam resolves {uid}.
func (s *Dialect) basipUserParam(r *core.Request) (store.User, error) {
	uid, err := basipID(r, "uid", basipNoUser)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.st.GetUserByUID(uid)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return u, bErr(404, basipNoUser)
		}
		return u, err
	}
	return u, nil
}

func (s *Dialect) basipGetUser(r *core.Request) error {
	u, err := s.basipUserParam(r)
	if err != nil {
		return err
	}
	v, err := s.basipUserView(&u, r.Op.Role)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

func (s *Dialect) basipPatchUser(r *core.Request) error {
	cur, err := s.basipUserParam(r)
	if err != nil {
		return err
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	u, err := s.st.UpdateUser(cur.ID, r.Op.Username, func(u *store.User) error {
		b.err = nil
		applyBasipUser(b, u, true)
		return b.error()
	})
	if err != nil {
		return err
	}
	v, err := s.basipUserView(&u, r.Op.Role)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

func (s *Dialect) basipDeleteUser(r *core.Request) error {
	u, err := s.basipUserParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUserByUID(u.UID); err != nil {
		return err
	}
	return basipOK(r, basipEmpty)
}

// basipUserSortFields are the user list's sort fields, named by the item's
// keys; "uid" (the item's key before item_uid) is still taken for
// item_uid.
var basipUserSortFields = []string{"item_uid", "name", "info"}

// basipListUsers is GET /api/v1/access/users/list: a page of the list
// index (lists.go: userWhere), then the page's users read from the store.
func (s *Dialect) basipListUsers(r *core.Request) error {
	if args := r.Ctx.QueryArgs(); string(args.Peek("sort_field")) == "uid" {
		args.Set("sort_field", "item_uid")
	}
	q, err := parseListQuery(r, basipUserSortFields, "item_uid")
	if err != nil {
		return err
	}
	where, err := userWhere(q.filter)
	if err != nil {
		return err
	}
	ids, total, err := s.page(listing.Users, q, listing.Query{Sort: userSorts[q.field], Where: where})
	if err != nil {
		return err
	}
	items := make([]basipUser, 0, len(ids))
	for _, uid := range ids {
		u, err := s.st.GetUserByUID(uid)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the walk
		}
		if err != nil {
			return err
		}
		v, err := s.basipUserView(&u, r.Op.Role)
		if err != nil {
			return err
		}
		items = append(items, v)
	}
	return basipOK(r, newBasipList(q, total, basipUserSortFields, items))
}

// basipAttachProfile is POST (attach) and DELETE (detach)
// /api/v1/access/user/{uid}/timeprofile/{tp}.
func (s *Dialect) basipAttachProfile(add bool) core.Handler {
	return func(r *core.Request) error {
		u, err := s.basipUserParam(r)
		if err != nil {
			return err
		}
		tp, err := basipID(r, "tp", basipNoProfile)
		if err != nil {
			return err
		}
		if _, err := s.st.GetTimeProfile(tp); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return bErr(404, basipNoProfile)
			}
			return err
		}
		_, err = s.st.UpdateUser(u.ID, r.Op.Username, func(u *store.User) error {
			u.TimeProfiles = core.EditIDs(u.TimeProfiles, tp, add)
			if len(u.TimeProfiles) > core.MaxRefs {
				return bErr(400, "A user can have at most 64 time profiles")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return basipOK(r, basipEmpty)
	}
}
