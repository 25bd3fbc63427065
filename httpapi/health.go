package httpapi

import "time"

// health is GET /api/v1/health, the one route without a token: load
// balancers and installers probe it. It says whether the store answers and
// nothing an attacker could use, from values kept in memory (the store's
// sequence number, the start time) and one O(1) read (store.Ping): anyone
// may call it, so it must cost nothing whatever the size of the store.
// Record counts, which walk the store, are at GET /api/v1/status.
func (s *Server) health(r *request) error {
	err := s.st.Ping()
	// A damaged page fails the requests that read it, not the controller:
	// the doors decide from memory, so health stays 200 and says why it
	// is degraded.
	if reason, bad := s.st.Degraded(); bad {
		body := s.healthBody()
		body["status"], body["reason"] = "degraded", "store damaged: "+reason
		return writeJSON(r.ctx, 200, body)
	}
	if err != nil {
		s.log.Error("health: store unavailable", "err", err)
		return errStatus(503, "the store is not available")
	}
	return writeJSON(r.ctx, 200, s.healthBody())
}

func (s *Server) healthBody() map[string]any {
	return map[string]any{
		"status":    "ok",
		"version":   s.cfg.Version,
		"store_seq": s.st.Seq(),
		"uptime_s":  int64(s.now().Sub(s.started) / time.Second),
	}
}

// status is GET /api/v1/status: health plus the store's record counts and
// file size (store.Stats walks every page of the record buckets: behind a
// token, so an anonymous flood cannot make it run).
func (s *Server) status(r *request) error {
	st, err := s.st.Stats()
	if err != nil {
		s.log.Error("status: store unavailable", "err", err)
		return errStatus(503, "the store is not available")
	}
	body := s.healthBody()
	body["store"] = st
	return writeJSON(r.ctx, 200, body)
}
