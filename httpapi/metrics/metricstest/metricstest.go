package metricstest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/board/qemu"
)

// RequireEnv is the environment variable that turns a missing promtool
// from a skip into a failure; `make test` sets it.
const RequireEnv = "DOORD_REQUIRE_PROMTOOL"

// Promtool runs `promtool check metrics` on body and fails t with its
// complaints. Without promtool on PATH the test is skipped, unless
// DOORD_REQUIRE_PROMTOOL=1 (make test), where that is a failure. Under
// qemu-user (make test-arm) promtool is not run, as starting a program
// there can deadlock (package qemu): the rest of the test goes on, and
// the amd64 run checks the same exposition code with promtool.
func Promtool(t testing.TB, body []byte) {
	t.Helper()
	if qemu.Emulated() {
		t.Log("under qemu-user: promtool check metrics left to the amd64 run")
		return
	}
	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n--- body ---\n%s", err, out, body)
	}
}

// PromtoolConfig runs `promtool check config` on a Prometheus config
// file, skipping or failing as Promtool does without promtool; skipping
// under qemu-user, as checking the config is all its callers do.
func PromtoolConfig(t testing.TB, file string) {
	t.Helper()
	qemu.SkipExec(t, "promtool")
	out, err := exec.Command(promtool(t), "check", "config", file).CombinedOutput()
	if err != nil {
		b, _ := os.ReadFile(file)
		t.Fatalf("promtool check config: %v\n%s\n--- %s ---\n%s", err, out, file, b)
	}
}

// promtool is promtool's path; see Promtool for a missing one.
func promtool(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("promtool is not installed and %s=1: apt-get install prometheus (or run .ci/run)", RequireEnv)
		}
		t.Skip("promtool is not installed (apt-get install prometheus): not checked with Prometheus's own tool")
	}
	return path
}

// Value is the value of the sample named exactly series (name and labels
// as doord writes them, e.g. `doord_decisions_total{reader="r1",result="granted"}`).
func Value(t testing.TB, body []byte, series string) float64 {
	t.Helper()
	v, ok := Lookup(body, series)
	if !ok {
		t.Fatalf("no sample %s in:\n%s", series, body)
	}
	return v
}

// Lookup is Value without a test: false when there is no such sample.
func Lookup(body []byte, series string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}
