// Command natsd runs nats-servers for the fleet's tests (package natstest)
// in one native process, so that the test binaries never link
// nats-server: it is compiled once, for the build host, instead of once
// per test target (amd64 with -race, GOARM 6, GOARM 7, arm64), and the
// ARM test binaries under qemu-user talk to a native server over loopback.
//
//	natsd            serve; print "natsd ADDR" (the control address) and
//	                 stop when standard input ends (the test process is gone)
//	natsd run CMD…   serve, and run CMD with DOORD_NATSD_ADDR=ADDR in its
//	                 environment; exit with its status (make test-arm's
//	                 go test -exec, as a qemu-user guest must not fork)
//
// Control: a client connects to ADDR and sends one JSON line, a
// natstest.Options with the client's environment; natsd starts that server
// and answers {"addr": "host:port"} or {"error": "…"}. The server runs
// until the client sends a second line (answered {} once it has shut down)
// or closes the connection. Only tests use it.
//
// A race-built natsd (make test builds it so, to share the race tests'
// compiles) re-executes itself at start with the race detector's reports
// off: nats-server's packages are not instrumented, and the detector
// reported races under them that are not there (race.go).
package main
