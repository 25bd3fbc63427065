package httpapi

import (
	"errors"
	"strings"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// The people search: GET /api/v1/users?q= answers from the in-memory list
// index (store/listing, the one the BAS-IP lists use) rather than by
// walking and decoding every user record: one substring search over the
// index's text buffers finds the matches at a million users in
// milliseconds, and only the page's users are read from the store.
//
// q matches, case-insensitively, a substring of name, first_name,
// last_name, email, phone, info, or an ext_id that was given (not the id
// it defaults to). Never a credential: no card number, no PIN. The answer
// and its cursor are ListUsers's: users in uid order, next_cursor the
// last uid of the page when more follow. With tag, apartment or
// time_profile the store's own indexes answer (ListUsers walks only that
// tag's, apartment's or profile's users); without q the store's uid order
// is a cursor walk already.

// listOrSearchUsers answers f from the index when it can, else the store.
func (s *Server) listOrSearchUsers(f store.UserFilter) ([]store.User, string, error) {
	if f.Q == "" || f.Tag != "" || f.Apartment != 0 || f.TimeProfile != 0 {
		return s.st.ListUsers(f)
	}
	after, hasAfter, err := store.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if strings.Contains(f.Q, listing.SearchSep) {
		return nil, "", nil // no single field holds the separator
	}
	x, err := s.basip.Lists()
	if err != nil {
		return nil, "", err
	}
	if x.Fresh(store.DefaultFeedWait) != nil {
		return nil, "", errListsBehind
	}
	where := listing.Pred(listing.Contains{
		Cols: []listing.Col{listing.Text(listing.UserName), listing.Text(listing.UserInfo), listing.Text(listing.UserSearch)},
		Sub:  f.Q,
	})
	if hasAfter {
		where = listing.And{L: listing.Cmp{Col: listing.ID, Op: listing.Gt, Num: int64(min(after, 1<<63-1))}, R: where}
	}
	if f.State != "" {
		where = listing.And{L: listing.OneOf{Col: listing.Small(listing.UserState), Nums: []int64{int64(listing.StateCode(f.State))}}, R: where}
	}
	n := f.Limit
	if n <= 0 {
		n = 50
	}
	p, err := x.Page(listing.Users, listing.Query{Sort: listing.ID, Limit: n + 1, Where: where})
	if err != nil {
		return nil, "", errListsBehind
	}
	users := make([]store.User, 0, min(n, len(p.IDs)))
	for _, uid := range p.IDs[:min(n, len(p.IDs))] {
		u, err := s.st.GetUserByUID(uid)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the page was cut
		}
		if err != nil {
			return nil, "", err
		}
		users = append(users, u)
	}
	var next string
	if len(p.IDs) > n {
		next = store.EncodeCursor(p.IDs[n-1])
	}
	return users, next, nil
}

var errListsBehind = errStatus(503, "the list index is being rebuilt; try again shortly")
