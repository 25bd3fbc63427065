package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// openLog opens an event log over st, closing it and checking its buckets
// on cleanup (before storetest closes the store).
func openLog(t testing.TB, st *store.Store, opt store.EventOptions, hook func([]store.Event) error) *store.EventLog {
	t.Helper()
	l, err := store.OpenEventLogForTest(st, opt, hook)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		// Check needs the log open on the file only for its options; a
		// closed log still reads the file.
		if err := l.Check(); err != nil {
			t.Error(err)
		}
	})
	return l
}

func queryAll(t testing.TB, l *store.EventLog, f store.EventFilter) []store.Event {
	t.Helper()
	var out []store.Event
	for i := 0; ; i++ {
		page, next, err := l.Query(f)
		if err != nil {
			t.Fatal(err)
		}
		if next < f.After {
			t.Fatalf("next %d went back from %d", next, f.After)
		}
		out = append(out, page...)
		if next == f.After {
			return out
		}
		f.After = next
		if i > 100000 {
			t.Fatal("paging does not end")
		}
	}
}

func seqs(evs []store.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123, time.UTC)

func TestEventLogAppendQuery(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{Now: func() time.Time { return t0 }}, nil)
	given := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	l.Append(store.Event{Type: store.EventAccessGranted, Door: "front", Reader: "r1", UserID: "u-1", UserUID: 7,
		CredentialType: "card", Credential: "1234567895", At: given})
	l.Append(store.Event{Type: store.EventDoorForced, Door: "back"})
	l.Append(store.Event{Type: store.EventOperatorLogin, Operator: "admin", Seq: 999})
	l.Flush()
	got, next, err := l.Query(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3}; !slices.Equal(seqs(got), want) || next != 3 {
		t.Fatalf("seqs %v next %d, want %v next 3", seqs(got), next, want)
	}
	want0 := store.Event{Seq: 1, At: given.UTC(), Type: "access_granted", Door: "front", Reader: "r1", UserID: "u-1",
		UserUID: 7, CredentialType: "card", Credential: "••••895"}
	if got[0] != want0 {
		t.Errorf("event 1 = %+v, want %+v", got[0], want0)
	}
	if !got[1].At.Equal(t0) || got[1].At.Location() != time.UTC {
		t.Errorf("event 2 at %v, want %v (stamped, UTC)", got[1].At, t0)
	}
	if s := l.Stats(); s.Written != 3 || s.LastSeq != 3 || s.Dropped != 0 || s.Queued != 0 {
		t.Errorf("stats %+v", s)
	}
	// Nothing after the last: an empty page and next stays.
	if page, next, _ := l.Query(store.EventFilter{After: 3}); len(page) != 0 || next != 3 {
		t.Errorf("after 3: %v next %d", seqs(page), next)
	}
	if page, next, _ := l.Query(store.EventFilter{After: 50}); len(page) != 0 || next != 50 {
		t.Errorf("after 50: %v next %d; next must not go back", seqs(page), next)
	}
}

func TestEventJSON(t *testing.T) {
	ev := store.Event{Seq: 5, At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("X", 3600)), Type: "rex", Door: "front"}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":5,"at":"2026-03-02T08:00:00.000000000Z","type":"rex","door":"front","reader":"","user_id":"",` +
		`"user_uid":0,"credential_type":"","credential":"","credential_format":"","credential_bits":0,"reason":"","operator":"","detail":""}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back store.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(ev.At) || back.Seq != 5 || back.Door != "front" {
		t.Errorf("round trip %+v", back)
	}
}

func TestEventLogSeqSurvivesReopen(t *testing.T) {
	st := storetest.Open(t)
	l, err := store.OpenEventLog(st, store.EventOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l.Append(store.Event{Type: store.EventREX})
	}
	l.Close()
	path := st.Path()
	st.Close()

	st2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	l2, err := store.OpenEventLog(st2, store.EventOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got := l2.LastSeq(); got != 3 {
		t.Fatalf("LastSeq after reopen = %d, want 3", got)
	}
	l2.Append(store.Event{Type: store.EventTamper})
	l2.Append(store.Event{Type: store.EventTamper})
	l2.Flush()
	got, _, err := l2.Query(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3, 4, 5}; !slices.Equal(seqs(got), want) {
		t.Fatalf("seqs %v, want %v", seqs(got), want)
	}
	if got[3].Type != "tamper" || got[2].Type != "rex" {
		t.Errorf("types %s %s", got[2].Type, got[3].Type)
	}
	if err := l2.Check(); err != nil {
		t.Error(err)
	}
}

func TestEventLogRingEviction(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{Capacity: 5, MaxBatch: 2}, nil)
	for i := range 12 {
		l.Append(store.Event{Type: store.EventAccessGranted, Door: fmt.Sprint("d", i%2), UserID: fmt.Sprint("u", i%3), UserUID: uint64(i%3 + 1)})
	}
	l.Flush()
	got := queryAll(t, l, store.EventFilter{})
	if want := []uint64{8, 9, 10, 11, 12}; !slices.Equal(seqs(got), want) {
		t.Fatalf("ring holds %v, want %v", seqs(got), want)
	}
	if s := l.Stats(); s.Evicted != 7 || s.Written != 12 {
		t.Errorf("stats %+v, want evicted 7 written 12", s)
	}
	// The evicted events' postings went with them.
	if got := queryAll(t, l, store.EventFilter{Door: "d0"}); !slices.Equal(seqs(got), []uint64{9, 11}) {
		t.Errorf("door d0: %v, want [9 11]", seqs(got))
	}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
	// Lowering the capacity shrinks the ring by at most a batch plus
	// MaxEvict per transaction.
	l.Close()
	l2 := openLog(t, st, store.EventOptions{Capacity: 2, MaxEvict: 1}, nil)
	l2.Append(store.Event{Type: "rex"})
	l2.Flush()
	if got := queryAll(t, l2, store.EventFilter{}); !slices.Equal(seqs(got), []uint64{10, 11, 12, 13}) {
		t.Errorf("after one batch at capacity 2: %v, want [10 11 12 13]", seqs(got))
	}
	for _, want := range [][]uint64{{12, 13, 14}, {14, 15}, {15, 16}} {
		l2.Append(store.Event{Type: "rex"})
		l2.Flush()
		if got := queryAll(t, l2, store.EventFilter{}); !slices.Equal(seqs(got), want) {
			t.Errorf("shrinking: %v, want %v", seqs(got), want)
		}
	}
}

// stalledLog is a log with a 4-event queue whose writer has taken event
// "e1" and waits until release is closed.
func stalledLog(t *testing.T) (*store.EventLog, chan struct{}) {
	st := storetest.Open(t)
	entered, release := make(chan struct{}), make(chan struct{})
	first := true
	l := openLog(t, st, store.EventOptions{QueueSize: 4}, func([]store.Event) error {
		if first {
			first = false
			close(entered)
			<-release
		}
		return nil
	})
	l.Append(store.Event{Type: "rex", Detail: "e1"})
	<-entered
	return l, release
}

// A stalled writer: Append still returns at once, the queue keeps the
// newest QueueSize events, and the log records how many were lost.
func TestEventLogQueueOverflowDropsOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, release := stalledLog(t) // the writer holds e1 and is stalled
		for i := 2; i <= 11; i++ {
			// If Append waited for the writer, every goroutine of the
			// bubble would be blocked and synctest would fail the test.
			l.Append(store.Event{Type: "rex", Detail: fmt.Sprint("e", i)})
		}
		if s := l.Stats(); s.Dropped != 6 || s.Queued != 4 {
			t.Errorf("stats while stalled %+v, want dropped 6 queued 4", s)
		}
		close(release)
		l.Flush()
		got := queryAll(t, l, store.EventFilter{})
		var details []string
		for _, e := range got {
			details = append(details, e.Detail)
		}
		want := []string{"e1", "6 events lost (queue full or write failed)", "e8", "e9", "e10", "e11"}
		if !slices.Equal(details, want) {
			t.Errorf("log %q, want %q", details, want)
		}
		if got[1].Type != store.EventsDropped {
			t.Errorf("marker type %q", got[1].Type)
		}
		if !slices.Equal(seqs(got), []uint64{1, 2, 3, 4, 5, 6}) {
			t.Errorf("seqs %v: committed seqs must be dense", seqs(got))
		}
	})
}

func TestEventLogWriteFailure(t *testing.T) {
	st := storetest.Open(t)
	var logBuf bytes.Buffer
	fail := true
	l := openLog(t, st, store.EventOptions{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}, func([]store.Event) error {
		if fail {
			fail = false
			return errors.New("input/output error")
		}
		return nil
	})
	l.Append(store.Event{Type: "rex", Detail: "lost"})
	l.Flush()
	// The writer notes the loss as an events_dropped event of its own,
	// which may or may not be written by the time Flush returns.
	if s := l.Stats(); s.Failed != 1 || s.Written > 1 {
		t.Errorf("stats %+v, want failed 1 and at most the loss note written", s)
	}
	if !strings.Contains(logBuf.String(), "input/output error") {
		t.Errorf("the failure was not logged: %q", logBuf.String())
	}
	l.Append(store.Event{Type: "rex", Detail: "kept"})
	l.Flush()
	got := queryAll(t, l, store.EventFilter{})
	if len(got) != 2 || got[0].Type != store.EventsDropped || got[0].Detail != "1 events lost (queue full or write failed)" ||
		got[1].Detail != "kept" || got[0].Seq != 1 {
		t.Errorf("log after a failed write: %+v", got)
	}
}

func TestEventLogCloseFlushes(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{QueueSize: 10000, MaxBatch: 10}, nil)
	for range 1000 {
		l.Append(store.Event{Type: "rex"})
	}
	l.Close()
	if s := l.Stats(); s.Written != 1000 || s.Queued != 0 {
		t.Errorf("after Close: %+v, want 1000 written", s)
	}
	l.Append(store.Event{Type: "rex"})
	if s := l.Stats(); s.Dropped != 1 {
		t.Errorf("append after Close: dropped %d, want 1", s.Dropped)
	}
	if _, _, err := l.Query(store.EventFilter{}); !errors.Is(err, store.ErrEventLogClosed) {
		t.Errorf("Query after Close: %v", err)
	}
	ch, _ := l.Subscribe()
	if _, ok := <-ch; ok {
		t.Error("Subscribe after Close: channel open")
	}
	l2 := openLog(t, st, store.EventOptions{}, nil)
	if n := len(queryAll(t, l2, store.EventFilter{})); n != 1000 {
		t.Errorf("%d events on file, want 1000", n)
	}
}

func TestEventLogMakesNoChangeRecords(t *testing.T) {
	var rec recorder
	st := storetest.Open(t, store.Options{OnChange: rec.onChange})
	l := openLog(t, st, store.EventOptions{}, nil)
	before := st.Seq()
	l.Append(store.Event{Type: store.EventOperatorChange, Operator: "admin"})
	l.Flush()
	if st.Seq() != before || len(rec.changes) != 0 {
		t.Errorf("store seq %d→%d, %d change records; events must not be store changes", before, st.Seq(), len(rec.changes))
	}
}

func TestMaskCredential(t *testing.T) {
	for _, c := range []struct{ typ, in, want string }{
		{"card", "1234567895", "••••895"}, // a card keeps three digits: enough to tell an unknown card by
		{"card", "123456", "••••456"},
		{"card", "12345", "••••45"},
		{"card", "1234", "••••"},
		{"pin", "12345678", "••••"},
		{"qr", "äbcdéf", "••••éf"},
		{"card", "", ""},
	} {
		if got := store.MaskCredential(c.typ, c.in); got != c.want {
			t.Errorf("MaskCredential(%q, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
	}
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{}, nil)
	for _, c := range []struct{ typ, in, want string }{
		{"card", "••••95", "••••95"}, // already masked: kept
		{"card", "••••895", "••••895"},
		{"card", "••••123456", "••••456"}, // too much shown: masked again
		{"qr", "••••123", "••••23"},
		{"pin", "••••12", "••••"}, // a PIN shows nothing
		{"pin", "4711", "••••"},
		{"card", "9876543210", "••••210"},
	} {
		l.Append(store.Event{Type: "access_denied", CredentialType: c.typ, Credential: c.in, Detail: c.want})
	}
	l.Flush()
	for _, e := range queryAll(t, l, store.EventFilter{}) {
		if e.Credential != e.Detail {
			t.Errorf("stored credential %q, want %q", e.Credential, e.Detail)
		}
	}
}

func TestEventLogSubscribe(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{}, nil)
	ch, cancel := l.Subscribe()
	for i := range 3 {
		l.Append(store.Event{Type: "rex", Detail: fmt.Sprint(i)})
	}
	for i := range 3 {
		ev := <-ch
		if ev.Seq != uint64(i+1) || ev.Detail != fmt.Sprint(i) {
			t.Fatalf("received %+v, want seq %d", ev, i+1)
		}
		// Delivered after the commit: a query already finds it.
		page, _, err := l.Query(store.EventFilter{After: ev.Seq - 1, Limit: 1})
		if err != nil || len(page) != 1 || page[0].Seq != ev.Seq {
			t.Fatalf("event %d delivered before it was queryable: %v %v", ev.Seq, page, err)
		}
	}
	if l.Subscribers() != 1 {
		t.Errorf("subscribers %d", l.Subscribers())
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Error("channel open after cancel")
	}
	cancel() // twice is fine
	if l.Subscribers() != 0 {
		t.Errorf("subscribers %d after cancel", l.Subscribers())
	}
}

func TestEventLogSlowSubscriberDropped(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{SubscriberBuffer: 2}, nil)
	slow, _ := l.Subscribe()
	for range 5 {
		l.Append(store.Event{Type: "rex"})
	}
	l.Flush() // the writer did not wait for the slow reader
	var got []uint64
	for ev := range slow {
		got = append(got, ev.Seq)
	}
	if !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("slow subscriber got %v, want [1 2] then a closed channel", got)
	}
	if s := l.Stats(); s.SlowSubscribers != 1 || s.Written != 5 {
		t.Errorf("stats %+v", s)
	}
}

// TestEventLogFilters compares every filter, in both directions and with
// a tiny scan budget, with a plain filter over all events.
func TestEventLogFilters(t *testing.T) {
	st := storetest.Open(t)
	types := []string{"access_granted", "access_denied", "door_forced", "rex", "tamper"}
	doors := []string{"front", "back", "garage"}
	users := []struct {
		id  string
		uid uint64
	}{{"", 0}, {"aaaa", 1}, {"bbbb", 2}, {"cccc", 3}, {"", 9}}
	r := rand.New(rand.NewPCG(1, 2))
	var all []store.Event
	at := t0
	for i := range 400 {
		at = at.Add(time.Duration(r.IntN(60)) * time.Second)
		if i == 200 {
			at = at.Add(-3 * time.Hour) // a clock step backwards
		}
		u := users[r.IntN(len(users))]
		ev := store.Event{Seq: uint64(i + 1), At: at, Type: types[r.IntN(len(types))], UserID: u.id, UserUID: u.uid}
		if r.IntN(4) > 0 {
			ev.Door = doors[r.IntN(len(doors))]
		}
		if i%97 == 0 {
			ev.Type = "duress" // rare
		}
		all = append(all, ev)
	}
	for _, budget := range []int{20000, 3} {
		l, err := store.OpenEventLog(st, store.EventOptions{ScanBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		if budget == 20000 {
			for _, ev := range all {
				l.Append(ev)
			}
			l.Flush()
		}
		filters := []store.EventFilter{
			{},
			{Types: []string{"door_forced"}},
			{Types: []string{"duress"}},
			{Types: []string{"duress", "tamper", "duress"}},
			{Types: []string{"nope"}},
			{Door: "front"},
			{Door: "front", Types: []string{"access_denied", "rex"}},
			{UserID: "bbbb"},
			{UserUID: 9},
			{UserUID: 2, UserID: "bbbb", Door: "garage"},
			{UserUID: 2, UserID: "aaaa"},
			{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)},
			{From: t0.Add(time.Hour), Door: "back", Types: []string{"access_granted"}},
		}
		for _, f := range filters {
			var want []store.Event
			for _, ev := range all {
				if f.Match(&ev) {
					want = append(want, ev)
				}
			}
			name := fmt.Sprintf("budget %d %+v", budget, f)
			for _, lim := range []int{1, 7, 1000} {
				f := f
				f.Limit = lim
				got := queryAll(t, l, f)
				if !eventsEqual(got, want) {
					t.Errorf("%s limit %d: got %v\nwant %v", name, lim, seqs(got), seqs(want))
				}
				// Resuming from the middle of the list.
				if len(want) > 2 {
					f.After = want[1].Seq
					if got := queryAll(t, l, f); !eventsEqual(got, want[2:]) {
						t.Errorf("%s after %d: got %v want %v", name, f.After, seqs(got), seqs(want[2:]))
					}
				}
			}
			// Latest: the newest page, oldest first; with a tiny budget a
			// suffix of it.
			f.Latest, f.Limit, f.After = true, 5, 123
			got, next, err := l.Query(f)
			if err != nil {
				t.Fatal(err)
			}
			wantLatest := want[max(0, len(want)-5):]
			if budget == 3 {
				wantLatest = wantLatest[len(wantLatest)-min(len(got), len(wantLatest)):]
			}
			if !eventsEqual(got, wantLatest) || next != 400 {
				t.Errorf("%s latest: got %v next %d, want %v next 400", name, seqs(got), next, seqs(wantLatest))
			}
		}
		l.Close()
	}
}

func eventsEqual(a, b []store.Event) bool {
	return slices.EqualFunc(a, b, func(x, y store.Event) bool {
		return x.Seq == y.Seq && x.At.Equal(y.At) && x.Type == y.Type && x.Door == y.Door && x.UserID == y.UserID && x.UserUID == y.UserUID
	})
}

func TestEventLogLimits(t *testing.T) {
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{}, nil)
	for range 1200 {
		l.Append(store.Event{Type: "rex"})
	}
	l.Flush()
	for _, c := range []struct{ limit, want int }{{0, store.DefaultEventLimit}, {5000, store.MaxEventLimit}, {3, 3}} {
		page, next, _ := l.Query(store.EventFilter{Limit: c.limit})
		if len(page) != c.want || next != uint64(c.want) {
			t.Errorf("limit %d: %d events next %d, want %d", c.limit, len(page), next, c.want)
		}
	}
}

// The hand-written JSON quotes strings exactly as encoding/json does.
func TestEventJSONStrings(t *testing.T) {
	type mirror struct {
		Seq            uint64 `json:"seq"`
		At             string `json:"at"`
		Type           string `json:"type"`
		Door           string `json:"door"`
		Reader         string `json:"reader"`
		UserID         string `json:"user_id"`
		UserUID        uint64 `json:"user_uid"`
		CredentialType string `json:"credential_type"`
		Credential     string `json:"credential"`
		Format         string `json:"credential_format"`
		Bits           int    `json:"credential_bits"`
		Reason         string `json:"reason"`
		Operator       string `json:"operator"`
		Detail         string `json:"detail"`
	}
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x00\x1f\x7f", "<a href='x'>&</a>",
		"ünïcødé ••••95 🚪", "bad\xffutf8\xc3", "line\u2028sep\u2029", strings.Repeat("x", 300)} {
		ev := store.Event{Seq: 1, At: t0, Type: s, Door: s, Detail: s, Operator: s, UserUID: 1 << 60}
		got, _ := json.Marshal(ev)
		want, _ := json.Marshal(mirror{Seq: 1, At: t0.Format(store.EventTimeFormat), Type: s, Door: s, Detail: s, Operator: s, UserUID: 1 << 60})
		if !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}

// Alarms are never dropped for access events: with the writer stalled
// and the queue full, a flood of access events pushes out the oldest
// access events, never an alarm queued among them, and an alarm arriving
// at a full queue takes an access event's place.
func TestEventLogQueueKeepsAlarms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, release := stalledLog(t)
		l.Append(store.Event{Type: store.EventDoorForced, Detail: "forced"})
		for i := 2; i <= 5; i++ {
			l.Append(store.Event{Type: store.EventAccessDenied, Detail: fmt.Sprint("d", i)})
		}
		l.Append(store.Event{Type: store.EventTamper, Detail: "tamper"})
		l.Append(store.Event{Type: store.EventDuress, Detail: "duress"})
		for i := 6; i <= 20; i++ {
			l.Append(store.Event{Type: store.EventAccessDenied, Detail: fmt.Sprint("d", i)})
		}
		close(release)
		l.Flush()
		var details []string
		for _, e := range queryAll(t, l, store.EventFilter{}) {
			details = append(details, e.Detail)
		}
		want := []string{"e1", "18 events lost (queue full or write failed)", "forced", "tamper", "duress", "d20"}
		if !slices.Equal(details, want) {
			t.Errorf("log %q, want %q", details, want)
		}
		for _, typ := range []string{store.EventDoorForced, "door_forced_cleared", "door_held", "door_held_prealarm",
			store.EventTamper, store.EventDuress, "relay_fault", "door_fault"} {
			if !store.IsAlarm(typ) {
				t.Errorf("IsAlarm(%q) = false", typ)
			}
		}
		if store.IsAlarm(store.EventAccessDenied) || store.IsAlarm(store.EventREX) {
			t.Error("access events counted as alarms")
		}
	})
}

// The door runtime knows users by uid; the writer fills in the uuid
// (EventOptions.UserID), off the door path and in the order appended, so
// that the user filter finds door events.
func TestEventLogResolvesUserID(t *testing.T) {
	st := storetest.Open(t)
	var calls []uint64
	l := openLog(t, st, store.EventOptions{UserID: func(uid uint64) string {
		calls = append(calls, uid) // the writer goroutine only: no lock
		return fmt.Sprint("u-", uid)
	}}, nil)
	l.Append(store.Event{Type: store.EventAccessGranted, UserUID: 7})
	l.Append(store.Event{Type: store.EventAccessGranted, UserUID: 8, UserID: "given"})
	l.Append(store.Event{Type: store.EventREX})
	l.Flush()
	got := queryAll(t, l, store.EventFilter{UserID: "u-7"})
	if len(got) != 1 || got[0].UserUID != 7 {
		t.Fatalf("events of u-7 = %+v", got)
	}
	if all := queryAll(t, l, store.EventFilter{}); all[1].UserID != "given" || all[2].UserID != "" {
		t.Fatalf("events = %+v", all)
	}
	if !slices.Equal(calls, []uint64{7}) {
		t.Fatalf("UserID called for %v, want [7]", calls)
	}
}
