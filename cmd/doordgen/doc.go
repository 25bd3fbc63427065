// Command doordgen fills a doord store with realistic synthetic users and
// credentials, for benchmarks and scale tests:
//
//	go run ./cmd/doordgen --data DIR --users 1000000 --cards-per-user 1 --pins-per-user 1
//
// It writes DIR/doord.db (the file `doord serve --data DIR` opens) through
// store.BulkLoadWith, --chunk users (and their credentials) per call so
// that memory stays bounded, with the next batch made while one loads,
// and the Go heap held under --mem-limit (a soft limit: the collector
// runs more often near it). Peak RSS, the file's mapped pages included,
// was 4.7 GB at 1M users with 250,000-user chunks and GOGC=400; see
// BENCHMARKS.md for today's. The data: names, emails,
// tags, a few time profiles (about a fifth of the users have one), some
// validity windows, some disabled and archived users, some limited-pass
// cards. Card values are unique 34-bit payloads (facility<<16 | number),
// PINs unique 8-digit numbers. The same --seed gives the same data, but
// for the users' ids: time-ordered (v7) uuids, as a client may supply,
// which BulkLoad appends to its uuid and ext_id indexes.
//
// The file is synced once at the end (BulkOptions.NoSync), not after
// every chunk: a power cut during the run can ruin it. --sync syncs every
// chunk, as a controller's own imports do.
package main
