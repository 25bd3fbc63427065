package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Door rights per door group (a fleet with door rights; README "Fleet").
//
// A campus has one list of people and many door groups: a person's right
// in a group is a record of its own (the fleet bucket's right.<group>.<uid>)
// and a controller holds only the rights of its own groups. What the door
// engine, the list index and the APIs read as a user's Locks on a
// controller is derived here, so that nothing downstream changes:
//
//	Locks = site ∪ ⋃ over this controller's groups g of (right[g] ∩ groupLocks[g])
//
// site is the locks the user's own record in the bucket carries: the
// site-wide grant that first-half fleets (before door rights) wrote, which
// every controller honoured on all its doors. A controller with door
// rights writes LocksNone there, and converts a user's site-wide grant to
// a right in its home group the first time it writes that user's rights,
// so an upgraded fleet keeps opening the doors it opened and a user's
// rights, once written, are all that count. No right and no grant:
// LocksNone, denied with reason no_door_right.
//
// Locally the rights live in the bucket fleet_rights, key uid ‖ group,
// value the locks ("" group: the user's site-wide grant), created on
// first use (no schema step: a store that never joined a fleet with
// rights has none).

// RightsConfig is a controller's part in the door rights.
type RightsConfig struct {
	// Home is the group an API write of a user's locks sets the right of
	// (BAS-IP's lock_number too).
	Home string
	// Groups are this controller's door groups, each with the locks of
	// this controller it holds (LocksBoth unless the config says).
	Groups map[string]Locks
}

var bRights = []byte("fleet_rights")

var kRightsSig = []byte("fleet_rights_groups")

// groupRE is a door group's name (as fleet.groups).
var groupRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Right is a user's right in one door group, as the bucket holds it.
type Right struct {
	Locks Locks `json:"locks"`
}

// signature is what of rc the local rights depend on.
func (rc *RightsConfig) signature() string {
	if rc == nil {
		return ""
	}
	var b strings.Builder
	for _, g := range slices.Sorted(maps.Keys(rc.Groups)) {
		fmt.Fprintf(&b, "%s=%s,", g, rc.Groups[g])
	}
	return b.String()
}

func parseSignature(sig string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(sig, ",") {
		if g, _, ok := strings.Cut(part, "="); ok {
			out[g] = true
		}
	}
	return out
}

// SetFleetRights turns door rights on with rc (nil: off, the user's own
// locks apply everywhere as before). Called before the fleet's watch
// starts. When rc's groups differ from the ones the local rights were
// kept for, the rights of groups no longer held are dropped and users'
// locks recomputed at once; when a group was added (or rights were turned
// on or off) the fleet revision is reset, so that the watch re-reads the
// bucket (its rejoin: every record applied again, what the bucket no
// longer has deleted) and the new groups' rights arrive.
func (s *Store) SetFleetRights(rc *RightsConfig) error {
	if rc != nil {
		if !groupRE.MatchString(rc.Home) {
			return fmt.Errorf("store: door rights: home group %q is not a group name", rc.Home)
		}
		for g, l := range rc.Groups {
			if !groupRE.MatchString(g) || !validLocks(l) {
				return fmt.Errorf("store: door rights: group %q with locks %q", g, l)
			}
		}
		c := *rc
		c.Groups = maps.Clone(rc.Groups)
		rc = &c
	}
	s.rights.Store(rc)
	return s.writeLocal(false, func(w *wtx) error {
		sig := rc.signature()
		old := string(w.tx.Bucket(bMeta).Get(kRightsSig))
		if old == sig {
			return nil
		}
		oldGroups := parseSignature(old)
		reread := (old == "") != (sig == "")
		if rc != nil {
			for g := range rc.Groups {
				if !oldGroups[g] {
					reread = true
				}
			}
		}
		b, err := w.rightsBucket()
		if err != nil {
			return err
		}
		var drop [][]byte
		uids := map[uint64]bool{}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			uid, g := splitRightKey(k)
			uids[uid] = true
			if rc == nil || (g != "" && !hasGroup(rc, g)) {
				drop = append(drop, bytes.Clone(k))
			}
		}
		for _, k := range drop {
			if err := w.del(bRights, k); err != nil {
				return err
			}
		}
		if rc != nil {
			for _, uid := range slices.Sorted(maps.Keys(uids)) {
				if err := w.recomputeLocks(uid); err != nil {
					return err
				}
			}
		}
		if reread {
			if err := w.putRaw(bMeta, kFleetRev, keys.U64(0)); err != nil {
				return err
			}
		}
		return w.putRaw(bMeta, kRightsSig, []byte(sig))
	})
}

func hasGroup(rc *RightsConfig, g string) bool { _, ok := rc.Groups[g]; return ok }

// rightsConfig is the door rights in force, or nil.
func (s *Store) rightsConfig() *RightsConfig { return s.rights.Load() }

func rightKey(uid uint64, group string) []byte {
	return append(keys.U64(uid), group...)
}

func splitRightKey(k []byte) (uint64, string) {
	uid, _ := keys.ParseU64(k[:8])
	return uid, string(k[8:])
}

// rightsBucket is the rights bucket, created on first use (a stage's:
// the stage has one when the store has, or door rights are on:
// importstage.go).
func (w *wtx) rightsBucket() (*bolt.Bucket, error) {
	if b := w.b(bRights); b != nil {
		return b, nil
	}
	if w.stage != nil {
		return nil, errors.New("store: the stage holds no door rights")
	}
	return w.tx.CreateBucket(bRights)
}

// rows reads uid's rows in w (its stage's, when staged).
func (w *wtx) rows(uid uint64) map[string]Locks { return userRights(w.b(bRights), uid) }

// userRights reads uid's rows (group → locks) in b, a rights bucket;
// nil without any.
func userRights(b *bolt.Bucket, uid uint64) map[string]Locks {
	if b == nil {
		return nil
	}
	var out map[string]Locks
	prefix := keys.U64(uid)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if out == nil {
			out = map[string]Locks{}
		}
		_, g := splitRightKey(k)
		out[g] = Locks(v)
	}
	return out
}

// lockSet is a Locks as bits: 1 the first lock, 2 the second.
func lockSet(l Locks) uint8 {
	switch l {
	case LocksBoth:
		return 3
	case LocksFirst:
		return 1
	case LocksSecond:
		return 2
	}
	return 0
}

func locksOf(bits uint8) Locks {
	switch bits & 3 {
	case 3:
		return LocksBoth
	case 1:
		return LocksFirst
	case 2:
		return LocksSecond
	}
	return LocksNone
}

// effective is a user's locks here from their rows.
func effective(rc *RightsConfig, rows map[string]Locks) Locks {
	var bits uint8
	for g, l := range rows {
		if g == "" {
			bits |= lockSet(l)
		} else if held, ok := rc.Groups[g]; ok {
			bits |= lockSet(l) & lockSet(held)
		}
	}
	return locksOf(bits)
}

// setRow writes (LocksNone or "": deletes) uid's row for group. The
// site-wide grant's row ("" group) is kept as LocksNone: that the user's
// bucket record was seen.
func (w *wtx) setRow(uid uint64, group string, l Locks) error {
	b, err := w.rightsBucket()
	if err != nil {
		return err
	}
	k := rightKey(uid, group)
	if group == "" && l == "" {
		l = LocksNone
	}
	if group != "" && (l == "" || l == LocksNone) {
		if b.Get(k) == nil {
			return nil
		}
		return w.del(bRights, k)
	}
	return w.putRaw(bRights, k, []byte(l))
}

// dropRights deletes a deleted user's rows. A delete through the API
// also deletes the rights of this controller's groups from the fleet's
// bucket (before the user: applied in that order); store/fleet's gate
// adds the user's rights in other groups to the same write.
func (w *wtx) dropRights(uid uint64) error {
	rows := w.rows(uid)
	for _, g := range slices.Sorted(maps.Keys(rows)) {
		if g != "" && !w.fleetApply {
			if err := w.emit(Change{Kind: KindRight, ID: uid, Key: g, Deleted: true}); err != nil {
				return err
			}
		}
		if g == "" {
			if err := w.del(bRights, rightKey(uid, "")); err != nil {
				return err
			}
		} else if err := w.setRow(uid, g, ""); err != nil {
			return err
		}
	}
	return nil
}

// recomputeLocks rewrites uid's stored user when its locks here changed
// (the door engine and the list index follow the change at once).
func (w *wtx) recomputeLocks(uid uint64) error {
	rc := w.s.rightsConfig()
	if rc == nil {
		return nil
	}
	k := keys.U64(uid)
	old, err := getJSON[User](w.b(bUsers), k)
	if err == ErrNotFound {
		return nil // the right came before its user
	} else if err != nil {
		return err
	}
	eff := effective(rc, w.rows(uid))
	if eff == old.Locks {
		return nil
	}
	n := cloneUser(&old)
	n.Locks = eff
	return w.putUser(&old, &n)
}

// applyFleetRight applies a right.<group>.<uid> record (store/fleet's
// watch): a group this controller does not hold is ignored.
func (w *wtx) applyFleetRight(op *FleetOp) error {
	rc := w.s.rightsConfig()
	if rc == nil || !hasGroup(rc, op.Group) {
		return nil
	}
	l := Locks("")
	if !op.Deleted {
		c, err := decodeFleet(op)
		if err != nil {
			return &FleetConflictError{Kind: op.Kind, ID: op.ID, Reason: err.Error()}
		}
		if l = c.Right.Locks; !validLocks(l) && l != LocksNone {
			return &FleetConflictError{Kind: op.Kind, ID: op.ID, Reason: fmt.Sprintf("unknown locks %q", l)}
		}
	}
	if cur := w.rows(op.ID)[op.Group]; cur == l || (cur == "" && l == LocksNone) {
		return nil
	}
	if err := w.setRow(op.ID, op.Group, l); err != nil {
		return err
	}
	ch := Change{Kind: KindRight, ID: op.ID, Key: op.Group, Deleted: l == "" || l == LocksNone}
	if !ch.Deleted {
		ch.Right = &Right{Locks: l}
	}
	if err := w.emit(ch); err != nil {
		return err
	}
	return w.recomputeLocks(op.ID)
}

// applyFleetUser is a user record from the bucket, before it is stored:
// its locks there are its site-wide grant (kept as the "" row) and its
// locks here are derived.
func (w *wtx) applyFleetUser(u *User) error {
	rc := w.s.rightsConfig()
	if rc == nil {
		return nil
	}
	if err := w.setRow(u.UID, "", u.Locks); err != nil {
		return err
	}
	u.Locks = effective(rc, w.rows(u.UID))
	u.DoorRights = nil
	return nil
}

// writeRights is an API write's part in a fleet with door rights, run by
// putUser before it stores u (old nil: a create): a changed Locks sets
// the home group's right, DoorRights the rights of the groups it names;
// a site-wide grant is converted to the home group's right the first time
// (rights.go's header). It emits the rights' changes (before the user's:
// applied in that order, the user never holds less than the end result
// on the way), sets u.Locks to its locks here and u.DoorRights to its
// rights here and the ones written, and returns the locks the bucket's
// user record carries.
func (w *wtx) writeRights(old, u *User) (site Locks, err error) {
	rc := w.s.rightsConfig()
	if rc == nil {
		if len(u.DoorRights) > 0 {
			return "", &InvalidError{Field: "door_rights", Reason: "door rights need fleet mode with groups (README \"Fleet\")"}
		}
		return "", nil
	}
	set := map[string]Locks{}
	for _, g := range slices.Sorted(maps.Keys(u.DoorRights)) {
		l := u.DoorRights[g]
		if !groupRE.MatchString(g) {
			return "", &InvalidError{Field: "door_rights", Reason: fmt.Sprintf("%q is not a door group name (letters, digits, _ or -)", g)}
		}
		if !validLocks(l) && l != LocksNone {
			return "", &InvalidError{Field: "door_rights." + g, Reason: fmt.Sprintf("unknown locks %q: \"both\", \"1\", \"2\" or \"none\"", l)}
		}
		set[g] = l
	}
	if _, given := set[rc.Home]; !given && u.Locks != LocksNone && (old == nil || u.Locks != old.Locks) {
		set[rc.Home] = u.Locks
	} else if !given && old != nil && u.Locks == LocksNone && old.Locks != LocksNone {
		set[rc.Home] = LocksNone
	}
	rows := w.rows(u.UID)
	site = rows[""]
	if site == "" {
		site = LocksNone
	}
	if len(set) > 0 && site != LocksNone {
		if _, given := set[rc.Home]; !given {
			set[rc.Home] = site // the grant, converted
		}
		site = LocksNone
		if err := w.setRow(u.UID, "", LocksNone); err != nil {
			return "", err
		}
	}
	shown := map[string]Locks{}
	for g, l := range rows {
		if g != "" && hasGroup(rc, g) {
			shown[g] = l
		}
	}
	for _, g := range slices.Sorted(maps.Keys(set)) {
		l := set[g]
		if l == LocksNone && old == nil {
			continue // nothing to revoke on a new user
		}
		// A stage keeps the rights of other groups it writes too: the
		// fleet's new list takes them from it (fleetgen.go).
		if hasGroup(rc, g) || w.stage != nil {
			if err := w.setRow(u.UID, g, l); err != nil {
				return "", err
			}
		}
		ch := Change{Kind: KindRight, ID: u.UID, Key: g, Deleted: l == LocksNone}
		if ch.Deleted {
			delete(shown, g)
		} else {
			ch.Right = &Right{Locks: l}
			shown[g] = l
		}
		if err := w.emit(ch); err != nil {
			return "", err
		}
	}
	u.Locks = effective(rc, w.rows(u.UID))
	u.DoorRights = shown
	if len(shown) == 0 {
		u.DoorRights = nil
	}
	return site, nil
}

// fillRights sets u.DoorRights to its rights in this controller's groups
// (a read in a fleet with door rights).
func (s *Store) fillRights(tx *bolt.Tx, u *User) {
	rc := s.rightsConfig()
	if rc == nil {
		return
	}
	u.DoorRights = nil
	for g, l := range userRights(tx.Bucket(bRights), u.UID) {
		if g != "" && hasGroup(rc, g) {
			if u.DoorRights == nil {
				u.DoorRights = map[string]Locks{}
			}
			u.DoorRights[g] = l
		}
	}
}

// encodeRight is a right's bucket record.
func encodeRight(r *Right) ([]byte, error) { return json.Marshal(r) }

// loadRights is applyFleetUser for users a fleet load stages in bulk
// (store/fleet loads this controller's rights into the stage before
// them): each one's bucket locks become its site-wide grant row and its
// Locks the locks here, in the stage.
func (s *Store) loadRights(users []User) error {
	if s.rightsConfig() == nil {
		return nil
	}
	return s.stageWrite(func(w *wtx) error {
		for i := range users {
			if err := w.applyFleetUser(&users[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// isFleetKind reports whether records of kind live in the fleet's bucket.
func isFleetKind(k ChangeKind) bool {
	_, ok := fleetBuckets[k]
	return ok || k == KindRight
}

// siteLocksOf is uid's site-wide grant as its bucket record carries it in
// a fleet with door rights ("" without them: the user's Locks as stored).
func (s *Store) siteLocksOf(tx *bolt.Tx, uid uint64) Locks {
	if s.rightsConfig() == nil {
		return ""
	}
	if l := userRights(tx.Bucket(bRights), uid)[""]; l != "" {
		return l
	}
	return LocksNone
}

// FleetRightValue is uid's right in group as the fleet's bucket holds it
// (ok false: none here), for a right put back after every controller
// left its write out (store/fleet's retract).
func (s *Store) FleetRightValue(uid uint64, group string) (value []byte, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		l := userRights(tx.Bucket(bRights), uid)[group]
		if group == "" || l == "" {
			return nil
		}
		value, err = encodeRight(&Right{Locks: l})
		ok = err == nil
		return err
	})
	return value, ok, err
}

// bulkRights is writeRights for the new users of a bulk write through
// the API (an import's new users): each one's locks become the home
// group's right, its bucket record carries no site-wide grant, and its
// locks here are derived (re-encoded into data when they change).
func (w *wtx) bulkRights(p *bulkPrep, data [][]byte) error {
	rc := w.s.rightsConfig()
	if rc == nil || w.fleetLoad || w.fleetApply {
		return nil
	}
	for i := range p.n {
		u := &p.users[i]
		if u.Locks != LocksNone {
			if hasGroup(rc, rc.Home) || w.stage != nil { // as writeRights
				if err := w.setRow(u.UID, rc.Home, u.Locks); err != nil {
					return err
				}
			}
			if err := w.emit(Change{Kind: KindRight, ID: u.UID, Key: rc.Home, Right: &Right{Locks: u.Locks}}); err != nil {
				return err
			}
		}
		if err := w.setRow(u.UID, "", LocksNone); err != nil {
			return err
		}
		p.changes[i].siteLocks = LocksNone
		if eff := effective(rc, w.rows(u.UID)); eff != u.Locks {
			u.Locks, p.changes[i].User.Locks = eff, eff
			var err error
			if data[i], err = encodeUser(u); err != nil {
				return err
			}
		}
	}
	return nil
}
