package fleet

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/nats-io/nats.go"
)

// After an outage long enough for six reconnect delays, a controller is
// live again (and takes writes) about a second after the server is back:
// the delay between attempts is capped at a second, not doubled towards
// half a minute. The outage is measured in the client's own reconnect
// attempts (a channel), not in sleeps.
func TestRecoversWithinASecondOfTheServerReturning(t *testing.T) {
	t.Parallel() // waits out an outage (OpTimeout, six reconnect delays)
	n := startNATS(t)
	delays := make(chan time.Duration, 64)
	var calls atomic.Int64
	watch := nats.CustomReconnectDelay(func(attempts int) time.Duration {
		d := reconnectDelay(attempts)
		calls.Add(1)
		select {
		case delays <- d:
		default:
		}
		return d
	})
	a := joinWith(t, n, "a", storetest.Open(t), watch)
	n.stop()
	a.waitFor("offline", func() bool { return a.f.live() == nil })
	for i := range 6 { // a dead server is tried at most about once a second
		select {
		case d := <-delays:
			if d > time.Second || d < 50*time.Millisecond {
				t.Errorf("reconnect delay %d is %v, want between 50 ms and 1 s", i+1, d)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d reconnect attempts in 30 s", i)
		}
	}
	n.start()
	back := time.Now()
	a.waitLive()
	took := time.Since(back)
	t.Logf("live again %v after the server was back (after %d reconnect delays)", took.Round(time.Millisecond), calls.Load())
	if took > 4*time.Second { // ~1 s, with room for a loaded machine; the old backoff waited 8 s here
		t.Errorf("live again only %v after the server came back, want about a second", took)
	}
	u := store.User{Name: "Back"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatalf("a write once the server is back: %v", err)
	}
}

// The reconnect delay grows from 100 ms to a cap of one second, and is
// jittered (between half and all of it) so that a fleet whose server
// returns does not reconnect in one wave.
func TestReconnectDelayIsCappedAndJittered(t *testing.T) {
	seen := map[time.Duration]bool{}
	for attempts := 1; attempts <= 40; attempts++ {
		top := min(100*time.Millisecond<<min(attempts-1, 10), time.Second)
		for range 50 {
			d := reconnectDelay(attempts)
			if d < top/2 || d > top {
				t.Fatalf("attempt %d: delay %v, want within [%v, %v]", attempts, d, top/2, top)
			}
			if attempts > 10 {
				seen[d] = true
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("capped delays take only %d values: not jittered", len(seen))
	}
}
