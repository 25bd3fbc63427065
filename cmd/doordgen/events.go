package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/doord/doord/store"
)

// genEvents appends n door events to the store's event log (a ring of at
// least n), as the doors would log them: nine in ten a granted card of a
// random user (uuid and uid, door, reader, masked card), the rest an
// unknown card denied. It is how BENCHMARKS.md measures the file of 1M
// users, 2M credentials and 1M events against 32-bit ARM's map.
func genEvents(s *store.Store, n, nUsers int, seed uint64) error {
	if n == 0 {
		return nil
	}
	l, err := store.OpenEventLog(s, store.EventOptions{Capacity: max(n, store.DefaultEventCapacity), QueueSize: 1 << 16})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0xe7e7))
	start := time.Now()
	at := start.Add(-time.Duration(n) * time.Second) // one a second, ending now
	for i := range n {
		ev := store.Event{
			At:   at.Add(time.Duration(i) * time.Second),
			Door: "door" + strconv.Itoa(rng.IntN(16)), Reader: "r" + strconv.Itoa(rng.IntN(32)),
			CredentialType: string(store.CredCard),
		}
		card := strconv.Itoa(65537 + rng.IntN(max(nUsers, 1)*2))
		if nUsers > 0 && rng.IntN(10) != 0 {
			u, err := s.GetUserByUID(uint64(1 + rng.IntN(nUsers)))
			if err != nil {
				return err
			}
			ev.Type, ev.UserID, ev.UserUID = store.EventAccessGranted, u.ID, u.UID
		} else {
			ev.Type, ev.Reason = store.EventAccessDenied, "unknown_credential"
		}
		ev.Credential = store.MaskCredential(ev.CredentialType, card)
		l.Append(ev)
		if i%(1<<15) == 0 {
			l.Flush()
		}
	}
	l.Flush()
	st := l.Stats()
	if err := l.Close(); err != nil {
		return err
	}
	if st.Dropped > 0 {
		return fmt.Errorf("events: %d dropped", st.Dropped)
	}
	fmt.Fprintf(os.Stderr, "%d events, %v\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
