package store_test

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// Users and credentials are stored in a compact form of their own; every
// field must come back as it went in.
func TestRecordsRoundTripEveryField(t *testing.T) {
	s, rec := openRec(t)
	tp := mustTP(t, s, "p")
	apt := mustApt(t, s, 1)
	// As a client sends it: an offset, no zone name (JSON has none).
	from, _ := time.Parse(time.RFC3339Nano, "2025-01-02T03:04:05.000000006+01:00")
	to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	u := store.User{
		ID: "0b8c5a34-6d0e-4f55-9bd4-2f3e8c1d9a77", ExtID: "HR-17", Name: "Grace Hopper", FirstName: "Grace",
		LastName: "Hopper", Info: "info", Notes: "notes", Tags: []string{"navy", "cobol"},
		Properties: map[string]string{"floor": "3", "desk": "B"}, Email: "g@example.org", Phone: "+1 555",
		State: store.StateDisabled, ValidFrom: &from, ValidTo: &to, Locks: store.LocksSecond,
		TimeProfiles: []uint64{tp.ID}, Apartments: []uint64{apt.ID}, AuthFactors: []string{"card", "pin"},
		CustomAccess: true, Security: true, ExtendedOpen: true,
	}
	if _, err := s.CreateUser(&u, "admin"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(u.ID)
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("user round trip:\n got %+v, %v\nwant %+v", got, err, u)
	}
	if got.ValidFrom.Format(time.RFC3339Nano) != from.Format(time.RFC3339Nano) {
		t.Errorf("valid_from = %s, want the client's offset kept: %s", got.ValidFrom.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	// UpdatedAt/UpdatedBy differ from the created ones after an update.
	upd, err := s.UpdateUser(u.ID, "other", func(x *store.User) error { x.Notes = "changed"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(u.ID); !reflect.DeepEqual(got, upd) || got.UpdatedBy != "other" || got.CreatedBy != "admin" {
		t.Errorf("after update:\n got %+v\nwant %+v", got, upd)
	}

	c := store.Credential{UserUID: u.UID, Type: store.CredLicensePlate, Value: "B-XY 123", Owner: store.OwnerGuest,
		OwnerName: "Visitor", Locks: store.LocksFirst, ValidFrom: &from, ValidTo: &to, MaxPasses: 9,
		TimeProfiles: []uint64{tp.ID}}
	if err := s.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	gc, err := s.GetCredential(c.ID)
	if err != nil || !reflect.DeepEqual(gc, c) {
		t.Errorf("credential round trip:\n got %+v, %v\nwant %+v", gc, err, c)
	}

	// Change payloads are copies: editing the caller's struct afterwards
	// must not reach what OnChange received.
	var last store.Change
	for _, ch := range rec.all() {
		if ch.Kind == store.KindUser && ch.User != nil {
			last = ch
		}
	}
	upd.Tags[0] = "edited"
	upd.Properties["floor"] = "edited"
	if last.User.Tags[0] != "navy" || last.User.Properties["floor"] != "3" {
		t.Errorf("change payload aliased the caller's user: %v %v", last.User.Tags, last.User.Properties)
	}
}

// UpdateUser is one read-modify-write transaction even when batched:
// 64 concurrent increments of one counter all land.
func TestUpdateUserIsAtomicUnderConcurrency(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Properties: map[string]string{"n": "0"}})
	const workers, each = 64, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := s.UpdateUser(u.ID, "", func(x *store.User) error {
					n, _ := strconv.Atoi(x.Properties["n"])
					x.Properties["n"] = strconv.Itoa(n + 1)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, _ := s.GetUser(u.ID)
	if got.Properties["n"] != strconv.Itoa(workers*each) {
		t.Errorf("counter = %s, want %d", got.Properties["n"], workers*each)
	}
}

// Batched creates, updates and unbatched deletes and cascades interleave;
// the change feed stays contiguous and in order (the recorder checks
// each delivery) and the indexes stay consistent (storetest checks).
func TestConcurrentMixedOperations(t *testing.T) {
	s, rec := openRec(t)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 10 {
				u := store.User{Name: fmt.Sprint("m", w, "-", i), Tags: []string{"mixed"}}
				if _, err := s.CreateUser(&u, ""); err != nil {
					t.Error(err)
					return
				}
				c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: fmt.Sprint(w*100 + i)}
				if err := s.CreateCredential(&c); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.UpdateUser(u.ID, "", func(x *store.User) error { x.Tags = append(x.Tags, "updated"); return nil }); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if err := s.DeleteUser(u.ID); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	// 160 creates + 160 credentials + 160 updates + 80 deletes each taking a credential with it.
	if got, want := len(rec.all()), 160*3+80*2; got != want || s.Seq() != uint64(want) {
		t.Errorf("%d change records, seq %d; want %d", got, s.Seq(), want)
	}
	page, _, err := s.ListUsers(store.UserFilter{Tag: "updated", Limit: 1000})
	if err != nil || len(page) != 80 {
		t.Errorf("ListUsers(tag updated) = %d users, %v; want 80", len(page), err)
	}
}
