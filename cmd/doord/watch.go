package main

import (
	"log/slog"

	"github.com/doord/doord/board"
)

// watchBoard consumes what the board reports until the door runtime
// (device) takes this over: it logs reads and input changes so an installer
// can see the wiring work, and it keeps the board's channels drained so a
// reader never waits on a full channel. No credential value is logged: a
// card read shows its format and length only.
func watchBoard(b *board.Board, log *slog.Logger, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case r, ok := <-b.Reads():
			if !ok {
				return
			}
			switch {
			case r.Card != nil:
				log.Info("card read", "reader", r.Reader, "format", r.Card.Format, "bits", r.Bits)
			case r.Keys != "":
				log.Info("key press", "reader", r.Reader)
			default:
				log.Warn("bad read", "reader", r.Reader, "reason", r.Bad, "bits", r.Bits)
			}
		case ev, ok := <-b.InputEvents():
			if !ok {
				return
			}
			log.Info("input", "input", ev.Input, "active", ev.Active)
		}
	}
}
