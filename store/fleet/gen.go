package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Generations: `doord import` against the fleet (a replace, or a merge
// larger than one write) replaces the whole list at once from every
// controller's point of view, at any size (a million rows is far more
// than one atomic batch holds):
//
//   - The records live in the current generation's bucket: doord_<site>
//     (generation 0), then doord_<site>_g<N>_<random> (each replace
//     writes a bucket of its own). The key `gen` in a generation's
//     bucket points at the one that replaced it; the same key in
//     doord_<site> points at the newest one (a hint: a controller
//     follows `gen` keys from it to the newest).
//   - The replacing controller notes the bucket's last sequence, stages
//     the new list locally as a standalone import does, writes all of it
//     into a new bucket, then flips: a put of `gen` in the current bucket
//     expecting that last sequence (Nats-Expected-Last-Sequence). The
//     rule for a write racing the replace: a write that lands in the
//     bucket before the flip makes the flip fail — the replace is a 409
//     (store.ErrImportConflict) and nothing changed (the new bucket is
//     deleted); a write after the flip fails, because every write's
//     commit marker expects the bucket to have no `gen` key
//     (Nats-Expected-Last-Subject-Sequence 0 on it): its writer gets a
//     409 and reads the new list. No write is ever silently lost.
//   - The new bucket carries the door rights (withRights): the
//     replacing controller's groups' as its stage has them, every other
//     group's of the users the new list keeps copied from the current
//     bucket.
//   - A controller's watch that sees `gen` ends its session; the next
//     one loads the new generation into an empty stage and swaps it in
//     with one transaction (sync.go load, store.BeginFleetReplace), then
//     follows the new bucket. A controller that was down loads it when
//     it returns. The replacing controller's import is answered once
//     its own load is done, waiting as long as the load moves
//     (waitLoaded); answered before, it says so (not an error).

// genKey is the generation pointer's key.
const genKey = "gen"

// errGenMoved ends a session whose bucket was replaced.
var errGenMoved = errors.New("the fleet's list was replaced")

// pointer is a `gen` key's value: "<generation> <bucket> <previous
// bucket>". Each replace writes a bucket of its own name (two replaces
// at once never write into the same one; the one that flips first wins).
type pointer struct {
	gen          uint64
	bucket, prev string
}

func (p pointer) String() string {
	return strconv.FormatUint(p.gen, 10) + " " + p.bucket + " " + p.prev
}

// genOf reads kv's `gen` key (ok false: none).
func genOf(ctx context.Context, kv jetstream.KeyValue) (p pointer, ok bool, err error) {
	e, err := kv.Get(ctx, genKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	f := strings.Fields(string(e.Value()))
	if len(f) == 3 {
		p.gen, err = strconv.ParseUint(f[0], 10, 64)
		p.bucket, p.prev = f[1], f[2]
	}
	if len(f) != 3 || err != nil || p.gen == 0 {
		return p, false, fmt.Errorf("%s holds %q, not a generation pointer", genKey, e.Value())
	}
	return p, true, nil
}

// resolveGen finds the newest generation: from the root bucket (its
// `gen` key is the first generation's pointer and then a hint to the
// newest), following `gen` keys.
func (f *Fleet) resolveGen(ctx context.Context, js jetstream.JetStream, root jetstream.KeyValue) (*session, error) {
	cur := pointer{bucket: f.cfg.Bucket()}
	for range 1000 {
		kv := root
		if cur.bucket != f.cfg.Bucket() {
			var err error
			if kv, err = js.KeyValue(ctx, cur.bucket); err != nil {
				return nil, fmt.Errorf("generation %d: %w", cur.gen, err)
			}
		}
		next, ok, err := genOf(ctx, kv)
		if err != nil {
			return nil, err
		}
		if ok && next.gen > cur.gen {
			cur = next
			continue
		}
		stream, err := js.Stream(ctx, "KV_"+cur.bucket)
		if err != nil {
			return nil, err
		}
		if err := f.allowAtomic(ctx, js, stream); err != nil {
			return nil, err
		}
		return &session{js: js, kv: kv, stream: stream, bucket: cur.bucket, gen: cur.gen, prev: cur.prev}, nil
	}
	return nil, errors.New("the fleet's generation pointers make a loop")
}

// noteSeen moves the watch's position to what buf has handed over (not
// past a batch still open in it).
func (f *Fleet) noteSeen(buf *txnBuf) {
	if buf.id != "" {
		return
	}
	f.noteSeenRev(buf.seen)
}

func (f *Fleet) noteSeenRev(rev uint64) {
	f.mu.Lock()
	f.seen = max(f.seen, rev)
	f.mu.Unlock()
	f.advance(0, nil)
}

// replaceToken is where a replace started.
type replaceToken struct {
	s    *session
	last uint64 // the current bucket's last sequence
}

// BeginReplace is store.FleetReplacer's.
func (f *Fleet) BeginReplace() (any, error) {
	s := f.live()
	if s == nil {
		f.stats.offlineRefusals.Add(1)
		return nil, store.ErrFleetOffline
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (reading the bucket's state: %w)", store.ErrFleetOffline, err)
	}
	last := info.State.LastSeq
	if !f.waitFor(func() bool { return f.seen >= last || f.sess != s }) || f.live() != s {
		return nil, unsure("this controller has not caught up with the fleet yet; nothing was written: retry shortly")
	}
	return &replaceToken{s: s, last: last}, nil
}

// CommitReplace is store.FleetReplacer's: the list each yields goes into
// a new generation's bucket, then the flip.
func (f *Fleet) CommitReplace(token any, each func(yield func(store.FleetOp) error) error) (func() bool, error) {
	tok := token.(*replaceToken)
	s := tok.s
	if f.live() != s {
		return nil, store.ErrImportConflict
	}
	ctx, cancel := context.WithTimeout(f.ctx, replaceTimeout)
	defer cancel()
	next := s.gen + 1
	name := fmt.Sprintf("%s_g%d_%s", f.cfg.Bucket(), next, strings.ReplaceAll(uuid.NewString(), "-", "")[:8])
	_, err := s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1,
		Description: fmt.Sprintf("doord fleet records of site %s, generation %d", f.cfg.Site, next)})
	if err != nil {
		return nil, fmt.Errorf("%w (creating %s: %w)", store.ErrFleetOffline, name, err)
	}
	flipped := false
	defer func() {
		if !flipped {
			dctx, dcancel := context.WithTimeout(context.Background(), f.opt.OpTimeout)
			_ = s.js.DeleteKeyValue(dctx, name)
			dcancel()
		}
	}()
	stream, err := s.js.Stream(ctx, "KV_"+name)
	if err != nil {
		return nil, err
	}
	if err := f.allowAtomic(ctx, s.js, stream); err != nil {
		return nil, err
	}
	if err := f.fill(ctx, name, f.withRights(ctx, s, each)); err != nil {
		return nil, err
	}
	call(&f.hooks.beforeFlip)
	flip := nats.NewMsg("$KV." + s.bucket + "." + genKey)
	flip.Data = []byte(pointer{gen: next, bucket: name, prev: s.bucket}.String())
	if _, err := s.js.PublishMsg(ctx, flip, jetstream.WithExpectLastSequence(tok.last)); err != nil {
		if isWrongLast(err) {
			f.stats.conflicts.Add(1)
			return nil, store.ErrImportConflict
		}
		return nil, unsure(fmt.Sprintf("the fleet's NATS server did not confirm the replace (%v); the list may or may not have been replaced: read it back before retrying", err))
	}
	flipped = true
	if s.gen > 0 {
		// The root's hint (the flip above is what counts: a controller
		// follows the pointers past a stale hint).
		hint := nats.NewMsg("$KV." + f.cfg.Bucket() + "." + genKey)
		hint.Data = flip.Data
		if _, err := s.js.PublishMsg(ctx, hint); err != nil {
			f.log.Warn("fleet: could not update the generation hint", "err", err)
		} else {
			f.dropOld(ctx, s.js, s.prev)
		}
	}
	f.log.Info("fleet: the list was replaced", "generation", next, "bucket", name)
	wait := func() bool { return f.waitLoaded(next) }
	return wait, nil
}

// dropOld frees the generation before the one just replaced once the
// root points past it: nobody reads it any more (a controller that was
// down follows the root). The root keeps the controller numbers: only
// its records go.
func (f *Fleet) dropOld(ctx context.Context, js jetstream.JetStream, bucket string) {
	if bucket != f.cfg.Bucket() {
		if err := js.DeleteKeyValue(ctx, bucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			f.log.Warn("fleet: could not delete an old generation", "bucket", bucket, "err", err)
		}
		return
	}
	root, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		f.log.Warn("fleet: could not purge the first generation's records", "err", err)
		return
	}
	for _, p := range kindPrefix {
		if err := root.Purge(ctx, jetstream.WithPurgeSubject("$KV."+bucket+"."+p+">")); err != nil {
			f.log.Warn("fleet: could not purge the first generation's records", "err", err)
			return
		}
	}
}

// withRights is the new list each yields followed by the door rights
// (keys.go right.<group>.<uid>) it does not carry itself: the current
// generation's rights of the users the new list keeps, in every group
// (a controller holds only its own groups' rights, so they are read
// from the bucket, by the pull consumer a load uses). The stage (each)
// is the whole truth for this controller's groups (the import may have
// changed or revoked those rights) and for the rights it wrote in
// others; the rights of users the new list does not have are dropped.
// The current bucket cannot change meanwhile without failing the flip.
func (f *Fleet) withRights(ctx context.Context, s *session, each func(yield func(store.FleetOp) error) error) func(yield func(store.FleetOp) error) error {
	return func(yield func(store.FleetOp) error) error {
		var uids []uint64
		written := map[string]bool{} // rights the stage yielded in groups not held here
		err := each(func(op store.FleetOp) error {
			switch {
			case op.Kind == store.KindUser:
				uids = append(uids, op.ID)
			case op.Kind == store.KindRight && !slices.Contains(f.cfg.Groups, op.Group):
				written[opKey(&op)] = true
			}
			return yield(op)
		})
		if err != nil {
			return err
		}
		slices.Sort(uids)
		return f.readPrefix(ctx, s, rightPrefix+">", func(op store.FleetOp) error {
			if _, kept := slices.BinarySearch(uids, op.ID); op.Deleted || !kept ||
				slices.Contains(f.cfg.Groups, op.Group) || written[opKey(&op)] {
				return nil
			}
			return yield(op)
		})
	}
}

// replaceTimeout bounds a replace's writing of the new list.
var replaceTimeout = 30 * time.Minute

// fill writes the new list into bucket, many messages in flight.
func (f *Fleet) fill(ctx context.Context, bucket string, each func(yield func(store.FleetOp) error) error) error {
	var failed atomic.Pointer[error]
	js, err := jetstream.New(f.nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
			failed.CompareAndSwap(nil, &err)
		}))
	if err != nil {
		return err
	}
	pre := "$KV." + bucket + "."
	err = each(func(op store.FleetOp) error {
		if p := failed.Load(); p != nil {
			return *p
		}
		_, err := js.PublishAsync(pre+opKey(&op), op.Value)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w (writing the new list: %w)", store.ErrFleetOffline, err)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return fmt.Errorf("%w (writing the new list: %w)", store.ErrFleetOffline, ctx.Err())
	}
	if p := failed.Load(); p != nil {
		return fmt.Errorf("%w (writing the new list: %w)", store.ErrFleetOffline, *p)
	}
	return nil
}

// waitLoaded waits until this controller holds generation next (its
// watch's session is on it) and reports whether it does. The load of a
// large list takes longer than any fixed wait (a million people: about
// 90 s on a board), so the wait goes on while the load moves: it gives
// up when nothing was staged for OpTimeout (loadStep), or after
// loadWaitLimit in all. A replace it gives up on has happened all the
// same: the import says so (store.ImportSummary.Loading), no error.
func (f *Fleet) waitLoaded(next uint64) bool {
	idle := time.NewTimer(f.opt.OpTimeout)
	defer idle.Stop()
	limit := time.NewTimer(loadWaitLimit)
	defer limit.Stop()
	steps := f.loadSteps.Load()
	for {
		f.mu.Lock()
		done, ch := f.sess != nil && f.sess.gen >= next, f.progress
		f.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ch:
		case <-idle.C:
			if s := f.loadSteps.Load(); s != steps {
				steps = s
				idle.Reset(f.opt.OpTimeout)
				continue
			}
			f.log.Warn("fleet: the list was replaced; answering before this controller has loaded it (the load did not move)", "generation", next, "waited", f.opt.OpTimeout)
			return false
		case <-limit.C:
			f.log.Warn("fleet: the list was replaced; answering before this controller has loaded it", "generation", next, "waited", loadWaitLimit)
			return false
		case <-f.ctx.Done():
			return false
		}
	}
}

// loadWaitLimit bounds waitLoaded (a load that moves).
var loadWaitLimit = 10 * time.Minute

// loadStep notes that a load staged more (waitLoaded's deadline moves).
func (f *Fleet) loadStep() {
	f.loadSteps.Add(1)
	f.advance(0, nil) // wakes the waiters
}

// waitFor waits (OpTimeout at most) until cond, read under f.mu, holds.
func (f *Fleet) waitFor(cond func() bool) bool {
	t := time.NewTimer(f.opt.OpTimeout)
	defer t.Stop()
	for {
		f.mu.Lock()
		done, ch := cond(), f.progress
		f.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-f.ctx.Done():
			return false
		}
	}
}
