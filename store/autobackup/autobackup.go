package autobackup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Source is the live store: store.Store satisfies it.
type Source interface {
	BackupFile(path string) (int64, error)
}

// Options configure the schedule.
type Options struct {
	Dir   string        // where backups go; created when absent
	Every time.Duration // time between backups; at least a minute
	Keep  int           // good backups kept, newest first; at least 1
	// Verify checks a finished copy (store.VerifyBackup in production);
	// nil takes the copy as good. A non-nil error deletes the copy.
	Verify func(path string) error
	Log    *slog.Logger
}

// Validate reports what is wrong with o, naming the config key.
func (o Options) Validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("backup.dir: must name a directory"))
	}
	if o.Every < time.Minute {
		errs = append(errs, fmt.Errorf("backup.every: %v is too short; at least 1m (a backup of a large store takes seconds)", o.Every))
	}
	if o.Keep < 1 {
		errs = append(errs, fmt.Errorf("backup.keep: %d; keep at least 1", o.Keep))
	}
	return errors.Join(errs...)
}

const (
	prefix  = "doord-"
	suffix  = ".db"
	stamp   = "20060102T150405Z"
	partial = suffix + ".tmp" // store.WriteFileAtomic's temporary files: name.db.tmp123
)

// Name is the file name of a backup taken at t.
func Name(t time.Time) string { return prefix + t.UTC().Format(stamp) + suffix }

// parse returns the time in a backup's file name.
func parse(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return time.Time{}, false
	}
	if s, ok = strings.CutSuffix(s, suffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(stamp, s)
	return t, err == nil
}

// Backups lists the backups in dir, newest first.
func Backups(dir string) ([]Backup, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Backup
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if t, ok := parse(e.Name()); ok {
			out = append(out, Backup{Path: filepath.Join(dir, e.Name()), Time: t})
		}
	}
	slices.SortFunc(out, func(a, b Backup) int { return b.Time.Compare(a.Time) })
	return out, nil
}

// Backup is one backup file.
type Backup struct {
	Path string
	Time time.Time
}

// Status is what the scheduler last did.
type Status struct {
	Last      Backup    // the newest good backup (zero before the first)
	LastError string    // the last failure, "" after a success
	FailedAt  time.Time // when it failed
	Next      time.Time // when the next backup is due
}

// Scheduler takes backups on a schedule; Run drives it.
type Scheduler struct {
	src Source
	o   Options

	// once serializes Once: prune takes the temporary files it sees for
	// a crash's leftovers, which holds only while no copy is running.
	once sync.Mutex

	mu     sync.Mutex
	status Status
}

// New returns a scheduler for src; o must Validate.
func New(src Source, o Options) (*Scheduler, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup.dir: %w", err)
	}
	return &Scheduler{src: src, o: o}, nil
}

// Status returns what the scheduler last did.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Run takes a backup whenever one is due until ctx ends. The first is due
// Every after the newest backup already in Dir, or at once when there is
// none (a fresh install has a backup from its first minute on).
func (s *Scheduler) Run(ctx context.Context) {
	next := time.Now()
	if bs, err := Backups(s.o.Dir); err == nil && len(bs) > 0 {
		s.setLast(bs[0])
		next = bs[0].Time.Add(s.o.Every)
	}
	for {
		s.setNext(next)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.Once(time.Now())
		// The next is Every after this one was due, not after it ended,
		// so backups do not drift later by their own duration; a machine
		// that slept past several is caught up by one backup, not many.
		next = next.Add(s.o.Every)
		if now := time.Now(); !next.After(now) {
			next = now.Add(s.o.Every)
		}
	}
}

// Once takes, verifies and prunes one backup named for now.
// It may be called while Run runs; the two take turns.
func (s *Scheduler) Once(now time.Time) (Backup, error) {
	s.once.Lock()
	defer s.once.Unlock()
	b := Backup{Path: filepath.Join(s.o.Dir, Name(now)), Time: now.UTC().Truncate(time.Second)}
	t0 := time.Now()
	n, err := s.src.BackupFile(b.Path)
	if err == nil && s.o.Verify != nil {
		if verr := s.o.Verify(b.Path); verr != nil {
			err = fmt.Errorf("the copy does not verify: %w", verr)
		}
	}
	if err != nil {
		os.Remove(b.Path)
		s.mu.Lock()
		s.status.LastError, s.status.FailedAt = err.Error(), now
		s.mu.Unlock()
		s.o.Log.Error("scheduled backup failed; the older backups are kept", "file", b.Path, "err", err)
		return Backup{}, err
	}
	s.setLast(b)
	s.o.Log.Info("scheduled backup taken", "file", b.Path, "bytes", n, "took", time.Since(t0).Round(time.Millisecond))
	if err := s.prune(); err != nil {
		s.o.Log.Warn("scheduled backup: removing old backups failed", "dir", s.o.Dir, "err", err)
	}
	return b, nil
}

// prune deletes the backups beyond Keep, oldest first, and temporary
// files a crash mid-copy left behind.
func (s *Scheduler) prune() error {
	bs, err := Backups(s.o.Dir)
	if err != nil {
		return err
	}
	var errs []error
	// Once runs one backup at a time (s.once), so a temporary file seen
	// here is one a crash mid-copy left behind.
	if ents, err := os.ReadDir(s.o.Dir); err == nil {
		for _, e := range ents {
			if n := e.Name(); strings.HasPrefix(n, prefix) && strings.Contains(n, partial) && e.Type().IsRegular() {
				errs = append(errs, ignoreGone(os.Remove(filepath.Join(s.o.Dir, n))))
			}
		}
	}
	if len(bs) > s.o.Keep {
		for _, b := range bs[s.o.Keep:] {
			errs = append(errs, ignoreGone(os.Remove(b.Path)))
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) setLast(b Backup) {
	s.mu.Lock()
	s.status.Last, s.status.LastError, s.status.FailedAt = b, "", time.Time{}
	s.mu.Unlock()
}

func (s *Scheduler) setNext(t time.Time) {
	s.mu.Lock()
	s.status.Next = t
	s.mu.Unlock()
}

func ignoreGone(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
