package access

import (
	"testing"
	"time"
)

// Decisions counts each reader's outcomes by result and reason, the
// second-factor timeout (decided by Expire) included, and keeps readers
// apart.
func TestDecisionsByReaderAndReason(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	e.Present("any", cardP(1001), wed10)                                      // granted
	e.Present("any", cardP(1001), wed10)                                      // granted
	e.Present("any", cardP(999999), wed10)                                    // unknown_credential
	e.Present("any", Presentation{Kind: PresentBadRead}, wed10)               // bad_read
	e.Present("card2", cardP(1001), wed10)                                    // granted at another reader
	e.Present("pin", cardP(1001), wed10)                                      // reader_mode
	if o := e.Present("both", cardP(1012), wed10); o.Kind != OutcomePending { // leo's card: PIN awaited
		t.Fatalf("card at card_and_pin reader: got %+v, want pending", o)
	}
	e.Expire("both", wed10.Add(11*time.Second)) // second_factor_timeout

	got := map[string]ReaderDecisions{}
	ids := []string{}
	for _, d := range e.Decisions() {
		got[d.Reader] = d
		ids = append(ids, d.Reader)
	}
	if want := []string{"any", "both", "card", "card2", "pin"}; len(ids) != len(want) || ids[0] != "any" || ids[4] != "pin" {
		t.Fatalf("readers %v, want %v in order", ids, want)
	}
	check := func(reader string, granted uint64, denied map[Reason]uint64) {
		t.Helper()
		d := got[reader]
		if d.Granted != granted {
			t.Errorf("%s: granted %d, want %d", reader, d.Granted, granted)
		}
		var sum uint64
		for r := Reason(0); int(r) < NumReasons; r++ {
			if d.DeniedBy[r] != denied[r] {
				t.Errorf("%s: denied %s %d, want %d", reader, r, d.DeniedBy[r], denied[r])
			}
			sum += denied[r]
		}
		if d.Denied != sum {
			t.Errorf("%s: denied %d, want %d", reader, d.Denied, sum)
		}
	}
	check("any", 2, map[Reason]uint64{ReasonUnknownCredential: 1, ReasonBadRead: 1})
	check("card2", 1, nil)
	check("pin", 0, map[Reason]uint64{ReasonReaderMode: 1})
	check("both", 0, map[Reason]uint64{ReasonSecondFactorTimeout: 1})
	check("card", 0, nil)
	// Stats' totals are the same counters.
	s := e.Stats(wed10)
	if s.Granted != 3 || s.Denied != 4 {
		t.Errorf("Stats granted %d denied %d, want 3 and 4", s.Granted, s.Denied)
	}
}
