package httpapi

import "time"

// purgeSessions deletes the sessions that expired by now from the store
// and from the cache. An expired token is refused anyway; this keeps the
// store and the memory from holding them until someone presents them.
func (s *Server) purgeSessions(now time.Time) {
	n, err := s.st.PurgeExpiredSessions(now)
	if err != nil {
		s.log.Error("purging expired sessions", "err", err)
	} else if n > 0 {
		s.log.Debug("purged expired sessions", "n", n)
	}
	s.mu.Lock()
	for h, si := range s.sessions {
		if !now.Before(si.expires) {
			delete(s.sessions, h)
		}
	}
	s.mu.Unlock()
}

// sessionJanitor purges expired sessions every interval until stop closes.
func (s *Server) sessionJanitor(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.purgeSessions(s.now())
		}
	}
}
