package eventpub

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
)

// Every event reaches the stream once, in seq order, on the
// controller's subject, with <controller>:<seq> as its message id and
// the body GET /api/v1/events shows; the windows (chunks) in between
// keep the order.
func TestPublishesEveryEventInOrderWithMsgID(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	nc := dial(t, srv.ClientURL())
	st, l := openLog(t, storePath(t), store.EventOptions{})
	p := startPub(t, nc, st, l, Options{Window: 64})
	appendN(l, 300, "front")
	waitCursor(t, p, 300)

	got := readStream(t, nc)
	if want := span(1, 300); !slices.Equal(seqs(got), want) {
		t.Fatalf("stream seqs = %v, want 1..300 once each in order", seqs(got))
	}
	logged, _, err := l.Query(store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got {
		if m.subject != "doord.campus.events.bldg1-east" {
			t.Fatalf("subject %q", m.subject)
		}
		if want := fmt.Sprintf("bldg1-east:%d", i+1); m.id != want {
			t.Fatalf("Nats-Msg-Id %q, want %q", m.id, want)
		}
		if want := logged[i].AppendJSON(nil); string(m.raw) != string(want) {
			t.Fatalf("body %s, want the API's %s", m.raw, want)
		}
		if strings.Contains(string(m.raw), "12345678") {
			t.Fatalf("a full credential value was published: %s", m.raw)
		}
	}
	s := p.Stats()
	if s.Published != 300 || s.Pending != 0 || s.Dropped != 0 || s.LastAck.IsZero() {
		t.Fatalf("stats = %+v", s)
	}
}

// A crash after the stream acknowledged events but before the cursor was
// stored leaves an older cursor on disk: the next start publishes those
// events again, and the stream's duplicate window drops them by message
// id. Set the stored cursor back to what such a crash leaves, restart,
// and the stream still holds every event exactly once, in order.
func TestCrashBeforeCursorPersistedPublishesNoDuplicate(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	nc := dial(t, srv.ClientURL())
	st, l := openLog(t, storePath(t), store.EventOptions{})
	p := startPub(t, nc, st, l, Options{})
	appendN(l, 50, "front")
	waitCursor(t, p, 50)
	p.Close()
	// What the crash leaves: acknowledged up to 50, stored 20.
	if err := st.PutSetting(CursorKey, binary.BigEndian.AppendUint64(nil, 20)); err != nil {
		t.Fatal(err)
	}

	p = startPub(t, nc, st, l, Options{})
	appendN(l, 10, "back")
	waitCursor(t, p, 60)
	if got := seqs(readStream(t, nc)); !slices.Equal(got, span(1, 60)) {
		t.Fatalf("stream seqs = %v, want 1..60 once each", got)
	}
	if s := p.Stats(); s.Published != 40 {
		t.Fatalf("published %d after the crash, want the 30 republished (acknowledged as duplicates) + 10 new", s.Published)
	}
}

// A restart (publisher, log and store closed and opened again) goes on
// from the stored cursor: nothing published twice, nothing skipped.
func TestRestartResumesFromStoredCursor(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	nc := dial(t, srv.ClientURL())
	path := storePath(t)
	st, l := openLog(t, path, store.EventOptions{})
	p := startPub(t, nc, st, l, Options{})
	appendN(l, 25, "front")
	waitCursor(t, p, 25)
	p.Close()
	l.Close()
	st.Close()

	st, l = openLog(t, path, store.EventOptions{})
	cur, fresh, err := loadCursor(st)
	if err != nil || fresh || cur != 25 {
		t.Fatalf("stored cursor = %d (fresh %v, err %v), want 25", cur, fresh, err)
	}
	p = startPub(t, nc, st, l, Options{})
	appendN(l, 5, "front")
	waitCursor(t, p, 30)
	if got := seqs(readStream(t, nc)); !slices.Equal(got, span(1, 30)) {
		t.Fatalf("stream seqs = %v, want 1..30 once each", got)
	}
	if s := p.Stats(); s.Published != 5 {
		t.Fatalf("published %d after the restart, want 5 (nothing again)", s.Published)
	}
}

// stopServer shuts srv down and waits until nc has noticed.
func stopServer(t *testing.T, srv interface{ Shutdown() }, nc *nats.Conn) {
	t.Helper()
	down := nc.StatusChanged(nats.RECONNECTING)
	defer nc.RemoveStatusListener(down)
	srv.Shutdown()
	<-down
}

// While the server is away, events wait in the log (the cursor holds
// their place); when it comes back (same store dir) they are delivered in
// order after those it had, none twice.
func TestOfflineEventsDeliveredInOrderAfterServerRestart(t *testing.T) {
	dir := t.TempDir()
	srv := natsServer(t, dir, 0)
	port := serverPort(srv)
	nc := dial(t, srv.ClientURL())
	st, l := openLog(t, storePath(t), store.EventOptions{})
	p := startPub(t, nc, st, l, Options{Window: 16})
	appendN(l, 10, "front")
	waitCursor(t, p, 10)

	stopServer(t, srv, nc)
	appendN(l, 40, "back")
	if s := p.Stats(); s.Pending != 40 || s.Cursor != 10 || s.Connected {
		t.Fatalf("offline stats = %+v, want 40 pending after cursor 10, not connected", s)
	}

	natsServer(t, dir, port)
	waitCursor(t, p, 50)
	got := readStream(t, nc)
	if !slices.Equal(seqs(got), span(1, 50)) {
		t.Fatalf("stream seqs = %v, want 1..50 once each in order", seqs(got))
	}
	for _, m := range got[10:] {
		if m.ev.Door != "back" {
			t.Fatalf("event %d door %q, want one appended offline", m.ev.Seq, m.ev.Door)
		}
	}
}

// Offline longer than the ring holds: the events the ring evicted before
// they were published are counted and reported once by an
// events_unpublished event, published after what the ring kept.
func TestRingDropsWhileOfflineAreCountedAndReported(t *testing.T) {
	dir := t.TempDir()
	srv := natsServer(t, dir, 0)
	port := serverPort(srv)
	nc := dial(t, srv.ClientURL())
	st, l := openLog(t, storePath(t), store.EventOptions{Capacity: 10})
	p := startPub(t, nc, st, l, Options{})
	appendN(l, 5, "front")
	waitCursor(t, p, 5)

	stopServer(t, srv, nc)
	appendN(l, 30, "back") // seqs 6..35; the ring keeps 26..35

	natsServer(t, dir, port)
	waitCursor(t, p, 36)
	got := readStream(t, nc)
	want := append(append(span(1, 5), span(26, 35)...), 36)
	if !slices.Equal(seqs(got), want) {
		t.Fatalf("stream seqs = %v, want %v", seqs(got), want)
	}
	gap := got[len(got)-1].ev
	if gap.Type != EventUnpublished || !strings.HasPrefix(gap.Detail, "20 events (seq 6-25)") {
		t.Fatalf("last event = %+v, want events_unpublished for 20 events 6-25", gap)
	}
	if s := p.Stats(); s.Dropped != 20 {
		t.Fatalf("dropped = %d, want 20", s.Dropped)
	}
}
