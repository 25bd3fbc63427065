package main

import (
	"os"
	"testing"

	"github.com/doord/doord/auth/authtest"
)

// TestMain lets the test binary stand in for doord: with
// DOORD_TEST_RUN_AS_DOORD=1 it runs the command line instead of the
// tests, so the README's shell blocks can call bin/doord without a build.
// Either way its argon2id hashes are cheap (authtest.CheapHashes): the
// daemons these tests start make and check operator passwords at every
// first start and login. The daemons built from source (the fleet test's)
// keep the real cost.
func TestMain(m *testing.M) {
	authtest.CheapHashes()
	if os.Getenv("DOORD_TEST_RUN_AS_DOORD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
