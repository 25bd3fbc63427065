package index

import (
	"bytes"
	"fmt"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Entry is one index key. Val is the record's id for unique indexes and
// nil for posting indexes (whose key already ends in the id).
type Entry struct {
	Bucket []byte
	Key    []byte
	Val    []byte
}

func (e Entry) String() string { return fmt.Sprintf("%s[%x]", e.Bucket, e.Key) }

// Buckets finds an index's bucket by name: a transaction (*bolt.Tx), or
// a set of buckets nested in one (a large import's stage in package
// store).
type Buckets interface {
	Bucket(name []byte) *bolt.Bucket
}

// Put writes every entry.
func Put(tx Buckets, es []Entry) error {
	for _, e := range es {
		v := e.Val
		if v == nil {
			v = []byte{}
		}
		if err := tx.Bucket(e.Bucket).Put(e.Key, v); err != nil {
			return fmt.Errorf("index %s: %w", e.Bucket, err)
		}
	}
	return nil
}

// Delete removes every entry.
func Delete(tx Buckets, es []Entry) error {
	for _, e := range es {
		if err := tx.Bucket(e.Bucket).Delete(e.Key); err != nil {
			return fmt.Errorf("index %s: %w", e.Bucket, err)
		}
	}
	return nil
}

// Replace swaps old's entries for new's, touching only keys that differ,
// so an update that changes one field rewrites one index key.
func Replace(tx Buckets, old, new []Entry) error {
	keep := make(map[string]bool, len(new))
	for _, e := range new {
		keep[string(e.Bucket)+"\x00"+string(e.Key)+"\x00"+string(e.Val)] = true
	}
	had := make(map[string]bool, len(old))
	var del []Entry
	for _, e := range old {
		k := string(e.Bucket) + "\x00" + string(e.Key) + "\x00" + string(e.Val)
		had[k] = true
		if !keep[k] {
			del = append(del, e)
		}
	}
	if err := Delete(tx, del); err != nil {
		return err
	}
	var put []Entry
	for _, e := range new {
		if !had[string(e.Bucket)+"\x00"+string(e.Key)+"\x00"+string(e.Val)] {
			put = append(put, e)
		}
	}
	return Put(tx, put)
}

// Has reports whether e is present with its value.
func Has(tx Buckets, e Entry) bool {
	v := tx.Bucket(e.Bucket).Get(e.Key)
	if v == nil {
		return false
	}
	if e.Val == nil {
		return len(v) == 0
	}
	return bytes.Equal(v, e.Val)
}

// Lookup returns the id a unique index maps key to.
func Lookup(b *bolt.Bucket, key []byte) (uint64, bool) {
	return keys.ParseU64(b.Get(key))
}

// Any reports whether a posting prefix has at least one entry.
func Any(b *bolt.Bucket, prefix []byte) bool {
	found := false
	Walk(b, prefix, 0, false, func(uint64) bool { found = true; return false })
	return found
}

// Walk calls fn with each id under prefix in increasing order, starting
// after id `after` when hasAfter, until fn returns false.
func Walk(b *bolt.Bucket, prefix []byte, after uint64, hasAfter bool, fn func(id uint64) bool) {
	c := b.Cursor()
	start := prefix
	if hasAfter {
		if after == ^uint64(0) {
			return
		}
		start = keys.Posting(prefix, after+1)
	}
	for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id, ok := keys.PostingID(prefix, k)
		if !ok {
			continue
		}
		if !fn(id) {
			return
		}
	}
}

// IDs collects every id under prefix. Callers that modify the bucket use
// this rather than Walk: bbolt cursors must not outlive a Put or Delete on
// their bucket.
func IDs(b *bolt.Bucket, prefix []byte) []uint64 {
	var ids []uint64
	Walk(b, prefix, 0, false, func(id uint64) bool { ids = append(ids, id); return true })
	return ids
}
