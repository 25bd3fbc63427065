// Package index keeps the store's secondary indexes: buckets whose keys are
// derived from a record's fields and that are written in the same bbolt
// transaction as the record, so an index can never be ahead of or behind
// its records after a crash.
//
// Every record type computes its full list of Entries from one function;
// writing, deleting and checking all use that list, so there is one place
// that says what "indexed" means.
package index
