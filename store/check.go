package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// indexBuckets are the buckets derived from records.
var indexBuckets = [][]byte{
	bUserByID, bUserByExtID, bUserByName, bUserByState, bUserByTag, bUserByApt, bUserByTP,
	bCredByValue, bCredByUser, bCredByTP, bCredByApt, bAptByAddr, bOpByUsername, bSessByOp,
}

// problems collects what Check finds, keeping the first few verbatim.
type problems struct {
	list []string
	n    int
}

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.list) < 50 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *problems) err() error {
	if p.n == 0 {
		return nil
	}
	msg := strings.Join(p.list, "\n  ")
	if p.n > len(p.list) {
		msg += fmt.Sprintf("\n  … and %d more", p.n-len(p.list))
	}
	return fmt.Errorf("store check: %d problem(s):\n  %s", p.n, msg)
}

// Check verifies the whole file in one read transaction: bbolt's own page
// consistency, that every record is in every index it belongs to with the
// right value, that no index holds an entry no record accounts for, that
// references resolve and that id sequences are ahead of every key. It
// returns an error listing the problems, or nil. It reads every record:
// seconds at a million users, so it is for tests, start-up after a crash
// and the admin command, not for every request.
func (s *Store) Check() error {
	var p problems
	err := s.view(func(tx *bolt.Tx) error {
		// Read every page here first, where a fault is contained:
		// bbolt's own check runs on a goroutine of its own, and a page id
		// out of range would fault there.
		walkPages(tx, true)
		for err := range tx.Check() {
			p.add("bbolt: %v", err)
		}
		if v, err := readVersion(tx); err != nil || v != currentVersion() {
			p.add("meta: schema_version %d (err %v), want %d", v, err, currentVersion())
		}
		seqRaw := tx.Bucket(bMeta).Get(kSeq)
		if _, ok := keys.ParseU64(seqRaw); seqRaw != nil && !ok {
			p.add("meta: seq %x is not 8 bytes", seqRaw)
		}
		// Forward: every expected entry is present with its value.
		want := map[string]int{}
		checkRecords(tx, &p, func(owner string, e index.Entry) {
			want[string(e.Bucket)]++
			if !index.Has(tx, e) {
				p.add("%s: index entry %s missing or pointing elsewhere", owner, e)
			}
		})
		// Backward: an index with more keys than its records expect holds
		// stale entries. Name them (costly, only when there are some).
		for _, b := range indexBuckets {
			got := tx.Bucket(b).Stats().KeyN
			if got == want[string(b)] {
				continue
			}
			expected := map[string]bool{}
			checkRecords(tx, &problems{}, func(_ string, e index.Entry) {
				if string(e.Bucket) == string(b) {
					expected[string(e.Key)+"\x00"+string(e.Val)] = true
				}
			})
			tx.Bucket(b).ForEach(func(k, v []byte) error {
				if !expected[string(k)+"\x00"+string(v)] {
					p.add("index %s[%x] = %x: no record accounts for it", b, k, v)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.err()
}

// checkRecords walks every record, reports record-level problems and
// hands each index entry the record should have to entry.
func checkRecords(tx *bolt.Tx, p *problems, entry func(owner string, e index.Entry)) {
	exists := func(b []byte, id uint64) bool { return tx.Bucket(b).Get(keys.U64(id)) != nil }
	walk := func(bucket []byte, each func(id uint64, v []byte) error) {
		b := tx.Bucket(bucket)
		var max uint64
		b.ForEach(func(k, v []byte) error {
			id, ok := keys.ParseU64(k)
			if !ok {
				p.add("%s: key %x is not 8 bytes", bucket, k)
				return nil
			}
			// Ids are allocated in ranges of 1<<32 (a fleet gives each
			// controller its own: fleet.go); only the sequence's own
			// range can collide with it.
			if id>>32 == b.Sequence()>>32 {
				max = id
			}
			if err := each(id, v); err != nil {
				p.add("%s[%d]: %v", bucket, id, err)
			}
			return nil
		})
		if b.Sequence() < max {
			p.add("%s: sequence %d is behind the largest key %d (the next create would collide)", bucket, b.Sequence(), max)
		}
	}
	walk(bUsers, func(id uint64, v []byte) error {
		u, err := decodeUser(id, v)
		if err != nil {
			return err
		}
		owner := "user " + strconv.FormatUint(id, 10)
		if u.UID != id {
			p.add("%s: record says uid %d", owner, u.UID)
		}
		if !validState(u.State) {
			p.add("%s: state %q", owner, u.State)
		}
		for _, t := range u.TimeProfiles {
			if !exists(bTimeProfiles, t) {
				p.add("%s: time profile %d does not exist", owner, t)
			}
		}
		for _, a := range u.Apartments {
			if !exists(bApartments, a) {
				p.add("%s: apartment %d does not exist", owner, a)
			}
		}
		for _, e := range userEntries(&u) {
			entry(owner, e)
		}
		return nil
	})
	walk(bCreds, func(id uint64, v []byte) error {
		c, err := decodeCredential(id, v)
		if err != nil {
			return err
		}
		owner := "credential " + strconv.FormatUint(id, 10)
		if c.ID != id {
			p.add("%s: record says id %d", owner, c.ID)
		}
		if c.UserUID != 0 && !exists(bUsers, c.UserUID) {
			p.add("%s: user %d does not exist", owner, c.UserUID)
		}
		if c.Apartment != 0 && !exists(bApartments, c.Apartment) {
			p.add("%s: apartment %d does not exist", owner, c.Apartment)
		}
		for _, t := range c.TimeProfiles {
			if !exists(bTimeProfiles, t) {
				p.add("%s: time profile %d does not exist", owner, t)
			}
		}
		for _, e := range credEntries(&c) {
			entry(owner, e)
		}
		return nil
	})
	walk(bTimeProfiles, func(id uint64, v []byte) error {
		var t TimeProfile
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.ID != id {
			p.add("time profile %d: record says id %d", id, t.ID)
		}
		return nil
	})
	walk(bApartments, func(id uint64, v []byte) error {
		var a Apartment
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if a.ID != id {
			p.add("apartment %d: record says id %d", id, a.ID)
		}
		for _, e := range aptEntries(&a) {
			entry("apartment "+strconv.FormatUint(id, 10), e)
		}
		return nil
	})
	walk(bOperators, func(id uint64, v []byte) error {
		var o Operator
		if err := json.Unmarshal(v, &o); err != nil {
			return err
		}
		if o.ID != id {
			p.add("operator %d: record says id %d", id, o.ID)
		}
		for _, e := range opEntries(&o) {
			entry("operator "+strconv.FormatUint(id, 10), e)
		}
		return nil
	})
	tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
		var sess Session
		if err := json.Unmarshal(v, &sess); err != nil {
			p.add("session %x: %v", k, err)
			return nil
		}
		owner := fmt.Sprintf("session %x", k)
		if string(sess.TokenHash[:]) != string(k) {
			p.add("%s: record says hash %x", owner, sess.TokenHash)
		}
		if !exists(bOperators, sess.OperatorID) {
			p.add("%s: operator %d does not exist", owner, sess.OperatorID)
		}
		for _, e := range sessEntries(&sess) {
			entry(owner, e)
		}
		return nil
	})
	checkForwards(tx, p)
}

// fullWalkLimit: files up to this size have every page of every bucket
// read at Open (well under a second on a board; a site of tens of
// thousands of users). Larger files have the ends of every bucket read,
// and the rest is covered by the access engine's load, by run-time
// containment and by `doord check --store`.
const fullWalkLimit = 64 << 20

// quickCheck reads the pages Open relies on. A damaged page panics or
// faults inside bbolt; view turns that into a DamagedError.
func (s *Store) quickCheck() error {
	var need int64
	err := s.view(func(tx *bolt.Tx) error {
		need = tx.Size()
		return walkPages(tx, need <= fullWalkLimit)
	})
	if fi, serr := os.Stat(s.path); errors.Is(err, ErrDamaged) && serr == nil && fi.Size() < need {
		// Name the likely cause rather than the fault it caused.
		return &DamagedError{Path: s.path, Problem: fmt.Sprintf("the file is truncated: %d bytes, but its pages reach %d bytes", fi.Size(), need)}
	}
	return err
}

// walkPages reads every top-level bucket through a cursor: its first and
// last key, or (full) every key, which visits each branch and leaf page.
func walkPages(tx *bolt.Tx, full bool) error {
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		c := b.Cursor()
		if !full {
			c.First()
			c.Last()
			return nil
		}
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
		}
		return nil
	})
}
