package wiegand

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The damage harness: random frames of every card format, damaged the ways
// doors damage them (bouncing contacts, noise on long cables, readers that
// stall or are misconfigured), decoded in fixed and auto mode. Each frame
// ends as the true card, a bad read, or a WRONG card (any other card, or a
// key). A damaged frame that still carries evidence of its damage must
// never be a wrong card; frames whose damage the formats themselves cannot
// show (two flips in one parity half, a lost edge at the end of a frame
// that leaves another valid length, …) are generated the same way but
// counted apart as "undetectable".

// damage is one damaged swipe: the edges, the card that was really
// presented (or none: every result must then be a bad read), a second card
// that may also come out as itself (two readers interleaved), and whether
// the damage leaves any evidence in the edges.
type damage struct {
	edges        []Edge
	want, also   *Card
	undetectable bool
}

// damageMode is a reader configuration under test. Both accept 4- and
// 8-bit keys (the worst case: a key from a piece of a card frame is a wrong
// credential too); a reader with keypad "none" never produces keys at all.
type damageMode struct {
	name string
	cfg  func(f *format) Config
}

var damageModes = []damageMode{
	{"fixed", func(f *format) Config { return Config{Format: f.Name, Keypad: KeypadAuto} }},
	{"auto", func(*format) Config { return Config{Keypad: KeypadAuto} }},
}

// frameTiming is a reader's bit interval: log-uniform over the Wiegand
// envelope 0.2–20 ms, so fast and slow readers are both well represented.
func frameTiming(rng *rand.Rand) time.Duration {
	return time.Duration(200e3 * math.Pow(100, rng.Float64()))
}

// swipe lays out the bits of raw (n bits) from start with interval iv and
// ±10 % jitter (never below 200 µs: the harness's clean frames are legal).
func swipe(rng *rand.Rand, raw uint64, n int, start time.Time, iv time.Duration) []Edge {
	out := make([]Edge, n)
	at := start
	for i, b := range Bits(raw, n) {
		if i > 0 {
			j := iv + time.Duration(rng.Int64N(int64(iv/5)+1)) - iv/10
			at = at.Add(max(j, 200*time.Microsecond))
		}
		l := D0
		if b {
			l = D1
		}
		out[i] = Edge{Line: l, At: at}
	}
	return out
}

func randomCard(rng *rand.Rand, f *format) (uint64, *Card) {
	fac := rng.Uint64N(1 << uint(f.FacLen))
	num := rng.Uint64N(1 << uint(f.CardLen))
	raw, _ := f.encode(fac, num)
	c, _ := f.decode(raw)
	return raw, &c
}

func sortEdges(e []Edge) []Edge {
	sort.SliceStable(e, func(i, j int) bool { return e[i].At.Before(e[j].At) })
	return e
}

func insert(e []Edge, x Edge) []Edge { return sortEdges(append(e, x)) }

// regular reports whether d/iv lies inside the rhythm a reader can keep:
// the harness's own notion, used only to label a frame undetectable when
// noise fell exactly in step with the bits.
func regular(d, iv time.Duration) bool {
	r := float64(d) / float64(iv)
	return r > 0.6 && r < 1.7
}

func randLine(rng *rand.Rand) Line { return Line(rng.IntN(2)) }

type damageClass struct {
	name string
	gen  func(rng *rand.Rand, f *format, auto bool) damage
}

var damageClasses = []damageClass{
	{"clean", func(rng *rand.Rand, f *format, _ bool) damage {
		raw, c := randomCard(rng, f)
		return damage{edges: swipe(rng, raw, f.Bits, t0, frameTiming(rng)), want: c}
	}},
	// One pulse never seen (weak driver, long cable). Inside the frame it
	// leaves a double interval; at either end only the length shows it.
	{"drop", func(rng *rand.Rand, f *format, auto bool) damage {
		raw, c := randomCard(rng, f)
		e := swipe(rng, raw, f.Bits, t0, frameTiming(rng))
		i := rng.IntN(len(e))
		e = append(e[:i:i], e[i+1:]...)
		und := auto && (i == 0 || i == f.Bits-1) && byLength(f.Bits-1) != nil
		if i > 0 && i < len(e) {
			// A slow reader's doubled interval may reach the gap: the
			// bits before it are a frame of their own.
			und = und || loneFront(i, e[i].At.Sub(e[i-1].At), auto)
		}
		return damage{edges: e, want: c, undetectable: und}
	}},
	// A contact bounce: the same line falls again 2–60 µs after a bit.
	{"bounce", func(rng *rand.Rand, f *format, _ bool) damage {
		raw, c := randomCard(rng, f)
		e := swipe(rng, raw, f.Bits, t0, frameTiming(rng))
		i := rng.IntN(len(e))
		b := Edge{Line: e[i].Line, At: e[i].At.Add(time.Duration(2+rng.IntN(59)) * time.Microsecond)}
		return damage{edges: insert(e, b), want: c}
	}},
	// One noise pulse on either line, within a frame gap before the
	// first bit.
	{"noise-before", func(rng *rand.Rand, f *format, auto bool) damage {
		raw, c := randomCard(rng, f)
		iv := frameTiming(rng)
		e := swipe(rng, raw, f.Bits, t0, iv)
		u := time.Duration(200e3 + rng.Int64N(int64(DefaultGap-200*time.Microsecond)))
		n := Edge{Line: randLine(rng), At: t0.Add(-u)}
		return damage{edges: insert(e, n), want: c, undetectable: auto && regular(u, iv) && byLength(f.Bits+1) != nil}
	}},
	// One noise pulse anywhere between two bits.
	{"noise-inside", func(rng *rand.Rand, f *format, _ bool) damage {
		raw, c := randomCard(rng, f)
		e := swipe(rng, raw, f.Bits, t0, frameTiming(rng))
		i := rng.IntN(len(e) - 1)
		span := e[i+1].At.Sub(e[i].At)
		n := Edge{Line: randLine(rng), At: e[i].At.Add(time.Duration(1 + rng.Int64N(int64(span-1))))}
		return damage{edges: insert(e, n), want: c}
	}},
	// One noise pulse within a frame gap after the last bit.
	{"noise-after", func(rng *rand.Rand, f *format, auto bool) damage {
		raw, c := randomCard(rng, f)
		iv := frameTiming(rng)
		e := swipe(rng, raw, f.Bits, t0, iv)
		u := time.Duration(200e3 + rng.Int64N(int64(DefaultGap-200*time.Microsecond)))
		n := Edge{Line: randLine(rng), At: e[len(e)-1].At.Add(u)}
		return damage{edges: insert(e, n), want: c, undetectable: auto && regular(u, iv) && byLength(f.Bits+1) != nil}
	}},
	// One bit read as the other line (crosstalk): parity always shows it.
	{"flip", func(rng *rand.Rand, f *format, _ bool) damage {
		raw, c := randomCard(rng, f)
		e := swipe(rng, raw, f.Bits, t0, frameTiming(rng))
		e[rng.IntN(len(e))].Line ^= 1
		return damage{edges: e, want: c}
	}},
	// Two bits flipped: undetectable when both fall where the parity
	// bits cannot see them (one parity half).
	{"flip2", func(rng *rand.Rand, f *format, _ bool) damage {
		raw, c := randomCard(rng, f)
		i, j := rng.IntN(f.Bits), rng.IntN(f.Bits-1)
		if j >= i {
			j++
		}
		bad := raw ^ posMask(f.Bits, i, j)
		return damage{edges: swipe(rng, bad, f.Bits, t0, frameTiming(rng)), want: c, undetectable: f.checkParity(bad) == ""}
	}},
	// The reader gives up after k bits, then sends a whole frame (another
	// card) after a pause anywhere from two bit times to four gaps.
	{"truncate", func(rng *rand.Rand, f *format, auto bool) damage {
		raw1, _ := randomCard(rng, f)
		raw2, c2 := randomCard(rng, f)
		iv := frameTiming(rng)
		k := 1 + rng.IntN(f.Bits-1)
		e := swipe(rng, raw1>>uint(f.Bits-k), k, t0, iv)
		p := 2*iv + time.Duration(rng.Int64N(int64(4*DefaultGap-2*iv)))
		e = append(e, swipe(rng, raw2, f.Bits, e[k-1].At.Add(p), iv)...)
		return damage{edges: e, want: c2, undetectable: loneFront(k, e[k].At.Sub(e[k-1].At), auto)}
	}},
	// The reader stalls for a gap or more (up to four) after bit k.
	{"stall", func(rng *rand.Rand, f *format, auto bool) damage {
		raw, _ := randomCard(rng, f)
		iv := frameTiming(rng)
		e := swipe(rng, raw, f.Bits, t0, iv)
		k := 1 + rng.IntN(f.Bits-1)
		p := DefaultGap + time.Duration(rng.Int64N(int64(3*DefaultGap)))
		for i := k; i < len(e); i++ {
			e[i].At = e[i].At.Add(p)
		}
		sil := e[k].At.Sub(e[k-1].At)
		// The tail is a frame of its own too once the stall outlasts
		// the continuation window (4 gaps).
		tail := sil >= 4*DefaultGap && (auto && byLength(f.Bits-k) != nil || f.Bits-k == 4 || f.Bits-k == 8)
		return damage{edges: e, undetectable: loneFront(k, sil, auto) || tail}
	}},
	// Two readers on one pair of wires (or a reader echoing another):
	// a second frame starts while the first is on the wire. Either card
	// may come out as itself; nothing else may.
	{"interleave", func(rng *rand.Rand, f *format, _ bool) damage {
		raw1, c1 := randomCard(rng, f)
		raw2, c2 := randomCard(rng, f)
		e := swipe(rng, raw1, f.Bits, t0, frameTiming(rng))
		span := e[len(e)-1].At.Sub(t0)
		e2 := swipe(rng, raw2, f.Bits, t0.Add(time.Duration(1+rng.Int64N(int64(span)))), frameTiming(rng))
		return damage{edges: sortEdges(append(e, e2...)), want: c1, also: c2}
	}},
	// A slow reader on a frame_gap set too short: bit intervals from 60 %
	// to 120 % of the gap, so some intervals split the frame.
	{"slow", func(rng *rand.Rand, f *format, auto bool) damage {
		raw, c := randomCard(rng, f)
		iv := time.Duration(float64(DefaultGap) * (0.6 + 0.6*rng.Float64()))
		e := swipe(rng, raw, f.Bits, t0, iv)
		k := len(e)
		for i := 1; i < len(e); i++ {
			if e[i].At.Sub(e[i-1].At) >= DefaultGap {
				k = i
				break
			}
		}
		return damage{edges: e, want: c, undetectable: k < len(e) && loneFront(k, e[k].At.Sub(e[k-1].At), auto)}
	}},
}

// loneFront reports whether the first k bits of a frame, followed by a
// pause p, are a complete frame in their own right that nothing later can
// take back: in auto mode a piece of a valid card length is reported once
// the gap has passed; a 4- or 8-bit piece is held as a key for two gaps
// after its last bit, so only a longer pause lets it out.
func loneFront(k int, p time.Duration, auto bool) bool {
	if p < DefaultGap {
		return false
	}
	return auto && byLength(k) != nil || (k == 4 || k == 8) && p >= 2*DefaultGap
}

type damageCount struct {
	frames, trueCard, bad, wrong, wrongKeys           int
	undetectable, undetectableWrong, undetectableKeys int
	firstWrong                                        string
}

// judge decodes d and classifies the outcome.
func judge(d damage, cfg Config) (outcome string, got []Result) {
	got, err := Decode(d.edges, cfg)
	if err != nil {
		panic(err)
	}
	same := func(a, b *Card) bool { return b != nil && a.Format == b.Format && a.Value == b.Value }
	outcome = "bad"
	for _, r := range got {
		switch {
		case r.Key != 0:
			outcome = "key"
		case r.Card == nil:
		case same(r.Card, d.want) || same(r.Card, d.also):
			outcome = "true"
		default:
			return "wrong", got
		}
	}
	return outcome, got
}

func runDamage(t *testing.T, perClass int, seed uint64) map[string]*damageCount {
	counts := map[string]*damageCount{}
	rng := rand.New(rand.NewPCG(seed, 0xd00d))
	for _, dc := range damageClasses {
		for _, m := range damageModes {
			key := dc.name + "/" + m.name
			c := &damageCount{}
			counts[key] = c
			for i := 0; i < perClass; i++ {
				f := formats[i%len(formats)]
				d := dc.gen(rng, f, m.name == "auto")
				out, got := judge(d, m.cfg(f))
				c.frames++
				if d.undetectable {
					c.undetectable++
				}
				switch out {
				case "true":
					c.trueCard++
				case "bad":
					c.bad++
				case "key":
					if d.undetectable {
						c.undetectableKeys++
						continue
					}
					c.wrongKeys++
					if c.firstWrong == "" {
						c.firstWrong = fmt.Sprintf("%s want %v got %v", f.Name, d.want, got)
					}
				case "wrong":
					if d.undetectable {
						c.undetectableWrong++
						continue
					}
					c.wrong++
					if c.firstWrong == "" {
						c.firstWrong = fmt.Sprintf("%s want %v got %v", f.Name, d.want, got)
					}
				}
			}
		}
	}
	return counts
}

func damageTable(counts map[string]*damageCount) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| class/mode | frames | true card | bad read | WRONG card (evidence) | wrong key (evidence) | undetectable frames | of which wrong card | of which wrong key |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, dc := range damageClasses {
		for _, m := range damageModes {
			c := counts[dc.name+"/"+m.name]
			pct := func(n int) string { return fmt.Sprintf("%d (%.3f %%)", n, 100*float64(n)/float64(c.frames)) }
			fmt.Fprintf(&b, "| %s/%s | %d | %d | %d | %s | %s | %d | %s | %s |\n", dc.name, m.name, c.frames, c.trueCard, c.bad,
				pct(c.wrong), pct(c.wrongKeys), c.undetectable, pct(c.undetectableWrong), pct(c.undetectableKeys))
		}
	}
	return b.String()
}

// TestDamageClasses is the seeded, few-seconds run of the harness in the
// normal suite: no wrong card from any frame that carries evidence of its
// damage, and every clean frame decodes to its card.
func TestDamageClasses(t *testing.T) {
	counts := runDamage(t, 400, 1)
	t.Log("\n" + damageTable(counts))
	for key, c := range counts {
		if c.wrong+c.wrongKeys > 0 {
			t.Errorf("%s: %d wrong card(s), %d wrong key(s) from frames with evidence of damage; first: %s", key, c.wrong, c.wrongKeys, c.firstWrong)
		}
		if strings.HasPrefix(key, "clean/") && c.trueCard != c.frames {
			t.Errorf("%s: %d of %d clean frames decoded", key, c.trueCard, c.frames)
		}
	}
}

// TestDamageClassesLong is the full measurement, kept out of the fast
// suite: WIEGAND_DAMAGE_FRAMES=100000 go test -run DamageClassesLong
// -timeout 1h -v ./board/wiegand/ (frames per class and mode; the table is
// what BENCHMARKS.md quotes). WIEGAND_DAMAGE_REPORT=1 only reports.
func TestDamageClassesLong(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WIEGAND_DAMAGE_FRAMES"))
	if n <= 0 {
		t.Skip("set WIEGAND_DAMAGE_FRAMES (e.g. 100000) to run")
	}
	counts := runDamage(t, n, 20261204)
	t.Log("\n" + damageTable(counts))
	if os.Getenv("WIEGAND_DAMAGE_REPORT") != "" {
		return
	}
	for key, c := range counts {
		if c.wrong+c.wrongKeys > 0 {
			t.Errorf("%s: %d wrong card(s), %d wrong key(s) from frames with evidence of damage; first: %s", key, c.wrong, c.wrongKeys, c.firstWrong)
		}
	}
}

// The reader goroutine's way — Push each edge as it comes, Expire at every
// deadline the decoder asks for in between — gives exactly what Decode
// gives for the same edges, damaged or not: a live reader, a stalled one
// handed a batch, and `doord decode` replaying a capture agree.
func TestLiveEqualsDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, dc := range damageClasses {
		for _, m := range damageModes {
			for i := 0; i < 100; i++ {
				f := formats[i%len(formats)]
				d := dc.gen(rng, f, m.name == "auto")
				cfg := m.cfg(f)
				want, _ := Decode(d.edges, cfg)
				dec, _ := NewDecoder(cfg)
				var got []Result
				for _, e := range d.edges {
					for {
						dl, ok := dec.Deadline()
						if !ok || dl.After(e.At) {
							break
						}
						got = dec.Expire(dl, got)
					}
					got = dec.Push(e, got)
				}
				for dec.Pending() {
					dl, _ := dec.Deadline()
					got = dec.Expire(dl, got)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s/%s %s: live %v, Decode %v", dc.name, m.name, f.Name, got, want)
				}
			}
		}
	}
}
