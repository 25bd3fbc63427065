package main

import "github.com/doord/doord/store"

// engineFeed is the store as the access engine's feed, with the doors
// told after the engine applied a time profile change or reloaded: doors
// with an unlock schedule read it from the engine, so they must look
// again only once the engine holds the new profile. Riding on the
// engine's own feed goroutine gives that order; a subscriber of its own
// would run concurrently with the engine's (store/feed.go).
type engineFeed struct {
	*store.Store
	reschedule func()
}

func (f engineFeed) Follow(name string, fl store.Follower) (cancel func(), err error) {
	return f.Store.Follow(name, rescheduling{fl, f.reschedule})
}

type rescheduling struct {
	store.Follower
	reschedule func()
}

func (r rescheduling) Sync() (uint64, error) {
	seq, err := r.Follower.Sync()
	if err == nil {
		r.reschedule() // a reload may have changed any profile
	}
	return seq, err
}

func (r rescheduling) Apply(cs []store.Change) {
	r.Follower.Apply(cs)
	for _, c := range cs {
		if c.Kind == store.KindTimeProfile {
			r.reschedule()
			return
		}
	}
}

// reschedule has the doors read their unlock schedules again (once the
// door runtime runs; before that, New reads them).
func (d *daemon) reschedule() {
	if rt := d.resched.Load(); rt != nil {
		rt.Reschedule()
	}
}
