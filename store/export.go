package store

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// exportPage is how many users ExportUsers reads per read transaction
// (a variable for tests).
var exportPage = 1000

// exportAhead is how many pages ExportUsers reads ahead of fn.
const exportAhead = 4

// ExportUsers calls fn with every user in UID order and the user's
// credentials (in id order), for an export. Users are read a page at a
// time, each page in a read transaction of its own, and fn runs outside
// any transaction: a slow reader at the other end of a network stream
// never holds a read transaction (which would keep every page a writer
// frees from reuse, and grow the file, for as long as the client takes).
// A user and its credentials are always from one snapshot; the export as
// a whole is not one point in time (a backup is). fn's error stops the
// walk and is returned.
//
// A page's transaction only copies the records' bytes out; decoding them,
// most of an export's cost, is done by a worker per core (up to 4), a
// page each, a few pages ahead of fn, which gets them in order: on two
// cores fn's encoding and the decoding run side by side.
func (s *Store) ExportUsers(fn func(u *User, creds []Credential) error) error {
	stop := make(chan struct{})
	pages := make(chan *exportBatch, exportAhead) // in UID order, for fn
	work := make(chan *exportBatch, exportAhead)  // for the workers
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	wg.Add(workers + 1)
	for range workers {
		go func() {
			defer wg.Done()
			for b := range work {
				b.decode()
				close(b.done)
			}
		}()
	}
	go func() {
		defer wg.Done()
		defer close(pages)
		defer close(work)
		var after uint64
		for first := true; ; first = false {
			b := &exportBatch{done: make(chan struct{})}
			b.err = s.view(func(tx *bolt.Tx) error { return b.read(tx, first, after) })
			full := len(b.users) == exportPage // read before a worker has b
			if full {
				after = b.users[len(b.users)-1].uid
			}
			select {
			case pages <- b:
			case <-stop:
				return
			}
			if b.err != nil {
				close(b.done)
				return
			}
			select {
			case work <- b:
			case <-stop:
				close(b.done)
				return
			}
			if !full || after == ^uint64(0) {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range pages { // let the reader see stop and end
		}
		wg.Wait()
	}()
	for b := range pages {
		<-b.done
		if b.err != nil {
			return b.err
		}
		for i := range b.out {
			if err := fn(&b.out[i].u, b.out[i].creds); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportBatch is one page of an export: the records' bytes as its read
// transaction copied them (into one buffer), then decoded.
type exportBatch struct {
	buf   []byte // every record's bytes, back to back
	users []rawUser
	out   []exportEntry
	err   error
	done  chan struct{} // closed when out (or err) is set
}

type rawUser struct {
	uid      uint64
	off, end int // the record in buf
	creds    []rawRecord
}

type rawRecord struct {
	id       uint64
	off, end int
}

type exportEntry struct {
	u     User
	creds []Credential
}

// read copies up to exportPage users after `after` (from the first when
// first) with their credentials, in tx.
func (b *exportBatch) read(tx *bolt.Tx, first bool, after uint64) error {
	users, creds, byUser := tx.Bucket(bUsers), tx.Bucket(bCreds), tx.Bucket(bCredByUser)
	c := users.Cursor()
	k, v := c.First()
	if !first {
		k, v = c.Seek(keys.U64(after + 1))
	}
	b.users = make([]rawUser, 0, exportPage)
	for ; k != nil && len(b.users) < exportPage; k, v = c.Next() {
		uid, ok := keys.ParseU64(k)
		if !ok {
			return fmt.Errorf("user: key %x is not a user's", k)
		}
		r := rawUser{uid: uid, off: len(b.buf)}
		b.buf = append(b.buf, v...)
		r.end = len(b.buf)
		for _, id := range index.IDs(byUser, k) {
			cv := creds.Get(keys.U64(id))
			if cv == nil {
				return fmt.Errorf("credential %d of user %d: %w", id, uid, ErrNotFound)
			}
			cr := rawRecord{id: id, off: len(b.buf)}
			b.buf = append(b.buf, cv...)
			cr.end = len(b.buf)
			r.creds = append(r.creds, cr)
		}
		b.users = append(b.users, r)
	}
	return nil
}

// decode decodes the page's records into out (or sets err).
func (b *exportBatch) decode() {
	b.out = make([]exportEntry, len(b.users))
	for i, r := range b.users {
		u, err := decode[User](keys.U64(r.uid), b.buf[r.off:r.end])
		if err != nil {
			b.err = fmt.Errorf("user: %w", err)
			return
		}
		e := exportEntry{u: u}
		if len(r.creds) > 0 {
			e.creds = make([]Credential, 0, len(r.creds))
		}
		for _, cr := range r.creds {
			c, err := decode[Credential](keys.U64(cr.id), b.buf[cr.off:cr.end])
			if err != nil {
				b.err = fmt.Errorf("credential %d of user %d: %w", cr.id, r.uid, err)
				return
			}
			e.creds = append(e.creds, c)
		}
		b.out[i] = e
	}
	b.buf, b.users = nil, nil // decoded: the bytes can go
}
