package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// listFixture loads n users whose fields cycle through states, tags,
// apartments and time profiles, and returns them in UID order.
func listFixture(t *testing.T, s *store.Store, n int) (users []store.User, tps []store.TimeProfile, apts []store.Apartment) {
	t.Helper()
	tps = []store.TimeProfile{mustTP(t, s, "a"), mustTP(t, s, "b")}
	apts = []store.Apartment{mustApt(t, s, 1), mustApt(t, s, 2), mustApt(t, s, 3)}
	states := []store.UserState{store.StateActive, store.StateDisabled, store.StateArchived}
	for i := range n {
		u := store.User{
			Name:  fmt.Sprintf("Person %03d", i),
			State: states[i%3],
			Info:  map[bool]string{true: "Night SHIFT", false: ""}[i%5 == 0],
		}
		if i%2 == 0 {
			u.Tags = []string{"even"}
		}
		if i%4 == 0 {
			u.Tags = append(u.Tags, "four")
		}
		if i%7 != 0 {
			u.Apartments = []uint64{apts[i%3].ID}
		}
		if i%3 != 1 {
			u.TimeProfiles = []uint64{tps[i%2].ID}
		}
		users = append(users, u)
	}
	if err := s.BulkLoad(users, nil); err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	return users, tps, apts
}

func TestListUsersPaging(t *testing.T) {
	s := storetest.Open(t)
	users, tps, apts := listFixture(t, s, 230)
	tests := []struct {
		name string
		f    store.UserFilter
		want func(*store.User) bool
	}{
		{"all", store.UserFilter{}, func(*store.User) bool { return true }},
		{"state disabled", store.UserFilter{State: store.StateDisabled}, func(u *store.User) bool { return u.State == store.StateDisabled }},
		{"tag four", store.UserFilter{Tag: "four"}, func(u *store.User) bool { return slices.Contains(u.Tags, "four") }},
		{"apartment", store.UserFilter{Apartment: apts[1].ID}, func(u *store.User) bool { return slices.Contains(u.Apartments, apts[1].ID) }},
		{"time profile", store.UserFilter{TimeProfile: tps[0].ID}, func(u *store.User) bool { return slices.Contains(u.TimeProfiles, tps[0].ID) }},
		{"q name", store.UserFilter{Q: "PERSON 1"}, func(u *store.User) bool { return strings.HasPrefix(u.Name, "Person 1") }},
		{"q info", store.UserFilter{Q: "night shift"}, func(u *store.User) bool { return u.Info != "" }},
		{"q ext_id", store.UserFilter{Q: users[17].ExtID[:13]}, func(u *store.User) bool { return strings.HasPrefix(u.ExtID, users[17].ExtID[:13]) }},
		{"tag and state", store.UserFilter{Tag: "even", State: store.StateActive}, func(u *store.User) bool {
			return slices.Contains(u.Tags, "even") && u.State == store.StateActive
		}},
		{"apartment and q", store.UserFilter{Apartment: apts[2].ID, Q: "person 0"}, func(u *store.User) bool {
			return slices.Contains(u.Apartments, apts[2].ID) && strings.HasPrefix(u.Name, "Person 0")
		}},
		{"no match", store.UserFilter{Tag: "nobody"}, func(*store.User) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []uint64
			for i := range users {
				if tt.want(&users[i]) {
					want = append(want, users[i].UID)
				}
			}
			var got []uint64
			f := tt.f
			f.Limit = 7
			pages := 0
			for {
				page, next, err := s.ListUsers(f)
				if err != nil {
					t.Fatalf("page %d: %v", pages, err)
				}
				if len(page) > 7 {
					t.Fatalf("page %d has %d users, limit 7", pages, len(page))
				}
				for _, u := range page {
					got = append(got, u.UID)
				}
				pages++
				if next == "" {
					break
				}
				if pages > 100 {
					t.Fatal("paging does not end")
				}
				f.Cursor = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d users %v\nwant %d users %v", len(got), got, len(want), want)
			}
			if len(want) > 14 && pages < 3 {
				t.Errorf("%d users in %d pages of 7", len(want), pages)
			}
		})
	}
}

func TestListUsersLimitAndCursor(t *testing.T) {
	s := storetest.Open(t)
	listFixture(t, s, 60)
	for _, tt := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {3, 3}, {5000, 60}} {
		page, _, err := s.ListUsers(store.UserFilter{Limit: tt.limit})
		if err != nil || len(page) != tt.want {
			t.Errorf("Limit %d: %d users, %v; want %d", tt.limit, len(page), err, tt.want)
		}
	}
	// Exactly one full page: no next cursor.
	if _, next, _ := s.ListUsers(store.UserFilter{Limit: 60}); next != "" {
		t.Errorf("next = %q after the last user, want \"\"", next)
	}
	for _, c := range []string{"garbage!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, _, err := s.ListUsers(store.UserFilter{Cursor: c}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", c, err)
		}
		if _, _, err := s.ListTimeProfiles(c, 0); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListTimeProfiles cursor %q: err = %v, want ErrBadCursor", c, err)
		}
	}
}
