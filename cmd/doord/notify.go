package main

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// notifier speaks systemd's notification protocol (sd_notify(3)): one
// datagram per message to the unix socket named by $NOTIFY_SOCKET. It is
// a few lines over a unixgram socket, not worth a dependency. A nil
// notifier (not started by systemd) does nothing.
type notifier struct{ conn *net.UnixConn }

// newNotifier connects to socket ($NOTIFY_SOCKET): an absolute path, or
// "@name" for the abstract namespace (Go maps the "@" itself). "" means
// no systemd: nil, nil.
func newNotifier(socket string) (*notifier, error) {
	if socket == "" {
		return nil, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: want an absolute path or @abstract name", socket)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	return &notifier{conn: conn}, nil
}

// notify sends one message, e.g. "READY=1" or "WATCHDOG=1". The socket is
// a datagram socket: a write never waits for systemd to read.
func (n *notifier) notify(state string) error {
	if n == nil {
		return nil
	}
	n.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, err := n.conn.Write([]byte(state))
	return err
}

func (n *notifier) close() {
	if n != nil {
		n.conn.Close()
	}
}

// watchdogInterval reads systemd's watchdog settings: WATCHDOG_USEC (the
// unit's WatchdogSec) when WATCHDOG_PID is unset or this process. 0 means
// no watchdog.
func watchdogInterval(getenv func(string) string, pid int) (time.Duration, error) {
	us := getenv("WATCHDOG_USEC")
	if us == "" {
		return 0, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0, nil // meant for another process
	}
	n, err := strconv.ParseUint(us, 10, 63)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("WATCHDOG_USEC %q: want a positive number of microseconds", us)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// heartbeat sends WATCHDOG=1 every timeout/4 while alive says every door
// loop answers (alive gets timeout/4 to do so). When they do not, the
// heartbeat stops, so that systemd restarts doord after timeout even if
// nothing else in the process works; and once the doors have failed to
// answer for half of timeout, wedged is called (the supervisor secures
// the relays and exits) so that the restart begins with relays locked by
// doord, not by a SIGABRT. It returns when stop is closed.
func heartbeat(stop <-chan struct{}, timeout time.Duration, alive func(time.Duration) error,
	send func(string) error, wedged func(error), warn func(msg string, args ...any)) {
	every := timeout / 4
	t := time.NewTicker(every)
	defer t.Stop()
	var failingSince time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		probed := time.Now()
		err := alive(every)
		if err == nil {
			failingSince = time.Time{}
			if err := send("WATCHDOG=1"); err != nil {
				warn("watchdog: notify failed", "err", err)
			}
			continue
		}
		if failingSince.IsZero() {
			failingSince = probed
			warn("watchdog: a door loop does not answer; heartbeat withheld", "err", err)
		}
		if time.Since(failingSince) >= timeout/2 {
			wedged(err)
			return
		}
	}
}
