package store

import (
	"testing"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Test hooks, compiled only into this package's tests.

// AddMigrationForTest appends a migration to the table until restore.
func AddMigrationForTest(to int, fn func(*bolt.Tx) error) (restore func()) {
	saved := migrations
	migrations = append(migrations[:len(migrations):len(migrations)], migration{to: to, fn: fn})
	return func() { migrations = saved }
}

// RawUpdateForTest writes to the bbolt file behind the store's back, to
// corrupt it on purpose.
func RawUpdateForTest(s *Store, fn func(*bolt.Tx) error) error { return s.db.Update(fn) }

var (
	BucketMeta        = bMeta
	KeySchemaVersion  = kSchemaVersion
	BucketUserByExtID = bUserByExtID
	BucketUserByTag   = bUserByTag
	BucketCredByValue = bCredByValue
	BucketUsers       = bUsers
)

var DiskFullForTest = diskFull

var BucketCreds = bCreds

// SetExplicitChunkForTest sets how many records the schema 2 migration
// rewrites a transaction until restore.
func SetExplicitChunkForTest(n int) (restore func()) {
	saved := explicitChunk
	explicitChunk = n
	return func() { explicitChunk = saved }
}

// PageOfForTest is the first page of a top-level bucket and the file's
// page size, so a test can damage exactly a page the store reads.
func PageOfForTest(s *Store, bucket []byte) (pgid uint64, pageSize int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		pgid = uint64(tx.Bucket(bucket).Root())
		return nil
	})
	return pgid, s.db.Info().PageSize, err
}

// RawOperatorForTest is the operator's record as the file holds it.
func RawOperatorForTest(s *Store, id uint64) (raw []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		raw = append([]byte(nil), tx.Bucket(bOperators).Get(keys.U64(id))...)
		return nil
	})
	return raw, err
}

// PutRawOperatorForTest writes an operator record as is, as a build
// before TOTP encryption did.
func PutRawOperatorForTest(s *Store, id uint64, raw []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bOperators).Put(keys.U64(id), raw) })
}

// SetImportChunkForTest sets how many rows an import writes per
// transaction until restore.
func SetImportChunkForTest(n int) (restore func()) {
	saved := importChunk
	importChunk = n
	return func() { importChunk = saved }
}

// SetImportWriteHookForTest makes every row's write call fn first until
// restore.
func SetImportWriteHookForTest(fn func() error) (restore func()) {
	importWriteHook = fn
	return func() { importWriteHook = nil }
}

// SetBulkChunkForTest makes BulkLoad's chunks n users (and 2.5n
// credentials) until the test ends, so a test crosses chunk boundaries
// with a few thousand records instead of 50,000.
func SetBulkChunkForTest(t testing.TB, n int) { setBulkChunk(t, n) }

// JSONRecordForTest is a stored user or credential record in the JSON
// form of schemas 1 to 3, whichever form raw is in.
func JSONRecordForTest(bucket []byte, id uint64, raw []byte) ([]byte, error) {
	if isJSONRecord(raw) {
		return raw, nil
	}
	switch string(bucket) {
	case string(bUsers):
		u, err := decodeUser(id, raw)
		if err != nil {
			return nil, err
		}
		return encodeUserJSON(&u)
	case string(bCreds):
		c, err := decodeCredential(id, raw)
		if err != nil {
			return nil, err
		}
		return encodeCredentialJSON(&c)
	}
	return raw, nil
}

// RewriteJSONForTest rewrites every user and credential in the JSON form
// of schemas 1 to 3, as a file written before schema 4 holds them.
func RewriteJSONForTest(s *Store) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bUsers, bCreds} {
			b := tx.Bucket(name)
			type kv struct{ k, v []byte }
			var out []kv
			err := b.ForEach(func(k, v []byte) error {
				id, _ := keys.ParseU64(k)
				j, err := JSONRecordForTest(name, id, v)
				out = append(out, kv{append([]byte(nil), k...), j})
				return err
			})
			if err != nil {
				return err
			}
			for _, r := range out {
				if err := b.Put(r.k, r.v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// StoredFormForTest is "json" or "binary": the form user or credential
// id is stored in.
func StoredFormForTest(s *Store, bucket []byte, id uint64) (form string) {
	s.db.View(func(tx *bolt.Tx) error {
		form = "binary"
		if isJSONRecord(tx.Bucket(bucket).Get(keys.U64(id))) {
			form = "json"
		}
		return nil
	})
	return form
}

// SetExportPageForTest sets how many users ExportUsers reads per
// transaction until restore.
func SetExportPageForTest(n int) (restore func()) {
	saved := exportPage
	exportPage = n
	return func() { exportPage = saved }
}
