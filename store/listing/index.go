package listing

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/store"
)

// TableID names one of the Index's tables.
type TableID uint8

const (
	Users TableID = iota
	Credentials
	Apartments
	Profiles
	numTables
)

// The columns of each table (indexes into its Schema).
const (
	// Users: name and info, lowered and sorted.
	UserName = 0
	UserInfo = 1
	// UserSearch: the rest of what the people search matches (first and
	// last name, email, phone, a given ext_id), one text, unsorted.
	UserSearch = 2
	// Users' small columns.
	UserLocks  = 0 // LockCode
	UserCustom = 1 // 1: custom_access
	UserState  = 2 // StateCode

	// Credentials: the value as an operator sees it (a PIN's is its mask:
	// the index keeps no PIN) and the owner's name, lowered and sorted.
	CredValue     = 0
	CredOwnerName = 1
	// Credentials' int column: the user's uid (0: none).
	CredUser = 0
	// Credentials' small columns.
	CredType  = 0 // TypeCode
	CredLocks = 1 // LockCode
	CredGuest = 2 // 1: a guest's

	// Apartments: the name (sorted); the address as ints.
	AptName     = 0
	AptBuilding = 0
	AptUnit     = 1
	AptFloor    = 2
	AptRoom     = 3

	// Time profiles: the name (sorted).
	ProfileName = 0
)

var schemas = [numTables]Schema{
	Users: {Texts: []TextCol{{Name: "name", Sorted: true}, {Name: "info", Sorted: true}, {Name: "search"}}, Smalls: 3},
	Credentials: {Texts: []TextCol{{Name: "value", Sorted: true, Common: store.MaskCredential(string(store.CredPIN), "0000")},
		{Name: "owner_name", Sorted: true}}, Ints: 1, Smalls: 3},
	Apartments: {Texts: []TextCol{{Name: "name", Sorted: true}}, Ints: 4},
	Profiles:   {Texts: []TextCol{{Name: "name", Sorted: true}}},
}

// LockCode is the small code of a Locks: 1 the first, 2 the second, 3
// none (a fleet user without a right here), 0 both or anything else
// (BAS-IP's lock_number, as the dialect shows it, none there as -1).
func LockCode(l store.Locks) uint8 {
	switch l {
	case store.LocksFirst:
		return 1
	case store.LocksSecond:
		return 2
	case store.LocksNone:
		return 3
	}
	return 0
}

// StateCode is the small code of a user state: 0 active, 1 disabled, 2
// archived, 3 anything else.
func StateCode(s store.UserState) uint8 {
	switch s {
	case store.StateActive:
		return 0
	case store.StateDisabled:
		return 1
	case store.StateArchived:
		return 2
	}
	return 3
}

// credTypes are the credential types by TypeCode (0: unknown).
var credTypes = []store.CredentialType{"", store.CredCard, store.CredPIN, store.CredQR,
	store.CredLicensePlate, store.CredUKey, store.CredFaceID}

// TypeCode is the small code of a credential type (0: a type this
// version does not know).
func TypeCode(t store.CredentialType) uint8 {
	for i, x := range credTypes {
		if x == t && i > 0 {
			return uint8(i)
		}
	}
	return 0
}

// TypeOf is the credential type of a TypeCode.
func TypeOf(code uint8) store.CredentialType {
	if int(code) < len(credTypes) {
		return credTypes[code]
	}
	return ""
}

func userRow(u *store.ListUser) Row {
	custom := uint8(0)
	if u.CustomAccess {
		custom = 1
	}
	return Row{Texts: []string{u.Name, u.Info, searchText(u)}, Smalls: []uint8{LockCode(u.Locks), custom, StateCode(u.State)}}
}

// SearchSep separates the fields of UserSearch's text. A search for a
// text that holds it must find nothing (the caller's rule), so that no
// search matches across two fields.
const SearchSep = "\x1f"

func searchText(u *store.ListUser) string {
	n := 0
	for _, f := range [...]string{u.FirstName, u.LastName, u.Email, u.Phone, u.ExtID} {
		n += len(f)
	}
	if n == 0 {
		return ""
	}
	return u.FirstName + SearchSep + u.LastName + SearchSep + u.Email + SearchSep + u.Phone + SearchSep + u.ExtID
}

func credRow(c *store.ListCredential) Row {
	v := c.Value
	if c.Type == store.CredPIN {
		v = store.MaskCredential(string(c.Type), v)
	}
	guest := uint8(0)
	if c.Owner == store.OwnerGuest {
		guest = 1
	}
	return Row{Texts: []string{v, c.OwnerName}, Ints: []int64{int64(c.UserUID)},
		Smalls: []uint8{TypeCode(c.Type), LockCode(c.Locks), guest}}
}

func aptRow(a *store.Apartment) Row {
	ad := a.Address
	return Row{Texts: []string{a.Name}, Ints: []int64{int64(ad.Building), int64(ad.Unit), int64(ad.Floor), int64(ad.Room)}}
}

func profileRow(p *store.TimeProfile) Row { return Row{Texts: []string{p.Name}} }

// Source is what an Index is built from: *store.Store.
type Source interface {
	ScanLists(store.ListVisitor) (seq uint64, err error)
	Seq() uint64
}

// Index is the lists' in-memory index: one Table per list, built from a
// snapshot of the store (Sync) and kept current by the change feed
// (Apply). It is a store.Follower; Follow it with store.Follow.
type Index struct {
	src Source

	mu     sync.RWMutex
	tables [numTables]*Table // nil while a Sync rebuilds them

	seq      atomic.Uint64 // every commit ≤ seq is in the tables
	pmu      sync.Mutex
	progress chan struct{} // closed (and replaced) when seq advances
}

// New makes an empty Index over src; it is filled by its first Sync.
func New(src Source) *Index {
	return &Index{src: src, progress: make(chan struct{})}
}

// ErrBehind is Fresh's answer when the index has not caught up with the
// store within its wait.
var ErrBehind = errors.New("listing: the list index has not caught up with the store")

// Sync rebuilds every table from a snapshot of the source. The old
// tables go first, so that a board never holds two copies; pages asked
// for meanwhile wait (Fresh) for the new ones.
func (x *Index) Sync() (uint64, error) {
	x.mu.Lock()
	x.tables = [numTables]*Table{}
	x.mu.Unlock()
	var ts [numTables]*Table
	for i := range ts {
		ts[i] = NewTable(schemas[i])
	}
	seq, err := x.src.ScanLists(store.ListVisitor{
		Bounds: func(users, creds, apts, profiles int) {
			ts[Users].reserve(users)
			ts[Credentials].reserve(creds)
			ts[Apartments].reserve(apts)
			ts[Profiles].reserve(profiles)
		},
		Profile:    func(p *store.TimeProfile) error { ts[Profiles].add(p.ID, profileRow(p)); return nil },
		Apartment:  func(a *store.Apartment) error { ts[Apartments].add(a.ID, aptRow(a)); return nil },
		User:       func(u *store.ListUser) error { ts[Users].add(u.UID, userRow(u)); return nil },
		Credential: func(c *store.ListCredential) error { ts[Credentials].add(c.ID, credRow(c)); return nil },
	})
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		t.finish()
	}
	x.mu.Lock()
	x.tables = ts
	x.mu.Unlock()
	x.advance(seq)
	return seq, nil
}

// Apply brings the tables up to date with one commit's records.
func (x *Index) Apply(cs []store.Change) {
	if len(cs) == 0 {
		return
	}
	x.mu.Lock()
	for i := range cs {
		x.applyLocked(&cs[i])
	}
	x.mu.Unlock()
	x.advance(cs[len(cs)-1].Seq)
}

func (x *Index) applyLocked(c *store.Change) {
	if x.tables[Users] == nil {
		return // a Sync is under way; its snapshot will hold this
	}
	var t *Table
	var r Row
	switch c.Kind {
	case store.KindUser:
		t = x.tables[Users]
		if c.User != nil {
			u := store.UserList(c.User)
			r = userRow(&u)
		}
	case store.KindCredential:
		t = x.tables[Credentials]
		if c.Credential != nil {
			l := store.CredentialList(c.Credential)
			r = credRow(&l)
		}
	case store.KindApartment:
		t = x.tables[Apartments]
		if c.Apartment != nil {
			r = aptRow(c.Apartment)
		}
	case store.KindTimeProfile:
		t = x.tables[Profiles]
		if c.TimeProfile != nil {
			r = profileRow(c.TimeProfile)
		}
	default:
		return
	}
	if c.Deleted {
		t.Delete(c.ID)
		return
	}
	if r.Texts == nil && r.Ints == nil {
		return // an upsert without its record: not one this version writes
	}
	t.Put(c.ID, r)
}

func (x *Index) advance(seq uint64) {
	x.pmu.Lock()
	defer x.pmu.Unlock()
	x.seq.Store(max(seq, x.seq.Load()))
	close(x.progress)
	x.progress = make(chan struct{})
}

func (x *Index) ready() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.tables[Users] != nil
}

// Seq is the last store sequence number the tables hold.
func (x *Index) Seq() uint64 { return x.seq.Load() }

// Fresh waits, at most d, until the index holds every commit the store
// had when Fresh was called: a page asked for after a write was
// acknowledged (to anyone) shows it. Writers normally return only after
// the index applied their records (the feed's FeedWait), so this waits
// only when the index fell behind or is being rebuilt. ErrBehind when d
// passes first.
func (x *Index) Fresh(d time.Duration) error {
	want := x.src.Seq()
	var timer *time.Timer
	for {
		x.pmu.Lock()
		ch := x.progress
		x.pmu.Unlock()
		if x.seq.Load() >= want && x.ready() {
			return nil
		}
		if timer == nil {
			timer = time.NewTimer(d)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
			return ErrBehind
		}
	}
}

// Page answers q over one table under the read lock. It does not wait:
// call Fresh first for read-your-writes. While a Sync rebuilds the
// tables it answers ErrBehind.
func (x *Index) Page(id TableID, q Query) (Page, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	t := x.tables[id]
	if t == nil {
		return Page{}, ErrBehind
	}
	return t.Page(q), nil
}

// Stats is each table's rows and bytes.
type Stats struct {
	Rows, Bytes [numTables]int
}

// Stats reads the tables' sizes.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var s Stats
	for i, t := range x.tables {
		if t != nil {
			s.Rows[i], s.Bytes[i] = t.Len(), t.Bytes()
		}
	}
	return s
}
