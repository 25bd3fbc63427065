package store

import "testing"

// TestLineSetCollidingHashesStayApart: strings whose hashes are the
// same (forced here) are kept and found each with its own line, and a
// string put again keeps its first line.
func TestLineSetCollidingHashesStayApart(t *testing.T) {
	ls := newLineSet()
	for i, s := range []string{"card:1", "card:2", "pin:1234", ""} {
		ls.putHashed(7, s, 10+i)
	}
	ls.putHashed(7, "card:2", 99)
	ls.put("other", 20)
	for s, want := range map[string]int{"card:1": 10, "card:2": 11, "pin:1234": 12, "": 13} {
		if l, ok := ls.getHashed(7, s); !ok || l != want {
			t.Errorf("%q: line %d %v, want %d", s, l, ok, want)
		}
	}
	if l, ok := ls.get("other"); !ok || l != 20 {
		t.Errorf("other: line %d %v, want 20", l, ok)
	}
	if _, ok := ls.getHashed(7, "card:3"); ok {
		t.Error("card:3 found under a colliding hash, but it was never put")
	}
	if _, ok := ls.get("card:1x"); ok {
		t.Error("card:1x found")
	}
}

// TestAddedValuesRoundTrip: an added credential comes back as it went
// in, type, value and format.
func TestAddedValuesRoundTrip(t *testing.T) {
	var a addedValues
	in := []Credential{{Type: CredCard, Value: "8065495", Format: "h10301"}, {Type: CredPIN, Value: "123456"}, {Type: CredCard, Value: "42"}}
	for i := range in {
		a.add(i+2, 1, &in[i])
	}
	for i, want := range in {
		if got := a.credential(i); got.Type != want.Type || got.Value != want.Value || got.Format != want.Format || int(a.ents[i].line) != i+2 {
			t.Errorf("%d: %+v line %d, want %+v line %d", i, got, a.ents[i].line, want, i+2)
		}
	}
}
