package store

import bolt "go.etcd.io/bbolt"

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
