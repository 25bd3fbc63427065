package store_test

import (
	"maps"
	"testing"

	"github.com/doord/doord/store/storetest"
)

// TestSettingsWithPrefix reads the settings under a prefix and no others
// (not the key that sorts right after them, not the prefix's neighbours).
func TestSettingsWithPrefix(t *testing.T) {
	s := storetest.Open(t)
	for k, v := range map[string]string{"a.b": "0", "a.b.1": "x", "a.b.22": "y", "a.c": "z", "a.b/": "w"} {
		if err := s.PutSetting(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SettingsWithPrefix("a.b.")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"a.b.1": []byte("x"), "a.b.22": []byte("y")}
	if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, _ := s.SettingsWithPrefix("zz"); len(got) != 0 {
		t.Fatalf("absent prefix: %q", got)
	}
}
