// Package device is the door runtime: it turns what the board reports
// into decisions, relay timing, reader feedback, alarms and events.
//
//	board.Read ──► dispatch ──► door inbox ──► door goroutine: Decider.Present ──► SetRelay ──► Commit/Refund pass ──► LED/buzzer ──► Emit
//	board.InputEvent ──► dispatch ─┘  (ordered by event time)   contact / REX / tamper ──► relay, alarms ──► Emit
//	SetMode, SetSchedule, EmergencyOpen/Close, Open (HTTP) ──► ModeStore (durable) ──► door goroutine (waits until applied)
//
// It owns what happens between a decision and the world: how long a
// relay stays unlocked, whether an opening was authorized, when an open
// door becomes an alarm, what the reader shows. It does not decide (auth/access
// does, through Decider), does not touch pins (board does, through
// Board), and never waits on disk or network (EventSink and PassRecorder
// must not block). The interfaces where those begin are small so that
// tests run on fakes inside testing/synctest, where a 30-second door
// cycle takes microseconds.
//
// # Goroutines and latency
//
// One goroutine per door owns all of that door's state; there are no
// locks in the door path but the inbox's. Two dispatchers route the
// board's shared channels to the doors by reader and door id, into each
// door's inbox (inbox.go): one queue of reads and input changes ordered
// by the read's or edge's timestamp, which never makes a dispatcher wait
// (bounded: a stuck door loses its oldest reads, not the other doors'
// service). The door decides on each message's own time, so a report
// that arrived late is judged as of when it happened.
// On a read the door goroutine asks the Decider and, on a grant, writes
// the relay at once, in the same goroutine; feedback, the pass countdown
// and events come after. Every timer (relock, held open, second-factor
// deadline, feedback, relay retry) is a deadline in the door's state; one
// time.Timer is re-armed for the earliest after each step, so an idle
// door costs nothing and nothing polls (but for a door with an unlock
// schedule, which reads it again once a minute to follow a wall-clock
// step: modes.go). The API reads a snapshot that the
// door goroutine publishes atomically after each step (Doors, Door).
//
// # Authorized openings, forced and held doors
//
// A grant, an exit button press or a remote open authorizes an opening
// for the unlock time (ExtendedUnlockTime for extended-open users); the
// unlocked mode authorizes any. A contact that opens without one raises
// door_forced until it closes (door_forced_cleared, door_closed). An
// authorized opening starts the held-open clock (HeldOpenTime, longer by
// ExtendedUnlockTime-UnlockTime after an extended grant):
// door_held_prealarm at HeldOpenTime-PreAlarmTime, door_held at
// HeldOpenTime, both cleared by door_held_cleared when the door closes.
// With RelockOnClose the relay locks as soon as the door closes after
// having opened, and a second opening is then forced. The exit button
// authorizes an opening even when it does not unlock (REXUnlocks off:
// mechanical egress through a lever handle is not a forced door). Tamper
// raises tamper until tamper_cleared.
//
// The board reports every input once at start. That first report is the
// state, not a change: an exit button pressed at start opens nothing; a
// door open at start is not called forced (we cannot know) but is timed
// as held open; tamper active at start raises tamper.
//
// # Modes (ONVIF / Axis access point states)
//
// modes.go: who sets the mode (an operator over the API, persisted
// through ModeStore before it applies; the config; an unlock schedule
// with optional first-card unlock), their precedence, and the boot order
// (nothing unlocks before the whole runtime is up). emergency.go: an
// emergency open (BAS-IP's), a door held unlocked for a given time that
// ends by itself, persisted like a mode and resumed after a restart only
// while it still has time left by a clock that can be trusted.
//
//	normal       locked; credentials open it for the unlock time
//	unlocked     relay held unlocked until the mode changes; no held-open alarm
//	locked_down  relay locked; the engine admits only security users (Presentation.DoorMode),
//	             who get an ordinary momentary open; remote open refused
//	disabled     relay locked; no credential opens it, even if the engine says so
//	             (deny on doubt); remote open refused
//
// Leaving unlocked, or entering locked_down or disabled, locks at once,
// cutting short a momentary unlock. Leaving unlocked with the door open
// starts the held-open clock. The exit button works in every mode,
// locked_down and disabled included: egress is a life-safety function
// (building codes require free egress) and the runtime never traps anyone
// inside. Installers who must not unlock on REX set REXUnlocks off.
//
// # Learning a card
//
// learn.go: NextCard waits for the next card read on a reader for the
// API's learn route. The dispatcher hands the door its read first, then
// a copy to the learners without waiting; the read is decided and logged
// as any other.
//
// # Reader feedback
//
// See feedback.go: LED on (green) while the door is unlocked, a short beep
// on a grant; LED held off (red) and a one-second beep on a denial; the
// LED blinks while a second factor is awaited. A duress grant looks
// exactly like a grant (the duress event is silent).
//
// # Safety
//
//   - Deny on doubt: a relay unlock that fails becomes a lock; a lock that
//     fails is retried (100 ms, doubling to 5 s) until it works, and the
//     door reports Locked=false and relay_fault meanwhile; a bad read
//     never opens, whatever the engine says.
//   - New drives every relay locked before any goroutine starts.
//   - Close stops every goroutine, each door locking its relay and turning
//     its reader outputs off, then calls Board.Secure.
//   - A panic in a door goroutine (engine, sink, a bug here) is recovered:
//     Board.Secure locks every relay, the panic is logged with its stack,
//     the door stays locked and out of service (door_fault, ErrFault)
//     until the process restarts, and the other doors drive their relays
//     again (one in unlocked mode unlocks again). We stop the door rather
//     than re-panic so that the other doors keep working; no relay is
//     unlocked in between. The faulted door's goroutine then runs only
//     its exit path (egress.go): the exit button still unlocks for the
//     unlock time. Life safety first.
//     Door goroutines start through board/fault (fault.Go), and the
//     state machine and the exit path recover through fault.Recover: the
//     process's fault handler runs first (in doord the supervisor, which
//     locks every relay and ends the process), then this door's reaction.
//   - Alive probes every door goroutine through its inbox within a bound
//     (doord's systemd watchdog heartbeat depends on it).
//
// # Events
//
// access_granted, access_denied (Reason: access.Reason names), duress,
// lockout, unknown_card_burst, rex, remote_open, mode_changed, emergency_open and
// emergency_closed (Operator), door_opened,
// door_closed, door_forced(_cleared), door_held_prealarm, door_held(_cleared),
// tamper(_cleared), relay_fault(_cleared), door_fault. Events carry no
// credential value: a card is described by its masked value (the last
// digits, store.MaskCredential), format and bit length; a PIN by nothing.
package device
