package access

import (
	"math/rand/v2"
	"testing"
)

// TestDenseMatchesAMap drives dense with the ids a store hands out (runs
// of sequential ids, from 0 and from a fleet controller's n<<32), put in
// the order a parallel load delivers them (spans interleaved, a worker
// far ahead of another) and then changed live, deleting and re-putting,
// and compares every id with a map after every step. An id put beyond
// the slice's reach and later overtaken by the slice's growth must stay
// readable: a lost credential location would leave a deleted card in
// its table.
func TestDenseMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	rounds := 12
	if testing.Short() {
		rounds = 4 // under qemu
	}
	overflowed := 0 // rounds whose load sent ids to the map
	for round := range rounds {
		var m dense[uint32]
		ref := map[uint64]uint32{}
		check := func(id uint64, step string) {
			t.Helper()
			v, ok := m.get(id)
			want, wok := ref[id]
			if v != want || ok != wok {
				t.Fatalf("round %d, %s: get(%#x) = %d, %v; want %d, %v", round, step, id, v, ok, want, wok)
			}
		}
		// Runs of ids: range 0 and a few controllers' ranges.
		var ids []uint64
		for r := range 1 + rng.IntN(4) {
			base := uint64(0)
			if r > 0 || rng.IntN(2) == 0 {
				base = uint64(1+rng.IntN(300)) << 32
			}
			n := 1 + rng.IntN(150000)
			for i := 1; i <= n; i++ {
				ids = append(ids, base+uint64(i))
			}
		}
		// Delivered in spans of 8192 by up to 16 workers: a span handed
		// out late may come after many later ones.
		const span = 8192
		var spans [][]uint64
		for i := 0; i < len(ids); i += span {
			spans = append(spans, ids[i:min(i+span, len(ids))])
		}
		for i := range spans {
			j := min(len(spans)-1, i+rng.IntN(16))
			spans[i], spans[j] = spans[j], spans[i]
		}
		for _, s := range spans {
			for _, id := range s {
				v := uint32(1 + rng.IntN(1<<30))
				m.put(id, v)
				ref[id] = v
			}
		}
		for _, id := range ids {
			check(id, "after the load")
		}
		if len(m.over) > 0 {
			overflowed++
		}
		// Live: deletes, updates, new ids at each run's end.
		for range 20000 {
			id := ids[rng.IntN(len(ids))]
			switch rng.IntN(3) {
			case 0:
				m.del(id)
				delete(ref, id)
			case 1:
				v := uint32(1 + rng.IntN(1<<30))
				m.put(id, v)
				ref[id] = v
			default:
				id++
				v := uint32(1 + rng.IntN(1<<30))
				m.put(id, v)
				ref[id] = v
				ids = append(ids, id)
			}
			check(id, "live")
		}
		for id := range ref {
			check(id, "at the end")
		}
		check(1<<40+5, "an id never put")
	}
	if overflowed == 0 {
		t.Error("no load sent an id to the map: the test no longer checks an id the slice overtakes")
	}
}

// TestDenseGivesEachControllerARun: the ids of fleet controllers
// (n<<32 + 1, 2, ...) put in order live in slices, one per controller,
// not in the map (at a million people that map took ~40 bytes an id
// where a slice takes the value's size).
func TestDenseGivesEachControllerARun(t *testing.T) {
	var m dense[credLoc]
	for _, n := range []uint64{7, 1, 300} {
		for i := uint64(1); i <= 100000; i++ {
			m.put(n<<32+i, credLoc{kp: 1})
		}
	}
	if len(m.over) != 0 || len(m.hi) != 3 {
		t.Fatalf("%d ids in the map, %d runs; want 0 and 3", len(m.over), len(m.hi))
	}
	for i, n := range []uint32{1, 7, 300} {
		if m.hi[i].n != n || len(m.hi[i].d) != 100001 {
			t.Errorf("run %d: controller %d with %d slots; want %d with 100001", i, m.hi[i].n, len(m.hi[i].d), n)
		}
	}
	if _, ok := m.get(7<<32 + 100001); ok {
		t.Error("an id past a run's end was found")
	}
}
