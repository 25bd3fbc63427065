package access

import (
	"math/rand/v2"
	"testing"
)

// TestCredTableMatchesMap drives the table and a Go map with the same
// random sets and deletes (few distinct keys, so runs wrap and deletions
// shift) and compares them after every step.
func TestCredTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var tab credTable
	ref := map[uint64]credRec{}
	for step := range 20000 {
		k := uint64(1 + rng.IntN(300))
		if rng.IntN(3) == 0 {
			tab.del(k)
			delete(ref, k)
		} else {
			r := credRec{id: uint64(step)}
			tab.set(k, r)
			ref[k] = r
		}
		if tab.n != len(ref) {
			t.Fatalf("step %d: n = %d, want %d", step, tab.n, len(ref))
		}
		if step%97 == 0 {
			for k := uint64(1); k <= 300; k++ {
				got, ok := tab.get(k)
				want, wok := ref[k]
				if ok != wok || got != want {
					t.Fatalf("step %d key %d: got %v %v, want %v %v", step, k, got.id, ok, want.id, wok)
				}
			}
		}
	}
	if float64(tab.n) > maxLoad*float64(len(tab.slots)) {
		t.Errorf("load %d/%d above %v", tab.n, len(tab.slots), maxLoad)
	}
}
