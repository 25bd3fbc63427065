// Package fleet is a controller's membership of its site's fleet on NATS
// JetStream (issue 15; README "Fleet"). It owns today:
//
//   - Config, the `[fleet]` section, and Dial: the NATS connection, which
//     never blocks the daemon's start and reconnects forever with backoff.
//
//   - The records in the KV bucket doord_<site> (keys.go: one key per
//     user, credential, time profile and apartment, one per user's right
//     in a door group, plus the controllers' numbers) and the watch
//     (sync.go) that applies them to the local
//     store in revision order through store.ApplyFleet: the same change
//     feed as API writes, so the door engine and the list index follow,
//     with the last revision saved in the same transaction. A store
//     without users or credentials is loaded in bulk, streamed in chunks
//     into a stage swapped in with the revision (store.FleetLoad: bounded
//     memory, no half list after a crash); a store with a revision resumes
//     after it, a store with records and no revision is brought to the
//     bucket and pruned. The connection and the watch come back about a
//     second after the server does (reconnect.go).
//
//   - The write gate (gate.go, store.FleetGate): the store's record
//     writes are published to the bucket with the revision they were
//     based on (a record changed since is a store.FleetConflictError, a
//     409) and answered once the watch applied them here. A write of
//     several records is one JetStream atomic batch (batch.go; needs
//     nats-server 2.12, checked when a session starts): all of it is in
//     the bucket or none of it.
//
//   - Applying batches whole: the watch (watch.go) is the KV watch with
//     the batch headers the server stores, and txn.go hands a batch to
//     store.ApplyFleet only once it is complete, which applies it in one
//     transaction or leaves all of it out.
//
//   - Door rights per group (rights.go; the store derives a user's
//     locks here in store/rights.go): a controller with groups watches
//     only its own groups' rights (keys.go watchKeys), writes a changed
//     locks to its home group (rights_group) and door_rights to any
//     group, a right of a group it does not watch as a blind write that
//     it does not wait to apply; group_locks limits a group to some of
//     its locks; a user's delete takes the user's rights in every group
//     with it (rights.go withDroppedRights). Without groups, a user's
//     locks apply everywhere.
//
//   - The offline rules (offline.go): record writes refused while the
//     watch is not live (store.ErrFleetOffline, a 503), and max_offline's
//     policy (keep, or deny_non_security through the engine's
//     SetRestricted), lifted by itself on reconnect.
//
//   - Generations (gen.go, store.FleetReplacer): an import larger than
//     one write (merge or replace) writes the whole new list into a new
//     bucket, with the door rights of the users it keeps (its own
//     groups' from the stage, other groups' copied from the current
//     bucket), and flips the `gen` key of the current one with a
//     stream-wide compare-and-set; a session loads a new generation as
//     a cold load does (sync.go load: by key prefix in chunks into a
//     stage, store.BeginFleetReplace) and swaps it in with one
//     transaction.
//
// Why ids are allocated per controller range rather than by the bucket:
// see store/fleet.go. Not here: the event stream and the NATS commands
// (store/fleet/eventpub, device/fleetcmd).
package fleet
