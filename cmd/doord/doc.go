// Command doord is the door access controller daemon.
//
// It owns the wiring: flags and the config file, structured logs, the first
// start (creating the admin operator), opening the store and the board in a
// safe order, serving the HTTP API, and a graceful stop on SIGINT/SIGTERM
// that leaves every lock secure.
//
//	doord serve --config doord.toml [--listen ADDR] [--data DIR]
//	doord version
package main
