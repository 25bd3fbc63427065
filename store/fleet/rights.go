package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go/jetstream"
)

// Door rights per group (README "Fleet"; store/rights.go applies them).
// A controller watches the rights of its own groups only: a write of a
// right in another group (the native door_rights field) cannot be based
// on a revision this controller has seen, so it is a blind write of the
// whole right (expecting the key's revision read just before, which
// still refuses a write at the same moment), answered once the bucket
// has it: this controller never applies it.

// validateRights checks rights_group and group_locks.
func (c Config) validateRights() []error {
	var errs []error
	if c.RightsGroup != "" {
		if !nameRE.MatchString(c.RightsGroup) {
			errs = append(errs, fmt.Errorf("fleet.rights_group: %q must be letters, digits, _ or -", c.RightsGroup))
		}
		if len(c.Groups) == 0 {
			errs = append(errs, fmt.Errorf("fleet.rights_group: needs fleet.groups (door rights are per group)"))
		}
	}
	for g, l := range c.GroupLocks {
		if !slices.Contains(c.Groups, g) {
			errs = append(errs, fmt.Errorf("fleet.group_locks: %q is not one of fleet.groups", g))
		}
		switch store.Locks(l) {
		case store.LocksBoth, store.LocksFirst, store.LocksSecond:
		default:
			errs = append(errs, fmt.Errorf("fleet.group_locks.%s: %q must be \"both\", \"1\" or \"2\"", g, l))
		}
	}
	return errs
}

// rights is the store's door rights config; nil without groups.
func (c Config) rights() *store.RightsConfig {
	if len(c.Groups) == 0 {
		return nil
	}
	rc := &store.RightsConfig{Home: c.RightsGroup, Groups: map[string]store.Locks{}}
	if rc.Home == "" {
		rc.Home = c.Groups[0]
	}
	for _, g := range c.Groups {
		rc.Groups[g] = store.LocksBoth
		if l, ok := c.GroupLocks[g]; ok {
			rc.Groups[g] = store.Locks(l)
		}
	}
	return rc
}

// watches reports whether this controller's watch delivers op's key.
func (c Config) watches(op *store.FleetOp) bool {
	return op.Kind != store.KindRight || len(c.Groups) == 0 || slices.Contains(c.Groups, op.Group)
}

// lastWatched is the highest of revs (ops' revisions, in order) whose op
// the watch delivers here: what a write waits for before it answers (0:
// nothing to wait for).
func lastWatched(c Config, ops []store.FleetOp, revs []uint64) uint64 {
	var last uint64
	for i := range revs {
		if c.watches(&ops[i]) {
			last = max(last, revs[i])
		}
	}
	return last
}

// withDroppedRights adds to ops, for each user they delete, the deletes
// of the user's rights the bucket holds that ops do not delete already:
// those of groups this controller does not watch (the store deletes only
// the rights it holds), found by the subject filter right.*.<uid>. They
// go in the same atomic batch as the user, as blind deletes
// (lastRev), so no right outlives its user in the bucket.
func (f *Fleet) withDroppedRights(ctx context.Context, s *session, ops []store.FleetOp) ([]store.FleetOp, error) {
	var have map[string]bool
	n := len(ops)
	for i := range n {
		if ops[i].Kind != store.KindUser || !ops[i].Deleted {
			continue
		}
		if have == nil {
			have = map[string]bool{}
			for j := range ops {
				have[opKey(&ops[j])] = true
			}
		}
		pre := "$KV." + s.bucket + "."
		info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(pre+rightPrefix+"*."+strconv.FormatUint(ops[i].ID, 10)))
		if err != nil {
			return nil, fmt.Errorf("%w (reading the rights of user %d: %w)", store.ErrFleetOffline, ops[i].ID, err)
		}
		for _, subj := range slices.Sorted(maps.Keys(info.State.Subjects)) {
			op, ok := keyOp(strings.TrimPrefix(subj, pre))
			if !ok || have[opKey(&op)] {
				continue
			}
			m, err := s.stream.GetLastMsgForSubject(ctx, subj)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%w (reading %s: %w)", store.ErrFleetOffline, opKey(&op), err)
			}
			if o := m.Header.Get("KV-Operation"); o == "DEL" || o == "PURGE" {
				continue // deleted already
			}
			op.Deleted = true
			have[opKey(&op)] = true
			ops = append(ops, op)
		}
	}
	return ops, nil
}
