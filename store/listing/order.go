package listing

import "slices"

// order keeps a table's live slots sorted by one key (ties by id): a list
// of sorted blocks of at most blockMax slots. It is an order-statistics
// structure small enough for a board: 4 bytes a slot (about 5 with the
// blocks' spare room), O(log n + blockMax) to insert or remove, O(n /
// blockMax) to find the slot at a rank (a walk of the block lengths:
// about 2,000 additions at a million).
type order struct {
	cmp    func(a, b int32) int // the table's key comparison, ties by id
	blocks [][]int32
	n      int
}

// blockMax bounds a block; a full block splits in two halves. 512 keeps
// an insert's memmove at ≤ 2 KB and the rank walk at n/512 steps. (A
// variable so that tests split blocks at small sizes.)
var blockMax = 512

func newOrder(cmp func(a, b int32) int) *order { return &order{cmp: cmp} }

// build replaces the order's contents with slots (any order; sorted here).
func (o *order) build(slots []int32) {
	slices.SortFunc(slots, o.cmp)
	o.blocks = o.blocks[:0]
	o.n = len(slots)
	fill := max(1, blockMax*15/16) // a little room for inserts before a split
	for len(slots) > 0 {
		k := min(fill, len(slots))
		o.blocks = append(o.blocks, slices.Clone(slots[:k]))
		slots = slots[k:]
	}
}

// block returns the index of the first block whose last slot is not
// before s (cmp ≥ 0), or len(blocks).
func (o *order) block(s int32) int {
	bi, _ := slices.BinarySearchFunc(o.blocks, s, func(b []int32, s int32) int { return o.cmp(b[len(b)-1], s) })
	return bi
}

func (o *order) insert(s int32) {
	o.n++
	if len(o.blocks) == 0 {
		o.blocks = append(o.blocks, []int32{s})
		return
	}
	bi := o.block(s)
	if bi == len(o.blocks) {
		bi-- // after every slot: the last block
	}
	b := o.blocks[bi]
	i, _ := slices.BinarySearchFunc(b, s, o.cmp)
	b = slices.Insert(b, i, s)
	if len(b) <= blockMax {
		o.blocks[bi] = b
		return
	}
	half := len(b) / 2
	hi := slices.Clone(b[half:])
	o.blocks[bi] = slices.Clip(b[:half])
	o.blocks = slices.Insert(o.blocks, bi+1, hi)
}

// remove takes s out; the table's columns must still hold the key s was
// inserted with. It reports whether s was there.
func (o *order) remove(s int32) bool {
	bi := o.block(s)
	if bi == len(o.blocks) {
		return false
	}
	b := o.blocks[bi]
	i, found := slices.BinarySearchFunc(b, s, o.cmp)
	if !found || b[i] != s {
		return false
	}
	o.n--
	if len(b) == 1 {
		o.blocks = slices.Delete(o.blocks, bi, bi+1)
		return true
	}
	o.blocks[bi] = slices.Delete(b, i, i+1)
	return true
}

// search returns the rank of the first slot for which ge is true; ge
// must be false for a prefix of the order and true after it.
func (o *order) search(ge func(s int32) bool) int {
	bi, _ := slices.BinarySearchFunc(o.blocks, true, func(b []int32, _ bool) int {
		if ge(b[len(b)-1]) {
			return 1
		}
		return -1
	})
	rank := 0
	for _, b := range o.blocks[:bi] {
		rank += len(b)
	}
	if bi == len(o.blocks) {
		return rank
	}
	b := o.blocks[bi]
	i, _ := slices.BinarySearchFunc(b, true, func(s int32, _ bool) int {
		if ge(s) {
			return 1
		}
		return -1
	})
	return rank + i
}

// find returns the slot that cmp (a probe: <0 before, 0 at, >0 after the
// wanted key) finds, if any.
func (o *order) find(probe func(s int32) int) (int32, bool) {
	bi, _ := slices.BinarySearchFunc(o.blocks, 0, func(b []int32, _ int) int { return probe(b[len(b)-1]) })
	if bi == len(o.blocks) {
		return 0, false
	}
	b := o.blocks[bi]
	i, found := slices.BinarySearchFunc(b, 0, func(s int32, _ int) int { return probe(s) })
	if !found {
		return 0, false
	}
	return b[i], true
}

// walk calls fn with the slots of ranks [from, to) in order (desc: ranks
// counted from the end, largest key first) until fn returns false.
func (o *order) walk(from, to int, desc bool, fn func(s int32) bool) {
	if from >= to {
		return
	}
	if desc {
		// rank r from the end is ascending rank n-1-r.
		from, to = o.n-to, o.n-from
	}
	// Find the block holding ascending rank from (or to-1 for desc).
	start := from
	if desc {
		start = to - 1
	}
	bi, off := 0, start
	for bi < len(o.blocks) && off >= len(o.blocks[bi]) {
		off -= len(o.blocks[bi])
		bi++
	}
	left := to - from
	if !desc {
		for ; bi < len(o.blocks) && left > 0; bi, off = bi+1, 0 {
			for _, s := range o.blocks[bi][off:] {
				if left == 0 || !fn(s) {
					return
				}
				left--
			}
		}
		return
	}
	for ; bi >= 0 && left > 0; bi-- {
		b := o.blocks[bi]
		if off < 0 {
			off = len(b) - 1
		}
		for i := off; i >= 0; i-- {
			if left == 0 || !fn(b[i]) {
				return
			}
			left--
		}
		off = -1
	}
}

// bytes is the order's memory.
func (o *order) bytes() int {
	n := cap(o.blocks) * 24
	for _, b := range o.blocks {
		n += cap(b) * 4
	}
	return n
}
