// Package keys encodes bbolt keys for the store.
//
// Integer ids are big-endian uint64 so that bbolt's byte order is numeric
// order: a cursor walk is a walk by id, and appending with NextSequence
// writes to the right edge of the B+tree (cheap splits, dense pages).
//
// Non-unique secondary indexes are "posting" keys: a prefix naming the
// indexed value followed by the 8-byte id, with an empty value. Walking one
// value's entries is a prefix seek, ordered by id, which is what paging
// needs. String prefixes carry their length (uvarint) first so that one
// value's prefix can never be the start of another value's prefix ("ab"
// and "a" followed by an id starting with 'b' would otherwise interleave).
package keys
