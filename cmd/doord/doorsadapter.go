package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/doord/doord/device"
	"github.com/doord/doord/httpapi"
)

// doorsAdapter lets the API drive the door runtime without httpapi
// importing device.
type doorsAdapter struct{ rt *device.Runtime }

func doorView(d device.DoorState) httpapi.DoorView {
	alarms := d.Alarms
	if alarms == nil {
		alarms = []string{}
	}
	v := httpapi.DoorView{ID: d.ID, Lock: int(d.Lock), Readers: d.Readers, Mode: d.Mode, SetMode: d.SetMode,
		ModeBy: d.ModeBy, FirstCardUnlock: d.FirstCardUnlock, ScheduleOpen: d.ScheduleOpen,
		Locked: d.Locked, Open: d.Open, Alarms: alarms, UpdatedAt: d.UpdatedAt}
	if !d.ModeAt.IsZero() {
		at := d.ModeAt
		v.ModeAt = &at
	}
	if !d.EmergencyUntil.IsZero() {
		until := d.EmergencyUntil.Round(0).UTC()
		v.EmergencyUntil = &until
	}
	if d.UnlockSchedule != 0 {
		id := d.UnlockSchedule
		v.UnlockSchedule = &id
	}
	return v
}

func (a doorsAdapter) List() []httpapi.DoorView {
	ds := a.rt.Doors()
	out := make([]httpapi.DoorView, len(ds))
	for i, d := range ds {
		out[i] = doorView(d)
	}
	return out
}

func (a doorsAdapter) Get(id string) (httpapi.DoorView, bool) {
	d, ok := a.rt.Door(id)
	if !ok {
		return httpapi.DoorView{}, false
	}
	return doorView(d), true
}

func doorErr(err error) error {
	switch {
	case errors.Is(err, device.ErrUnknownDoor):
		return httpapi.ErrNoDoor
	case errors.Is(err, device.ErrNotPersisted):
		return fmt.Errorf("%w: %w", httpapi.ErrNotPersisted, err)
	}
	return err
}

func (a doorsAdapter) Open(id, by string) error { return doorErr(a.rt.Open(id, by)) }

func (a doorsAdapter) SetMode(id, mode, by string) error {
	m, err := device.ParseMode(mode)
	if err != nil {
		return err
	}
	return doorErr(a.rt.SetMode(id, m, by))
}

func (a doorsAdapter) SetSchedule(id string, profile uint64, firstCard bool, by string) error {
	return doorErr(a.rt.SetSchedule(id, profile, firstCard, by))
}

func (a doorsAdapter) EmergencyOpen(id string, d time.Duration, by string) error {
	return doorErr(a.rt.EmergencyOpen(id, d, by))
}

func (a doorsAdapter) EmergencyClose(id, by string) error {
	return doorErr(a.rt.EmergencyClose(id, by))
}
