package fleet

import (
	"math/rand/v2"
	"time"
)

// How fast a controller comes back after its NATS server does.
//
// The client tries every server of fleet.url in turn and, after each full
// pass, waits reconnectDelay(passes). The wait doubles from 100 ms and is
// capped at one second, so a controller is live again about a second
// after its server returns however long the outage was (a doubling
// towards 30 s left it ~8 s behind after a short outage, minutes after a
// long one). A dead server is not hammered for it: a refused connection
// costs the server nothing, one that does not answer at all holds each
// attempt for the dial timeout (5 s) anyway, and at the cap a fleet of a
// thousand controllers makes about 1,300 attempts a second, spread evenly
// by the jitter (each wait is uniform between half and all of its step),
// so a returning server does not take them in one wave.
const (
	reconnectFirst = 100 * time.Millisecond
	reconnectCap   = time.Second
)

// reconnectDelay is the wait after the attempts-th full pass over the
// servers without a connection.
func reconnectDelay(attempts int) time.Duration {
	return jitter(stepDelay(attempts))
}

// stepDelay is the un-jittered step: reconnectFirst doubling, capped.
func stepDelay(attempts int) time.Duration {
	d := reconnectFirst
	for i := 1; i < attempts && d < reconnectCap; i++ {
		d *= 2
	}
	return min(d, reconnectCap)
}

// jitter is uniform in [d/2, d].
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}
