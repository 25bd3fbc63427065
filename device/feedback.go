package device

import "time"

// Reader feedback. Most Wiegand readers have one LED line that turns the
// LED from red (idle) to green when driven, and a buzzer line; SetLED(on)
// means green. The patterns:
//
//	door unlocked (grant, REX, remote open, unlocked mode)  LED on (green) while the relay is unlocked
//	granted                                                  + one short beep (GrantBeep, 200 ms)
//	denied (any reason, bad read, lockout)                   LED held off (red) and one long beep (DenyTime, 1 s)
//	awaiting a second factor (Outcome Pending)               LED blinks, BlinkHalf on / BlinkHalf off, until the
//	                                                         factor arrives, is refused or times out
//
// A denial overrides the unlocked green for its second; the blink
// overrides it while a PIN is awaited. Readers without an LED or buzzer
// line return an error from the board; that is expected and only logged
// at debug level.

func (d *door) ledWanted(r *reader, now time.Time) bool {
	switch {
	case now.Before(r.denyUntil):
		return false
	case !r.pendingSince.IsZero():
		return (now.Sub(r.pendingSince)/BlinkHalf)%2 == 0
	default:
		return d.unlocked
	}
}

func nextToggle(since, now time.Time) time.Time {
	k := now.Sub(since)/BlinkHalf + 1
	return since.Add(k * BlinkHalf)
}

// feedback drives every reader's LED and buzzer to what they should be
// now, writing only changes, and forgets feedback deadlines that passed.
func (d *door) feedback(now time.Time) {
	for i := range d.readers {
		r := &d.readers[i]
		if !r.denyUntil.IsZero() && !now.Before(r.denyUntil) {
			r.denyUntil = time.Time{}
		}
		if !r.buzzUntil.IsZero() && !now.Before(r.buzzUntil) {
			r.buzzUntil = time.Time{}
		}
		if led := d.ledWanted(r, now); led != r.led {
			r.led = led
			if err := d.rt.board.SetLED(r.id, led); err != nil {
				d.rt.log.Debug("device: reader LED", "reader", r.id, "err", err)
			}
		}
		if buzz := now.Before(r.buzzUntil); buzz != r.buzz {
			r.buzz = buzz
			if err := d.rt.board.SetBuzzer(r.id, buzz); err != nil {
				d.rt.log.Debug("device: reader buzzer", "reader", r.id, "err", err)
			}
		}
	}
}
