package access

import (
	"testing"

	"github.com/doord/doord/store"
)

// The scenario: facility 7 / card 77 is the payload 7<<16|77 in
// both H10301 and 34-bit, so before format binding a 34-bit card opened an
// H10301 credential (and the other way round).
const fc7c77 = 7<<16 | 77

func framed(v uint64, format string, bits int) Presentation {
	return Presentation{Kind: PresentCard, Card: v, Format: FrameFormat(format, bits)}
}

func fmtCard(uid uint64, v, format string) store.Credential {
	c := card(uid, v)
	c.Format = format
	return c
}

// newFormatEngine is an engine whose readers never lock out: these tests
// present many unknown cards on purpose.
func newFormatEngine() *Engine {
	return NewEngine(EngineConfig{Readers: testReaders, ReaderLockout: LockoutConfig{Off: true}})
}

func TestFrameFormat(t *testing.T) {
	tests := []struct {
		name string
		bits int
		want uint8
	}{
		{"h10301", 26, 1}, {"34bit", 34, 2}, {"c1000", 35, 3}, {"h10304", 37, 4},
		{"h10301", 34, 0}, // a name that does not fit the length is not that format
		{"raw", 26, 0}, {"", 26, 0}, {"auto", 26, 0}, {"26", 26, 0},
	}
	for _, tc := range tests {
		if got := FrameFormat(tc.name, tc.bits); got != tc.want {
			t.Errorf("FrameFormat(%q, %d) = %d, want %d", tc.name, tc.bits, got, tc.want)
		}
	}
}

func TestCardFormatBinding(t *testing.T) {
	e := newFormatEngine()
	f := &fixture{}
	h26 := f.user(store.User{Name: "h10301 holder"})
	h34 := f.user(store.User{Name: "34-bit holder"})
	plain := f.user(store.User{Name: "plain number holder"})
	f.cred(fmtCard(h26, "458829", "h10301")) // 7/77
	f.cred(fmtCard(h34, "524365", "34bit"))  // 8/77: only an H10301 credential has 7/77 ...
	f.cred(card(plain, "8065495"))           // 123/4567, entered as a plain number
	e.LoadRecords(nil, f.users, f.creds)

	tests := []struct {
		name   string
		p      Presentation
		reason Reason
		uid    uint64
	}{
		{"h10301 credential, h10301 frame", framed(fc7c77, "h10301", 26), ReasonNone, h26},
		{"h10301 credential, 34-bit frame with the same payload", framed(fc7c77, "34bit", 34), ReasonUnknownCredential, 0},
		{"h10301 credential, h10304 frame with the same payload", framed(fc7c77, "h10304", 37), ReasonUnknownCredential, 0},
		{"h10301 credential, frame of no known format", framed(fc7c77, "raw", 24), ReasonUnknownCredential, 0},
		{"h10301 credential, a name that does not fit the length", framed(fc7c77, "h10301", 34), ReasonUnknownCredential, 0},
		{"34-bit credential, 34-bit frame", framed(8<<16|77, "34bit", 34), ReasonNone, h34},
		{"34-bit credential, h10301 frame with the same payload", framed(8<<16|77, "h10301", 26), ReasonUnknownCredential, 0},
		{"plain credential, h10301 frame", framed(8065495, "h10301", 26), ReasonNone, plain},
		{"plain credential, 34-bit frame", framed(8065495, "34bit", 34), ReasonNone, plain},
		{"plain credential, c1000 frame", framed(8065495, "c1000", 35), ReasonNone, plain},
		{"plain credential, raw frame", framed(8065495, "raw", 24), ReasonNone, plain},
		{"plain credential, no format given", cardP(8065495), ReasonNone, plain},
	}
	for _, tc := range tests {
		o := e.Present("any", tc.p, wed10)
		kind := OutcomeGranted
		if tc.reason != ReasonNone {
			kind = OutcomeDenied
		}
		want(t, tc.name, o, kind, tc.reason)
		if o.UserUID != tc.uid {
			t.Errorf("%s: user %d, want %d", tc.name, o.UserUID, tc.uid)
		}
	}
}

// A raw frame's value can have any of 64 bits set; it must never reach a
// format-bound credential through the bits that tag the format in the
// index key.
func TestRawValueNeverMatchesFormatBoundKey(t *testing.T) {
	e := newFormatEngine()
	f := &fixture{}
	uid := f.user(store.User{Name: "h10301 holder"})
	f.cred(fmtCard(uid, "458829", "h10301"))
	e.LoadRecords(nil, f.users, f.creds)
	for v := range 16 {
		raw := uint64(1)<<63 | uint64(v)<<56 | fc7c77
		want(t, "raw 64-bit frame", e.Present("any", framed(raw, "raw", 64), wed10), OutcomeDenied, ReasonUnknownCredential)
	}
}

// Both factors of card+PIN and the pass spend find the format-bound
// credential under the key the frame matched.
func TestFormatBoundCardSecondFactorAndPasses(t *testing.T) {
	e := newFormatEngine()
	f := &fixture{}
	uid := f.user(store.User{Name: "h10301 holder"})
	c := fmtCard(uid, "458829", "h10301")
	c.MaxPasses, c.PassesLeft = 1, 1
	f.cred(c)
	f.cred(pin(uid, "2468"))
	e.LoadRecords(nil, f.users, f.creds)
	want(t, "34-bit card first at card+PIN", e.Present("both", framed(fc7c77, "34bit", 34), wed10), OutcomeDenied, ReasonUnknownCredential)
	want(t, "h10301 card first at card+PIN", e.Present("both", framed(fc7c77, "h10301", 26), wed10), OutcomePending, ReasonNone)
	o := typeKeys(e, "both", "2468#", wed10)
	want(t, "its PIN", o, OutcomeGranted, ReasonNone)
	if !o.UsedPass {
		t.Errorf("the grant spent no pass of the format-bound card: %+v", o)
	}
	want(t, "the pass is spent", e.Present("card", framed(fc7c77, "h10301", 26), wed10), OutcomeDenied, ReasonPassesUsedUp)
}

// The store refuses a plain number beside a format-bound card of the same
// value; a feed that shows both for a moment (out of order) must still
// leave one credential per frame: the newer write wins, as for two
// credentials with one value.
func TestApplyPlainAndFormatBoundNewerWins(t *testing.T) {
	e := newFormatEngine()
	f := &fixture{}
	a := f.user(store.User{Name: "a"})
	b := f.user(store.User{Name: "b"})
	e.LoadRecords(nil, f.users, nil)
	put := func(id, uid uint64, format string) {
		c := fmtCard(uid, "458829", format)
		c.ID, c.Locks = id, store.LocksBoth
		e.Apply([]store.Change{{Kind: store.KindCredential, ID: id, Credential: &c}})
	}
	put(1, a, "h10301")
	put(2, b, "")
	if o := e.Present("any", framed(fc7c77, "h10301", 26), wed10); o.UserUID != b {
		t.Errorf("after a plain number replaced the h10301 card: user %d, want %d", o.UserUID, b)
	}
	put(3, a, "34bit")
	if o := e.Present("any", framed(fc7c77, "h10301", 26), wed10); o.Kind != OutcomeDenied {
		t.Errorf("after a 34-bit card replaced the plain number, an h10301 frame: %+v, want denied", o)
	}
	if o := e.Present("any", framed(fc7c77, "34bit", 34), wed10); o.UserUID != a {
		t.Errorf("34-bit frame: user %d, want %d", o.UserUID, a)
	}
	if s := e.Stats(wed10); s.Cards != 1 {
		t.Errorf("%d cards indexed, want 1", s.Cards)
	}
	// Two formats with one payload are two cards.
	put(4, b, "h10301")
	if s := e.Stats(wed10); s.Cards != 2 {
		t.Errorf("%d cards indexed, want 2 (34bit and h10301 of one payload)", s.Cards)
	}
	if o := e.Present("any", framed(fc7c77, "h10301", 26), wed10); o.UserUID != b {
		t.Errorf("h10301 frame: user %d, want %d", o.UserUID, b)
	}
}

// A format-bound credential whose value does not fit its format's payload
// (or with a format this build does not know) is not indexed: it opens
// nothing rather than something else.
func TestFormatBoundOddValuesAreNotIndexed(t *testing.T) {
	for _, c := range []store.Credential{
		fmtCard(1, "16777216", "h10301"), // 2^24: one bit more than facility 8 + card 16
		fmtCard(1, "458829", "h99999"),
	} {
		if _, _, ok := credKey(c.Type, c.Value, c.Format); ok {
			t.Errorf("credKey(%q, %q) indexed", c.Value, c.Format)
		}
	}
}
