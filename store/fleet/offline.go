package fleet

import "time"

// The offline rules. The watch is live when it is connected and caught
// up; from the moment it is not (or from start until it first is), the
// controller is offline: the doors decide from the local store as they
// always do, and record writes are refused (store.ErrFleetOffline, a 503)
// because a local-only change would fork the list. After MaxOffline
// offline the controller is stale: it raises OnStale once, counts the
// episode, and with offline_policy deny_non_security calls Restrict(true):
// the door engine then lets in only users with security: true (the
// lockdown rule applied to every door; credentials without a user are
// not security users). A revocation made elsewhere may be missing from a
// stale copy, and a security user is the only kind the site has said must
// pass a locked-down door. When the watch is live again everything is
// undone by itself (Restrict(false), OnStale(false)).

// goOnline marks the watch live.
func (f *Fleet) goOnline() {
	f.staleMu.Lock() // against a checkStale between the two steps
	defer f.staleMu.Unlock()
	since := f.offlineSince.Swap(0)
	if f.stale.CompareAndSwap(true, false) {
		off := time.Duration(0)
		if since != 0 {
			off = time.Since(time.Unix(0, since))
		}
		f.log.Info("fleet: back in sync after max_offline; offline policy lifted", "offline", off.Round(time.Second))
		if f.cfg.OfflinePolicy == PolicyDenyNonSecurity && f.opt.Restrict != nil {
			f.opt.Restrict(false)
		}
		if f.opt.OnStale != nil {
			f.opt.OnStale(false, off)
		}
	}
}

// clock checks max_offline every second.
func (f *Fleet) clock() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case now := <-t.C:
			f.checkStale(now)
		}
	}
}

// checkStale applies the offline policy when the controller has been
// offline for MaxOffline at now.
func (f *Fleet) checkStale(now time.Time) {
	f.staleMu.Lock()
	defer f.staleMu.Unlock()
	since := f.offlineSince.Load()
	if since == 0 {
		return
	}
	off := now.Sub(time.Unix(0, since))
	if off < f.maxOffline || !f.stale.CompareAndSwap(false, true) {
		return
	}
	f.stats.staleEpisodes.Add(1)
	policy := f.cfg.OfflinePolicy
	if policy == "" {
		policy = PolicyKeep
	}
	f.log.Error("fleet: offline longer than max_offline; applying the offline policy",
		"offline", off.Round(time.Second), "max_offline", f.maxOffline, "policy", policy)
	if policy == PolicyDenyNonSecurity && f.opt.Restrict != nil {
		f.opt.Restrict(true)
	}
	if f.opt.OnStale != nil {
		f.opt.OnStale(true, off)
	}
}
