package store

import (
	"fmt"
	"runtime"
	"sync"
)

// rowStream reads an import's rows once per pass, a few batches ahead
// of the pass (which runs in transactions: a large import's write pass
// spans many). Reading a CSV or NDJSON row is done by one goroutine (a
// file reads in order); checking its fields as a new user's
// (ImportRow.Apply on an empty user), most of a row's cost, by a worker
// per core, a batch at a time, while the pass works on the batches
// before: on two cores the validation pass, whose own work per row is
// small, is no longer bound to one core's reading. The rows reach the
// pass in file order. A row for a stored user is applied again by
// planRow, on its stored copy. Memory: streamAhead batches of
// streamBatch rows.
type rowStream struct {
	ch   chan *rowBatch // in file order
	stop chan struct{}
	err  error // src's, read after ch is closed
	wg   sync.WaitGroup
	buf  []*ImportRow
	read int // rows handed out
}

// rowBatch is rows read in order; done is closed once they are prepared.
type rowBatch struct {
	first int // index of rows[0] in the file
	rows  []*ImportRow
	done  chan struct{}
}

const (
	streamBatch = 256
	streamAhead = 8
)

// streamRows starts reading src; rows in skip (by index) are not
// prepared (the pass will not look at them).
func streamRows(src ImportSource, skip bitset) *rowStream {
	rs := &rowStream{ch: make(chan *rowBatch, streamAhead), stop: make(chan struct{})}
	work := make(chan *rowBatch, streamAhead)
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	rs.wg.Add(workers)
	for range workers {
		go func() {
			defer rs.wg.Done()
			for b := range work {
				for k, r := range b.rows {
					if !skip.has(b.first + k) {
						r.prepare()
					}
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(rs.ch)
		defer close(work)
		newBatch := func(first int) *rowBatch {
			return &rowBatch{first: first, rows: make([]*ImportRow, 0, streamBatch), done: make(chan struct{})}
		}
		// send queues b for a worker and for the pass; the pass's queue
		// is filled first, so a batch is never with a worker unless the
		// pass will wait for it in order.
		send := func(b *rowBatch) bool {
			select {
			case rs.ch <- b:
			case <-rs.stop:
				return false
			}
			select {
			case work <- b:
				return true
			case <-rs.stop:
				close(b.done)
				return false
			}
		}
		i := 0
		batch := newBatch(0)
		rs.err = readSafely(src, func(r *ImportRow) bool {
			i++
			batch.rows = append(batch.rows, r)
			if len(batch.rows) < streamBatch {
				return true
			}
			b := batch
			batch = newBatch(i)
			return send(b)
		})
		if len(batch.rows) > 0 {
			send(batch)
		}
	}()
	return rs
}

// next is the next row; false at the end of the file (or when the
// reader stopped: close says why).
func (rs *rowStream) next() (*ImportRow, bool) {
	for len(rs.buf) == 0 {
		b, ok := <-rs.ch
		if !ok {
			return nil, false
		}
		<-b.done
		rs.buf = b.rows
	}
	r := rs.buf[0]
	rs.buf = rs.buf[1:]
	rs.read++
	return r, true
}

// each runs fn for the next n rows (n < 0: every row left); i is the
// row's index in the file (0: the first row).
func (rs *rowStream) each(n int, fn func(i int, r *ImportRow) error) error {
	for k := 0; n < 0 || k < n; k++ {
		r, ok := rs.next()
		if !ok {
			return nil
		}
		if err := fn(rs.read-1, r); err != nil {
			return err
		}
	}
	return nil
}

// close stops the reader and returns its error (an *ImportError for a
// file it could not read on).
func (rs *rowStream) close() error {
	close(rs.stop)
	for range rs.ch { // let the reader see stop and end
	}
	rs.wg.Wait() // no worker is left applying a row (src's data may go when Import returns)
	return rs.err
}

// readSafely runs src; a panic in the reader (a bug, whatever the file
// holds) is the file's error at the line after the last row read, not a
// crash of the daemon.
func readSafely(src ImportSource, yield func(*ImportRow) bool) (err error) {
	line := 0
	defer func() {
		if p := recover(); p != nil {
			err = &ImportError{Line: line + 1, Field: "row", Message: panicMessage(p) + " (the rest of the file was not read)"}
		}
	}()
	return src(func(r *ImportRow) bool {
		line = r.Line
		return yield(r)
	})
}

// panicMessage says that reading a row failed on a bug, naming the
// panic's type only: its value could quote the row (a PIN).
func panicMessage(p any) string {
	return fmt.Sprintf("could not be read: doord failed on it (%T); please report this", p)
}

// apply runs r.Apply on u, a panic in it being the row's error: the
// reader's code runs inside the store's transaction, where a panic would
// otherwise be taken for a damaged file (damage.go).
func (r *ImportRow) apply(u *User, isNew bool) (errs []ImportError) {
	defer func() {
		if p := recover(); p != nil {
			errs = []ImportError{{Field: "row", Message: panicMessage(p)}}
		}
	}()
	return r.Apply(u, isNew)
}

// prepare applies the row to a new user ahead of planRow (see rowStream).
func (r *ImportRow) prepare() {
	if r.Apply == nil {
		return
	}
	u := User{ExtID: r.ExtID}
	errs := r.apply(&u, true)
	r.asNew = &preparedUser{u: u, errs: errs}
}

// preparedUser is a row applied to a new user.
type preparedUser struct {
	u    User
	errs []ImportError
}
