package fault

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Report is one recovered panic.
type Report struct {
	Part  string // the goroutine: "board.reader r1", "device.door 1", "store.events", …
	Value string // what panicked, without user data (see Describe)
	Stack string // the panicking goroutine's stack, without argument values
}

var handler atomic.Pointer[func(Report)]

// SetHandler makes h receive every report from now on (nil: none) and
// returns a function that puts the previous handler back. h runs on the
// panicking goroutine, before that goroutine's own cleanup; it may not
// return (the supervisor exits the process).
func SetHandler(h func(Report)) (restore func()) {
	var p *func(Report)
	if h != nil {
		p = &h
	}
	old := handler.Swap(p)
	return func() { handler.Store(old) }
}

// Go runs fn on a new goroutine under Recover(part, nil).
func Go(part string, fn func()) { GoWith(part, fn, nil) }

// GoWith runs fn on a new goroutine under Recover(part, local).
func GoWith(part string, fn func(), local func(Report)) {
	if trig := injected(part); trig != nil {
		fn = func() {
			<-trig
			panic(injectedPanic("injected panic in " + part))
		}
	}
	go func() {
		defer Recover(part, local)
		fn()
	}()
}

// Recover, deferred at the top of a goroutine (`defer fault.Recover(part,
// local)`), recovers a panic, reports it to the handler and then runs
// local, the part's own reaction (a door marks itself out of service).
// It must be deferred directly: recover only works there.
func Recover(part string, local func(Report)) {
	v := recover()
	if v == nil {
		return
	}
	r := Report{Part: part, Value: Describe(v), Stack: Stack()}
	if h := handler.Load(); h != nil {
		(*h)(r)
	} else {
		slog.Error("fault: goroutine panicked", "part", r.Part, "panic", r.Value, "stack", r.Stack)
	}
	if local != nil {
		local(r)
	}
}

// Describe names a panic value without its text unless the runtime wrote
// it (see the package comment).
func Describe(v any) string {
	switch v := v.(type) {
	case runtime.Error:
		return v.Error()
	case injectedPanic:
		return string(v)
	}
	return fmt.Sprintf("panic of type %T", v)
}

// Stack is the calling goroutine's stack with every function's argument
// list cut to "(...)": argument words can be credential values.
func Stack() string {
	lines := bytes.Split(debug.Stack(), []byte("\n"))
	for i, l := range lines {
		if len(l) == 0 || l[0] == '\t' {
			continue // file:line
		}
		if j := bytes.LastIndexByte(l, '('); j > 0 && bytes.HasSuffix(l, []byte(")")) {
			lines[i] = append(l[:j:j], "(...)"...)
		}
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// injectedPanic is the value of a panic that Inject provoked.
type injectedPanic string

var inject struct {
	sync.Mutex
	m map[string]<-chan struct{}
}

// Inject is for tests only: from now on, the goroutine Go starts for part
// does not run its function but waits for trigger to close and then
// panics, so a test can provoke a fault in a named goroutine of a running
// daemon. restore removes the injection.
func Inject(part string, trigger <-chan struct{}) (restore func()) {
	inject.Lock()
	defer inject.Unlock()
	if inject.m == nil {
		inject.m = map[string]<-chan struct{}{}
	}
	inject.m[part] = trigger
	return func() {
		inject.Lock()
		defer inject.Unlock()
		delete(inject.m, part)
	}
}

func injected(part string) <-chan struct{} {
	inject.Lock()
	defer inject.Unlock()
	return inject.m[part]
}
