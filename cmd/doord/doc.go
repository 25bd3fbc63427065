// Command doord is the door access controller daemon.
//
// It owns the wiring: flags and the config file, structured logs (door
// events echoed on the console as the event log commits them), the first
// start (creating the admin operator), opening the store and the board in a
// safe order, serving the HTTP API, and a graceful stop on SIGINT/SIGTERM
// that leaves every lock secure; TLS for the API (tls.go); the metrics'
// sources, the timed decider and the scrape token (metrics.go); joining
// the site's fleet when [fleet] is configured (fleet.go: store/fleet on the
// store, the engine's offline restriction, the offline policy's events).
//
// It owns the command line: one table of commands (commands.go; each
// command registers itself with its synopsis, help and run function) from
// which dispatch, --help, `doord help CMD` and shell completion
// (completion.go) are all made, with cli.go's exit-status contract (0, 1
// failed, 2 wrong command line, 3/4/5 for the API's 404/409/401-403, --help
// on stdout). The offline commands: checking the config, with the file
// and line of every problem (check.go, configlines.go), and the store;
// backing the store up and restoring it (backup.go, restore.go); decoding
// a reader capture (decode.go). The commands against a running daemon
// (backup --url, user and card in usercmd.go, import and export of the
// user list in import.go and export.go) share one small API client
// (client.go: URL and token from flags or DOORD_* variables, a CA file or
// a pinned certificate fingerprint for a self-signed daemon).
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
//	doord import FILE [--mode merge|replace] [--dry-run] [--url URL --token TOKEN]
//	doord export [--format csv|ndjson] [--out FILE] [--url URL --token TOKEN]
//	doord version [--tls [--config FILE] [--data DIR]]
//	doord user list|show|add|disable|enable|delete …
//	doord card add|list|show|remove …
//	doord completion bash|zsh|fish
//	doord help [COMMAND [SUBCOMMAND]]
//
// make install puts the binary, doord.service, the system user
// (doord.sysusers) and a config in place (README, "Install on a Raspberry
// Pi").
package main
