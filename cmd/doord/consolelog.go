package main

import (
	"context"
	"log/slog"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store"
)

// consoleEvents logs the door events of the event log (decisions, door
// states, alarms) on the console at the default level, so that a swipe
// shows where `make run` runs. It follows a subscription of the log, after
// each commit and off the door path: a console that cannot keep up loses
// its subscription (and says so), never a door its speed.
type consoleEvents struct {
	stop, done chan struct{}
}

func startConsoleEvents(events *store.EventLog, log *slog.Logger) *consoleEvents {
	c := &consoleEvents{stop: make(chan struct{}), done: make(chan struct{})}
	fault.Go("doord.console", func() {
		defer close(c.done)
		for {
			ch, cancel := events.Subscribe()
			for ev := range ch {
				logEvent(log, ev)
			}
			cancel()
			select {
			case <-c.stop:
				return
			default:
			}
			log.Warn("the console fell behind the event log; some door events are not shown here (GET /api/v1/events has them all)")
		}
	})
	return c
}

// closeWith closes the event log and returns when every event it
// committed has been logged.
func (c *consoleEvents) closeWith(events *store.EventLog) error {
	close(c.stop) // before Close ends the subscription, so the loop ends rather than resubscribes
	err := events.Close()
	<-c.done
	return err
}

// logEvent writes one door event: alarms as warnings, the rest as info.
// Credentials are in the log's masked form; operator events (logins) are
// logged by the API itself.
func logEvent(log *slog.Logger, ev store.Event) {
	alarm := store.IsAlarm(ev.Type)
	if ev.Door == "" && !alarm {
		return
	}
	attrs := make([]any, 0, 16)
	for _, kv := range [...][2]string{{"door", ev.Door}, {"reader", ev.Reader}, {"credential_type", ev.CredentialType},
		{"credential", ev.Credential}, {"reason", ev.Reason}, {"operator", ev.Operator}, {"detail", ev.Detail}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	if ev.UserUID != 0 {
		attrs = append(attrs, "user_uid", ev.UserUID)
	}
	level := slog.LevelInfo
	if alarm {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, ev.Type, attrs...)
}
