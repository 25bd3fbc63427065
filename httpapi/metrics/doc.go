// Package metrics owns doord's Prometheus metrics: which families exist,
// their names, labels and help, how each is read, and the text the
// /metrics route (httpapi/metricsroute.go) serves.
//
// Almost everything is read at scrape time from counters the parts already
// keep: the engine's per-reader decisions (access.Engine.Decisions, atomic
// loads), the doors' published snapshots, the event log's and the change
// feed's counters, the store's file size and sessions. The door path does
// no work for a scrape and never waits on one: the only thing it records
// for the metrics is the decision time, into a Latency (lock-free atomic
// buckets), because the library's histograms take a mutex their writer
// holds too. (One read shares a lock with the door path: the event log's
// queue depth, a single load under the log's mutex, which a door takes
// to append an event after its relay was driven and the log's writer
// holds far longer on every drain.) The store reports each commit's
// duration into another Latency (store.Options.ObserveCommit); the API
// reports its requests through ObserveRequest. Labels are bounded: route patterns, not paths;
// readers and doors from the config; reasons, modes and alarms from fixed
// sets; methods outside the known ones are "other".
//
// # Library
//
// github.com/VictoriaMetrics/metrics v1.45.0 writes the samples (counters,
// gauges, the API's histograms); each family has a Set of its own so that
// its HELP and TYPE are written once, with a help text (the library's own
// metadata has none, which promtool rejects). Chosen over
// github.com/prometheus/client_golang v1.25.0 for a 512 MB board, measured
// on doord's binary (CGO_ENABLED=0 GOARCH=arm GOARM=7, -trimpath -s -w,
// each library serving a counter, a gauge and a histogram, 2026-12-04):
//
//	without metrics           11,010,210 bytes
//	VictoriaMetrics/metrics   11,206,818 bytes  (+192 KiB, 3 modules)
//	prometheus/client_golang  13,107,362 bytes  (+2.0 MiB, 7 modules incl. protobuf)
//
// The whole feature as merged (this package, the route, the wiring):
// 11,075,746 → 11,272,354 bytes (+192 KiB) on the same build.
//
// The library's process metrics are not used: they call
// runtime.ReadMemStats, which stops the world (every door goroutine) at
// each scrape, and several of their names fail promtool's lint.
// process.go reads a few figures through runtime/metrics instead.
package metrics
