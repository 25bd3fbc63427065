package listing

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// Schema is a table's columns besides the id: text columns (kept lower
// case, each with its own order when Sorted), 64-bit integers and small
// codes (one byte each: enums, booleans, lock numbers).
type Schema struct {
	Texts  []TextCol
	Ints   int
	Smalls int
}

// TextCol is one text column.
type TextCol struct {
	Name   string
	Sorted bool // keep an order on it (4 bytes a row)
	// Common is a text many rows share (a PIN's mask): rows with it
	// keep no copy of it.
	Common string
}

// Row is one item's column values, as Put takes them: Texts[i] for text
// column i (as written; the table lowers it), Ints, Smalls likewise.
type Row struct {
	Texts  []string
	Ints   []int64
	Smalls []uint8
}

// Table is one list's rows: columns indexed by slot (a dense int32 that
// a row keeps while it lives), an order by id and one per sorted text
// column. A Table is not safe for concurrent use: Index guards it.
//
// Memory per row: 8 (id) + 6 per text column (offset, length) + the
// lowered text and 6 bytes of framing + 8 per int + 1 per small + about
// 5 per order (the id order and each sorted text's).
type Table struct {
	schema Schema
	ids    []uint64 // slot → id; 0: a free slot
	alive  bitmap   // the slots in use (filters AND with it)
	free   []int32
	live   int
	texts  []textCol
	ints   [][]int64
	smalls [][]uint8
	byID   *order
}

// textCol is one text column: every row's lowered text in one buffer,
// each followed by a 0 byte and its slot in 5 continuation bytes
// (0x80|6 bits), so that a substring search runs over the whole buffer
// at once and maps each hit back to its row (see contains). A NUL in a
// text is stored as 0xFF (never a byte of UTF-8), in values compared with
// it too.
type textCol struct {
	common  []byte // lowered TextCol.Common; rows with it have n == shared
	buf     []byte
	off     []uint32 // slot → offset in buf
	n       []uint16 // slot → length (texts are clipped to 65,535 bytes)
	garbage int      // bytes of replaced texts still in buf
	ord     *order   // nil unless Sorted
}

const frame = 6 // 0 byte + 5 slot bytes

// shared is the length that marks a row whose text is the column's
// common text; texts are clipped below it.
const shared = 0xFFFF

// compactMin is the least garbage worth a compaction (a variable for
// tests).
var compactMin = 1 << 16

// NewTable makes an empty table.
func NewTable(s Schema) *Table {
	t := &Table{schema: s}
	t.texts = make([]textCol, len(s.Texts))
	t.ints = make([][]int64, s.Ints)
	t.smalls = make([][]uint8, s.Smalls)
	t.byID = newOrder(func(a, b int32) int { return cmp.Compare(t.ids[a], t.ids[b]) })
	for i := range t.texts {
		if cm := s.Texts[i].Common; cm != "" {
			t.texts[i].common = []byte(fold(cm))
		}
		if s.Texts[i].Sorted {
			c := &t.texts[i]
			t.texts[i].ord = newOrder(func(a, b int32) int {
				if r := bytes.Compare(c.bytes(a), c.bytes(b)); r != 0 {
					return r
				}
				return cmp.Compare(t.ids[a], t.ids[b])
			})
		}
	}
	return t
}

// Len is the number of rows.
func (t *Table) Len() int { return t.live }

func (c *textCol) bytes(s int32) []byte {
	if c.n[s] == shared {
		return c.common
	}
	o := c.off[s]
	return c.buf[o : o+uint32(c.n[s])]
}

// str is the lowered text of slot s without a copy: valid while the
// caller holds the Index's read lock (buf's bytes are never rewritten;
// a compaction makes a new buffer).
func (c *textCol) str(s int32) string {
	b := c.bytes(s)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// fold is how texts and the values compared with them are kept: lower
// case (strings.ToLower, as the lists always sorted), NUL as 0xFF.
func fold(s string) string {
	s = strings.ToLower(s)
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\xff")
	}
	if len(s) >= shared {
		s = s[:shared-1]
	}
	return s
}

func (c *textCol) set(s int32, text string) {
	c.clear(s)
	if text == "" {
		return
	}
	if len(c.common) > 0 && text == string(c.common) {
		c.n[s] = shared
		return
	}
	c.off[s], c.n[s] = uint32(len(c.buf)), uint16(len(text))
	c.buf = append(c.buf, text...)
	c.buf = append(c.buf, 0,
		0x80|byte(s>>24&0x3F), 0x80|byte(s>>18&0x3F), 0x80|byte(s>>12&0x3F), 0x80|byte(s>>6&0x3F), 0x80|byte(s&0x3F))
}

func (c *textCol) clear(s int32) {
	if n := c.n[s]; n > 0 && n != shared {
		c.garbage += int(n) + frame
	}
	c.off[s], c.n[s] = 0, 0
}

// compact rewrites buf without the replaced texts once they are more
// than half of it.
func (c *textCol) compactIfWasteful(ids []uint64) {
	if c.garbage < compactMin || c.garbage < len(c.buf)/2 {
		return
	}
	nb := make([]byte, 0, len(c.buf)-c.garbage+len(c.buf)/8)
	old := c.buf
	c.buf = nb
	for s := range ids {
		if ids[s] == 0 || c.n[s] == 0 || c.n[s] == shared {
			continue
		}
		o := c.off[s]
		c.set(int32(s), unsafe.String(&old[o], int(c.n[s])))
	}
	c.garbage = 0
}

// slotOf finds the slot that holds id.
func (t *Table) slotOf(id uint64) (int32, bool) {
	return t.byID.find(func(s int32) int { return cmp.Compare(t.ids[s], id) })
}

// Put adds or replaces the row with id (id > 0).
func (t *Table) Put(id uint64, r Row) {
	s, ok := t.slotOf(id)
	if ok {
		t.unorder(s)
	} else {
		s = t.alloc(id)
		t.byID.insert(s)
		t.live++
	}
	for i := range t.texts {
		var v string
		if i < len(r.Texts) {
			v = fold(r.Texts[i])
		}
		t.texts[i].set(s, v)
	}
	for i := range t.ints {
		var v int64
		if i < len(r.Ints) {
			v = r.Ints[i]
		}
		t.ints[i][s] = v
	}
	for i := range t.smalls {
		var v uint8
		if i < len(r.Smalls) {
			v = r.Smalls[i]
		}
		t.smalls[i][s] = v
	}
	t.reorder(s)
	for i := range t.texts {
		t.texts[i].compactIfWasteful(t.ids)
	}
}

// Delete removes the row with id, if there is one.
func (t *Table) Delete(id uint64) {
	s, ok := t.slotOf(id)
	if !ok {
		return
	}
	t.unorder(s)
	t.byID.remove(s)
	for i := range t.texts {
		t.texts[i].clear(s)
	}
	t.ids[s] = 0
	t.alive.clear(s)
	t.free = append(t.free, s)
	t.live--
}

func (t *Table) unorder(s int32) {
	for i := range t.texts {
		if o := t.texts[i].ord; o != nil {
			o.remove(s)
		}
	}
}

func (t *Table) reorder(s int32) {
	for i := range t.texts {
		if o := t.texts[i].ord; o != nil {
			o.insert(s)
		}
	}
}

// alloc takes a slot for id: a freed one, or a new one at the end.
func (t *Table) alloc(id uint64) int32 {
	if n := len(t.free); n > 0 {
		s := t.free[n-1]
		t.free = t.free[:n-1]
		t.ids[s] = id
		t.alive.set(s)
		return s
	}
	s := int32(len(t.ids))
	t.ids = append(t.ids, id)
	if int(s)/64 >= len(t.alive) {
		t.alive = append(t.alive, 0)
	}
	t.alive.set(s)
	for i := range t.texts {
		t.texts[i].off = append(t.texts[i].off, 0)
		t.texts[i].n = append(t.texts[i].n, 0)
	}
	for i := range t.ints {
		t.ints[i] = append(t.ints[i], 0)
	}
	for i := range t.smalls {
		t.smalls[i] = append(t.smalls[i], 0)
	}
	return s
}

// add puts a row without ordering it, while a table is being loaded
// (see finish): the orders are then built by one sort each rather than
// by an insert a row. ids must be unique.
func (t *Table) add(id uint64, r Row) {
	s := t.alloc(id)
	for j := range t.texts {
		if j < len(r.Texts) {
			t.texts[j].set(s, fold(r.Texts[j]))
		}
	}
	for j := range t.ints {
		if j < len(r.Ints) {
			t.ints[j][s] = r.Ints[j]
		}
	}
	for j := range t.smalls {
		if j < len(r.Smalls) {
			t.smalls[j][s] = r.Smalls[j]
		}
	}
	t.live++
}

// finish builds the orders of a table filled by add.
func (t *Table) finish() { t.rebuildOrders() }

// Load fills an empty table with rows at once (ids unique and > 0).
func (t *Table) Load(ids []uint64, rows func(i int) Row) {
	for i, id := range ids {
		t.add(id, rows(i))
	}
	t.finish()
}

// rebuildOrders sorts every order afresh, each on a goroutine of its own
// (they only read the columns).
func (t *Table) rebuildOrders() {
	slots := make([]int32, 0, t.live)
	for s, id := range t.ids {
		if id != 0 {
			slots = append(slots, int32(s))
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { t.byID.build(slices.Clone(slots)) })
	for i := range t.texts {
		if o := t.texts[i].ord; o != nil {
			wg.Go(func() { o.build(slices.Clone(slots)) })
		}
	}
	wg.Wait()
}

// Bytes is the table's memory (its slices' capacities), for the docs'
// per-row figures and the metrics.
func (t *Table) Bytes() int {
	n := cap(t.ids)*8 + cap(t.alive)*8 + cap(t.free)*4 + t.byID.bytes()
	for i := range t.texts {
		c := &t.texts[i]
		n += cap(c.buf) + cap(c.off)*4 + cap(c.n)*2
		if c.ord != nil {
			n += c.ord.bytes()
		}
	}
	for i := range t.ints {
		n += cap(t.ints[i]) * 8
	}
	for i := range t.smalls {
		n += cap(t.smalls[i])
	}
	return n
}

// maxReserve caps reserve: its n is a bound (a bucket's sequence), which
// one far-out preset id can make huge; beyond the cap the columns grow
// as they fill.
const maxReserve = 1 << 22

// reserve makes room for n rows before a load.
func (t *Table) reserve(n int) {
	n = min(max(n, 0), maxReserve)
	t.ids = slices.Grow(t.ids, n)
	for i := range t.texts {
		t.texts[i].off = slices.Grow(t.texts[i].off, n)
		t.texts[i].n = slices.Grow(t.texts[i].n, n)
	}
	for i := range t.ints {
		t.ints[i] = slices.Grow(t.ints[i], n)
	}
	for i := range t.smalls {
		t.smalls[i] = slices.Grow(t.smalls[i], n)
	}
}
