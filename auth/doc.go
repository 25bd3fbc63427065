// Package auth decides. Every "may this happen?" in doord is answered here,
// as plain functions over store types, so that the HTTP layer and the door
// runtime ask the same code and tests can ask it without a database, a
// network or a board.
//
// Today the package owns the operator side and the shape of credentials:
//
//   - password.go: operator passwords, argon2id in PHC strings. The
//     parameters live in each stored string so they can be raised later
//     without a migration (NeedsRehash); hashing is bounded to two at a time
//     because each one takes 19 MiB on a 512 MB board. DummyVerify makes an
//     unknown username cost as much as a wrong password.
//   - token.go: bearer tokens for sessions, random and stored only as their
//     SHA-256, so a copied database opens nothing.
//   - totp.go: the optional second factor (RFC 6238).
//   - lockout.go: lockout after repeated failures, as pure functions over
//     store.Operator; the caller persists the result.
//   - roles.go: which role may do which class of action, in one table.
//   - cardvalue.go: the one canonical value for a card (Wiegand payload
//     without parity, in decimal) and a PIN, so that a card imported from a
//     spreadsheet, one posted through the BAS-IP API and one presented at a
//     reader are the same index key.
//
// Later it will own the in-memory credential index and the access policy
// (door modes, locks, schedules, validity), fed by the store's change
// records. That is why auth imports store types only and never calls the
// store: the door path decides from memory and must not wait on disk.
package auth
