package store

// Committed returns a channel that is closed once the next batch of
// events has been committed (and handed to subscribers), or the log is
// closed. A follower that reads the log itself (Query from its own
// position, as the fleet's event publisher does) waits on it instead of
// subscribing: it cannot fall behind a channel, so the log never drops it
// and never counts it slow. Take the channel before the Query that
// finds nothing new, so that a commit between the two is not missed.
func (l *EventLog) Committed() <-chan struct{} {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	if l.isClosed.Load() {
		c := make(chan struct{})
		close(c)
		return c
	}
	if l.committed == nil {
		l.committed = make(chan struct{})
	}
	return l.committed
}

// wakeCommitted releases the Committed waiters.
func (l *EventLog) wakeCommitted() {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	if l.committed != nil {
		close(l.committed)
		l.committed = nil
	}
}
