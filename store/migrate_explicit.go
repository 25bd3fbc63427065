package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrateExplicitAccess (schema 1 → 2) writes the access fields schema 1
// left out as defaults into every record: a user without a state was
// active and without locks opened both; a credential without locks opened
// both. From schema 2 on an absent value fails closed (codec.go), so the
// values are made explicit first and nothing that opened a door before
// stops doing so. The records are read through the stored form (userRec,
// credRec), not the decoders, which now read absence as disabled.
func migrateExplicitAccess(tx *bolt.Tx) error {
	for _, r := range explicitRewrites {
		if _, err := rewriteRecords(tx.Bucket(r.bucket), nil, 0, r.fn); err != nil {
			return fmt.Errorf("%s: %w", r.bucket, err)
		}
	}
	return nil
}

// explicitChunk is how many records preMigrateExplicitAccess rewrites in
// one transaction.
var explicitChunk = 10000

// preMigrateExplicitAccess does the rewriting ahead, explicitChunk records
// a transaction: an explicit default means to schema 1 what its absence
// did, so a file left half done by a crash is still a sound schema 1 file,
// and the next Open carries on. migrateExplicitAccess then finds nothing
// left to rewrite.
func preMigrateExplicitAccess(db *bolt.DB) error {
	for _, r := range explicitRewrites {
		var after []byte
		for more := true; more; {
			err := db.Update(func(tx *bolt.Tx) (err error) {
				b := tx.Bucket(r.bucket)
				if b == nil {
					after = nil // a new file: nothing to rewrite
					return nil
				}
				b.FillPercent = 0.9 // append-only ids (see appendOnly)
				after, err = rewriteRecords(b, after, explicitChunk, r.fn)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", r.bucket, err)
			}
			more = after != nil
		}
	}
	return nil
}

var explicitRewrites = []struct {
	bucket []byte
	fn     func([]byte) ([]byte, error)
}{
	// A binary record (recordcodec.go) was written by schema 4 or later,
	// where an absent value already fails closed: it is left as it is.
	{bUsers, func(data []byte) ([]byte, error) {
		if !isJSONRecord(data) {
			return nil, nil
		}
		var r userRec
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, err
		}
		if r.State != "" && r.Locks != "" {
			return nil, nil
		}
		r.State = orDefault(r.State, StateActive)
		r.Locks = orDefault(r.Locks, LocksBoth)
		return json.Marshal(r)
	}},
	{bCreds, func(data []byte) ([]byte, error) {
		if !isJSONRecord(data) {
			return nil, nil
		}
		var r credRec
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, err
		}
		if r.Locks != "" {
			return nil, nil
		}
		r.Locks = LocksBoth
		return json.Marshal(r)
	}},
}

// rewriteRecords replaces each record of b after key after (nil: from the
// first) for which fn returns new data (nil: keep it), at most limit
// records (0: all), and returns the last key it read when it stopped at
// the limit, nil when it reached the end. Records are collected first:
// bbolt forbids writing to a bucket under a live cursor.
func rewriteRecords(b *bolt.Bucket, after []byte, limit int, fn func([]byte) ([]byte, error)) (last []byte, err error) {
	type kv struct{ k, v []byte }
	var out []kv
	c := b.Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); k != nil && string(k) == string(after) {
			k, v = c.Next()
		}
	}
	n := 0
	for ; k != nil; k, v = c.Next() {
		if limit > 0 && n == limit {
			last = append([]byte(nil), out[len(out)-1].k...)
			break
		}
		n++
		nv, err := fn(v)
		if err != nil {
			return nil, fmt.Errorf("record [%x]: %w", k, err)
		}
		out = append(out, kv{append([]byte(nil), k...), nv})
	}
	for _, r := range out {
		if r.v == nil {
			continue
		}
		if err := b.Put(r.k, r.v); err != nil {
			return nil, err
		}
	}
	return last, nil
}
