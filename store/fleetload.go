package store

import (
	"errors"

	"github.com/doord/doord/store/internal/keys"
)

// FleetLoad is a cold start's load of a fleet bucket (store/fleet) into a
// store that holds no users or credentials, in bounded memory: the caller
// streams the bucket's users and credentials in chunks (Add), each
// written into an import stage (importstage.go) by the bulk loader in
// transactions of its own, and Commit swaps the stage in and saves the
// fleet revision in one transaction. Memory is a chunk's records and a
// bulk transaction's dirty pages, whatever the bucket's size (a million
// people with two million cards held at once wanted about a gigabyte).
//
// Nothing is visible before Commit: a crash part way leaves the live
// store as it was (no users, no credentials, no revision), so the next
// start loads again from the beginning, and the next stage opened drops
// this one. Time profiles and apartments, which users refer to, are not
// staged: the caller applies them first with ApplyFleet(0, …).
//
// Records go in as the fleet has them (ids, stamps, passes). A chunk the
// bulk loader refuses (a card value taken twice in the bucket, a
// credential whose user is not loaded) is written record by record
// through the watch's own rules (applyFleet), which leave out exactly
// the records every other controller leaves out.
type FleetLoad struct {
	s       *Store
	done    bool
	replace bool      // BeginFleetReplace's (fleetgen.go)
	small   []FleetOp // a replace's time profiles and apartments: applied in the swap
	// Refused counts the records left out so far.
	Refused int
}

// BeginFleetLoad opens a cold load; Commit or Abort must end it. It
// holds the store's import lock: no import stages meanwhile.
func (s *Store) BeginFleetLoad() (*FleetLoad, error) {
	s.importMu.Lock()
	ok := false
	defer func() {
		if !ok {
			s.dropStage()
			s.importMu.Unlock()
		}
	}()
	if _, err := s.openStage(0); err != nil {
		return nil, err
	}
	// A copy of nothing but the sequences: the store has no users or
	// credentials (or the caller would resume, not load).
	if err := s.copyToStage(func(int) {}); err != nil {
		return nil, err
	}
	ok = true
	return &FleetLoad{s: s}, nil
}

// Add writes ops (puts of users and credentials, a credential after its
// user's chunk; rights of this controller's groups before their users)
// into the stage. A replace (BeginFleetReplace) keeps time profiles and
// apartments for its swap; a cold load skips them (the caller applied
// them), and deletions.
func (l *FleetLoad) Add(ops []FleetOp) error {
	if l.done {
		return errors.New("store: the fleet load has ended")
	}
	var users []User
	var creds []Credential
	var rights []FleetOp
	var bad map[int]bool // undecodable: left out and counted once
	for i := range ops {
		if ops[i].Deleted {
			continue
		}
		switch ops[i].Kind {
		case KindRight:
			rights = append(rights, ops[i])
		case KindTimeProfile, KindApartment:
			if l.replace {
				l.small = append(l.small, ops[i])
			}
		case KindUser, KindCredential:
			c, err := decodeFleet(&ops[i])
			if err != nil {
				if bad == nil {
					bad = map[int]bool{}
				}
				bad[i] = true
				l.Refused++ // left out, as ApplyFleet leaves it out
				continue
			}
			if c.User != nil {
				users = append(users, *c.User)
			} else {
				creds = append(creds, *c.Credential)
			}
		}
	}
	if len(rights) > 0 {
		err := l.s.stageWrite(func(w *wtx) error {
			for i := range rights {
				if err := w.applyFleet(&rights[i]); err != nil { // rights.go: into the stage
					var ce *FleetConflictError
					if !errors.As(err, &ce) {
						return err
					}
					l.Refused++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(users)+len(creds) == 0 {
		return nil
	}
	if err := l.s.loadRights(users); err != nil { // rights.go: the locks here
		return err
	}
	if err := l.s.BulkLoadWith(users, creds, BulkOptions{fleet: true, stage: true}); err == nil {
		return nil
	}
	// The chunks before the refused record may be in the stage already:
	// applyFleet puts a record that is there again as it is.
	return l.s.stageWrite(func(w *wtx) error {
		w.fleetLoad = true
		for i := range ops {
			if ops[i].Deleted || bad[i] || (ops[i].Kind != KindUser && ops[i].Kind != KindCredential) {
				continue
			}
			if err := w.applyFleet(&ops[i]); err != nil {
				var ce *FleetConflictError
				if !errors.As(err, &ce) {
					return err
				}
				l.Refused++
			}
		}
		return nil
	})
}

// Commit swaps the stage in with gen and rev as the store's fleet
// generation (FleetGen) and revision, in one transaction, and waits, as an import does, until the change feed's
// followers (the door engine) have loaded it.
func (l *FleetLoad) Commit(gen, rev uint64) error {
	if l.done {
		return errors.New("store: the fleet load has ended")
	}
	s := l.s
	seq, err := s.swapStageWith(s.writeLocal, func(w *wtx) error {
		if l.replace {
			if err := l.replaceSmall(w); err != nil {
				return err
			}
		}
		if err := w.putRaw(bMeta, kFleetGen, keys.U64(gen)); err != nil {
			return err
		}
		return w.putRaw(bMeta, kFleetRev, keys.U64(rev))
	})
	if err != nil {
		l.Abort()
		return err
	}
	l.done = true
	s.importMu.Unlock()
	if !s.waitFeed(seq, swapFeedWait) {
		s.log.Warn("store: a fleet load is committed, but a change feed subscriber has not loaded it yet", "seq", seq, "waited", swapFeedWait)
	}
	return nil
}

// Abort drops the stage; the live store is as it was. It does nothing
// after Commit.
func (l *FleetLoad) Abort() {
	if l.done {
		return
	}
	l.done = true
	l.s.dropStage()
	l.s.importMu.Unlock()
}
