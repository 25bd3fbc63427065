package listing

import (
	"bytes"
	"cmp"
	"math/bits"
	"strings"
)

// Col names a column of a table: the id, or a text, int or small column
// by its index in the Schema.
type Col struct {
	kind colKind
	i    int
}

type colKind uint8

const (
	colID colKind = iota
	colText
	colInt
	colSmall
)

// ID is the id column.
var ID = Col{kind: colID}

// Text is text column i.
func Text(i int) Col { return Col{kind: colText, i: i} }

// Int is int column i.
func Int(i int) Col { return Col{kind: colInt, i: i} }

// Small is small column i.
func Small(i int) Col { return Col{kind: colSmall, i: i} }

// Op is a comparison.
type Op uint8

const (
	Eq Op = iota
	Nq
	Gt
	Lt
	Ge
	Le
)

// Pred is a filter over a table's rows: Cmp, Contains, And, Or, Not,
// All, or Func. Evaluation works on sets of rows (bitmaps of slots), not
// row by row: a comparison on the id or on a sorted text column is a
// range of that column's order (O(log n) to find, then one bit a
// match); on an int or small column a scan of that column's array (one
// load a row); Contains is one substring search over the column's text
// buffer; Func alone calls code for every row.
type Pred interface{ isPred() }

// Cmp compares a column with a value: Text for text columns (compared
// lower-cased, as strings.ToLower makes them, byte by byte: the order of
// the code points), Num for the others (an id compares as a uint64 when
// Num ≥ 0; every id is greater than a negative Num).
type Cmp struct {
	Col  Col
	Op   Op
	Text string
	Num  int64
}

// Contains holds when any of Cols (text columns) contains Sub,
// case-insensitively (Sub "" holds for every row).
type Contains struct {
	Cols []Col
	Sub  string
}

// OneOf holds when an int or small column (or the id) is one of Nums:
// for coded columns whose values a filter compares by their names (a
// credential type, a lock), the caller turns the comparison into the
// codes that pass.
type OneOf struct {
	Col  Col
	Nums []int64
}

// And, Or, Not combine predicates.
type (
	And struct{ L, R Pred }
	Or  struct{ L, R Pred }
	Not struct{ X Pred }
	// All holds for every row.
	All struct{}
	// Func is tested on every row (a scan: about 20–50 ns a row, 20–100 ms
	// at a million): for what the columns cannot answer.
	Func func(RowView) bool
)

func (Cmp) isPred()      {}
func (Contains) isPred() {}
func (OneOf) isPred()    {}
func (And) isPred()      {}
func (Or) isPred()       {}
func (Not) isPred()      {}
func (All) isPred()      {}
func (Func) isPred()     {}

// RowView reads one row's columns during a Func or a scan.
type RowView struct {
	t *Table
	s int32
}

// ID is the row's id.
func (r RowView) ID() uint64 { return r.t.ids[r.s] }

// Text is text column i, lower-cased; valid only during the call.
func (r RowView) Text(i int) string { return r.t.texts[i].str(r.s) }

// Int is int column i.
func (r RowView) Int(i int) int64 { return r.t.ints[i][r.s] }

// Small is small column i.
func (r RowView) Small(i int) uint8 { return r.t.smalls[i][r.s] }

// bitmap is a set of slots.
type bitmap []uint64

func newBitmap(n int) bitmap      { return make(bitmap, (n+63)/64) }
func (b bitmap) set(s int32)      { b[s>>6] |= 1 << (uint(s) & 63) }
func (b bitmap) clear(s int32)    { b[s>>6] &^= 1 << (uint(s) & 63) }
func (b bitmap) has(s int32) bool { return b[s>>6]&(1<<(uint(s)&63)) != 0 }
func (b bitmap) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// liveSet is every live slot (a copy of the table's own set).
func (t *Table) liveSet() bitmap {
	b := newBitmap(len(t.ids))
	copy(b, t.alive)
	return b
}

// onlyLive drops the free slots from b.
func (t *Table) onlyLive(b bitmap) bitmap {
	for i := range b {
		b[i] &= t.alive[i]
	}
	return b
}

// eval returns the set of live rows p holds for.
func (t *Table) eval(p Pred) bitmap {
	switch p := p.(type) {
	case nil, All:
		return t.liveSet()
	case And:
		l, r := t.eval(p.L), t.eval(p.R)
		for i := range l {
			l[i] &= r[i]
		}
		return l
	case Or:
		l, r := t.eval(p.L), t.eval(p.R)
		for i := range l {
			l[i] |= r[i]
		}
		return l
	case Not:
		x, all := t.eval(p.X), t.liveSet()
		for i := range all {
			all[i] &^= x[i]
		}
		return all
	case Contains:
		b := newBitmap(len(t.ids))
		sub := fold(p.Sub)
		for _, c := range p.Cols {
			t.contains(b, &t.texts[c.i], sub)
		}
		return b
	case Func:
		b := newBitmap(len(t.ids))
		for s, id := range t.ids {
			if id != 0 && p(RowView{t, int32(s)}) {
				b.set(int32(s))
			}
		}
		return b
	case Cmp:
		return t.cmp(p)
	case OneOf:
		b := newBitmap(len(t.ids))
		switch p.Col.kind {
		case colSmall:
			var in [256]bool
			for _, n := range p.Nums {
				if n >= 0 && n < 256 {
					in[n] = true
				}
			}
			for s, v := range t.smalls[p.Col.i] {
				if in[v] {
					b.set(int32(s))
				}
			}
			return t.onlyLive(b)
		case colInt:
			for s, v := range t.ints[p.Col.i] {
				for _, n := range p.Nums {
					if v == n {
						b.set(int32(s))
						break
					}
				}
			}
			return t.onlyLive(b)
		}
		for _, n := range p.Nums {
			x := t.cmp(Cmp{Col: p.Col, Op: Eq, Num: n})
			for i := range b {
				b[i] |= x[i]
			}
		}
		return b
	}
	panic("listing: unknown predicate")
}

// contains adds to b every row whose text in c contains sub: one search
// over c's buffer (bytes.Index, vectorised on most CPUs) with each hit
// mapped to its row by the slot bytes after its text's end.
func (t *Table) contains(b bitmap, c *textCol, sub string) {
	if sub == "" {
		for s, id := range t.ids {
			if id != 0 {
				b.set(int32(s))
			}
		}
		return
	}
	if len(c.common) > 0 && strings.Contains(string(c.common), sub) {
		for s, n := range c.n {
			if n == shared && t.ids[s] != 0 {
				b.set(int32(s))
			}
		}
	}
	buf, needle := c.buf, []byte(sub)
	for p := 0; p < len(buf); {
		i := bytes.Index(buf[p:], needle)
		if i < 0 {
			return
		}
		hit := p + i
		z := bytes.IndexByte(buf[hit:], 0)
		if z < 0 {
			return
		}
		end := hit + z
		if end+frame > len(buf) {
			return
		}
		sb := buf[end+1 : end+frame]
		s := int32(sb[0]&0x3F)<<24 | int32(sb[1]&0x3F)<<18 | int32(sb[2]&0x3F)<<12 | int32(sb[3]&0x3F)<<6 | int32(sb[4]&0x3F)
		// The text must be s's current one (not a replaced one) and the
		// hit inside it (not in the slot bytes before it).
		p = end + frame
		if int(s) < len(t.ids) && t.ids[s] != 0 && c.n[s] > 0 && c.n[s] != shared && int(c.off[s])+int(c.n[s]) == end {
			if hit >= int(c.off[s]) {
				b.set(s)
			} else {
				p = hit + 1 // a needle that is not UTF-8 met slot bytes
			}
		}
	}
}

// cmp evaluates one comparison.
func (t *Table) cmp(p Cmp) bitmap {
	b := newBitmap(len(t.ids))
	switch p.Col.kind {
	case colID:
		t.rangeOf(b, t.byID, p.Op, func(s int32) int {
			if p.Num < 0 {
				return 1
			}
			return cmp.Compare(t.ids[s], uint64(p.Num))
		})
	case colText:
		c := &t.texts[p.Col.i]
		v := fold(p.Text)
		if c.ord != nil {
			t.rangeOf(b, c.ord, p.Op, func(s int32) int { return strings.Compare(c.str(s), v) })
			break
		}
		for s := range t.ids {
			if test(p.Op, strings.Compare(c.str(int32(s)), v)) {
				b.set(int32(s))
			}
		}
	case colInt:
		for s, v := range t.ints[p.Col.i] {
			if test(p.Op, cmp.Compare(v, p.Num)) {
				b.set(int32(s))
			}
		}
	case colSmall:
		for s, v := range t.smalls[p.Col.i] {
			if test(p.Op, cmp.Compare(int64(v), p.Num)) {
				b.set(int32(s))
			}
		}
	}
	return t.onlyLive(b)
}

func test(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Nq:
		return c != 0
	case Gt:
		return c > 0
	case Lt:
		return c < 0
	case Ge:
		return c >= 0
	}
	return c <= 0
}

// rangeOf sets the rows of o whose key compares with the value (key(s)
// vs value: probe) as op says: [lo, hi) ranks of the order, or its
// complement for Nq.
func (t *Table) rangeOf(b bitmap, o *order, op Op, probe func(s int32) int) {
	lb := o.search(func(s int32) bool { return probe(s) >= 0 }) // first ≥ v
	ub := o.search(func(s int32) bool { return probe(s) > 0 })  // first > v
	mark := func(from, to int) {
		o.walk(from, to, false, func(s int32) bool { b.set(s); return true })
	}
	switch op {
	case Eq:
		mark(lb, ub)
	case Nq:
		mark(0, lb)
		mark(ub, o.n)
	case Gt:
		mark(ub, o.n)
	case Ge:
		mark(lb, o.n)
	case Lt:
		mark(0, lb)
	case Le:
		mark(0, ub)
	}
}
