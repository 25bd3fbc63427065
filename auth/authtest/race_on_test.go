//go:build race

package authtest_test

// raceFlags build the program a test starts the way the test itself was
// built: under make test, with -race, its packages are compiled already.
var raceFlags = []string{"-race"}
