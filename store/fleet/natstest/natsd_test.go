package natstest

import (
	"bufio"
	"debug/buildinfo"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/board/qemu"
)

// A race-built natsd (as make test builds it) runs with the race
// detector's reports off: nats-server under it is not instrumented, and
// the detector reported races there that are not (natsd/race.go).
func TestRaceBuiltNatsdRunsWithRaceReportsOff(t *testing.T) {
	if qemu.Emulated() {
		t.Skip("starts a program (fork under qemu-user can deadlock); runs on amd64")
	}
	bin := os.Getenv(BinEnv)
	if bin == "" {
		t.Skip(BinEnv + " is not set (make test sets it to its race-built natsd)")
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || (s.Key == "-race" && s.Value == "true")
	}
	if !race {
		t.Skipf("%s is not a race build", bin)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GORACE=") // whatever make exports
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close() // natsd stops when its standard input ends
	// The line comes from the process natsd became (exec keeps the pid).
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "natsd ") {
		t.Fatalf("natsd said %q, %v", line, err)
	}
	env, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(env), "\x00") {
		if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
			if !strings.Contains(v, "report_bugs=0") {
				t.Errorf("natsd runs with GORACE=%q, want report_bugs=0", v)
			}
			return
		}
	}
	t.Error("natsd runs without GORACE: its race reports are on")
}
