package store

import "hash/maphash"

// lineSet maps strings to a line (an import's: where a value was first
// seen), in memory that holds no pointers: the strings back to back in
// one byte slice, a map from their hashes to entries, and the entries in
// a slice. An import's validation keeps a few million of these until
// every row was read (the values a file adds, to find two rows with the
// same card), and the garbage collector scans a map of strings in every
// cycle, and so ever longer as the map grows: at a million users that
// scan had become the part of an import's CPU that grew faster than the
// file. Pointer-free memory is not scanned at all. Strings whose hashes
// collide are chained, so the set is exact.
type lineSet struct {
	seed  maphash.Seed
	first map[uint64]int32 // hash → entries index of the first with that hash
	ents  []lineEntry
	bytes []byte
}

type lineEntry struct {
	off  int // the string: bytes[off:off+n]
	n    int32
	line int32
	next int32 // the next entry with the same hash; -1: none
}

func newLineSet() *lineSet {
	return &lineSet{seed: maphash.MakeSeed(), first: map[uint64]int32{}}
}

// get is the line s was put with.
func (ls *lineSet) get(s string) (int, bool) { return ls.getHashed(maphash.String(ls.seed, s), s) }

// put records s at line unless it is there already.
func (ls *lineSet) put(s string, line int) { ls.putHashed(maphash.String(ls.seed, s), s, line) }

// getHashed and putHashed are get and put with s's hash h.
func (ls *lineSet) getHashed(h uint64, s string) (int, bool) {
	i, ok := ls.first[h]
	for ok && i >= 0 {
		e := &ls.ents[i]
		if string(ls.bytes[e.off:e.off+int(e.n)]) == s {
			return int(e.line), true
		}
		i = e.next
	}
	return 0, false
}

func (ls *lineSet) putHashed(h uint64, s string, line int) {
	e := lineEntry{off: len(ls.bytes), n: int32(len(s)), line: int32(line), next: -1}
	if i, ok := ls.first[h]; ok {
		for ; ; i = ls.ents[i].next {
			o := &ls.ents[i]
			if string(ls.bytes[o.off:o.off+int(o.n)]) == s {
				return
			}
			if o.next < 0 {
				o.next = int32(len(ls.ents))
				break
			}
		}
	} else {
		ls.first[h] = int32(len(ls.ents))
	}
	ls.bytes = append(ls.bytes, s...)
	ls.ents = append(ls.ents, e)
}

// addedValues are the credential values an import's rows add, in file
// order, kept (pointer-free, as lineSet) until every row was read.
type addedValues struct {
	ents  []addedValue
	bytes []byte // each value, then its format
}

type addedValue struct {
	line, nth int32 // the row's line; the value's place in its list
	pin       bool  // a PIN, else a card
	off       int   // value: bytes[off:off+vn], format: after it
	vn, fn    int32
}

func (a *addedValues) add(line, nth int, c *Credential) {
	a.ents = append(a.ents, addedValue{line: int32(line), nth: int32(nth), pin: c.Type == CredPIN,
		off: len(a.bytes), vn: int32(len(c.Value)), fn: int32(len(c.Format))})
	a.bytes = append(append(a.bytes, c.Value...), c.Format...)
}

// credential is entry i as a Credential (its Type, Value and Format).
func (a *addedValues) credential(i int) Credential {
	e := &a.ents[i]
	v := a.bytes[e.off:]
	c := Credential{Type: CredCard, Value: string(v[:e.vn]), Format: string(v[e.vn : e.vn+e.fn])}
	if e.pin {
		c.Type = CredPIN
	}
	return c
}
