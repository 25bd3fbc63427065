package access

import (
	"math/bits"
	"unsafe"
)

// credTable is one shard's credentials: an open-addressing hash table
// with linear probing over slots that hold a key and its record together,
// 64 bytes, one cache line. At two million credentials nothing of the
// table is in the CPU cache when a card arrives, so the cost of a decision
// is the number of memory lines it touches: a hit in its home slot costs
// one, and the next slots along are the adjacent lines the hardware
// prefetcher fetches anyway. (Keys and records in two parallel arrays cost
// two lines a hit: measured ~80 ns more at p50.) Go's map keeps 64-byte
// slots only half to seven-eighths full depending on where its tables last
// split (measured 148 bytes an entry at 4,000 entries); this table stays
// 70–85% full (≈80 bytes an entry).
//
// Key 0 marks an empty slot (a card value is never 0, a PIN key starts
// with 1). Deletion shifts the following run back, so there are no
// tombstones and a probe ends at the first empty slot. All methods run
// under the shard's lock (get under the read lock).
type credTable struct {
	slots []slot
	n     int
	// carved: slots are part of a load's slab (presize), which stays
	// allocated while any table still lies in it. When this table moves
	// (resize), its old slots' pages are given back to the kernel.
	carved bool
}

type slot struct {
	key uint64
	rec credRec
}

const (
	maxLoad    = 0.85 // grow beyond this
	targetLoad = 0.70 // to this
	loadLoad   = 0.80 // a table sized by Load (presize), at its expected count
)

// home is key's first slot: a mix of all its bits, reduced to the
// capacity by multiplication (no power-of-two rounding of the capacity).
// The mix differs from shardOf's, so a shard's keys spread evenly.
func (t *credTable) home(key uint64) int {
	h := key & hashMask // a number and its bound forms share a home (lookupCard)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

func (t *credTable) find(key uint64) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	for i := t.home(key); ; {
		switch t.slots[i].key {
		case key:
			return i, true
		case 0:
			return i, false
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

func (t *credTable) get(key uint64) (credRec, bool) {
	if i, ok := t.find(key); ok {
		return t.slots[i].rec, true
	}
	return credRec{}, false
}

// getEither finds a or b, which have the same home, in one walk of their
// run: whichever comes first, with its key.
func (t *credTable) getEither(a, b uint64) (credRec, uint64, bool) {
	if len(t.slots) == 0 {
		return credRec{}, 0, false
	}
	for i := t.home(a); ; {
		switch k := t.slots[i].key; k {
		case a, b:
			return t.slots[i].rec, k, true
		case 0:
			return credRec{}, 0, false
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

func (t *credTable) set(key uint64, r credRec) {
	i, ok := t.find(key)
	if !ok {
		if float64(t.n+1) > maxLoad*float64(len(t.slots)) {
			t.resize(t.n+1, targetLoad)
			i, _ = t.find(key)
		}
		t.slots[i].key = key
		t.n++
	}
	t.slots[i].rec = r
}

func (t *credTable) del(key uint64) {
	i, ok := t.find(key)
	if !ok {
		return
	}
	t.n--
	// Backward shift: move later entries of the run into the hole when
	// their home is not between the hole and them.
	for j := i; ; {
		if j++; j == len(t.slots) {
			j = 0
		}
		k := t.slots[j].key
		if k == 0 {
			break
		}
		h := t.home(k)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = slot{}
}

// tableSize is the slots of a table for n entries at load factor load.
func tableSize(n int, load float64) int { return int(float64(n)/load) + 1 }

// resize rebuilds the table for n entries at load factor load.
func (t *credTable) resize(n int, load float64) {
	old, carved := t.slots, t.carved
	*t = credTable{slots: make([]slot, tableSize(n, load))}
	for _, s := range old {
		if s.key != 0 {
			j, _ := t.find(s.key)
			t.slots[j] = s
			t.n++
		}
	}
	if carved {
		// Nothing reads the old slots again (the shard's write lock is
		// held, or the index is not yet published).
		release(unsafe.Pointer(unsafe.SliceData(old)), uintptr(len(old))*unsafe.Sizeof(slot{}))
	}
}

func (t *credTable) each(fn func(key uint64, r credRec)) {
	for _, s := range t.slots {
		if s.key != 0 {
			fn(s.key, s.rec)
		}
	}
}
