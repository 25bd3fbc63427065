package auth

import "math/bits"

// credTable is one shard's credentials: an open-addressing hash table
// with linear probing over two parallel arrays, keys (8 per cache line,
// probed) and records (one cache line each, read once). Go's map keeps
// 64-byte slots only half to seven-eighths full depending on where its
// tables last split (measured 148 bytes an entry at 4,000 entries); this
// table stays 70–85% full (≈80 bytes an entry) and a hit costs one key
// line and one record line.
//
// Key 0 marks an empty slot (a card value is never 0, a PIN key starts
// with 1). Deletion shifts the following run back, so there are no
// tombstones and a probe ends at the first empty slot. All methods run
// under the shard's lock (get under the read lock).
type credTable struct {
	keys []uint64
	recs []credRec
	n    int
}

const (
	maxLoad    = 0.85 // grow beyond this
	targetLoad = 0.70 // to this
	loadLoad   = 0.80 // a table built by Load
)

// home is key's first slot: a mix of all its bits, reduced to the
// capacity by multiplication (no power-of-two rounding of the capacity).
// The mix differs from shardOf's, so a shard's keys spread evenly.
func (t *credTable) home(key uint64) int {
	h := key
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	hi, _ := bits.Mul64(h, uint64(len(t.keys)))
	return int(hi)
}

func (t *credTable) find(key uint64) (int, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	for i := t.home(key); ; {
		switch t.keys[i] {
		case key:
			return i, true
		case 0:
			return i, false
		}
		if i++; i == len(t.keys) {
			i = 0
		}
	}
}

func (t *credTable) get(key uint64) (credRec, bool) {
	if i, ok := t.find(key); ok {
		return t.recs[i], true
	}
	return credRec{}, false
}

func (t *credTable) set(key uint64, r credRec) {
	i, ok := t.find(key)
	if !ok {
		if float64(t.n+1) > maxLoad*float64(len(t.keys)) {
			t.resize(t.n+1, targetLoad)
			i, _ = t.find(key)
		}
		t.keys[i] = key
		t.n++
	}
	t.recs[i] = r
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
		if j++; j == len(t.keys) {
			j = 0
		}
		k := t.keys[j]
		if k == 0 {
			break
		}
		h := t.home(k)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.keys[i], t.recs[i] = k, t.recs[j]
			i = j
		}
	}
	t.keys[i], t.recs[i] = 0, credRec{}
}

// resize rebuilds the table for n entries at load factor load.
func (t *credTable) resize(n int, load float64) {
	old := *t
	size := int(float64(n)/load) + 1
	*t = credTable{keys: make([]uint64, size), recs: make([]credRec, size)}
	for i, k := range old.keys {
		if k != 0 {
			j, _ := t.find(k)
			t.keys[j], t.recs[j] = k, old.recs[i]
			t.n++
		}
	}
}

func (t *credTable) each(fn func(key uint64, r credRec)) {
	for i, k := range t.keys {
		if k != 0 {
			fn(k, t.recs[i])
		}
	}
}
