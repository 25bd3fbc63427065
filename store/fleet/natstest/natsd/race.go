package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// quietRace re-executes a race-built natsd with the race detector's reports
// off (GORACE report_bugs=0) and no exit delay (atexit_sleep_ms=0), unless
// they are off already. natsd is built with -race only to share the race
// tests' compiles; nats-server's code is not instrumented, so the detector
// sees half of its synchronisation and reported races in the standard
// library under it that are not there (encoding/json's type cache). Those
// reports went into the tests' output, and `natsd run`, exiting through
// os.Exit, would have turned them into exit status 66: a fleet suite that
// passed would have failed. doord's own code is checked by the race tests,
// not here. The GORACE settings are read at process start, hence the exec.
func quietRace() {
	const quiet = "report_bugs=0 atexit_sleep_ms=0"
	if !raceBuild || strings.Contains(os.Getenv("GORACE"), quiet) {
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd: cannot re-execute with race reports off:", err)
		return
	}
	env := []string{"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" "+quiet)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	err = syscall.Exec(self, os.Args, env)
	fmt.Fprintln(os.Stderr, "natsd: cannot re-execute with race reports off:", err)
}
