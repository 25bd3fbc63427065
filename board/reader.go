package board

import (
	"errors"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// reader is one Wiegand reader: an edge source and its decoder, run by one
// goroutine that sleeps in the source until an edge or the frame deadline.
type reader struct {
	id  string
	src wiegand.Source
	dec *wiegand.Decoder
}

func (r *reader) run(b *Board) {
	defer b.wg.Done()
	edges := make([]wiegand.Edge, 0, 64)
	out := make([]wiegand.Result, 0, 4)
	for {
		deadline, pending := r.dec.Deadline()
		var err error
		edges, err = r.src.ReadEdges(edges[:0], deadline)
		if err != nil {
			if errors.Is(err, wiegand.ErrClosed) || b.stopping() {
				return
			}
			b.log.Error("board: reader edge source failed", "reader", r.id, "err", err)
			select { // do not spin on a broken source
			case <-b.stop:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		out = out[:0]
		for _, e := range edges {
			out = r.dec.Push(e, out)
		}
		if len(edges) == 0 && pending {
			// The source saw nothing before the deadline: the frame
			// has been quiet for the gap.
			out = r.dec.Expire(deadline, out)
		}
		for _, res := range out {
			rd := Read{Reader: r.id, At: res.At, Card: res.Card, Bad: res.Bad, Bits: res.Bits, Raw: res.Raw}
			if res.Key != 0 {
				rd.Keys = string(res.Key)
			}
			if rd.Bad != "" {
				b.log.Warn("board: bad read", "reader", r.id, "bits", res.Bits, "reason", res.Bad)
			}
			select {
			case b.reads <- rd:
			case <-b.stop:
				return
			}
		}
	}
}
