package fleet

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// slowLoader joins a controller whose OpTimeout is opTimeout and whose
// loads stage chunks of 50 records (seed's 300 users and 300 cards: 12
// chunks), calling *chunk (when set) after each.
func slowLoader(t *testing.T, n *natsServer, name string, opTimeout time.Duration, chunk *atomic.Pointer[func()]) *member {
	return joinHooked(t, n, name, storetest.Open(t), func(m *member) {
		m.f.opt.OpTimeout = opTimeout
		m.f.coldChunk = 50
		m.f.onColdChunk = func(int) {
			if fn := chunk.Load(); fn != nil {
				(*fn)()
			}
		}
	})
}

// A large replace whose load on the controller that made it takes
// longer than OpTimeout, but moves (each chunk staged well within it: a
// slow disk, or a million people), is answered once that controller
// holds the new list, not 503: the wait's deadline moves with each
// chunk the load stages.
func TestLargeReplaceWaitsForItsLoadWhileItMoves(t *testing.T) {
	t.Parallel() // its load sleeps on purpose

	// A chunk sleeps a quarter of it: 3 s of slack for staging 50
	// records under qemu at load. OpTimeout also bounds the seed's
	// imports (150 people each) before the load: at 2 s one of them timed
	// out under qemu for GOARM 6, niced beside make test's other chain.
	const opTimeout = 4 * time.Second
	n := startNATS(t)
	var chunk atomic.Pointer[func()]
	a := slowLoader(t, n, "a", opTimeout, &chunk)
	seed(t, a)
	var chunks atomic.Int64 // the hook runs on a's watch goroutine
	chunk.Store(new(func() {
		chunks.Add(1)
		time.Sleep(opTimeout / 4) // the scenario: a slow load (12 chunks: 3 OpTimeouts), not a wait for something
	}))
	sum, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	chunk.Store(nil)
	if err != nil {
		t.Fatalf("a replace that happened, loaded in %d chunks, answered %v", chunks.Load(), err)
	}
	if !sum.Written || sum.Loading || sum.Added != 150 || sum.Removed != 150 {
		t.Errorf("summary %+v", sum)
	}
	if c := chunks.Load(); time.Duration(c)*opTimeout/4 < 2*opTimeout {
		t.Errorf("the load took %d chunks: not longer than OpTimeout, the test proves nothing", c)
	}
	if !isList(t, a.st, 150, 450) {
		t.Error("the import returned before a held the new list")
	}
}

// A large replace whose load here does not move within OpTimeout is
// still answered as what it is, a replace that happened: no error, the
// summary says written and that this controller is still loading the
// list; the others have it, and so does this one once its load goes on.
func TestLargeReplaceAnsweredBeforeItsLoadIsNotAnError(t *testing.T) {
	t.Parallel() // waits for OpTimeout on purpose
	n := startNATS(t)
	var chunk atomic.Pointer[func()]
	// OpTimeout also bounds the seed's and the import's own writes of
	// 150 and 300 records, which took more than 1 s with the race
	// detector beside the other parallel tests and make test's other
	// chain, and more than 2 s under qemu there: 4 s leaves room.
	a := slowLoader(t, n, "a", 4*time.Second, &chunk)
	b := join(t, n, "b")
	seed(t, a, b)
	release := make(chan struct{})
	stalled := false
	chunk.Store(new(func() {
		if !stalled { // the first chunk stalls until the import has answered
			stalled = true
			<-release
		}
	}))
	sum, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	close(release)
	if err != nil {
		t.Fatalf("a replace that happened answered %v", err)
	}
	if !sum.Written || !sum.Loading || sum.Added != 150 || sum.Removed != 150 {
		t.Errorf("summary %+v, want written and loading", sum)
	}
	b.waitFor("the new list on b", func() bool { return isList(t, b.st, 150, 450) })
	a.waitFor("the new list on a once its load goes on", func() bool { return isList(t, a.st, 150, 450) })
}
