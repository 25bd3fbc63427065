// Package store is doord's database: one bbolt file holding users,
// credentials, time profiles, apartments, operators, sessions, call
// forwarding rules and settings. It owns the schema (buckets and the keys in them), the
// secondary indexes, schema migrations, the store sequence number and the
// change feed, the event log, backup and restore of the whole file, and
// import and export of the user list.
//
// Why it looks the way it does:
//
//   - bbolt, because doord is one static binary on a small ARM board: no
//     server, no cgo, crash-safe copy-on-write pages, readers that never
//     block the writer. Its costs shape the rest: every commit is an
//     fsync, and there is one writer at a time.
//   - Writes from HTTP are group-committed (commit.go): a write that finds
//     no commit in flight commits at once, and the writers that arrive
//     during a commit share the next one, so 64 clients creating users at
//     once share a handful of fsyncs and a lone client waits for no
//     window (bbolt's db.Batch waited 2 ms for company). As with Batch, a
//     write function may run twice; every write function here derives its
//     result from the transaction alone, one that fails before writing
//     does not spoil the group for the others (see wtx), and one that
//     fails after writing re-runs alone while the others commit.
//   - Records are JSON under big-endian uint64 keys (numeric order is key
//     order; appends are cheap). Users and credentials use a binary stored
//     form of their own (recordcodec.go, schema 4; the compact JSON of
//     codec.go that schemas 1-3 wrote is still read) so that a million
//     users, two million credentials and a million events fit under the
//     1 GB map step of 32-bit ARM (BENCHMARKS.md "Stored size at a
//     million"; cmd/doordspace shows where a file's bytes go). Every secondary index is a bucket written in
//     the same transaction as its record, from one function per record type
//     that lists the record's index entries; Check recomputes those lists
//     and compares them with the buckets both ways.
//   - Lists page by an opaque cursor (the last key) and filter by walking
//     an index, so a page costs the page even at a million users. Lists
//     that page by number and sort by a field (BAS-IP's) use the in-memory
//     list index of the sub-package store/listing, a Follower built from
//     ScanLists (listscan.go: a snapshot of the fields lists sort and
//     filter on, read by the access scanner's readers of both forms).
//   - ScanAccess (access.go): the door engine's snapshot, read on every
//     core in spans of ids from each bucket's first key (empty runs of
//     ids skipped, so a fleet controller's range costs nothing below it),
//     with the highest ids and a sampled estimate of the card and PIN
//     credentials first, so that the engine sizes its arrays once.
//   - Every committed write of a user, credential, time profile, apartment,
//     operator or setting gets the next store sequence number, persisted in
//     the same transaction, and a Change record. Subscribers (Follow for
//     a Follower that rebuilds its state from a snapshot, like the access
//     engine; Subscribe or Options.OnChange for a plain callback) receive
//     them after the commit, in sequence order, each on a goroutine and a
//     bounded queue of its own (feed.go): a subscriber that panics is
//     recovered, counted (FeedStats) and resynced; one that falls behind
//     is resynced instead of growing a backlog; a writer waits for its
//     records' delivery at most Options.FeedWait. A Follower that is also
//     a Skipper is handed the records a resync's snapshot already held
//     (and the PassSpent records of a dropped queue), so the engine can
//     confirm its own pass spends. No subscriber can stop the feed, stall
//     commits, or end the process.
//   - Credential values are unique by rules a reader can tell apart
//     (checkValueConflict, in the write's transaction; BulkLoad applies the
//     same rules): a value within its type; a card per format when it has
//     one (cardformat.go owns the card format table the access engine uses
//     too), a plain card number against every format of that number; with
//     Options.DuressOffset, no PIN is another PIN's duress PIN. Records
//     written before cards had formats read as plain numbers, with no
//     migration.
//   - Keys (uids, credential ids) are allocated from the record bucket's
//     sequence inside the transaction that stores them. A bulk load's
//     preset keys ahead of the sequence are held for it from its start
//     (bulkhold.go): every other allocation skips them, so a load never
//     fails on a key a concurrent create was handed.
//   - UsePass commits one Change marked PassSpent for every existing
//     credential it is called for (spent, refused or unlimited): the door
//     engine counts a pass as unsaved until that record reaches it.
//   - Access fields fail closed: a user's state and locks and a
//     credential's locks are always stored, and a record without them
//     reads as disabled / no door (codec.go).
//   - The schema version lives in the file; Open runs pending migrations in
//     one transaction and refuses files from a newer doord. Schema 2
//     (migrate_explicit.go) wrote schema 1's implicit access defaults in.
//     Schema 3 (migrate_userless.go) added credentials without a user and
//     the credentials_by_apt index, and turned the BAS-IP dialect's holding
//     user and alias settings into native credentials without a user (a
//     moved identifier back under its first id). Schema 4 rewrites
//     nothing: it marks a file whose users and credentials may be binary
//     (each JSON record is rewritten binary when it next changes), so an
//     older doord refuses it instead of reading them as corrupt.
//   - The event log (events*.go) posts an event under its type, door and
//     user uid (a uuid only for an event without a uid): a query by uuid
//     finds the uid through users_by_id.
//   - A credential may have no user (UserUID 0, posted under user 0 in
//     credentials_by_user, so "without a user" is an index walk) and may
//     belong to an apartment (which must exist; DeleteApartment clears it
//     in the same commit, as it clears users' lists). MoveCredential gives
//     one to another user, or to none, in one commit and one change
//     record that keeps its id and passes; UpdateCredential never changes
//     the user. ListCredentialPage pages all credentials by cursor,
//     filtered through the user or apartment index.
//   - Open never waits forever for the file lock: a second doord on the
//     same file fails fast with ErrLocked.
//   - Backups are bbolt's tx.WriteTo of one read transaction (backup.go):
//     Snapshot copies to an unlinked local file first, so that a slow
//     network reader never holds the transaction that a growing commit
//     must wait for. Restore (restore.go) takes the live file's lock,
//     checks a copy of the backup (length against its header, Open, Check)
//     before swapping it in, and keeps the old file. The TOTP key file is
//     not in the store, so not in a backup.
//   - Import (import.go) brings a list of users in by ext_id (merge or
//     replace). The whole file is validated first against a read
//     snapshot, every bad row reported by line and field, and a file with
//     any writes nothing. Up to importChunk rows (10,000) it is then
//     written in one transaction, validated again inside it: atomic, one
//     commit for the feed, nothing left by a failure. A larger one (one
//     bbolt transaction holds all its dirty pages in memory: a million
//     users with their credentials would be about a gigabyte, twice what
//     the board has) is written into a stage, a copy of the users' and
//     credentials' buckets, in transactions of importChunk rows that
//     nobody sees, and swapped in by one transaction (MoveBucket) whose
//     one change record, Change.Reset, resyncs every Follower
//     (importstage.go): all or nothing at any size. A write by someone
//     else to the users and credentials meanwhile fails the import
//     (ErrImportConflict), but for spent passes, which are carried over.
//     Memory: the file, its ext_ids and the keys of the values it adds,
//     each pass reading the caller's source once, a few batches ahead on
//     another goroutine, the rows' fields checked by a worker per core
//     (importrows.go; about 150 bytes a row besides the file).
//     ExportUsers (export.go) copies users and their credentials a page
//     per read transaction, none held while the caller writes, and
//     decodes the pages on a worker per core, a few ahead of the caller.
//   - Door settings made over the API (a door's mode, its unlock
//     schedule) are settings under "door/<id>" (doormodes.go), each
//     written in a commit of its own before the API answers, so that a
//     lockdown survives a crash; an emergency open in effect is part of
//     that setting (emergency.go).
//   - Call forwarding rules per flat, kept for BAS-IP provisioning and
//     never dialled, are records in a bucket of their own keyed by the
//     flat number (forwards.go), created by the first write.
//   - Only an absent file makes a new store. A damaged one (empty,
//     truncated, bad header or freelist, a page failing the quick check)
//     is refused with a DamagedError, and every transaction turns bbolt's
//     panics and faults on a bad page into one (damage.go): the request
//     fails, the store reports Degraded, the process lives on. Check is
//     the full check behind `doord check --store`.
//   - Fleet mode (fleet.go, driven by store/fleet): with a FleetGate set,
//     a write of users, credentials, time profiles or apartments runs in
//     a transaction that is rolled back, and its records go to the
//     fleet's bucket instead; they come back through ApplyFleet, which
//     commits them with the fleet revision they carry. Local records
//     (operators, sessions, settings, pass spends) commit as usual.
//     Record ids are allocated in the controller's range of 1<<32
//     (SetFleetIDBase), and Check compares a record bucket's sequence
//     only with the ids of its own range. ApplyFleet applies a batch
//     (FleetOp.Batch) whole or leaves it out whole. A replace import
//     hands its staged list to a FleetReplacer instead of swapping it
//     in (with the door rights: the stage holds them too), and a new
//     generation of the fleet's list is loaded into an empty stage and
//     swapped in (BeginFleetReplace, fleetgen.go), with its generation
//     (FleetGen) and revision in the same transaction. A cold start's
//     load of the bucket (FleetLoad, fleetload.go) streams users and
//     credentials in chunks into an import stage and swaps it in the
//     same way; a new generation's load is a FleetLoad too.
//   - Door rights per group in fleet mode (rights.go, SetFleetRights):
//     a user's rights in this controller's groups (bucket fleet_rights,
//     created on first use) and their site-wide grant, from which the
//     user's stored Locks here are derived (LocksNone: no door here), so
//     the door engine and the list index follow a right like any user
//     edit; API writes turn a changed Locks and DoorRights into right
//     records (KindRight) for the fleet's bucket.
//
// For the metrics it counts and reports without owning any: FeedStats,
// SessionCount (the sessions bucket alone) and Options.ObserveCommit,
// which hears each committed write's duration.
//
// Errors are sentinels (ErrNotFound, ErrArchived, ErrDiskFull, …) and
// typed errors (ConflictError, RefError, InvalidError) for errors.Is and
// errors.As; the HTTP layer maps them to statuses.
package store
