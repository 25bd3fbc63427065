package main

import (
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/device"
)

// exitProcess ends the process after a fault; tests replace it.
var exitProcess = os.Exit

// faultExitCode is the exit status after an internal fault (EX_SOFTWARE):
// non-zero, so systemd's Restart=on-failure starts doord again.
const faultExitCode = 70

// faultGrace bounds the orderly stop after a fault (doors locked by their
// own goroutines, board inputs halted); past it doord exits anyway.
var faultGrace = 3 * time.Second

// supervisor is the process's fault handler (board/fault): a panic in
// any goroutine of the board, the door runtime, the event log or the
// change feed lands here. It drives every relay to its locked level at
// once, on the panicking goroutine; then it closes the board (from then on
// no unlock lands) and the door runtime, bounded by faultGrace, secures
// the relays again and exits with faultExitCode. It does not try to carry
// on: state after a panic cannot be trusted, and a restart rebuilds it
// from the store in about a second. (A panic in one subscriber of the
// change feed is not a fault: the feed recovers and resyncs it, see
// store/feed.go.)
type supervisor struct {
	log     *slog.Logger
	restore func()

	mu     sync.Mutex
	brd    *board.Board
	doors  *device.Runtime
	drains []func()
	once   sync.Once
}

func newSupervisor(log *slog.Logger) *supervisor {
	s := &supervisor{log: log}
	s.restore = fault.SetHandler(s.fault)
	return s
}

// watch tells the supervisor what to secure and stop; nil leaves a part
// as it is.
func (s *supervisor) watch(brd *board.Board, doors *device.Runtime) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if brd != nil {
		s.brd = brd
	}
	if doors != nil {
		s.doors = doors
	}
}

// drainOnExit adds what a fault's stop must still write once the doors
// stopped, in order: the engine's queued pass spends (lost, a pass used
// just before the fault would be usable again after the restart) and the
// event log's queue (the door_fault event, an alarm just raised). They
// run within faultGrace like the rest of the stop: a dead disk cannot
// hold the exit.
func (s *supervisor) drainOnExit(fns ...func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drains = append(s.drains, fns...)
}

// stop uninstalls the handler (a daemon stopped in a test).
func (s *supervisor) stop() { s.restore() }

func (s *supervisor) fault(r fault.Report) {
	s.mu.Lock()
	brd, doors, drains := s.brd, s.doors, append([]func(){}, s.drains...)
	s.mu.Unlock()
	brd.Secure() // first, before anything that could block
	s.once.Do(func() {
		s.log.Error("internal fault: relays secured, stopping", "part", r.Part, "panic", r.Value, "stack", r.Stack)
		go s.exit(brd, doors, drains)
	})
}

// wedged is the watchdog's report: door loops stopped answering. Same
// remedy as a panic.
func (s *supervisor) wedged(err error) {
	s.fault(fault.Report{Part: "watchdog", Value: err.Error()})
}

func (s *supervisor) exit(brd *board.Board, doors *device.Runtime, drains []func()) {
	stopped := make(chan struct{})
	fault.Go("supervisor.stop", func() {
		defer close(stopped)
		// The board first: from its Close on, no unlock lands (a door
		// still deciding, or reasserting an unlocked mode, is refused);
		// inputs and readers stop, relays are secured, outputs off.
		if brd != nil {
			brd.Close()
		}
		if doors != nil {
			doors.Close() // each door locks its relay as it stops
		}
		for _, fn := range drains { // no door commits a pass any more
			fn()
		}
	})
	t := time.NewTimer(faultGrace)
	select {
	case <-stopped:
	case <-t.C:
		s.log.Error("internal fault: the orderly stop did not finish; exiting anyway", "waited", faultGrace)
	}
	brd.Secure()
	s.log.Error("internal fault: exiting", "status", faultExitCode)
	exitProcess(faultExitCode)
}
