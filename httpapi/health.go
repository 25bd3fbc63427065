package httpapi

import "time"

// health is GET /api/v1/health, the one route without a token: load
// balancers and installers probe it. It says whether the store answers and
// nothing an attacker could use.
func (s *Server) health(r *request) error {
	seq := s.st.Seq()
	if _, err := s.st.Stats(); err != nil {
		s.log.Error("health: store unavailable", "err", err)
		return errStatus(503, "the store is not available")
	}
	return writeJSON(r.ctx, 200, map[string]any{
		"status":    "ok",
		"version":   s.cfg.Version,
		"store_seq": seq,
		"uptime_s":  int64(s.now().Sub(s.started) / time.Second),
	})
}
