package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/doord/doord/store/internal/index"
	bolt "go.etcd.io/bbolt"
)

// Query limits.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// EventFilter selects events for Query. Every set field must match.
type EventFilter struct {
	// After returns the events with seq > After, oldest first.
	After uint64
	// Latest ignores After and returns the newest Limit matching events
	// (still oldest first), as a log view opens on the latest page.
	Latest bool
	// Limit is the page size: DefaultEventLimit when 0, at most
	// MaxEventLimit.
	Limit int
	// Types matches any of them (an empty list matches every type).
	Types   []string
	Door    string
	UserID  string // the user's uuid
	UserUID uint64
	// From (inclusive) and To (exclusive) bound the event time; zero is
	// unbounded.
	From, To time.Time
}

func (f *EventFilter) timeOK(at time.Time) bool {
	return (f.From.IsZero() || !at.Before(f.From)) && (f.To.IsZero() || at.Before(f.To))
}

// Match reports whether ev passes the filter's field tests (not the
// After cursor); live subscribers use it to filter the feed as Query does.
func (f *EventFilter) Match(ev *Event) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, ev.Type) {
		return false
	}
	return (f.Door == "" || ev.Door == f.Door) &&
		(f.UserID == "" || ev.UserID == f.UserID) &&
		(f.UserUID == 0 || ev.UserUID == f.UserUID) &&
		f.timeOK(ev.At)
}

// Query returns one page of matching events, oldest first, and next: the
// seq to pass as After for the following page. Every seq up to next has
// been looked at, so next never goes backwards and a caller polling with
// After = next sees each event once; when nothing beyond After exists,
// next == After (Latest: next is the newest seq in the log).
//
// Cost. Type, door and user filters walk their postings and intersect them
// by leapfrogging (each list seeks to the largest seq any list is at), so
// a page costs roughly (limit + misses of the intersection) × (one bbolt
// seek per filter) — microseconds each — whatever the ring's size. A time
// range is not indexed (clocks step: a Pi without RTC boots in the past):
// it is tested on each candidate record. To bound the worst case (a
// filter whose lists interleave without meeting, or a time range far from
// the cursor), a query stops after ScanBudget steps and returns what it
// found, with next at the position it reached: the page may then be short
// or empty while more matches follow, and the caller continues from next
// (the HTTP API says so with "more"). With the default budget a page
// costs at most a few tens of milliseconds on a Pi 4.
func (l *EventLog) Query(f EventFilter) ([]Event, uint64, error) {
	if l.isClosed.Load() {
		return nil, f.After, ErrEventLogClosed
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultEventLimit
	case limit > MaxEventLimit:
		limit = MaxEventLimit
	}
	var out []Event
	var next uint64
	err := l.st.view(func(tx *bolt.Tx) error {
		events := tx.Bucket(bEvents)
		if events == nil {
			return errors.New("no event buckets")
		}
		var head uint64
		if k, _ := events.Cursor().Last(); k != nil {
			head = binary.BigEndian.Uint64(k)
		}
		streams := f.streams(tx)
		// At least one full leapfrog round, so that every query moves
		// next forward (or finds the end) however small the budget.
		budget := max(l.opt.ScanBudget, 2*len(streams)+1)
		var kbuf [8]byte
		timed := !f.From.IsZero() || !f.To.IsZero()
		// load decodes the event at seq; ok is false when it is outside
		// the time range (tested before decoding the strings).
		load := func(seq uint64) (ev Event, ok bool, err error) {
			binary.BigEndian.PutUint64(kbuf[:], seq)
			v := events.Get(kbuf[:])
			if v == nil {
				return Event{}, false, fmt.Errorf("event %d: indexed but missing", seq)
			}
			if timed {
				if at, good := eventTime(v); good && !f.timeOK(at) {
					return Event{}, false, nil
				}
			}
			ev, err = decodeEvent(seq, v)
			return ev, err == nil && f.Match(&ev), err
		}
		if f.Latest {
			next = head
			for x := head; x > 0 && len(out) < limit; x-- {
				y, st := leapfrog(streams, x, false, &budget)
				if st != found {
					break
				}
				ev, ok, err := load(y)
				if err != nil {
					return err
				}
				budget--
				if ok {
					out = append(out, ev)
				}
				x = y
			}
			slices.Reverse(out)
			return nil
		}
		next = max(f.After, head)
		if f.After == ^uint64(0) {
			return nil
		}
		for x := f.After + 1; x <= head; {
			if len(out) == limit {
				next = x - 1
				return nil
			}
			y, st := leapfrog(streams, x, true, &budget)
			switch st {
			case exhausted:
				return nil
			case outOfBudget:
				next = y - 1
				return nil
			}
			ev, ok, err := load(y)
			if err != nil {
				return err
			}
			budget--
			if ok {
				out = append(out, ev)
			}
			x = y + 1
		}
		return nil
	})
	if err != nil {
		return nil, f.After, fmt.Errorf("query events: %w", err)
	}
	return out, next, nil
}

// seqStream is an ordered set of seqs: a posting list or the ring itself.
type seqStream interface {
	// seek returns the least seq >= x (fwd) or the greatest seq <= x.
	seek(x uint64, fwd bool) (uint64, bool)
}

// streams are the lists a query intersects: one per indexed filter, or
// the ring when there is none.
func (f *EventFilter) streams(tx *bolt.Tx) []seqStream {
	var ss []seqStream
	post := func(b []byte, prefix, s string) *postingStream {
		k := appendPosting(nil, prefix, s, 0)
		return &postingStream{c: tx.Bucket(b).Cursor(), prefix: k[:len(k)-8]}
	}
	if f.UserID != "" {
		// Events of a user are posted under the uid (eventPostings); the
		// uuid's own postings are those of events without a uid and of
		// events written before. A uuid no user has now (deleted) leaves
		// only the ring, each event then tested by load.
		uuidPosts := post(bEventsByUser, "", f.UserID)
		if uid, ok := index.Lookup(tx.Bucket(bUserByID), []byte(f.UserID)); ok {
			ss = append(ss, unionStream{uuidPosts, post(bEventsByUser, "", userUIDKey(uid))})
		} else {
			ss = append(ss, &ringStream{c: tx.Bucket(bEvents).Cursor()})
		}
	}
	if f.UserUID != 0 {
		ss = append(ss, post(bEventsByUser, "", userUIDKey(f.UserUID)))
	}
	if f.Door != "" {
		ss = append(ss, post(bEventsByDoor, "", f.Door))
	}
	if len(f.Types) == 1 {
		ss = append(ss, post(bEventsByType, "", f.Types[0]))
	} else if len(f.Types) > 1 {
		var u unionStream
		seen := map[string]bool{}
		for _, t := range f.Types {
			if !seen[t] {
				seen[t] = true
				u = append(u, post(bEventsByType, "", t))
			}
		}
		ss = append(ss, u)
	}
	if len(ss) == 0 {
		ss = append(ss, &ringStream{c: tx.Bucket(bEvents).Cursor()})
	}
	return ss
}

type leapState int

const (
	found leapState = iota
	exhausted
	outOfBudget
)

// leapfrog finds the first seq from x (onwards when fwd, else downwards)
// present in every stream. Each step seeks one stream to the current
// candidate; a stream that lands beyond it moves the candidate. When the
// budget runs out it returns outOfBudget and the candidate it reached:
// nothing between x and that candidate (exclusive) is in every stream.
func leapfrog(ss []seqStream, x uint64, fwd bool, budget *int) (uint64, leapState) {
	agree := 0
	for i := 0; ; i = (i + 1) % len(ss) {
		if *budget <= 0 {
			return x, outOfBudget
		}
		*budget--
		y, ok := ss[i].seek(x, fwd)
		if !ok {
			return 0, exhausted
		}
		if y == x {
			agree++
		} else {
			x, agree = y, 1
		}
		if agree == len(ss) {
			return x, found
		}
	}
}

// postingStream walks the postings prefix+seq of one value.
type postingStream struct {
	c      *bolt.Cursor
	prefix []byte
	key    []byte
}

func (p *postingStream) seek(x uint64, fwd bool) (uint64, bool) {
	p.key = binary.BigEndian.AppendUint64(append(p.key[:0], p.prefix...), x)
	k, _ := p.c.Seek(p.key)
	if fwd {
		return p.id(k)
	}
	if k != nil && bytes.Equal(k, p.key) {
		return x, true
	}
	if k == nil {
		k, _ = p.c.Last()
	} else {
		k, _ = p.c.Prev()
	}
	return p.id(k)
}

func (p *postingStream) id(k []byte) (uint64, bool) {
	if len(k) != len(p.prefix)+8 || !bytes.HasPrefix(k, p.prefix) {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(p.prefix):]), true
}

// ringStream is every seq in the ring.
type ringStream struct {
	c   *bolt.Cursor
	key [8]byte
}

func (r *ringStream) seek(x uint64, fwd bool) (uint64, bool) {
	binary.BigEndian.PutUint64(r.key[:], x)
	k, _ := r.c.Seek(r.key[:])
	if !fwd && (k == nil || binary.BigEndian.Uint64(k) != x) {
		if k == nil {
			k, _ = r.c.Last()
		} else {
			k, _ = r.c.Prev()
		}
	}
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// unionStream is the union of several posting lists (several types).
type unionStream []*postingStream

func (u unionStream) seek(x uint64, fwd bool) (uint64, bool) {
	var best uint64
	have := false
	for _, p := range u {
		y, ok := p.seek(x, fwd)
		if ok && (!have || (fwd && y < best) || (!fwd && y > best)) {
			best, have = y, true
		}
	}
	return best, have
}
