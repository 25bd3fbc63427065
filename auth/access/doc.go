// Package access is the door engine: it decides at the door, from memory
// only, whether a presented credential opens a door.
//
//   - decide.go: the contract with the door runtime (Presentation,
//     Outcome, reason codes). ReasonReaderMode ("reader_mode"):
//     a reader's mode does not take this as a first factor.
//   - index.go, table.go: the credential index. Per-shard open-addressing
//     tables (256 card shards, 256 PIN shards) of 56-byte records that
//     carry the user's decision fields too, so a decision is one probe
//     under one shard read lock. A card bound to a format is keyed by its
//     value and format code, a plain number by its value; both hash by the
//     value alone, so a frame (payload + Presentation.Format) finds the
//     card bound to its format or the plain number in one walk of one run
//     (lookupCard; the store lets only one of the two exist); the writer copies a user's fields into
//     each of their credentials when either changes. No pointers in the
//     records: the GC never scans the index. ~120 bytes a credential at
//     1M users + 2M credentials, users included. The arrays by user and
//     credential id (dense) are slices per id range of 1<<32 (a fleet
//     controller's ids start at its number << 32), a map only for ids
//     far past their range's end.
//   - load.go: Load (a snapshot through store.ScanAccess: the decision
//     fields scanned from the stored records on every core, no snapshot
//     bucket or file to drift from them; 1–1.3 s at 1M users + 2M
//     credentials) and Follow (subscribe, load, replay the changes after
//     the snapshot's seq, then apply each commit). Apply applies change
//     records one by one; it never rebuilds. A load sizes its arrays once:
//     the user and location arrays from the highest ids, the shard tables
//     from the store's sample of the credentials (presize; a wrong
//     estimate only grows tables), and fills them directly, 256 at a time
//     with the batch's home slots read first (flushPending: the misses
//     overlap). The index is
//     published whole (swap) only when the load is complete: until then
//     decisions use the previous index, or, at start, none is made (the
//     doors start after the load).
//   - bigmem.go, huge_linux.go: a load's big pointer-free arrays advised
//     to transparent huge pages where the kernel has them (64-bit Linux,
//     THP "always" or "madvise"): ~100,000 page faults a 1M-user start
//     became ~20,000. The tables of a kind are then cut from one slab; a
//     table that grows out of it gives its old pages back to the kernel.
//   - engine.go: the policy and the reader sessions. Deny-first, in this
//     order: reader locked out; door disabled (door_mode, nothing looked
//     up); unknown credential; user disabled or archived; outside the
//     user's or the credential's validity; door locked down and the user
//     lacks Security (door_mode); lock not in the user's or the
//     credential's Locks (no_door_right when the user's are
//     store.LocksNone: no right in this controller's fleet groups,
//     door_not_permitted otherwise); outside the user's or the credential's schedule
//     (an empty list is no restriction; with profiles any open one
//     suffices; an unknown profile id grants nothing); passes used up.
//     A credential without a user (store UserUID 0) is in no user's list
//     and carries a fixed "no user" (stNoUser: no bounds, no schedule, both
//     locks, no factors, no Security), so the same rules read its own
//     fields; the policy looks at stNoUser only after the active-user test
//     has failed, so a user's credential pays nothing for it.
//     EngineConfig.Userless allows them (default) or denies them
//     (ReasonNoUser); a reader or factor that wants a later factor of the
//     same user refuses one (ReasonReaderMode). A move between users (one
//     credential record with a new UserUID) re-links it as that record is
//     applied; its unsaved pass spends stay, keyed by credential id.
//     An edit or a move that keeps the value replaces the record in its
//     shard in one locked write (only a new value is removed and added),
//     so a presentation meanwhile never finds the credential missing.
//     A door in DoorUnlocked mode is open anyway: presentations there
//     still decide normally, so events stay truthful.
//     Validity is exact: the index keeps whole seconds, valid_from rounded
//     up and valid_to down to the last second that ends at or before it,
//     so a decision is never granted a nanosecond outside the stored
//     bounds (a bound with a fraction costs up to a second, never gives
//     one). Absent state or locks (store.UserState "", store.Locks "")
//     read as disabled and no door.
//     Reader modes card, pin, card_and_pin (card, then the same user's PIN
//     within FactorTimeout) and card_or_pin, plus per-user factors
//     (CustomAccess + AuthFactors): the factors required are the reader's
//     and the user's together; a factor no reader delivers (qr, face…)
//     never arrives and times out. Each later factor re-reads the first
//     one and holds it to every rule again (deleted, given away, expired,
//     moved off the lock, out of schedule, used up: denied). Only the
//     first factor's passes are checked and spent. PIN keys buffer per
//     reader: '#' submits, '*' clears, PINTimeout after the last key drops
//     the entry (it is not submitted). Brute force: unknown PINs and wrong
//     second factors count per reader (ReaderLockout), whose lock refuses
//     keys only (cards still decide: wrong PINs must not lock a reader's
//     cards for everyone); a wrong PIN after a user's card also counts
//     for that user's PIN (PINLockout). Unknown cards never lock a
//     reader: CardBurst of them within its window set Outcome.CardBurst
//     once per window (the device layer's unknown_card_burst alarm), and
//     the window's later ones are Outcome.Quiet (denied without an event,
//     counted in Stats.QuietDenials): the throttle. Duress: the PIN with its last digit +
//     DuressOffset (mod 10) grants with Outcome.Duress; a PIN that is
//     someone's real PIN is theirs (real PINs win), except after a card,
//     when only the card holder's PIN and duress PIN count.
//   - spends.go: the spend-and-persist protocol for passes, owned here and
//     nowhere else. A grant of a limited credential reserves a pass (and a
//     slot of the spend queue; none free: denied pass_queue_full) and
//     reports Outcome.UsedPass; the door runtime Commits it when it acted
//     on the grant or Refunds it when it did not. Committed spends go to
//     the engine's own writer goroutine (EngineConfig.Passes: UsePass on
//     the store), and each stays "unsaved" until the store's record of it
//     (store.Change.PassSpent) arrives through the feed. The index's count
//     is always the store's last passes_left minus the unsaved spends, so
//     a record written before the spends reached the disk (a PATCH, any
//     write) never gives passes back, a deliberate new budget (max_passes
//     changed, passes reset) is honoured, and a reload (Load) lays the
//     unsaved spends over the new snapshot. Close writes every queued
//     spend; a crash loses those not yet on disk (milliseconds' worth),
//     which the store then allows again.
//   - schedule.go, schedule_rules.go: time profiles compiled to minute
//     bitmaps (weekly windows) and compact calendar rules (every N days
//     or weeks, month days, the nth weekday, months; RRULE semantics),
//     evaluated allocation-free on the local wall clock of the configured
//     zone (DST-correct).
//   - cardvalue.go: the one canonical value for a card (Wiegand payload
//     without parity, in decimal) and a PIN, so that a card imported from a
//     spreadsheet, one posted through the BAS-IP API and one presented at a
//     reader are the same number; FrameFormat, the format code of a decoded
//     frame (the card format table itself is the store's). A card bound to
//     a format matches only frames of that format and bit length; a plain
//     number matches frames of every format.
//
// Counters: Stats (index sizes, totals, lockouts) and Decisions (each
// reader's grants and denials by Reason, for the metrics), atomics that
// only the reader's goroutine adds to and a scrape only loads.
//
// access imports store types only and never calls the store from the door
// path: decisions come from memory and never wait on disk; only the pass
// writer goroutine calls PassStore.UsePass, after the grant.
package access
