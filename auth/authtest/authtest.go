package authtest

import (
	"testing"

	"github.com/doord/doord/auth/internal/hashcost"
)

// CheapHashes makes every argon2id hash this process makes from now on
// (new and changed passwords, the rehash after a login, the dummy verify
// that an unknown name or a locked account costs) use m=64 KiB, t=1
// instead of doord's m=19 MiB, t=2. The code paths stay the same; only
// the work inside argon2id shrinks. Hashes already stored keep the
// parameters written in them.
//
// Why: the HTTP, BAS-IP and daemon suites log in and make operators
// hundreds of times, and the real cost is ~25 ms a hash natively, ~150 ms
// with the race detector and more under qemu, which made it a third of
// their CPU time. auth's own tests keep the real cost and check it.
//
// Call it first in TestMain, before any goroutine hashes. It panics
// outside a test binary (testing.Testing), so no program can make weak
// hashes through it.
func CheapHashes() {
	if !testing.Testing() {
		panic("authtest.CheapHashes called outside a test binary")
	}
	hashcost.Lower()
}
