package basip_test

import (
	"bytes"
	"testing"
)

// Time profile and apartment lists answer at every documented path with
// the same body as doord's /list: …/items (android-panels
// get-time-profiles-list and get-apartments-list; camdroid-panels
// get-apartment-items), …/items/list (multi-apartment panels API 1.x,
// /api/v0, as its RapidAPI description lists them).
func TestBasipListPathsAnswerAlike(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"unit":2,"floor":3,"room":12},"apartment_name":"12A"}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/access/timeprofile", tok, `{"name":"Daily","time_options":{"is_all_day":true,"date_from":1772409600,"date_to":1772409600},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"}}}`).bwant(200, "")
	for _, tc := range []struct {
		base  string
		paths []string
	}{
		{"/api/v1/apartment/list", []string{"/api/v1/apartment/items", "/api/v1/apartment/items/list", "/api/v0/apartment/items/list"}},
		{"/api/v1/access/timeprofile/list", []string{"/api/v1/access/timeprofile/items", "/api/v1/access/timeprofile/items/list",
			"/api/v1/access/timeprofiles/items", "/api/v0/access/timeprofile/items/list", "/api/v0/access/timeprofiles/items/list"}},
	} {
		want := e.do("GET", tc.base+"?limit=10&page_number=1", tok, "").bwant(200, "").body
		if !bytes.Contains(want, []byte(`"total_items":1`)) {
			t.Fatalf("%s: %s, want one item", tc.base, want)
		}
		for _, p := range tc.paths {
			if got := e.do("GET", p+"?limit=10&page_number=1", tok, "").bwant(200, "").body; !bytes.Equal(got, want) {
				t.Errorf("%s answered\n  %s\nwant what %s answers\n  %s", p, got, tc.base, want)
			}
		}
	}
}
