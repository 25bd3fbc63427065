//go:build !race

package authtest_test

// raceFlags: see race_on_test.go.
var raceFlags []string
