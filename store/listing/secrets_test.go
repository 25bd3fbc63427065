package listing

import (
	"bytes"
	"testing"

	"github.com/doord/doord/store"
)

// TestIndexKeepsNoPIN: a PIN's digits are nowhere in the index's memory
// (its value column holds the mask), whether the PIN came from a snapshot
// or through the feed, so neither a filter nor a memory dump finds them.
func TestIndexKeepsNoPIN(t *testing.T) {
	const digits = "40718263"
	pin := store.ListCredential{ID: 1, UserUID: 1, Type: store.CredPIN, Value: digits, Locks: store.LocksBoth}
	x := New(fakeSource{creds: []store.ListCredential{pin}})
	if _, err := x.Sync(); err != nil {
		t.Fatal(err)
	}
	c := store.Credential{ID: 2, UserUID: 1, Type: store.CredPIN, Value: "55" + digits}
	x.Apply([]store.Change{{Seq: 2, Kind: store.KindCredential, ID: 2, Credential: &c}})
	tb := x.tables[Credentials]
	for i := range tb.texts {
		if bytes.Contains(tb.texts[i].buf, []byte(digits)) {
			t.Fatalf("text column %d holds a PIN's digits", i)
		}
	}
	p := tb.Page(Query{Limit: 10, Where: Contains{Cols: []Col{Text(CredValue)}, Sub: digits[2:6]}})
	if p.Total != 0 {
		t.Fatalf("a search for a PIN's digits found %v", p)
	}
	p = tb.Page(Query{Limit: 10, Where: Cmp{Col: Text(CredValue), Op: Eq, Text: store.MaskCredential("pin", digits)}})
	if p.Total != 2 {
		t.Fatalf("PINs by their mask: %v, want both", p)
	}
}

type fakeSource struct{ creds []store.ListCredential }

func (f fakeSource) Seq() uint64 { return 1 }
func (f fakeSource) ScanLists(v store.ListVisitor) (uint64, error) {
	v.Bounds(0, len(f.creds), 0, 0)
	for i := range f.creds {
		if err := v.Credential(&f.creds[i]); err != nil {
			return 0, err
		}
	}
	return 1, nil
}
