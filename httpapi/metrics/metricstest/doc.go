// Package metricstest checks a /metrics body in tests: with Prometheus's
// own promtool, and by reading one sample's value.
package metricstest
