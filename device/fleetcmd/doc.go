// Package fleetcmd answers the fleet's door commands: NATS request/reply
// messages that open a door remotely or change a door's mode, addressed
// to one controller's door or to a door group.
//
// Subjects (site, controller and group are [A-Za-z0-9_-]+):
//
//	doord.<site>.cmd.controller.<controller>.open   {"door": "front", "by": "alice"}
//	doord.<site>.cmd.controller.<controller>.mode   {"door": "front", "mode": "locked_down", "by": "alice"}
//	doord.<site>.cmd.group.<group>.open             {"by": "alice"}
//	doord.<site>.cmd.group.<group>.mode             {"mode": "locked_down", "by": "alice"}
//
// A controller answers on its own subject for the door named in the body,
// and on the subject of every group of its configuration for all of its
// doors (each controller of the group answers: collect replies until a
// timeout). The answer is JSON: {"ok": true, "controller": …, "results":
// [{"door", "ok", "mode", "locked"} …]}, or {"ok": false, "error":
// {"code", "message"}} naming the problem (bad_request, unknown_command,
// bad_mode, unknown_door; per door: refused, not_persisted, unavailable).
//
// Why it looks the way it does:
//
//   - Who may command what is NATS's business: the action and the target
//     are in the subject, so an account's publish permissions (allow
//     doord.campus.cmd.group.lobby.>) authorize a manager for one group,
//     or for opening but not modes. The controller trusts what reaches
//     its subjects, as the HTTP routes trust a token's role.
//   - A command goes to the door runtime exactly as the HTTP door routes
//     send it (Open, SetMode: persisted before the answer, refused by a
//     locked_down or disabled door for an open), so it is audited the
//     same way: remote_open and mode_changed events whose operator is
//     "nats:" and the body's by (default: the subject), since NATS does
//     not tell the receiver who published.
//   - Bodies are strict as native API bodies are: an unknown field, a
//     wrong type or a bad value is refused with the field named; nothing
//     is half-applied because of a typo.
package fleetcmd
