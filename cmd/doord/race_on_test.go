//go:build race

package main

// raceFlags build the daemons a test starts the way the test itself was
// built: under make test, with -race, every package they need is already
// compiled, so the build is a link instead of a second amd64 tree.
var raceFlags = []string{"-race"}
