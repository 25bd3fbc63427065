package listing

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// model is the obvious implementation the table must agree with: every
// row in a map, a page by filtering and sorting all of them.
type model map[uint64]Row

func (m model) page(q Query, sortText int, match func(id uint64, r Row) bool) Page {
	var ids []uint64
	for id, r := range m {
		if match(id, r) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b uint64) int {
		c := 0
		if sortText >= 0 {
			c = strings.Compare(fold(m[a].Texts[sortText]), fold(m[b].Texts[sortText]))
		}
		if c == 0 {
			c = cmp.Compare(a, b)
		}
		if q.Desc {
			return -c
		}
		return c
	})
	out := Page{Total: len(ids)}
	if q.Offset < len(ids) {
		out.IDs = ids[q.Offset:min(len(ids), q.Offset+q.Limit)]
	}
	return out
}

var testSchema = Schema{Texts: []TextCol{{Name: "name", Sorted: true, Common: "Sherlock"}, {Name: "info", Sorted: true}, {Name: "free", Common: "x"}}, Ints: 1, Smalls: 1}

var words = []string{"Anna", "anna", "Bob", "Ölaf", "ölaf", "Zoë", "", "x", "Sherlock Holmes", "sherlock", "a\x00b", "ÉCOLE", "école"}

func randRow(rng *rand.Rand) Row {
	return Row{
		Texts:  []string{words[rng.IntN(len(words))], words[rng.IntN(len(words))] + fmt.Sprint(rng.IntN(3)), words[rng.IntN(len(words))]},
		Ints:   []int64{int64(rng.IntN(5)) - 2},
		Smalls: []uint8{uint8(rng.IntN(3))},
	}
}

// TestTableMatchesModel puts, replaces and deletes rows at random
// (enough to split and empty blocks and to compact the text buffers) and
// checks every kind of page against the model after each round. -short
// runs 4 rounds instead of 12: the blocks split, empty and the buffers
// compact in the first rounds already (smallBlocks); the later rounds
// repeat that at other sizes, which the full run (amd64, -race) keeps.
func TestTableMatchesModel(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	smallBlocks(t)
	rng := rand.New(rand.NewPCG(1, 2))
	tb := NewTable(testSchema)
	m := model{}
	type filt struct {
		name  string
		pred  Pred
		match func(id uint64, r Row) bool
	}
	low := fold
	filters := []filt{
		{"none", nil, func(uint64, Row) bool { return true }},
		{"name eq anna", Cmp{Col: Text(0), Op: Eq, Text: "ANNA"}, func(_ uint64, r Row) bool { return low(r.Texts[0]) == "anna" }},
		{"name nq anna", Cmp{Col: Text(0), Op: Nq, Text: "anna"}, func(_ uint64, r Row) bool { return low(r.Texts[0]) != "anna" }},
		{"name gt bob", Cmp{Col: Text(0), Op: Gt, Text: "bob"}, func(_ uint64, r Row) bool { return low(r.Texts[0]) > "bob" }},
		{"name le ölaf", Cmp{Col: Text(0), Op: Le, Text: "Ölaf"}, func(_ uint64, r Row) bool { return low(r.Texts[0]) <= "ölaf" }},
		{"free eq école (unsorted)", Cmp{Col: Text(2), Op: Eq, Text: "École"}, func(_ uint64, r Row) bool { return low(r.Texts[2]) == "école" }},
		{"free lt c (unsorted)", Cmp{Col: Text(2), Op: Lt, Text: "c"}, func(_ uint64, r Row) bool { return low(r.Texts[2]) < "c" }},
		{"id ge 300", Cmp{Col: ID, Op: Ge, Num: 300}, func(id uint64, _ Row) bool { return id >= 300 }},
		{"id gt -1", Cmp{Col: ID, Op: Gt, Num: -1}, func(uint64, Row) bool { return true }},
		{"id eq -1", Cmp{Col: ID, Op: Eq, Num: -1}, func(uint64, Row) bool { return false }},
		{"int lt 0", Cmp{Col: Int(0), Op: Lt}, func(_ uint64, r Row) bool { return r.Ints[0] < 0 }},
		{"small eq 1", Cmp{Col: Small(0), Op: Eq, Num: 1}, func(_ uint64, r Row) bool { return r.Smalls[0] == 1 }},
		{"contains lock", Contains{Cols: []Col{Text(0), Text(1)}, Sub: "LOCK"}, func(_ uint64, r Row) bool {
			return strings.Contains(low(r.Texts[0]), "lock") || strings.Contains(low(r.Texts[1]), "lock")
		}},
		{"contains nul", Contains{Cols: []Col{Text(0)}, Sub: "a\x00"}, func(_ uint64, r Row) bool { return strings.Contains(low(r.Texts[0]), low("a\x00")) }},
		{"contains erl (common)", Contains{Cols: []Col{Text(0)}, Sub: "ERL"}, func(_ uint64, r Row) bool { return strings.Contains(low(r.Texts[0]), "erl") }},
		{"free eq x (common)", Cmp{Col: Text(2), Op: Eq, Text: "X"}, func(_ uint64, r Row) bool { return low(r.Texts[2]) == "x" }},
		{"contains empty", Contains{Cols: []Col{Text(2)}, Sub: ""}, func(uint64, Row) bool { return true }},
		{"contains not utf-8", Contains{Cols: []Col{Text(0)}, Sub: "\x80"}, func(_ uint64, r Row) bool { return strings.Contains(low(r.Texts[0]), "\x80") }},
		{"and/or/not", Or{And{Cmp{Col: Small(0), Op: Eq, Num: 2}, Not{Cmp{Col: Text(0), Op: Eq, Text: "bob"}}}, Cmp{Col: ID, Op: Lt, Num: 10}},
			func(id uint64, r Row) bool { return r.Smalls[0] == 2 && low(r.Texts[0]) != "bob" || id < 10 }},
		{"small one of 0, 2", OneOf{Col: Small(0), Nums: []int64{0, 2}}, func(_ uint64, r Row) bool { return r.Smalls[0] != 1 }},
		{"id one of 5, 77", OneOf{Col: ID, Nums: []int64{5, 77, -3}}, func(id uint64, _ Row) bool { return id == 5 || id == 77 }},
		{"func", Func(func(v RowView) bool { return v.ID()%3 == 0 }), func(id uint64, _ Row) bool { return id%3 == 0 }},
	}
	for round := range rounds {
		for range 400 {
			id := uint64(1 + rng.IntN(600))
			if rng.IntN(4) == 0 {
				tb.Delete(id)
				delete(m, id)
				continue
			}
			r := randRow(rng)
			tb.Put(id, r)
			m[id] = r
		}
		if tb.Len() != len(m) {
			t.Fatalf("round %d: Len %d, want %d", round, tb.Len(), len(m))
		}
		for _, f := range filters {
			for _, sort := range []int{-1, 0, 1} {
				for _, desc := range []bool{false, true} {
					for _, win := range [][2]int{{0, 10}, {7, 25}, {0, 1000}, {len(m) - 3, 10}, {len(m) + 5, 10}} {
						q := Query{Sort: ID, Desc: desc, Offset: win[0], Limit: win[1], Where: f.pred}
						if sort >= 0 {
							q.Sort = Text(sort)
						}
						got := tb.Page(q)
						want := m.page(q, sort, f.match)
						if got.Total != want.Total || !slices.Equal(got.IDs, want.IDs) {
							t.Fatalf("round %d, %s, sort %d desc %v window %v:\n got %d %v\nwant %d %v",
								round, f.name, sort, desc, win, got.Total, got.IDs, want.Total, want.IDs)
						}
					}
				}
			}
		}
		// An unindexed sort (SortKey) agrees with the indexed one.
		q := Query{Sort: Text(1), Desc: round%2 == 1, Offset: 3, Limit: 20, Where: filters[3].pred}
		byFunc := q
		byFunc.SortKey = func(r RowView, buf []byte) []byte { return append(buf, r.Text(1)...) }
		if a, b := tb.Page(q), tb.Page(byFunc); a.Total != b.Total || !slices.Equal(a.IDs, b.IDs) {
			t.Fatalf("round %d: SortKey page %v, order page %v", round, b, a)
		}
	}
}

// TestTableLoadMatchesPuts: a table built at once (Load, as a Sync does)
// pages as one built row by row.
func TestTableLoadMatchesPuts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ids []uint64
	var rows []Row
	a := NewTable(testSchema)
	for i := range 3000 {
		id := uint64(i*7 + 1)
		r := randRow(rng)
		ids, rows = append(ids, id), append(rows, r)
		a.Put(id, r)
	}
	b := NewTable(testSchema)
	b.Load(ids, func(i int) Row { return rows[i] })
	for _, q := range []Query{
		{Sort: ID, Offset: 1200, Limit: 50},
		{Sort: Text(0), Desc: true, Offset: 10, Limit: 50},
		{Sort: Text(1), Offset: 2990, Limit: 50, Where: Contains{Cols: []Col{Text(0)}, Sub: "an"}},
	} {
		if x, y := a.Page(q), b.Page(q); x.Total != y.Total || !slices.Equal(x.IDs, y.IDs) {
			t.Fatalf("%+v: puts %v, load %v", q, x, y)
		}
	}
}

// smallBlocks makes blocks split and buffers compact at test sizes.
func smallBlocks(t *testing.T) {
	b, c := blockMax, compactMin
	blockMax, compactMin = 8, 256
	t.Cleanup(func() { blockMax, compactMin = b, c })
}
