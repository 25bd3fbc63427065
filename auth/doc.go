// Package auth decides. Every "may this happen?" in doord is answered here,
// as plain functions over store types, so that the HTTP layer and the door
// runtime ask the same code and tests can ask it without a database, a
// network or a board.
//
// It owns the operator side:
//
//   - password.go: operator passwords, argon2id in PHC strings. The
//     parameters live in each stored string so they can be raised later
//     without a migration (NeedsRehash); hashing is bounded to two at a time
//     because each one takes 19 MiB on a 512 MB board. DummyVerify makes an
//     unknown username cost as much as a wrong password; PasswordHashes
//     counts the hashes run (the cost the login throttles bound). A test
//     binary may lower the cost of new hashes with auth/authtest (the flag
//     is in auth/internal/hashcost); no other program can.
//   - token.go: bearer tokens for sessions, random and stored only as their
//     SHA-256, so a copied database opens nothing.
//   - totp.go: the optional second factor (RFC 6238).
//   - lockout.go: lockout after repeated failures, as pure functions over
//     store.Operator; the caller persists the result.
//   - unknownnames.go: the same lockout for usernames that are not
//     operators, kept in memory (salted hashes of the names, bounded), so
//     lockout answers do not tell which usernames exist.
//   - roles.go: which role may do which class of action, in one table.
//
// The door engine (credential index, access policy, schedules, card values,
// the spend-and-persist protocol and the change-feed follower) is the
// sub-package auth/access; it depends on store types only.
//
// auth imports store types only and never calls the store.
package auth
