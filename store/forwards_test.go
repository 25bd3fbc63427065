package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A forward is created, replaced (BAS-IP: "If there is already forward
// rule with same forward_number it will be updated") and read back as
// written; each write is one change record of kind forward.
func TestForwardPutReplaceGet(t *testing.T) {
	rec := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: rec.onChange})
	if _, err := s.GetForward(23); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetForward on an empty store = %v, want ErrNotFound", err)
	}
	f := &store.Forward{Number: 23, Entities: []string{"100023", "sip:101@192.168.1.2"}}
	if err := s.PutForward(f); err != nil {
		t.Fatal(err)
	}
	if f.UpdatedAt.IsZero() {
		t.Error("UpdatedAt not set")
	}
	if err := s.PutForward(&store.Forward{Number: 23, Entities: []string{"5588"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetForward(23)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 23 || !reflect.DeepEqual(got.Entities, []string{"5588"}) {
		t.Fatalf("GetForward = %+v, want the replacement", got)
	}
	// An empty list is a rule with no numbers (SmartYard sends one for a
	// flat without SIP numbers).
	if err := s.PutForward(&store.Forward{Number: 24, Entities: nil}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetForward(24); got.Entities == nil || len(got.Entities) != 0 {
		t.Fatalf("empty forward read back as %#v, want []", got.Entities)
	}
	cs := rec.all()
	if len(cs) != 3 || cs[0].Kind != store.KindForward || cs[0].ID != 23 || cs[2].ID != 24 {
		t.Fatalf("change records = %+v", cs)
	}
}

func TestForwardValidation(t *testing.T) {
	s := storetest.Open(t)
	for _, e := range []string{"5588", "sip:101@192.168.1.2", "sip:192.168.1.2", "sip:100023@sip.example.com",
		"sip:9999@10.0.0.1:5060", "laskomex:12", "vizit:7"} {
		if err := s.PutForward(&store.Forward{Number: 1, Entities: []string{e}}); err != nil {
			t.Errorf("entity %q refused: %v", e, err)
		}
	}
	for _, tc := range []struct {
		f     store.Forward
		field string
	}{
		{store.Forward{Number: 0}, "forward_number"},
		{store.Forward{Number: 1 << 63}, "forward_number"},
		{store.Forward{Number: 1, Entities: []string{""}}, "forward_entity_list[0]"},
		{store.Forward{Number: 1, Entities: []string{"1", "12ab"}}, "forward_entity_list[1]"},
		{store.Forward{Number: 1, Entities: []string{"sip:"}}, "forward_entity_list[0]"},
		{store.Forward{Number: 1, Entities: []string{"sip:a b@host"}}, "forward_entity_list[0]"},
		{store.Forward{Number: 1, Entities: []string{"tel:5588"}}, "forward_entity_list[0]"},
		{store.Forward{Number: 1, Entities: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}}, "forward_entity_list"},
	} {
		err := s.PutForward(&tc.f)
		var ie *store.InvalidError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("PutForward(%+v) = %v, want invalid %s", tc.f, err, tc.field)
		}
	}
	if got, _ := s.GetForward(1); !reflect.DeepEqual(got.Entities, []string{"vizit:7"}) {
		t.Errorf("after refused writes forward 1 = %+v, want the last valid one", got)
	}
}

// Pages go in number order; a page past the end is empty, not an error;
// the total counts every forward.
func TestForwardPage(t *testing.T) {
	s := storetest.Open(t)
	page, total, err := s.ForwardPage(0, 10)
	if err != nil || total != 0 || page == nil || len(page) != 0 {
		t.Fatalf("empty store: page %v total %d err %v, want [] 0 nil", page, total, err)
	}
	for _, n := range []uint64{300, 5, 42, 7, 1000} {
		if err := s.PutForward(&store.Forward{Number: n, Entities: []string{"1"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		offset, limit int
		want          []uint64
	}{
		{0, 2, []uint64{5, 7}},
		{2, 2, []uint64{42, 300}},
		{4, 2, []uint64{1000}},
		{6, 2, nil},
		{0, 100, []uint64{5, 7, 42, 300, 1000}},
	} {
		page, total, err := s.ForwardPage(tc.offset, tc.limit)
		if err != nil || total != 5 {
			t.Fatalf("ForwardPage(%d, %d): total %d err %v", tc.offset, tc.limit, total, err)
		}
		var got []uint64
		for _, f := range page {
			got = append(got, f.Number)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ForwardPage(%d, %d) = %v, want %v", tc.offset, tc.limit, got, tc.want)
		}
	}
}

// Deleting numbers that have no forward is not an error; they are
// ignored and the count says how many were deleted.
func TestDeleteForwards(t *testing.T) {
	s := storetest.Open(t)
	if n, err := s.DeleteForwards([]uint64{1, 2}); n != 0 || err != nil {
		t.Fatalf("DeleteForwards on an empty store = %d, %v", n, err)
	}
	for _, n := range []uint64{1, 2, 3} {
		if err := s.PutForward(&store.Forward{Number: n}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteForwards([]uint64{2, 99, 3, 2}); n != 2 || err != nil {
		t.Fatalf("DeleteForwards = %d, %v; want 2 deleted", n, err)
	}
	if _, total, _ := s.ForwardPage(0, 10); total != 1 {
		t.Fatalf("%d forwards left, want 1", total)
	}
	if _, err := s.GetForward(2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted forward still there: %v", err)
	}
}

// Forwards are in a backup like everything else, and the restored file
// checks clean.
func TestForwardsInBackup(t *testing.T) {
	s := storetest.Open(t)
	if err := s.PutForward(&store.Forward{Number: 23, Entities: []string{"sip:101@192.168.1.2"}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if f, err := c.GetForward(23); err != nil || f.Entities[0] != "sip:101@192.168.1.2" {
		t.Fatalf("forward in the backup = %+v, %v", f, err)
	}
}
