package board

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestValidateReaderTiming(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *ReaderConfig, c *Config)
		want string // "" = valid
	}{
		{"default gap", func(r *ReaderConfig, _ *Config) { r.FrameGap = 0 }, ""},
		{"8ms gap", func(r *ReaderConfig, _ *Config) { r.FrameGap = Duration(MinFrameGap) }, ""},
		{"7ms gap", func(r *ReaderConfig, _ *Config) { r.FrameGap = Duration(7 * time.Millisecond) }, "frame_gap 7ms is below the 8ms minimum"},
		{"negative gap", func(r *ReaderConfig, _ *Config) { r.FrameGap = -1 }, "frame_gap -1ns is negative"},
		{"negative min", func(r *ReaderConfig, _ *Config) { r.MinInterval = -1 }, "min_interval -1ns is negative"},
		{"min ≥ gap", func(r *ReaderConfig, _ *Config) { r.MinInterval = Duration(30 * time.Millisecond) }, "must be shorter than frame_gap"},
		{"sim interval vs gap", func(r *ReaderConfig, c *Config) {
			r.FrameGap, c.Sim.Interval = Duration(10*time.Millisecond), Duration(8*time.Millisecond)
		}, "too short for the simulated readers' 8ms bit interval"},
		{"sim interval vs min", func(r *ReaderConfig, c *Config) {
			c.Sim.Interval = Duration(200 * time.Microsecond)
			r.MinInterval = Duration(300 * time.Microsecond)
		}, "longer than the simulated readers' 200µs"},
		{"periph source", func(r *ReaderConfig, c *Config) { c.Kind = "gpio"; r.Source = "periph" }, `source "periph" cannot keep the order of D0 and D1 edges`},
	} {
		c := SimExample()
		tc.edit(&c.Readers[0], &c)
		err := c.Validate()
		found := false
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				found = found || strings.HasPrefix(line, `reader "1": `) && strings.Contains(line, tc.want)
			}
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.name, err)
		case tc.want != "" && !found:
			t.Errorf("%s: %v, want an error on reader 1 containing %q", tc.name, err, tc.want)
		}
	}
}

func TestReaderTimingWarnings(t *testing.T) {
	for _, tc := range []struct {
		gap, min time.Duration
		want     string
	}{
		{0, 0, ""},
		{15 * time.Millisecond, 0, ""},
		{14 * time.Millisecond, 0, "frame_gap 14ms is below 15ms: readers sending bits more than 8.8ms apart"},
		{0, 250 * time.Microsecond, "min_interval 250µs is above the 200µs"},
	} {
		r := ReaderConfig{FrameGap: Duration(tc.gap), MinInterval: Duration(tc.min)}
		got := strings.Join(r.timingWarnings(), "; ")
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("gap %v min %v: warnings %q, want %q", tc.gap, tc.min, got, tc.want)
		}
	}
}

// Reader 2 of the example profile has no keypad: key bursts on it are bad
// reads, never keys.
func TestSimKeysOnReaderWithoutKeypad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		if _, err := b.Sim().Keys("2", "12"); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			r := <-b.Reads()
			if r.Keys != "" || r.Card != nil || r.Bad == "" || i == 0 && !strings.Contains(r.Bad, "no keypad") {
				t.Errorf("read %d: %+v, want a bad read (no keypad)", i, r)
			}
		}
	})
}

// Reader timing warnings are among the board's warnings (Open logs them).
func TestReaderTimingInConfigWarnings(t *testing.T) {
	c := SimExample()
	c.Readers[1].FrameGap = Duration(10 * time.Millisecond)
	if got := strings.Join(c.Warnings(), "\n"); !strings.Contains(got, `reader "2": frame_gap 10ms is below 15ms`) {
		t.Errorf("warnings %q, want reader 2's frame_gap", got)
	}
}
