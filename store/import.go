package store

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Import brings a list of users (a CSV or NDJSON file, read by the HTTP
// layer into ImportRows) into the store: merge upserts by ext_id, replace
// makes the list the whole set of users. How it is made all-or-nothing
// on a 512 MB board:
//
//   - The whole file is validated first, in one read transaction, before
//     anything is written: every row's fields, its target user (the
//     stored user with the row applied, or a new one), its references,
//     ext_ids and credential values against the file and against the
//     store as it will be (a card freed by another row or by a removed
//     user may move). Every bad row is reported with its line and field;
//     a file with any is not written at all. A dry run stops here.
//   - An import whose rows and removals fit importChunk is then written in
//     ONE write transaction (validated again inside it, since the store
//     may have changed): atomic, the doors see it whole (the feed
//     delivers its records as one commit), a disk-full or any failure
//     leaves nothing. Its dirty pages are bounded by importChunk users
//     with their credentials (a few tens of MB).
//   - A larger import is written into a stage (a copy of the users' and
//     credentials' buckets) in transactions of importChunk rows — first
//     every credential the file releases and every user a replace
//     removes, then the upserts — and swapped in by one transaction
//     (importstage.go). One bbolt transaction for a million users would
//     hold about a gigabyte of dirty pages, more than the board has; the
//     stage's are a chunk's. Nothing is visible before the swap, so a
//     failure at any point leaves the store as it was, and the doors
//     switch from the old list to the new one at once.
//
// Memory: the rows are read from the source (a re-readable file) once
// per pass (a few batches ahead, on another goroutine: importrows.go);
// what is kept across passes is the file's ext_ids (line by ext_id), the
// keys of the credential values it adds (in pointer-free sets that the
// garbage collector does not scan: importset.go), the ids of the
// credentials it frees and a bit per unchanged row: about 150 bytes per
// row with a card and a PIN, besides the file itself.
//
// An absent ext_id (empty column or no ext_id key) adds a new user in
// merge mode (its ext_id is then its id), and is an error in replace
// mode: a row that cannot be matched would be added again on every run,
// and the list could never converge.
type ImportMode string

const (
	ImportMerge   ImportMode = "merge"
	ImportReplace ImportMode = "replace"
)

// importChunk is how many rows (or removed users) one transaction writes:
// an import within it is written live in one, a larger one is staged
// (importstage.go). A variable for tests.
var importChunk = 10000

// importWriteHook, when set (tests), runs before each row is written; its
// error fails the write as a disk error would.
var importWriteHook func() error

// ImportError is one bad row: its line in the file (1 is a CSV header),
// the field (column or JSON key) and what is wrong, never a PIN.
type ImportError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *ImportError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Field + ": " + e.Message
}

// ImportRow is one user of the file, as the reader parsed it.
type ImportRow struct {
	Line  int
	ExtID string // "": a new user (merge only)
	// Errs are problems the reader found; the row is not used.
	Errs []ImportError
	// Apply (nil: none) writes the row's fields into u: a copy of the stored user
	// with this ext_id, or a zero User when isNew. Fields the file does
	// not have (a CSV column that is absent, an NDJSON key that is
	// absent) are left as they are. It reports bad fields (Line unset).
	Apply func(u *User, isNew bool) []ImportError
	// Cards and PINs are the user's wanted cards (Value, Format) and PINs
	// (Value) when SetCards / SetPINs: the stored ones of that type that
	// are not listed are deleted, the listed ones that are missing are
	// added (owner, both locks); other credential types are untouched.
	Cards, PINs       []Credential
	SetCards, SetPINs bool

	asNew *preparedUser // Apply on a new user, done ahead (importrows.go)
}

// ImportSource yields the file's rows in order. Import reads it more than
// once. An error that is an *ImportError (a bad header, say) is reported
// as a bad row; any other error fails the import.
type ImportSource func(yield func(*ImportRow) bool) error

// ImportOptions adjust Import.
type ImportOptions struct {
	Mode      ImportMode // default merge
	DryRun    bool
	By        string // written as created_by / updated_by
	MaxErrors int    // errors listed in the summary (all are counted); 0 means 100
	// Progress, when set, is called now and then with the phase
	// ("validate", "write") and the rows done of total (0: unknown).
	Progress func(phase string, done, total int)
}

// ImportSummary is what an import did, or would do (a dry run, or a file
// with errors, which writes nothing).
type ImportSummary struct {
	Mode       ImportMode    `json:"mode"`
	DryRun     bool          `json:"dry_run"`
	Rows       int           `json:"rows"`
	Added      int           `json:"added"`
	Changed    int           `json:"changed"`
	Removed    int           `json:"removed"`
	Unchanged  int           `json:"unchanged"`
	ErrorCount int           `json:"error_count"`
	Errors     []ImportError `json:"errors"`
	Written    bool          `json:"written"`
	// Loading: a fleet import that replaced the fleet's list (Written) was
	// answered while this controller still loads the new list (it
	// decides on the list before until then; store/fleet).
	Loading bool `json:"loading,omitempty"`
}

// ErrImportInvalid: the file has bad rows (listed in the summary);
// nothing was written.
var ErrImportInvalid = errors.New("the import file has errors; nothing was written")

// Import validates the rows src yields and, unless opt.DryRun or a row is
// bad, writes them (see ImportMode for how). The summary counts users:
// added, changed (fields or credentials), removed (replace), unchanged.
// err is ErrImportInvalid (with the summary's Errors) for a bad file.
func (s *Store) Import(src ImportSource, opt ImportOptions) (ImportSummary, error) {
	if opt.Mode == "" {
		opt.Mode = ImportMerge
	}
	if opt.Mode != ImportMerge && opt.Mode != ImportReplace {
		return ImportSummary{}, &InvalidError{Field: "mode", Reason: "must be merge or replace"}
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 100
	}
	var v *importCheck
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		v, err = (&wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress}).importValidate(src, &opt)
		v.seq = storeSeq(tx)
		return err
	})
	if err != nil {
		return ImportSummary{}, err
	}
	sum := v.sum
	sum.Mode, sum.DryRun = opt.Mode, opt.DryRun
	if sum.ErrorCount > 0 {
		return sum, ErrImportInvalid
	}
	if opt.DryRun || sum.Added+sum.Changed+sum.Removed == 0 {
		return sum, nil
	}
	once := v.plans != nil && (s.gate.Load() == nil || v.sum.Rows+len(v.removed) <= fleetImportChunk)
	if once {
		err = s.importOnce(src, &opt, v)
		// In fleet mode a file of few rows can still be more records
		// than one write takes (its removed users' door rights in every
		// group, or many cards a row): nothing was written, and it goes
		// as a new generation like a larger file.
		var big *FleetTooLargeError
		once = !errors.As(err, &big)
	}
	if !once {
		var nv *importCheck
		nv, err = s.importStaged(src, &opt, v)
		if nv != v && err == nil {
			// validated again against the store as it was when staged
			nv.sum.Mode, nv.sum.DryRun = sum.Mode, sum.DryRun
			sum = nv.sum
		}
		if nv != nil {
			sum.Loading = nv.sum.Loading
		}
	}
	var bad *importFailed
	if errors.As(err, &bad) {
		sum.Errors, sum.ErrorCount = bad.errs, len(bad.errs)
		return sum, ErrImportInvalid
	}
	if err != nil {
		return sum, err
	}
	sum.Written = true
	return sum, nil
}

// importFailed carries the bad rows a write transaction found (the store
// changed since the validation): the transaction is rolled back.
type importFailed struct{ errs []ImportError }

func (e *importFailed) Error() string { return e.errs[0].Error() }

// importOnce writes a small import in one transaction: atomic. The
// validation's plans are written as they are when nothing was committed
// since (the store's seq says so); otherwise the import is validated
// again inside the transaction.
func (s *Store) importOnce(src ImportSource, opt *ImportOptions, v *importCheck) error {
	return s.write(false, func(w *wtx) error {
		if storeSeq(w.tx) != v.seq {
			var err error
			if v, err = w.importValidate(src, opt); err != nil {
				return err
			}
			if v.sum.ErrorCount > 0 {
				return &importFailed{v.errs}
			}
		}
		for i := range v.plans {
			for _, id := range v.plans[i].del {
				if err := w.deleteCredential(id); err != nil {
					return rowError(v.plans[i].line, "cards", err)
				}
			}
		}
		for _, uid := range v.removed {
			if err := w.deleteUser(uid); err != nil {
				return err
			}
		}
		for i := range v.plans {
			v.plans[i].del = nil // released above
		}
		return w.applyPlans(v.plans, opt.By)
	})
}

// importStaged writes a large import into a stage and swaps it in
// (importstage.go): the validation's releases, removals and upserts, in
// transactions of importChunk rows each, none of them visible until the
// swap. When the store changed between the validation and the stage's
// copy, the import is validated again against the copy.
func (s *Store) importStaged(src ImportSource, opt *ImportOptions, v *importCheck) (*importCheck, error) {
	var rp FleetReplacer
	var token any
	if g := s.gateOf(); g != nil {
		// Fleet mode: the import goes to the fleet whole (fleetgen.go:
		// the stage is the whole new list, merge or replace, written as
		// a new generation with the door rights, one flip).
		var ok bool
		if rp, ok = g.(FleetReplacer); !ok {
			return v, &InvalidError{Field: "rows", Reason: fmt.Sprintf(
				"this fleet takes imports of at most %d rows and removals at once; nothing was written", fleetImportChunk)}
		}
		var err error
		if token, err = rp.BeginReplace(); err != nil {
			return v, err
		}
	}
	s.importMu.Lock() // one stage at a time
	locked := true
	defer func() {
		if locked {
			s.importMu.Unlock()
		}
	}()
	same, err := s.openStage(v.seq)
	if err != nil {
		return v, err
	}
	swapped := false
	defer func() {
		if !swapped {
			s.dropStage()
		}
	}()
	done, total := 0, 0
	progress := func(phase string) func(n int) {
		return func(n int) {
			done += n
			if opt.Progress != nil {
				opt.Progress(phase, done, total)
			}
		}
	}
	if err := s.copyToStage(progress("copy")); err != nil {
		return v, err
	}
	if !same {
		err := s.stageView(func(w *wtx) error {
			var err error
			v, err = w.importValidate(src, opt)
			return err
		})
		if err != nil {
			return v, err
		}
		if v.sum.ErrorCount > 0 {
			return v, &importFailed{v.errs}
		}
	}
	done, total = 0, v.sum.Rows+len(v.removed)
	if v.releases {
		total += v.sum.Rows
	}
	step := progress("write")
	// Each pass reads the file once, a chunk per transaction.
	pass := func(write func(w *wtx, rs *rowStream, n int) error) error {
		rs := streamRows(src, v.unchanged)
		var err error
		for start := 0; start < v.sum.Rows && err == nil; start += importChunk {
			err = s.stageWrite(func(w *wtx) error { return write(w, rs, importChunk) })
			if err == nil {
				step(min(importChunk, v.sum.Rows-start))
			}
		}
		if cerr := rs.close(); err == nil {
			err = cerr
		}
		return err
	}
	if v.releases {
		if err := pass(func(w *wtx, rs *rowStream, n int) error { return w.importRelease(rs, opt, v, n) }); err != nil {
			return v, err
		}
	}
	for start := 0; start < len(v.removed); start += importChunk {
		part := v.removed[start:min(start+importChunk, len(v.removed))]
		err := s.stageWrite(func(w *wtx) error {
			for _, uid := range part {
				if err := w.deleteUser(uid); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return v, err
		}
		step(len(part))
	}
	if err := pass(func(w *wtx, rs *rowStream, n int) error { return w.importUpsert(rs, opt, v, n) }); err != nil {
		return v, err
	}
	if rp != nil {
		// The stage is the new list: the fleet takes it from here, and
		// this store loads it back as every controller does.
		wait, err := rp.CommitReplace(token, s.stagedFleet)
		if err != nil {
			return v, err
		}
		s.dropStage()
		swapped, locked = true, false
		s.importMu.Unlock() // the load of the new list takes the stage
		// A replace that happened is no error, loaded here yet or not.
		v.sum.Loading = !wait()
		return v, nil
	}
	seq, err := s.swapStage()
	if err != nil {
		return v, err
	}
	swapped = true
	// The followers resync from a snapshot of the swap: wait for them,
	// so that when the import returns the doors decide on the new list
	// (a million users load in about two seconds).
	if !s.waitFeed(seq, swapFeedWait) {
		s.log.Warn("store: an import's swap is committed, but a change feed subscriber has not loaded it yet", "seq", seq, "waited", swapFeedWait)
	}
	return v, nil
}

// swapFeedWait bounds how long Import waits for the followers to load a
// swapped list.
const swapFeedWait = 30 * time.Second

// fleetImportChunk is how many rows one write of an import carries in
// fleet mode: a fleet writes at most 999 records at once (one atomic
// batch of its NATS server: store/fleet), and a row is a user with a few
// credentials. An import of at most this many rows (and removals) is one
// write, all or nothing, when its records fit in one (FleetTooLargeError:
// not); a larger one is staged and written as a new generation of the
// fleet's list (FleetReplacer: all or nothing too).
// A variable for tests.
var fleetImportChunk = 200

// importCheck is what the validation pass keeps.
type importCheck struct {
	seq      uint64    // the store's seq the validation saw
	plans    []rowPlan // every row's plan while there are at most importChunk rows and removals; nil beyond
	sum      ImportSummary
	errs     []ImportError // every error (sum.Errors is the first MaxErrors)
	ext      map[string]int
	removed  []uint64 // users a replace removes
	releases bool     // some row deletes a stored credential of its user
	// unchanged are the rows (by index) that match the store as
	// validated: a stage, a copy of it, skips them (nothing a row of
	// the file writes can make another row's user or credentials
	// differ, or the validation would have found a conflict).
	unchanged bitset
}

// bitset is a set of small integers: 125 KB for a million rows.
type bitset []uint64

func (b *bitset) set(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// rowPlan is what one row does to the store as it is now.
type rowPlan struct {
	line        int
	old         *User // the stored user; nil: a new one
	user        User  // the target
	userChanged bool
	add         []Credential // UserUID set for a stored user
	del         []uint64     // stored credentials to delete
}

func (p *rowPlan) noop() bool {
	return p.old != nil && !p.userChanged && len(p.add) == 0 && len(p.del) == 0
}

// importValidate is the validation pass (see ImportMode), in any
// transaction; it writes nothing.
func (w *wtx) importValidate(src ImportSource, opt *ImportOptions) (*importCheck, error) {
	v := &importCheck{ext: map[string]int{}, plans: []rowPlan{}}
	addErr := func(e ImportError) {
		v.errs = append(v.errs, e)
		v.sum.ErrorCount++
		if len(v.sum.Errors) < opt.MaxErrors {
			v.sum.Errors = append(v.sum.Errors, e)
		}
	}
	// The added credentials, kept until every row was seen: a million
	// users add two million.
	var adds addedValues
	freed := map[uint64]bool{}
	rs := streamRows(src, nil)
	err := rs.each(-1, func(i int, r *ImportRow) error {
		v.sum.Rows++
		if opt.Progress != nil && v.sum.Rows%10000 == 0 {
			opt.Progress("validate", v.sum.Rows, 0)
		}
		if r.ExtID != "" {
			if l, dup := v.ext[r.ExtID]; dup {
				addErr(ImportError{Line: r.Line, Field: "ext_id", Message: "is also on line " + strconv.Itoa(l)})
				return nil
			}
			v.ext[r.ExtID] = r.Line
		}
		p, errs := w.planRow(r, opt.Mode)
		for _, e := range errs {
			addErr(e)
		}
		if len(errs) > 0 {
			return nil
		}
		if v.plans != nil && len(v.plans) < importChunk {
			v.plans = append(v.plans, p)
		} else {
			v.plans = nil // too many for one transaction
		}
		switch {
		case p.old == nil:
			v.sum.Added++
		case p.noop():
			v.sum.Unchanged++
			v.unchanged.set(i)
		default:
			v.sum.Changed++
		}
		for _, id := range p.del {
			freed[id] = true
			v.releases = true
		}
		cards, pins := 0, 0 // each added value's place in its list, for the message
		for i := range p.add {
			nth := &cards
			if p.add[i].Type == CredPIN {
				nth = &pins
			}
			*nth++
			adds.add(r.Line, *nth, &p.add[i])
		}
		return nil
	})
	if cerr := rs.close(); err == nil {
		err = cerr
	}
	var ie *ImportError
	if errors.As(err, &ie) {
		addErr(*ie)
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	if opt.Mode == ImportReplace {
		// Every stored user whose ext_id the file does not name goes, with
		// its credentials.
		c := w.b(bUserByExtID).Cursor()
		for k, val := c.First(); k != nil; k, val = c.Next() {
			if _, ok := v.ext[string(k)]; ok {
				continue
			}
			uid, _ := keys.ParseU64(val)
			v.removed = append(v.removed, uid)
			for _, id := range index.IDs(w.b(bCredByUser), keys.U64(uid)) {
				freed[id] = true
			}
		}
		v.sum.Removed = len(v.removed)
		if len(v.plans)+len(v.removed) > importChunk {
			v.plans = nil
		}
	}
	// The added values against each other and against the credentials
	// that stay.
	f := newFileValues(w.duress)
	stays := func(id uint64) bool { return !freed[id] }
	for i := range adds.ents {
		a := struct {
			line, nth int
			c         Credential
		}{int(adds.ents[i].line), int(adds.ents[i].nth), adds.credential(i)}
		field, what := "cards", "card"
		if a.c.Type == CredPIN {
			field, what = "pins", "PIN"
		}
		where := fmt.Sprintf("%s %d", what, a.nth)
		if l, reason := f.add(&a.c, a.line); l != 0 {
			addErr(ImportError{Line: a.line, Field: field, Message: where + " conflicts with line " + strconv.Itoa(l) + reason})
			continue
		}
		if err := w.valueConflict(&a.c, stays); err != nil {
			msg := where + " is already held by a user the import keeps"
			var ce *ConflictError
			if errors.As(err, &ce) && ce.Reason != "" {
				msg = where + ": " + ce.Reason
			}
			addErr(ImportError{Line: a.line, Field: field, Message: msg})
		}
	}
	return v, nil
}

// fileValues finds credential values of one file that would conflict
// with each other by checkValueConflict's rules (in pointer-free sets:
// lineSet).
type fileValues struct {
	exact        *lineSet // valueKey → line
	plain, bound *lineSet // card number → line
	pins         *lineSet
	duress       uint8
}

func newFileValues(duress uint8) *fileValues {
	return &fileValues{exact: newLineSet(), plain: newLineSet(), bound: newLineSet(), pins: newLineSet(), duress: duress}
}

// add records c (of line) and returns the line of an earlier value it
// conflicts with (0: none) and why, when it is not the same value.
func (f *fileValues) add(c *Credential, line int) (int, string) {
	k := string(valueKey(c.Type, c.Value, c.Format))
	if l, ok := f.exact.get(k); ok {
		return l, ""
	}
	switch c.Type {
	case CredCard:
		if c.Format == "" {
			if l, ok := f.bound.get(c.Value); ok {
				return l, " (" + ReasonCardFormatHeld + ")"
			}
			f.plain.put(c.Value, line)
		} else {
			if l, ok := f.plain.get(c.Value); ok {
				return l, " (" + ReasonCardPlainHeld + ")"
			}
			f.bound.put(c.Value, line) // the first line stays
		}
	case CredPIN:
		if f.duress != 0 {
			if d, ok := duressPIN(c.Value, f.duress); ok {
				if l, held := f.pins.get(d); held {
					return l, " (" + ReasonDuressIsOther + ")"
				}
			}
			if o, ok := duressPIN(c.Value, 10-f.duress); ok {
				if l, held := f.pins.get(o); held {
					return l, " (" + ReasonDuressOfOther + ")"
				}
			}
		}
		f.pins.put(c.Value, line)
	}
	f.exact.put(k, line)
	return 0, ""
}

// planRow works out what row r does to the store as w sees it.
func (w *wtx) planRow(r *ImportRow, mode ImportMode) (rowPlan, []ImportError) {
	p := rowPlan{line: r.Line}
	fail := func(field, msg string) (rowPlan, []ImportError) {
		return p, []ImportError{{Line: r.Line, Field: field, Message: msg}}
	}
	if r.ExtID == "" && mode == ImportReplace {
		return fail("ext_id", "is required in replace mode (it matches the row to its user on the next run)")
	}
	var uid uint64
	if r.ExtID != "" {
		uid, _ = index.Lookup(w.b(bUserByExtID), []byte(r.ExtID))
	}
	if r.Apply == nil { // a row the reader could not read at all
		errs := append([]ImportError(nil), r.Errs...)
		for i := range errs {
			errs[i].Line = r.Line
		}
		return p, errs
	}
	var errs []ImportError
	if uid != 0 {
		old, err := getJSON[User](w.b(bUsers), keys.U64(uid))
		if err != nil {
			return fail("ext_id", "the stored user cannot be read: "+err.Error())
		}
		p.old = &old
		p.user = cloneUser(&old)
		errs = r.apply(&p.user, false)
		p.user.UID, p.user.ID, p.user.ExtID = old.UID, old.ID, old.ExtID
		p.user.CreatedAt, p.user.CreatedBy = old.CreatedAt, old.CreatedBy
		if p.user.State == "" {
			p.user.State = old.State
		}
		if p.user.Locks == "" {
			p.user.Locks = old.Locks
		}
	} else {
		if r.asNew != nil {
			p.user, errs = r.asNew.u, r.asNew.errs
		} else {
			p.user = User{ExtID: r.ExtID}
			errs = r.apply(&p.user, true)
		}
		p.user.ExtID = r.ExtID
		if p.user.ID == "" {
			// Time-ordered, so that the id index grows at its right edge
			// (a million new users do not rewrite pages all over it).
			id, err := uuid.NewV7()
			if err != nil {
				return fail("id", err.Error())
			}
			p.user.ID = id.String()
		} else if id, ok := canonicalID(p.user.ID); !ok {
			errs = append(errs, ImportError{Field: "id", Message: "must be a UUID"})
		} else if p.user.ID = id; w.taken(bUserByID, []byte(id)) {
			errs = append(errs, ImportError{Field: "id", Message: "is another user's id"})
		}
		if p.user.ExtID == "" {
			p.user.ExtID = p.user.ID
		}
		if p.user.State == "" {
			p.user.State = StateActive
		}
		if p.user.Locks == "" && len(errs) == 0 {
			errs = append(errs, ImportError{Field: "locks", Message: `is required for a new user: "both", "1" or "2" (the doors this user may open)`})
		}
	}
	// The reader's errors first, then the fields': every problem of the
	// row in one run.
	errs = append(append([]ImportError(nil), r.Errs...), errs...)
	for i := range errs {
		errs[i].Line = r.Line
	}
	if len(errs) > 0 {
		return p, errs
	}
	if err := w.checkUser(&p.user); err != nil {
		return fail(storeErrField(err, "user"), storeErrMessage(err))
	}
	if p.old != nil {
		p.userChanged = !sameUser(p.old, &p.user)
		if p.old.State == StateArchived && p.userChanged {
			return fail("state", "the user is archived, which is final: it cannot be changed")
		}
	}
	if !r.SetCards && !r.SetPINs {
		return p, nil
	}
	p.add = make([]Credential, 0, len(r.Cards)+len(r.PINs)) // once, not per list
	var stored []Credential
	if p.old != nil {
		for _, id := range index.IDs(w.b(bCredByUser), keys.U64(uid)) {
			c, err := getJSON[Credential](w.b(bCreds), keys.U64(id))
			if err != nil {
				return fail("cards", fmt.Sprintf("stored credential %d cannot be read: %v", id, err))
			}
			stored = append(stored, c)
		}
	}
	for _, set := range [...]struct {
		on    bool
		t     CredentialType
		want  []Credential
		field string
	}{{r.SetCards, CredCard, r.Cards, "cards"}, {r.SetPINs, CredPIN, r.PINs, "pins"}} {
		if !set.on {
			continue
		}
		wanted := map[string]int{} // valueKey → position
		var order []string
		for i := range set.want {
			c := Credential{Type: set.t, Value: set.want[i].Value, Format: set.want[i].Format,
				Owner: OwnerOwner, Locks: LocksBoth, UserUID: uid}
			if c.Value == "" {
				return fail(set.field, fmt.Sprintf("entry %d is empty", i+1))
			}
			if err := checkLen(set.field, c.Value); err != nil {
				return fail(set.field, fmt.Sprintf("entry %d is longer than %d bytes", i+1, MaxKeyLen))
			}
			if err := checkCardFormat(&c); err != nil {
				return fail(set.field, fmt.Sprintf("entry %d: %s", i+1, storeErrMessage(err)))
			}
			k := string(valueKey(c.Type, c.Value, c.Format))
			if j, dup := wanted[k]; dup {
				return fail(set.field, fmt.Sprintf("entries %d and %d are the same", j+1, i+1))
			}
			wanted[k] = i
			order = append(order, k)
			set.want[i] = c
		}
		for _, c := range stored {
			if c.Type != set.t {
				continue
			}
			k := string(valueKey(c.Type, c.Value, c.Format))
			if _, keep := wanted[k]; keep {
				delete(wanted, k)
				continue
			}
			p.del = append(p.del, c.ID)
		}
		for _, k := range order {
			if i, ok := wanted[k]; ok {
				p.add = append(p.add, set.want[i])
			}
		}
	}
	if p.old != nil && p.old.State == StateArchived && (len(p.add) > 0 || len(p.del) > 0) {
		return fail("state", "the user is archived, which is final: its credentials cannot be changed")
	}
	return p, nil
}

// importRelease deletes the credentials that the next n rows of rs no
// longer list, so that a value that moves to another user is free
// before it is added.
func (w *wtx) importRelease(rs *rowStream, opt *ImportOptions, v *importCheck, n int) error {
	return rs.each(n, func(i int, r *ImportRow) error {
		if v.unchanged.has(i) {
			return nil
		}
		p, errs := w.planRow(r, opt.Mode)
		if len(errs) > 0 {
			return &importFailed{errs}
		}
		for _, id := range p.del {
			if err := w.deleteCredential(id); err != nil {
				return rowError(r.Line, "cards", err)
			}
		}
		return nil
	})
}

// importUpsert writes the next n rows of rs as the store now is: new
// users, changed users, added credentials.
func (w *wtx) importUpsert(rs *rowStream, opt *ImportOptions, v *importCheck, n int) error {
	plans := make([]rowPlan, 0, n) // a chunk's: grown by doubling, a User each, it was a third of the pass's allocation
	err := rs.each(n, func(i int, r *ImportRow) error {
		if v.unchanged.has(i) {
			return nil
		}
		p, errs := w.planRow(r, opt.Mode)
		if len(errs) > 0 {
			return &importFailed{errs}
		}
		if !p.noop() {
			plans = append(plans, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.applyPlans(plans, opt.By)
}

// applyPlans writes rows' plans: credentials they release (unless that
// was done already), changed users one by one, then the new users and
// every added credential as BulkLoad writes them (checked, their keys
// sorted and put in order, encoded on another core): a million new
// users with a card and a PIN each go in about as fast as a bulk load.
func (w *wtx) applyPlans(plans []rowPlan, by string) error {
	nu, nc := 0, 0 // sized at once: grown by doubling they were most of the write pass's garbage
	for i := range plans {
		if plans[i].old == nil {
			nu++
		}
		nc += len(plans[i].add)
	}
	var (
		users     = make([]User, 0, nu)
		userLine  = make([]int, 0, nu)
		creds     = make([]Credential, 0, nc)
		credLine  = make([]int, 0, nc)
		credOwner = make([]int, 0, nc) // the new user (index in users) a credential is for; -1: a stored user
	)
	for i := range plans {
		p := &plans[i]
		if p.noop() {
			continue
		}
		if importWriteHook != nil {
			if err := importWriteHook(); err != nil {
				return err
			}
		}
		for _, id := range p.del {
			if err := w.deleteCredential(id); err != nil {
				return rowError(p.line, "cards", err)
			}
		}
		owner := -1
		switch {
		case p.old == nil:
			u := p.user
			u.UID, u.CreatedBy = 0, by
			owner = len(users)
			users = append(users, u)
			userLine = append(userLine, p.line)
		case p.userChanged:
			u := p.user
			u.UpdatedAt, u.UpdatedBy = w.now, by
			if err := w.putUser(p.old, &u); err != nil {
				return rowError(p.line, storeErrField(err, "ext_id"), err)
			}
		}
		for _, c := range p.add {
			if owner < 0 {
				c.UserUID = p.user.UID
			}
			creds = append(creds, c)
			credLine = append(credLine, p.line)
			credOwner = append(credOwner, owner)
		}
	}
	if len(users) > 0 {
		bp := w.prep(func(w *wtx, start, end int, seq uint64) *bulkPrep { return w.prepUsers(users, start, end, seq) },
			0, len(users), w.b(bUsers).Sequence())
		err := w.writeUsers(bp, users)
		bp.discard()
		if err != nil {
			return bulkRowError(bp, userLine, func(int) string { return "ext_id" }, err)
		}
		for i, o := range credOwner {
			if o >= 0 {
				creds[i].UserUID = bp.users[o].UID
			}
		}
	}
	if len(creds) > 0 {
		bp := w.prep(func(w *wtx, start, end int, seq uint64) *bulkPrep { return w.prepCreds(creds, start, end, seq) },
			0, len(creds), w.b(bCreds).Sequence())
		err := w.writeCreds(bp, creds)
		bp.discard()
		if err != nil {
			return bulkRowError(bp, credLine, func(i int) string {
				if creds[i].Type == CredPIN {
					return "pins"
				}
				return "cards"
			}, err)
		}
	}
	return nil
}

// bulkRowError is the bad row behind a failed bulk write of an import's
// records (lines[i] is record i's line), or err as it is.
func bulkRowError(bp *bulkPrep, lines []int, field func(i int) string, err error) error {
	if bp.fail.err == nil || bp.fail.rec >= len(lines) {
		return err
	}
	return rowError(lines[bp.fail.rec], storeErrField(bp.fail.err, field(bp.fail.rec)), bp.fail.err)
}

// rowError turns a store error met while writing a row into a bad row,
// when it is one (the store changed since the validation).
func rowError(line int, field string, err error) error {
	var ce *ConflictError
	var ie *InvalidError
	var re *RefError
	if errors.As(err, &ce) || errors.As(err, &ie) || errors.As(err, &re) || errors.Is(err, ErrArchived) {
		return &importFailed{[]ImportError{{Line: line, Field: storeErrField(err, field), Message: storeErrMessage(err) + " (the store changed during the import; nothing of this transaction was written)"}}}
	}
	return err
}

func storeErrField(err error, def string) string {
	var ce *ConflictError
	var ie *InvalidError
	var re *RefError
	switch {
	case errors.As(err, &ie):
		return ie.Field
	case errors.As(err, &re):
		return re.Field
	case errors.As(err, &ce) && ce.Field != "value":
		return ce.Field
	}
	return def
}

func storeErrMessage(err error) string {
	var ce *ConflictError
	var ie *InvalidError
	var re *RefError
	switch {
	case errors.As(err, &ie):
		return ie.Reason
	case errors.As(err, &re):
		return fmt.Sprintf("%d does not exist", re.ID)
	case errors.As(err, &ce):
		if ce.Reason != "" {
			return ce.Reason
		}
		return "is already taken"
	case errors.Is(err, ErrArchived):
		return "the user is archived, which is final"
	}
	return err.Error()
}

// sameUser reports whether b is a with nothing but its update stamps
// changed. Times compare as instants in the same zone offset, so a
// valid_to read back from the file is the one stored.
func sameUser(a, b *User) bool {
	x, y := cloneUser(a), cloneUser(b)
	if !sameTime(x.ValidFrom, y.ValidFrom) || !sameTime(x.ValidTo, y.ValidTo) {
		return false
	}
	for _, u := range []*User{&x, &y} {
		u.ValidFrom, u.ValidTo = nil, nil
		u.UpdatedAt, u.UpdatedBy = time.Time{}, ""
		if len(u.Tags) == 0 {
			u.Tags = nil
		}
		if len(u.Properties) == 0 {
			u.Properties = nil
		}
		if len(u.TimeProfiles) == 0 {
			u.TimeProfiles = nil
		}
		if len(u.Apartments) == 0 {
			u.Apartments = nil
		}
		if len(u.AuthFactors) == 0 {
			u.AuthFactors = nil
		}
	}
	x.CreatedAt, y.CreatedAt = x.CreatedAt.UTC(), y.CreatedAt.UTC()
	return reflect.DeepEqual(x, y)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(*b) && oa == ob
}
