package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/doord/doord/auth/access"
)

// Simulator is the simulated board as the sim routes need it. It exists
// only when the daemon runs with board = "sim"; on hardware the routes are
// not mounted at all. The daemon adapts board.Sim to it, so this package
// does not depend on the board package.
type Simulator interface {
	Card(reader string, bits []bool) (lastEdge time.Time, err error)
	CardValue(reader, format string, value uint64) (time.Time, error)
	CardFacility(reader, format string, facility, card uint64) (time.Time, error)
	Keys(reader, keys string) (time.Time, error)
	// Edges replays raw falling edges through the reader's edge source
	// and decoder.
	Edges(reader string, edges []SimEdge) (time.Time, error)
	SetInput(name string, active bool) error
	// CutWire cuts (true) or mends (false) the wire to an input's switch.
	CutWire(name string, cut bool) error
	Outputs() []SimOutput
}

// SimEdge is one falling edge: on D1 (a 1 bit) or D0, At after the first
// edge of the replay.
type SimEdge struct {
	D1 bool
	At time.Duration
}

// Limits of one edge replay: a few dozen frames, within a minute.
const (
	maxSimEdges  = 4096
	maxSimEdgeUS = 60_000_000
)

// SimOutput is one recorded output pin. Name is the pin's name in the
// board profile ("relay1"); Output is what it drives ("1.relay": door 1's
// lock relay, "2.led": reader 2's LED).
type SimOutput struct {
	Name        string          `json:"name"`
	Output      string          `json:"output"`
	Kind        string          `json:"kind"`
	Active      bool            `json:"active"`
	Level       string          `json:"level"`
	Transitions []SimTransition `json:"transitions"`
}

// SimTransition is one level change; At is RFC 3339 with nanoseconds.
type SimTransition struct {
	At     time.Time `json:"at"`
	Active bool      `json:"active"`
}

// ErrSimUnknown marks an unknown reader or input; the adapter wraps board
// errors with it so the routes answer 404 rather than 422.
var ErrSimUnknown = errors.New("unknown simulated reader or input")

func simErr(err error) error {
	if errors.Is(err, ErrSimUnknown) {
		return errStatus(404, err.Error())
	}
	return errStatus(422, err.Error())
}

func (s *Server) simCard(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	reader := r.param("reader")
	var format string
	o.str("format", &format, 16)
	if format != "" {
		if _, ok := access.LookupCardFormat(format); !ok {
			o.fail("format", "must be one of h10301, 34bit, c1000, h10304")
		}
	}
	var at time.Time
	switch {
	case o.has("bits"):
		var bits string
		o.str("bits", &bits, 256)
		if len(bits) == 0 {
			o.fail("bits", "must be a string of 0 and 1")
		}
		b := make([]bool, 0, len(bits))
		for _, c := range bits {
			if c != '0' && c != '1' {
				o.fail("bits", "must contain only 0 and 1")
				break
			}
			b = append(b, c == '1')
		}
		if err := o.err(); err != nil {
			return err
		}
		at, err = s.sim.Card(reader, b)
	case o.has("number"):
		var v uint64
		if r, ok := o.raw("number"); ok {
			var str string
			var n json.Number
			if json.Unmarshal(r, &str) != nil {
				if json.Unmarshal(r, &n) != nil {
					o.fail("number", "must be a card number (decimal, 0x-hex or AA:BB:CC)")
				}
				str = n.String()
			}
			if str != "" {
				if v, err = access.ParseCardNumber(str); err != nil {
					o.fail("number", err.Error())
				}
			}
		} else {
			o.fail("number", "must not be null")
		}
		if err := o.err(); err != nil {
			return err
		}
		at, err = s.sim.CardValue(reader, format, v)
	case o.has("facility") || o.has("card"):
		var fac, card uint64
		if !o.uint("facility", &fac, 1<<32) {
			o.fail("facility", "is required with card")
		}
		if !o.uint("card", &card, 1<<32) {
			o.fail("card", "is required with facility")
		}
		if err := o.err(); err != nil {
			return err
		}
		at, err = s.sim.CardFacility(reader, format, fac, card)
	default:
		o.fail("number", `give one of number, {facility, card} or bits`)
		return o.err()
	}
	if err != nil {
		return simErr(err)
	}
	return writeJSON(r.ctx, 200, map[string]any{"reader": reader, "last_edge_at": at.Format(time.RFC3339Nano)})
}

func (s *Server) simKeys(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var keys string
	if !o.str("keys", &keys, 64) || keys == "" {
		o.fail("keys", `is required, e.g. "1234#"`)
	}
	for _, c := range keys {
		if !(c >= '0' && c <= '9' || c == '*' || c == '#') {
			o.fail("keys", "may contain only 0-9, * and #")
			break
		}
	}
	if err := o.err(); err != nil {
		return err
	}
	at, err := s.sim.Keys(r.param("reader"), keys)
	if err != nil {
		return simErr(err)
	}
	return writeJSON(r.ctx, 200, map[string]any{"reader": r.param("reader"), "last_edge_at": at.Format(time.RFC3339Nano)})
}

// simEdges replays raw Wiegand edges: {"edges": [{"line": "d0"|"d1",
// "at_us": N}, …]}, falling edges, times in µs from the first, in order.
// Every bad item is a 422 naming it (edges[3].at_us).
func (s *Server) simEdges(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	rejectUnknown(o, "edges")
	var items []json.RawMessage
	if raw, ok := o.raw("edges"); !ok {
		o.fail("edges", `is required: [{"line": "d0" or "d1", "at_us": N}, …]`)
	} else if json.Unmarshal(raw, &items) != nil {
		o.fail("edges", "must be an array of edges")
	} else if len(items) == 0 || len(items) > maxSimEdges {
		o.failf("edges", "must have 1 to %d edges, not %d", maxSimEdges, len(items))
	}
	if err := o.err(); err != nil {
		return err
	}
	edges := make([]SimEdge, len(items))
	for i, raw := range items {
		name := fmt.Sprintf("edges[%d]", i)
		e, ok := o.sub(name, raw)
		if !ok {
			continue
		}
		rejectUnknown(e, "line", "at_us")
		var line string
		if !e.str("line", &line, 2) {
			e.fail("line", `is required: "d0" or "d1"`)
		} else if line != "d0" && line != "d1" {
			e.fail("line", `must be "d0" or "d1"`)
		}
		var us uint64
		if !e.uint("at_us", &us, maxSimEdgeUS) {
			e.fail("at_us", "is required: µs after the first edge")
		}
		if i > 0 && time.Duration(us)*time.Microsecond < edges[i-1].At {
			e.fail("at_us", "must not be earlier than the edge before it")
		}
		edges[i] = SimEdge{D1: line == "d1", At: time.Duration(us) * time.Microsecond}
		o.errs = append(o.errs, e.errs...)
	}
	if err := o.err(); err != nil {
		return err
	}
	at, err := s.sim.Edges(r.param("reader"), edges)
	if err != nil {
		return simErr(err)
	}
	return writeJSON(r.ctx, 200, map[string]any{"reader": r.param("reader"), "edges": len(edges), "last_edge_at": at.Format(time.RFC3339Nano)})
}

// rejectUnknown fails every field of o not in allowed: a misspelt field
// must not be silently ignored.
func rejectUnknown(o *object, allowed ...string) {
	for name := range o.fields {
		if !slices.Contains(allowed, name) {
			o.failf(name, "is not a known field (want %s)", strings.Join(allowed, ", "))
		}
	}
}

// simInput moves an input's switch ("active") and/or cuts or mends its
// wire ("cut"): a cut normally-closed contact reads as the door open.
func (s *Server) simInput(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var active, cut bool
	hasActive, hasCut := o.has("active"), o.has("cut")
	if !hasActive && !hasCut {
		o.fail("active", "is required (true or false) unless cut is given")
	}
	if hasActive {
		o.boolean("active", &active)
	}
	if hasCut {
		o.boolean("cut", &cut)
	}
	if err := o.err(); err != nil {
		return err
	}
	input := r.param("input")
	res := map[string]any{"input": input}
	if hasCut {
		if err := s.sim.CutWire(input, cut); err != nil {
			return simErr(err)
		}
		res["cut"] = cut
	}
	if hasActive {
		if err := s.sim.SetInput(input, active); err != nil {
			return simErr(err)
		}
		res["active"] = active
	}
	return writeJSON(r.ctx, 200, res)
}

// simOutputs answers with every relay, LED and buzzer pin and its recorded
// transitions, times in RFC 3339 with nanoseconds so latency can be
// measured from outside.
func (s *Server) simOutputs(r *request) error {
	type tr struct {
		At     string `json:"at"`
		Active bool   `json:"active"`
	}
	type out struct {
		Name        string `json:"name"`
		Output      string `json:"output"`
		Kind        string `json:"kind"`
		Active      bool   `json:"active"`
		Level       string `json:"level"`
		Transitions []tr   `json:"transitions"`
	}
	outs := s.sim.Outputs()
	res := make([]out, len(outs))
	for i, o := range outs {
		res[i] = out{Name: o.Name, Output: o.Output, Kind: o.Kind, Active: o.Active, Level: o.Level, Transitions: make([]tr, len(o.Transitions))}
		for j, t := range o.Transitions {
			res[i].Transitions[j] = tr{At: t.At.Format(time.RFC3339Nano), Active: t.Active}
		}
	}
	return writeJSON(r.ctx, 200, map[string]any{"outputs": res})
}
