package store

import "time"

// MaxEmergencyOpen is the longest emergency open a door accepts: BAS-IP's
// documented range for unlock_time is 1–604800 seconds (one week).
const MaxEmergencyOpen = 7 * 24 * time.Hour

// DoorEmergency is an emergency open in effect on a door (BAS-IP's
// "Start emergency mode and open the locks"): the door is held unlocked
// from At until Until, as ordered by By. It is part of the door's stored
// setting (DoorSetting.Emergency) so that it survives a restart while it
// lasts; the door runtime resumes it only when the clock at start lies
// between At and Until (device/emergency.go says why).
type DoorEmergency struct {
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
	By    string    `json:"by,omitempty"`
}
