package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"
)

// A damaged file makes bbolt panic (its page assertions) or fault (SIGBUS
// when the map reaches past a truncated end, SIGSEGV on a page id out of
// range) instead of returning errors. doord must neither crash on such a
// file nor take it for an empty one. So:
//
//   - Open refuses a file that exists but is empty, shorter than its own
//     header says, or whose header pages are both bad (precheck, before
//     bbolt maps anything), and one whose pages fail the quick check
//     (check.go);
//   - every transaction runs with faults turned into panics
//     (debug.SetPanicOnFault) and any panic turned into a DamagedError,
//     so a page that turns out bad at run time fails the one request that
//     read it, marks the store degraded (Degraded) and tells the listener
//     (OnDamaged) once; the doors go on deciding from memory.

// ErrDamaged: the file is damaged; see DamagedError.
var ErrDamaged = errors.New("store file is damaged")

// DamagedError says which file is damaged, how, and what to do.
type DamagedError struct {
	Path    string
	Problem string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store %s is damaged: %s. doord will not use a damaged store: stop doord, "+
		"restore a backup of doord.db in its place (doord restore BACKUP --data DIR keeps the damaged "+
		"file beside it for inspection), or move the file aside to start with an empty store", e.Path, e.Problem)
}
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// damage is the store's degraded state: the first damage seen at run
// time, and who to tell.
type damage struct {
	reason   atomic.Pointer[string]
	listener atomic.Pointer[func(string)]
	// writeFault: a write transaction panicked or faulted. bbolt's
	// rollback rereads the freelist page, so on a truncated file it can
	// fault again before it releases the writer lock; no later write may
	// then enter bbolt, or it would wait for that lock for ever.
	writeFault atomic.Bool
}

// Degraded reports whether a read or write has met a damaged page since
// Open, and the first such problem. It is a load of one pointer: the
// health route may call it on every probe.
func (s *Store) Degraded() (reason string, degraded bool) {
	if r := s.dmg.reason.Load(); r != nil {
		return *r, true
	}
	return "", false
}

// OnDamaged sets fn to be called once, with the reason, when the store
// first meets a damaged page (fn runs on the goroutine that met it, after
// its transaction ended; it must not block).
func (s *Store) OnDamaged(fn func(reason string)) { s.dmg.listener.Store(&fn) }

// damaged records a panic or fault met inside a transaction.
func (s *Store) damaged(p any) error {
	reason := fmt.Sprintf("a page could not be read (%v)", p)
	if s.dmg.reason.CompareAndSwap(nil, &reason) {
		if fn := s.dmg.listener.Load(); fn != nil {
			(*fn)(reason)
		}
	}
	return &DamagedError{Path: s.path, Problem: reason}
}

// contained runs fn with faults on this goroutine turned into panics, and
// turns a panic into a DamagedError. A panic inside a bbolt transaction
// unwinds through bbolt's own deferred rollback, so the writer lock and
// the read transaction are released before it arrives here.
func (s *Store) contained(fn func() error) (err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if p := recover(); p != nil {
			err = s.damaged(p)
		}
	}()
	return fn()
}

// containedWrite is contained for a write transaction.
func (s *Store) containedWrite(fn func() error) error {
	err := s.contained(fn)
	if errors.Is(err, ErrDamaged) {
		s.dmg.writeFault.Store(true)
	}
	return err
}

// writable refuses a write after a write fault, before it takes bbolt's
// writer lock.
func (s *Store) writable() error {
	if s.dmg.writeFault.Load() {
		return &DamagedError{Path: s.path, Problem: "an earlier write met a damaged page; no write is attempted until doord restarts"}
	}
	return nil
}

// The bbolt file header: two meta pages, each a 16-byte page header and
// then magic, version, page size, flags, root bucket (page, sequence),
// freelist page, high-water page id, txid and an FNV-64a checksum of the
// fields before it, in the machine's byte order (little-endian on every
// target doord builds for).
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	metaOff        = 16
	metaSumLen     = 56 // magic … txid
	minBoltPage    = 1024
	defaultBoltPgs = 4096
)

type boltMeta struct{ pageSize, root, freelist, hwm, txid uint64 }

// The page header: id, flags, count, overflow.
const (
	pageHeaderLen    = 16
	freelistPageFlag = 0x10
	noFreelist       = 0xffffffffffffffff
)

func readMeta(f io.ReaderAt, off int64) (boltMeta, bool) {
	var b [metaOff + metaSumLen + 8]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return boltMeta{}, false
	}
	m := b[metaOff:]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(m[:metaSumLen])
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion || h.Sum64() != le.Uint64(m[metaSumLen:]) {
		return boltMeta{}, false
	}
	ps := uint64(le.Uint32(m[8:]))
	if ps < minBoltPage {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: ps, root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), hwm: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// precheck reads the file's header without mapping it. It reports
// whether the file exists; a file that exists must be a whole bbolt file.
func precheck(path string) (exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("open store %s: %w", path, err)
	}
	size := fi.Size()
	if size == 0 {
		return true, &DamagedError{Path: path, Problem: "the file is empty (0 bytes), as a crash before the first write or a failed copy leaves it"}
	}
	m0, ok0 := readMeta(f, 0)
	pg1 := int64(defaultBoltPgs)
	if ok0 {
		pg1 = int64(m0.pageSize)
	}
	m1, ok1 := readMeta(f, pg1)
	m := m0
	switch {
	case !ok0 && !ok1:
		return true, &DamagedError{Path: path, Problem: fmt.Sprintf("neither header page is valid (%d bytes; truncated, overwritten, or not a doord store)", size)}
	case !ok0 || (ok1 && m1.txid > m0.txid):
		m = m1
	}
	// The high-water mark is not a bound on the file's size (a bulk load
	// without grow-syncs leaves it beyond the end), so only the root and
	// freelist pages, which Open reads, must be inside the file here; the
	// quick check reads the rest, contained, and names a truncation.
	if end := (m.root + 1) * m.pageSize; m.root >= m.hwm || uint64(size) < end {
		return true, &DamagedError{Path: path, Problem: fmt.Sprintf("the file is truncated: %d bytes, but its root page ends at %d bytes", size, end)}
	}
	// bbolt reads the freelist page inside Open and panics on a bad one,
	// and a panic there leaves the file mapped, and so locked, until the
	// process ends. Look at it first.
	if m.freelist != noFreelist {
		var h [pageHeaderLen]byte
		_, err := f.ReadAt(h[:], int64(m.freelist*m.pageSize))
		le := binary.LittleEndian
		valid := err == nil && m.freelist < m.hwm && le.Uint64(h[0:]) == m.freelist && le.Uint16(h[8:]) == freelistPageFlag &&
			m.freelist+uint64(le.Uint32(h[12:]))+1 <= m.hwm
		end := int64(m.freelist+1) * int64(m.pageSize)
		if valid {
			end = int64(m.freelist+uint64(le.Uint32(h[12:]))+1) * int64(m.pageSize)
		}
		if m.freelist < m.hwm && size < end {
			return true, &DamagedError{Path: path, Problem: fmt.Sprintf("the file is truncated: %d bytes, but its free-page list ends at %d bytes", size, end)}
		}
		if !valid {
			return true, &DamagedError{Path: path, Problem: fmt.Sprintf("a page could not be read (the free-page list, page %d, is not valid)", m.freelist)}
		}
	}
	return true, nil
}
