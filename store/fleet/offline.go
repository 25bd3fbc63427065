package fleet

import (
	"encoding/binary"
	"time"
)

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

// lastLiveKey is the local setting that keeps the last moment the watch
// was known live (8 bytes, big-endian Unix ns), so that the offline clock
// survives restarts: a controller restarted again and again without NATS
// must still reach max_offline (deny on doubt). A crash while live loses
// at most liveEvery of it, which makes the clock run early, never late.
const lastLiveKey = "fleet/sync/last_live"

// liveEvery is how often a live controller refreshes lastLiveKey.
func (f *Fleet) liveEvery() time.Duration {
	return min(max(f.maxOffline/8, time.Minute), time.Hour)
}

// offlineStart is when the controller went offline as far as the store
// knows: the last live moment saved, else now.
func (f *Fleet) offlineStart(now time.Time) time.Time {
	b, err := f.st.GetSetting(lastLiveKey)
	if err != nil || len(b) != 8 {
		return now
	}
	t := time.Unix(0, int64(binary.BigEndian.Uint64(b)))
	if t.After(now) {
		return now
	}
	return t
}

// saveLive records now as a moment the watch was live.
func (f *Fleet) saveLive(now time.Time) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(now.UnixNano()))
	if err := f.st.PutSetting(lastLiveKey, b[:]); err != nil {
		f.log.Warn("fleet: could not save the last live time", "err", err)
		return
	}
	f.savedLive.Store(now.UnixNano())
}

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
			if f.live() != nil && now.Sub(time.Unix(0, f.savedLive.Load())) >= f.liveEvery() {
				f.saveLive(now)
			}
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
