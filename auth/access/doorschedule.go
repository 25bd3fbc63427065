package access

import "time"

// Schedule returns the compiled time profile id as the engine holds it
// now (nil when the profile is unknown or was deleted), for the device
// layer's scheduled door modes: one source of compiled schedules, kept
// current by the change feed. The returned Schedule is immutable (a
// changed profile is compiled into a new one).
func (e *Engine) Schedule(id uint64) *Schedule {
	return (*e.idx.Load().profiles.Load())[id]
}

// Location is the zone time profiles are read in.
func (e *Engine) Location() *time.Location { return e.loc }
