package main

import (
	"fmt"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/wiegand"
	"github.com/doord/doord/httpapi"
)

// simAdapter lets the API drive the simulated board without the httpapi
// package importing board: the API sees only httpapi.Simulator.
type simAdapter struct{ s *board.Sim }

// known marks errors about names the board does not have, so the API
// answers 404 rather than 422.
func (a simAdapter) known(kind, name string, names []string, err error) error {
	if err == nil {
		return nil
	}
	for _, n := range names {
		if n == name {
			return err
		}
	}
	return fmt.Errorf("%w: no %s %q (have %v)", httpapi.ErrSimUnknown, kind, name, names)
}

func (a simAdapter) Card(reader string, bits []bool) (time.Time, error) {
	t, err := a.s.Card(reader, bits)
	return t, a.known("reader", reader, a.s.Readers(), err)
}

func (a simAdapter) CardValue(reader, format string, v uint64) (time.Time, error) {
	t, err := a.s.CardValue(reader, format, v)
	return t, a.known("reader", reader, a.s.Readers(), err)
}

func (a simAdapter) CardFacility(reader, format string, fac, card uint64) (time.Time, error) {
	t, err := a.s.CardFacility(reader, format, fac, card)
	return t, a.known("reader", reader, a.s.Readers(), err)
}

func (a simAdapter) Keys(reader, keys string) (time.Time, error) {
	t, err := a.s.Keys(reader, keys)
	return t, a.known("reader", reader, a.s.Readers(), err)
}

func (a simAdapter) Edges(reader string, edges []httpapi.SimEdge) (time.Time, error) {
	base := time.Now()
	es := make([]wiegand.Edge, len(edges))
	for i, e := range edges {
		es[i] = wiegand.Edge{At: base.Add(e.At)}
		if e.D1 {
			es[i].Line = wiegand.D1
		}
	}
	t, err := a.s.Edges(reader, es)
	return t, a.known("reader", reader, a.s.Readers(), err)
}

func (a simAdapter) SetInput(name string, active bool) error {
	return a.known("input", name, a.s.Inputs(), a.s.SetInput(name, active))
}

func (a simAdapter) CutWire(name string, cut bool) error {
	return a.known("input", name, a.s.Inputs(), a.s.CutWire(name, cut))
}

func (a simAdapter) Outputs() []httpapi.SimOutput {
	outs := a.s.Outputs()
	res := make([]httpapi.SimOutput, len(outs))
	for i, o := range outs {
		res[i] = httpapi.SimOutput{Name: o.Pin, Output: o.Name, Kind: o.Kind, Active: o.Active, Level: o.Level,
			Transitions: make([]httpapi.SimTransition, len(o.Transitions))}
		for j, t := range o.Transitions {
			res[i].Transitions[j] = httpapi.SimTransition{At: t.At, Active: t.Active}
		}
	}
	return res
}
