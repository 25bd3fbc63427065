package basip

import (
	"strconv"
	"time"

	"github.com/doord/doord/httpapi/core"

	"github.com/doord/doord/store"
)

// Remote open and the event log in BAS-IP's terms.

// basipRemoteOpen is GET /api/v1/access/general/lock/open/remote/accepted/{lock}:
// the doors lock number 0–8 names (emergency.go: lockDoors) open through
// the door runtime (a remote momentary open for the door's unlock time,
// logged by the runtime as remote_open naming the operator: BAS-IP's
// access_granted_by_api_call).
func (s *Dialect) basipRemoteOpen(r *core.Request) error {
	if s.doors == nil {
		return bErr(503, msgDoorsNotRunning)
	}
	n, err := strconv.ParseInt(r.Param("lock"), 10, 64)
	if err != nil {
		return bErr(400, msgLockIndexes)
	}
	ids, err := s.lockNumber(n)
	if err != nil {
		return err
	}
	opened := 0
	var refused error
	for _, id := range ids {
		if err := s.doors.Open(id, r.Op.Username); err != nil {
			refused = err
			continue
		}
		opened++
		s.log.Info("remote open (BAS-IP)", "door", id, "by", r.Op.Username)
	}
	if opened == 0 {
		return bErr(400, "Lock cannot be opened: "+refused.Error())
	}
	return basipOK(r, basipEmpty)
}

// basipEventNames maps native event types to BAS-IP's log events. Access
// denials are split by reason in basipEventName; types without a BAS-IP
// counterpart keep their native name.
var basipEventNames = map[string]string{
	store.EventAccessGranted: "access_granted_by_valid_identifier",
	store.EventREX:           "lock_was_opened_by_exit_btn",
	store.EventDoorHeld:      "door_was_not_closed_too_long",
	"door_opened":            "door_sensor_was_opened",
	store.EventTamper:        "tamper_event",
	store.EventRemoteOpen:    "access_granted_by_api_call",
	store.EventOperatorLogin: "successful_login_api_call",
	"operator_login_failed":  "incorrect_login_api_call",
}

func (s *Dialect) basipEventName(ev *store.Event) string {
	if ev.Type == store.EventAccessDenied {
		switch ev.Reason {
		case "unknown_credential":
			return "access_denied_unknown_identifier"
		case "no_user": // access.ReasonNoUser
			return "identifiers_without_linkage_to_user_access_denied"
		}
		return "access_denied_by_not_valid_identifier"
	}
	if n, ok := basipEventNames[ev.Type]; ok {
		return n
	}
	return ev.Type
}

// basipNativeTypes is the reverse: which native types can yield a name.
func basipNativeTypes(name string) []string {
	switch name {
	case "access_denied_unknown_identifier", "identifiers_without_linkage_to_user_access_denied", "access_denied_by_not_valid_identifier":
		return []string{store.EventAccessDenied}
	}
	for t, n := range basipEventNames {
		if n == name {
			return []string{t}
		}
	}
	return []string{name}
}

type basipLogInfo struct {
	LockNumber       int    `json:"lock_number"`
	Door             string `json:"door"`
	Reader           string `json:"reader"`
	UserUID          int64  `json:"user_uid"`
	IdentifierType   string `json:"identifier_type"`
	IdentifierNumber string `json:"identifier_number"` // masked, as in the native log
	Reason           string `json:"reason"`
	Operator         string `json:"operator"`
	Detail           string `json:"detail"`
	NativeType       string `json:"native_type"`
}

type basipLog struct {
	UID       uint64       `json:"uid"`
	Timestamp int64        `json:"timestamp"`
	Event     string       `json:"event"`
	Info      basipLogInfo `json:"info"`
}

// basipLogWindow is how many of the newest matching events the BAS-IP log
// pages through (the log's largest query); narrow from/to for older ones.
const basipLogWindow = store.MaxEventLimit

// basipLogs is GET /api/v1/log/list: from/to (unix seconds), limit,
// page_number, sort_type (desc: newest first, the default) and filter (an
// expression, basip_filter.go, or a comma-separated list of BAS-IP event
// names). It pages through the newest 1,000 events of the types the filter
// can match.
func (s *Dialect) basipLogs(r *core.Request) error {
	src, err := s.deps.Events()
	if err != nil {
		return bErr(503, "The event log is not running")
	}
	args := r.Ctx.QueryArgs()
	q, err := parseListQuery(r, []string{"timestamp"}, "timestamp")
	if err != nil {
		return err
	}
	if len(args.Peek("sort_type")) == 0 {
		q.asc = false
	}
	f := store.EventFilter{Latest: true, Limit: basipLogWindow}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := args.Peek(p.name); len(v) > 0 {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n < 0 {
				return bErr(400, "Wrong query parameter `"+p.name+"`: unix time in seconds or milliseconds")
			}
			*p.dst = unixSecondsOrMillis(n)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return bErr(400, "Wrong query parameter `to`: must be after from")
	}
	lf, err := basipLogFilter(q.filter)
	if err != nil {
		return err
	}
	f.Types = lf.types
	evs, _, err := src.Query(f)
	if err != nil {
		return err
	}
	locks := map[string]int{}
	if s.doors != nil {
		for _, d := range s.doors.List() {
			locks[d.ID] = d.Lock
		}
	}
	var items []basipLog
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		ev := &evs[i]
		name := s.basipEventName(ev)
		uid := int64(ev.UserUID)
		if uid == 0 && (ev.Type == store.EventAccessGranted || ev.Type == store.EventAccessDenied) && ev.Reason != "unknown_credential" {
			uid = -1 // an identifier without a user
		}
		items = append(items, basipLog{UID: ev.Seq, Timestamp: ev.At.Unix(), Event: name, Info: basipLogInfo{
			LockNumber: locks[ev.Door], Door: ev.Door, Reader: ev.Reader, UserUID: uid,
			IdentifierType: credTypeToBasip(store.CredentialType(ev.CredentialType)), IdentifierNumber: ev.Credential,
			Reason: ev.Reason, Operator: ev.Operator, Detail: ev.Detail, NativeType: ev.Type,
		}})
		if !lf.match(&items[len(items)-1]) {
			items = items[:len(items)-1]
		}
	}
	if q.asc {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	lo, hi := q.window(len(items))
	return basipOK(r, newBasipList(q, len(items), []string{"timestamp"}, items[lo:hi]))
}

// msThreshold separates unix seconds from milliseconds in a log's from
// and to: the v0 API's examples are 13-digit milliseconds
// (1549286120038), the newer docs' unix seconds (1540819272). 10^11
// seconds is the year 5138 and 10^11 milliseconds March 1973, so no real
// time of either kind falls on the wrong side.
const msThreshold = 100_000_000_000

func unixSecondsOrMillis(n int64) time.Time {
	if n >= msThreshold {
		return time.UnixMilli(n)
	}
	return time.Unix(n, 0)
}
