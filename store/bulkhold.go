package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Keys held for a bulk load. A load may preset uids and credential ids
// ahead of the bucket's sequence, and it writes them chunk by chunk, for
// a minute at a million: meanwhile every other writer allocates from the
// same sequence (NextSequence in its own transaction), and without a
// hold would sooner or later be handed a key that a later chunk presets,
// and the load would then fail half done with "uid already exists"
// through no fault of its input. So a load holds its preset keys ahead of
// the sequence from its start to its end: whatever allocates a key skips
// the keys held by any load but its own (a load's own generated keys
// meeting its own presets are its input's conflict, as one by one). The
// hold is taken inside a write transaction, so every write that commits
// after the load began sees it; it lives in memory only (a load does not
// outlive the process).

// heldKeys are one load's preset keys ahead of the sequences when it
// began, sorted.
type heldKeys struct {
	uids, credIDs []uint64
}

// holds are the holds of the loads under way. A value is never changed:
// it is replaced as a whole (Store.held), so a prepared chunk can tell by
// the pointer whether the holds it skipped are still the ones in force.
type holds struct {
	loads []*heldKeys
}

// hold takes the load's hold on the preset keys of users and creds ahead
// of their buckets' sequences, and returns the function that lets it go
// (nil keys: nothing to hold, and the release does nothing).
func (s *Store) hold(users []User, creds []Credential) (*heldKeys, func(), error) {
	var uids, ids []uint64
	for i := range users {
		if users[i].UID != 0 {
			uids = append(uids, users[i].UID)
		}
	}
	for i := range creds {
		if creds[i].ID != 0 {
			ids = append(ids, creds[i].ID)
		}
	}
	if len(uids) == 0 && len(ids) == 0 {
		return nil, func() {}, nil
	}
	var h *heldKeys
	// Under the writer lock: a write that commits after this saw the hold.
	err := s.update(func(tx *bolt.Tx) error {
		h = &heldKeys{
			uids:    ahead(uids, tx.Bucket(bUsers).Sequence()),
			credIDs: ahead(ids, tx.Bucket(bCreds).Sequence()),
		}
		if len(h.uids) == 0 && len(h.credIDs) == 0 {
			h = nil
			return errNoop
		}
		s.holdMu.Lock()
		defer s.holdMu.Unlock()
		next := &holds{}
		if cur := s.held.Load(); cur != nil {
			next.loads = slices.Clone(cur.loads)
		}
		next.loads = append(next.loads, h)
		s.held.Store(next)
		return errNoop // nothing to write
	})
	if err != nil && err != errNoop {
		return nil, nil, diskFull(err)
	}
	if h == nil {
		return nil, func() {}, nil
	}
	return h, func() {
		s.holdMu.Lock()
		defer s.holdMu.Unlock()
		cur := s.held.Load()
		next := &holds{loads: slices.DeleteFunc(slices.Clone(cur.loads), func(l *heldKeys) bool { return l == h })}
		if len(next.loads) == 0 {
			next = nil
		}
		s.held.Store(next)
	}, nil
}

// ahead is the sorted, distinct keys of ks above seq.
func ahead(ks []uint64, seq uint64) []uint64 {
	ks = slices.DeleteFunc(ks, func(k uint64) bool { return k <= seq })
	slices.Sort(ks)
	return slices.Compact(ks)
}

// heldByOther reports whether key k of bucket is held by a load other
// than own (nil: by any load). hs is the holds in force (Store.held).
func (hs *holds) heldByOther(own *heldKeys, bucket []byte, k uint64) bool {
	if hs == nil {
		return false
	}
	for _, l := range hs.loads {
		if l == own {
			continue
		}
		ks := l.uids
		if bytes.Equal(bucket, bCreds) {
			ks = l.credIDs
		} else if !bytes.Equal(bucket, bUsers) {
			return false
		}
		if _, ok := slices.BinarySearch(ks, k); ok {
			return true
		}
	}
	return false
}

// nextFree is the first key after seq that no other load holds: the key
// NextSequence would give, skipping held ones.
func (hs *holds) nextFree(own *heldKeys, bucket []byte, seq uint64) uint64 {
	seq++
	for hs.heldByOther(own, bucket, seq) {
		seq++
	}
	return seq
}
