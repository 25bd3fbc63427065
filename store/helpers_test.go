package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// recorder is an OnChange that keeps every record and checks, as they
// arrive, that sequence numbers are contiguous and increasing.
type recorder struct {
	mu      sync.Mutex
	changes []store.Change
	calls   int
	errs    []string
}

func (r *recorder) onChange(cs []store.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	for _, c := range cs {
		if n := len(r.changes); n > 0 && c.Seq != r.changes[n-1].Seq+1 {
			r.errs = append(r.errs, "seq "+itoa(c.Seq)+" after "+itoa(r.changes[n-1].Seq))
		}
		r.changes = append(r.changes, c)
	}
}

func (r *recorder) all() []store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Change(nil), r.changes...)
}

func (r *recorder) last() store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.changes) == 0 {
		return store.Change{}
	}
	return r.changes[len(r.changes)-1]
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

func openRec(t *testing.T) (*store.Store, *recorder) {
	t.Helper()
	r := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: r.onChange})
	t.Cleanup(func() {
		for _, e := range r.errs {
			t.Errorf("OnChange order: %s", e)
		}
	})
	return s, r
}

func mustUser(t *testing.T, s *store.Store, u store.User) store.User {
	t.Helper()
	if _, err := s.CreateUser(&u, "test"); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Name, err)
	}
	return u
}

func mustTP(t *testing.T, s *store.Store, name string) store.TimeProfile {
	t.Helper()
	p := store.TimeProfile{Name: name, Intervals: []store.Interval{{Days: []time.Weekday{1, 2}, Start: "08:00", End: "18:00"}}}
	if err := s.CreateTimeProfile(&p); err != nil {
		t.Fatalf("CreateTimeProfile: %v", err)
	}
	return p
}

func mustApt(t *testing.T, s *store.Store, room int) store.Apartment {
	t.Helper()
	a := store.Apartment{Name: "apt", Address: store.Address{Building: 1, Unit: 1, Floor: 1, Room: room}}
	if err := s.CreateApartment(&a); err != nil {
		t.Fatalf("CreateApartment: %v", err)
	}
	return a
}

func mustCred(t *testing.T, s *store.Store, c store.Credential) store.Credential {
	t.Helper()
	if err := s.CreateCredential(&c); err != nil {
		t.Fatalf("CreateCredential(%s %q): %v", c.Type, c.Value, err)
	}
	return c
}

func wantConflict(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Field != field || !errors.Is(err, store.ErrConflict) {
		t.Errorf("%s: err = %v, want ConflictError{%q}", what, err, field)
	}
}

func wantRef(t *testing.T, what string, err error, field string, id uint64) {
	t.Helper()
	var re *store.RefError
	if !errors.As(err, &re) || re.Field != field || re.ID != id {
		t.Errorf("%s: err = %v, want RefError{%q, %d}", what, err, field, id)
	}
}
