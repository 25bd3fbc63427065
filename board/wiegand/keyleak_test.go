package wiegand

import "testing"

// A damaged 8-bit keypad burst is a bad read whose reason (which goes to
// the event log and the system log) says nothing about the key pressed:
// the nibbles of a PIN digit are a piece of a PIN. Every damaged burst of
// every key gives the same reason.
func TestDamagedKeyReasonHidesTheKey(t *testing.T) {
	reasons := map[string]string{}
	for _, k := range "0123456789*#" {
		e, err := EncodeKey(k, Keypad8)
		if err != nil {
			t.Fatal(err)
		}
		var raw uint64
		for _, b := range e {
			raw <<= 1
			if b {
				raw |= 1
			}
		}
		for bit := range 8 {
			bad := raw ^ 1<<bit
			if key, why := decodeKey(bad, 8, Keypad8); key != 0 || why == "" {
				continue // another valid burst, or not a complement failure
			} else if lo, hi := bad&0xF, bad>>4; hi != ^lo&0xF {
				reasons[why] = string(k)
			}
		}
	}
	if len(reasons) != 1 {
		t.Fatalf("damaged bursts give %d different reasons, which tell keys apart: %v", len(reasons), reasons)
	}
}
