// Command doord is the door access controller daemon.
//
// It owns the wiring: flags and the config file, structured logs (door
// events echoed on the console as the event log commits them), the first
// start (creating the admin operator), opening the store and the board in a
// safe order, serving the HTTP API, and a graceful stop on SIGINT/SIGTERM
// that leaves every lock secure; TLS for the API (tls.go); checking the
// config and the store (check.go); backing the store up and restoring it
// (backup.go, restore.go, sharing cli.go's exit-status contract: 0, 1
// failed, 2 wrong command line, --help on stdout).
//
// It owns the process's safety net too: the supervisor (supervisor.go) is
// the handler of board/fault, so a panic in any goroutine of the board,
// the door runtime, the event log, the change feed or the daemon secures
// every relay, writes the queued pass spends and events, and exits with
// status 70; systemd integration (notify.go:
// READY=1/STOPPING=1 over $NOTIFY_SOCKET and a WatchdogSec heartbeat that
// beats only while every door loop answers device.Runtime.Alive); and the
// hardened unit, doord.service.
//
//	doord serve --config doord.toml [--listen ADDR] [--data DIR]
//	doord check [--config FILE] [--data DIR] [--store]
//	doord backup --out FILE [--url URL --token TOKEN | --data DIR]
//	doord restore FILE --data DIR
//	doord version [--tls [--config FILE] [--data DIR]]
package main
