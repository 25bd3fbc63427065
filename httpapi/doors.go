package httpapi

import (
	"errors"
	"time"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

// Doors is the door runtime as the API sees it. The daemon adapts the
// device package to it, so this package does not import device and tests
// use a fake.
type Doors interface {
	List() []DoorView
	Get(id string) (DoorView, bool)
	// Open unlocks the door for its unlock time, as a remote momentary
	// open by the named operator (audited by the runtime).
	Open(id, by string) error
	// SetMode changes the door's mode: normal, unlocked, locked_down,
	// disabled. It is persisted before it returns (ErrNotPersisted when
	// the store refused it).
	SetMode(id, mode, by string) error
	// SetSchedule gives the door an unlock schedule (time profile id, 0
	// for none) and the first-card-unlock option, persisted likewise.
	SetSchedule(id string, profile uint64, firstCard bool, by string) error
	// EmergencyOpen holds the door unlocked for d, then locks it by
	// itself (BAS-IP's emergency open); persisted likewise, and refused
	// (nothing unlocks) when the store refused it. EmergencyClose ends
	// it now, applied even when the store refused the write.
	EmergencyOpen(id string, d time.Duration, by string) error
	EmergencyClose(id, by string) error
}

// Errors the Doors implementation returns.
var (
	// ErrNoDoor: an unknown door id.
	ErrNoDoor = errors.New("no such door")
	// ErrNotPersisted: the store refused the door setting (a lockdown or
	// disable is applied anyway; the answer is a 503 either way).
	ErrNotPersisted = core.ErrDoorNotPersisted
)

var doorModes = map[string]bool{"normal": true, "unlocked": true, "locked_down": true, "disabled": true}

// door and doorList read the door runtime for an answer: lists are
// never null in the API's contract (openapi.json), whatever the runtime
// hands over (a door without readers, a door without alarms).
func (s *Server) door(id string) (DoorView, bool) {
	d, ok := s.doors.Get(id)
	return shownDoor(d), ok
}

func (s *Server) doorList() []DoorView {
	ds := s.doors.List()
	out := make([]DoorView, 0, len(ds))
	for _, d := range ds {
		out = append(out, shownDoor(d))
	}
	return out
}

func shownDoor(d DoorView) DoorView {
	if d.Readers == nil {
		d.Readers = []string{}
	}
	if d.Alarms == nil {
		d.Alarms = []string{}
	}
	return d
}

func (s *Server) listDoors(r *request) error {
	return writeJSON(r.ctx, 200, listOut[DoorView]{Items: s.doorList()})
}

func (s *Server) getDoor(r *request) error {
	d, ok := s.door(r.param("id"))
	if !ok {
		return errStatus(404, "door "+r.param("id")+" does not exist")
	}
	return writeJSON(r.ctx, 200, d)
}

func (s *Server) openDoor(r *request) error {
	id := r.param("id")
	if err := s.doors.Open(id, r.op.username); err != nil {
		if errors.Is(err, ErrNoDoor) {
			return errStatus(404, "door "+id+" does not exist")
		}
		return errStatus(409, err.Error())
	}
	s.log.Info("remote open", "door", id, "by", r.op.username)
	d, _ := s.door(id)
	return writeJSON(r.ctx, 202, d)
}

func (s *Server) setDoorMode(r *request) error {
	id := r.param("id")
	if _, ok := s.door(id); !ok {
		return errStatus(404, "door "+id+" does not exist")
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var mode string
	if !o.str("mode", &mode, 16) || !doorModes[mode] {
		o.fail("mode", "must be normal, unlocked, locked_down or disabled")
	}
	if err := o.err(); err != nil {
		return err
	}
	if err := s.doors.SetMode(id, mode, r.op.username); err != nil {
		return doorSettingErr(id, err)
	}
	s.log.Info("door mode changed", "door", id, "mode", mode, "by", r.op.username)
	d, _ := s.door(id)
	return writeJSON(r.ctx, 200, d)
}

func doorSettingErr(id string, err error) error {
	switch {
	case errors.Is(err, ErrNoDoor):
		return errStatus(404, "door "+id+" does not exist")
	case errors.Is(err, ErrNotPersisted):
		return errStatus(503, "the door setting could not be stored; a lockdown or disable is in effect anyway, other changes were not made")
	}
	return errStatus(409, err.Error())
}

// patchDoor changes what an operator may set on a door (JSON merge
// patch): mode, unlock_schedule (a time profile id, null for none) and
// first_card_unlock. Every change is persisted before the answer.
func (s *Server) patchDoor(r *request) error {
	id := r.param("id")
	cur, ok := s.door(id)
	if !ok {
		return errStatus(404, "door "+id+" does not exist")
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	for name := range o.fields {
		switch name {
		case "mode", "unlock_schedule", "first_card_unlock":
		default:
			o.fail(name, "is not a field of a door that can be changed (mode, unlock_schedule, first_card_unlock)")
		}
	}
	mode := ""
	if o.str("mode", &mode, 16) && !doorModes[mode] {
		o.fail("mode", "must be normal, unlocked, locked_down or disabled")
	}
	var profile uint64
	if cur.UnlockSchedule != nil {
		profile = *cur.UnlockSchedule
	}
	firstCard := cur.FirstCardUnlock
	schedule := o.uint("unlock_schedule", &profile, 1<<53)
	if r, ok := o.fields["unlock_schedule"]; ok && isNull(r) {
		profile = 0
	}
	if o.boolean("first_card_unlock", &firstCard) {
		schedule = true
	}
	if schedule && profile != 0 && len(o.errs) == 0 {
		if _, err := s.st.GetTimeProfile(profile); errors.Is(err, store.ErrNotFound) {
			o.failf("unlock_schedule", "time profile %d does not exist", profile)
		} else if err != nil {
			return err
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	if mode != "" {
		if err := s.doors.SetMode(id, mode, r.op.username); err != nil {
			return doorSettingErr(id, err)
		}
		s.log.Info("door mode changed", "door", id, "mode", mode, "by", r.op.username)
	}
	if schedule {
		if err := s.doors.SetSchedule(id, profile, firstCard, r.op.username); err != nil {
			return doorSettingErr(id, err)
		}
		s.log.Info("door unlock schedule changed", "door", id, "profile", profile, "first_card_unlock", firstCard, "by", r.op.username)
	}
	d, _ := s.door(id)
	return writeJSON(r.ctx, 200, d)
}
