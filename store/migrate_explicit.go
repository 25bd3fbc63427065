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
	users := tx.Bucket(bUsers)
	if err := rewriteRecords(users, func(data []byte) ([]byte, error) {
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
	}); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	creds := tx.Bucket(bCreds)
	if err := rewriteRecords(creds, func(data []byte) ([]byte, error) {
		var r credRec
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, err
		}
		if r.Locks != "" {
			return nil, nil
		}
		r.Locks = LocksBoth
		return json.Marshal(r)
	}); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	return nil
}

// rewriteRecords replaces each record of b for which fn returns new data
// (nil: keep it). Keys are collected first: bbolt forbids writing to a
// bucket under a live cursor.
func rewriteRecords(b *bolt.Bucket, fn func([]byte) ([]byte, error)) error {
	type kv struct{ k, v []byte }
	var out []kv
	err := b.ForEach(func(k, v []byte) error {
		nv, err := fn(v)
		if err != nil {
			return fmt.Errorf("record [%x]: %w", k, err)
		}
		if nv != nil {
			out = append(out, kv{append([]byte(nil), k...), nv})
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.FillPercent = 0.9 // append-only ids (see appendOnly)
	for _, r := range out {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}
