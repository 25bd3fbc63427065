// Package listing is the lists' in-memory index: it answers "page N of
// size L of the rows matching filter F, sorted by field S ascending or
// descending, and how many rows match" for users, credentials,
// apartments and time profiles in milliseconds at a million users,
// without reading the store.
//
// Why here. The store owns the indexes (DESIGN.md: store owns buckets,
// indexes, the change feed); the lists of both HTTP dialects are its
// clients. This index follows the store's change feed like the door
// engine does (it is a store.Follower: Sync builds it from a snapshot,
// ScanLists, and Apply keeps it current), but it is a sub-package so
// that the store's core, which every binary and test links, does not
// carry it, and it imports only store's types and ScanLists.
//
// What it owns today:
//   - Table: one list's rows as compact columns indexed by a dense slot
//     (an id, lowered texts in one buffer per column, int64s, one-byte
//     codes), an order by id and one per sorted text column (blocked
//     sorted arrays of slots: order statistics in 4–5 bytes a row).
//   - Pred and its evaluation over sets of rows (bitmaps): comparisons
//     on the id and sorted texts are ranges of their orders; on ints and
//     codes, scans of one array; substring search is one bytes.Index
//     over a column's buffer; Func is the one per-row callback, for what
//     the columns cannot answer.
//   - Query/Page: a page and the exact count of matches.
//   - Index: the four tables, following the feed, with Fresh for
//     read-your-writes (a page waits until the index holds every commit
//     the store had acknowledged when it was asked for).
//
// The index keeps no PIN (a PIN's value column holds its mask) and no
// field the lists do not sort or filter on; a page's rows are read from
// the store by their ids. Memory per row is in Table's comment and the
// measured figures in BENCHMARKS.md.
package listing
