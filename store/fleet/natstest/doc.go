// Package natstest runs a nats-server for the fleet's tests. The server
// is not linked into the test binary: it runs in natsd (./natsd), a native
// program built once for the build host, so that nats-server is compiled
// once per run instead of once per test target, and the ARM test binaries
// under qemu-user use a native server over loopback. Only tests import it;
// the doord binary never links nats-server.
//
// natsd comes from, in order: DOORD_NATSD_ADDR, the control address of a
// running one (make test-arm runs each ARM test binary under `natsd run`,
// since a qemu-user guest must not fork: board/qemu); DOORD_NATSD, the
// path of a built one, started by the first Run of the test process (make
// builds it first); else `go build` of ./natsd, natively only. A natsd
// that cannot be had fails the test: it is never skipped.
package natstest
