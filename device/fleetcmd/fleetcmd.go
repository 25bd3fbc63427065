package fleetcmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/device"
	"github.com/nats-io/nats.go"
)

// Doors is the door runtime as commands drive it; *device.Runtime is one.
type Doors interface {
	Doors() []device.DoorState
	Door(id string) (device.DoorState, bool)
	Open(id, by string) error
	SetMode(id string, mode access.DoorMode, by string) error
}

// Options configure Start. Site, Controller and Doors are required.
type Options struct {
	Site, Controller string
	Groups           []string
	Doors            Doors
	Logger           *slog.Logger
}

var token = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ControllerSubject is the subject of action (open, mode) for one of
// controller's doors.
func ControllerSubject(site, controller, action string) string {
	return "doord." + site + ".cmd.controller." + controller + "." + action
}

// GroupSubject is the subject of action for every door of group.
func GroupSubject(site, group, action string) string {
	return "doord." + site + ".cmd.group." + group + "." + action
}

// Commands answers the fleet's door commands until Close.
type Commands struct {
	opt  Options
	log  *slog.Logger
	subs []*nats.Subscription
}

// Start subscribes to the controller's subject and its groups'. It does
// not wait for the connection: subscriptions are made (again) when it is
// up.
func Start(nc *nats.Conn, opt Options) (*Commands, error) {
	if !token.MatchString(opt.Site) || !token.MatchString(opt.Controller) {
		return nil, fmt.Errorf("fleetcmd: site %q and controller %q must be letters, digits, _ or -", opt.Site, opt.Controller)
	}
	for _, g := range opt.Groups {
		if !token.MatchString(g) {
			return nil, fmt.Errorf("fleetcmd: group %q must be letters, digits, _ or -", g)
		}
	}
	if nc == nil || opt.Doors == nil {
		return nil, errors.New("fleetcmd: a NATS connection and the door runtime are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Commands{opt: opt, log: opt.Logger.With("component", "fleet commands")}
	subjects := []string{ControllerSubject(opt.Site, opt.Controller, "*")}
	for _, g := range opt.Groups {
		// A group listed twice is one subscription: a command acts once.
		if s := GroupSubject(opt.Site, g, "*"); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	for _, s := range subjects {
		sub, err := nc.Subscribe(s, c.handle)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("fleetcmd: subscribe %s: %w", s, err)
		}
		c.subs = append(c.subs, sub)
	}
	return c, nil
}

// Close stops answering.
func (c *Commands) Close() error {
	for _, s := range c.subs {
		s.Unsubscribe()
	}
	c.subs = nil
	return nil
}

// Reply is the answer to a command.
type Reply struct {
	OK         bool         `json:"ok"`
	Controller string       `json:"controller"`
	Error      *Problem     `json:"error,omitempty"`
	Results    []DoorResult `json:"results,omitempty"`
}

// DoorResult is what one door did.
type DoorResult struct {
	Door   string   `json:"door"`
	OK     bool     `json:"ok"`
	Error  *Problem `json:"error,omitempty"`
	Mode   string   `json:"mode,omitempty"` // effective, after the command
	Locked bool     `json:"locked"`
}

// Problem names what went wrong.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Problem codes.
const (
	CodeBadRequest     = "bad_request"     // malformed body, unknown or misplaced field
	CodeUnknownCommand = "unknown_command" // the subject's action is not open or mode
	CodeBadMode        = "bad_mode"
	CodeUnknownDoor    = "unknown_door"
	CodeRefused        = "refused"       // the door's mode refuses a remote open
	CodeNotPersisted   = "not_persisted" // the store refused the setting (a lockdown or disable applies anyway)
	CodeUnavailable    = "unavailable"   // the door is out of service or the runtime is stopping
	CodeFailed         = "failed"
)

var modes = map[string]bool{"normal": true, "unlocked": true, "locked_down": true, "disabled": true}

// request is a command's body.
type request struct {
	Door *string `json:"door"`
	Mode *string `json:"mode"`
	By   *string `json:"by"`
}

const maxBy = 64

func (c *Commands) handle(m *nats.Msg) {
	rep := c.run(m)
	rep.Controller = c.opt.Controller
	b, err := json.Marshal(rep)
	if err != nil {
		b = []byte(`{"ok":false,"error":{"code":"failed","message":"encoding the reply failed"}}`)
	}
	if m.Reply == "" {
		return // a publish without a reply subject still acts; no one hears
	}
	if err := m.Respond(b); err != nil {
		c.log.Warn("fleet command: reply not sent", "subject", m.Subject, "err", err)
	}
}

func fail(code, format string, args ...any) Reply {
	return Reply{Error: &Problem{code, fmt.Sprintf(format, args...)}}
}

// run parses and executes one command.
func (c *Commands) run(m *nats.Msg) Reply {
	// doord.<site>.cmd.<controller|group>.<name>.<action>
	parts := strings.Split(m.Subject, ".")
	if len(parts) != 6 {
		return fail(CodeUnknownCommand, "subject %q is not a door command", m.Subject)
	}
	group, action := parts[3] == "group", parts[5]
	if action != "open" && action != "mode" {
		return fail(CodeUnknownCommand, "unknown command %q (open, mode)", action)
	}
	var req request
	if len(bytes.TrimSpace(m.Data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(m.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return fail(CodeBadRequest, "body: %s", jsonProblem(err))
		}
		if _, err := dec.Token(); err != io.EOF {
			return fail(CodeBadRequest, "body: more than one JSON object")
		}
	}
	by := "nats:" + m.Subject
	if req.By != nil {
		if *req.By == "" || len(*req.By) > maxBy || strings.IndexFunc(*req.By, unicode.IsControl) >= 0 {
			return fail(CodeBadRequest, "by: must be 1 to %d characters without control characters", maxBy)
		}
		by = "nats:" + *req.By
	}
	var mode access.DoorMode
	switch {
	case action == "open" && req.Mode != nil:
		return fail(CodeBadRequest, "mode: not a field of open (a mode is set by the mode command)")
	case action == "mode" && req.Mode == nil:
		return fail(CodeBadMode, "mode: required (normal, unlocked, locked_down or disabled)")
	case action == "mode":
		if !modes[*req.Mode] {
			return fail(CodeBadMode, "mode: %q is not normal, unlocked, locked_down or disabled", *req.Mode)
		}
		var err error
		if mode, err = device.ParseMode(*req.Mode); err != nil {
			return fail(CodeBadMode, "mode: %v", err)
		}
	}
	var doors []string
	switch {
	case group && req.Door != nil:
		return fail(CodeBadRequest, "door: a group command acts on every door of the group; address one door on %s", ControllerSubject(c.opt.Site, c.opt.Controller, action))
	case group:
		for _, d := range c.opt.Doors.Doors() {
			doors = append(doors, d.ID)
		}
	case req.Door == nil || *req.Door == "":
		return fail(CodeBadRequest, "door: required")
	default:
		if _, ok := c.opt.Doors.Door(*req.Door); !ok {
			return fail(CodeUnknownDoor, "door %q does not exist on controller %s", *req.Door, c.opt.Controller)
		}
		doors = []string{*req.Door}
	}
	rep := Reply{OK: true, Results: make([]DoorResult, 0, len(doors))}
	for _, id := range doors {
		var err error
		if action == "open" {
			err = c.opt.Doors.Open(id, by)
		} else {
			err = c.opt.Doors.SetMode(id, mode, by)
		}
		r := DoorResult{Door: id, OK: err == nil}
		if err != nil {
			rep.OK = false
			r.Error = doorProblem(id, err)
		}
		if st, ok := c.opt.Doors.Door(id); ok {
			r.Mode, r.Locked = st.Mode, st.Locked
		}
		rep.Results = append(rep.Results, r)
		c.log.Info("fleet command", "subject", m.Subject, "door", id, "by", by, "ok", err == nil, "err", err)
	}
	if len(doors) == 1 && !rep.OK {
		rep.Error = rep.Results[0].Error
	}
	return rep
}

// doorProblem maps the runtime's errors as the HTTP routes do (404, 409,
// 503).
func doorProblem(id string, err error) *Problem {
	switch {
	case errors.Is(err, device.ErrUnknownDoor):
		return &Problem{CodeUnknownDoor, "door " + id + " does not exist"}
	case errors.Is(err, device.ErrModeRefuses):
		return &Problem{CodeRefused, err.Error()}
	case errors.Is(err, device.ErrNotPersisted):
		return &Problem{CodeNotPersisted, "the door setting could not be stored; a lockdown or disable is in effect anyway, other changes were not made"}
	case errors.Is(err, device.ErrFault), errors.Is(err, device.ErrClosed):
		return &Problem{CodeUnavailable, err.Error()}
	}
	return &Problem{CodeFailed, err.Error()}
}

// jsonProblem says what is wrong with a body without echoing it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return "must be a JSON object"
	case errors.As(err, &te):
		return fmt.Sprintf("%s: must be a %s", te.Field, te.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + " (door, mode, by)"
	}
	return err.Error()
}
