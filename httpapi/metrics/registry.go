package metrics

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// Door is one door's live state as the metrics show it.
type Door struct {
	ID     string
	Mode   string   // effective mode: normal, unlocked, locked_down, disabled
	Locked bool     // the relay as last driven successfully
	Open   bool     // the door contact says open
	Alarms []string // active alarms
}

// FleetEvents are the fleet event publisher's counters
// (store/fleet/eventpub.Stats).
type FleetEvents struct {
	Published, Pending, Dropped uint64
	LastAck                     time.Time // zero: none since start
}

// Sources are what a scrape reads. Every field may be nil: a daemon
// without a board has no decisions and no doors, and their families are
// then absent.
type Sources struct {
	// Decisions reads the engine's per-reader counters
	// (access.Engine.Decisions: atomic loads).
	Decisions func() []access.ReaderDecisions
	// DecisionLatency is filled by the door path (cmd/doord times each
	// Decider call into it).
	DecisionLatency *Latency
	// Doors reads the doors' published snapshots (device.Runtime.Doors).
	Doors func() []Door
	// ModeNames and AlarmNames are every mode and alarm a door can have,
	// so that each has a series from the start (0) and a rate or an
	// alert works before the first alarm.
	ModeNames, AlarmNames []string
	// Events reads the event log's counters.
	Events func() store.EventStats
	// FleetEvents reads the fleet event publisher's counters (fleet
	// mode only).
	FleetEvents func() FleetEvents
	// Store is read for the change feed's counters, the file size and the
	// number of stored sessions.
	Store *store.Store
	// CommitLatency is filled by the store (store.Options.ObserveCommit).
	CommitLatency *Latency
	// Version is the binary's version, for doord_build_info.
	Version string
	// Fleet reads the fleet sync's figures (nil: not in fleet mode).
	Fleet func() Fleet
}

// Fleet are the fleet sync's figures (store/fleet.Stats).
type Fleet struct {
	Live, Stale                         bool
	Revision                            uint64
	OfflineSeconds                      float64
	Conflicts, Refused, OfflineRefusals uint64
}

// Registry is doord's metrics: what Sources hold, read at scrape time,
// and the HTTP requests the API reports through ObserveRequest.
type Registry struct {
	src Sources

	scrape sync.Mutex // one scrape at a time: they share the families' sets
	fams   []*family  // in output order
	byName map[string]*family

	http httpMetrics
}

// family is one metric name with its HELP and TYPE, and its samples in a
// set of their own: the library writes the samples, and each family's
// metadata is written once, with a help text (the library writes an
// empty one, which promtool rejects).
type family struct {
	name, typ, help string
	set             *vm.Set
	write           func(io.Writer) // instead of set, for a Latency
}

// New returns a registry reading src.
func New(src Sources) *Registry {
	r := &Registry{src: src, byName: map[string]*family{}}
	for _, f := range families {
		if !f.present(src) {
			continue
		}
		fam := &family{name: f.name, typ: f.typ, help: f.help, set: vm.NewSet()}
		r.fams = append(r.fams, fam)
		r.byName[f.name] = fam
	}
	if src.DecisionLatency != nil {
		r.byName[famDecisionSeconds].write = func(w io.Writer) { src.DecisionLatency.write(w, famDecisionSeconds) }
	}
	if src.CommitLatency != nil {
		r.byName[famCommitSeconds].write = func(w io.Writer) { src.CommitLatency.write(w, famCommitSeconds) }
	}
	r.http.init(r.byName[famHTTPRequests].set, r.byName[famHTTPSeconds].set)
	return r
}

// WriteTo writes every metric in the Prometheus text format (0.0.4).
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.scrape.Lock()
	defer r.scrape.Unlock()
	r.collect()
	var b bytes.Buffer
	for _, f := range r.fams {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		if f.write != nil {
			f.write(&b)
		} else {
			f.set.WritePrometheus(&b)
		}
	}
	return b.WriteTo(w)
}

// counter and gauge set one sample of a family read at scrape time.
func (r *Registry) counter(fam string, v uint64, labels ...string) {
	r.byName[fam].set.GetOrCreateCounter(series(fam, labels...)).Set(v)
}

func (r *Registry) gauge(fam string, v float64, labels ...string) {
	r.byName[fam].set.GetOrCreateGauge(series(fam, labels...), nil).Set(v)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collect reads the sources into the families' samples.
func (r *Registry) collect() {
	s := r.src
	r.gauge(famBuildInfo, 1, "version", s.Version)
	if s.Decisions != nil {
		for _, d := range s.Decisions() {
			r.counter(famDecisions, d.Granted, "reader", d.Reader, "result", "granted")
			for reason := access.Reason(1); int(reason) < access.NumReasons; reason++ {
				r.counter(famDecisions, d.DeniedBy[reason], "reader", d.Reader, "result", "denied", "reason", reason.String())
			}
			r.counter(famBadReads, d.DeniedBy[access.ReasonBadRead], "reader", d.Reader)
			r.counter(famQuiet, d.Quiet, "reader", d.Reader)
		}
	}
	if s.Doors != nil {
		for _, d := range s.Doors() {
			r.gauge(famDoorLocked, flag(d.Locked), "door", d.ID)
			r.gauge(famDoorOpen, flag(d.Open), "door", d.ID)
			for _, m := range withExtra(s.ModeNames, d.Mode) {
				r.gauge(famDoorMode, flag(m == d.Mode), "door", d.ID, "mode", m)
			}
			for _, a := range withExtra(s.AlarmNames, d.Alarms...) {
				r.gauge(famDoorAlarm, flag(contains(d.Alarms, a)), "door", d.ID, "alarm", a)
			}
		}
	}
	if s.Events != nil {
		e := s.Events()
		r.counter(famEventsWritten, e.Written)
		r.counter(famEventsDropped, e.Dropped+e.Failed)
		r.counter(famEventsEvicted, e.Evicted)
		r.counter(famEventSubsDropped, e.SlowSubscribers)
		r.gauge(famEventsQueued, float64(e.Queued))
	}
	if s.FleetEvents != nil {
		f := s.FleetEvents()
		r.counter(famFleetPublished, f.Published)
		r.gauge(famFleetPending, float64(f.Pending))
		r.counter(famFleetDropped, f.Dropped)
		age := -1.0
		if !f.LastAck.IsZero() {
			age = time.Since(f.LastAck).Seconds()
		}
		r.gauge(famFleetAckAge, age)
	}
	if st := s.Store; st != nil {
		f := st.FeedStats()
		r.counter(famFeedResyncs, f.Resyncs)
		r.counter(famFeedResyncErrors, f.ResyncErrors)
		r.counter(famFeedOverflows, f.Overflows)
		r.counter(famFeedPanics, f.Panics)
		r.gauge(famFeedSubscribers, float64(f.Subscribers))
		r.gauge(famStoreSeq, float64(st.Seq()))
		if fi, err := os.Stat(st.Path()); err == nil {
			r.gauge(famStoreBytes, float64(fi.Size()))
		}
		if n, err := st.SessionCount(); err == nil {
			r.gauge(famSessions, float64(n))
		}
	}
	if s.Fleet != nil {
		f := s.Fleet()
		r.gauge(famFleetLive, flag(f.Live))
		r.gauge(famFleetStale, flag(f.Stale))
		r.gauge(famFleetRevision, float64(f.Revision))
		r.gauge(famFleetOffline, f.OfflineSeconds)
		r.counter(famFleetConflicts, f.Conflicts)
		r.counter(famFleetRefused, f.Refused)
		r.counter(famFleetOfflineRefusals, f.OfflineRefusals)
	}
	r.collectProcess()
}

// withExtra is names plus those of extra that it lacks (a mode or alarm
// the list did not know still shows).
func withExtra(names []string, extra ...string) []string {
	out := names
	for _, e := range extra {
		if e != "" && !contains(out, e) {
			out = append(out[:len(out):len(out)], e)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// series is a family's sample name with its labels (name, value pairs),
// the values escaped for the text format.
func series(fam string, labels ...string) string {
	if len(labels) == 0 {
		return fam
	}
	var b strings.Builder
	b.WriteString(fam)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(labels[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(labels[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
