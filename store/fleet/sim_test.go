package fleet

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/nats-io/nats.go/jetstream"
)

// envInt reads a positive integer from the environment (0 when unset).
func envInt(t testing.TB, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestFleetSimulation is issue 15's fleet simulation: N lightweight
// controllers (the real sync code and a bbolt store each, no board) in
// this process against one embedded nats-server; one of them writes a
// change, and the time until every controller applied it is measured.
// It runs only when asked, on a quiet machine:
//
//	DOORD_FLEET_SIM=1000 go test -run TestFleetSimulation -timeout 30m -v ./store/fleet/
func TestFleetSimulation(t *testing.T) {
	n := envInt(t, "DOORD_FLEET_SIM")
	if n == 0 {
		t.Skip("set DOORD_FLEET_SIM=<controllers> to run the fleet simulation")
	}
	changes := max(envInt(t, "DOORD_FLEET_SIM_CHANGES"), 20)
	ns := startNATS(t)
	ms := make([]*member, n)
	t0 := time.Now()
	for i := range ms {
		ms[i] = join(t, ns, fmt.Sprintf("sim%d", i))
	}
	t.Logf("%d controllers joined in %v", n, time.Since(t0).Round(time.Millisecond))
	var lat []time.Duration
	cpu0, t1 := cpuTime(), time.Now()
	for c := range changes {
		u := store.User{Name: fmt.Sprintf("change %d", c)}
		start := time.Now()
		if _, err := ms[c%n].st.CreateUser(&u, "sim"); err != nil {
			t.Fatal(err)
		}
		rev := ms[c%n].f.rev()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Go(func() {
				m.waitRev(rev)
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	cpu, wall := cpuTime()-cpu0, time.Since(t1)
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("propagation of a change to all %d controllers (%d changes, %d samples): p50 %v, p99 %v, max %v; the changes took %v, %v CPU in this process (the controllers; the server is natsd, a process of its own)",
		n, changes, len(lat), q(0.50), q(0.99), lat[len(lat)-1], wall.Round(time.Millisecond), cpu.Round(time.Millisecond))
	if q(0.99) > time.Second {
		t.Errorf("p99 %v is over the 1 s target", q(0.99))
	}
}

// TestColdSync measures issue 15's cold start: a bucket of N users with
// two cards each, and an empty controller joining it, from its start to
// its watch being live (transfer plus the bulk load), with the peak
// memory of the process. Only when asked. With the embedded server the
// bucket is filled and loaded in one process:
//
//	DOORD_FLEET_COLD=1000000 go test -run TestColdSync -timeout 60m -v ./store/fleet/
//
// For the memory figure the server runs outside (its store dir keeps the
// filled bucket between runs) and the bucket is filled by a first run,
// which then stops; a second run, in a process that did not fill, only
// joins and measures (BENCHMARKS.md "Fleet" has the commands):
//
//	DOORD_FLEET_COLD=1000000 DOORD_FLEET_COLD_URL=nats://127.0.0.1:<port> go test -run TestColdSync -timeout 60m -v ./store/fleet/
func TestColdSync(t *testing.T) {
	n, ns := measured(t, "DOORD_FLEET_COLD", "a cold sync")
	// The bucket, made and filled over a connection of its own: no
	// controller but the measured one follows it.
	cfg := testConfig(ns.url(), "filler")
	js := filler(t, ns)
	if _, err := bindBucket(t.Context(), js, cfg); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(t.Context(), "KV_"+cfg.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < uint64(3*n) {
		fillColdBucket(t, js, cfg.Bucket(), n)
		if ns.ext != "" {
			t.Skip("the bucket is filled; run again to measure in a process that did not fill it")
		}
	}

	st := storetest.Open(t)
	defer func(old time.Duration) { waitLimit = old }(waitLimit) // serial for it: parallel tests read it
	waitLimit = time.Hour
	peak := sampleMemory()
	t1 := time.Now()
	cpu0 := cpuTime()
	c := joinStore(t, ns, "cold", st)
	took, cpu := time.Since(t1), cpuTime()-cpu0
	heap, anon := peak()
	s, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Users != n || s.Credentials != 2*n {
		t.Fatalf("loaded %d users and %d credentials, want %d and %d", s.Users, s.Credentials, n, 2*n)
	}
	t.Logf("cold sync of %d users + %d cards: %v to live, %v CPU (bulk load part %.1fs); peak Go heap %d MiB, peak anonymous RSS %d MiB, VmHWM %d MiB (with the store's mapped pages)",
		n, 2*n, took.Round(time.Millisecond), cpu.Round(time.Millisecond), c.f.Stats().ColdLoadSeconds, heap>>20, anon>>20, procStatus("VmHWM")>>20)
}

// TestGenLoad measures the load of a new generation (gen.go) of
// DOORD_FLEET_GEN users with two cards each by a controller that holds
// an old list: from the flip of the `gen` key to its watch being live on
// the new generation, its CPU time and peak Go heap (sampled after the
// new bucket was filled and a GC). The server is natstest's (a process
// of its own), or DOORD_FLEET_GEN_URL's.
func TestGenLoad(t *testing.T) {
	n, ns := measured(t, "DOORD_FLEET_GEN", "the load of a new generation")
	c := join(t, ns, "gen")
	if sum, err := c.st.Import(people(0, 100), store.ImportOptions{By: "test"}); err != nil {
		t.Fatal(err, sum.Errors)
	}
	// The new generation's bucket, made and filled over a connection
	// of its own.
	js := filler(t, ns)
	name := c.cfg.Bucket() + "_g1_measure"
	if _, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: name, History: 1}); err != nil {
		t.Fatal(err)
	}
	fillColdBucket(t, js, name, n)
	root, err := js.KeyValue(t.Context(), c.cfg.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	defer func(old time.Duration) { waitLimit = old }(waitLimit) // serial for it: parallel tests read it
	waitLimit = time.Hour
	runtime.GC()
	peak := sampleMemory()
	t1 := time.Now()
	cpu0 := cpuTime()
	if _, err := root.Put(t.Context(), genKey, []byte(pointer{gen: 1, bucket: name, prev: c.cfg.Bucket()}.String())); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the new generation", func() bool { l := c.f.live(); return l != nil && l.gen == 1 })
	took, cpu := time.Since(t1), cpuTime()-cpu0
	heap, anon := peak()
	s, err := c.st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Users != n || s.Credentials != 2*n {
		t.Fatalf("loaded %d users and %d credentials, want %d and %d", s.Users, s.Credentials, n, 2*n)
	}
	t.Logf("load of a new generation of %d users + %d cards: %v to live, %v CPU; peak Go heap %d MiB, peak anonymous RSS %d MiB",
		n, 2*n, took.Round(time.Millisecond), cpu.Round(time.Millisecond), heap>>20, anon>>20)
}

// measured reads the size of a measurement from env (skipping the test
// when it is unset) and starts its server: natstest's, or env_URL's.
func measured(t *testing.T, env, what string) (int, *natsServer) {
	n := envInt(t, env)
	if n == 0 {
		t.Skip("set " + env + "=<users> to measure " + what)
	}
	ns := &natsServer{t: t, ext: os.Getenv(env + "_URL")}
	if ns.ext == "" {
		ns = startNATS(t)
	}
	return n, ns
}

// filler is a JetStream context on a connection of its own to ns.
func filler(t *testing.T, ns *natsServer) jetstream.JetStream {
	nc, err := Dial(testConfig(ns.url(), "filler"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// fillColdBucket publishes n users with two cards each straight to the
// bucket's subjects.
func fillColdBucket(t *testing.T, js jetstream.JetStream, bucket string, n int) {
	t0 := time.Now()
	pre := "$KV." + bucket + "."
	base := uint64(1) << 32
	pub := func(key string, v []byte) {
		for {
			if _, err := js.PublishAsync(pre+key, v); err == nil {
				return
			}
			<-js.PublishAsyncComplete() // the window is full: let it drain
		}
	}
	for i := range n {
		uid := base + uint64(i) + 1
		pub("user."+strconv.FormatUint(uid, 10), fmt.Appendf(nil,
			`{"id":"00000000-0000-4000-8000-%012d","uid":%d,"ext_id":"e%d","name":"Person %d","state":"active","locks":"both","custom_access":false,"security":false,"extended_unlock":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`,
			i, uid, i, i))
		for k := range 2 {
			id := base + uint64(2*i+k) + 1
			pub("cred."+strconv.FormatUint(id, 10), fmt.Appendf(nil,
				`{"id":%d,"user_uid":%d,"type":"card","value":"%d","owner":"owner","locks":"both","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`,
				id, uid, 10_000_000+2*i+k))
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		t.Fatal("publishing did not finish")
	}
	t.Logf("bucket filled with %d users and %d cards in %v", n, 2*n, time.Since(t0).Round(time.Millisecond))
}

// sampleMemory samples the Go heap and the anonymous RSS every 10 ms
// until the returned function is called, which gives their peaks.
func sampleMemory() (peak func() (heap, anon uint64)) {
	stop, done := make(chan struct{}), make(chan struct{})
	var heap, anon uint64
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			heap = max(heap, sample[0].Value.Uint64())
			anon = max(anon, procStatus("RssAnon"))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) { close(stop); <-done; return heap, anon }
}

// procStatus is a "kB" line of /proc/self/status in bytes (0 elsewhere).
func procStatus(field string) uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
