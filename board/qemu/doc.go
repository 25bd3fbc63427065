// Package qemu tells a test whether it runs under qemu-user (make
// test-arm runs the ARM test binaries with -exec qemu-arm-static and
// qemu-aarch64-static). There a threaded guest that forks can deadlock:
// qemu-user's fork copies a lock another guest thread holds, and the
// child waits on it for ever (futex_do_wait) instead of exec'ing. Tests
// that start programs skip themselves under qemu; they run on amd64.
// Only tests import this package.
package qemu
