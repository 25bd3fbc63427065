package httpapi

import (
	"errors"
	"time"
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
	// disabled.
	SetMode(id, mode, by string) error
}

// DoorView is a door's configuration and live state.
type DoorView struct {
	ID        string    `json:"id"`
	Lock      int       `json:"lock"`
	Readers   []string  `json:"readers"`
	Mode      string    `json:"mode"`
	Locked    bool      `json:"locked"`
	Open      bool      `json:"open"`
	Alarms    []string  `json:"alarms"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrNoDoor is returned by Doors for an unknown door id.
var ErrNoDoor = errors.New("no such door")

var doorModes = map[string]bool{"normal": true, "unlocked": true, "locked_down": true, "disabled": true}

func (s *Server) listDoors(r *request) error {
	ds := s.doors.List()
	if ds == nil {
		ds = []DoorView{}
	}
	return writeJSON(r.ctx, 200, listOut[DoorView]{Items: ds})
}

func (s *Server) getDoor(r *request) error {
	d, ok := s.doors.Get(r.param("id"))
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
	d, _ := s.doors.Get(id)
	return writeJSON(r.ctx, 202, d)
}

func (s *Server) setDoorMode(r *request) error {
	id := r.param("id")
	if _, ok := s.doors.Get(id); !ok {
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
		if errors.Is(err, ErrNoDoor) {
			return errStatus(404, "door "+id+" does not exist")
		}
		return errStatus(409, err.Error())
	}
	s.log.Info("door mode changed", "door", id, "mode", mode, "by", r.op.username)
	d, _ := s.doors.Get(id)
	return writeJSON(r.ctx, 200, d)
}
