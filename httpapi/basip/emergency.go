package basip

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/doord/doord/httpapi/core"
)

// Lock numbers and emergency open.
//
// BAS-IP numbers a panel's locks 0 (both / all), 1 (first), 2 (second)
// (android-panels remote-access-server), and up to 8 on Camdroid panels
// with an SH-42 module (camdroid-panels 1.1.0, 1.2.1: "0 - both locks (1
// and 2..8 if used SH-42 module), 1..8 - indexes available"). doord maps
// these numbers to its doors through the configuration ([basip] locks,
// Deps.Locks); without a map lock n is the doors whose lock is n and 0
// every door.

// maxLockNumber is the highest lock number BAS-IP documents.
const maxLockNumber = 8

// Emergency open limits and texts (android-panels 2.9.0/2.10.0,
// camdroid-panels 1.0.7 "Start emergency mode and open the locks":
// "unlock time must be in range [1 - 604800] seconds").
const (
	maxUnlockTime      = 604800
	msgLockIndexes     = "Only 0, 1..8 indexes available for the lock number"
	msgUnlockTime      = "Unlock time should be in range [1, 604800] seconds"
	msgLockNotFound    = "Lock not found"
	msgLocksEmpty      = "locks must contain at least one item"
	msgDoorsNotRunning = "No doors: the door runtime is not running"
)

// lockDoors is the door ids lock number n names (none: no such lock).
func (s *Dialect) lockDoors(n int) []string {
	if s.deps.Locks != nil {
		return s.deps.Locks[n]
	}
	var ids []string
	for _, d := range s.doors.List() {
		if n == 0 || d.Lock == n {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// lockNumber checks a lock number and resolves it.
func (s *Dialect) lockNumber(n int64) ([]string, error) {
	if n < 0 || n > maxLockNumber {
		return nil, bErr(400, msgLockIndexes)
	}
	ids := s.lockDoors(int(n))
	if len(ids) == 0 {
		return nil, bErr(404, msgLockNotFound)
	}
	return ids, nil
}

// emergencyLock is one entry of an emergency open's locks.
type emergencyLock struct {
	doors []string
	n     int64
	secs  int64
}

// emergencyLocks reads the entries of an emergency body's "locks" (a
// non-empty array), as both routes take it.
func (s *Dialect) emergencyLocks(r *core.Request) ([]json.RawMessage, error) {
	if s.doors == nil {
		return nil, bErr(503, msgDoorsNotRunning)
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return nil, err
	}
	raw, ok := b.raw("locks", true)
	if !ok {
		return nil, b.error()
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, bWrongType("locks")
	}
	if len(items) == 0 {
		return nil, bErr(400, msgLocksEmpty)
	}
	return items, nil
}

// basipEmergencyOpen is POST /access/general/lock/open/emergency
// {"locks":[{"lock_number":1,"unlock_time":10}]}: each listed lock's
// doors are held unlocked for unlock_time seconds through the door runtime
// (persisted, audited as emergency_open naming the operator, ended by
// itself). The whole body is checked before any door moves. A door that
// refuses (locked_down or disabled) does not stop the others; the answer
// then names it.
func (s *Dialect) basipEmergencyOpen(r *core.Request) error {
	items, err := s.emergencyLocks(r)
	if err != nil {
		return err
	}
	locks := make([]emergencyLock, 0, len(items))
	for _, it := range items {
		var m map[string]json.RawMessage
		if json.Unmarshal(it, &m) != nil || m == nil {
			return bWrongType("locks")
		}
		e := &bbody{f: m}
		var l emergencyLock
		e.integer("lock_number", &l.n, true)
		e.integer("unlock_time", &l.secs, true)
		if err := e.error(); err != nil {
			return err
		}
		if l.secs < 1 || l.secs > maxUnlockTime {
			return bErr(400, msgUnlockTime)
		}
		if l.doors, err = s.lockNumber(l.n); err != nil {
			return err
		}
		locks = append(locks, l)
	}
	var failed []string
	status := 400
	for _, l := range locks {
		for _, id := range l.doors {
			if err := s.doors.EmergencyOpen(id, time.Duration(l.secs)*time.Second, r.Op.Username); err != nil {
				if errors.Is(err, core.ErrDoorNotPersisted) {
					status = 503 // the store, not the request
				}
				failed = append(failed, "lock "+strconv.FormatInt(l.n, 10)+" door "+strconv.Quote(id)+": "+err.Error())
				continue
			}
			s.log.Info("emergency open (BAS-IP)", "door", id, "seconds", l.secs, "by", r.Op.Username)
		}
	}
	if len(failed) > 0 {
		return bErr(status, "Lock cannot be opened: "+strings.Join(failed, "; "))
	}
	return basipOK(r, basipEmpty)
}

// basipEmergencyClose is POST /access/general/lock/close/emergency
// {"locks":[1]}: ends the listed locks' emergency open now. No BAS-IP
// document shows it; its shape is ha-av03bd's (NagibinA/BAS-IP_AV-03BD
// const.py API_LOCK_EMERGENCY_CLOSE, coordinator.async_emergency_close).
// An entry may also be {"lock_number":1}. A lock without an emergency
// open is left as it is.
func (s *Dialect) basipEmergencyClose(r *core.Request) error {
	items, err := s.emergencyLocks(r)
	if err != nil {
		return err
	}
	var doors []string
	for _, it := range items {
		var n int64
		if len(it) > 0 && it[0] == '{' {
			var m map[string]json.RawMessage
			if json.Unmarshal(it, &m) != nil {
				return bWrongType("locks")
			}
			e := &bbody{f: m}
			e.integer("lock_number", &n, true)
			if err := e.error(); err != nil {
				return err
			}
		} else if err := json.Unmarshal(it, &n); err != nil || it[0] == '"' {
			return bWrongType("locks")
		}
		ids, err := s.lockNumber(n)
		if err != nil {
			return err
		}
		doors = append(doors, ids...)
	}
	var failed []string
	for _, id := range doors {
		if err := s.doors.EmergencyClose(id, r.Op.Username); err != nil {
			failed = append(failed, "door "+strconv.Quote(id)+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return bErr(503, "Emergency not ended everywhere: "+strings.Join(failed, "; "))
	}
	return basipOK(r, basipEmpty)
}
