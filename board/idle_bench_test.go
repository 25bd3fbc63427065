//go:build linux

package board

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/board/gpiocdev"
)

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// manyDoors is a simulated board with n readers and n doors (relay,
// contact, REX, tamper each).
func manyDoors(n int) Config {
	c := Config{Kind: "sim", Pins: map[string]string{}}
	for i := range n {
		id := fmt.Sprint(i + 1)
		for _, p := range []string{"d0", "d1", "relay", "contact", "rex", "tamper"} {
			c.Pins[p+id] = fmt.Sprintf("GPIO%d_%s", i, p)
		}
		c.Readers = append(c.Readers, ReaderConfig{ID: id, D0: "d0" + id, D1: "d1" + id})
		c.Doors = append(c.Doors, DoorConfig{ID: id, Relay: "relay" + id, RelayActive: "low", Fail: "secure", Contact: "contact" + id, REX: "rex" + id, Tamper: "tamper" + id})
	}
	return c
}

// BenchmarkIdleCPU measures process CPU time (getrusage: user+system)
// while nobody swipes: one op is one second of wall time. Reported as
// %cpu of one core. Run with -benchtime=3x.
func BenchmarkIdleCPU(b *testing.B) {
	for _, n := range []int{2, 32} {
		b.Run(fmt.Sprintf("sim-board-%d-doors", n), func(b *testing.B) {
			bd, err := Open(manyDoors(n), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer bd.Close()
			go func() {
				for range bd.InputEvents() {
				}
			}()
			idle(b)
		})
		// Readers parked on real file descriptors (pipes), as on
		// hardware where the line request fd sits in the runtime poller.
		b.Run(fmt.Sprintf("cdev-pipe-%d-readers", n), func(b *testing.B) {
			var writers []*os.File
			stop := make(chan struct{})
			for range n {
				r, w, err := os.Pipe()
				if err != nil {
					b.Fatal(err)
				}
				writers = append(writers, w)
				src := gpiocdev.NewSource(r, 0, 1, gpiocdev.Clock{Base: time.Now()})
				defer src.Close()
				go func() {
					for {
						if _, err := src.ReadEdges(nil, time.Time{}); err != nil {
							return
						}
						select {
						case <-stop:
							return
						default:
						}
					}
				}()
			}
			defer close(stop)
			idle(b)
			for _, w := range writers {
				w.Close()
			}
		})
	}
}

func idle(b *testing.B) {
	time.Sleep(100 * time.Millisecond) // let start-up settle
	var cpu, wall time.Duration
	for b.Loop() {
		c0, t0 := cpuTime(b), time.Now()
		time.Sleep(time.Second)
		cpu += cpuTime(b) - c0
		wall += time.Since(t0)
	}
	b.ReportMetric(100*float64(cpu)/float64(wall), "%cpu")
	b.ReportMetric(float64(cpu.Microseconds())/wall.Seconds(), "cpu-µs/s")
}
