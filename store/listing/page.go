package listing

import (
	"bytes"
	"cmp"
	"slices"
)

// Query asks for one page of a table's rows.
type Query struct {
	// Sort is ID or a sorted text column; SortKey, when set, sorts by a
	// key the table has no order for instead: it appends row r's key to
	// buf and returns it; every match's key is made once and the matches
	// sorted (O(m log m) for m matches — the one unindexed path).
	Sort    Col
	SortKey func(r RowView, buf []byte) []byte
	Desc    bool // largest first; ties also by id descending
	Offset  int  // rows to skip
	Limit   int  // rows to return
	Where   Pred // nil: every row
}

// Page is a Query's answer: the ids of the page's rows in order and the
// number of rows that match (exact).
type Page struct {
	IDs   []uint64
	Total int
}

// Page answers q. Without a filter a page costs O(n/blockMax + Limit);
// with one, the filter's cost (see Pred) plus a walk of the sort order
// up to the page's last row, testing one bit a row.
func (t *Table) Page(q Query) Page {
	if q.Limit < 0 {
		q.Limit = 0
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	q.Limit = min(q.Limit, t.live) // no overflow in Offset+Limit below
	if q.SortKey != nil {
		return t.sortedPage(q)
	}
	o := t.byID
	if q.Sort.kind == colText {
		if o = t.texts[q.Sort.i].ord; o == nil {
			panic("listing: sort by a text column without an order")
		}
	}
	var out Page
	if _, all := q.Where.(All); q.Where == nil || all {
		out.Total = t.live
		if q.Offset < t.live {
			o.walk(q.Offset, min(t.live, q.Offset+q.Limit), q.Desc, func(s int32) bool {
				out.IDs = append(out.IDs, t.ids[s])
				return true
			})
		}
		return out
	}
	b := t.eval(q.Where)
	out.Total = b.count()
	if q.Offset >= out.Total || q.Limit == 0 {
		return out
	}
	seen := 0
	o.walk(0, o.n, q.Desc, func(s int32) bool {
		if !b.has(s) {
			return true
		}
		if seen >= q.Offset {
			out.IDs = append(out.IDs, t.ids[s])
		}
		seen++
		return len(out.IDs) < q.Limit
	})
	return out
}

// sortedPage is the unindexed sort: collect every match and its key
// (all keys in one buffer), sort, slice.
func (t *Table) sortedPage(q Query) Page {
	var b bitmap
	if q.Where != nil {
		b = t.eval(q.Where)
	}
	type keyed struct {
		s      int32
		off, n uint32
	}
	var rows []keyed
	var buf []byte
	for s, id := range t.ids {
		if id == 0 || b != nil && !b.has(int32(s)) {
			continue
		}
		off := len(buf)
		buf = q.SortKey(RowView{t, int32(s)}, buf)
		rows = append(rows, keyed{int32(s), uint32(off), uint32(len(buf) - off)})
	}
	slices.SortFunc(rows, func(a, b keyed) int {
		c := bytes.Compare(buf[a.off:a.off+a.n], buf[b.off:b.off+b.n])
		if c == 0 {
			c = cmp.Compare(t.ids[a.s], t.ids[b.s])
		}
		if q.Desc {
			return -c
		}
		return c
	})
	out := Page{Total: len(rows)}
	if q.Offset < len(rows) {
		for _, r := range rows[q.Offset:min(len(rows), q.Offset+q.Limit)] {
			out.IDs = append(out.IDs, t.ids[r.s])
		}
	}
	return out
}
