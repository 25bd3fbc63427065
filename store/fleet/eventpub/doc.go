// Package eventpub publishes the event log to the fleet: every event of
// this controller goes to the JetStream stream DOORD_EVENTS_<site>, on
// the subject doord.<site>.events.<controller>, with the message id
// <controller>:<event seq>, its body the event's JSON as GET
// /api/v1/events shows it (credentials only ever masked).
//
// Why it looks the way it does:
//
//   - The event log is already on disk, numbered and bounded, so it is
//     the queue: the publisher keeps one number, the seq of the last
//     event the stream acknowledged (the cursor), and reads the log from
//     there. Offline, nothing is copied anywhere; the ring bound is the
//     queue bound. Events the ring evicts before they were published are
//     counted (Stats.Dropped) and reported once, in the log itself, by an
//     events_unpublished event that is then published like any other.
//     The first start (no cursor stored yet) publishes the whole ring and
//     stores its cursor at once, so what the ring lost before the fleet
//     was enabled is not counted, and what it loses after always is.
//   - The cursor is persisted in the store (setting fleet/events/cursor)
//     after acknowledgements, by a goroutine of its own, at most once per
//     PersistEvery: a crash may forget the last acknowledgements, and the
//     events after the persisted cursor are then published again with the
//     same message ids, which the stream's duplicate window discards. So
//     across restarts and reconnects nothing in the ring is lost and
//     nothing is stored twice, as long as a controller that crashed comes
//     back within the duplicate window (DuplicateWindow, 10 minutes).
//   - Order: one goroutine publishes the log in seq order, a window of
//     messages in flight at a time, and moves the cursor only over a run
//     of acknowledgements from its start. A failure publishes again from
//     the first unacknowledged event. The stream holds each controller's
//     events in seq order; the one exception is a message the server
//     loses while it stores later ones of the same window (a cluster
//     leader change): it is stored after them. The seq in the body and in
//     the message id tells a consumer the true order.
//   - The door path never waits on it: the log's Append is what the door
//     calls, and the publisher only reads the log (Query, which bbolt
//     serves beside the writer) and waits for its next commit
//     (EventLog.Committed), never on a channel the log could find full.
//     Persisting the cursor is a small store write off every door's way.
//   - While the connection is down it waits for the connection's status to
//     change rather than publishing into the client's reconnect buffer;
//     failures back off (100 ms doubling to 30 s) and reset on success.
//   - The stream: created when missing (file storage, the site's event
//     subjects, DuplicateWindow, MaxAge), otherwise only widened where the
//     publisher depends on it (its subject, the duplicate window), and
//     left as it is when this controller may not change streams.
package eventpub
