//go:build race

package main

// raceBuild: make test builds natsd with -race (nats-server's own
// packages left uninstrumented) so that it shares the race tests'
// compiled standard library; see quietRace.
const raceBuild = true
