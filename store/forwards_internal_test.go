package store

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Check looks at the forwards too: a record under the wrong key, one
// that does not decode and one whose numbers BAS-IP would refuse are
// each named.
func TestCheckFindsBadForwards(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutForward(&Forward{Number: 1, Entities: []string{"5588"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("clean store: %v", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bForwards)
		b.Put(keys.U64(2), []byte(`{"number":3,"entities":[]}`))
		b.Put(keys.U64(4), []byte(`{`))
		b.Put(keys.U64(5), []byte(`{"number":5,"entities":["tel:1"]}`))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil {
		t.Fatal("Check found nothing")
	}
	for _, want := range []string{"forward 2: record says number 3", "forward 4:", "forward 5: forward_entity_list[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v\nwant it to name %q", err, want)
		}
	}
}
