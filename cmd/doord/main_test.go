package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for doord: with
// DOORD_TEST_RUN_AS_DOORD=1 it runs the command line instead of the
// tests, so the README's shell blocks can call bin/doord without a build.
func TestMain(m *testing.M) {
	if os.Getenv("DOORD_TEST_RUN_AS_DOORD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
